#include "custody/aws/connection.h"

#include <array>
#include <vector>

#include "custody/aws/sigv4.h"
#include "custody/crypto/random.h"

namespace custody::aws {
namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

bool IsLowerHex(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f');
}

bool IsLowerAlnum(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z');
}

bool IsAlnum(char c) {
  return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z');
}

// IAM's character set for role names and STS's for ExternalId and session names: [\w+=,.@-].
bool IsIamNameChar(char c) {
  return IsAlnum(c) || c == '_' || c == '+' || c == '=' || c == ',' || c == '.' || c == '@' ||
         c == '-';
}

template <typename Predicate>
bool AllOf(std::string_view text, Predicate predicate) {
  for (char c : text) {
    if (!predicate(c)) {
      return false;
    }
  }
  return true;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool IsPartition(std::string_view partition) {
  return partition == "aws" || partition == "aws-cn" || partition == "aws-us-gov";
}

bool IsAccountId(std::string_view account) {
  return account.size() == 12 && AllOf(account, IsDigit);
}

// 8-4-4-4-12 lowercase hex, as KMS key ids are.
bool IsKeyUuid(std::string_view id) {
  static constexpr std::array<size_t, 5> kGroups = {8, 4, 4, 4, 12};
  const std::vector<std::string_view> groups = Split(id, '-');
  if (groups.size() != kGroups.size()) {
    return false;
  }
  for (size_t i = 0; i < groups.size(); ++i) {
    if (groups[i].size() != kGroups[i] || !AllOf(groups[i], IsLowerHex)) {
      return false;
    }
  }
  return true;
}

bool IsKmsKeyId(std::string_view id) {
  if (StartsWith(id, "mrk-")) {
    return id.size() == 36 && AllOf(id.substr(4), IsLowerHex);
  }
  return IsKeyUuid(id);
}

// AWS region names: "us-east-1", "ap-southeast-3", "us-gov-west-1".
bool IsAwsRegion(std::string_view region) {
  const std::vector<std::string_view> parts = Split(region, '-');
  if (parts.size() < 3 || parts.front().size() != 2) {
    return false;
  }
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i].empty() || !AllOf(parts[i], [](char c) { return c >= 'a' && c <= 'z'; })) {
      return false;
    }
  }
  const std::string_view number = parts.back();
  return !number.empty() && number.size() <= 2 && AllOf(number, IsDigit);
}

Status FieldError(std::string message, std::string field) {
  return InvalidArgument(std::move(message), std::move(field));
}

Status ValidateRoleArn(std::string_view arn, bool custom_endpoint) {
  constexpr std::string_view kField = "/role_arn";
  constexpr std::string_view kShape = "expected arn:aws:iam::ACCOUNT_ID:role/NAME";

  if (arn.size() > 2048) {
    return FieldError("role ARN is longer than 2048 characters", std::string(kField));
  }
  const std::vector<std::string_view> parts = Split(arn, ':');
  if (parts.size() != 6 || parts[0] != "arn" || !IsPartition(parts[1]) || parts[2] != "iam" ||
      !parts[3].empty() || !StartsWith(parts[5], "role/")) {
    return FieldError("invalid role ARN: " + std::string(kShape), std::string(kField));
  }

  const std::string_view account = parts[4];
  // Ceph RGW's role ARNs have an empty account or a tenant name in its place.
  const bool account_ok = IsAccountId(account) ||
                          (custom_endpoint && account.size() <= 64 && AllOf(account, [](char c) {
                             return IsAlnum(c) || c == '_' || c == '-';
                           }));
  if (!account_ok) {
    return FieldError("invalid account id in role ARN: expected 12 digits", std::string(kField));
  }

  const std::vector<std::string_view> segments = Split(parts[5].substr(5), '/');
  for (std::string_view segment : segments) {
    if (segment.empty() || !AllOf(segment, IsIamNameChar)) {
      return FieldError("invalid role name or path in role ARN: use letters, digits and +=,.@_-",
                        std::string(kField));
    }
  }
  if (segments.back().size() > 64) {
    return FieldError("role name in role ARN is longer than 64 characters", std::string(kField));
  }
  return Status::Ok();
}

Status ValidateExternalId(std::string_view external_id) {
  constexpr std::string_view kField = "/external_id";
  if (external_id.size() < kMinExternalIdLength) {
    return FieldError("external id is missing or shorter than 32 characters", std::string(kField));
  }
  // STS's limit and character set for ExternalId.
  if (external_id.size() > 1224 ||
      !AllOf(external_id, [](char c) { return IsIamNameChar(c) || c == ':' || c == '/'; })) {
    return FieldError("invalid external id", std::string(kField));
  }
  return Status::Ok();
}

// S3's bucket naming rules for general purpose buckets.
Status ValidateBucket(std::string_view bucket, bool custom_endpoint) {
  constexpr std::string_view kField = "/bucket";
  if (bucket.size() < 3 || bucket.size() > 63) {
    return FieldError("bucket name must be 3 to 63 characters long", std::string(kField));
  }
  if (!AllOf(bucket, [](char c) { return IsLowerAlnum(c) || c == '-' || c == '.'; }) ||
      !IsLowerAlnum(bucket.front()) || !IsLowerAlnum(bucket.back()) ||
      bucket.find("..") != std::string_view::npos) {
    return FieldError(
        "invalid bucket name: use lowercase letters, digits, '-' and '.', starting and ending "
        "with a letter or digit",
        std::string(kField));
  }
  if (AllOf(bucket, [](char c) { return IsDigit(c) || c == '.'; })) {
    return FieldError("bucket name must not look like an IP address", std::string(kField));
  }
  for (std::string_view prefix : {"xn--", "sthree-", "amzn-s3-demo-"}) {
    if (StartsWith(bucket, prefix)) {
      return FieldError("bucket name must not start with " + std::string(prefix),
                        std::string(kField));
    }
  }
  for (std::string_view suffix : {"-s3alias", "--ol-s3", ".mrap", "--x-s3"}) {
    if (EndsWith(bucket, suffix)) {
      return FieldError("bucket name must not end with " + std::string(suffix),
                        std::string(kField));
    }
  }
  // A dot makes BUCKET.s3.REGION.amazonaws.com fail TLS name checks against the wildcard
  // certificate, and virtual-hosted addressing is the only one Custody uses on AWS.
  if (!custom_endpoint && bucket.find('.') != std::string_view::npos) {
    return FieldError(
        "bucket names with '.' cannot be reached over HTTPS; use a bucket without dots",
        std::string(kField));
  }
  return Status::Ok();
}

Status ValidateRegion(std::string_view region, bool custom_endpoint) {
  if (IsAwsRegion(region)) {
    return Status::Ok();
  }
  if (custom_endpoint && !region.empty() && region.size() <= 64 &&
      AllOf(region, [](char c) { return IsLowerAlnum(c) || c == '-' || c == '_'; })) {
    return Status::Ok();
  }
  return FieldError("invalid region: expected a name such as eu-west-1", "/region");
}

Status ValidateKmsKeyId(std::string_view key, std::string_view region, bool custom_endpoint) {
  constexpr std::string_view kField = "/kms_key_id";
  if (IsKmsKeyId(key)) {
    return Status::Ok();
  }
  if (StartsWith(key, "arn:")) {
    const std::vector<std::string_view> parts = Split(key, ':');
    if (parts.size() != 6 || !IsPartition(parts[1]) || parts[2] != "kms" ||
        !IsAwsRegion(parts[3]) || !IsAccountId(parts[4]) || !StartsWith(parts[5], "key/") ||
        !IsKmsKeyId(parts[5].substr(4))) {
      return FieldError("invalid KMS key ARN: expected arn:aws:kms:REGION:ACCOUNT_ID:key/KEY_ID",
                        std::string(kField));
    }
    // SSE-KMS needs the key in the bucket's region (multi-Region keys have a replica there).
    if (parts[3] != region && !StartsWith(parts[5], "key/mrk-")) {
      return FieldError("KMS key is in region " + std::string(parts[3]) +
                            ", but the bucket is in " + std::string(region),
                        std::string(kField));
    }
    return Status::Ok();
  }
  // Ceph RGW names its keys freely ("testkey-1").
  if (custom_endpoint && !key.empty() && key.size() <= 256 &&
      AllOf(key, [](char c) { return IsAlnum(c) || c == '-' || c == '_'; })) {
    return Status::Ok();
  }
  return FieldError(
      "invalid KMS key: expected a key id (1234abcd-12ab-34cd-56ef-1234567890ab) or a key ARN; "
      "aliases are not accepted because an alias can be pointed at another key",
      std::string(kField));
}

Status ValidateKeyPrefix(std::string_view prefix) {
  constexpr std::string_view kField = "/key_prefix";
  if (prefix.empty()) {
    return Status::Ok();
  }
  if (prefix.size() > 256) {
    return FieldError("key prefix is longer than 256 characters", std::string(kField));
  }
  // S3's "safe characters" for object keys.
  const auto is_safe = [](char c) {
    return IsAlnum(c) || c == '!' || c == '-' || c == '_' || c == '.' || c == '*' || c == '\'' ||
           c == '(' || c == ')' || c == '/';
  };
  if (!AllOf(prefix, is_safe)) {
    return FieldError("key prefix may contain only letters, digits, '/' and !-_.*'()",
                      std::string(kField));
  }
  if (prefix.back() != '/' || prefix.front() == '/') {
    return FieldError("key prefix must end with '/' and must not start with '/'",
                      std::string(kField));
  }
  const std::vector<std::string_view> segments = Split(prefix.substr(0, prefix.size() - 1), '/');
  for (std::string_view segment : segments) {
    if (segment.empty() || segment == "." || segment == "..") {
      return FieldError("key prefix must not contain empty, '.' or '..' segments",
                        std::string(kField));
    }
  }
  return Status::Ok();
}

}  // namespace

Status ValidateEndpoint(std::string_view endpoint, bool allow_insecure_loopback) {
  constexpr std::string_view kField = "/endpoint";
  const Result<Url> url = ParseUrl(endpoint);
  if (!url.ok()) {
    return FieldError(url.status().message(), std::string(kField));
  }
  if (url->has_query) {
    return FieldError("endpoint must not contain a query", std::string(kField));
  }
  if (url->path != "/") {
    return FieldError("endpoint must not contain a path", std::string(kField));
  }
  if (url->scheme == "https") {
    return Status::Ok();
  }
  if (!allow_insecure_loopback) {
    return FieldError("endpoint must use https://", std::string(kField));
  }
  if (!IsLoopbackHost(url->host)) {
    return FieldError("http:// endpoints are allowed only on 127.0.0.0/8, ::1 or localhost",
                      std::string(kField));
  }
  return Status::Ok();
}

Status ValidateConnection(const AwsConnection& connection, bool allow_insecure_loopback) {
  const bool custom_endpoint = connection.endpoint.has_value();
  CUSTODY_RETURN_IF_ERROR(ValidateRoleArn(connection.role_arn, custom_endpoint));
  CUSTODY_RETURN_IF_ERROR(ValidateExternalId(connection.external_id));
  CUSTODY_RETURN_IF_ERROR(ValidateBucket(connection.bucket, custom_endpoint));
  CUSTODY_RETURN_IF_ERROR(ValidateRegion(connection.region, custom_endpoint));
  CUSTODY_RETURN_IF_ERROR(
      ValidateKmsKeyId(connection.kms_key_id, connection.region, custom_endpoint));
  CUSTODY_RETURN_IF_ERROR(ValidateKeyPrefix(connection.key_prefix));
  if (custom_endpoint) {
    CUSTODY_RETURN_IF_ERROR(ValidateEndpoint(*connection.endpoint, allow_insecure_loopback));
  }
  return Status::Ok();
}

std::string GenerateExternalId() {
  return crypto::RandomAlphanumeric(kGeneratedExternalIdLength);
}

std::string BucketUrl(const AwsConnection& connection) {
  if (connection.endpoint) {
    const Result<Url> url = ParseUrl(*connection.endpoint);
    const std::string origin = url.ok() ? url->Origin() : *connection.endpoint;
    return origin + "/" + connection.bucket;
  }
  const std::string_view domain =
      StartsWith(connection.region, "cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return "https://" + connection.bucket + ".s3." + connection.region + "." + std::string(domain);
}

std::string ObjectUrl(const AwsConnection& connection, std::string_view key) {
  return BucketUrl(connection) + "/" + sigv4::EncodeS3KeyPath(key);
}

}  // namespace custody::aws
