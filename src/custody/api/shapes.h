// The JSON shapes of the API's resources (docs/api.md). Times are RFC 3339 in UTC with second
// precision; absent optional values are null.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "custody/audit/audit_log.h"
#include "custody/authz/entities.h"
#include "custody/aws/presign.h"
#include "custody/common/clock.h"
#include "custody/evidence/aws_connections.h"
#include "custody/evidence/service.h"
#include "custody/identity/organizations.h"
#include "custody/identity/role_assignments.h"
#include "custody/identity/tokens.h"
#include "custody/identity/users.h"

namespace custody::api {

nlohmann::json TimeJson(SystemTime time);
nlohmann::json TimeJson(const std::optional<SystemTime>& time);

nlohmann::json EntityJson(const authz::Entity& entity);
nlohmann::json UserJson(const identity::User& user);
nlohmann::json OrganizationJson(const identity::Organization& organization);
nlohmann::json RoleAssignmentJson(const identity::RoleAssignment& assignment);
// Without the token value, which only the creation response shows.
nlohmann::json TokenJson(const identity::ApiToken& token);
nlohmann::json EvidenceItemJson(const evidence::EvidenceItemView& view);
nlohmann::json VersionJson(const evidence::EvidenceVersion& version);
// {"method", "url", "headers", "expires_at"}; headers as an object of name to value.
nlohmann::json UploadJson(const aws::PresignedRequest& upload);
// {"method", "url", "expires_at"}
nlohmann::json DownloadJson(const aws::PresignedRequest& download);
// The connection with the bucket CORS configuration that browsers on `public_url` need.
nlohmann::json AwsConnectionJson(const evidence::StoredAwsConnection& stored,
                                 const std::string& public_url);
nlohmann::json AuditRecordJson(const audit::StoredRecord& stored);

// The JSON array of `items`, each rendered by `to_json`.
nlohmann::json JsonArrayOf(const std::vector<evidence::EvidenceItemView>& items,
                           nlohmann::json (*to_json)(const evidence::EvidenceItemView&));
nlohmann::json JsonArrayOf(const std::vector<evidence::EvidenceVersion>& items,
                           nlohmann::json (*to_json)(const evidence::EvidenceVersion&));

}  // namespace custody::api
