// Support shared by every /api/v1 handler: bearer-token authentication, the denial record of a
// request that fails before it reaches an audited operation, path and query parameters, and
// list pagination.
//
// An endpoint is two functions, and Serve runs them as the steps of a request:
//
//   authenticate -> parse -> act (authorize, change, record) -> respond
//
// Authentication comes first so that every later denial, a malformed body included, is
// recorded under the caller's user and organization, and so that an unauthenticated caller
// learns nothing about what the endpoint accepts. `act` calls the audited operations
// (evidence::AuditedWrite, the EvidenceService), which record their own allow and deny
// decisions; Serve records the denials of authentication and parsing.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json_fwd.hpp>

#include "custody/aws/credential_cache.h"
#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/evidence/audited.h"
#include "custody/evidence/service.h"
#include "custody/http/message.h"
#include "custody/store/database.h"

namespace custody::api {

using evidence::RequestContext;

struct AuthServices;  // auth.h

// The services the handlers use, built once by the server and alive while it runs.
struct ApiContext {
  store::Database& db;
  const Clock& clock;
  evidence::EvidenceService& evidence;
  aws::CredentialCache& credentials;  // dropped for an organization when its connection changes
  std::string public_url;             // the origin that bucket CORS rules must allow
  bool allow_insecure_loopback = false;
  // Sign-in, access tokens and sessions; null when the server runs without them (tests of
  // other modules), and then only API tokens authenticate.
  AuthServices* auth = nullptr;
};

// Authenticates the request's "Authorization: Bearer <token>". On failure, writes a deny record
// for `action` (organization "", actor "anonymous", the token failure as reason) and returns
// kUnauthenticated, or kUnavailable when the record cannot be written.
Result<RequestContext> Authenticate(ApiContext& api, const http::Request& request,
                                    std::string_view action);

// The problem response for `status`; a 401 also carries "WWW-Authenticate: Bearer".
http::Response ErrorResponse(const Status& status);

// Records a request that the server rejected before routing it (http::ServerOptions::
// on_rejected): a deny record with action "http.request", under the caller when the request
// carries a valid token, else as anonymous. A kUnauthenticated rejection (no bearer token) gets
// the reason code token_missing or token_malformed. Returns kUnavailable when it cannot be
// written.
Status RecordRejectedRequest(ApiContext& api, const http::Request& request,
                             const Status& rejection);

template <typename Input>
struct Endpoint {
  // Audit action of the denials that Serve records (authentication and parsing).
  std::string action;
  // Reads and checks the request's syntax: path and query parameters, the JSON body.
  std::function<Result<Input>(const http::Request& request)> parse;
  // Carries out the request for the authenticated caller.
  std::function<Result<http::Response>(const RequestContext& context, Input& input)> act;
};

// Logs a request that failed for a reason other than a denial (a 5xx), with its request id.
void LogRequestFailure(const http::Request& request, std::string_view action, const Status& status);

// Records the denial of a request that failed in Serve's own steps. Returns the status of the
// response: `denial`, or kUnavailable when the record cannot be written.
Status RecordParseDenial(ApiContext& api, const RequestContext& context, std::string_view action,
                         const Status& denial);

// Adapts an endpoint for http::Router::Add.
template <typename Input>
http::Handler Serve(ApiContext& api, Endpoint<Input> endpoint) {
  return [&api, endpoint = std::move(endpoint)](http::Request& request) -> http::Response {
    Result<RequestContext> context = Authenticate(api, request, endpoint.action);
    if (!context.ok()) {
      return ErrorResponse(context.status());
    }
    Result<Input> input = endpoint.parse(request);
    if (!input.ok()) {
      return ErrorResponse(RecordParseDenial(api, *context, endpoint.action, input.status()));
    }
    Result<http::Response> response = endpoint.act(*context, *input);
    if (!response.ok()) {
      if (!evidence::IsDenial(response.status())) {
        LogRequestFailure(request, endpoint.action, response.status());
      }
      return ErrorResponse(response.status());
    }
    return std::move(response).value();
  };
}

// --- Parameters

// Returns the value of path parameter `name` if it is an id with `prefix` (store::IsWellFormedId);
// otherwise kInvalidArgument naming the parameter.
Result<std::string> PathId(const http::Request& request, std::string_view name,
                           std::string_view prefix);

// Checks that an id from a JSON body field ("/parent_id") is well formed with `prefix`.
Status CheckBodyId(std::string_view id, std::string_view prefix, std::string_view pointer);

// Rejects any query parameter not in `allowed`, naming the first one.
Status OnlyQueryParameters(const http::Request& request,
                           std::initializer_list<std::string_view> allowed);

// Checks that the request has no query parameters and no body other than an empty one or the
// empty JSON object (http::CheckEmptyJsonBody: 415 for a body not declared as JSON).
Status NoQueryOrBody(const http::Request& request);

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 200;

struct PageRequest {
  int limit = kDefaultPageSize;
  // The decoded cursor: the public id of the previous page's last item (its seq for audit
  // records). The list itself checks that the caller's listing includes that item.
  std::optional<std::string> after;
};

// Reads `limit` (1 to kMaxPageSize, default kDefaultPageSize) and `after` (a next_cursor) and
// rejects other query parameters. A malformed cursor fails with store::InvalidCursorError().
Result<PageRequest> ParsePage(const http::Request& request);
// As ParsePage, also allowing the filter parameters in `filters`, which the caller reads.
Result<PageRequest> ParsePageWithFilters(const http::Request& request,
                                         std::initializer_list<std::string_view> filters);

// Encodes the position after the item `key` (a public id, or an audit record's seq) as an opaque
// cursor: "v1:" + key, base64url without padding. Cursors carry no database row number, so they
// reveal nothing about other organizations.
std::string EncodeCursor(std::string_view key);

// Decodes a cursor made by EncodeCursor, or returns store::InvalidCursorError().
Result<std::string> DecodeCursor(std::string_view cursor);

// The cursor that continues after the item `next_after`, and null when there is no next page.
nlohmann::json CursorJson(const std::optional<std::string>& next_after);

// {"items": items, "next_cursor": ...}
nlohmann::json ListJson(nlohmann::json items, const std::optional<std::string>& next_after);

}  // namespace custody::api
