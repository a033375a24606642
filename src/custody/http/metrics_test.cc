#include "custody/http/metrics.h"

#include <gtest/gtest.h>

namespace custody::http {
namespace {

TEST(Metrics, CountsByStatusClass) {
  Metrics metrics;
  metrics.CountResponse(200, 10);
  metrics.CountResponse(204, 0);
  metrics.CountResponse(404, 5);
  metrics.CountResponse(503, 7);
  metrics.CountResponse(999, 1);
  EXPECT_EQ(metrics.requests(2), 2u);
  EXPECT_EQ(metrics.requests(4), 1u);
  EXPECT_EQ(metrics.requests(5), 1u);
  EXPECT_EQ(metrics.requests(1), 0u);
  EXPECT_EQ(metrics.response_body_bytes(), 23u);
}

TEST(Metrics, RendersPrometheusText) {
  Metrics metrics;
  metrics.CountResponse(200, 3);
  metrics.AddRequestBodyBytes(42);
  metrics.ConnectionOpened();
  const std::string text = metrics.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE custody_http_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("custody_http_requests_total{class=\"2xx\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("custody_http_requests_total{class=\"5xx\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("custody_http_request_body_bytes_total 42\n"), std::string::npos);
  EXPECT_NE(text.find("custody_http_response_body_bytes_total 3\n"), std::string::npos);
  EXPECT_NE(text.find("custody_http_open_connections 1\n"), std::string::npos);
}

TEST(Metrics, AppendsOtherSources) {
  Metrics metrics;
  metrics.AddSource([] { return std::string("custody_other_total 7\n"); });
  const std::string text = metrics.RenderPrometheus();
  EXPECT_EQ(text.size() - text.rfind("custody_other_total 7\n"),
            std::string("custody_other_total 7\n").size());
}

}  // namespace
}  // namespace custody::http
