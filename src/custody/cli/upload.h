// The S3 half of an upload: the file's bytes streamed to a presigned PUT, or one part of the
// file to a presigned UploadPart.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

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

// One part of a multipart upload: bytes [offset, offset + length) of a file of `file_size`
// bytes, whose MD5 must be `md5_hex`.
struct FilePart {
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t file_size = 0;
  std::string md5_hex;
};

// Streams one part to S3 through `part`, a presigned UploadPart, with the same checks and
// results as PutFile. The part's bytes must match the MD5 that the part declared.
Status PutFilePart(aws::HttpTransport& s3, const PresignedTransfer& part,
                   const std::filesystem::path& path, const FilePart& file_part,
                   const aws::ProgressCallback& progress = {});

}  // namespace custody::cli
