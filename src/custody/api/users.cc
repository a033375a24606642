// /api/v1/users: the organization's users, managed by its admins.
#include "custody/identity/users.h"

#include <nlohmann/json.hpp>

#include "custody/api/routes.h"
#include "custody/api/shapes.h"
#include "custody/http/json.h"
#include "custody/store/ids.h"

namespace custody::api {
namespace {

using authz::Action;

std::string UserResource(std::string_view user_id) {
  return "user/" + std::string(user_id);
}

struct NewUser {
  std::string email;
  std::string display_name;
};

Result<NewUser> ParseNewUser(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {}));
  CUSTODY_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObjectBody(request));
  http::JsonObjectReader reader(body);
  NewUser user;
  CUSTODY_ASSIGN_OR_RETURN(user.email, reader.String("email"));
  CUSTODY_ASSIGN_OR_RETURN(user.display_name, reader.String("display_name"));
  CUSTODY_RETURN_IF_ERROR(reader.RejectUnknownFields());
  return user;
}

Result<std::string> ParseUserId(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {}));
  return PathId(request, "user_id", store::kUserIdPrefix);
}

Result<std::string> ParseDeactivation(const http::Request& request) {
  CUSTODY_ASSIGN_OR_RETURN(std::string user_id, PathId(request, "user_id", store::kUserIdPrefix));
  CUSTODY_RETURN_IF_ERROR(NoQueryOrBody(request));
  return user_id;
}

// Runs `operation` on a user of the caller's organization as an audited write that needs
// kManageUsers. The role is checked before the user is looked up: every member of the
// organization may know that its users exist.
template <typename Operation>
Result<identity::User> ManageUser(ApiContext& api, const RequestContext& context,
                                  evidence::AuditEntry& entry, Operation&& operation) {
  return evidence::AuditedWriteReturning<identity::User>(
      api.db, api.clock, context, entry, [&](store::Transaction& tx) -> Result<identity::User> {
        CUSTODY_RETURN_IF_ERROR(
            evidence::AuthorizeOrganizationAction(tx, context, Action::kManageUsers, entry));
        return operation(tx);
      });
}

Result<http::Response> CreateUser(ApiContext& api, const RequestContext& context,
                                  const NewUser& input) {
  evidence::AuditEntry entry{"user.create", "", ""};
  CUSTODY_ASSIGN_OR_RETURN(
      identity::User user,
      ManageUser(api, context, entry, [&](store::Transaction& tx) -> Result<identity::User> {
        CUSTODY_ASSIGN_OR_RETURN(
            identity::User created,
            identity::CreateUser(tx, api.clock, context.principal.organization_id, input.email,
                                 input.display_name));
        entry.resource = UserResource(created.id);
        return created;
      }));
  return http::JsonResponse(201, UserJson(user));
}

Result<http::Response> ListUsers(ApiContext& api, const RequestContext& context,
                                 const PageRequest& page) {
  evidence::AuditEntry entry{"user.list", "", ""};
  CUSTODY_ASSIGN_OR_RETURN(identity::UserPage users,
                           evidence::AuditedWriteReturning<identity::UserPage>(
                               api.db, api.clock, context, entry,
                               [&](store::Transaction& tx) -> Result<identity::UserPage> {
                                 CUSTODY_RETURN_IF_ERROR(evidence::AuthorizeOrganizationAction(
                                     tx, context, Action::kManageUsers, entry));
                                 return identity::ListUsers(tx, context.principal.organization_id,
                                                            page.after, page.limit);
                               }));
  nlohmann::json items = nlohmann::json::array();
  for (const identity::User& user : users.users) {
    items.push_back(UserJson(user));
  }
  return http::JsonResponse(200, ListJson(std::move(items), users.next_after));
}

Result<http::Response> GetUser(ApiContext& api, const RequestContext& context,
                               const std::string& user_id) {
  evidence::AuditEntry entry{"user.read", UserResource(user_id), ""};
  CUSTODY_ASSIGN_OR_RETURN(
      identity::User user, ManageUser(api, context, entry, [&](store::Transaction& tx) {
        return identity::GetUser(tx, context.principal.organization_id, user_id);
      }));
  return http::JsonResponse(200, UserJson(user));
}

Result<http::Response> DeactivateUser(ApiContext& api, const RequestContext& context,
                                      const std::string& user_id) {
  evidence::AuditEntry entry{"user.deactivate", UserResource(user_id), ""};
  CUSTODY_ASSIGN_OR_RETURN(
      identity::User user, ManageUser(api, context, entry, [&](store::Transaction& tx) {
        return identity::DeactivateUser(tx, api.clock, context.principal.organization_id, user_id);
      }));
  return http::JsonResponse(200, UserJson(user));
}

}  // namespace

void RegisterUserRoutes(http::Router& router, ApiContext& api) {
  router.Add("POST", "/api/v1/users",
             Serve<NewUser>(api, {"user.create", ParseNewUser,
                                  [&api](const RequestContext& context, NewUser& input) {
                                    return CreateUser(api, context, input);
                                  }}));
  router.Add("GET", "/api/v1/users",
             Serve<PageRequest>(api, {"user.list", ParsePage,
                                      [&api](const RequestContext& context, PageRequest& page) {
                                        return ListUsers(api, context, page);
                                      }}));
  router.Add("GET", "/api/v1/users/{user_id}",
             Serve<std::string>(api, {"user.read", ParseUserId,
                                      [&api](const RequestContext& context, std::string& user_id) {
                                        return GetUser(api, context, user_id);
                                      }}));
  router.Add("POST", "/api/v1/users/{user_id}/deactivate",
             Serve<std::string>(api, {"user.deactivate", ParseDeactivation,
                                      [&api](const RequestContext& context, std::string& user_id) {
                                        return DeactivateUser(api, context, user_id);
                                      }}));
}

}  // namespace custody::api
