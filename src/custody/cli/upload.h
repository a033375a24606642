// The S3 half of an upload: the file's bytes streamed to a presigned PUT.
#pragma once

#include <filesystem>

#include "custody/aws/http_transport.h"
#include "custody/cli/api_client.h"
#include "custody/cli/hashing.h"
#include "custody/common/status.h"

namespace custody::cli {

// Streams the file at `path` to S3 through `upload`, sending exactly its headers; S3 checks the
// signed length and checksums. The bytes are hashed again on the way, so a change after
// HashFile is caught even by a store that ignores the checksum headers. Returns:
//   OK                      S3 stored the object;
//   IsRetryable(status)     S3 could not be reached, timed out or returned 5xx;
//   kConflict               the file changed after it was hashed (its size, its SHA-256, or
//                           S3 rejected the checksum);
//   kUpstreamFailed         S3 rejected the request otherwise (an expired URL, say);
//   kFailedPrecondition     the URL is not https://, or the file cannot be read.
Status PutFile(aws::HttpTransport& s3, const PresignedTransfer& upload,
               const std::filesystem::path& path, const FileDigests& digests,
               const aws::ProgressCallback& progress = {});

}  // namespace custody::cli
