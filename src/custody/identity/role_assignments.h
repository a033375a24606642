// Role assignments: a user holds one role on an entity, which covers the entity's descendants
// (see authz/authorize.h for how roles combine).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/authz/roles.h"
#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/store/database.h"

namespace custody::identity {

struct RoleAssignment {
  std::string id;
  std::string organization_id;
  std::string user_id;
  std::string entity_id;
  authz::Role role = authz::Role::kViewer;
  SystemTime created_at;
  std::string created_by;  // user id, or "system"
  int64_t seq = 0;         // paging order
};

// Assigns `role` ("viewer", "auditor", "contributor", "manager" or "admin") to the user on the
// entity. Fails with kInvalidArgument for an unknown role ("/role"), a user id that is not an
// active user of the organization ("/user_id") or an entity id that is not an entity of it
// ("/entity_id"). Fails with kConflict when the user already has a role on that entity. The
// caller authorizes kManageRoleAssignments first.
Result<RoleAssignment> CreateRoleAssignment(store::Transaction& tx, const Clock& clock,
                                            std::string_view organization_id,
                                            std::string_view user_id, std::string_view entity_id,
                                            std::string_view role, std::string_view created_by);

// Returns the assignment, or authz::NotFoundError().
Result<RoleAssignment> GetRoleAssignment(store::Transaction& tx, std::string_view organization_id,
                                         std::string_view assignment_id);

// Deletes the assignment; the role stops applying at the next request. The user's sign-in
// sessions and API tokens are revoked in the same transaction, because a changed role must
// not keep working through a credential issued before the change. Fails with
// authz::NotFoundError() when absent, and with kConflict when it is the admin role on the root
// entity of the organization's last active admin.
Status DeleteRoleAssignment(store::Transaction& tx, const Clock& clock,
                            std::string_view organization_id, std::string_view assignment_id);

struct RoleAssignmentPage {
  std::vector<RoleAssignment> assignments;  // newest first
  // The id of the page's last assignment, to pass as `after` for the next page; empty on the last
  // page.
  std::optional<std::string> next_after;
};

inline constexpr int kMaxRoleAssignmentPageSize = 200;

// Lists the organization's assignments, or only those of `user_id` when given, newest first,
// after the assignment `after` (a next_after). Returns store::InvalidCursorError() when `after`
// is not an assignment that this listing includes.
Result<RoleAssignmentPage> ListRoleAssignments(store::Transaction& tx,
                                               std::string_view organization_id,
                                               std::optional<std::string_view> user_id,
                                               std::optional<std::string_view> after, int limit);

// True when the user is active and holds admin on the organization's root entity, and no other
// active user does: removing that role or deactivating the user would leave nobody able to
// manage the organization.
Result<bool> IsLastActiveRootAdmin(store::Transaction& tx, std::string_view organization_id,
                                   std::string_view user_id);

}  // namespace custody::identity
