// App: custodyd's wiring. It owns the configuration, the shared services, the router and the
// HTTP server, and is the one place where modules are connected.
//
// To add the API: put the services its handlers need into Services (built in App::Start), and
// register their routes in RegisterRoutes (routes.cc). Register readiness checks for new
// dependencies on services.readiness.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/http/metrics.h"
#include "custody/http/router.h"
#include "custody/http/server.h"
#include "custody/server/config.h"
#include "custody/server/readiness.h"

namespace custody::server {

// What route handlers share, built once at start and alive until the server has stopped.
struct Services {
  const Config& config;
  const Clock& clock;  // for every expiry check; tests pass a FixedClock
  http::Metrics& metrics;
  ReadinessChecks& readiness;
  // TODO: the api wiring adds the store, audit log, authz, identity and AWS clients here.
};

// Registers the /api/v1 routes. Defined in routes.cc, which the api module fills in.
void RegisterRoutes(http::Router& router, Services& services);

// Translates the [server] section into listener options.
http::ServerOptions MakeServerOptions(const Config& config);

class App {
 public:
  explicit App(Config config, const Clock& clock = SystemClock::Instance());
  ~App();

  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Builds the services, registers every route and starts listening.
  Status Start();
  // Stops accepting, finishes requests in flight (bounded) and stops the threads.
  void Stop();

  // The bound address and port, valid after Start.
  std::string address() const;
  uint16_t port() const;

  const Config& config() const { return config_; }

 private:
  Config config_;
  const Clock& clock_;
  http::Metrics metrics_;
  ReadinessChecks readiness_;
  http::Router router_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<http::Server> server_;
};

// Runs `custodyd serve`: starts the app, logs the listening address, waits for SIGTERM or
// SIGINT, then stops. Returns the process exit code (0 after a clean stop).
int RunServe(const Config& config);

}  // namespace custody::server
