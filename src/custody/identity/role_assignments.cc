#include "custody/identity/role_assignments.h"

#include "custody/authz/authorize.h"
#include "custody/authz/entities.h"
#include "custody/identity/organization_rows.h"
#include "custody/identity/sessions.h"
#include "custody/identity/tokens.h"
#include "custody/identity/user_pages.h"
#include "custody/store/ids.h"

namespace custody::identity {
namespace {

constexpr std::string_view kAssignmentColumns =
    "seq, id, organization_id, user_id, entity_id, role, created_at, created_by";

Result<RoleAssignment> AssignmentFromRow(const store::Row& row) {
  RoleAssignment assignment;
  assignment.seq = row.Int64(0);
  assignment.id = row.Text(1);
  assignment.organization_id = row.Text(2);
  assignment.user_id = row.Text(3);
  assignment.entity_id = row.Text(4);
  const std::optional<authz::Role> role = authz::ParseRole(row.Text(5));
  if (!role.has_value()) {
    return Internal("role assignment " + assignment.id + " has an unknown role: " + row.Text(5));
  }
  assignment.role = *role;
  assignment.created_at = row.Time(6);
  assignment.created_by = row.Text(7);
  return assignment;
}

}  // namespace

Result<RoleAssignment> CreateRoleAssignment(store::Transaction& tx, const Clock& clock,
                                            std::string_view organization_id,
                                            std::string_view user_id, std::string_view entity_id,
                                            std::string_view role, std::string_view created_by) {
  const std::optional<authz::Role> parsed_role = authz::ParseRole(role);
  if (!parsed_role.has_value()) {
    return InvalidArgument("role must be viewer, auditor, contributor, manager or admin", "/role");
  }

  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> user,
      tx.QueryOne("SELECT active FROM users WHERE organization_id = ? AND id = ?",
                  {organization_id, user_id}));
  if (!user.has_value() || user->Int64(0) == 0) {
    return InvalidArgument("user_id must name an active user of the organization", "/user_id");
  }
  Result<authz::Entity> entity = authz::GetEntity(tx, organization_id, entity_id);
  if (entity.status().code() == ErrorCode::kNotFound) {
    return InvalidArgument("entity_id must name an entity of the organization", "/entity_id");
  }
  CUSTODY_RETURN_IF_ERROR(entity.status());

  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> existing,
      tx.QueryOne("SELECT 1 FROM role_assignments WHERE user_id = ? AND entity_id = ?",
                  {user_id, entity_id}));
  if (existing.has_value()) {
    return Conflict("the user already has a role on this entity; delete it first to change it");
  }

  RoleAssignment assignment;
  assignment.id = store::NewId(store::kRoleAssignmentIdPrefix);
  assignment.organization_id = std::string(organization_id);
  assignment.user_id = std::string(user_id);
  assignment.entity_id = std::string(entity_id);
  assignment.role = *parsed_role;
  assignment.created_at = store::FromUnixMicros(store::ToUnixMicros(clock.Now()));
  assignment.created_by = std::string(created_by);
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("INSERT INTO role_assignments (id, organization_id, user_id, entity_id, role, "
                  "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
                  {assignment.id, assignment.organization_id, assignment.user_id,
                   assignment.entity_id, authz::RoleName(assignment.role),
                   store::ToUnixMicros(assignment.created_at), assignment.created_by}));
  assignment.seq = row->Int64(0);
  return assignment;
}

Result<RoleAssignment> GetRoleAssignment(store::Transaction& tx, std::string_view organization_id,
                                         std::string_view assignment_id) {
  CUSTODY_ASSIGN_OR_RETURN(const store::Row row,
                           GetOrganizationRow(tx, "role_assignments", kAssignmentColumns,
                                              organization_id, assignment_id));
  return AssignmentFromRow(row);
}

Status DeleteRoleAssignment(store::Transaction& tx, const Clock& clock,
                            std::string_view organization_id, std::string_view assignment_id) {
  CUSTODY_ASSIGN_OR_RETURN(RoleAssignment assignment,
                           GetRoleAssignment(tx, organization_id, assignment_id));
  if (assignment.role == authz::Role::kAdmin) {
    CUSTODY_ASSIGN_OR_RETURN(authz::Entity root, authz::GetRootEntity(tx, organization_id));
    if (assignment.entity_id == root.id) {
      CUSTODY_ASSIGN_OR_RETURN(bool last_admin,
                               IsLastActiveRootAdmin(tx, organization_id, assignment.user_id));
      if (last_admin) {
        return Conflict("the admin role of the organization's last active admin cannot be removed");
      }
    }
  }
  CUSTODY_RETURN_IF_ERROR(
      tx.Execute("DELETE FROM role_assignments WHERE organization_id = ? AND id = ?",
                 {organization_id, assignment_id})
          .status());
  CUSTODY_RETURN_IF_ERROR(
      RevokeUserSessions(tx, clock, organization_id, assignment.user_id, kRevokedRoleChanged)
          .status());
  return RevokeUserTokens(tx, clock, organization_id, assignment.user_id).status();
}

Result<RoleAssignmentPage> ListRoleAssignments(store::Transaction& tx,
                                               std::string_view organization_id,
                                               std::optional<std::string_view> user_id,
                                               std::optional<std::string_view> after, int limit) {
  CUSTODY_ASSIGN_OR_RETURN(
      const std::vector<store::Row> rows,
      QueryUserPage(tx, {"role_assignments", kAssignmentColumns, kMaxRoleAssignmentPageSize},
                    organization_id, user_id, after, limit));
  RoleAssignmentPage page;
  CUSTODY_ASSIGN_OR_RETURN(page.next_after,
                           AppendPageItems(rows, limit, AssignmentFromRow, page.assignments));
  return page;
}

Result<bool> IsLastActiveRootAdmin(store::Transaction& tx, std::string_view organization_id,
                                   std::string_view user_id) {
  CUSTODY_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query(
          "SELECT ra.user_id FROM role_assignments ra "
          "JOIN organizations o ON o.id = ra.organization_id AND o.root_entity_id = ra.entity_id "
          "JOIN users u ON u.organization_id = ra.organization_id AND u.id = ra.user_id "
          "WHERE ra.organization_id = ? AND ra.role = 'admin' AND u.active = 1",
          {organization_id}));
  return rows.size() == 1 && rows.front().Text(0) == user_id;
}

}  // namespace custody::identity
