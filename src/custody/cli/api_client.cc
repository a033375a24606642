#include "custody/cli/api_client.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "custody/cli/terminal.h"

namespace custody::cli {
namespace {

using nlohmann::json;

constexpr std::string_view kApiPrefix = "/api/v1";
constexpr int kPageLimit = 200;
// 10,000 pages of 200 items: far beyond any real list, and a bound if a server never ends one.
constexpr int kMaxPages = 10000;

ErrorCode CodeForHttpStatus(int status) {
  switch (status) {
    case 400:
      return ErrorCode::kInvalidArgument;
    case 401:
      return ErrorCode::kUnauthenticated;
    case 403:
      return ErrorCode::kPermissionDenied;
    case 404:
      return ErrorCode::kNotFound;
    case 409:
      return ErrorCode::kConflict;
    case 413:
      return ErrorCode::kPayloadTooLarge;
    case 415:
      return ErrorCode::kUnsupportedMediaType;
    case 502:
      return ErrorCode::kUpstreamFailed;
    case 503:
      return ErrorCode::kUnavailable;
    case 504:
      return ErrorCode::kDeadlineExceeded;
    default:
      return ErrorCode::kInternal;
  }
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0F]);
    }
  }
  return out;
}

Status UnexpectedResponse(std::string_view problem) {
  return Internal("unexpected response from the Custody server: " + std::string(problem));
}

Result<json> ParseObject(std::string_view body) {
  json document = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!document.is_object()) {
    return UnexpectedResponse("the body is not a JSON object");
  }
  return document;
}

// The string at `key`, or empty when it is absent or null.
std::string OptionalString(const json& object, std::string_view key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) {
    return {};
  }
  return it->get<std::string>();
}

Result<std::string> RequiredString(const json& object, std::string_view key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return UnexpectedResponse("missing string \"" + std::string(key) + "\"");
  }
  return it->get<std::string>();
}

Result<Entity> ParseEntity(const json& object) {
  if (!object.is_object()) {
    return UnexpectedResponse("an entity is not a JSON object");
  }
  Entity entity;
  CUSTODY_ASSIGN_OR_RETURN(entity.id, RequiredString(object, "id"));
  entity.name = OptionalString(object, "name");
  entity.kind = OptionalString(object, "kind");
  entity.parent_id = OptionalString(object, "parent_id");
  entity.created_at = OptionalString(object, "created_at");
  entity.json = object.dump();
  return entity;
}

std::string DescribeLatestVersion(const json& object) {
  const auto it = object.find("latest_version");
  if (it == object.end() || it->is_null()) {
    return {};
  }
  if (it->is_string()) {
    return it->get<std::string>();
  }
  if (it->is_object()) {
    std::string text;
    const auto number = it->find("number");
    if (number != it->end() && number->is_number_integer()) {
      text = "#" + std::to_string(number->get<int64_t>());
    }
    const std::string status = OptionalString(*it, "status");
    if (!status.empty()) {
      text += text.empty() ? status : " " + status;
    }
    return text.empty() ? OptionalString(*it, "id") : text;
  }
  return {};
}

Result<EvidenceItem> ParseEvidence(const json& object) {
  if (!object.is_object()) {
    return UnexpectedResponse("an evidence item is not a JSON object");
  }
  EvidenceItem item;
  CUSTODY_ASSIGN_OR_RETURN(item.id, RequiredString(object, "id"));
  item.entity_id = OptionalString(object, "entity_id");
  item.title = OptionalString(object, "title");
  item.created_at = OptionalString(object, "created_at");
  item.created_by = OptionalString(object, "created_by");
  item.latest_version = DescribeLatestVersion(object);
  item.json = object.dump();
  return item;
}

Result<Version> ParseVersion(const json& object) {
  if (!object.is_object()) {
    return UnexpectedResponse("a version is not a JSON object");
  }
  Version version;
  CUSTODY_ASSIGN_OR_RETURN(version.id, RequiredString(object, "id"));
  version.evidence_id = OptionalString(object, "evidence_id");
  const auto number = object.find("number");
  if (number != object.end() && number->is_number_integer()) {
    version.number = number->get<int64_t>();
  }
  version.file_name = OptionalString(object, "file_name");
  version.media_type = OptionalString(object, "media_type");
  const auto size = object.find("size");
  if (size != object.end() && size->is_number_unsigned()) {
    version.size = size->get<uint64_t>();
  }
  version.sha256 = OptionalString(object, "sha256");
  CUSTODY_ASSIGN_OR_RETURN(version.status, RequiredString(object, "status"));
  version.failure_reason = OptionalString(object, "failure_reason");
  version.created_at = OptionalString(object, "created_at");
  version.json = object.dump();
  return version;
}

Result<PresignedTransfer> ParseTransfer(const json& object, std::string_view expected_method) {
  if (!object.is_object()) {
    return UnexpectedResponse("the presigned request is not a JSON object");
  }
  PresignedTransfer transfer;
  CUSTODY_ASSIGN_OR_RETURN(transfer.method, RequiredString(object, "method"));
  CUSTODY_ASSIGN_OR_RETURN(transfer.url, RequiredString(object, "url"));
  transfer.expires_at = OptionalString(object, "expires_at");
  if (transfer.method != expected_method) {
    return UnexpectedResponse("the presigned request has method " + transfer.method +
                              ", expected " + std::string(expected_method));
  }
  const auto headers = object.find("headers");
  if (headers != object.end() && !headers->is_null()) {
    if (!headers->is_object()) {
      return UnexpectedResponse("the presigned request's headers are not a JSON object");
    }
    for (const auto& [name, value] : headers->items()) {
      if (!value.is_string()) {
        return UnexpectedResponse("the presigned request's header " + name + " is not a string");
      }
      transfer.headers.emplace_back(name, value.get<std::string>());
    }
  }
  return transfer;
}

}  // namespace

Status StatusFromProblem(const aws::HttpResponse& response) {
  const ErrorCode code = CodeForHttpStatus(response.status);
  std::string message;
  std::string field;
  const std::string content_type = response.Header("Content-Type").value_or("");
  if (content_type.find("json") != std::string::npos) {
    const json problem = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    if (problem.is_object()) {
      message = OptionalString(problem, "detail");
      if (message.empty()) {
        message = OptionalString(problem, "title");
      }
      field = OptionalString(problem, "field");
    }
  }
  if (message.empty()) {
    message = "the Custody server returned HTTP " + std::to_string(response.status);
  }
  return Status(code, SanitizeForTerminal(message), SanitizeForTerminal(field));
}

bool IsPathSafeId(std::string_view id) {
  if (id.empty() || id.size() > 128) {
    return false;
  }
  for (const char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

ApiClient::ApiClient(aws::HttpTransport& transport, std::string server_url, Secret token)
    : transport_(transport), server_url_(std::move(server_url)), token_(std::move(token)) {}

Result<std::string> ApiClient::Call(std::string_view method, const std::string& path,
                                    const std::optional<std::string>& json_body, int* http_status) {
  aws::HttpRequest request;
  request.method = std::string(method);
  request.url = server_url_ + std::string(kApiPrefix) + path;
  request.headers.emplace_back("Authorization", "Bearer " + token_.Reveal());
  request.headers.emplace_back("Accept", "application/json");
  if (json_body) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = *json_body;
  }

  Result<aws::HttpResponse> response = transport_.Send(request);
  if (!response.ok()) {
    return response.status().WithContext("calling the Custody server");
  }
  if (http_status != nullptr) {
    *http_status = response->status;
  }
  if (response->status < 200 || response->status >= 300) {
    return StatusFromProblem(*response);
  }
  return std::move(response->body);
}

Result<std::vector<std::string>> ApiClient::ListAll(const std::string& path) {
  std::vector<std::string> items;
  std::set<std::string> seen_cursors;
  std::string cursor;
  for (int page = 0; page < kMaxPages; ++page) {
    std::string target = path + "?limit=" + std::to_string(kPageLimit);
    if (!cursor.empty()) {
      target += "&after=" + PercentEncode(cursor);
    }
    CUSTODY_ASSIGN_OR_RETURN(const std::string body, Call("GET", target, std::nullopt));
    CUSTODY_ASSIGN_OR_RETURN(const json document, ParseObject(body));
    const auto page_items = document.find("items");
    if (page_items == document.end() || !page_items->is_array()) {
      return UnexpectedResponse("a list without an \"items\" array");
    }
    for (const json& item : *page_items) {
      items.push_back(item.dump());
    }
    cursor = OptionalString(document, "next_cursor");
    if (cursor.empty()) {
      return items;
    }
    if (!seen_cursors.insert(cursor).second) {
      return UnexpectedResponse("a list repeated the cursor of an earlier page");
    }
  }
  return UnexpectedResponse("a list with more than " + std::to_string(kMaxPages) + " pages");
}

Result<std::vector<Entity>> ApiClient::ListEntities() {
  CUSTODY_ASSIGN_OR_RETURN(const std::vector<std::string> items, ListAll("/entities"));
  std::vector<Entity> entities;
  for (const std::string& item : items) {
    CUSTODY_ASSIGN_OR_RETURN(Entity entity, ParseEntity(json::parse(item)));
    entities.push_back(std::move(entity));
  }
  return entities;
}

Result<std::vector<EvidenceItem>> ApiClient::ListEvidence(std::string_view entity_id) {
  CUSTODY_ASSIGN_OR_RETURN(const std::vector<std::string> items,
                           ListAll("/entities/" + std::string(entity_id) + "/evidence"));
  std::vector<EvidenceItem> evidence;
  for (const std::string& item : items) {
    CUSTODY_ASSIGN_OR_RETURN(EvidenceItem parsed, ParseEvidence(json::parse(item)));
    evidence.push_back(std::move(parsed));
  }
  return evidence;
}

Result<std::vector<Version>> ApiClient::ListVersions(std::string_view evidence_id) {
  CUSTODY_ASSIGN_OR_RETURN(const std::vector<std::string> items,
                           ListAll("/evidence/" + std::string(evidence_id) + "/versions"));
  std::vector<Version> versions;
  for (const std::string& item : items) {
    CUSTODY_ASSIGN_OR_RETURN(Version parsed, ParseVersion(json::parse(item)));
    versions.push_back(std::move(parsed));
  }
  return versions;
}

Result<EvidenceItem> ApiClient::GetEvidence(std::string_view evidence_id) {
  CUSTODY_ASSIGN_OR_RETURN(const std::string body,
                           Call("GET", "/evidence/" + std::string(evidence_id), std::nullopt));
  CUSTODY_ASSIGN_OR_RETURN(const json document, ParseObject(body));
  return ParseEvidence(document);
}

Result<EvidenceItem> ApiClient::CreateEvidence(std::string_view entity_id, std::string_view title) {
  const json request = {{"title", title}};
  CUSTODY_ASSIGN_OR_RETURN(
      const std::string body,
      Call("POST", "/entities/" + std::string(entity_id) + "/evidence", request.dump()));
  CUSTODY_ASSIGN_OR_RETURN(const json document, ParseObject(body));
  return ParseEvidence(document);
}

Result<NewVersion> ApiClient::CreateVersion(std::string_view evidence_id,
                                            const VersionRequest& request) {
  json body_json = {
      {"file_name", request.file_name},   {"size", request.size},
      {"sha256", request.sha256_hex},     {"md5", request.md5_hex},
      {"media_type", request.media_type},
  };
  if (request.part_size > 0) {
    body_json["part_size"] = request.part_size;
    body_json["part_md5s"] = request.part_md5s;
  }
  CUSTODY_ASSIGN_OR_RETURN(
      const std::string body,
      Call("POST", "/evidence/" + std::string(evidence_id) + "/versions", body_json.dump()));
  CUSTODY_ASSIGN_OR_RETURN(const json document, ParseObject(body));
  const auto version = document.find("version");
  const auto upload = document.find("upload");
  if (version == document.end() || upload == document.end()) {
    return UnexpectedResponse("a new version without \"version\" and \"upload\"");
  }
  NewVersion created;
  CUSTODY_ASSIGN_OR_RETURN(created.version, ParseVersion(*version));
  if (request.part_size > 0) {
    const bool multipart = upload->is_object() && upload->value("method", "") == "MULTIPART" &&
                           upload->contains("part_size") &&
                           (*upload)["part_size"].is_number_unsigned();
    if (!multipart || (*upload)["part_size"].get<uint64_t>() != request.part_size) {
      return UnexpectedResponse("the server did not start the multipart upload as requested");
    }
    created.part_size = request.part_size;
    return created;
  }
  CUSTODY_ASSIGN_OR_RETURN(created.upload, ParseTransfer(*upload, "PUT"));
  return created;
}

Result<std::optional<PresignedTransfer>> ApiClient::RefreshUploadUrl(std::string_view evidence_id,
                                                                     std::string_view version_id) {
  int http_status = 0;
  Result<std::string> body = Call("POST",
                                  "/evidence/" + std::string(evidence_id) + "/versions/" +
                                      std::string(version_id) + "/upload-url",
                                  "{}", &http_status);
  if (!body.ok()) {
    if (http_status == 404 || http_status == 405) {
      return std::optional<PresignedTransfer>();
    }
    return body.status();
  }
  CUSTODY_ASSIGN_OR_RETURN(const json document, ParseObject(*body));
  // The endpoint is not in docs/api.md yet: accept the upload object itself, or one wrapped
  // in "upload" as POST .../versions returns it.
  const auto upload = document.find("upload");
  CUSTODY_ASSIGN_OR_RETURN(PresignedTransfer transfer,
                           ParseTransfer(upload != document.end() ? *upload : document, "PUT"));
  return std::optional<PresignedTransfer>(std::move(transfer));
}

Result<Version> ApiClient::CompleteVersion(std::string_view evidence_id,
                                           std::string_view version_id) {
  CUSTODY_ASSIGN_OR_RETURN(const std::string body,
                           Call("POST",
                                "/evidence/" + std::string(evidence_id) + "/versions/" +
                                    std::string(version_id) + "/complete",
                                "{}"));
  CUSTODY_ASSIGN_OR_RETURN(const json document, ParseObject(body));
  return ParseVersion(document);
}

Result<std::vector<PartTransfer>> ApiClient::PartUrls(std::string_view evidence_id,
                                                      std::string_view version_id,
                                                      const std::vector<int>& part_numbers) {
  const json body_json = {{"part_numbers", part_numbers}};
  CUSTODY_ASSIGN_OR_RETURN(const std::string body,
                           Call("POST",
                                "/evidence/" + std::string(evidence_id) + "/versions/" +
                                    std::string(version_id) + "/part-urls",
                                body_json.dump()));
  CUSTODY_ASSIGN_OR_RETURN(const json document, ParseObject(body));
  const auto parts = document.find("parts");
  if (parts == document.end() || !parts->is_array() || parts->size() != part_numbers.size()) {
    return UnexpectedResponse("part-urls did not return one URL per requested part");
  }
  std::vector<PartTransfer> transfers;
  for (size_t i = 0; i < parts->size(); ++i) {
    const json& part = (*parts)[i];
    if (!part.is_object() || !part.contains("part_number") ||
        !part["part_number"].is_number_integer() ||
        part["part_number"].get<int64_t>() != part_numbers[i]) {
      return UnexpectedResponse("part-urls returned the parts in another order");
    }
    PartTransfer transfer;
    transfer.part_number = part_numbers[i];
    CUSTODY_ASSIGN_OR_RETURN(transfer.transfer, ParseTransfer(part, "PUT"));
    transfers.push_back(std::move(transfer));
  }
  return transfers;
}

Result<MultipartState> ApiClient::UploadedParts(std::string_view evidence_id,
                                                std::string_view version_id) {
  CUSTODY_ASSIGN_OR_RETURN(const std::string body,
                           Call("GET",
                                "/evidence/" + std::string(evidence_id) + "/versions/" +
                                    std::string(version_id) + "/parts",
                                std::nullopt));
  CUSTODY_ASSIGN_OR_RETURN(const json document, ParseObject(body));
  const auto part_size = document.find("part_size");
  const auto part_count = document.find("part_count");
  const auto uploaded = document.find("uploaded");
  if (part_size == document.end() || !part_size->is_number_unsigned() ||
      part_count == document.end() || !part_count->is_number_unsigned() ||
      uploaded == document.end() || !uploaded->is_array()) {
    return UnexpectedResponse("the parts response lacks part_size, part_count or uploaded");
  }
  MultipartState state;
  state.part_size = part_size->get<uint64_t>();
  state.part_count = part_count->get<uint64_t>();
  for (const json& part : *uploaded) {
    if (!part.is_object() || !part.contains("part_number") ||
        !part["part_number"].is_number_integer()) {
      return UnexpectedResponse("the parts response has a part without a part_number");
    }
    state.uploaded.push_back(part["part_number"].get<int>());
  }
  std::sort(state.uploaded.begin(), state.uploaded.end());
  return state;
}

Result<PresignedTransfer> ApiClient::CreateDownload(std::string_view evidence_id,
                                                    std::string_view version_id) {
  CUSTODY_ASSIGN_OR_RETURN(const std::string body,
                           Call("POST",
                                "/evidence/" + std::string(evidence_id) + "/versions/" +
                                    std::string(version_id) + "/download",
                                "{}"));
  CUSTODY_ASSIGN_OR_RETURN(const json document, ParseObject(body));
  return ParseTransfer(document, "GET");
}

}  // namespace custody::cli
