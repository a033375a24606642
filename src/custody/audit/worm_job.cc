#include "custody/audit/worm_job.h"

#include <algorithm>
#include <utility>

#include "custody/common/log.h"

namespace custody::audit {

std::chrono::seconds WormExportDelay(const WormSchedule& schedule, int failures) {
  std::chrono::seconds delay = schedule.export_interval;
  for (int i = 1; i < failures && delay < schedule.max_backoff; ++i) {
    delay *= 2;
  }
  return std::min(delay, std::max(schedule.max_backoff, schedule.export_interval));
}

WormJob::WormJob(store::Database& db, aws::S3Client& s3, const Clock& clock, WormTarget target,
                 WormSchedule schedule, WormMetrics& metrics)
    : exporter_(db, s3, clock, target, metrics),
      reconciler_(db, s3, clock, std::move(target), metrics),
      schedule_(schedule) {}

WormJob::~WormJob() {
  Stop();
}

void WormJob::Start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) {
    return;
  }
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
  log::Info(
      "audit export job started",
      {{"export_interval_seconds", static_cast<int64_t>(schedule_.export_interval.count())},
       {"reconcile_interval_seconds", static_cast<int64_t>(schedule_.reconcile_interval.count())}});
}

void WormJob::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    log::Info("audit export job stopped");
  }
}

void WormJob::Run() {
  using SteadyClock = std::chrono::steady_clock;
  int failures = 0;
  SteadyClock::time_point next_export = SteadyClock::now();
  SteadyClock::time_point next_reconcile = SteadyClock::now() + schedule_.reconcile_interval;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      const SteadyClock::time_point next = std::min(next_export, next_reconcile);
      if (wake_.wait_until(lock, next, [this] { return stopping_; })) {
        return;
      }
    }

    const SteadyClock::time_point now = SteadyClock::now();
    if (now >= next_export) {
      // ExportPending logs and counts its own failures.
      Result<WormExportSummary> exported = exporter_.ExportPending();
      failures = exported.ok() ? 0 : failures + 1;
      const std::chrono::seconds delay = WormExportDelay(schedule_, failures);
      if (failures > 0) {
        log::Warn("audit export will retry",
                  {{"attempt", failures + 1},
                   {"delay_seconds", static_cast<int64_t>(delay.count())},
                   {"error", exported.status().ToString()}});
      }
      next_export = SteadyClock::now() + delay;
    }
    if (now >= next_reconcile) {
      // ReconcileAll logs and counts mismatches and failures itself.
      Result<ReconcileSummary> reconciled = reconciler_.ReconcileAll();
      if (reconciled.ok()) {
        log::Info("audit export reconciled", {{"checked", reconciled->checked},
                                              {"skipped", reconciled->skipped},
                                              {"problems", reconciled->problems.size()}});
      }
      next_reconcile = SteadyClock::now() + schedule_.reconcile_interval;
    }
  }
}

}  // namespace custody::audit
