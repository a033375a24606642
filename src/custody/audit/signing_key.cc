#include "custody/audit/signing_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "custody/crypto/ed25519.h"

namespace custody::audit {
namespace {

std::string ErrnoText(int error) {
  return std::strerror(error);
}

// Closes the descriptor when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}

  ~FileDescriptor() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }

  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;

  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

Result<NoteSigner> LoadSigningKeyFile(const std::string& path) {
  if (path.empty()) {
    return InvalidArgument("the audit signing key file is not configured",
                           "audit.signing_key_file");
  }
  // O_NOFOLLOW is not used: an operator may link the key from a secrets mount. The mode check
  // below applies to the file the link points at.
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int error = errno;
    return InvalidArgument("cannot open the audit signing key file " + path + ": " +
                               ErrnoText(error) + "; create one with `custodyd audit keygen`",
                           "audit.signing_key_file");
  }

  struct stat info {};

  if (::fstat(fd.get(), &info) != 0) {
    const int error = errno;
    return InvalidArgument(
        "cannot stat the audit signing key file " + path + ": " + ErrnoText(error),
        "audit.signing_key_file");
  }
  if (!S_ISREG(info.st_mode)) {
    return InvalidArgument("the audit signing key file " + path + " is not a regular file",
                           "audit.signing_key_file");
  }
  if ((info.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return InvalidArgument("the audit signing key file " + path + " has mode " + mode +
                               ", which lets its group or others access it; run chmod 600 " + path,
                           "audit.signing_key_file");
  }
  if (info.st_size > static_cast<off_t>(kMaxSigningKeyFileBytes)) {
    return InvalidArgument("the audit signing key file " + path + " is larger than " +
                               std::to_string(kMaxSigningKeyFileBytes) + " bytes",
                           "audit.signing_key_file");
  }

  std::string contents(kMaxSigningKeyFileBytes + 1, '\0');
  size_t total = 0;
  while (total < contents.size()) {
    const ssize_t got = ::read(fd.get(), contents.data() + total, contents.size() - total);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      const int error = errno;
      const Secret wipe(std::move(contents));
      return InvalidArgument(
          "cannot read the audit signing key file " + path + ": " + ErrnoText(error),
          "audit.signing_key_file");
    }
    if (got == 0) {
      break;
    }
    total += static_cast<size_t>(got);
  }
  contents.resize(total);
  while (!contents.empty() && (contents.back() == '\n' || contents.back() == '\r' ||
                               contents.back() == ' ' || contents.back() == '\t')) {
    contents.pop_back();
  }
  const Secret key_text(std::move(contents));
  Result<NoteSigner> signer = NoteSigner::FromSignerKey(key_text);
  if (!signer.ok()) {
    return InvalidArgument("the audit signing key file " + path +
                               " does not contain a valid signer key: " + signer.status().message(),
                           "audit.signing_key_file");
  }
  return signer;
}

Result<NoteSigner> GenerateSigningKeyFile(const std::string& path, std::string_view key_name) {
  CUSTODY_ASSIGN_OR_RETURN(NoteSigner signer,
                           NoteSigner::Create(key_name, crypto::Ed25519PrivateKey::Generate()));
  FileDescriptor fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    const int error = errno;
    return InvalidArgument("cannot create the audit signing key file " + path + ": " +
                           ErrnoText(error) +
                           (error == EEXIST ? " (keys are never overwritten)" : ""));
  }
  // The umask may only remove bits, but set the mode explicitly in case the file system
  // applies a default ACL.
  if (::fchmod(fd.get(), 0600) != 0) {
    const int error = errno;
    ::unlink(path.c_str());
    return InvalidArgument("cannot set mode 0600 on " + path + ": " + ErrnoText(error));
  }
  const Secret line(signer.SignerKey().Reveal() + "\n");
  size_t written = 0;
  const std::string& bytes = line.Reveal();
  while (written < bytes.size()) {
    const ssize_t count = ::write(fd.get(), bytes.data() + written, bytes.size() - written);
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count < 0) {
      const int error = errno;
      ::unlink(path.c_str());
      return InvalidArgument("cannot write the audit signing key file " + path + ": " +
                             ErrnoText(error));
    }
    written += static_cast<size_t>(count);
  }
  if (::fsync(fd.get()) != 0) {
    const int error = errno;
    ::unlink(path.c_str());
    return InvalidArgument("cannot sync the audit signing key file " + path + ": " +
                           ErrnoText(error));
  }
  return signer;
}

}  // namespace custody::audit
