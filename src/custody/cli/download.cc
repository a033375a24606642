#include "custody/cli/download.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "custody/cli/file.h"
#include "custody/cli/transfer.h"
#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"

namespace custody::cli {
namespace {

// The temporary file that a SIGINT or SIGTERM handler removes. A fixed buffer and a flag,
// because a signal handler may only call async-signal-safe functions (unlink, sigaction,
// raise) and touch lock-free atomics.
char g_interrupted_path[PATH_MAX];
volatile std::sig_atomic_t g_interrupted_path_set = 0;

extern "C" void RemoveTemporaryFileAndReraise(int signal_number) {
  if (g_interrupted_path_set != 0) {
    ::unlink(g_interrupted_path);
  }

  struct sigaction default_action {};

  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  ::sigaction(signal_number, &default_action, nullptr);
  ::raise(signal_number);
}

// Removes the temporary file when SIGINT or SIGTERM arrives, then lets the signal end the
// process as it would have. The previous handlers come back when the object is destroyed.
class InterruptCleanup {
 public:
  explicit InterruptCleanup(const std::filesystem::path& path) {
    const std::string& text = path.native();
    if (text.size() >= sizeof(g_interrupted_path)) {
      return;  // Not registered: an interruption would leave the hidden temporary file.
    }
    std::memcpy(g_interrupted_path, text.c_str(), text.size() + 1);
    g_interrupted_path_set = 1;

    struct sigaction action {};

    action.sa_handler = RemoveTemporaryFileAndReraise;
    sigemptyset(&action.sa_mask);
    installed_ = ::sigaction(SIGINT, &action, &previous_interrupt_) == 0 &&
                 ::sigaction(SIGTERM, &action, &previous_terminate_) == 0;
  }

  InterruptCleanup(const InterruptCleanup&) = delete;
  InterruptCleanup& operator=(const InterruptCleanup&) = delete;

  ~InterruptCleanup() {
    if (installed_) {
      ::sigaction(SIGINT, &previous_interrupt_, nullptr);
      ::sigaction(SIGTERM, &previous_terminate_, nullptr);
    }
    g_interrupted_path_set = 0;
  }

 private:
  bool installed_ = false;

  struct sigaction previous_interrupt_ {};

  struct sigaction previous_terminate_ {};
};

// A temporary file that is unlinked on destruction unless Keep() was called.
class TemporaryFile {
 public:
  TemporaryFile(std::filesystem::path path, UniqueFd fd)
      : path_(std::move(path)), fd_(std::move(fd)) {}

  TemporaryFile(TemporaryFile&& other) noexcept
      : path_(std::move(other.path_)), fd_(std::move(other.fd_)), kept_(other.kept_) {
    other.kept_ = true;
  }

  TemporaryFile& operator=(TemporaryFile&&) = delete;

  ~TemporaryFile() {
    if (!kept_) {
      fd_ = UniqueFd();
      ::unlink(path_.c_str());
    }
  }

  const std::filesystem::path& path() const { return path_; }

  UniqueFd& fd() { return fd_; }

  void Keep() { kept_ = true; }

 private:
  std::filesystem::path path_;
  UniqueFd fd_;
  bool kept_ = false;
};

// Room for ".", ".custody-XXXXXX" and the name within NAME_MAX (255 bytes on Linux).
constexpr size_t kMaxNameInTemporary = 200;

Result<TemporaryFile> CreateTemporaryBeside(const std::filesystem::path& target) {
  std::filesystem::path directory = target.parent_path();
  if (directory.empty()) {
    directory = ".";
  }
  const std::string name = target.filename().string().substr(0, kMaxNameInTemporary);
  std::string pattern = (directory / ("." + name + ".custody-XXXXXX")).string();
  const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) {
    return ErrnoStatus(errno, "creating a temporary file in", directory);
  }
  return TemporaryFile(std::filesystem::path(pattern), UniqueFd(fd));
}

// Renames `from` to `to` unless `to` exists. renameat2 needs Linux 3.15 and a file system that
// supports RENAME_NOREPLACE; link(2) then unlink(2) gives the same guarantee elsewhere.
Status RenameWithoutReplacing(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return Status::Ok();
  }
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) {
    if (errno == EEXIST) {
      return FailedPrecondition(to.string() +
                                " appeared during the download; pass --force to "
                                "replace it");
    }
    return ErrnoStatus(errno, "renaming the download to", to);
  }
  if (::link(from.c_str(), to.c_str()) != 0) {
    if (errno == EEXIST) {
      return FailedPrecondition(to.string() +
                                " appeared during the download; pass --force to "
                                "replace it");
    }
    return ErrnoStatus(errno, "linking the download to", to);
  }
  ::unlink(from.c_str());
  return Status::Ok();
}

// Gives the finished file the permissions a new file gets from the user's umask; mkostemp
// created it 0600.
Status ApplyUmask(int fd, const std::filesystem::path& path) {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd, 0666 & ~mask) != 0) {
    return ErrnoStatus(errno, "setting the permissions of", path);
  }
  return Status::Ok();
}

void SyncDirectory(const std::filesystem::path& target) {
  std::filesystem::path directory = target.parent_path();
  if (directory.empty()) {
    directory = ".";
  }
  // Best effort: the file is complete either way, this only makes the rename durable sooner.
  UniqueFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.valid()) {
    ::fsync(fd.get());
  }
}

Status CheckTarget(const std::filesystem::path& target, bool overwrite) {
  struct stat info {};

  if (::lstat(target.c_str(), &info) != 0) {
    if (errno == ENOENT) {
      return Status::Ok();
    }
    return ErrnoStatus(errno, "checking", target);
  }
  if (S_ISDIR(info.st_mode)) {
    return FailedPrecondition(target.string() + " is a directory");
  }
  if (!overwrite) {
    return FailedPrecondition(target.string() + " already exists; pass --force to replace it");
  }
  return Status::Ok();
}

}  // namespace

Status DownloadToFile(aws::HttpTransport& s3, const DownloadRequest& request,
                      const aws::ProgressCallback& progress) {
  CUSTODY_RETURN_IF_ERROR(CheckTransferUrl(request.transfer));
  if (request.expected_size == 0 || request.expected_sha256_hex.size() != 64) {
    return Internal("the version has no size or no SHA-256 to verify the download against");
  }
  CUSTODY_RETURN_IF_ERROR(CheckTarget(request.target, request.overwrite));

  CUSTODY_ASSIGN_OR_RETURN(TemporaryFile temporary, CreateTemporaryBeside(request.target));
  const InterruptCleanup interrupt_cleanup(temporary.path());

  crypto::StreamingHash sha256(crypto::StreamingHash::Algorithm::kSha256);
  uint64_t bytes_written = 0;
  const aws::BodySink sink = [&](std::string_view chunk) -> Status {
    if (bytes_written + chunk.size() > request.expected_size) {
      return Conflict("S3 sent more than the version's " + std::to_string(request.expected_size) +
                      " bytes; nothing was written to " + request.target.string());
    }
    CUSTODY_RETURN_IF_ERROR(WriteAll(temporary.fd().get(), chunk, temporary.path()));
    sha256.Update(chunk);
    bytes_written += chunk.size();
    return Status::Ok();
  };

  aws::HttpRequest get;
  get.method = request.transfer.method;
  get.url = request.transfer.url;
  get.headers = request.transfer.headers;
  Result<aws::HttpResponse> response = s3.SendStreaming(get, 0, nullptr, sink, progress);
  if (!response.ok()) {
    if (response.status().code() == ErrorCode::kConflict) {
      return response.status();
    }
    return response.status().WithContext("downloading from S3");
  }
  if (response->status < 200 || response->status >= 300) {
    return S3ResponseStatus(*response, "downloading from S3");
  }
  if (bytes_written != request.expected_size) {
    return Conflict("S3 sent " + std::to_string(bytes_written) + " bytes, but the version has " +
                    std::to_string(request.expected_size) + "; nothing was written to " +
                    request.target.string());
  }
  const std::string actual_sha256 = crypto::HexEncode(sha256.Finish());
  if (actual_sha256 != request.expected_sha256_hex) {
    return Conflict("checksum mismatch: the downloaded bytes have SHA-256 " + actual_sha256 +
                    ", but the version records " + request.expected_sha256_hex +
                    "; nothing was written to " + request.target.string());
  }

  CUSTODY_RETURN_IF_ERROR(ApplyUmask(temporary.fd().get(), temporary.path()));
  if (::fsync(temporary.fd().get()) != 0) {
    return ErrnoStatus(errno, "flushing", temporary.path());
  }
  CUSTODY_RETURN_IF_ERROR(temporary.fd().Close(temporary.path()));
  if (request.overwrite) {
    if (::rename(temporary.path().c_str(), request.target.c_str()) != 0) {
      return ErrnoStatus(errno, "renaming the download to", request.target);
    }
  } else {
    CUSTODY_RETURN_IF_ERROR(RenameWithoutReplacing(temporary.path(), request.target));
  }
  temporary.Keep();
  SyncDirectory(request.target);
  return Status::Ok();
}

}  // namespace custody::cli
