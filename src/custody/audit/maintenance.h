// The audit log's background work in custodyd: signing checkpoints on a cadence and purging
// payloads whose retention has ended.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "custody/audit/checkpoint_signer.h"
#include "custody/audit/retention.h"
#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/store/database.h"

namespace custody::audit {

struct MaintenanceOptions {
  // A log is due for a checkpoint once it has grown by this many records since its last one...
  uint64_t checkpoint_every_records = 1000;
  // ...or has grown at all and its last checkpoint is this old. A log without any checkpoint is
  // due as soon as it has a record.
  std::chrono::seconds checkpoint_interval{60};
  std::chrono::seconds purge_interval{3600};
  // How often the thread looks for due logs, so "every N records" is met within this delay.
  std::chrono::milliseconds poll_interval{1000};
};

// Signs a checkpoint for every log that is due under `options`, each in its own write
// transaction. Returns the number signed. A log whose signing fails (a damaged tree, for
// example) does not stop the others; the first such error is returned after all were tried.
Result<int> SignDueCheckpoints(store::Database& db, const CheckpointSigner& signer,
                               const Clock& clock, const MaintenanceOptions& options);

// Runs SignDueCheckpoints every poll_interval and PurgeExpiredRecords every purge_interval on a
// thread of its own, and logs what fails (at most once a minute per kind of failure).
class AuditMaintenance {
 public:
  AuditMaintenance(store::Database& db, const CheckpointSigner& signer, const Clock& clock,
                   MaintenanceOptions options);
  ~AuditMaintenance();

  AuditMaintenance(const AuditMaintenance&) = delete;
  AuditMaintenance& operator=(const AuditMaintenance&) = delete;

  void Start();
  // Stops the thread after the step in progress; safe to call more than once.
  void Stop();

 private:
  void Run();
  void LogFailure(const std::string& kind, const Status& status);

  store::Database& db_;
  const CheckpointSigner& signer_;
  const Clock& clock_;
  const MaintenanceOptions options_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
  std::map<std::string, std::chrono::steady_clock::time_point> last_logged_;
};

}  // namespace custody::audit
