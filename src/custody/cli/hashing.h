// The checksums the server and S3 need for an upload, from one streaming read of the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "custody/common/status.h"

namespace custody::cli {

struct FileDigests {
  uint64_t size = 0;       // bytes read, which is the file's size when nothing appended to it
  std::string sha256_hex;  // 64 lowercase hex characters
  std::string md5_hex;     // 32 lowercase hex characters
  // With a part size: the MD5 (lowercase hex) of each part of that size, the last one shorter.
  std::vector<std::string> part_md5s = {};
};

// Called with the number of bytes hashed so far.
using HashProgress = std::function<void(uint64_t bytes_hashed)>;

// Reads `path` once, in 1 MiB chunks, and computes its SHA-256 and MD5 together, so a file of
// gigabytes never sits in memory. A `part_size` above 0 also yields the MD5 of each part of a
// multipart upload. Fails when the file's size changes while it is read.
Result<FileDigests> HashFile(const std::filesystem::path& path, const HashProgress& progress = {},
                             uint64_t part_size = 0);

}  // namespace custody::cli
