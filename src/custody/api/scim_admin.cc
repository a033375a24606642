// /api/v1/scim: what an organization's admins manage about SCIM provisioning: the SCIM tokens
// its IdP uses, the mappings from SCIM groups to role assignments, and the record of SCIM
// changes. Every endpoint needs the sso.manage action (admin on the root entity).
#include <charconv>

#include <nlohmann/json.hpp>

#include "custody/api/auth.h"
#include "custody/api/routes.h"
#include "custody/api/shapes.h"
#include "custody/http/json.h"
#include "custody/scim/group_mappings.h"
#include "custody/scim/provisioning.h"
#include "custody/scim/tokens.h"
#include "custody/store/ids.h"

namespace custody::api {
namespace {

using authz::Action;
using nlohmann::json;

json ScimTokenJson(const scim::ScimToken& token) {
  json out = json::object();
  out["id"] = token.id;
  out["name"] = token.name;
  out["created_at"] = TimeJson(token.created_at);
  out["created_by"] = token.created_by;
  out["revoked_at"] = TimeJson(token.revoked_at);
  return out;
}

json GroupMappingJson(const scim::GroupMapping& mapping) {
  json out = json::object();
  out["id"] = mapping.id;
  out["group_id"] = mapping.group_id;
  out["group_display_name"] = mapping.group_display_name;
  out["entity_id"] = mapping.entity_id;
  out["role"] = authz::RoleName(mapping.role);
  out["created_at"] = TimeJson(mapping.created_at);
  out["created_by"] = mapping.created_by;
  return out;
}

// Runs `operation` as an audited write that needs kManageSso.
template <typename T, typename Operation>
Result<T> ManageScim(ApiContext& api, const RequestContext& context, evidence::AuditEntry& entry,
                     Operation&& operation) {
  return evidence::AuditedWriteReturning<T>(
      api.db, api.clock, context, entry, [&](store::Transaction& tx) -> Result<T> {
        CUSTODY_RETURN_IF_ERROR(
            evidence::AuthorizeOrganizationAction(tx, context, Action::kManageSso, entry));
        // Changes (not the ".list" reads) need a recent MFA sign-in when step-up is on.
        if (!entry.action.ends_with(".list")) {
          CUSTODY_RETURN_IF_ERROR(RequireStepUp(api, tx, context));
        }
        return operation(tx);
      });
}

scim::ChangeContext ChangeContextOf(const RequestContext& context) {
  scim::ChangeContext change;
  change.organization_id = context.principal.organization_id;
  change.actor = context.principal.user_id;
  change.request_id = context.request_id;
  change.source = context.source;
  return change;
}

Result<int> ParseLimit(const http::Request& request,
                       std::initializer_list<std::string_view> allowed, int max) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, allowed));
  const std::optional<std::string> text = request.QueryParam("limit");
  if (!text.has_value()) {
    return std::min(kDefaultPageSize, max);
  }
  int value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || error != std::errc() || end != text->data() + text->size() || value < 1 ||
      value > max) {
    return InvalidArgument("limit must be an integer between 1 and " + std::to_string(max),
                           "limit");
  }
  return value;
}

// --- SCIM tokens

Result<std::string> ParseNewTokenName(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {}));
  CUSTODY_ASSIGN_OR_RETURN(json body, http::ParseJsonObjectBody(request));
  http::JsonObjectReader reader(body);
  CUSTODY_ASSIGN_OR_RETURN(std::string name, reader.String("name"));
  CUSTODY_RETURN_IF_ERROR(reader.RejectUnknownFields());
  return name;
}

Result<http::Response> CreateScimToken(ApiContext& api, const RequestContext& context,
                                       const std::string& name) {
  evidence::AuditEntry entry{"scim_token.create", "", ""};
  CUSTODY_ASSIGN_OR_RETURN(
      scim::CreatedScimToken created,
      ManageScim<scim::CreatedScimToken>(api, context, entry, [&](store::Transaction& tx) {
        Result<scim::CreatedScimToken> token = scim::CreateScimToken(
            tx, api.clock, context.principal.organization_id, name, context.principal.user_id);
        if (token.ok()) {
          entry.resource = "scim_token/" + token->token.id;
        }
        return token;
      }));
  json body = ScimTokenJson(created.token);
  body["token"] = created.value.Reveal();  // shown in this response only
  return http::JsonResponse(201, body);
}

Result<http::Response> ListScimTokens(ApiContext& api, const RequestContext& context, int limit) {
  evidence::AuditEntry entry{"scim_token.list", "", ""};
  CUSTODY_ASSIGN_OR_RETURN(
      std::vector<scim::ScimToken> tokens,
      ManageScim<std::vector<scim::ScimToken>>(api, context, entry, [&](store::Transaction& tx) {
        return scim::ListScimTokens(tx, context.principal.organization_id, limit);
      }));
  json items = json::array();
  for (const scim::ScimToken& token : tokens) {
    items.push_back(ScimTokenJson(token));
  }
  return http::JsonResponse(200, json{{"items", std::move(items)}});
}

Result<std::string> ParseScimTokenId(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(NoQueryOrBody(request));
  return PathId(request, "scim_token_id", scim::kScimTokenIdPrefix);
}

Result<http::Response> RevokeScimToken(ApiContext& api, const RequestContext& context,
                                       const std::string& token_id) {
  evidence::AuditEntry entry{"scim_token.revoke", "scim_token/" + token_id, ""};
  CUSTODY_RETURN_IF_ERROR(
      ManageScim<scim::ScimToken>(api, context, entry, [&](store::Transaction& tx) {
        return scim::RevokeScimToken(tx, api.clock, context.principal.organization_id, token_id);
      }).status());
  http::Response response;
  response.status = 204;
  return response;
}

// --- Group mappings

struct NewMapping {
  std::string group_id;
  std::string entity_id;
  std::string role;
};

Result<NewMapping> ParseNewMapping(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {}));
  CUSTODY_ASSIGN_OR_RETURN(json body, http::ParseJsonObjectBody(request));
  http::JsonObjectReader reader(body);
  NewMapping mapping;
  CUSTODY_ASSIGN_OR_RETURN(mapping.group_id, reader.String("group_id"));
  CUSTODY_ASSIGN_OR_RETURN(mapping.entity_id, reader.String("entity_id"));
  CUSTODY_ASSIGN_OR_RETURN(mapping.role, reader.String("role"));
  CUSTODY_RETURN_IF_ERROR(reader.RejectUnknownFields());
  CUSTODY_RETURN_IF_ERROR(CheckBodyId(mapping.group_id, scim::kGroupIdPrefix, "/group_id"));
  CUSTODY_RETURN_IF_ERROR(CheckBodyId(mapping.entity_id, store::kEntityIdPrefix, "/entity_id"));
  return mapping;
}

Result<http::Response> CreateGroupMapping(ApiContext& api, const RequestContext& context,
                                          const NewMapping& input) {
  evidence::AuditEntry entry{"scim_group_mapping.create", "scim_group/" + input.group_id, ""};
  scim::ChangeContext change = ChangeContextOf(context);
  CUSTODY_ASSIGN_OR_RETURN(
      scim::GroupMapping mapping,
      ManageScim<scim::GroupMapping>(api, context, entry, [&](store::Transaction& tx) {
        Result<scim::GroupMapping> created = scim::CreateGroupMapping(
            tx, api.clock, change, input.group_id, input.entity_id, input.role);
        if (created.ok()) {
          entry.resource = "scim_group_mapping/" + created->id;
        }
        return created;
      }));
  return http::JsonResponse(201, GroupMappingJson(mapping));
}

Result<http::Response> ListGroupMappings(ApiContext& api, const RequestContext& context,
                                         int limit) {
  evidence::AuditEntry entry{"scim_group_mapping.list", "", ""};
  CUSTODY_ASSIGN_OR_RETURN(
      std::vector<scim::GroupMapping> mappings,
      ManageScim<std::vector<scim::GroupMapping>>(api, context, entry, [&](store::Transaction& tx) {
        return scim::ListGroupMappings(tx, context.principal.organization_id, limit);
      }));
  json items = json::array();
  for (const scim::GroupMapping& mapping : mappings) {
    items.push_back(GroupMappingJson(mapping));
  }
  return http::JsonResponse(200, json{{"items", std::move(items)}});
}

Result<std::string> ParseMappingId(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(NoQueryOrBody(request));
  return PathId(request, "mapping_id", scim::kGroupMappingIdPrefix);
}

Result<http::Response> DeleteGroupMapping(ApiContext& api, const RequestContext& context,
                                          const std::string& mapping_id) {
  evidence::AuditEntry entry{"scim_group_mapping.delete", "scim_group_mapping/" + mapping_id, ""};
  scim::ChangeContext change = ChangeContextOf(context);
  const Result<bool> deleted =
      ManageScim<bool>(api, context, entry, [&](store::Transaction& tx) -> Result<bool> {
        const Status status = scim::DeleteGroupMapping(tx, api.clock, change, mapping_id);
        if (!status.ok()) {
          return status;
        }
        return true;
      });
  if (!deleted.ok()) {
    return deleted.status();
  }
  http::Response response;
  response.status = 204;
  return response;
}

// --- SCIM groups and changes, read-only

Result<http::Response> ListScimGroups(ApiContext& api, const RequestContext& context, int limit) {
  evidence::AuditEntry entry{"scim_group.list", "", ""};
  CUSTODY_ASSIGN_OR_RETURN(
      json groups, ManageScim<json>(api, context, entry, [&](store::Transaction& tx) {
        scim::ListQuery query;
        query.count = limit;
        return scim::ListGroups(tx, context.principal.organization_id, query, "");
      }));
  json items = json::array();
  for (const json& group : groups.at("Resources")) {
    json item = {{"id", group.at("id")},
                 {"display_name", group.at("displayName")},
                 {"external_id", group.value("externalId", json())},
                 {"member_count", group.at("members").size()}};
    items.push_back(std::move(item));
  }
  return http::JsonResponse(200, json{{"items", std::move(items)}});
}

struct ChangesQuery {
  std::string resource;
  int limit = kDefaultPageSize;
};

Result<ChangesQuery> ParseChangesQuery(const http::Request& request) {
  ChangesQuery query;
  CUSTODY_ASSIGN_OR_RETURN(query.limit, ParseLimit(request, {"resource", "limit"}, kMaxPageSize));
  const std::optional<std::string> resource = request.QueryParam("resource");
  if (!resource.has_value() || resource->empty() || resource->size() > 100) {
    return InvalidArgument("resource must name a SCIM resource, such as user/usr_...", "resource");
  }
  query.resource = *resource;
  return query;
}

Result<http::Response> ListScimChanges(ApiContext& api, const RequestContext& context,
                                       const ChangesQuery& query) {
  evidence::AuditEntry entry{"scim_change.list", query.resource, ""};
  CUSTODY_ASSIGN_OR_RETURN(
      json items,
      ManageScim<json>(api, context, entry, [&](store::Transaction& tx) -> Result<json> {
        CUSTODY_ASSIGN_OR_RETURN(
            std::vector<store::Row> rows,
            tx.Query("SELECT request_id, time, actor, action, changes FROM scim_changes "
                     "WHERE organization_id = ? AND resource = ? ORDER BY seq DESC LIMIT ?",
                     {context.principal.organization_id, query.resource, query.limit}));
        json list = json::array();
        for (const store::Row& row : rows) {
          list.push_back({{"request_id", row.Text(0)},
                          {"time", TimeJson(row.Time(1))},
                          {"actor", row.Text(2)},
                          {"action", row.Text(3)},
                          {"changes", json::parse(row.Text(4), nullptr, false)}});
        }
        return list;
      }));
  return http::JsonResponse(200, json{{"items", std::move(items)}});
}

}  // namespace

void RegisterScimAdminRoutes(http::Router& router, ApiContext& api) {
  router.Add("POST", "/api/v1/scim/tokens",
             Serve<std::string>(api, {"scim_token.create", ParseNewTokenName,
                                      [&api](const RequestContext& context, std::string& name) {
                                        return CreateScimToken(api, context, name);
                                      }}));
  router.Add("GET", "/api/v1/scim/tokens",
             Serve<int>(api, {"scim_token.list",
                              [](const http::Request& request) {
                                return ParseLimit(request, {"limit"}, scim::kMaxScimTokenPageSize);
                              },
                              [&api](const RequestContext& context, int& limit) {
                                return ListScimTokens(api, context, limit);
                              }}));
  router.Add("DELETE", "/api/v1/scim/tokens/{scim_token_id}",
             Serve<std::string>(api, {"scim_token.revoke", ParseScimTokenId,
                                      [&api](const RequestContext& context, std::string& id) {
                                        return RevokeScimToken(api, context, id);
                                      }}));
  router.Add("POST", "/api/v1/scim/group-mappings",
             Serve<NewMapping>(api, {"scim_group_mapping.create", ParseNewMapping,
                                     [&api](const RequestContext& context, NewMapping& input) {
                                       return CreateGroupMapping(api, context, input);
                                     }}));
  router.Add("GET", "/api/v1/scim/group-mappings",
             Serve<int>(api, {"scim_group_mapping.list",
                              [](const http::Request& request) {
                                return ParseLimit(request, {"limit"},
                                                  scim::kMaxGroupMappingPageSize);
                              },
                              [&api](const RequestContext& context, int& limit) {
                                return ListGroupMappings(api, context, limit);
                              }}));
  router.Add("DELETE", "/api/v1/scim/group-mappings/{mapping_id}",
             Serve<std::string>(api, {"scim_group_mapping.delete", ParseMappingId,
                                      [&api](const RequestContext& context, std::string& id) {
                                        return DeleteGroupMapping(api, context, id);
                                      }}));
  router.Add("GET", "/api/v1/scim/groups",
             Serve<int>(api, {"scim_group.list",
                              [](const http::Request& request) {
                                return ParseLimit(request, {"limit"}, scim::kMaxListCount);
                              },
                              [&api](const RequestContext& context, int& limit) {
                                return ListScimGroups(api, context, limit);
                              }}));
  router.Add("GET", "/api/v1/scim/changes",
             Serve<ChangesQuery>(api, {"scim_change.list", ParseChangesQuery,
                                       [&api](const RequestContext& context, ChangesQuery& query) {
                                         return ListScimChanges(api, context, query);
                                       }}));
}

}  // namespace custody::api
