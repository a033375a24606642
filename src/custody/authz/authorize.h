// Scope resolution and the access decision.
//
// A user's effective role on an entity is the highest role assigned to them on that entity or
// on any ancestor. Outside that scope a resource must look exactly like one that does not
// exist: Authorize returns the same NotFoundError() for an entity that is absent, belongs to
// another organization, or is outside the caller's roles. Handlers that look up a resource by
// id must return NotFoundError() for a missing id too, so that the two cases produce the same
// status, message and body. Inside the scope, a role below the action's minimum is
// kPermissionDenied.
//
// Every query names the organization, so another organization's ids are simply absent.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/authz/permissions.h"
#include "custody/authz/principal.h"
#include "custody/authz/roles.h"
#include "custody/common/status.h"
#include "custody/store/database.h"

namespace custody::authz {

// The one kNotFound status for every resource that is absent or outside the caller's scope.
Status NotFoundError();

// Returns the highest role the user holds on the entity or an ancestor; empty when the user has
// none or the entity is not an entity of the organization.
Result<std::optional<Role>> EffectiveRole(store::Transaction& tx, std::string_view organization_id,
                                          std::string_view user_id, std::string_view entity_id);

// An access decision with the reason code for the audit record.
struct Decision {
  // OK when allowed; NotFoundError() or kPermissionDenied when denied; another code (such as
  // kUnavailable) when the database failed, in which case the request must fail closed.
  Status status;
  // "" when allowed; else audit::kReasonNotFound (no such entity in the organization),
  // kReasonOutOfScope (no role on it or an ancestor) or kReasonRoleLacksPermission.
  std::string reason;
  std::optional<Role> role;  // the effective role, when there is one

  bool allowed() const { return status.ok(); }
};

// Decides whether the principal may take the entity action `action` on `entity_id`.
// An organization action is kInternal here: use DecideOrganizationAction.
Decision Decide(store::Transaction& tx, const Principal& principal, std::string_view entity_id,
                Action action);

Status Authorize(store::Transaction& tx, const Principal& principal, std::string_view entity_id,
                 Action action);

// Decides an organization action by the principal's role on the organization's root entity.
// Organization resources exist for every member, so a denial is kPermissionDenied, never
// kNotFound. An entity action is kInternal here: use Decide.
Decision DecideOrganizationAction(store::Transaction& tx, const Principal& principal,
                                  Action action);

Status AuthorizeOrganizationAction(store::Transaction& tx, const Principal& principal,
                                   Action action);

// Returns the ids of every entity on which the user's effective role allows `action`, in no
// particular order: for filtering lists, searches and counts.
Result<std::vector<std::string>> EntitiesInScope(store::Transaction& tx,
                                                 std::string_view organization_id,
                                                 std::string_view user_id, Action action);

}  // namespace custody::authz
