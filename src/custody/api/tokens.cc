// /api/v1/tokens: API tokens. Everyone manages their own; admins also those of other users.
#include "custody/identity/tokens.h"

#include <nlohmann/json.hpp>

#include "custody/api/auth.h"
#include "custody/api/routes.h"
#include "custody/api/shapes.h"
#include "custody/http/json.h"
#include "custody/identity/users.h"
#include "custody/store/ids.h"

namespace custody::api {
namespace {

using authz::Action;

// Audit reason of a request by a non-admin to revoke another user's token.
constexpr std::string_view kReasonNotOwnToken = "not_own_token";

struct NewToken {
  std::string name;
  std::optional<std::string> user_id;  // empty: the caller
};

Result<NewToken> ParseNewToken(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {}));
  CUSTODY_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObjectBody(request));
  http::JsonObjectReader reader(body);
  NewToken token;
  CUSTODY_ASSIGN_OR_RETURN(token.name, reader.String("name"));
  CUSTODY_ASSIGN_OR_RETURN(token.user_id, reader.OptionalString("user_id"));
  CUSTODY_RETURN_IF_ERROR(reader.RejectUnknownFields());
  if (token.user_id.has_value()) {
    CUSTODY_RETURN_IF_ERROR(CheckBodyId(*token.user_id, store::kUserIdPrefix, "/user_id"));
  }
  return token;
}

Result<std::string> ParseTokenId(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {}));
  return PathId(request, "token_id", store::kTokenIdPrefix);
}

// True when the caller may manage other users' tokens. A lower role gives false, not a
// denial, and a database failure is returned as an error.
Result<bool> ManagesOthersTokens(store::Transaction& tx, const RequestContext& context) {
  const authz::Decision decision =
      authz::DecideOrganizationAction(tx, context.principal, Action::kManageTokensOfOthers);
  if (decision.allowed()) {
    return true;
  }
  if (decision.status.code() == ErrorCode::kPermissionDenied) {
    return false;
  }
  return decision.status;
}

Result<http::Response> CreateToken(ApiContext& api, const RequestContext& context,
                                   const NewToken& input) {
  const std::string& organization_id = context.principal.organization_id;
  const std::string user_id = input.user_id.value_or(context.principal.user_id);
  evidence::AuditEntry entry{"token.create", "user/" + user_id, ""};
  CUSTODY_ASSIGN_OR_RETURN(
      identity::CreatedToken created,
      evidence::AuditedWriteReturning<identity::CreatedToken>(
          api.db, api.clock, context, entry,
          [&](store::Transaction& tx) -> Result<identity::CreatedToken> {
            // A token outlives its session and is exempt from step-up, so minting one from a
            // session needs a recent MFA sign-in when step-up is on.
            CUSTODY_RETURN_IF_ERROR(RequireStepUp(api, tx, context));
            if (user_id != context.principal.user_id) {
              CUSTODY_RETURN_IF_ERROR(evidence::AuthorizeOrganizationAction(
                  tx, context, Action::kManageTokensOfOthers, entry));
              CUSTODY_RETURN_IF_ERROR(identity::GetUser(tx, organization_id, user_id).status());
            }
            CUSTODY_ASSIGN_OR_RETURN(identity::CreatedToken token,
                                     identity::CreateToken(tx, api.clock, organization_id, user_id,
                                                           input.name, context.principal.user_id));
            entry.resource = "token/" + token.token.id;
            return token;
          }));
  nlohmann::json body = TokenJson(created.token);
  body["token"] = created.value.Reveal();  // shown in this response only
  return http::JsonResponse(201, body);
}

Result<http::Response> ListTokens(ApiContext& api, const RequestContext& context,
                                  const PageRequest& page) {
  evidence::AuditEntry entry{"token.list", "", ""};
  CUSTODY_ASSIGN_OR_RETURN(identity::TokenPage tokens,
                           evidence::AuditedWriteReturning<identity::TokenPage>(
                               api.db, api.clock, context, entry,
                               [&](store::Transaction& tx) -> Result<identity::TokenPage> {
                                 CUSTODY_ASSIGN_OR_RETURN(const bool all_users,
                                                          ManagesOthersTokens(tx, context));
                                 std::optional<std::string_view> user_filter;
                                 if (!all_users) {
                                   user_filter = context.principal.user_id;
                                 }
                                 return identity::ListTokens(tx, context.principal.organization_id,
                                                             user_filter, page.after, page.limit);
                               }));
  nlohmann::json items = nlohmann::json::array();
  for (const identity::ApiToken& token : tokens.tokens) {
    items.push_back(TokenJson(token));
  }
  return http::JsonResponse(200, ListJson(std::move(items), tokens.next_after));
}

Result<http::Response> RevokeToken(ApiContext& api, const RequestContext& context,
                                   const std::string& token_id) {
  evidence::AuditEntry entry{"token.revoke", "token/" + token_id, ""};
  const std::string& organization_id = context.principal.organization_id;
  const Status revoked = evidence::AuditedWrite(
      api.db, api.clock, context, entry, [&](store::Transaction& tx) -> Status {
        const Result<identity::ApiToken> token = identity::GetToken(tx, organization_id, token_id);
        if (!token.ok() && token.status().code() != ErrorCode::kNotFound) {
          return token.status();
        }
        if (!token.ok() || token->user_id != context.principal.user_id) {
          // To a caller who may not manage other users' tokens, another user's token is the
          // same 404 as an unknown id, so that token ids cannot be probed.
          CUSTODY_ASSIGN_OR_RETURN(const bool manages_others, ManagesOthersTokens(tx, context));
          if (!manages_others) {
            if (token.ok()) {
              entry.reason = std::string(kReasonNotOwnToken);
            }
            return authz::NotFoundError();
          }
          CUSTODY_RETURN_IF_ERROR(token.status());
          CUSTODY_RETURN_IF_ERROR(evidence::AuthorizeOrganizationAction(
              tx, context, Action::kManageTokensOfOthers, entry));
        }
        return identity::RevokeToken(tx, api.clock, organization_id, token_id).status();
      });
  if (!revoked.ok()) {
    return revoked;
  }
  return http::Response{204, {}, ""};
}

}  // namespace

void RegisterTokenRoutes(http::Router& router, ApiContext& api) {
  router.Add("POST", "/api/v1/tokens",
             Serve<NewToken>(api, {"token.create", ParseNewToken,
                                   [&api](const RequestContext& context, NewToken& input) {
                                     return CreateToken(api, context, input);
                                   }}));
  router.Add("GET", "/api/v1/tokens",
             Serve<PageRequest>(api, {"token.list", ParsePage,
                                      [&api](const RequestContext& context, PageRequest& page) {
                                        return ListTokens(api, context, page);
                                      }}));
  router.Add("DELETE", "/api/v1/tokens/{token_id}",
             Serve<std::string>(api, {"token.revoke", ParseTokenId,
                                      [&api](const RequestContext& context, std::string& token_id) {
                                        return RevokeToken(api, context, token_id);
                                      }}));
}

}  // namespace custody::api
