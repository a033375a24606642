// Signed S3 calls that Custody makes itself. HEAD confirms an upload from metadata alone, so
// the server never reads evidence bytes. Bucket setup and PutObject serve tests and the audit
// log's WORM export.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/aws/connection.h"
#include "custody/aws/credentials.h"
#include "custody/aws/http_transport.h"
#include "custody/common/clock.h"
#include "custody/common/status.h"

namespace custody::aws {

struct ObjectMetadata {
  uint64_t size = 0;
  std::string etag;        // without the quotes
  std::string sse;         // x-amz-server-side-encryption: "aws:kms", "AES256", or empty
  std::string kms_key_id;  // AWS returns the key ARN; Ceph RGW the id as sent
  std::optional<std::string> checksum_sha256;  // base64, when the store keeps checksums
  std::optional<std::string> content_type;
  std::optional<std::string> version_id;
};

// True when the key id or ARN an object reports is the connection's key, which may be given
// as a key id while S3 reports the key ARN.
bool KmsKeyMatches(std::string_view configured, std::string_view reported);

struct S3Options {
  // Allows an http:// endpoint on a loopback address (tests against a local store).
  bool allow_insecure_loopback = false;
};

struct PutObjectOptions {
  std::optional<std::string> content_type;
  bool sse_kms = true;  // encrypt with the connection's KMS key
  // S3 Object Lock: "COMPLIANCE" or "GOVERNANCE", with the retention end. The bucket must
  // have been created with Object Lock.
  std::optional<std::string> object_lock_mode;
  std::optional<SystemTime> object_lock_retain_until;
  // Base64 SHA-256 of the body, sent as x-amz-checksum-sha256 so that S3 rejects other bytes.
  // Content-MD5 is always sent too, because Ceph RGW 16 ignores flexible checksums.
  std::optional<std::string> checksum_sha256;
};

// An object's bytes and the headers the WORM reconciler checks (s3_versions.cc).
struct GetObjectResult {
  std::string body;
  std::string etag;  // without the quotes
  std::optional<std::string> version_id;
  std::optional<std::string> object_lock_mode;
  std::optional<std::string> object_lock_retain_until;  // ISO 8601, as S3 sent it
};

struct PutObjectResult {
  std::string etag;
  std::optional<std::string> version_id;
};

// One part of a multipart upload as ListParts reports it.
struct UploadedPart {
  int part_number = 0;
  uint64_t size = 0;
  std::string etag;  // without the quotes
};

// A part to assemble in CompleteMultipartUpload: its number and the ETag S3 reported for it.
struct CompletedPart {
  int part_number = 0;
  std::string etag;
};

class S3Client {
 public:
  S3Client(HttpTransport& transport, const Clock& clock, S3Options options = {});

  // 404 returns kNotFound; other 4xx kUpstreamFailed; 5xx and connection failures
  // kUnavailable.
  Result<ObjectMetadata> HeadObject(const AwsConnection& connection, const Credentials& credentials,
                                    std::string_view key);

  Result<PutObjectResult> PutObject(const AwsConnection& connection, const Credentials& credentials,
                                    std::string_view key, std::string_view body,
                                    const PutObjectOptions& options = {});

  Status CreateBucket(const AwsConnection& connection, const Credentials& credentials,
                      bool object_lock_enabled = false);

  // Reads the object, or exactly one version of it. A missing key or version (404) returns
  // kNotFound, and so does a version that is a delete marker (405 on GET by version id).
  Result<GetObjectResult> GetObject(const AwsConnection& connection, const Credentials& credentials,
                                    std::string_view key,
                                    const std::optional<std::string>& version_id = std::nullopt);

  // Deletes one version, or without `version_id` adds a delete marker (in a versioned
  // bucket) or removes the object (in an unversioned one). Object Lock makes S3 reject the
  // deletion of a locked version: kUpstreamFailed with S3's AccessDenied.
  Status DeleteObject(const AwsConnection& connection, const Credentials& credentials,
                      std::string_view key,
                      const std::optional<std::string>& version_id = std::nullopt);

  // Sets the Object Lock retention of one version (PutObjectRetention). In COMPLIANCE mode S3
  // rejects a retain-until date earlier than the current one.
  Status PutObjectRetention(const AwsConnection& connection, const Credentials& credentials,
                            std::string_view key, std::string_view version_id,
                            std::string_view mode, SystemTime retain_until);

  // Starts a multipart upload of `key`, encrypted with SSE-KMS under the connection's key, and
  // returns its upload id. Sends no object bytes.
  Result<std::string> CreateMultipartUpload(const AwsConnection& connection,
                                            const Credentials& credentials, std::string_view key,
                                            const std::optional<std::string>& content_type);

  // Lists every part uploaded so far, in part-number order, following NextPartNumberMarker
  // through all pages. An unknown upload id (S3's NoSuchUpload, also after completion or
  // abort) is kNotFound.
  Result<std::vector<UploadedPart>> ListParts(const AwsConnection& connection,
                                              const Credentials& credentials, std::string_view key,
                                              std::string_view upload_id);

  // Assembles the object from `parts` (ascending part numbers) and returns its ETag. The ETag
  // may be empty, because Ceph RGW 16 sends an empty one; HEAD reports the real ETag. S3 may
  // return 200 and still fail, with an <Error> document in the body, which is an error here too
  // (kUnavailable for InternalError and SlowDown, else kUpstreamFailed). NoSuchUpload is
  // kNotFound.
  Result<std::string> CompleteMultipartUpload(const AwsConnection& connection,
                                              const Credentials& credentials, std::string_view key,
                                              std::string_view upload_id,
                                              const std::vector<CompletedPart>& parts);

  // Discards the upload and its parts. NoSuchUpload is kNotFound.
  Status AbortMultipartUpload(const AwsConnection& connection, const Credentials& credentials,
                              std::string_view key, std::string_view upload_id);

  // Allows browsers on `allowed_origins` to PUT and GET through presigned URLs
  // (BucketCorsXml).
  Status PutBucketCors(const AwsConnection& connection, const Credentials& credentials,
                       const std::vector<std::string>& allowed_origins);

 private:
  Result<HttpResponse> Call(const AwsConnection& connection, const Credentials& credentials,
                            std::string_view method, std::string_view key, std::string_view query,
                            std::vector<std::pair<std::string, std::string>> headers,
                            std::string body);

  HttpTransport& transport_;
  const Clock& clock_;
  S3Options options_;
};

// The bucket CORS rules browsers need for Custody's presigned uploads and downloads, as the
// PutBucketCors XML document and as the JSON the S3 console and `aws s3api
// put-bucket-cors --cors-configuration` take.
std::string BucketCorsXml(const std::vector<std::string>& allowed_origins);
std::string BucketCorsJson(const std::vector<std::string>& allowed_origins);

// Days after which the recommended lifecycle rule aborts an unfinished multipart upload, which
// otherwise keeps its parts, and their storage cost, in the bucket.
inline constexpr int kAbortIncompleteUploadDays = 7;

// The lifecycle rule that aborts multipart uploads under `key_prefix` that are still unfinished
// after `days`, as the JSON `aws s3api put-bucket-lifecycle-configuration
// --lifecycle-configuration` takes.
std::string BucketLifecycleJson(std::string_view key_prefix, int days = kAbortIncompleteUploadDays);

}  // namespace custody::aws
