// Group mappings: an admin's rule that members of a SCIM group hold a role on an entity.
// Creating or deleting a mapping recomputes the role assignments of the group's members
// (ReconcileRoles in provisioning.h) in the same transaction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "custody/authz/roles.h"
#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/scim/provisioning.h"
#include "custody/store/database.h"

namespace custody::scim {

inline constexpr std::string_view kGroupMappingIdPrefix = "sgm_";
inline constexpr int kMaxGroupMappingPageSize = 200;

struct GroupMapping {
  std::string id;  // "sgm_..."
  std::string organization_id;
  std::string group_id;
  std::string group_display_name;
  std::string entity_id;
  authz::Role role = authz::Role::kViewer;
  SystemTime created_at;
  std::string created_by;  // user id
  int64_t seq = 0;
};

// Maps the group to `role` on the entity; context.actor is the admin. Fails with kConflict when
// the group already has a mapping on that entity. Fails with kInvalidArgument for an unknown role
// ("/role"), for a group that is not a SCIM group of the organization ("/group_id"), and for an
// entity that is not one of its entities ("/entity_id").
Result<GroupMapping> CreateGroupMapping(store::Transaction& tx, const Clock& clock,
                                        ChangeContext& context, std::string_view group_id,
                                        std::string_view entity_id, std::string_view role);

// Returns the mapping, or authz::NotFoundError().
Result<GroupMapping> GetGroupMapping(store::Transaction& tx, std::string_view organization_id,
                                     std::string_view mapping_id);

// Lists the organization's mappings, newest first; at most `limit`.
Result<std::vector<GroupMapping>> ListGroupMappings(store::Transaction& tx,
                                                    std::string_view organization_id, int limit);

// Deletes the mapping and withdraws the roles it granted. Returns authz::NotFoundError() when
// absent, and kConflict when that would remove the last active admin's admin role.
Status DeleteGroupMapping(store::Transaction& tx, const Clock& clock, ChangeContext& context,
                          std::string_view mapping_id);

}  // namespace custody::scim
