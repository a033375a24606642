#include "custody/server/app.h"

#include <gtest/gtest.h>

namespace custody::server {
namespace {

TEST(App, ServerOptionsFromConfig) {
  Config config;
  config.server.listen_address = "::1";
  config.server.listen_port = 0;
  config.server.worker_threads = 7;
  config.server.max_body_bytes = 2048;
  const http::ServerOptions options = MakeServerOptions(config);
  EXPECT_EQ(options.address, "::1");
  EXPECT_EQ(options.port, 0);
  EXPECT_EQ(options.worker_threads, 7u);
  EXPECT_EQ(options.max_body_bytes, 2048u);
}

TEST(App, StartsOnFreePortAndStops) {
  Config config;
  config.server.listen_port = 0;
  App app(config);
  const Status status = app.Start();
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_NE(app.port(), 0);
  EXPECT_EQ(app.address(), "127.0.0.1");
  app.Stop();
}

TEST(App, StartFailsWhenPortTaken) {
  Config config;
  config.server.listen_port = 0;
  App first(config);
  ASSERT_TRUE(first.Start().ok());
  config.server.listen_port = first.port();
  App second(config);
  const Status status = second.Start();
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace custody::server
