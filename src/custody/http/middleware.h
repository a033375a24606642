// The steps every request and response pass through, apart from socket I/O: the catch-all
// around handlers, the response headers the server owns, and the access log line.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "custody/http/message.h"
#include "custody/http/router.h"

namespace custody::http {

// Routes the request and runs its handler. An exception from the handler becomes a 500 problem
// and an error log line with the request id.
Response InvokeHandler(const Router& router, Request& request,
                       const std::vector<std::string>& segments) noexcept;

// Prepares a handler's response for the wire:
// * a status outside 100..599, or a header name or value with CR, LF or NUL, turns the
//   response into a 500 problem (logged), so a handler cannot split the response;
// * Date, Connection, Content-Length and Transfer-Encoding are removed because the server
//   sets the framing headers itself and sends no Date (responses depend only on the request
//   and the stored state);
// * X-Request-Id, X-Content-Type-Options: nosniff and Referrer-Policy: no-referrer are set,
//   and Cache-Control: no-store unless the handler chose a Cache-Control.
void FinalizeResponse(Response& response, std::string_view request_id);

// Returns true when `path` is `prefix` or a path below it: "/api/v1" and "/api/v1/me" are
// below "/api/v1", but "/api/v10" is not. An empty prefix matches no path.
bool IsPathUnderPrefix(std::string_view path, std::string_view prefix);

// Returns true when the request has exactly one Authorization field and its scheme is Bearer
// (compared without regard to case) followed by a token. The token itself is not checked.
bool HasBearerAuthorization(const Request& request);

// Returns true when a Cookie field of the request has a cookie called `name` with a non-empty
// value. An empty `name` matches nothing. The value itself is not checked.
bool HasCookie(const Request& request, std::string_view name);

// The 401 problem, with "WWW-Authenticate: Bearer", for a request that needs a bearer token.
Response BearerTokenRequiredResponse();

struct AccessRecord {
  std::string_view request_id;
  std::string_view method;  // empty when the request line could not be parsed
  std::string_view path;    // decoded path without the query, which may carry credentials
  std::string_view remote;
  int status = 0;
  std::chrono::steady_clock::duration duration{};
  uint64_t request_body_bytes = 0;
  uint64_t response_body_bytes = 0;
};

// Writes the access log line ("msg":"request") at info level.
void LogAccess(const AccessRecord& record);

}  // namespace custody::http
