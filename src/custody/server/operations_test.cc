#include "custody/server/operations.h"

#include <string>

#include <gtest/gtest.h>

#include "custody/http/target.h"

namespace custody::server {
namespace {

http::Response Call(const http::Router& router, const std::string& path) {
  http::Request request;
  request.method = "GET";
  Result<http::Target> target = http::ParseTarget(path);
  EXPECT_TRUE(target.ok());
  return router.Dispatch(request, target->segments);
}

TEST(Operations, Healthz) {
  http::Router router;
  http::Metrics metrics;
  ReadinessChecks readiness;
  RegisterOperationsRoutes(router, metrics, readiness);
  const http::Response response = Call(router, "/healthz");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"status":"ok"})");
  EXPECT_EQ(response.headers.Get("Content-Type"), "application/json");
}

TEST(Operations, ReadyzPassesWithPassingChecks) {
  http::Router router;
  http::Metrics metrics;
  ReadinessChecks readiness;
  readiness.Add("database", [] { return Status::Ok(); });
  RegisterOperationsRoutes(router, metrics, readiness);
  const http::Response response = Call(router, "/readyz");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"status":"ready"})");
}

TEST(Operations, ReadyzNamesFailedChecks) {
  http::Router router;
  http::Metrics metrics;
  ReadinessChecks readiness;
  readiness.Add("database", [] { return Unavailable("disk full at /var/secret/path"); });
  readiness.Add("clock", [] { return Status::Ok(); });
  readiness.Add("audit_log", []() -> Status { throw std::runtime_error("boom"); });
  RegisterOperationsRoutes(router, metrics, readiness);
  const http::Response response = Call(router, "/readyz");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, R"({"status":"unavailable","failed":["database","audit_log"]})");
  EXPECT_EQ(response.body.find("/var/secret"), std::string::npos);
}

TEST(Operations, MetricsAsPrometheusText) {
  http::Router router;
  http::Metrics metrics;
  ReadinessChecks readiness;
  metrics.AddRequestBodyBytes(7);
  RegisterOperationsRoutes(router, metrics, readiness);
  const http::Response response = Call(router, "/metrics");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.Get("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(response.body.find("custody_http_request_body_bytes_total 7\n"), std::string::npos);
}

}  // namespace
}  // namespace custody::server
