#include "custody/scim/group_mappings.h"

#include "custody/authz/authorize.h"
#include "custody/store/ids.h"

namespace custody::scim {
namespace {

constexpr std::string_view kColumns =
    "p.seq, p.id, p.organization_id, p.group_id, g.display_name, p.entity_id, p.role, "
    "p.created_at, p.created_by";
constexpr std::string_view kFrom =
    " FROM scim_group_mappings p JOIN scim_groups g ON g.id = p.group_id"
    " WHERE p.organization_id = ?";

Result<GroupMapping> MappingFromRow(const store::Row& row) {
  GroupMapping mapping;
  mapping.seq = row.Int64(0);
  mapping.id = row.Text(1);
  mapping.organization_id = row.Text(2);
  mapping.group_id = row.Text(3);
  mapping.group_display_name = row.Text(4);
  mapping.entity_id = row.Text(5);
  const std::optional<authz::Role> role = authz::ParseRole(row.Text(6));
  if (!role.has_value()) {
    return Internal("group mapping " + mapping.id + " has an unknown role");
  }
  mapping.role = *role;
  mapping.created_at = row.Time(7);
  mapping.created_by = row.Text(8);
  return mapping;
}

Result<std::vector<std::string>> MembersOf(store::Transaction& tx, std::string_view organization_id,
                                           std::string_view group_id) {
  CUSTODY_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query("SELECT user_id FROM scim_group_members WHERE organization_id = ? AND group_id = ?",
               {organization_id, group_id}));
  std::vector<std::string> members;
  for (const store::Row& row : rows) {
    members.push_back(row.Text(0));
  }
  return members;
}

}  // namespace

Result<GroupMapping> CreateGroupMapping(store::Transaction& tx, const Clock& clock,
                                        ChangeContext& context, std::string_view group_id,
                                        std::string_view entity_id, std::string_view role) {
  const std::string& organization_id = context.organization_id;
  if (!authz::ParseRole(role).has_value()) {
    return InvalidArgument("role must be viewer, auditor, contributor, manager or admin", "/role");
  }
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> group,
      tx.QueryOne("SELECT 1 FROM scim_groups WHERE organization_id = ? AND id = ?",
                  {organization_id, group_id}));
  if (!group.has_value()) {
    return InvalidArgument("group_id must name a SCIM group of the organization", "/group_id");
  }
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> entity,
      tx.QueryOne("SELECT 1 FROM entities WHERE organization_id = ? AND id = ?",
                  {organization_id, entity_id}));
  if (!entity.has_value()) {
    return InvalidArgument("entity_id must name an entity of the organization", "/entity_id");
  }
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> existing,
      tx.QueryOne("SELECT 1 FROM scim_group_mappings WHERE group_id = ? AND entity_id = ?",
                  {group_id, entity_id}));
  if (existing.has_value()) {
    return Conflict("the group already has a mapping on this entity; delete it first");
  }

  const std::string id = store::NewId(kGroupMappingIdPrefix);
  CUSTODY_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO scim_group_mappings (id, organization_id, group_id, entity_id, role, "
                 "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 {id, organization_id, group_id, entity_id, role, store::ToUnixMicros(clock.Now()),
                  context.actor})
          .status());
  CUSTODY_ASSIGN_OR_RETURN(std::vector<std::string> members,
                           MembersOf(tx, organization_id, group_id));
  for (const std::string& user_id : members) {
    CUSTODY_RETURN_IF_ERROR(ReconcileRoles(tx, clock, context, user_id));
  }
  return GetGroupMapping(tx, organization_id, id);
}

Result<GroupMapping> GetGroupMapping(store::Transaction& tx, std::string_view organization_id,
                                     std::string_view mapping_id) {
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT " + std::string(kColumns) + std::string(kFrom) + " AND p.id = ?",
                  {organization_id, mapping_id}));
  if (!row.has_value()) {
    return authz::NotFoundError();
  }
  return MappingFromRow(*row);
}

Result<std::vector<GroupMapping>> ListGroupMappings(store::Transaction& tx,
                                                    std::string_view organization_id, int limit) {
  if (limit < 1 || limit > kMaxGroupMappingPageSize) {
    return InvalidArgument(
        "limit must be between 1 and " + std::to_string(kMaxGroupMappingPageSize), "limit");
  }
  CUSTODY_ASSIGN_OR_RETURN(std::vector<store::Row> rows,
                           tx.Query("SELECT " + std::string(kColumns) + std::string(kFrom) +
                                        " ORDER BY p.seq DESC LIMIT ?",
                                    {organization_id, limit}));
  std::vector<GroupMapping> mappings;
  for (const store::Row& row : rows) {
    CUSTODY_ASSIGN_OR_RETURN(GroupMapping mapping, MappingFromRow(row));
    mappings.push_back(std::move(mapping));
  }
  return mappings;
}

Status DeleteGroupMapping(store::Transaction& tx, const Clock& clock, ChangeContext& context,
                          std::string_view mapping_id) {
  CUSTODY_ASSIGN_OR_RETURN(GroupMapping mapping,
                           GetGroupMapping(tx, context.organization_id, mapping_id));
  CUSTODY_RETURN_IF_ERROR(
      tx.Execute("DELETE FROM scim_group_mappings WHERE organization_id = ? AND id = ?",
                 {context.organization_id, mapping_id})
          .status());
  CUSTODY_ASSIGN_OR_RETURN(std::vector<std::string> members,
                           MembersOf(tx, context.organization_id, mapping.group_id));
  for (const std::string& user_id : members) {
    CUSTODY_RETURN_IF_ERROR(ReconcileRoles(tx, clock, context, user_id));
  }
  return Status::Ok();
}

}  // namespace custody::scim
