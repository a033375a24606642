// App: custodyd's wiring. It owns the configuration, the shared services, the router and the
// HTTP server, and is the one place where modules are connected.
//
// To add routes: put the services their handlers need into Services (built in App::Start), and
// register the routes in RegisterRoutes (routes.cc). Register readiness checks for new
// dependencies on services.readiness.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "custody/api/auth.h"
#include "custody/api/handler_support.h"
#include "custody/audit/checkpoint_signer.h"
#include "custody/audit/maintenance.h"
#include "custody/audit/worm_job.h"
#include "custody/aws/credential_cache.h"
#include "custody/aws/http_transport.h"
#include "custody/aws/s3.h"
#include "custody/aws/sts.h"
#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/evidence/service.h"
#include "custody/http/metrics.h"
#include "custody/http/router.h"
#include "custody/http/server.h"
#include "custody/http/static_files.h"
#include "custody/server/config.h"
#include "custody/server/readiness.h"
#include "custody/store/database.h"

namespace custody::server {

// What route handlers share, built once at start and alive until the server has stopped.
struct Services {
  const Config& config;
  const Clock& clock;  // for every expiry check; tests pass a FixedClock
  http::Metrics& metrics;
  ReadinessChecks& readiness;
  // The control-plane database, which also contains the audit log, the identities, the roles
  // and the evidence metadata (docs/data-model.md).
  store::Database& database;
  aws::HttpTransport& transport;      // outbound HTTPS to STS and S3
  aws::StsClient& sts;                // signs AssumeRole with the service's own key
  aws::CredentialCache& credentials;  // temporary credentials per organization and user
  aws::S3Client& s3;                  // HEAD of uploaded objects
  evidence::EvidenceService& evidence;
  api::ApiContext& api;  // what the /api/v1 handlers use
  // Signs the audit logs' checkpoints with the keys of the [audit] section.
  const audit::CheckpointSigner& checkpoint_signer;
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

  // Opens the database, builds the services, registers every route and starts listening.
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
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<aws::HttpTransport> transport_;
  std::unique_ptr<aws::StsClient> sts_;
  std::unique_ptr<aws::CredentialCache> credentials_;
  std::unique_ptr<aws::S3Client> s3_;
  std::unique_ptr<evidence::EvidenceService> evidence_;
  std::unique_ptr<api::ApiContext> api_;
  std::unique_ptr<api::AuthServices> auth_;  // sign-in, sessions and access tokens
  std::unique_ptr<audit::CheckpointSigner> checkpoint_signer_;
  std::unique_ptr<audit::AuditMaintenance> audit_maintenance_;
  // The WORM export of the audit logs; all null when [audit.worm] is absent.
  std::unique_ptr<audit::WormMetrics> worm_metrics_;
  std::unique_ptr<aws::S3Client> worm_s3_;
  std::unique_ptr<audit::WormJob> worm_job_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<http::StaticFiles> web_app_;  // null when the app is not served
  std::unique_ptr<http::Server> server_;  // last, so that it stops before the services go

  // Opens the database and builds the AWS clients and the API's services.
  Status BuildServices();
  // Loads the audit signing keys, stores the retention policy and prepares the audit jobs.
  Status BuildAuditServices();
  // Prepares the WORM export job of [audit.worm], when the section is present.
  void BuildWormExport();
  // Serves server.web_root for the paths no route matches, when it contains a built app.
  void ServeWebApp();
};

// Registers the readiness checks of the database ("database": a write transaction can begin
// and commit) and of the audit log ("audit_log": its newest record can be read and decoded).
// Neither adds a record or changes a row.
void AddStoreReadinessChecks(ReadinessChecks& readiness, store::Database& database);

// Runs `custodyd serve`: starts the app, logs the listening address, waits for SIGTERM or
// SIGINT, then stops. Returns the process exit code (0 after a clean stop).
int RunServe(const Config& config);

}  // namespace custody::server
