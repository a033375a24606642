#include "custody/api/shapes.h"

#include <nlohmann/json.hpp>

#include "custody/aws/s3.h"

namespace custody::api {

using nlohmann::json;

json TimeJson(SystemTime time) {
  return FormatRfc3339(time);
}

json TimeJson(const std::optional<SystemTime>& time) {
  if (!time.has_value()) {
    return nullptr;
  }
  return TimeJson(*time);
}

json EntityJson(const authz::Entity& entity) {
  json out = json::object();
  out["id"] = entity.id;
  out["name"] = entity.name;
  out["kind"] = authz::EntityKindName(entity.kind);
  out["parent_id"] = entity.parent_id.has_value() ? json(*entity.parent_id) : json(nullptr);
  out["created_at"] = TimeJson(entity.created_at);
  return out;
}

json UserJson(const identity::User& user) {
  json out = json::object();
  out["id"] = user.id;
  out["email"] = user.email;
  out["display_name"] = user.display_name;
  out["active"] = user.active;
  out["created_at"] = TimeJson(user.created_at);
  return out;
}

json OrganizationJson(const identity::Organization& organization) {
  json out = json::object();
  out["id"] = organization.id;
  out["name"] = organization.name;
  out["root_entity_id"] = organization.root_entity_id;
  return out;
}

json RoleAssignmentJson(const identity::RoleAssignment& assignment) {
  json out = json::object();
  out["id"] = assignment.id;
  out["user_id"] = assignment.user_id;
  out["entity_id"] = assignment.entity_id;
  out["role"] = authz::RoleName(assignment.role);
  out["created_at"] = TimeJson(assignment.created_at);
  return out;
}

json TokenJson(const identity::ApiToken& token) {
  json out = json::object();
  out["id"] = token.id;
  out["name"] = token.name;
  out["user_id"] = token.user_id;
  out["created_at"] = TimeJson(token.created_at);
  out["revoked_at"] = TimeJson(token.revoked_at);
  return out;
}

json VersionJson(const evidence::EvidenceVersion& version) {
  json out = json::object();
  out["id"] = version.id;
  out["evidence_id"] = version.evidence_id;
  out["number"] = version.number;
  out["file_name"] = version.file_name;
  out["media_type"] = version.media_type;
  out["size"] = version.size;
  out["sha256"] = version.sha256;
  out["status"] = evidence::VersionStatusName(version.status);
  out["failure_reason"] =
      version.failure_reason.has_value() ? json(*version.failure_reason) : json(nullptr);
  out["created_at"] = TimeJson(version.created_at);
  out["created_by"] = version.created_by;
  out["stored_at"] = TimeJson(version.stored_at);
  out["part_size"] = version.part_size.has_value() ? json(*version.part_size) : json(nullptr);
  out["part_count"] = version.IsMultipart() ? json(version.PartCount()) : json(nullptr);
  return out;
}

json EvidenceItemJson(const evidence::EvidenceItemView& view) {
  const evidence::EvidenceItem& item = view.item;
  json out = json::object();
  out["id"] = item.id;
  out["entity_id"] = item.entity_id;
  out["title"] = item.title;
  out["description"] = item.description;
  out["created_at"] = TimeJson(item.created_at);
  out["created_by"] = item.created_by;
  out["latest_version"] =
      view.latest_version.has_value() ? VersionJson(*view.latest_version) : json(nullptr);
  return out;
}

json UploadJson(const aws::PresignedRequest& upload) {
  json headers = json::object();
  for (const auto& [name, value] : upload.headers) {
    headers[name] = value;
  }
  json out = json::object();
  out["method"] = upload.method;
  out["url"] = upload.url;
  out["headers"] = std::move(headers);
  out["expires_at"] = TimeJson(upload.expires_at);
  return out;
}

namespace {

template <typename Item>
json RenderArray(const std::vector<Item>& items, json (*to_json)(const Item&)) {
  json out = json::array();
  for (const Item& item : items) {
    out.push_back(to_json(item));
  }
  return out;
}

}  // namespace

json JsonArrayOf(const std::vector<evidence::EvidenceItemView>& items,
                 json (*to_json)(const evidence::EvidenceItemView&)) {
  return RenderArray(items, to_json);
}

json JsonArrayOf(const std::vector<evidence::EvidenceVersion>& items,
                 json (*to_json)(const evidence::EvidenceVersion&)) {
  return RenderArray(items, to_json);
}

json DownloadJson(const aws::PresignedRequest& download) {
  json out = json::object();
  out["method"] = download.method;
  out["url"] = download.url;
  out["expires_at"] = TimeJson(download.expires_at);
  return out;
}

json AwsConnectionJson(const evidence::StoredAwsConnection& stored, const std::string& public_url) {
  const aws::AwsConnection& connection = stored.connection;
  json out = json::object();
  out["role_arn"] = connection.role_arn;
  out["external_id"] = connection.external_id;
  out["bucket"] = connection.bucket;
  out["region"] = connection.region;
  out["kms_key_id"] = connection.kms_key_id;
  out["key_prefix"] = connection.key_prefix;
  out["endpoint"] = connection.endpoint.has_value() ? json(*connection.endpoint) : json(nullptr);
  out["updated_at"] = TimeJson(stored.updated_at);
  // The aws module writes the document that `aws s3api put-bucket-cors` takes; it is parsed
  // here only to embed it as an object rather than as a string.
  out["bucket_cors"] = json::parse(aws::BucketCorsJson({public_url}));
  out["bucket_lifecycle"] = json::parse(aws::BucketLifecycleJson(stored.connection.key_prefix));
  return out;
}

json AuditRecordJson(const audit::StoredRecord& stored) {
  const audit::Record& record = stored.record;
  json out = json::object();
  out["seq"] = stored.seq;
  out["time"] = TimeJson(record.time);
  out["actor"] = record.actor;
  out["action"] = record.action;
  out["resource"] = record.resource;
  out["decision"] = record.decision;
  out["reason"] = record.reason;
  out["request_id"] = record.request_id;
  out["source"] = record.source;
  return out;
}

}  // namespace custody::api
