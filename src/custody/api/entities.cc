// /api/v1/entities: the entity tree, filtered to the caller's scope.
#include "custody/authz/entities.h"

#include <nlohmann/json.hpp>

#include "custody/api/routes.h"
#include "custody/api/shapes.h"
#include "custody/http/json.h"
#include "custody/store/ids.h"

namespace custody::api {
namespace {

using authz::Action;

struct NewEntity {
  std::string parent_id;
  std::string kind;
  std::string name;
};

Result<NewEntity> ParseNewEntity(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {}));
  CUSTODY_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObjectBody(request));
  http::JsonObjectReader reader(body);
  NewEntity entity;
  CUSTODY_ASSIGN_OR_RETURN(entity.name, reader.String("name"));
  CUSTODY_ASSIGN_OR_RETURN(entity.kind, reader.String("kind"));
  CUSTODY_ASSIGN_OR_RETURN(entity.parent_id, reader.String("parent_id"));
  CUSTODY_RETURN_IF_ERROR(reader.RejectUnknownFields());
  CUSTODY_RETURN_IF_ERROR(CheckBodyId(entity.parent_id, store::kEntityIdPrefix, "/parent_id"));
  return entity;
}

Result<http::Response> CreateEntity(ApiContext& api, const RequestContext& context,
                                    const NewEntity& input) {
  evidence::AuditEntry entry{"entity.create", "entity/" + input.parent_id, ""};
  CUSTODY_ASSIGN_OR_RETURN(
      authz::Entity entity,
      evidence::AuditedWriteReturning<authz::Entity>(
          api.db, api.clock, context, entry, [&](store::Transaction& tx) -> Result<authz::Entity> {
            CUSTODY_RETURN_IF_ERROR(
                evidence::Authorize(tx, context, input.parent_id, Action::kCreateEntity, entry)
                    .status());
            CUSTODY_ASSIGN_OR_RETURN(
                authz::Entity created,
                authz::CreateEntity(tx, api.clock, context.principal.organization_id,
                                    input.parent_id, input.kind, input.name));
            entry.resource = "entity/" + created.id;
            return created;
          }));
  return http::JsonResponse(201, EntityJson(entity));
}

Result<http::Response> ListEntities(ApiContext& api, const RequestContext& context,
                                    const PageRequest& page) {
  evidence::AuditEntry entry{"entity.list", "", ""};
  CUSTODY_ASSIGN_OR_RETURN(authz::EntityPage entities,
                           evidence::AuditedWriteReturning<authz::EntityPage>(
                               api.db, api.clock, context, entry, [&](store::Transaction& tx) {
                                 return authz::ListEntitiesInScope(
                                     tx, context.principal.organization_id,
                                     context.principal.user_id, Action::kReadEntity, page.after,
                                     page.limit);
                               }));
  nlohmann::json items = nlohmann::json::array();
  for (const authz::Entity& entity : entities.entities) {
    items.push_back(EntityJson(entity));
  }
  return http::JsonResponse(200, ListJson(std::move(items), entities.next_after));
}

Result<http::Response> GetEntity(ApiContext& api, const RequestContext& context,
                                 const std::string& entity_id) {
  evidence::AuditEntry entry{"entity.read", "entity/" + entity_id, ""};
  CUSTODY_ASSIGN_OR_RETURN(
      authz::Entity entity,
      evidence::AuditedWriteReturning<authz::Entity>(
          api.db, api.clock, context, entry, [&](store::Transaction& tx) -> Result<authz::Entity> {
            CUSTODY_RETURN_IF_ERROR(
                evidence::Authorize(tx, context, entity_id, Action::kReadEntity, entry).status());
            return authz::GetEntity(tx, context.principal.organization_id, entity_id);
          }));
  return http::JsonResponse(200, EntityJson(entity));
}

}  // namespace

void RegisterEntityRoutes(http::Router& router, ApiContext& api) {
  router.Add("POST", "/api/v1/entities",
             Serve<NewEntity>(api, {"entity.create", ParseNewEntity,
                                    [&api](const RequestContext& context, NewEntity& input) {
                                      return CreateEntity(api, context, input);
                                    }}));
  router.Add("GET", "/api/v1/entities",
             Serve<PageRequest>(api, {"entity.list", ParsePage,
                                      [&api](const RequestContext& context, PageRequest& page) {
                                        return ListEntities(api, context, page);
                                      }}));
  router.Add(
      "GET", "/api/v1/entities/{entity_id}",
      Serve<std::string>(api, {"entity.read",
                               [](const http::Request& request) -> Result<std::string> {
                                 CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {}));
                                 return PathId(request, "entity_id", store::kEntityIdPrefix);
                               },
                               [&api](const RequestContext& context, std::string& entity_id) {
                                 return GetEntity(api, context, entity_id);
                               }}));
}

}  // namespace custody::api
