// Calls to custodyd's /api/v1 (docs/api.md) as one API token, over an HttpTransport.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "custody/aws/http_transport.h"
#include "custody/common/secret.h"
#include "custody/common/status.h"

namespace custody::cli {

// Each resource keeps the object exactly as the server sent it in `json`, for `ls --json`.
struct Entity {
  std::string id;
  std::string name;
  std::string kind;
  std::string parent_id;  // empty for the root entity
  std::string created_at;
  std::string json;
};

struct EvidenceItem {
  std::string id;
  std::string entity_id;
  std::string title;
  std::string created_at;
  std::string created_by;
  // A short description of latest_version ("3 stored", an id, or empty when there is none).
  std::string latest_version;
  std::string json;
};

struct Version {
  std::string id;
  std::string evidence_id;
  int64_t number = 0;
  std::string file_name;
  std::string media_type;
  uint64_t size = 0;
  std::string sha256;
  std::string status;  // "pending" or "stored"
  std::string failure_reason;
  std::string created_at;
  std::string json;
};

// A presigned S3 request: the client sends exactly `headers` to `url` with `method`.
struct PresignedTransfer {
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string expires_at;
};

struct VersionRequest {
  std::string file_name;
  uint64_t size = 0;
  std::string sha256_hex;
  std::string md5_hex;
  std::string media_type;
  // A multipart upload sets both: the size of every part but the last, and each part's MD5.
  uint64_t part_size = 0;
  std::vector<std::string> part_md5s = {};
};

struct NewVersion {
  Version version;
  PresignedTransfer upload;  // empty for a multipart upload
  uint64_t part_size = 0;    // above 0 for a multipart upload, whose parts need PartUrls
};

// The presigned UploadPart of one part of a multipart upload.
struct PartTransfer {
  int part_number = 0;
  PresignedTransfer transfer;
};

// The state of a multipart upload: its part layout and the parts S3 has with their declared
// size.
struct MultipartState {
  uint64_t part_size = 0;
  uint64_t part_count = 0;
  std::vector<int> uploaded;  // part numbers, ascending
};

// The server's error in an HTTP error response, mapped onto ErrorCode by HTTP status (400
// kInvalidArgument, 401 kUnauthenticated, 403 kPermissionDenied, 404 kNotFound, ...). The
// message is the problem's `detail` (else its `title`, else the status line), made safe for a
// terminal; the field is the problem's `field`.
Status StatusFromProblem(const aws::HttpResponse& response);

// True when `id` can be put into a URL path as it is: 1 to 128 characters of [A-Za-z0-9_-].
// Identifiers stay opaque; this only keeps '/', '.', '%' and '?' out of request paths.
bool IsPathSafeId(std::string_view id);

class ApiClient {
 public:
  // `server_url` as NormalizeServerUrl returns it. The transport must outlive the client.
  ApiClient(aws::HttpTransport& transport, std::string server_url, Secret token);

  // Lists follow next_cursor until the last page.
  Result<std::vector<Entity>> ListEntities();
  Result<std::vector<EvidenceItem>> ListEvidence(std::string_view entity_id);
  Result<std::vector<Version>> ListVersions(std::string_view evidence_id);

  Result<EvidenceItem> GetEvidence(std::string_view evidence_id);
  Result<EvidenceItem> CreateEvidence(std::string_view entity_id, std::string_view title);

  Result<NewVersion> CreateVersion(std::string_view evidence_id, const VersionRequest& request);

  // A fresh presigned PUT for a pending version, through the optional upload-url endpoint.
  // Returns nullopt when the server returns 404 or 405: a server without the endpoint and a
  // version that no longer exists look the same, and either way the caller creates a new
  // version instead.
  Result<std::optional<PresignedTransfer>> RefreshUploadUrl(std::string_view evidence_id,
                                                            std::string_view version_id);

  Result<Version> CompleteVersion(std::string_view evidence_id, std::string_view version_id);

  // Presigned UploadPart requests for up to 100 parts of a pending multipart version.
  Result<std::vector<PartTransfer>> PartUrls(std::string_view evidence_id,
                                             std::string_view version_id,
                                             const std::vector<int>& part_numbers);

  // The part layout of a pending multipart version and the parts S3 already has.
  Result<MultipartState> UploadedParts(std::string_view evidence_id, std::string_view version_id);

  Result<PresignedTransfer> CreateDownload(std::string_view evidence_id,
                                           std::string_view version_id);

  // Sends a request to `path_and_query` under /api/v1 and returns the body of a 2xx response,
  // for endpoints without a typed method here (the audit commands build their own).
  // `http_status`, when not null, receives the response's status.
  Result<std::string> Request(std::string_view method, const std::string& path_and_query,
                              const std::optional<std::string>& json_body = std::nullopt,
                              int* http_status = nullptr) {
    return Call(method, path_and_query, json_body, http_status);
  }

  const std::string& server_url() const { return server_url_; }

 private:
  // Sends one API request and returns the body of a 2xx response, or the problem as a Status.
  Result<std::string> Call(std::string_view method, const std::string& path,
                           const std::optional<std::string>& json_body, int* http_status = nullptr);

  // GETs every page of a list endpoint and returns the raw JSON text of each item.
  Result<std::vector<std::string>> ListAll(const std::string& path);

  aws::HttpTransport& transport_;
  std::string server_url_;
  Secret token_;
};

}  // namespace custody::cli
