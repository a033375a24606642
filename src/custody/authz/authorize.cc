#include "custody/authz/authorize.h"

#include "custody/audit/record.h"
#include "custody/authz/entities.h"
#include "custody/authz/scope_sql.h"

namespace custody::authz {

Status NotFoundError() {
  return NotFound("resource not found");
}

Result<std::optional<Role>> EffectiveRole(store::Transaction& tx, std::string_view organization_id,
                                          std::string_view user_id, std::string_view entity_id) {
  // Walks from the entity up to the root. UNION (not UNION ALL) ends the walk even if the
  // parent links ever formed a cycle.
  CUSTODY_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query("WITH RECURSIVE ancestors (id, parent_id) AS ("
               "  SELECT id, parent_id FROM entities WHERE organization_id = ?1 AND id = ?2"
               "  UNION"
               "  SELECT e.id, e.parent_id FROM entities e JOIN ancestors a ON e.id = a.parent_id"
               "  WHERE e.organization_id = ?1"
               ") "
               "SELECT ra.role FROM role_assignments ra JOIN ancestors a ON ra.entity_id = a.id "
               "WHERE ra.organization_id = ?1 AND ra.user_id = ?3",
               {organization_id, entity_id, user_id}));

  std::optional<Role> highest;
  for (const store::Row& row : rows) {
    const std::optional<Role> role = ParseRole(row.Text(0));
    if (!role.has_value()) {
      return Internal("role assignment has an unknown role: " + row.Text(0));
    }
    if (!highest.has_value() || *role > *highest) {
      highest = role;
    }
  }
  return highest;
}

namespace {

Decision Deny(Status status, std::string_view reason, std::optional<Role> role = std::nullopt) {
  return Decision{std::move(status), std::string(reason), role};
}

Result<bool> EntityExists(store::Transaction& tx, std::string_view organization_id,
                          std::string_view entity_id) {
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT 1 FROM entities WHERE organization_id = ? AND id = ?",
                  {organization_id, entity_id}));
  return row.has_value();
}

Status RoleLacksPermission(Action action) {
  return PermissionDenied("your role does not allow " + std::string(ActionName(action)));
}

}  // namespace

Decision Decide(store::Transaction& tx, const Principal& principal, std::string_view entity_id,
                Action action) {
  if (ScopeOf(action) != ActionScope::kEntity) {
    return Deny(Internal("organization action " + std::string(ActionName(action)) +
                         " checked against an entity"),
                "");
  }

  // Both queries run in every case, so an absent entity and one outside the scope take the
  // same work to deny.
  Result<bool> exists = EntityExists(tx, principal.organization_id, entity_id);
  Result<std::optional<Role>> role =
      EffectiveRole(tx, principal.organization_id, principal.user_id, entity_id);
  if (!exists.ok()) {
    return Deny(exists.status(), "");
  }
  if (!role.ok()) {
    return Deny(role.status(), "");
  }
  if (!*exists) {
    return Deny(NotFoundError(), audit::kReasonNotFound);
  }
  if (!role->has_value()) {
    return Deny(NotFoundError(), audit::kReasonOutOfScope);
  }
  if (!RoleAllows(**role, action)) {
    return Deny(RoleLacksPermission(action), audit::kReasonRoleLacksPermission, *role);
  }
  return Decision{Status::Ok(), "", *role};
}

Status Authorize(store::Transaction& tx, const Principal& principal, std::string_view entity_id,
                 Action action) {
  return Decide(tx, principal, entity_id, action).status;
}

Decision DecideOrganizationAction(store::Transaction& tx, const Principal& principal,
                                  Action action) {
  if (ScopeOf(action) != ActionScope::kOrganization) {
    return Deny(Internal("entity action " + std::string(ActionName(action)) +
                         " checked as an organization action"),
                "");
  }

  Result<Entity> root = GetRootEntity(tx, principal.organization_id);
  if (!root.ok()) {
    return Deny(root.status(), "");
  }
  Result<std::optional<Role>> role =
      EffectiveRole(tx, principal.organization_id, principal.user_id, root->id);
  if (!role.ok()) {
    return Deny(role.status(), "");
  }
  if (!role->has_value() || !RoleAllows(**role, action)) {
    return Deny(RoleLacksPermission(action), audit::kReasonRoleLacksPermission, *role);
  }
  return Decision{Status::Ok(), "", *role};
}

Status AuthorizeOrganizationAction(store::Transaction& tx, const Principal& principal,
                                   Action action) {
  return DecideOrganizationAction(tx, principal, action).status;
}

Result<std::vector<std::string>> EntitiesInScope(store::Transaction& tx,
                                                 std::string_view organization_id,
                                                 std::string_view user_id, Action action) {
  if (ScopeOf(action) != ActionScope::kEntity) {
    return Internal("organization action " + std::string(ActionName(action)) +
                    " has no entity scope");
  }
  CUSTODY_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query(std::string(kScopedEntitiesCte) +
                   "SELECT id FROM scoped GROUP BY id HAVING MAX(rank) >= ?3",
               {organization_id, user_id, static_cast<int>(MinimumRole(action))}));
  std::vector<std::string> ids;
  ids.reserve(rows.size());
  for (const store::Row& row : rows) {
    ids.push_back(row.Text(0));
  }
  return ids;
}

}  // namespace custody::authz
