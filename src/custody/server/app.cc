#include "custody/server/app.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "custody/audit/record.h"
#include "custody/audit/retention.h"
#include "custody/audit/signing_key.h"
#include "custody/common/log.h"
#include "custody/http/static_files.h"
#include "custody/server/audit_commands.h"
#include "custody/server/audit_worm.h"
#include "custody/server/auth_services.h"
#include "custody/server/operations.h"
#include "custody/server/web_connect_sources.h"

namespace custody::server {
namespace {

// The region that signs AssumeRole calls: the region of the default endpoint,
// https://sts.us-east-1.amazonaws.com. One client serves every organization.
// NOTE: an aws.sts_endpoint in another AWS region needs that region for signing, and the
// configuration has no key for it yet (Ceph RGW does not check the region).
constexpr std::string_view kStsRegion = "us-east-1";

aws::Credentials ServiceCredentials(const AwsSection& aws) {
  aws::Credentials credentials;
  credentials.access_key_id = aws.access_key_id.Reveal();
  credentials.secret_access_key = aws.secret_access_key;
  return credentials;
}

Status CheckAuditLogTail(store::Transaction& tx) {
  // The newest record of the log that grew last; its payload is NULL only once purged.
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT r.seq, r.encoded FROM audit_heads h JOIN audit_records r "
                  "ON r.organization_id = h.organization_id AND r.seq = h.size - 1 "
                  "ORDER BY h.updated_at DESC LIMIT 1"));
  if (!row.has_value() || row->IsNull(1)) {
    return Status::Ok();
  }
  CUSTODY_ASSIGN_OR_RETURN(const audit::DecodedRecord decoded, audit::Decode(row->Bytes(1)));
  if (decoded.seq != static_cast<uint64_t>(row->Int64(0))) {
    return Internal("the newest audit record does not encode its own seq");
  }
  return Status::Ok();
}

}  // namespace

void AddStoreReadinessChecks(ReadinessChecks& readiness, store::Database& database) {
  // BEGIN IMMEDIATE takes the write lock, so a database that is locked, read-only or
  // unreachable fails here. The empty transaction commits without writing anything.
  readiness.Add("database", [&database] {
    return database.Write([](store::Transaction&) { return Status::Ok(); });
  });
  readiness.Add("audit_log", [&database] { return database.Read(CheckAuditLogTail); });
}

http::ServerOptions MakeServerOptions(const Config& config) {
  http::ServerOptions options;
  options.address = config.server.listen_address;
  options.port = config.server.listen_port;
  options.worker_threads = static_cast<size_t>(config.server.worker_threads);
  options.max_body_bytes = static_cast<uint64_t>(config.server.max_body_bytes);
  return options;
}

App::App(Config config, const Clock& clock) : config_(std::move(config)), clock_(clock) {}

Status App::BuildAuditServices() {
  const AuditSection& audit_config = config_.audit;
  const std::string origin_host = AuditOriginHost(config_);
  std::vector<audit::NoteSigner> signers;
  CUSTODY_ASSIGN_OR_RETURN(audit::NoteSigner current,
                           audit::LoadSigningKeyFile(audit_config.signing_key_file));
  signers.push_back(std::move(current));
  for (const std::string& path : audit_config.previous_signing_key_files) {
    Result<audit::NoteSigner> previous = audit::LoadSigningKeyFile(path);
    if (!previous.ok()) {
      return InvalidArgument(previous.status().message(), "audit.previous_signing_key_files");
    }
    signers.push_back(std::move(previous).value());
  }
  CUSTODY_ASSIGN_OR_RETURN(audit::CheckpointSigner signer,
                           audit::CheckpointSigner::Create(origin_host, std::move(signers)));
  checkpoint_signer_ = std::make_unique<audit::CheckpointSigner>(std::move(signer));

  audit::RetentionPolicy retention;
  retention.security_days = audit_config.retention.security_days;
  retention.operational_days = audit_config.retention.operational_days;
  CUSTODY_RETURN_IF_ERROR(audit::ApplyRetentionPolicy(*database_, clock_, retention));

  audit::MaintenanceOptions maintenance;
  maintenance.checkpoint_every_records =
      static_cast<uint64_t>(audit_config.checkpoint_every_records);
  maintenance.checkpoint_interval = std::chrono::seconds(audit_config.checkpoint_interval_seconds);
  maintenance.purge_interval = std::chrono::seconds(audit_config.purge_interval_seconds);
  audit_maintenance_ = std::make_unique<audit::AuditMaintenance>(*database_, *checkpoint_signer_,
                                                                 clock_, maintenance);
  return Status::Ok();
}

void App::BuildWormExport() {
  const std::optional<audit::WormTarget> target = MakeWormTarget(config_);
  if (!target) {
    log::Info("audit WORM export is off because [audit.worm] is not configured");
    return;
  }
  worm_metrics_ = std::make_unique<audit::WormMetrics>();
  metrics_.AddSource(
      [worm_metrics = worm_metrics_.get()] { return worm_metrics->RenderPrometheus(); });
  aws::S3Options s3_options;
  s3_options.allow_insecure_loopback = config_.aws.allow_insecure_loopback;
  worm_s3_ = std::make_unique<aws::S3Client>(*transport_, clock_, s3_options);
  worm_job_ =
      std::make_unique<audit::WormJob>(*database_, *worm_s3_, clock_, *target,
                                       MakeWormSchedule(*config_.audit_worm), *worm_metrics_);
}

App::~App() {
  Stop();
}

Status App::BuildServices() {
  const AwsSection& aws_config = config_.aws;

  CUSTODY_ASSIGN_OR_RETURN(database_, store::Database::Open(config_.database.path));
  AddStoreReadinessChecks(readiness_, *database_);
  CUSTODY_RETURN_IF_ERROR(BuildAuditServices());

  if (aws_config.access_key_id.empty()) {
    log::Warn("aws.access_key_id is not set, so uploads and downloads fail until it is",
              {{"key", "aws.access_key_id"}});
  }
  transport_ = aws::MakeBeastTransport();
  aws::StsOptions sts_options;
  sts_options.allow_insecure_loopback = aws_config.allow_insecure_loopback;
  sts_ = std::make_unique<aws::StsClient>(*transport_, ServiceCredentials(aws_config),
                                          aws_config.sts_endpoint, std::string(kStsRegion), clock_,
                                          sts_options);

  // Cached credentials are refreshed while they still outlast the longest URL they may sign.
  const std::chrono::seconds longest_url(
      std::max(aws_config.upload_url_ttl_seconds, aws_config.download_url_ttl_seconds));
  aws::CredentialCacheOptions cache_options;
  cache_options.refresh_margin = longest_url;
  cache_options.session_duration = std::chrono::seconds(aws_config.session_duration_seconds);
  const Status cache_checked = aws::CheckCredentialCacheOptions(cache_options, longest_url);
  if (!cache_checked.ok()) {
    return InvalidArgument("aws.session_duration_seconds is too short for the URL lifetimes: " +
                               cache_checked.message(),
                           "aws.session_duration_seconds");
  }
  credentials_ = std::make_unique<aws::CredentialCache>(*sts_, clock_, cache_options);

  aws::S3Options s3_options;
  s3_options.allow_insecure_loopback = aws_config.allow_insecure_loopback;
  s3_ = std::make_unique<aws::S3Client>(*transport_, clock_, s3_options);

  evidence::EvidenceOptions evidence_options;
  evidence_options.upload_url_ttl = std::chrono::seconds(aws_config.upload_url_ttl_seconds);
  evidence_options.download_url_ttl = std::chrono::seconds(aws_config.download_url_ttl_seconds);
  evidence_options.allow_insecure_loopback = aws_config.allow_insecure_loopback;
  evidence_ = std::make_unique<evidence::EvidenceService>(*database_, clock_, *credentials_, *s3_,
                                                          evidence_options);

  api_ = std::make_unique<api::ApiContext>(
      api::ApiContext{*database_, clock_, *evidence_, *credentials_, config_.server.public_url,
                      aws_config.allow_insecure_loopback, nullptr});
  CUSTODY_ASSIGN_OR_RETURN(auth_, BuildAuthServices(config_, *transport_, clock_));
  api_->auth = auth_.get();
  BuildWormExport();
  services_ = std::make_unique<Services>(Services{config_, clock_, metrics_, readiness_, *database_,
                                                  *transport_, *sts_, *credentials_, *s3_,
                                                  *evidence_, *api_, *checkpoint_signer_});
  return Status::Ok();
}

Status App::Start() {
  if (services_ != nullptr) {
    return FailedPrecondition("app already started");
  }
  CUSTODY_RETURN_IF_ERROR(BuildServices());
  RegisterOperationsRoutes(router_, metrics_, readiness_);
  RegisterRoutes(router_, *services_);
  ServeWebApp();

  http::ServerOptions options = MakeServerOptions(config_);
  // Requests that the server rejects before routing (413, a malformed target) are access
  // decisions too, so they get a deny record like every other request.
  options.on_rejected = [api = api_.get()](const http::Request& request, const Status& rejection) {
    return api::RecordRejectedRequest(*api, request, rejection);
  };
  options.session_cookie_name = api::SessionCookieName(auth_->settings);
  server_ = std::make_unique<http::Server>(std::move(options), router_, metrics_);
  CUSTODY_RETURN_IF_ERROR(server_->Start());
  audit_maintenance_->Start();
  if (worm_job_ != nullptr) {
    worm_job_->Start();
  }
  return Status::Ok();
}

void App::Stop() {
  if (server_ != nullptr) {
    server_->Stop();
  }
  if (audit_maintenance_ != nullptr) {
    audit_maintenance_->Stop();
  }
  if (worm_job_ != nullptr) {
    worm_job_->Stop();
  }
}

void App::ServeWebApp() {
  if (config_.server.web_root.empty()) {
    log::Info("the web app is off because server.web_root is empty");
    return;
  }
  http::StaticFilesOptions options;
  options.root = config_.server.web_root;
  options.connect_sources = config_.server.web_connect_sources;
  options.request_connect_sources = [api = api_.get()](const http::Request& request) {
    return SessionConnectSources(*api, request);
  };
  options.strict_transport_security = config_.server.public_url.starts_with("https://");
  Result<std::unique_ptr<http::StaticFiles>> files = http::StaticFiles::Open(std::move(options));
  if (!files.ok()) {
    // The API works without the app, so a missing build is no reason to refuse to start.
    log::Warn("the web app is not served",
              {{"web_root", config_.server.web_root}, {"error", files.status().ToString()}});
    return;
  }
  web_app_ = std::move(*files);
  router_.SetNotFoundHandler(
      [files = web_app_.get()](http::Request& request) { return files->Serve(request); });
  log::Info("serving the web app", {{"web_root", web_app_->root()}});
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
