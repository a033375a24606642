// POSIX file helpers for the CLI: descriptors that close themselves and errno as Status.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "custody/common/status.h"

namespace custody::cli {

// A file descriptor closed on destruction; move-only.
class UniqueFd {
 public:
  UniqueFd() = default;

  explicit UniqueFd(int fd) : fd_(fd) {}

  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}

  UniqueFd& operator=(UniqueFd&& other) noexcept;
  ~UniqueFd();

  int get() const { return fd_; }

  bool valid() const { return fd_ >= 0; }

  int Release();

  // Closes the descriptor and reports a failed close (which can mean lost writes on NFS).
  Status Close(const std::filesystem::path& path);

 private:
  int fd_ = -1;
};

// Status for a failed system call: "<operation> <path> failed: <strerror>", with kNotFound for
// ENOENT and kFailedPrecondition otherwise (a local EACCES is not an authentication error).
Status ErrnoStatus(int error_number, std::string_view operation, const std::filesystem::path& path);

// A regular file opened for reading, with its size at the time of opening.
struct InputFile {
  UniqueFd fd;
  uint64_t size = 0;
};

// Opens `path` for reading; rejects directories, devices and other non-regular files.
Result<InputFile> OpenInputFile(const std::filesystem::path& path);

// Reads up to `capacity` bytes, retrying after EINTR; 0 means end of file.
Result<size_t> ReadSome(int fd, char* buffer, size_t capacity, const std::filesystem::path& path);

// Writes all of `data`, retrying after EINTR and short writes.
Status WriteAll(int fd, std::string_view data, const std::filesystem::path& path);

// Writes `contents` to `path` through a temporary file in the same directory and rename(2),
// with mode 0600, so a reader sees the old file or the new one and never a partial one.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents);

// Reads a whole file of at most `max_size` bytes.
Result<std::string> ReadSmallFile(const std::filesystem::path& path, size_t max_size);

}  // namespace custody::cli
