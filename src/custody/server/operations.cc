#include "custody/server/operations.h"

#include <string>

#include "custody/common/log.h"

namespace custody::server {
namespace {

constexpr std::string_view kJson = "application/json";

http::Response Readiness(const ReadinessChecks& readiness, const http::Request& request) {
  const std::vector<ReadinessChecks::Failure> failures = readiness.Run();
  if (failures.empty()) {
    return http::TextResponse(200, kJson, R"({"status":"ready"})");
  }
  std::string names;
  for (const ReadinessChecks::Failure& failure : failures) {
    log::Warn("readiness check failed", {{"request_id", request.request_id},
                                         {"check", failure.name},
                                         {"error", failure.status.ToString()}});
    if (!names.empty()) {
      names += ",";
    }
    names += "\"";
    log::AppendJsonEscaped(failure.name, &names);
    names += "\"";
  }
  return http::TextResponse(503, kJson, R"({"status":"unavailable","failed":[)" + names + "]}");
}

}  // namespace

void RegisterOperationsRoutes(http::Router& router, const http::Metrics& metrics,
                              const ReadinessChecks& readiness) {
  router.Add("GET", "/healthz",
             [](http::Request&) { return http::TextResponse(200, kJson, R"({"status":"ok"})"); });
  router.Add("GET", "/readyz",
             [&readiness](http::Request& request) { return Readiness(readiness, request); });
  router.Add("GET", "/metrics", [&metrics](http::Request&) {
    return http::TextResponse(200, "text/plain; version=0.0.4; charset=utf-8",
                              metrics.RenderPrometheus());
  });
}

}  // namespace custody::server
