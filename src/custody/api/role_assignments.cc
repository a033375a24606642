// /api/v1/role-assignments: the role each user has on each entity, managed by admins.
#include "custody/identity/role_assignments.h"

#include <nlohmann/json.hpp>

#include "custody/api/routes.h"
#include "custody/api/shapes.h"
#include "custody/authz/entities.h"
#include "custody/http/json.h"
#include "custody/identity/users.h"
#include "custody/store/ids.h"

namespace custody::api {
namespace {

using authz::Action;

struct NewAssignment {
  std::string user_id;
  std::string entity_id;
  std::string role;
};

Result<NewAssignment> ParseNewAssignment(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {}));
  CUSTODY_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObjectBody(request));
  http::JsonObjectReader reader(body);
  NewAssignment assignment;
  CUSTODY_ASSIGN_OR_RETURN(assignment.user_id, reader.String("user_id"));
  CUSTODY_ASSIGN_OR_RETURN(assignment.entity_id, reader.String("entity_id"));
  CUSTODY_ASSIGN_OR_RETURN(assignment.role, reader.String("role"));
  CUSTODY_RETURN_IF_ERROR(reader.RejectUnknownFields());
  CUSTODY_RETURN_IF_ERROR(CheckBodyId(assignment.user_id, store::kUserIdPrefix, "/user_id"));
  CUSTODY_RETURN_IF_ERROR(CheckBodyId(assignment.entity_id, store::kEntityIdPrefix, "/entity_id"));
  if (!authz::ParseRole(assignment.role).has_value()) {
    return InvalidArgument("role must be viewer, auditor, contributor, manager or admin", "/role");
  }
  return assignment;
}

Result<std::string> ParseAssignmentId(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {}));
  return PathId(request, "role_assignment_id", store::kRoleAssignmentIdPrefix);
}

Result<http::Response> CreateAssignment(ApiContext& api, const RequestContext& context,
                                        const NewAssignment& input) {
  evidence::AuditEntry entry{"role_assignment.create", "user/" + input.user_id, ""};
  const std::string& organization_id = context.principal.organization_id;
  CUSTODY_ASSIGN_OR_RETURN(
      identity::RoleAssignment assignment,
      evidence::AuditedWriteReturning<identity::RoleAssignment>(
          api.db, api.clock, context, entry,
          [&](store::Transaction& tx) -> Result<identity::RoleAssignment> {
            CUSTODY_RETURN_IF_ERROR(evidence::AuthorizeOrganizationAction(
                tx, context, Action::kManageRoleAssignments, entry));
            // An id of another organization or of nothing is the same 404 as any absent
            // resource.
            CUSTODY_RETURN_IF_ERROR(identity::GetUser(tx, organization_id, input.user_id).status());
            CUSTODY_RETURN_IF_ERROR(
                authz::GetEntity(tx, organization_id, input.entity_id).status());
            CUSTODY_ASSIGN_OR_RETURN(identity::RoleAssignment created,
                                     identity::CreateRoleAssignment(
                                         tx, api.clock, organization_id, input.user_id,
                                         input.entity_id, input.role, context.principal.user_id));
            entry.resource = "role_assignment/" + created.id;
            return created;
          }));
  return http::JsonResponse(201, RoleAssignmentJson(assignment));
}

Result<http::Response> ListAssignments(ApiContext& api, const RequestContext& context,
                                       const PageRequest& page) {
  evidence::AuditEntry entry{"role_assignment.list", "", ""};
  CUSTODY_ASSIGN_OR_RETURN(identity::RoleAssignmentPage assignments,
                           evidence::AuditedWriteReturning<identity::RoleAssignmentPage>(
                               api.db, api.clock, context, entry,
                               [&](store::Transaction& tx) -> Result<identity::RoleAssignmentPage> {
                                 CUSTODY_RETURN_IF_ERROR(evidence::AuthorizeOrganizationAction(
                                     tx, context, Action::kManageRoleAssignments, entry));
                                 return identity::ListRoleAssignments(
                                     tx, context.principal.organization_id, std::nullopt,
                                     page.after, page.limit);
                               }));
  nlohmann::json items = nlohmann::json::array();
  for (const identity::RoleAssignment& assignment : assignments.assignments) {
    items.push_back(RoleAssignmentJson(assignment));
  }
  return http::JsonResponse(200, ListJson(std::move(items), assignments.next_after));
}

Result<http::Response> DeleteAssignment(ApiContext& api, const RequestContext& context,
                                        const std::string& assignment_id) {
  evidence::AuditEntry entry{"role_assignment.delete", "role_assignment/" + assignment_id, ""};
  const Status deleted = evidence::AuditedWrite(
      api.db, api.clock, context, entry, [&](store::Transaction& tx) -> Status {
        CUSTODY_RETURN_IF_ERROR(evidence::AuthorizeOrganizationAction(
            tx, context, Action::kManageRoleAssignments, entry));
        return identity::DeleteRoleAssignment(tx, api.clock, context.principal.organization_id,
                                              assignment_id);
      });
  if (!deleted.ok()) {
    return deleted;
  }
  return http::Response{204, {}, ""};
}

}  // namespace

void RegisterRoleAssignmentRoutes(http::Router& router, ApiContext& api) {
  router.Add(
      "POST", "/api/v1/role-assignments",
      Serve<NewAssignment>(api, {"role_assignment.create", ParseNewAssignment,
                                 [&api](const RequestContext& context, NewAssignment& input) {
                                   return CreateAssignment(api, context, input);
                                 }}));
  router.Add("GET", "/api/v1/role-assignments",
             Serve<PageRequest>(api, {"role_assignment.list", ParsePage,
                                      [&api](const RequestContext& context, PageRequest& page) {
                                        return ListAssignments(api, context, page);
                                      }}));
  router.Add("DELETE", "/api/v1/role-assignments/{role_assignment_id}",
             Serve<std::string>(api, {"role_assignment.delete", ParseAssignmentId,
                                      [&api](const RequestContext& context, std::string& id) {
                                        return DeleteAssignment(api, context, id);
                                      }}));
}

}  // namespace custody::api
