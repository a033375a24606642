// The background job in custodyd that runs the WORM exporter often and the reconciler rarely,
// on a thread of its own. Export failures are retried with exponential backoff and never make
// custodyd unready: the database stays the source of truth, and WormMetrics shows the lag.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "custody/audit/reconcile.h"
#include "custody/audit/worm_export.h"

namespace custody::audit {

struct WormSchedule {
  std::chrono::seconds export_interval{60};
  std::chrono::seconds reconcile_interval{86400};
  // Exports retry after export_interval, doubled after each further failure, up to this.
  std::chrono::seconds max_backoff{900};
};

// Returns the wait after `failures` consecutive failed exports (0 for none).
std::chrono::seconds WormExportDelay(const WormSchedule& schedule, int failures);

class WormJob {
 public:
  // All references must outlive the job.
  WormJob(store::Database& db, aws::S3Client& s3, const Clock& clock, WormTarget target,
          WormSchedule schedule, WormMetrics& metrics);
  ~WormJob();

  WormJob(const WormJob&) = delete;
  WormJob& operator=(const WormJob&) = delete;

  // Starts the thread, which exports at once and then on schedule. The first reconciliation
  // runs after one reconcile_interval.
  void Start();

  // Wakes the thread and waits for it to finish the step in progress. Safe to call twice.
  void Stop();

 private:
  void Run();

  WormExporter exporter_;
  WormReconciler reconciler_;
  WormSchedule schedule_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace custody::audit
