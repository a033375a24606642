// S3Client calls on object versions, for the audit log's WORM export and its reconciler:
// GetObject, DeleteObject and PutObjectRetention.
#include <ctime>

#include "custody/aws/s3.h"
#include "custody/aws/sigv4.h"
#include "custody/aws/xml.h"
#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"

namespace custody::aws {
namespace {

constexpr size_t kMaxErrorText = 256;

// Maps an S3 error response to a Status as s3.cc does, with 405 as kNotFound: S3 responds to a
// GET of a delete marker's version id with 405 MethodNotAllowed.
Status VersionError(std::string_view operation, const HttpResponse& response) {
  std::string_view error = response.body;
  std::string_view inner;
  if (xml::FindElement(response.body, "Error", &inner) == xml::Lookup::kFound) {
    error = inner;
  }
  const std::string code = xml::TextOrEmpty(error, "Code", kMaxErrorText);
  const std::string message = xml::TextOrEmpty(error, "Message", kMaxErrorText);
  std::string text =
      std::string(operation) + " failed with HTTP " + std::to_string(response.status);
  if (!code.empty()) {
    text += " " + code;
  }
  if (!message.empty()) {
    text += ": " + message;
  }
  if (response.status == 404 || response.status == 405) {
    return NotFound(text);
  }
  if (response.status >= 500 || code == "SlowDown") {
    return Unavailable(text);
  }
  return UpstreamFailed(text);
}

std::string VersionQuery(const std::optional<std::string>& version_id) {
  if (!version_id) {
    return {};
  }
  return "versionId=" + sigv4::UriEncode(*version_id, /*encode_slash=*/true);
}

std::string Unquote(std::string value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    return value.substr(1, value.size() - 2);
  }
  return value;
}

std::string Iso8601(SystemTime time) {
  const std::time_t seconds = static_cast<std::time_t>(ToUnixSeconds(time));
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

}  // namespace

Result<GetObjectResult> S3Client::GetObject(const AwsConnection& connection,
                                            const Credentials& credentials, std::string_view key,
                                            const std::optional<std::string>& version_id) {
  if (key.empty()) {
    return InvalidArgument("object key is empty", "key");
  }
  CUSTODY_ASSIGN_OR_RETURN(const HttpResponse response, Call(connection, credentials, "GET", key,
                                                             VersionQuery(version_id), {}, ""));
  if (response.status != 200) {
    return VersionError("GetObject", response);
  }
  GetObjectResult result;
  result.body = response.body;
  result.etag = Unquote(response.Header("ETag").value_or(""));
  result.version_id = response.Header("x-amz-version-id");
  result.object_lock_mode = response.Header("x-amz-object-lock-mode");
  result.object_lock_retain_until = response.Header("x-amz-object-lock-retain-until-date");
  return result;
}

Status S3Client::DeleteObject(const AwsConnection& connection, const Credentials& credentials,
                              std::string_view key, const std::optional<std::string>& version_id) {
  if (key.empty()) {
    return InvalidArgument("object key is empty", "key");
  }
  CUSTODY_ASSIGN_OR_RETURN(const HttpResponse response, Call(connection, credentials, "DELETE", key,
                                                             VersionQuery(version_id), {}, ""));
  if (response.status != 204 && response.status != 200) {
    return VersionError("DeleteObject", response);
  }
  return Status::Ok();
}

Status S3Client::PutObjectRetention(const AwsConnection& connection, const Credentials& credentials,
                                    std::string_view key, std::string_view version_id,
                                    std::string_view mode, SystemTime retain_until) {
  if (key.empty()) {
    return InvalidArgument("object key is empty", "key");
  }
  if (mode != "COMPLIANCE" && mode != "GOVERNANCE") {
    return InvalidArgument("Object Lock mode must be COMPLIANCE or GOVERNANCE");
  }
  std::string body = "<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>" +
                     std::string(mode) + "</Mode><RetainUntilDate>" + Iso8601(retain_until) +
                     "</RetainUntilDate></Retention>";
  const crypto::Md5Digest md5 = crypto::Md5(body);
  std::string query = "retention=";
  if (!version_id.empty()) {
    query += "&" + VersionQuery(std::string(version_id));
  }
  CUSTODY_ASSIGN_OR_RETURN(
      const HttpResponse response,
      Call(connection, credentials, "PUT", key, query,
           {{"Content-MD5", crypto::Base64Encode(std::span<const uint8_t>(md5))}},
           std::move(body)));
  if (response.status != 200) {
    return VersionError("PutObjectRetention", response);
  }
  return Status::Ok();
}

}  // namespace custody::aws
