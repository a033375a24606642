#include "custody/aws/s3.h"

#include <charconv>

#include "custody/aws/s3_response.h"
#include "custody/aws/sigv4.h"
#include "custody/aws/xml.h"
#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"

namespace custody::aws {
namespace {

using internal::Iso8601;
using internal::Unquote;
using internal::XmlEscape;

// The headers browsers send with Custody's presigned PUT; browsers preflight each of them.
constexpr std::string_view kCorsAllowedHeaders[] = {
    "content-type",
    "content-md5",
    "x-amz-checksum-sha256",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
};
constexpr std::string_view kCorsExposedHeaders[] = {
    "ETag",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-version-id",
};
constexpr std::string_view kCorsMethods[] = {"PUT", "GET", "HEAD"};
constexpr int kCorsMaxAgeSeconds = 3000;

Status S3Error(std::string_view operation, const HttpResponse& response) {
  return internal::S3ErrorStatus(operation, response);
}

std::string JsonString(std::string_view text) {
  static constexpr char kHexDigits[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      out += "\\u00";
      out += kHexDigits[byte >> 4];
      out += kHexDigits[byte & 0x0f];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

template <typename Range>
std::string JsonArray(const Range& items) {
  std::string out = "[";
  bool first = true;
  for (const auto& item : items) {
    out += first ? "" : ", ";
    out += JsonString(item);
    first = false;
  }
  return out + "]";
}

}  // namespace

bool KmsKeyMatches(std::string_view configured, std::string_view reported) {
  if (configured.empty() || reported.empty()) {
    return false;
  }
  if (configured == reported) {
    return true;
  }
  const auto ends_with_key = [](std::string_view arn, std::string_view id) {
    const std::string suffix = ":key/" + std::string(id);
    return arn.size() > suffix.size() && arn.substr(0, 4) == "arn:" &&
           arn.substr(arn.size() - suffix.size()) == suffix;
  };
  return ends_with_key(reported, configured) || ends_with_key(configured, reported);
}

S3Client::S3Client(HttpTransport& transport, const Clock& clock, S3Options options)
    : transport_(transport), clock_(clock), options_(options) {}

Result<HttpResponse> S3Client::Call(const AwsConnection& connection, const Credentials& credentials,
                                    std::string_view method, std::string_view key,
                                    std::string_view query,
                                    std::vector<std::pair<std::string, std::string>> headers,
                                    std::string body) {
  if (connection.endpoint) {
    const Status endpoint =
        ValidateEndpoint(*connection.endpoint, options_.allow_insecure_loopback);
    if (!endpoint.ok()) {
      return FailedPrecondition("the AWS connection's endpoint is not usable: " +
                                endpoint.message());
    }
  }
  const std::string url_text = key.empty() ? BucketUrl(connection) : ObjectUrl(connection, key);
  CUSTODY_ASSIGN_OR_RETURN(const Url url, ParseUrl(url_text));

  sigv4::RequestToSign request;
  request.method = std::string(method);
  request.path = url.path;
  request.query = std::string(query);
  request.headers = std::move(headers);
  request.headers.emplace_back("Host", url.HostHeader());
  request.payload_hash = crypto::Sha256Hex(body);
  sigv4::HeaderSigningOptions signing;
  signing.add_content_sha256_header = true;
  CUSTODY_RETURN_IF_ERROR(sigv4::SignWithHeaders(&request,
                                                 sigv4::SigningConfig::ForS3(connection.region),
                                                 credentials, clock_.Now(), signing)
                              .status());

  HttpRequest http_request;
  http_request.method = std::string(method);
  http_request.url = url.Origin() + url.path + (query.empty() ? "" : "?" + std::string(query));
  http_request.headers = std::move(request.headers);
  http_request.body = std::move(body);
  return transport_.Send(http_request);
}

Result<ObjectMetadata> S3Client::HeadObject(const AwsConnection& connection,
                                            const Credentials& credentials, std::string_view key) {
  if (key.empty()) {
    return InvalidArgument("object key is empty", "key");
  }
  // Without checksum mode, S3 leaves x-amz-checksum-sha256 out of the response.
  CUSTODY_ASSIGN_OR_RETURN(
      const HttpResponse response,
      Call(connection, credentials, "HEAD", key, "", {{"x-amz-checksum-mode", "ENABLED"}}, ""));
  if (response.status != 200) {
    return S3Error("HeadObject", response);
  }

  ObjectMetadata metadata;
  const std::optional<std::string> length = response.Header("Content-Length");
  if (!length || length->empty()) {
    return UpstreamFailed("HeadObject response has no Content-Length");
  }
  const char* const end = length->data() + length->size();
  const auto [parsed_end, error] = std::from_chars(length->data(), end, metadata.size);
  if (error != std::errc() || parsed_end != end) {
    return UpstreamFailed("HeadObject response has an invalid Content-Length: " + *length);
  }
  metadata.etag = Unquote(response.Header("ETag").value_or(""));
  metadata.sse = response.Header("x-amz-server-side-encryption").value_or("");
  metadata.kms_key_id = response.Header("x-amz-server-side-encryption-aws-kms-key-id").value_or("");
  metadata.checksum_sha256 = response.Header("x-amz-checksum-sha256");
  metadata.content_type = response.Header("Content-Type");
  metadata.version_id = response.Header("x-amz-version-id");
  return metadata;
}

Result<PutObjectResult> S3Client::PutObject(const AwsConnection& connection,
                                            const Credentials& credentials, std::string_view key,
                                            std::string_view body,
                                            const PutObjectOptions& options) {
  if (key.empty()) {
    return InvalidArgument("object key is empty", "key");
  }
  std::vector<std::pair<std::string, std::string>> headers;
  const crypto::Md5Digest md5 = crypto::Md5(body);
  // Object Lock requires Content-MD5 (or a flexible checksum) on every PUT.
  headers.emplace_back("Content-MD5", crypto::Base64Encode(std::span<const uint8_t>(md5)));
  if (options.checksum_sha256) {
    headers.emplace_back("x-amz-checksum-sha256", *options.checksum_sha256);
  }
  if (options.content_type) {
    headers.emplace_back("Content-Type", *options.content_type);
  }
  if (options.sse_kms) {
    headers.emplace_back("x-amz-server-side-encryption", "aws:kms");
    headers.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", connection.kms_key_id);
  }
  if (options.object_lock_mode.has_value() != options.object_lock_retain_until.has_value()) {
    return InvalidArgument("Object Lock needs both a mode and a retention date");
  }
  if (options.object_lock_mode) {
    if (*options.object_lock_mode != "COMPLIANCE" && *options.object_lock_mode != "GOVERNANCE") {
      return InvalidArgument("Object Lock mode must be COMPLIANCE or GOVERNANCE");
    }
    headers.emplace_back("x-amz-object-lock-mode", *options.object_lock_mode);
    headers.emplace_back("x-amz-object-lock-retain-until-date",
                         Iso8601(*options.object_lock_retain_until));
  }

  CUSTODY_ASSIGN_OR_RETURN(
      const HttpResponse response,
      Call(connection, credentials, "PUT", key, "", std::move(headers), std::string(body)));
  if (response.status != 200) {
    return S3Error("PutObject", response);
  }
  PutObjectResult result;
  result.etag = Unquote(response.Header("ETag").value_or(""));
  result.version_id = response.Header("x-amz-version-id");
  return result;
}

Status S3Client::CreateBucket(const AwsConnection& connection, const Credentials& credentials,
                              bool object_lock_enabled) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (object_lock_enabled) {
    headers.emplace_back("x-amz-bucket-object-lock-enabled", "true");
  }
  // us-east-1 is S3's default location and must not be named.
  std::string body;
  if (connection.region != "us-east-1") {
    body =
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<LocationConstraint>" +
        XmlEscape(connection.region) + "</LocationConstraint></CreateBucketConfiguration>";
  }
  CUSTODY_ASSIGN_OR_RETURN(const HttpResponse response, Call(connection, credentials, "PUT", "", "",
                                                             std::move(headers), std::move(body)));
  if (response.status != 200) {
    return S3Error("CreateBucket", response);
  }
  return Status::Ok();
}

Status S3Client::PutBucketCors(const AwsConnection& connection, const Credentials& credentials,
                               const std::vector<std::string>& allowed_origins) {
  std::string body = BucketCorsXml(allowed_origins);
  const crypto::Md5Digest md5 = crypto::Md5(body);
  CUSTODY_ASSIGN_OR_RETURN(
      const HttpResponse response,
      Call(connection, credentials, "PUT", "",
           "cors=", {{"Content-MD5", crypto::Base64Encode(std::span<const uint8_t>(md5))}},
           std::move(body)));
  if (response.status != 200) {
    return S3Error("PutBucketCors", response);
  }
  return Status::Ok();
}

std::string BucketCorsXml(const std::vector<std::string>& allowed_origins) {
  std::string out =
      "<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><CORSRule>";
  for (const std::string& origin : allowed_origins) {
    out += "<AllowedOrigin>" + XmlEscape(origin) + "</AllowedOrigin>";
  }
  for (std::string_view method : kCorsMethods) {
    out += "<AllowedMethod>" + std::string(method) + "</AllowedMethod>";
  }
  for (std::string_view header : kCorsAllowedHeaders) {
    out += "<AllowedHeader>" + std::string(header) + "</AllowedHeader>";
  }
  for (std::string_view header : kCorsExposedHeaders) {
    out += "<ExposeHeader>" + std::string(header) + "</ExposeHeader>";
  }
  out += "<MaxAgeSeconds>" + std::to_string(kCorsMaxAgeSeconds) + "</MaxAgeSeconds>";
  out += "</CORSRule></CORSConfiguration>";
  return out;
}

std::string BucketCorsJson(const std::vector<std::string>& allowed_origins) {
  return "{\"CORSRules\": [{\"AllowedOrigins\": " + JsonArray(allowed_origins) +
         ", \"AllowedMethods\": " + JsonArray(kCorsMethods) +
         ", \"AllowedHeaders\": " + JsonArray(kCorsAllowedHeaders) +
         ", \"ExposeHeaders\": " + JsonArray(kCorsExposedHeaders) +
         ", \"MaxAgeSeconds\": " + std::to_string(kCorsMaxAgeSeconds) + "}]}";
}

std::string BucketLifecycleJson(std::string_view key_prefix, int days) {
  return "{\"Rules\": [{\"ID\": \"abort-incomplete-custody-uploads\", \"Status\": \"Enabled\", "
         "\"Filter\": {\"Prefix\": " +
         JsonString(key_prefix) +
         "}, \"AbortIncompleteMultipartUpload\": {\"DaysAfterInitiation\": " +
         std::to_string(days) + "}}]}";
}

}  // namespace custody::aws
