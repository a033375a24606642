#include "custody/http/problem.h"

#include <string>

#include <nlohmann/json.hpp>

#include "custody/common/error_catalog.h"

namespace custody::http {

std::string ProblemBody(int http_status, std::string_view type, std::string_view title,
                        std::string_view detail, std::string_view field) {
  nlohmann::ordered_json body;
  body["type"] = type;
  body["title"] = title;
  body["status"] = http_status;
  body["detail"] = detail;
  if (!field.empty()) {
    body["field"] = field;
  }
  // Replace invalid UTF-8 (a detail may quote client input) instead of throwing.
  return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Response ProblemResponse(const Status& status) {
  const Status effective =
      status.ok() ? Internal("an error response was built from an OK status") : status;
  const ErrorInfo& info = DescribeError(effective.code());
  return TextResponse(
      info.http_status, kProblemContentType,
      ProblemBody(info.http_status, info.type, info.title, effective.message(), effective.field()));
}

Handler ToHandler(FallibleHandler handler) {
  return [handler = std::move(handler)](Request& request) {
    Result<Response> result = handler(request);
    if (!result.ok()) {
      return ProblemResponse(result.status());
    }
    return std::move(result).value();
  };
}

Response NotFoundResponse() {
  return ProblemResponse(NotFound("resource not found"));
}

// The error catalog has no codes for 405, 414 and 431, because only the router and the server's
// header parser produce them.
Response MethodNotAllowedResponse(std::string_view method) {
  return TextResponse(
      405, kProblemContentType,
      ProblemBody(405, "urn:custody:problem:method-not-allowed",
                  "The method is not allowed for this resource",
                  "method " + std::string(method) + " is not allowed for this resource", ""));
}

Response UriTooLongResponse(size_t limit_bytes) {
  return TextResponse(
      414, kProblemContentType,
      ProblemBody(414, "urn:custody:problem:uri-too-long", "The request target is too long",
                  "request line is longer than the limit of " + std::to_string(limit_bytes) +
                      " bytes; send a shorter request target",
                  ""));
}

Response HeaderFieldsTooLargeResponse(size_t limit_bytes) {
  return TextResponse(431, kProblemContentType,
                      ProblemBody(431, "urn:custody:problem:header-fields-too-large",
                                  "The request header fields are too large",
                                  "request line and header fields together are larger than the "
                                  "limit of " +
                                      std::to_string(limit_bytes) + " bytes",
                                  ""));
}

}  // namespace custody::http
