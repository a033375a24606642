// /api/v1/me: the caller, their organization and their role assignments.
#include <nlohmann/json.hpp>

#include "custody/api/routes.h"
#include "custody/api/shapes.h"
#include "custody/http/json.h"
#include "custody/identity/organizations.h"
#include "custody/identity/role_assignments.h"
#include "custody/identity/users.h"

namespace custody::api {
namespace {

struct Caller {
  identity::User user;
  identity::Organization organization;
  std::vector<identity::RoleAssignment> assignments;
};

Result<Caller> LoadCaller(store::Transaction& tx, const RequestContext& context) {
  const std::string& organization_id = context.principal.organization_id;
  Caller caller;
  CUSTODY_ASSIGN_OR_RETURN(caller.user,
                           identity::GetUser(tx, organization_id, context.principal.user_id));
  CUSTODY_ASSIGN_OR_RETURN(caller.organization, identity::GetOrganization(tx, organization_id));
  std::optional<std::string> after;
  do {
    CUSTODY_ASSIGN_OR_RETURN(
        identity::RoleAssignmentPage page,
        identity::ListRoleAssignments(tx, organization_id, context.principal.user_id, after,
                                      identity::kMaxRoleAssignmentPageSize));
    for (identity::RoleAssignment& assignment : page.assignments) {
      caller.assignments.push_back(std::move(assignment));
    }
    after = page.next_after;
  } while (after.has_value());
  return caller;
}

Result<http::Response> GetMe(ApiContext& api, const RequestContext& context) {
  evidence::AuditEntry entry{"me.read", "user/" + context.principal.user_id, ""};
  CUSTODY_ASSIGN_OR_RETURN(Caller caller,
                           evidence::AuditedWriteReturning<Caller>(
                               api.db, api.clock, context, entry,
                               [&](store::Transaction& tx) { return LoadCaller(tx, context); }));
  nlohmann::json assignments = nlohmann::json::array();
  for (const identity::RoleAssignment& assignment : caller.assignments) {
    assignments.push_back(RoleAssignmentJson(assignment));
  }
  nlohmann::json body = nlohmann::json::object();
  body["user"] = UserJson(caller.user);
  body["organization"] = OrganizationJson(caller.organization);
  body["role_assignments"] = std::move(assignments);
  return http::JsonResponse(200, body);
}

}  // namespace

void RegisterMeRoutes(http::Router& router, ApiContext& api) {
  router.Add("GET", "/api/v1/me",
             Serve<bool>(api, {"me.read",
                               [](const http::Request& request) -> Result<bool> {
                                 CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {}));
                                 return true;
                               },
                               [&api](const RequestContext& context, bool&) {
                                 return GetMe(api, context);
                               }}));
}

}  // namespace custody::api
