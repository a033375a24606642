// The S3 half of a download: a presigned GET streamed into a verified file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "custody/aws/http_transport.h"
#include "custody/cli/api_client.h"
#include "custody/common/status.h"

namespace custody::cli {

struct DownloadRequest {
  PresignedTransfer transfer;
  std::filesystem::path target;
  uint64_t expected_size = 0;
  std::string expected_sha256_hex;  // the version's sha256, lowercase hex
  bool overwrite = false;           // replace an existing file at target (--force)
};

// Streams the object into a new temporary file beside the target (".<name>.custody-XXXXXX",
// mode 0600), checks its size and SHA-256 against the version, then renames it to the target.
// The target path only ever holds a complete, verified file: every failure, and SIGINT or
// SIGTERM during the transfer, removes the temporary file. Without `overwrite`, an existing
// target is an error before anything is downloaded, and the final rename does not replace a
// file that appeared meanwhile (renameat2 RENAME_NOREPLACE, else link(2)).
Status DownloadToFile(aws::HttpTransport& s3, const DownloadRequest& request,
                      const aws::ProgressCallback& progress = {});

}  // namespace custody::cli
