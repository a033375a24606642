#include "custody/cli/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "custody/crypto/random.h"

namespace custody::cli {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = other.Release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

int UniqueFd::Release() {
  return std::exchange(fd_, -1);
}

Status UniqueFd::Close(const std::filesystem::path& path) {
  const int fd = Release();
  if (fd < 0) {
    return Status::Ok();
  }
  // close(2) must not be retried after EINTR on Linux: the descriptor is already released.
  if (::close(fd) != 0 && errno != EINTR) {
    return ErrnoStatus(errno, "closing", path);
  }
  return Status::Ok();
}

Status ErrnoStatus(int error_number, std::string_view operation,
                   const std::filesystem::path& path) {
  std::string message =
      std::string(operation) + " " + path.string() + " failed: " + std::strerror(error_number);
  switch (error_number) {
    case ENOENT:
      return NotFound(std::move(message));
    default:
      return Status(ErrorCode::kFailedPrecondition, std::move(message));
  }
}

Result<InputFile> OpenInputFile(const std::filesystem::path& path) {
  InputFile file;
  file.fd = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file.fd.valid()) {
    return ErrnoStatus(errno, "opening", path);
  }

  struct stat info {};

  if (::fstat(file.fd.get(), &info) != 0) {
    return ErrnoStatus(errno, "reading the size of", path);
  }
  if (!S_ISREG(info.st_mode)) {
    return InvalidArgument(path.string() + " is not a regular file");
  }
  file.size = static_cast<uint64_t>(info.st_size);
  return file;
}

Result<size_t> ReadSome(int fd, char* buffer, size_t capacity, const std::filesystem::path& path) {
  while (true) {
    const ssize_t count = ::read(fd, buffer, capacity);
    if (count >= 0) {
      return static_cast<size_t>(count);
    }
    if (errno != EINTR) {
      return ErrnoStatus(errno, "reading", path);
    }
  }
}

Status WriteAll(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    const ssize_t count = ::write(fd, data.data(), data.size());
    if (count < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ErrnoStatus(errno, "writing", path);
    }
    data.remove_prefix(static_cast<size_t>(count));
  }
  return Status::Ok();
}

Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents) {
  const std::filesystem::path temporary =
      path.parent_path() / ("." + path.filename().string() + "." + crypto::RandomAlphanumeric(8));
  UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    return ErrnoStatus(errno, "creating", temporary);
  }
  Status status = WriteAll(fd.get(), contents, temporary);
  if (status.ok() && ::fsync(fd.get()) != 0) {
    status = ErrnoStatus(errno, "flushing", temporary);
  }
  if (status.ok()) {
    status = fd.Close(temporary);
  }
  if (status.ok() && ::rename(temporary.c_str(), path.c_str()) != 0) {
    status = ErrnoStatus(errno, "renaming into place", path);
  }
  if (!status.ok()) {
    ::unlink(temporary.c_str());
  }
  return status;
}

Result<std::string> ReadSmallFile(const std::filesystem::path& path, size_t max_size) {
  CUSTODY_ASSIGN_OR_RETURN(InputFile file, OpenInputFile(path));
  if (file.size > max_size) {
    return InvalidArgument(path.string() + " is larger than " + std::to_string(max_size) +
                           " bytes");
  }
  std::string contents;
  char buffer[4096];
  while (true) {
    CUSTODY_ASSIGN_OR_RETURN(const size_t count,
                             ReadSome(file.fd.get(), buffer, sizeof(buffer), path));
    if (count == 0) {
      break;
    }
    contents.append(buffer, count);
    if (contents.size() > max_size) {
      return InvalidArgument(path.string() + " is larger than " + std::to_string(max_size) +
                             " bytes");
    }
  }
  return contents;
}

}  // namespace custody::cli
