#include "custody/audit/retention.h"

#include <string>
#include <vector>

#include "custody/audit/audit_log.h"

namespace custody::audit {
namespace {

constexpr std::string_view kPurgeSource = "custodyd";

// The WHERE clause of the records that may be purged now. unixepoch() is the database's
// clock, which the no-early-purge trigger also reads, so a fast application clock cannot make
// the UPDATE fail halfway.
constexpr std::string_view kExpiredCondition =
    "purged_at IS NULL AND retain_until <= ? AND retain_until <= unixepoch('now') * 1000000";

Record SystemRecord(const Clock& clock, std::string organization_id, std::string action,
                    std::string resource, std::string reason) {
  Record record;
  record.organization_id = std::move(organization_id);
  record.actor = std::string(kActorSystem);
  record.action = std::move(action);
  record.resource = std::move(resource);
  record.decision = std::string(kDecisionAllow);
  record.reason = std::move(reason);
  record.source = std::string(kPurgeSource);
  record.time = clock.Now();
  return record;
}

// Purges one batch of one log and records it. Returns the number of payloads purged.
Result<int64_t> PurgeBatch(store::Transaction& tx, const Clock& clock,
                           const std::string& organization_id, int64_t now, int limit) {
  const std::string batch = "SELECT seq FROM audit_records WHERE organization_id = ? AND " +
                            std::string(kExpiredCondition) + " ORDER BY seq LIMIT ?";
  CUSTODY_ASSIGN_OR_RETURN(std::optional<store::Row> range,
                           tx.QueryOne("SELECT COUNT(*), MIN(seq), MAX(seq) FROM (" + batch + ")",
                                       {organization_id, now, limit}));
  const int64_t count = range->Int64(0);
  if (count == 0) {
    return int64_t{0};
  }
  CUSTODY_ASSIGN_OR_RETURN(
      int64_t purged,
      tx.Execute("UPDATE audit_records SET actor = NULL, action = NULL, resource = NULL, "
                 "decision = NULL, reason = NULL, request_id = NULL, source = NULL, "
                 "encoded = NULL, purged_at = ? WHERE organization_id = ? AND seq IN (" +
                     batch + ")",
                 {now, organization_id, organization_id, now, limit}));
  if (purged != count) {
    return Internal("audit purge changed " + std::to_string(purged) + " records, expected " +
                    std::to_string(count));
  }
  const std::string resource =
      "audit_records/" + std::to_string(range->Int64(1)) + ".." + std::to_string(range->Int64(2));
  CUSTODY_RETURN_IF_ERROR(
      Append(tx, SystemRecord(clock, organization_id, "audit_log.purge", resource,
                              "retention_ended:" + std::to_string(count)))
          .status());
  return purged;
}

}  // namespace

Status ValidateRetentionPolicy(const RetentionPolicy& policy) {
  if (policy.security_days < kMinSecurityRetentionDays ||
      policy.security_days > kMaxRetentionDays) {
    return InvalidArgument("audit.retention.security_days must be between " +
                               std::to_string(kMinSecurityRetentionDays) + " and " +
                               std::to_string(kMaxRetentionDays) + ", got " +
                               std::to_string(policy.security_days),
                           "audit.retention.security_days");
  }
  if (policy.operational_days < 1 || policy.operational_days > kMaxRetentionDays) {
    return InvalidArgument("audit.retention.operational_days must be between 1 and " +
                               std::to_string(kMaxRetentionDays) + ", got " +
                               std::to_string(policy.operational_days),
                           "audit.retention.operational_days");
  }
  return Status::Ok();
}

Status ApplyRetentionPolicy(store::Database& db, const Clock& clock,
                            const RetentionPolicy& policy) {
  CUSTODY_RETURN_IF_ERROR(ValidateRetentionPolicy(policy));
  const std::pair<EventClass, int> wanted[] = {
      {EventClass::kSecurity, policy.security_days},
      {EventClass::kOperational, policy.operational_days},
  };
  return db.Write([&](store::Transaction& tx) -> Status {
    for (const auto& [event_class, days] : wanted) {
      const std::string_view name = EventClassName(event_class);
      CUSTODY_ASSIGN_OR_RETURN(
          std::optional<store::Row> row,
          tx.QueryOne("SELECT retain_days FROM audit_retention WHERE event_class = ?", {name}));
      if (!row.has_value()) {
        return Internal("audit_retention has no row for event class '" + std::string(name) + "'");
      }
      const int64_t current = row->Int64(0);
      if (current == days) {
        continue;
      }
      CUSTODY_RETURN_IF_ERROR(
          tx.Execute("UPDATE audit_retention SET retain_days = ?, updated_at = ? "
                     "WHERE event_class = ?",
                     {days, store::ToUnixMicros(clock.Now()), name})
              .status());
      CUSTODY_RETURN_IF_ERROR(
          Append(tx, SystemRecord(clock, "", "audit_retention.update",
                                  "audit_retention/" + std::string(name) + "/" +
                                      std::to_string(current) + ".." + std::to_string(days),
                                  ""))
              .status());
    }
    return Status::Ok();
  });
}

Result<PurgeSummary> PurgeExpiredRecords(store::Database& db, const Clock& clock,
                                         int max_records_per_transaction) {
  if (max_records_per_transaction < 1) {
    return InvalidArgument("max_records_per_transaction must be at least 1");
  }
  const int64_t now = store::ToUnixMicros(clock.Now());
  CUSTODY_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      store::ReadReturning<std::vector<store::Row>>(db, [&](store::Transaction& tx) {
        return tx.Query("SELECT DISTINCT organization_id FROM audit_records WHERE " +
                            std::string(kExpiredCondition) + " ORDER BY organization_id",
                        {now});
      }));

  PurgeSummary summary;
  for (const store::Row& row : rows) {
    const std::string organization_id = row.Text(0);
    bool purged_in_log = false;
    while (true) {
      CUSTODY_ASSIGN_OR_RETURN(
          int64_t purged, store::WriteReturning<int64_t>(db, [&](store::Transaction& tx) {
            return PurgeBatch(tx, clock, organization_id, now, max_records_per_transaction);
          }));
      if (purged > 0) {
        summary.records += static_cast<uint64_t>(purged);
        purged_in_log = true;
      }
      if (purged < max_records_per_transaction) {
        break;
      }
    }
    if (purged_in_log) {
      ++summary.logs;
    }
  }
  return summary;
}

}  // namespace custody::audit
