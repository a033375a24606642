// /scim/v2: the SCIM 2.0 service provider that IdPs drive (docs/scim.md). Requests authenticate
// with an organization's SCIM token, never with a user's API token. Resource names in the path
// compare without regard to case ("/users" works like "/Users"), and a trailing "/" is ignored,
// because clients send both.
//
// Every request, reads included, writes an audit record whose actor is the SCIM token id.
// Errors are SCIM error bodies (RFC 7644 §3.12) with Content-Type application/scim+json.
#include <algorithm>
#include <charconv>
#include <functional>

#include <nlohmann/json.hpp>

#include "custody/api/routes.h"
#include "custody/common/log.h"
#include "custody/http/json.h"
#include "custody/http/middleware.h"
#include "custody/http/target.h"
#include "custody/scim/errors.h"
#include "custody/scim/projection.h"
#include "custody/scim/provisioning.h"
#include "custody/scim/schemas.h"
#include "custody/scim/tokens.h"

namespace custody::api {
namespace {

using nlohmann::json;
using scim::ResourceKind;

constexpr std::string_view kScimContentType = "application/scim+json";
constexpr std::string_view kScimPrefix = "/scim/v2";
// Action of the deny record of a request whose SCIM token fails.
constexpr std::string_view kActionScimRequest = "scim.request";

http::Response ScimJson(int status, const json& body) {
  http::Response response = http::JsonResponse(status, body);
  response.headers.Set("Content-Type", kScimContentType);
  return response;
}

http::Response ScimErrorBody(int status, std::string_view scim_type, std::string_view detail) {
  scim::ScimError error;
  error.http_status = status;
  error.scim_type = std::string(scim_type);
  error.detail = std::string(detail);
  http::Response response = ScimJson(status, scim::ScimErrorJson(error));
  if (status == 401) {
    response.headers.Set("WWW-Authenticate", "Bearer");
  }
  return response;
}

http::Response ScimErrorResponse(const Status& status) {
  const scim::ScimError error = scim::ToScimError(status);
  return ScimErrorBody(error.http_status, error.scim_type, error.detail);
}

std::string BaseUrl(const ApiContext& api) {
  return api.public_url + std::string(kScimPrefix);
}

// --- Authentication

Result<scim::ScimPrincipal> AuthenticateScim(ApiContext& api, const http::Request& request,
                                             std::string* reason) {
  if (request.headers.Count("Authorization") == 0) {
    *reason = std::string(scim::kReasonScimTokenMissing);
    return Unauthenticated("the SCIM token is missing, invalid or revoked");
  }
  if (!http::HasBearerAuthorization(request)) {
    *reason = std::string(scim::kReasonScimTokenMalformed);
    return Unauthenticated("the SCIM token is missing, invalid or revoked");
  }
  std::string_view token = *request.headers.Find("Authorization");
  token.remove_prefix(token.find(' ') + 1);
  while (!token.empty() && token.front() == ' ') {
    token.remove_prefix(1);
  }
  return store::ReadReturning<scim::ScimPrincipal>(api.db, [&](store::Transaction& tx) {
    return scim::AuthenticateScimToken(tx, token, reason);
  });
}

RequestContext AnonymousContext(const http::Request& request) {
  RequestContext context;
  context.request_id = request.request_id;
  context.source = request.remote_address;
  return context;
}

// --- Request parts

Status CheckBodyContentType(const http::Request& request) {
  if (request.headers.Count("Content-Type") > 1) {
    return scim::ScimInvalid(scim::kInvalidSyntax, "the request has more than one Content-Type");
  }
  const std::string content_type = request.headers.Get("Content-Type");
  if (content_type.empty() || http::IsJsonContentType(content_type)) {
    return Status::Ok();
  }
  const std::string media_type = content_type.substr(0, content_type.find(';'));
  if (http::EqualsIgnoreCase(media_type, kScimContentType)) {
    return Status::Ok();
  }
  return Status(ErrorCode::kUnsupportedMediaType,
                "Content-Type must be application/scim+json or application/json");
}

Result<json> ParseBody(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(CheckBodyContentType(request));
  Result<json> body = http::ParseJson(request.body);
  if (!body.ok()) {
    return scim::ScimInvalid(scim::kInvalidSyntax,
                             "the body is not valid JSON: " + body.status().message());
  }
  if (!body->is_object()) {
    return scim::ScimInvalid(scim::kInvalidSyntax, "the body must be a JSON object");
  }
  return body;
}

// Reads an integer query parameter. Values beyond +-1000000 are clamped, since startIndex and
// count only need to be compared with the number of resources.
Result<int> ParseIntegerParameter(const http::Request& request, std::string_view name,
                                  int default_value) {
  const std::optional<std::string> text = request.QueryParam(name);
  if (!text.has_value()) {
    return default_value;
  }
  int64_t value = 0;
  const char* const end = text->data() + text->size();
  const auto [parsed_end, error] = std::from_chars(text->data(), end, value);
  if (text->empty() || parsed_end != end ||
      (error != std::errc() && error != std::errc::result_out_of_range)) {
    return scim::ScimInvalid(scim::kInvalidValue,
                             std::string(name) + " must be an integer, not \"" + *text + "\"");
  }
  if (error == std::errc::result_out_of_range) {
    value = text->front() == '-' ? -1'000'000 : 1'000'000;
  }
  return static_cast<int>(std::clamp<int64_t>(value, -1'000'000, 1'000'000));
}

Result<scim::AttributeSelection> ParseSelection(const http::Request& request) {
  return scim::ParseAttributeSelection(request.QueryParam("attributes"),
                                       request.QueryParam("excludedAttributes"));
}

struct ListRequest {
  scim::ListQuery query;
  scim::AttributeSelection selection;
};

Result<ListRequest> ParseListRequest(const http::Request& request) {
  ListRequest list;
  if (const std::optional<std::string> filter = request.QueryParam("filter")) {
    CUSTODY_ASSIGN_OR_RETURN(list.query.filter, scim::ParseFilter(*filter));
  }
  CUSTODY_ASSIGN_OR_RETURN(list.query.start_index, ParseIntegerParameter(request, "startIndex", 1));
  CUSTODY_ASSIGN_OR_RETURN(list.query.count,
                           ParseIntegerParameter(request, "count", scim::kMaxListCount));
  CUSTODY_ASSIGN_OR_RETURN(list.selection, ParseSelection(request));
  return list;
}

// The body of POST /Users/.search (RFC 7644 §3.4.3).
Result<ListRequest> ParseSearchRequest(const http::Request& request) {
  CUSTODY_ASSIGN_OR_RETURN(json body, ParseBody(request));
  ListRequest list;
  const auto string_field = [&](const char* name) -> std::optional<std::string> {
    const auto it = body.find(name);
    if (it == body.end() || !it->is_string()) {
      return std::nullopt;
    }
    return it->get<std::string>();
  };
  const auto list_field = [&](const char* name) -> std::optional<std::string> {
    const auto it = body.find(name);
    if (it == body.end() || !it->is_array()) {
      return std::nullopt;
    }
    std::string joined;
    for (const json& entry : *it) {
      if (entry.is_string()) {
        joined += (joined.empty() ? "" : ",") + entry.get<std::string>();
      }
    }
    return joined;
  };
  if (const std::optional<std::string> filter = string_field("filter")) {
    CUSTODY_ASSIGN_OR_RETURN(list.query.filter, scim::ParseFilter(*filter));
  }
  if (body.contains("startIndex") && body["startIndex"].is_number_integer()) {
    list.query.start_index = static_cast<int>(
        std::clamp<int64_t>(body["startIndex"].get<int64_t>(), -1'000'000, 1'000'000));
  }
  if (body.contains("count") && body["count"].is_number_integer()) {
    list.query.count =
        static_cast<int>(std::clamp<int64_t>(body["count"].get<int64_t>(), -1'000'000, 1'000'000));
  }
  CUSTODY_ASSIGN_OR_RETURN(
      list.selection,
      scim::ParseAttributeSelection(list_field("attributes"), list_field("excludedAttributes")));
  return list;
}

// --- Responses

std::string ResourceName(ResourceKind kind, std::string_view id) {
  return (kind == ResourceKind::kUser ? "user/" : "scim_group/") + std::string(id);
}

std::string ActionName(ResourceKind kind, std::string_view verb) {
  return (kind == ResourceKind::kUser ? "scim.user." : "scim.group.") + std::string(verb);
}

http::Response ResourceResponse(int status, const json& resource,
                                const scim::AttributeSelection& selection) {
  http::Response response = ScimJson(status, scim::SelectAttributes(resource, selection));
  const auto meta = resource.find("meta");
  if (meta != resource.end() && meta->contains("version")) {
    response.headers.Set("ETag", meta->at("version").get<std::string>());
  }
  if (status == 201 && meta != resource.end() && meta->contains("location")) {
    response.headers.Set("Location", meta->at("location").get<std::string>());
  }
  return response;
}

http::Response ListResponse(const json& list, const scim::ListQuery& query,
                            const scim::AttributeSelection& selection) {
  json resources = json::array();
  for (const json& resource : list.at("Resources")) {
    resources.push_back(scim::SelectAttributes(resource, selection));
  }
  const json body = scim::ListResponseJson(list.at("totalResults").get<int64_t>(),
                                           std::max(query.start_index, 1), std::move(resources));
  return ScimJson(200, body);
}

// --- The operations

class ScimRequest {
 public:
  ScimRequest(ApiContext& api, RequestContext context, http::Request& request)
      : api_(api), context_(std::move(context)), request_(request), base_url_(BaseUrl(api)) {}

  Result<http::Response> Dispatch(const std::vector<std::string>& segments);

 private:
  // Runs `operation` as an audited write with the record of `action` on `resource`.
  Result<json> Audited(
      std::string_view action, std::string resource,
      const std::function<Result<json>(store::Transaction&, scim::ChangeContext&)>& operation);

  // Records the denial of a request that failed before its operation ran.
  Status Deny(std::string_view action, const Status& status) {
    return RecordParseDenial(api_, context_, action, status);
  }

  // 405 and 501 have no ErrorCode: their deny records carry the reason code, and the
  // response is built here.
  Result<http::Response> RejectWith(int http_status, std::string_view reason,
                                    const std::string& detail) {
    const evidence::AuditEntry entry{std::string(kActionScimRequest), "", std::string(reason)};
    const Status recorded =
        evidence::RecordDenial(api_.db, api_.clock, context_, entry, InvalidArgument(detail));
    if (recorded.code() == ErrorCode::kUnavailable) {
      return recorded;
    }
    return ScimErrorBody(http_status, "", detail);
  }

  Result<http::Response> MethodNotAllowed() {
    return RejectWith(405, "method_not_allowed",
                      request_.method + " is not allowed on " + request_.path);
  }

  Result<http::Response> Unsupported(const std::string& detail) {
    return RejectWith(501, "not_supported", detail);
  }

  Result<http::Response> Discovery(const std::vector<std::string>& segments);
  Result<http::Response> Collection(ResourceKind kind);
  Result<http::Response> Search(ResourceKind kind);
  Result<http::Response> Item(ResourceKind kind, const std::string& id);
  Result<http::Response> Create(ResourceKind kind);
  Result<http::Response> Get(ResourceKind kind, const std::string& id);
  Result<http::Response> Replace(ResourceKind kind, const std::string& id);
  Result<http::Response> Patch(ResourceKind kind, const std::string& id);
  Result<http::Response> Delete(ResourceKind kind, const std::string& id);
  Result<http::Response> List(ResourceKind kind, const ListRequest& list);

  std::optional<std::string> IfMatch() const {
    const std::string* value = request_.headers.Find("If-Match");
    return value == nullptr ? std::nullopt : std::optional<std::string>(*value);
  }

  ApiContext& api_;
  RequestContext context_;
  http::Request& request_;
  std::string base_url_;
};

Result<json> ScimRequest::Audited(
    std::string_view action, std::string resource,
    const std::function<Result<json>(store::Transaction&, scim::ChangeContext&)>& operation) {
  scim::ChangeContext change;
  change.organization_id = context_.principal.organization_id;
  change.actor = context_.principal.token_id;
  change.request_id = context_.request_id;
  change.source = context_.source;
  evidence::AuditEntry entry{std::string(action), std::move(resource), ""};
  Result<json> result = evidence::AuditedWriteReturning<json>(
      api_.db, api_.clock, context_, entry,
      [&](store::Transaction& tx) -> Result<json> { return operation(tx, change); });
  // Only after the commit: a rolled-back deactivation must not drop anything.
  // NOTE: URLs presigned before the deactivation stay valid until they expire, because S3 has
  // no way to revoke one; no new URL is signed for the user.
  if (result.ok()) {
    for (const std::string& user_id : change.deactivated_user_ids) {
      api_.credentials.Evict(change.organization_id, user_id);
    }
  }
  return result;
}

Result<http::Response> ScimRequest::Dispatch(const std::vector<std::string>& segments) {
  const std::string& name = segments.front();
  const bool users = http::EqualsIgnoreCase(name, "Users");
  if (users || http::EqualsIgnoreCase(name, "Groups")) {
    const ResourceKind kind = users ? ResourceKind::kUser : ResourceKind::kGroup;
    if (segments.size() == 1 || (segments.size() == 2 && segments[1].empty())) {
      return Collection(kind);
    }
    if (segments.size() == 2 && segments[1] == ".search") {
      return Search(kind);
    }
    if (segments.size() == 2) {
      return Item(kind, segments[1]);
    }
    return Deny("scim.request", NotFound("no SCIM endpoint at " + request_.path));
  }
  if (http::EqualsIgnoreCase(name, "Bulk") || http::EqualsIgnoreCase(name, "Me")) {
    return Unsupported(name + " is not supported; see /scim/v2/ServiceProviderConfig");
  }
  return Discovery(segments);
}

Result<http::Response> ScimRequest::Discovery(const std::vector<std::string>& segments) {
  const std::string& name = segments.front();
  const bool has_id = segments.size() == 2 && !segments[1].empty();
  if (segments.size() > 2) {
    return Deny("scim.request", NotFound("no SCIM endpoint at " + request_.path));
  }
  json body;
  if (http::EqualsIgnoreCase(name, "ServiceProviderConfig") ||
      http::EqualsIgnoreCase(name, "serviceConfiguration")) {
    if (has_id) {
      return Deny("scim.discovery.read", NotFound("no SCIM endpoint at " + request_.path));
    }
    body = scim::ServiceProviderConfigJson(base_url_, scim::kMaxListCount);
  } else if (http::EqualsIgnoreCase(name, "ResourceTypes") ||
             http::EqualsIgnoreCase(name, "Schemas")) {
    const bool types = http::EqualsIgnoreCase(name, "ResourceTypes");
    const json all = types ? scim::ResourceTypesJson(base_url_) : scim::SchemasJson(base_url_);
    if (has_id) {
      for (const json& entry : all) {
        if (entry.at("id") == segments[1]) {
          body = entry;
        }
      }
      if (body.is_null()) {
        return Deny("scim.discovery.read", NotFound(segments[1] + " is not a known " + name));
      }
    } else {
      body = scim::ListResponseJson(static_cast<int64_t>(all.size()), 1, all);
    }
  } else {
    return Deny("scim.request", NotFound("no SCIM endpoint at " + request_.path));
  }
  if (request_.method != "GET") {
    return MethodNotAllowed();
  }
  CUSTODY_RETURN_IF_ERROR(
      Audited("scim.discovery.read", "", [](store::Transaction&, scim::ChangeContext&) {
        return Result<json>(json::object());
      }).status());
  return ScimJson(200, body);
}

Result<http::Response> ScimRequest::Collection(ResourceKind kind) {
  if (request_.method == "POST") {
    return Create(kind);
  }
  if (request_.method != "GET") {
    return MethodNotAllowed();
  }
  Result<ListRequest> list = ParseListRequest(request_);
  if (!list.ok()) {
    return Deny(ActionName(kind, "list"), list.status());
  }
  return List(kind, *list);
}

Result<http::Response> ScimRequest::Search(ResourceKind kind) {
  if (request_.method != "POST") {
    return MethodNotAllowed();
  }
  Result<ListRequest> list = ParseSearchRequest(request_);
  if (!list.ok()) {
    return Deny(ActionName(kind, "list"), list.status());
  }
  return List(kind, *list);
}

Result<http::Response> ScimRequest::List(ResourceKind kind, const ListRequest& list) {
  CUSTODY_ASSIGN_OR_RETURN(
      json result,
      Audited(ActionName(kind, "list"), "", [&](store::Transaction& tx, scim::ChangeContext&) {
        return kind == ResourceKind::kUser
                   ? scim::ListUsers(tx, context_.principal.organization_id, list.query, base_url_)
                   : scim::ListGroups(tx, context_.principal.organization_id, list.query,
                                      base_url_);
      }));
  return ListResponse(result, list.query, list.selection);
}

Result<http::Response> ScimRequest::Item(ResourceKind kind, const std::string& id) {
  const std::string& method = request_.method;
  if (method == "GET") {
    return Get(kind, id);
  }
  if (method == "PUT") {
    return Replace(kind, id);
  }
  if (method == "PATCH") {
    return Patch(kind, id);
  }
  if (method == "DELETE") {
    return Delete(kind, id);
  }
  return MethodNotAllowed();
}

Result<http::Response> ScimRequest::Create(ResourceKind kind) {
  const std::string action = ActionName(kind, "create");
  Result<json> body = ParseBody(request_);
  if (!body.ok()) {
    return Deny(action, body.status());
  }
  Result<json> normalized = scim::NormalizeResource(kind, *body);
  if (!normalized.ok()) {
    return Deny(action, normalized.status());
  }
  Result<scim::AttributeSelection> selection = ParseSelection(request_);
  if (!selection.ok()) {
    return Deny(action, selection.status());
  }
  CUSTODY_ASSIGN_OR_RETURN(
      json created, Audited(action, "", [&](store::Transaction& tx, scim::ChangeContext& change) {
        return kind == ResourceKind::kUser
                   ? scim::CreateUser(tx, api_.clock, change, *normalized, base_url_)
                   : scim::CreateGroup(tx, api_.clock, change, *normalized, base_url_);
      }));
  return ResourceResponse(201, created, *selection);
}

Result<http::Response> ScimRequest::Get(ResourceKind kind, const std::string& id) {
  const std::string action = ActionName(kind, "read");
  Result<scim::AttributeSelection> selection = ParseSelection(request_);
  if (!selection.ok()) {
    return Deny(action, selection.status());
  }
  CUSTODY_ASSIGN_OR_RETURN(
      json resource,
      Audited(action, ResourceName(kind, id), [&](store::Transaction& tx, scim::ChangeContext&) {
        return kind == ResourceKind::kUser
                   ? scim::GetUser(tx, context_.principal.organization_id, id, base_url_)
                   : scim::GetGroup(tx, context_.principal.organization_id, id, base_url_);
      }));
  const std::string* if_none_match = request_.headers.Find("If-None-Match");
  const std::string etag = resource.at("meta").at("version").get<std::string>();
  if (if_none_match != nullptr && scim::ListsEntityTag(*if_none_match, etag)) {
    http::Response response;
    response.status = 304;
    response.headers.Set("ETag", etag);
    return response;
  }
  return ResourceResponse(200, resource, *selection);
}

Result<http::Response> ScimRequest::Replace(ResourceKind kind, const std::string& id) {
  const std::string action = ActionName(kind, "replace");
  Result<json> body = ParseBody(request_);
  if (!body.ok()) {
    return Deny(action, body.status());
  }
  Result<json> normalized = scim::NormalizeResource(kind, *body);
  if (!normalized.ok()) {
    return Deny(action, normalized.status());
  }
  Result<scim::AttributeSelection> selection = ParseSelection(request_);
  if (!selection.ok()) {
    return Deny(action, selection.status());
  }
  CUSTODY_ASSIGN_OR_RETURN(
      json replaced, Audited(action, ResourceName(kind, id),
                             [&](store::Transaction& tx, scim::ChangeContext& change) {
                               return kind == ResourceKind::kUser
                                          ? scim::ReplaceUser(tx, api_.clock, change, id,
                                                              *normalized, IfMatch(), base_url_)
                                          : scim::ReplaceGroup(tx, api_.clock, change, id,
                                                               *normalized, IfMatch(), base_url_);
                             }));
  return ResourceResponse(200, replaced, *selection);
}

Result<http::Response> ScimRequest::Patch(ResourceKind kind, const std::string& id) {
  const std::string action = ActionName(kind, "patch");
  Result<json> body = ParseBody(request_);
  if (!body.ok()) {
    return Deny(action, body.status());
  }
  Result<scim::AttributeSelection> selection = ParseSelection(request_);
  if (!selection.ok()) {
    return Deny(action, selection.status());
  }
  CUSTODY_ASSIGN_OR_RETURN(
      json patched,
      Audited(
          action, ResourceName(kind, id), [&](store::Transaction& tx, scim::ChangeContext& change) {
            return kind == ResourceKind::kUser
                       ? scim::PatchUser(tx, api_.clock, change, id, *body, IfMatch(), base_url_)
                       : scim::PatchGroup(tx, api_.clock, change, id, *body, IfMatch(), base_url_);
          }));
  // RFC 7644 §3.5.2 allows 204; the resource is returned when the client selects attributes.
  if (scim::IsDefaultSelection(*selection)) {
    http::Response response;
    response.status = 204;
    response.headers.Set("ETag", patched.at("meta").at("version").get<std::string>());
    return response;
  }
  return ResourceResponse(200, patched, *selection);
}

Result<http::Response> ScimRequest::Delete(ResourceKind kind, const std::string& id) {
  const std::string action = ActionName(kind, "delete");
  const Result<json> deleted = Audited(
      action, ResourceName(kind, id),
      [&](store::Transaction& tx, scim::ChangeContext& change) -> Result<json> {
        const Status status = kind == ResourceKind::kUser
                                  ? scim::DeleteUser(tx, api_.clock, change, id, IfMatch())
                                  : scim::DeleteGroup(tx, api_.clock, change, id, IfMatch());
        if (!status.ok()) {
          return status;
        }
        return json::object();
      });
  if (!deleted.ok()) {
    return deleted.status();
  }
  http::Response response;
  response.status = 204;
  return response;
}

// Splits the rest of the path that the router escaped ("%" and "/" within segments).
Result<std::vector<std::string>> SplitRest(std::string_view rest) {
  std::vector<std::string> segments;
  size_t start = 0;
  while (true) {
    const size_t slash = rest.find('/', start);
    const std::string_view part = rest.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    CUSTODY_ASSIGN_OR_RETURN(std::string decoded, http::PercentDecode(part, false));
    segments.push_back(std::move(decoded));
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  return segments;
}

http::Response HandleScim(ApiContext& api, http::Request& request) {
  std::string reason;
  Result<scim::ScimPrincipal> principal = AuthenticateScim(api, request, &reason);
  if (!principal.ok()) {
    if (principal.status().code() != ErrorCode::kUnauthenticated) {
      log::Error("SCIM authentication failed on the database",
                 {{"request_id", request.request_id}, {"error", principal.status().ToString()}});
      return ScimErrorResponse(Unavailable("the service cannot check credentials now; try later"));
    }
    const evidence::AuditEntry entry{std::string(kActionScimRequest), "", reason};
    return ScimErrorResponse(evidence::RecordDenial(api.db, api.clock, AnonymousContext(request),
                                                    entry, principal.status()));
  }

  RequestContext context = AnonymousContext(request);
  context.principal.organization_id = principal->organization_id;
  // The token is the actor of every audit record of the request.
  context.principal.user_id = principal->token_id;
  context.principal.token_id = principal->token_id;

  ScimRequest scim_request(api, context, request);
  Result<std::vector<std::string>> segments = SplitRest(request.PathParam("path"));
  Result<http::Response> response =
      segments.ok() ? scim_request.Dispatch(*segments) : Result<http::Response>(segments.status());
  if (!response.ok()) {
    if (!evidence::IsDenial(response.status())) {
      LogRequestFailure(request, kActionScimRequest, response.status());
    }
    return ScimErrorResponse(response.status());
  }
  return std::move(response).value();
}

}  // namespace

void RegisterScimRoutes(http::Router& router, ApiContext& api) {
  for (std::string_view method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
    router.Add(method, "/scim/v2/{path...}",
               [&api](http::Request& request) { return HandleScim(api, request); });
  }
}

}  // namespace custody::api
