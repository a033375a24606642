// Presigned S3 URLs through which browsers and the CLI move evidence bytes straight to and from
// the customer's bucket. The PUT URL signs the SSE-KMS headers, the organization's key id, the
// Content-MD5 and SHA-256 checksums and the length, so S3 rejects an upload that changes any of
// them. A URL never outlives the temporary credentials that signed it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "custody/aws/connection.h"
#include "custody/aws/credentials.h"
#include "custody/common/clock.h"
#include "custody/common/status.h"

namespace custody::aws {

// S3's limit for a single PUT.
inline constexpr uint64_t kMaxSinglePutBytes = 5ULL * 1024 * 1024 * 1024;

// S3's multipart upload limits. Every part except the last has at least kMinPartBytes.
inline constexpr uint64_t kMinPartBytes = 5ULL * 1024 * 1024;
inline constexpr uint64_t kMaxPartBytes = kMaxSinglePutBytes;
inline constexpr int kMaxPartCount = 10000;
inline constexpr uint64_t kMaxMultipartObjectBytes = 5ULL * 1024 * 1024 * 1024 * 1024;

struct PresignedRequest {
  std::string method;
  std::string url;
  // Every header the client must send, exactly as given (browsers set Content-Length
  // themselves; it must equal the signed length).
  std::vector<std::pair<std::string, std::string>> headers;
  SystemTime expires_at;
};

struct PresignOptions {
  // Allows an http:// endpoint on a loopback address (tests against a local S3 store).
  bool allow_insecure_loopback = false;
};

struct PutObjectUpload {
  std::string key;  // derived by the caller; sent as is, with each segment percent-encoded
  uint64_t content_length = 0;
  std::string sha256_hex;  // 64 lowercase hex characters
  std::string md5_hex;     // 32 lowercase hex characters
  std::optional<std::string> content_type;
  std::chrono::seconds ttl{300};
};

Result<PresignedRequest> PresignPutObject(const AwsConnection& connection,
                                          const Credentials& credentials,
                                          const PutObjectUpload& upload, const Clock& clock,
                                          const PresignOptions& options = {});

struct UploadPartUpload {
  std::string key;        // the key given to CreateMultipartUpload
  std::string upload_id;  // as CreateMultipartUpload returned it
  int part_number = 0;    // 1 to kMaxPartCount
  uint64_t content_length = 0;
  std::string md5_hex;  // the part's MD5, 32 lowercase hex characters
  std::chrono::seconds ttl{300};
};

// Signs an UploadPart with the part's Content-MD5 and Content-Length, so S3 rejects any other
// bytes for that part number. It signs no SSE-KMS headers, because the encryption of a multipart
// upload is set once by CreateMultipartUpload.
Result<PresignedRequest> PresignUploadPart(const AwsConnection& connection,
                                           const Credentials& credentials,
                                           const UploadPartUpload& upload, const Clock& clock,
                                           const PresignOptions& options = {});

struct GetObjectDownload {
  std::string key;
  std::string file_name;  // the name the browser saves the file under
  std::chrono::seconds ttl{60};
};

// Signs a GET that makes S3 answer with Content-Disposition: attachment and the file name.
Result<PresignedRequest> PresignGetObject(const AwsConnection& connection,
                                          const Credentials& credentials,
                                          const GetObjectDownload& download, const Clock& clock,
                                          const PresignOptions& options = {});

// `attachment; filename="ascii fallback"; filename*=UTF-8''percent-encoded` (RFC 6266 with
// RFC 5987 encoding). The fallback drops quotes, backslashes and control characters and
// replaces each non-ASCII character and '%' with '_'.
std::string ContentDispositionAttachment(std::string_view file_name);

}  // namespace custody::aws
