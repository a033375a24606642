#include "custody/audit/maintenance.h"

#include <optional>
#include <vector>

#include "custody/common/log.h"

namespace custody::audit {
namespace {

constexpr std::chrono::seconds kFailureLogInterval{60};

struct LogState {
  std::string organization_id;
  uint64_t size = 0;
  std::optional<uint64_t> checkpoint_size;
  int64_t checkpoint_created_at = 0;
};

Result<std::vector<LogState>> ReadLogStates(store::Database& db) {
  return store::ReadReturning<std::vector<LogState>>(
      db, [](store::Transaction& tx) -> Result<std::vector<LogState>> {
        CUSTODY_ASSIGN_OR_RETURN(
            std::vector<store::Row> rows,
            tx.Query("SELECT h.organization_id, h.size, c.tree_size, c.created_at "
                     "FROM audit_heads h LEFT JOIN audit_checkpoints c "
                     "ON c.organization_id = h.organization_id AND c.tree_size = "
                     "(SELECT MAX(tree_size) FROM audit_checkpoints "
                     "WHERE organization_id = h.organization_id) "
                     "ORDER BY h.organization_id"));
        std::vector<LogState> states;
        states.reserve(rows.size());
        for (const store::Row& row : rows) {
          LogState state;
          state.organization_id = row.Text(0);
          state.size = static_cast<uint64_t>(row.Int64(1));
          if (!row.IsNull(2)) {
            state.checkpoint_size = static_cast<uint64_t>(row.Int64(2));
            state.checkpoint_created_at = row.Int64(3);
          }
          states.push_back(std::move(state));
        }
        return states;
      });
}

bool IsDue(const LogState& state, int64_t now, const MaintenanceOptions& options) {
  if (!state.checkpoint_size.has_value()) {
    return state.size > 0;
  }
  if (state.size <= *state.checkpoint_size) {
    return false;
  }
  const int64_t age = now - state.checkpoint_created_at;
  const int64_t interval =
      std::chrono::duration_cast<std::chrono::microseconds>(options.checkpoint_interval).count();
  return state.size - *state.checkpoint_size >= options.checkpoint_every_records || age >= interval;
}

}  // namespace

Result<int> SignDueCheckpoints(store::Database& db, const CheckpointSigner& signer,
                               const Clock& clock, const MaintenanceOptions& options) {
  CUSTODY_ASSIGN_OR_RETURN(const std::vector<LogState> states, ReadLogStates(db));
  const SystemTime now = clock.Now();
  int signed_count = 0;
  Status first_error;
  for (const LogState& state : states) {
    if (!IsDue(state, store::ToUnixMicros(now), options)) {
      continue;
    }
    Result<SignOutcome> outcome = store::WriteReturning<SignOutcome>(
        db,
        [&](store::Transaction& tx) { return signer.SignLatest(tx, state.organization_id, now); });
    if (!outcome.ok()) {
      if (first_error.ok()) {
        first_error = outcome.status().WithContext("audit log '" + state.organization_id + "'");
      }
      continue;
    }
    if (outcome->created) {
      ++signed_count;
      log::Debug("audit checkpoint signed", {{"organization_id", state.organization_id},
                                             {"tree_size", outcome->checkpoint.tree_size}});
    }
  }
  if (!first_error.ok()) {
    return first_error;
  }
  return signed_count;
}

AuditMaintenance::AuditMaintenance(store::Database& db, const CheckpointSigner& signer,
                                   const Clock& clock, MaintenanceOptions options)
    : db_(db), signer_(signer), clock_(clock), options_(options) {}

AuditMaintenance::~AuditMaintenance() {
  Stop();
}

void AuditMaintenance::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) {
    return;
  }
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void AuditMaintenance::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void AuditMaintenance::LogFailure(const std::string& kind, const Status& status) {
  const auto now = std::chrono::steady_clock::now();
  const auto last = last_logged_.find(kind);
  if (last != last_logged_.end() && now - last->second < kFailureLogInterval) {
    return;
  }
  last_logged_[kind] = now;
  log::Error("audit " + kind + " failed; retrying", {{"error", status.ToString()}});
}

void AuditMaintenance::Run() {
  // The first purge runs one poll after start, so that a restart loop cannot skip it.
  auto next_purge = std::chrono::steady_clock::now() + options_.poll_interval;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (wake_.wait_for(lock, options_.poll_interval, [this] { return stopping_; })) {
        return;
      }
    }
    Result<int> signed_count = SignDueCheckpoints(db_, signer_, clock_, options_);
    if (!signed_count.ok()) {
      LogFailure("checkpoint signing", signed_count.status());
    }
    if (std::chrono::steady_clock::now() >= next_purge) {
      next_purge = std::chrono::steady_clock::now() + options_.purge_interval;
      Result<PurgeSummary> purged = PurgeExpiredRecords(db_, clock_);
      if (!purged.ok()) {
        LogFailure("purge", purged.status());
      } else if (purged->records > 0) {
        log::Info("audit payloads purged after retention",
                  {{"records", purged->records}, {"logs", purged->logs}});
      }
    }
  }
}

}  // namespace custody::audit
