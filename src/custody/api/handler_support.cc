#include "custody/api/handler_support.h"

#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

#include "custody/api/auth.h"
#include "custody/audit/record.h"
#include "custody/common/error_catalog.h"
#include "custody/common/log.h"
#include "custody/crypto/encoding.h"
#include "custody/http/json.h"
#include "custody/http/problem.h"
#include "custody/identity/tokens.h"
#include "custody/store/ids.h"
#include "custody/store/page_cursor.h"

namespace custody::api {
namespace {

constexpr std::string_view kBearerScheme = "Bearer";
constexpr std::string_view kReasonTokenMissing = "token_missing";
// The cursor format's version, so that a later format can tell old cursors apart.
constexpr std::string_view kCursorPrefix = "v1:";
constexpr size_t kMaxCursorKeySize = 64;

// Returns the token of "Authorization: Bearer <token>", or sets `reason` and returns nothing.
std::optional<std::string_view> BearerToken(const http::Request& request, std::string* reason) {
  if (request.headers.Count("Authorization") == 0) {
    *reason = std::string(kReasonTokenMissing);
    return std::nullopt;
  }
  if (request.headers.Count("Authorization") > 1) {
    *reason = std::string(identity::kReasonTokenMalformed);
    return std::nullopt;
  }
  const std::string_view value = *request.headers.Find("Authorization");
  const size_t space = value.find(' ');
  if (space == std::string_view::npos ||
      !http::EqualsIgnoreCase(value.substr(0, space), kBearerScheme)) {
    *reason = std::string(identity::kReasonTokenMalformed);
    return std::nullopt;
  }
  std::string_view token = value.substr(space + 1);
  while (!token.empty() && token.front() == ' ') {
    token.remove_prefix(1);
  }
  return token;
}

RequestContext AnonymousContext(const http::Request& request) {
  RequestContext context;
  context.request_id = request.request_id;
  context.source = request.remote_address;
  return context;
}

// Looks the credential up: a bearer API token ("cst_..."), a bearer access token (a JWT), or
// without an Authorization field the session cookie. `reason` receives the failure's reason
// code.
Result<authz::Principal> PrincipalOf(ApiContext& api, const http::Request& request,
                                     std::string* reason) {
  if (api.auth != nullptr && request.headers.Count("Authorization") == 0) {
    const std::optional<std::string> cookie =
        CookieValue(request, SessionCookieName(api.auth->settings));
    if (cookie.has_value()) {
      return AuthenticateAccessToken(api, request, *cookie, /*from_cookie=*/true, reason);
    }
  }
  const std::optional<std::string_view> token = BearerToken(request, reason);
  if (!token.has_value()) {
    return Unauthenticated("the API token is missing, invalid or revoked");
  }
  if (api.auth != nullptr && !token->starts_with(identity::kTokenValuePrefix)) {
    return AuthenticateAccessToken(api, request, *token, /*from_cookie=*/false, reason);
  }
  return store::ReadReturning<authz::Principal>(api.db, [&](store::Transaction& tx) {
    return identity::AuthenticateToken(tx, *token, reason);
  });
}

Result<int64_t> ParseNonNegative(std::string_view text) {
  int64_t value = 0;
  const char* const end = text.data() + text.size();
  const auto [parsed_end, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || text.size() > 19 || error != std::errc() || parsed_end != end || value < 0 ||
      text.front() == '+' || text.front() == '-') {
    return InvalidArgument("not a number");
  }
  return value;
}

}  // namespace

// NOTE: every failed authentication is a synchronous database write, so a flood of bad tokens
// is limited only by the database's write rate; there is no rate limit per client yet.
Result<RequestContext> Authenticate(ApiContext& api, const http::Request& request,
                                    std::string_view action) {
  std::string reason;
  Result<authz::Principal> principal = PrincipalOf(api, request, &reason);
  if (principal.ok()) {
    RequestContext context = AnonymousContext(request);
    context.principal = std::move(principal).value();
    return context;
  }
  // kPermissionDenied is a cookie request without its CSRF token.
  if (principal.status().code() != ErrorCode::kUnauthenticated &&
      principal.status().code() != ErrorCode::kPermissionDenied) {
    log::Error("authentication failed on the database",
               {{"request_id", request.request_id}, {"error", principal.status().ToString()}});
    return Unavailable("the service cannot check credentials now; try again later");
  }
  const evidence::AuditEntry entry{std::string(action), "", reason};
  return evidence::RecordDenial(api.db, api.clock, AnonymousContext(request), entry,
                                principal.status());
}

http::Response ErrorResponse(const Status& status) {
  if (status.code() == ErrorCode::kPermissionDenied && status.field() == kStepUpField) {
    const ErrorInfo& info = DescribeError(status.code());
    return http::TextResponse(
        info.http_status, http::kProblemContentType,
        http::ProblemBody(info.http_status, kStepUpProblemType, "Step-up authentication required",
                          status.message(), ""));
  }
  http::Response response = http::ProblemResponse(status);
  if (status.code() == ErrorCode::kUnauthenticated) {
    response.headers.Set("WWW-Authenticate", kBearerScheme);
  }
  return response;
}

Status RecordRejectedRequest(ApiContext& api, const http::Request& request,
                             const Status& rejection) {
  RequestContext context = AnonymousContext(request);
  if (request.headers.Has("Authorization")) {
    std::string ignored_reason;
    Result<authz::Principal> principal = PrincipalOf(api, request, &ignored_reason);
    if (principal.ok()) {
      context.principal = std::move(principal).value();
    }
  }
  // The server rejects a request below /api/v1 that has no bearer token before routing it, and
  // its record carries the same reason code (token_missing, token_malformed) as a handler's.
  std::string reason;
  if (rejection.code() == ErrorCode::kUnauthenticated) {
    BearerToken(request, &reason);
  }
  const evidence::AuditEntry entry{"http.request", "", reason};
  const Status recorded = evidence::RecordDenial(api.db, api.clock, context, entry, rejection);
  return recorded.code() == ErrorCode::kUnavailable ? recorded : Status::Ok();
}

void LogRequestFailure(const http::Request& request, std::string_view action,
                       const Status& status) {
  const log::Level level =
      status.code() == ErrorCode::kInternal ? log::Level::kError : log::Level::kWarn;
  log::Write(
      level, "request failed",
      {{"request_id", request.request_id}, {"action", action}, {"error", status.ToString()}});
}

Status RecordParseDenial(ApiContext& api, const RequestContext& context, std::string_view action,
                         const Status& denial) {
  if (!evidence::IsDenial(denial)) {
    return denial;
  }
  const evidence::AuditEntry entry{std::string(action), "", ""};
  return evidence::RecordDenial(api.db, api.clock, context, entry, denial);
}

Result<std::string> PathId(const http::Request& request, std::string_view name,
                           std::string_view prefix) {
  std::string id = request.PathParam(name);
  if (!store::IsWellFormedId(id, prefix)) {
    return InvalidArgument(std::string(name) + " must be an id of the form " + std::string(prefix) +
                               " followed by 22 letters or digits",
                           std::string(name));
  }
  return id;
}

Status CheckBodyId(std::string_view id, std::string_view prefix, std::string_view pointer) {
  if (!store::IsWellFormedId(id, prefix)) {
    return InvalidArgument(std::string(pointer) + " must be an id of the form " +
                               std::string(prefix) + " followed by 22 letters or digits",
                           std::string(pointer));
  }
  return Status::Ok();
}

Status OnlyQueryParameters(const http::Request& request,
                           std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, value] : request.query) {
    bool known = false;
    for (std::string_view allowed_name : allowed) {
      known = known || name == allowed_name;
    }
    if (!known) {
      return InvalidArgument(name + " is not a known query parameter", name);
    }
  }
  return Status::Ok();
}

Status NoQueryOrBody(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {}));
  return http::CheckEmptyJsonBody(request);
}

Result<PageRequest> ParsePage(const http::Request& request) {
  return ParsePageWithFilters(request, {});
}

Result<PageRequest> ParsePageWithFilters(const http::Request& request,
                                         std::initializer_list<std::string_view> filters) {
  for (const auto& [name, value] : request.query) {
    const bool known = name == "limit" || name == "after" ||
                       std::find(filters.begin(), filters.end(), name) != filters.end();
    if (!known) {
      return InvalidArgument(name + " is not a known query parameter", name);
    }
  }
  PageRequest page;
  if (const std::optional<std::string> limit = request.QueryParam("limit")) {
    const Result<int64_t> value = ParseNonNegative(*limit);
    if (!value.ok() || *value < 1 || *value > kMaxPageSize) {
      return InvalidArgument(
          "limit must be an integer between 1 and " + std::to_string(kMaxPageSize), "limit");
    }
    page.limit = static_cast<int>(*value);
  }
  if (const std::optional<std::string> after = request.QueryParam("after")) {
    CUSTODY_ASSIGN_OR_RETURN(page.after, DecodeCursor(*after));
  }
  return page;
}

std::string EncodeCursor(std::string_view key) {
  return crypto::Base64UrlEncode(std::string(kCursorPrefix) + std::string(key));
}

Result<std::string> DecodeCursor(std::string_view cursor) {
  const std::optional<std::string> decoded = crypto::Base64UrlDecode(cursor);
  if (!decoded.has_value() || !decoded->starts_with(kCursorPrefix)) {
    return store::InvalidCursorError();
  }
  std::string key = decoded->substr(kCursorPrefix.size());
  if (key.empty() || key.size() > kMaxCursorKeySize) {
    return store::InvalidCursorError();
  }
  for (const char c : key) {
    const bool allowed =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!allowed) {
      return store::InvalidCursorError();
    }
  }
  return key;
}

nlohmann::json CursorJson(const std::optional<std::string>& next_after) {
  if (!next_after.has_value()) {
    return nullptr;
  }
  return EncodeCursor(*next_after);
}

nlohmann::json ListJson(nlohmann::json items, const std::optional<std::string>& next_after) {
  nlohmann::json list = nlohmann::json::object();
  list["items"] = std::move(items);
  list["next_cursor"] = CursorJson(next_after);
  return list;
}

}  // namespace custody::api
