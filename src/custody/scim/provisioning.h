// SCIM Users and Groups stored for an organization, and the effects of provisioning on Custody
// users and role assignments.
//
// * A SCIM user is a Custody user (identity::CreateUser) plus a scim_users row with its SCIM
//   attributes. The Custody user's e-mail is the userName when the userName is an e-mail
//   address, and otherwise a placeholder under the reserved domain "scim.invalid" that no IdP
//   can assert. Its display name is displayName, else name.formatted, else given and family
//   name, else userName.
// * The SCIM endpoints see only users that SCIM created: an organization's bootstrap admin and
//   users created through /api/v1/users are invisible to the IdP and cannot be changed by it.
// * active:false deactivates the Custody user (identity::DeactivateUser, which rejects the last
//   active admin); active:true reactivates it. DELETE deactivates, removes the user from every
//   group and frees the userName; GET then returns 404 for the user. Both rows stay. The
//   deleted user keeps its e-mail, so that sign-in with it is still rejected, until a new SCIM
//   user takes that userName and the old user gets a placeholder e-mail.
// * Group members hold the roles that admins mapped to the group (group_mappings.h). Each
//   membership change recomputes the member's role assignments through the identity functions:
//   the highest mapped role per entity. An assignment an admin made by hand on the same entity
//   is left alone; SCIM removes only assignments it created.
// * Every function that changes something appends audit records for its side effects (user
//   deactivation, role assignments) and one scim_changes row with the before and after values of
//   the changed attributes. The caller writes the request's own audit record with the same
//   action and resource in the same transaction.
//
// Functions return the resource in its SCIM JSON form (with schemas, id, meta) and fail with
// the Status conventions of errors.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/scim/filter.h"
#include "custody/store/database.h"

namespace custody::scim {

inline constexpr std::string_view kActionUserCreate = "scim.user.create";
inline constexpr std::string_view kActionUserReplace = "scim.user.replace";
inline constexpr std::string_view kActionUserPatch = "scim.user.patch";
inline constexpr std::string_view kActionUserDelete = "scim.user.delete";
inline constexpr std::string_view kActionGroupCreate = "scim.group.create";
inline constexpr std::string_view kActionGroupReplace = "scim.group.replace";
inline constexpr std::string_view kActionGroupPatch = "scim.group.patch";
inline constexpr std::string_view kActionGroupDelete = "scim.group.delete";

inline constexpr std::string_view kGroupIdPrefix = "grp_";
inline constexpr size_t kMaxGroupDisplayNameCharacters = 256;
// The domain of the placeholder e-mail of a user whose userName is not an e-mail address.
inline constexpr std::string_view kPlaceholderEmailDomain = "scim.invalid";

// Filters other than `userName eq`, `externalId eq` and `id eq` are evaluated in memory over
// the organization's SCIM users or groups. Beyond this many, such a filter fails with tooMany.
inline constexpr int kMaxFilterCandidates = 10000;
// The largest `count` of a list request, and its default.
inline constexpr int kMaxListCount = 200;

// The request that makes a change, for audit records and change rows.
struct ChangeContext {
  std::string organization_id;
  std::string actor;  // the SCIM token id, or an admin's user id for group mappings
  std::string request_id;
  std::string source;  // client address
  // Users this request deactivated, so that the caller can drop their cached AWS credentials
  // after the transaction commits.
  std::vector<std::string> deactivated_user_ids;
};

// The resource's ETag: W/"<version>".
std::string EntityTag(int64_t version);

// True when an If-Match or If-None-Match value ("*", or a comma-separated list of ETags) names
// `etag`. A weak and a strong tag with the same value both match.
bool ListsEntityTag(std::string_view header_value, std::string_view etag);

// Checks an If-Match header value ("*", or a comma-separated list of ETags) against the
// resource's version. Absent means no condition. Fails with ScimVersionMismatch().
Status CheckIfMatch(const std::optional<std::string>& if_match, int64_t version);

// --- Users. `normalized` is the output of NormalizeResource(kUser, ...). `base_url` is the
// SCIM base URL for meta.location.

Result<nlohmann::json> CreateUser(store::Transaction& tx, const Clock& clock,
                                  ChangeContext& context, const nlohmann::json& normalized,
                                  std::string_view base_url);

// Returns the user, or authz::NotFoundError() when it is not a SCIM user of the organization
// or was deleted.
Result<nlohmann::json> GetUser(store::Transaction& tx, std::string_view organization_id,
                               std::string_view user_id, std::string_view base_url);

// Replaces the user's attributes (PUT). An absent "active" leaves the state unchanged.
Result<nlohmann::json> ReplaceUser(store::Transaction& tx, const Clock& clock,
                                   ChangeContext& context, std::string_view user_id,
                                   const nlohmann::json& normalized,
                                   const std::optional<std::string>& if_match,
                                   std::string_view base_url);

// Applies a PatchOp message to the user (patch.h).
Result<nlohmann::json> PatchUser(store::Transaction& tx, const Clock& clock, ChangeContext& context,
                                 std::string_view user_id, const nlohmann::json& patch_request,
                                 const std::optional<std::string>& if_match,
                                 std::string_view base_url);

Status DeleteUser(store::Transaction& tx, const Clock& clock, ChangeContext& context,
                  std::string_view user_id, const std::optional<std::string>& if_match);

struct ListQuery {
  std::optional<Filter> filter;
  int start_index = 1;  // 1-based; values below 1 count as 1
  int count = kMaxListCount;
};

// Returns {"totalResults": N, "Resources": [...]} in creation order, before attribute
// selection.
Result<nlohmann::json> ListUsers(store::Transaction& tx, std::string_view organization_id,
                                 const ListQuery& query, std::string_view base_url);

// --- Groups.

Result<nlohmann::json> CreateGroup(store::Transaction& tx, const Clock& clock,
                                   ChangeContext& context, const nlohmann::json& normalized,
                                   std::string_view base_url);

Result<nlohmann::json> GetGroup(store::Transaction& tx, std::string_view organization_id,
                                std::string_view group_id, std::string_view base_url);

Result<nlohmann::json> ReplaceGroup(store::Transaction& tx, const Clock& clock,
                                    ChangeContext& context, std::string_view group_id,
                                    const nlohmann::json& normalized,
                                    const std::optional<std::string>& if_match,
                                    std::string_view base_url);

Result<nlohmann::json> PatchGroup(store::Transaction& tx, const Clock& clock,
                                  ChangeContext& context, std::string_view group_id,
                                  const nlohmann::json& patch_request,
                                  const std::optional<std::string>& if_match,
                                  std::string_view base_url);

// Deletes the group, its mappings and memberships, and withdraws the roles they granted.
Status DeleteGroup(store::Transaction& tx, const Clock& clock, ChangeContext& context,
                   std::string_view group_id, const std::optional<std::string>& if_match);

Result<nlohmann::json> ListGroups(store::Transaction& tx, std::string_view organization_id,
                                  const ListQuery& query, std::string_view base_url);

// Recomputes the user's role assignments from the group mappings (see above) and records the
// changes. Exposed for group_mappings.cc.
Status ReconcileRoles(store::Transaction& tx, const Clock& clock, ChangeContext& context,
                      std::string_view user_id);

}  // namespace custody::scim
