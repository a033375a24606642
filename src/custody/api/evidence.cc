// /api/v1/entities/{entity_id}/evidence and /api/v1/evidence/{evidence_id}: evidence items.
#include <nlohmann/json.hpp>

#include "custody/api/creator_names.h"
#include "custody/api/routes.h"
#include "custody/api/shapes.h"
#include "custody/http/json.h"
#include "custody/store/ids.h"

namespace custody::api {
namespace {

struct NewEvidence {
  std::string entity_id;
  std::string title;
  std::string description;
};

Result<NewEvidence> ParseNewEvidence(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {}));
  NewEvidence evidence;
  CUSTODY_ASSIGN_OR_RETURN(evidence.entity_id,
                           PathId(request, "entity_id", store::kEntityIdPrefix));
  CUSTODY_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObjectBody(request));
  http::JsonObjectReader reader(body);
  CUSTODY_ASSIGN_OR_RETURN(evidence.title, reader.String("title"));
  CUSTODY_ASSIGN_OR_RETURN(std::optional<std::string> description,
                           reader.OptionalString("description"));
  CUSTODY_RETURN_IF_ERROR(reader.RejectUnknownFields());
  evidence.description = description.value_or("");
  return evidence;
}

// An item's JSON with the names of the users who created it and its latest version.
Result<http::Response> NamedItemResponse(ApiContext& api, const RequestContext& context, int status,
                                         const evidence::EvidenceItemView& view) {
  nlohmann::json items = nlohmann::json::array({EvidenceItemJson(view)});
  CUSTODY_RETURN_IF_ERROR(AddCreatorNames(api.db, context.principal.organization_id, items));
  return http::JsonResponse(status, items[0]);
}

struct EntityPageRequest {
  std::string entity_id;
  PageRequest page;
  std::optional<std::string> search;  // the `q` parameter
};

Result<EntityPageRequest> ParseEntityPage(const http::Request& request) {
  EntityPageRequest parsed;
  CUSTODY_ASSIGN_OR_RETURN(parsed.entity_id, PathId(request, "entity_id", store::kEntityIdPrefix));
  CUSTODY_ASSIGN_OR_RETURN(parsed.page, ParsePageWithFilters(request, {"q"}));
  parsed.search = request.QueryParam("q");
  if (parsed.search.has_value()) {
    CUSTODY_RETURN_IF_ERROR(evidence::ValidateSearchText(*parsed.search));
  }
  return parsed;
}

Result<std::string> ParseEvidenceId(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {}));
  return PathId(request, "evidence_id", store::kEvidenceIdPrefix);
}

}  // namespace

void RegisterEvidenceRoutes(http::Router& router, ApiContext& api) {
  router.Add(
      "POST", "/api/v1/entities/{entity_id}/evidence",
      Serve<NewEvidence>(
          api,
          {"evidence.create", ParseNewEvidence,
           [&api](const RequestContext& context, NewEvidence& input) -> Result<http::Response> {
             CUSTODY_ASSIGN_OR_RETURN(evidence::EvidenceItem item,
                                      api.evidence.CreateEvidence(context, input.entity_id,
                                                                  input.title, input.description));
             return NamedItemResponse(api, context, 201,
                                      evidence::EvidenceItemView{item, std::nullopt});
           }}));

  router.Add("GET", "/api/v1/entities/{entity_id}/evidence",
             Serve<EntityPageRequest>(
                 api, {"evidence.read", ParseEntityPage,
                       [&api](const RequestContext& context,
                              EntityPageRequest& input) -> Result<http::Response> {
                         CUSTODY_ASSIGN_OR_RETURN(
                             evidence::EvidenceItemViewPage page,
                             api.evidence.ListEvidence(context, input.entity_id, input.page.after,
                                                       input.page.limit, input.search));
                         nlohmann::json items = JsonArrayOf(page.items, EvidenceItemJson);
                         CUSTODY_RETURN_IF_ERROR(
                             AddCreatorNames(api.db, context.principal.organization_id, items));
                         return http::JsonResponse(200, ListJson(items, page.next_after));
                       }}));

  router.Add("GET", "/api/v1/evidence/{evidence_id}",
             Serve<std::string>(api, {"evidence.read", ParseEvidenceId,
                                      [&api](const RequestContext& context,
                                             std::string& evidence_id) -> Result<http::Response> {
                                        CUSTODY_ASSIGN_OR_RETURN(
                                            evidence::EvidenceItemView view,
                                            api.evidence.GetEvidence(context, evidence_id));
                                        return NamedItemResponse(api, context, 200, view);
                                      }}));
}

}  // namespace custody::api
