#include "custody/server/audit_worm.h"

#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "custody/audit/reconcile.h"
#include "custody/aws/http_transport.h"
#include "custody/aws/s3.h"
#include "custody/common/log.h"
#include "custody/store/database.h"

namespace custody::server {

std::optional<audit::WormTarget> MakeWormTarget(const Config& config) {
  if (!config.audit_worm) {
    return std::nullopt;
  }
  const AuditWormSection& worm = *config.audit_worm;
  audit::WormTarget target;
  target.bucket.bucket = worm.bucket;
  target.bucket.region = worm.region;
  if (!worm.endpoint.empty()) {
    target.bucket.endpoint = worm.endpoint;
  }
  target.bucket.key_prefix = worm.key_prefix;
  target.bucket.kms_key_id = worm.kms_key_id;
  target.credentials.access_key_id = worm.access_key_id.Reveal();
  target.credentials.secret_access_key = worm.secret_access_key;
  return target;
}

audit::WormSchedule MakeWormSchedule(const AuditWormSection& worm) {
  audit::WormSchedule schedule;
  schedule.export_interval = std::chrono::seconds(worm.export_interval_seconds);
  schedule.reconcile_interval = std::chrono::seconds(worm.reconcile_interval_seconds);
  return schedule;
}

int RunAuditReconcile(const Config& config) {
  const std::optional<audit::WormTarget> target = MakeWormTarget(config);
  if (!target) {
    log::Error("custodyd audit reconcile needs the [audit.worm] section in the configuration");
    return 2;
  }
  Result<std::unique_ptr<store::Database>> database = store::Database::Open(config.database.path);
  if (!database.ok()) {
    log::Error("cannot open the database",
               {{"path", config.database.path}, {"error", database.status().ToString()}});
    return 1;
  }
  const std::unique_ptr<aws::HttpTransport> transport = aws::MakeBeastTransport();
  aws::S3Options s3_options;
  s3_options.allow_insecure_loopback = config.aws.allow_insecure_loopback;
  aws::S3Client s3(*transport, SystemClock::Instance(), s3_options);
  audit::WormMetrics metrics;
  audit::WormReconciler reconciler(**database, s3, SystemClock::Instance(), *target, metrics);

  Result<audit::ReconcileSummary> summary = reconciler.ReconcileAll();
  if (!summary.ok()) {
    log::Error("custodyd audit reconcile failed", {{"error", summary.status().ToString()}});
    return 1;
  }
  nlohmann::ordered_json output;
  output["checked"] = summary->checked;
  output["skipped"] = summary->skipped;
  output["problems"] = nlohmann::json::array();
  for (const audit::WormProblem& problem : summary->problems) {
    output["problems"].push_back({{"object_key", problem.object.object_key},
                                  {"version_id", problem.object.version_id.value_or("")},
                                  {"finding", audit::WormFindingName(problem.finding)},
                                  {"detail", problem.detail}});
  }
  std::cout << output.dump() << std::endl;
  return summary->problems.empty() ? 0 : 1;
}

}  // namespace custody::server
