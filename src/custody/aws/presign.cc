#include "custody/aws/presign.h"

#include <algorithm>

#include "custody/aws/http_transport.h"
#include "custody/aws/sigv4.h"
#include "custody/crypto/encoding.h"

namespace custody::aws {
namespace {

constexpr size_t kMaxKeyBytes = 1024;  // S3's limit for object keys
// S3 documents no maximum length for upload ids; this bound only rejects absurd values.
constexpr size_t kMaxUploadIdBytes = 1024;

bool IsLowerHexString(std::string_view text, size_t length) {
  return text.size() == length && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Status CheckKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyBytes) {
    return InvalidArgument("object key must be 1 to 1024 bytes long", "key");
  }
  for (char c : key) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return InvalidArgument("object key contains a control character", "key");
    }
  }
  return Status::Ok();
}

Status CheckUploadId(std::string_view upload_id) {
  const bool printable = std::all_of(upload_id.begin(), upload_id.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
  if (upload_id.empty() || upload_id.size() > kMaxUploadIdBytes || !printable) {
    return InvalidArgument("multipart upload id must be 1 to 1024 printable ASCII characters",
                           "upload_id");
  }
  return Status::Ok();
}

Status CheckTtl(std::chrono::seconds ttl) {
  if (ttl.count() < 1 || ttl > sigv4::kMaxPresignExpiry) {
    return InvalidArgument(
        "presigned URL lifetime must be 1 to 604800 seconds, not " + std::to_string(ttl.count()),
        "ttl");
  }
  return Status::Ok();
}

// Shortens `ttl` so the URL expires no later than the credentials. Fails when they have
// already expired (or will within a second).
Result<std::chrono::seconds> CapToCredentials(std::chrono::seconds ttl,
                                              const Credentials& credentials, SystemTime now) {
  if (credentials.expiration == SystemTime::max()) {
    return ttl;
  }
  const auto remaining = std::chrono::floor<std::chrono::seconds>(credentials.expiration - now);
  if (remaining.count() < 1) {
    return Unavailable("the temporary AWS credentials have expired; request new ones");
  }
  return std::min(ttl, remaining);
}

Status CheckEndpoint(const AwsConnection& connection, const PresignOptions& options) {
  if (!connection.endpoint) {
    return Status::Ok();
  }
  const Status status = ValidateEndpoint(*connection.endpoint, options.allow_insecure_loopback);
  if (!status.ok()) {
    return FailedPrecondition("the AWS connection's endpoint is not usable: " + status.message());
  }
  return Status::Ok();
}

struct SignedUrl {
  std::string url;
  SystemTime expires_at;
};

// Builds the object's URL and signs it with `headers` (host added here) in the query.
Result<SignedUrl> SignObjectUrl(const AwsConnection& connection, const Credentials& credentials,
                                std::string_view method, std::string_view key, std::string query,
                                sigv4::HeaderList headers, std::chrono::seconds ttl,
                                const Clock& clock) {
  const SystemTime now = std::chrono::floor<std::chrono::seconds>(clock.Now());
  CUSTODY_ASSIGN_OR_RETURN(const std::chrono::seconds expires,
                           CapToCredentials(ttl, credentials, now));
  CUSTODY_ASSIGN_OR_RETURN(const Url url, ParseUrl(ObjectUrl(connection, key)));

  sigv4::RequestToSign request;
  request.method = std::string(method);
  request.path = url.path;
  request.query = std::move(query);
  request.headers = std::move(headers);
  request.headers.emplace_back("host", url.HostHeader());
  request.payload_hash = std::string(sigv4::kUnsignedPayload);

  sigv4::QuerySigningOptions signing;
  signing.expires = expires;
  CUSTODY_RETURN_IF_ERROR(sigv4::SignWithQuery(&request,
                                               sigv4::SigningConfig::ForS3(connection.region),
                                               credentials, now, signing)
                              .status());
  return SignedUrl{url.Origin() + url.path + "?" + request.query, now + expires};
}

bool IsAttrChar(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '!' ||
         c == '#' || c == '$' || c == '&' || c == '+' || c == '-' || c == '.' || c == '^' ||
         c == '_' || c == '`' || c == '|' || c == '~';
}

}  // namespace

std::string ContentDispositionAttachment(std::string_view file_name) {
  static constexpr char kHexDigits[] = "0123456789ABCDEF";
  std::string fallback;
  std::string encoded;
  for (char c : file_name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      continue;  // control characters go from both forms
    }
    if (IsAttrChar(byte)) {
      encoded += c;
    } else {
      encoded += '%';
      encoded += kHexDigits[byte >> 4];
      encoded += kHexDigits[byte & 0x0f];
    }
    if (byte == '"' || byte == '\\') {
      continue;
    }
    if (byte >= 0xc0 || byte == '%') {
      fallback += '_';  // one '_' per non-ASCII character: at its lead byte
    } else if (byte < 0x80) {
      fallback += c;
    }
  }
  if (fallback.empty()) {
    fallback = "download";
  }
  if (encoded.empty()) {
    encoded = "download";
  }
  return "attachment; filename=\"" + fallback + "\"; filename*=UTF-8''" + encoded;
}

Result<PresignedRequest> PresignPutObject(const AwsConnection& connection,
                                          const Credentials& credentials,
                                          const PutObjectUpload& upload, const Clock& clock,
                                          const PresignOptions& options) {
  CUSTODY_RETURN_IF_ERROR(CheckEndpoint(connection, options));
  CUSTODY_RETURN_IF_ERROR(CheckKey(upload.key));
  CUSTODY_RETURN_IF_ERROR(CheckTtl(upload.ttl));
  if (upload.content_length > kMaxSinglePutBytes) {
    return InvalidArgument("a single upload is limited to 5 GiB", "size");
  }
  if (!IsLowerHexString(upload.sha256_hex, 64)) {
    return InvalidArgument("sha256 must be 64 lowercase hex characters", "sha256");
  }
  if (!IsLowerHexString(upload.md5_hex, 32)) {
    return InvalidArgument("md5 must be 32 lowercase hex characters", "md5");
  }
  if (connection.kms_key_id.empty()) {
    return FailedPrecondition("the AWS connection has no KMS key");
  }
  if (upload.content_type) {
    const std::string& type = *upload.content_type;
    const bool printable = std::all_of(type.begin(), type.end(), [](char c) {
      return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
    });
    if (type.empty() || type.size() > 255 || !printable) {
      return InvalidArgument("media type must be 1 to 255 printable ASCII characters",
                             "media_type");
    }
  }

  PresignedRequest out;
  out.method = "PUT";
  out.headers.emplace_back("Content-Length", std::to_string(upload.content_length));
  out.headers.emplace_back("Content-MD5", crypto::Base64Encode(*crypto::HexDecode(upload.md5_hex)));
  if (upload.content_type) {
    out.headers.emplace_back("Content-Type", *upload.content_type);
  }
  out.headers.emplace_back("x-amz-checksum-sha256",
                           crypto::Base64Encode(*crypto::HexDecode(upload.sha256_hex)));
  out.headers.emplace_back("x-amz-server-side-encryption", "aws:kms");
  out.headers.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", connection.kms_key_id);

  CUSTODY_ASSIGN_OR_RETURN(SignedUrl signed_url,
                           SignObjectUrl(connection, credentials, "PUT", upload.key, "",
                                         out.headers, upload.ttl, clock));
  out.url = std::move(signed_url.url);
  out.expires_at = signed_url.expires_at;
  return out;
}

Result<PresignedRequest> PresignUploadPart(const AwsConnection& connection,
                                           const Credentials& credentials,
                                           const UploadPartUpload& upload, const Clock& clock,
                                           const PresignOptions& options) {
  CUSTODY_RETURN_IF_ERROR(CheckEndpoint(connection, options));
  CUSTODY_RETURN_IF_ERROR(CheckKey(upload.key));
  CUSTODY_RETURN_IF_ERROR(CheckTtl(upload.ttl));
  CUSTODY_RETURN_IF_ERROR(CheckUploadId(upload.upload_id));
  if (upload.part_number < 1 || upload.part_number > kMaxPartCount) {
    return InvalidArgument(
        "part number must be 1 to 10000, not " + std::to_string(upload.part_number), "part_number");
  }
  if (upload.content_length < 1 || upload.content_length > kMaxPartBytes) {
    return InvalidArgument("a part must be 1 byte to 5 GiB long", "size");
  }
  if (!IsLowerHexString(upload.md5_hex, 32)) {
    return InvalidArgument("md5 must be 32 lowercase hex characters", "md5");
  }

  PresignedRequest out;
  out.method = "PUT";
  out.headers.emplace_back("Content-Length", std::to_string(upload.content_length));
  out.headers.emplace_back("Content-MD5", crypto::Base64Encode(*crypto::HexDecode(upload.md5_hex)));
  const std::string query = "partNumber=" + std::to_string(upload.part_number) +
                            "&uploadId=" + sigv4::UriEncode(upload.upload_id, true);
  CUSTODY_ASSIGN_OR_RETURN(SignedUrl signed_url,
                           SignObjectUrl(connection, credentials, "PUT", upload.key, query,
                                         out.headers, upload.ttl, clock));
  out.url = std::move(signed_url.url);
  out.expires_at = signed_url.expires_at;
  return out;
}

Result<PresignedRequest> PresignGetObject(const AwsConnection& connection,
                                          const Credentials& credentials,
                                          const GetObjectDownload& download, const Clock& clock,
                                          const PresignOptions& options) {
  CUSTODY_RETURN_IF_ERROR(CheckEndpoint(connection, options));
  CUSTODY_RETURN_IF_ERROR(CheckKey(download.key));
  CUSTODY_RETURN_IF_ERROR(CheckTtl(download.ttl));

  const std::string query =
      "response-content-disposition=" +
      sigv4::UriEncode(ContentDispositionAttachment(download.file_name), true);
  CUSTODY_ASSIGN_OR_RETURN(
      SignedUrl signed_url,
      SignObjectUrl(connection, credentials, "GET", download.key, query, {}, download.ttl, clock));
  PresignedRequest out;
  out.method = "GET";
  out.url = std::move(signed_url.url);
  out.expires_at = signed_url.expires_at;
  return out;
}

}  // namespace custody::aws
