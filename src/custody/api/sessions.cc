// /api/v1/sessions: sign-in sessions. Everyone lists and ends their own; admins (users.manage)
// also those of other users, one at a time or all of a user at once.
#include "custody/identity/sessions.h"

#include <nlohmann/json.hpp>

#include "custody/api/routes.h"
#include "custody/http/json.h"
#include "custody/identity/users.h"
#include "custody/store/ids.h"

namespace custody::api {
namespace {

using authz::Action;

struct SessionListRequest {
  PageRequest page;
  std::optional<std::string> user_id;
};

nlohmann::json OptionalTime(const std::optional<SystemTime>& time) {
  if (!time.has_value()) {
    return nullptr;
  }
  return FormatRfc3339(*time);
}

nlohmann::json SessionJson(const identity::Session& session) {
  nlohmann::json json = nlohmann::json::object();
  json["id"] = session.id;
  json["user_id"] = session.user_id;
  json["method"] = session.method;
  json["issuer"] = session.issuer;
  json["mfa"] = session.mfa;
  json["mfa_at"] = OptionalTime(session.mfa_at);
  json["created_at"] = FormatRfc3339(session.created_at);
  json["expires_at"] = FormatRfc3339(session.expires_at);
  json["revoked_at"] = OptionalTime(session.revoked_at);
  json["revoked_reason"] = session.revoked_reason.empty() ? nlohmann::json(nullptr)
                                                          : nlohmann::json(session.revoked_reason);
  return json;
}

// True when the caller may manage other users' sessions. A lower role gives false, not a
// denial; a database failure is returned as an error.
Result<bool> ManagesOthersSessions(store::Transaction& tx, const RequestContext& context) {
  const authz::Decision decision =
      authz::DecideOrganizationAction(tx, context.principal, Action::kManageUsers);
  if (decision.allowed()) {
    return true;
  }
  if (decision.status.code() == ErrorCode::kPermissionDenied) {
    return false;
  }
  return decision.status;
}

Result<SessionListRequest> ParseSessionList(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {"limit", "after", "user_id"}));
  http::Request without_user = request;
  without_user.query.erase("user_id");
  SessionListRequest list;
  CUSTODY_ASSIGN_OR_RETURN(list.page, ParsePage(without_user));
  list.user_id = request.QueryParam("user_id");
  if (list.user_id.has_value()) {
    CUSTODY_RETURN_IF_ERROR(CheckBodyId(*list.user_id, store::kUserIdPrefix, "user_id"));
  }
  return list;
}

Result<http::Response> ListSessions(ApiContext& api, const RequestContext& context,
                                    const SessionListRequest& input) {
  evidence::AuditEntry entry{"session.list", "", ""};
  const std::string& organization_id = context.principal.organization_id;
  CUSTODY_ASSIGN_OR_RETURN(identity::SessionPage sessions,
                           evidence::AuditedWriteReturning<identity::SessionPage>(
                               api.db, api.clock, context, entry,
                               [&](store::Transaction& tx) -> Result<identity::SessionPage> {
                                 const std::string user_id =
                                     input.user_id.value_or(context.principal.user_id);
                                 if (user_id != context.principal.user_id) {
                                   CUSTODY_RETURN_IF_ERROR(evidence::AuthorizeOrganizationAction(
                                       tx, context, Action::kManageUsers, entry));
                                 }
                                 return identity::ListSessions(tx, organization_id, user_id,
                                                               input.page.after, input.page.limit);
                               }));
  nlohmann::json items = nlohmann::json::array();
  for (const identity::Session& session : sessions.sessions) {
    items.push_back(SessionJson(session));
  }
  return http::JsonResponse(200, ListJson(std::move(items), sessions.next_after));
}

Result<std::string> ParseSessionId(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(NoQueryOrBody(request));
  return PathId(request, "session_id", identity::kSessionIdPrefix);
}

Result<http::Response> RevokeSession(ApiContext& api, const RequestContext& context,
                                     const std::string& session_id) {
  evidence::AuditEntry entry{"session.revoke", "session/" + session_id, ""};
  const std::string& organization_id = context.principal.organization_id;
  const Status revoked = evidence::AuditedWrite(
      api.db, api.clock, context, entry, [&](store::Transaction& tx) -> Status {
        const Result<identity::Session> session =
            identity::GetSession(tx, organization_id, session_id);
        if (!session.ok() && session.status().code() != ErrorCode::kNotFound) {
          return session.status();
        }
        if (!session.ok() || session->user_id != context.principal.user_id) {
          // Another user's session is the same 404 as an unknown id to a non-admin.
          CUSTODY_ASSIGN_OR_RETURN(const bool manages_others, ManagesOthersSessions(tx, context));
          if (!manages_others) {
            if (session.ok()) {
              entry.reason = "not_own_session";
            }
            return authz::NotFoundError();
          }
          CUSTODY_RETURN_IF_ERROR(session.status());
          CUSTODY_RETURN_IF_ERROR(
              evidence::AuthorizeOrganizationAction(tx, context, Action::kManageUsers, entry));
        }
        const std::string_view reason = session->user_id == context.principal.user_id
                                            ? identity::kRevokedSignOut
                                            : identity::kRevokedByAdmin;
        return identity::RevokeSession(tx, api.clock, organization_id, session_id, reason).status();
      });
  if (!revoked.ok()) {
    return revoked;
  }
  return http::Response{204, {}, ""};
}

Result<std::string> ParseUserId(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(NoQueryOrBody(request));
  return PathId(request, "user_id", store::kUserIdPrefix);
}

Result<http::Response> RevokeUserSessions(ApiContext& api, const RequestContext& context,
                                          const std::string& user_id) {
  evidence::AuditEntry entry{"session.revoke_all", "user/" + user_id, ""};
  const std::string& organization_id = context.principal.organization_id;
  CUSTODY_ASSIGN_OR_RETURN(
      const int64_t count,
      evidence::AuditedWriteReturning<int64_t>(
          api.db, api.clock, context, entry, [&](store::Transaction& tx) -> Result<int64_t> {
            CUSTODY_RETURN_IF_ERROR(
                evidence::AuthorizeOrganizationAction(tx, context, Action::kManageUsers, entry));
            CUSTODY_RETURN_IF_ERROR(identity::GetUser(tx, organization_id, user_id).status());
            return identity::RevokeUserSessions(tx, api.clock, organization_id, user_id,
                                                identity::kRevokedByAdmin);
          }));
  nlohmann::json body = nlohmann::json::object();
  body["revoked"] = count;
  return http::JsonResponse(200, body);
}

}  // namespace

void RegisterSessionRoutes(http::Router& router, ApiContext& api) {
  router.Add("GET", "/api/v1/sessions",
             Serve<SessionListRequest>(
                 api, {"session.list", ParseSessionList,
                       [&api](const RequestContext& context, SessionListRequest& input) {
                         return ListSessions(api, context, input);
                       }}));
  router.Add("DELETE", "/api/v1/sessions/{session_id}",
             Serve<std::string>(api, {"session.revoke", ParseSessionId,
                                      [&api](const RequestContext& context, std::string& id) {
                                        return RevokeSession(api, context, id);
                                      }}));
  router.Add("DELETE", "/api/v1/users/{user_id}/sessions",
             Serve<std::string>(api, {"session.revoke_all", ParseUserId,
                                      [&api](const RequestContext& context, std::string& id) {
                                        return RevokeUserSessions(api, context, id);
                                      }}));
}

}  // namespace custody::api
