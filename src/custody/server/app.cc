#include "custody/server/app.h"

#include <pthread.h>
#include <signal.h>

#include <utility>

#include "custody/common/log.h"
#include "custody/server/operations.h"

namespace custody::server {

http::ServerOptions MakeServerOptions(const Config& config) {
  http::ServerOptions options;
  options.address = config.server.listen_address;
  options.port = config.server.listen_port;
  options.worker_threads = static_cast<size_t>(config.server.worker_threads);
  options.max_body_bytes = static_cast<uint64_t>(config.server.max_body_bytes);
  return options;
}

App::App(Config config, const Clock& clock) : config_(std::move(config)), clock_(clock) {}

App::~App() {
  Stop();
}

Status App::Start() {
  if (services_ != nullptr) {
    return FailedPrecondition("app already started");
  }
  services_ = std::make_unique<Services>(Services{config_, clock_, metrics_, readiness_});
  RegisterOperationsRoutes(router_, metrics_, readiness_);
  RegisterRoutes(router_, *services_);
  server_ = std::make_unique<http::Server>(MakeServerOptions(config_), router_, metrics_);
  return server_->Start();
}

void App::Stop() {
  if (server_ != nullptr) {
    server_->Stop();
  }
}

std::string App::address() const {
  return server_ == nullptr ? "" : server_->address();
}

uint16_t App::port() const {
  return server_ == nullptr ? 0 : server_->port();
}

int RunServe(const Config& config) {
  // Block the stop signals before any thread starts, so every thread inherits the mask and
  // only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  App app(config);
  const Status started = app.Start();
  if (!started.ok()) {
    log::Error("custodyd failed to start", {{"error", started.ToString()}});
    return 1;
  }
  log::Info(
      "custodyd listening",
      {{"address", app.address()}, {"port", app.port()}, {"public_url", config.server.public_url}});

  int received = 0;
  sigwait(&stop_signals, &received);
  log::Info("custodyd stopping", {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"},
                                  {"address", app.address()},
                                  {"port", app.port()}});
  app.Stop();
  log::Info("custodyd stopped", {{"address", app.address()}, {"port", app.port()}});
  return 0;
}

}  // namespace custody::server
