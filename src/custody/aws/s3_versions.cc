// S3Client calls on object versions, for the audit log's WORM export and its reconciler:
// GetObject, DeleteObject and PutObjectRetention.
#include "custody/aws/s3.h"
#include "custody/aws/s3_response.h"
#include "custody/aws/sigv4.h"
#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"

namespace custody::aws {
namespace {

using internal::Iso8601;
using internal::Unquote;

// S3 returns 405 MethodNotAllowed for a GET of a delete marker's version id.
Status VersionError(std::string_view operation, const HttpResponse& response) {
  return internal::S3ErrorStatus(operation, response, /*not_found_on_405=*/true);
}

std::string VersionQuery(const std::optional<std::string>& version_id) {
  if (!version_id) {
    return {};
  }
  return "versionId=" + sigv4::UriEncode(*version_id, /*encode_slash=*/true);
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
