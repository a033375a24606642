#include "custody/http/middleware.h"

#include <algorithm>
#include <exception>

#include "custody/common/log.h"
#include "custody/http/problem.h"

namespace custody::http {
namespace {

bool HasUnsafeCharacter(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

bool IsValidHeaderName(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7F || c == ':') {
      return false;
    }
  }
  return true;
}

Response InternalError() {
  return ProblemResponse(Internal("internal error"));
}

}  // namespace

Response InvokeHandler(const Router& router, Request& request,
                       const std::vector<std::string>& segments) noexcept {
  try {
    return router.Dispatch(request, segments);
  } catch (const std::exception& error) {
    log::Error("handler threw an exception", {{"request_id", request.request_id},
                                              {"method", request.method},
                                              {"path", request.path},
                                              {"error", error.what()}});
  } catch (...) {
    log::Error("handler threw an exception", {{"request_id", request.request_id},
                                              {"method", request.method},
                                              {"path", request.path},
                                              {"error", "not a std::exception"}});
  }
  try {
    return InternalError();
  } catch (...) {
    // Building a small response can only fail when memory runs out.
    Response response;
    response.status = 500;
    return response;
  }
}

void FinalizeResponse(Response& response, std::string_view request_id) {
  bool valid = response.status >= 100 && response.status <= 599;
  for (const auto& [name, value] : response.headers) {
    if (!IsValidHeaderName(name) || HasUnsafeCharacter(value)) {
      valid = false;
    }
  }
  if (!valid) {
    log::Error("handler returned an invalid response",
               {{"request_id", request_id}, {"status", response.status}});
    response = InternalError();
  }

  for (std::string_view name : {"Date", "Connection", "Content-Length", "Transfer-Encoding"}) {
    response.headers.Remove(name);
  }
  response.headers.Set("X-Request-Id", request_id);
  response.headers.Set("X-Content-Type-Options", "nosniff");
  response.headers.Set("Referrer-Policy", "no-referrer");
  if (!response.headers.Has("Cache-Control")) {
    response.headers.Set("Cache-Control", "no-store");
  }
}

bool IsPathUnderPrefix(std::string_view path, std::string_view prefix) {
  if (prefix.empty() || !path.starts_with(prefix)) {
    return false;
  }
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

bool HasBearerAuthorization(const Request& request) {
  if (request.headers.Count("Authorization") != 1) {
    return false;
  }
  std::string_view value = *request.headers.Find("Authorization");
  constexpr std::string_view kScheme = "Bearer";
  if (value.size() <= kScheme.size() ||
      !EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme) || value[kScheme.size()] != ' ') {
    return false;
  }
  value.remove_prefix(kScheme.size());
  return value.find_first_not_of(' ') != std::string_view::npos;
}

bool HasCookie(const Request& request, std::string_view name) {
  if (name.empty()) {
    return false;
  }
  for (const auto& [field, value] : request.headers) {
    if (!EqualsIgnoreCase(field, "Cookie")) {
      continue;
    }
    std::string_view rest = value;
    while (!rest.empty()) {
      const size_t end = std::min(rest.find(';'), rest.size());
      std::string_view pair = rest.substr(0, end);
      rest.remove_prefix(std::min(end + 1, rest.size()));
      while (!pair.empty() && pair.front() == ' ') {
        pair.remove_prefix(1);
      }
      if (pair.size() > name.size() + 1 && pair.starts_with(name) && pair[name.size()] == '=') {
        return true;
      }
    }
  }
  return false;
}

Response BearerTokenRequiredResponse() {
  Response response =
      ProblemResponse(Unauthenticated("the API token is missing, invalid or revoked"));
  response.headers.Set("WWW-Authenticate", "Bearer");
  return response;
}

void LogAccess(const AccessRecord& record) {
  const double duration_ms = std::chrono::duration<double, std::milli>(record.duration).count();
  log::Info("request", {{"request_id", record.request_id},
                        {"method", record.method},
                        {"path", record.path},
                        {"status", record.status},
                        {"duration_ms", duration_ms},
                        {"remote", record.remote},
                        {"request_body_bytes", record.request_body_bytes},
                        {"response_body_bytes", record.response_body_bytes}});
}

}  // namespace custody::http
