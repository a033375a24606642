// RFC 9457 problem details: the body of every error response.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "custody/common/status.h"
#include "custody/http/message.h"

namespace custody::http {

inline constexpr std::string_view kProblemContentType = "application/problem+json";

// Builds the error response for a non-OK status: HTTP status, "type" and "title" from the
// error catalog (DescribeError), "detail" from the message, and "field" when the status names
// one. An OK status gives a 500 problem, since a handler that returns one here has a bug.
Response ProblemResponse(const Status& status);

// Returns the body ProblemResponse writes, for tests and callers that set their own headers.
std::string ProblemBody(int http_status, std::string_view type, std::string_view title,
                        std::string_view detail, std::string_view field);

// The one 404 response, for an unknown route, a missing resource and a resource outside the
// caller's scope alike. Its body has no detail that could tell the three apart.
Response NotFoundResponse();

// 405 for a path whose routes do not accept `method`. The caller adds the Allow header.
Response MethodNotAllowedResponse(std::string_view method);

// 414 for a request line longer than `limit_bytes`, which is the server's header limit.
Response UriTooLongResponse(size_t limit_bytes);

// 431 for a request line and header fields that together exceed `limit_bytes`.
Response HeaderFieldsTooLargeResponse(size_t limit_bytes);

// A handler that reports failure as a Status, so its body can use CUSTODY_ASSIGN_OR_RETURN and
// CUSTODY_RETURN_IF_ERROR.
using FallibleHandler = std::function<Result<Response>(Request&)>;

// Adapts a FallibleHandler for Router::Add: an error Status becomes its ProblemResponse.
//
//   router.Add("GET", "/api/v1/evidence/{evidence_id}",
//              http::ToHandler([&](http::Request& request) -> Result<http::Response> {
//                CUSTODY_ASSIGN_OR_RETURN(Evidence item, service.Get(request.PathParam(...)));
//                return http::JsonResponse(200, ToJson(item));
//              }));
Handler ToHandler(FallibleHandler handler);

}  // namespace custody::http
