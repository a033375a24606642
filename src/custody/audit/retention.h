// Retention of audit records per event class, and the purge that runs after it ends.
//
// A record's retain_until is fixed when it is appended (its time plus its class's retention).
// After that moment only its payload may be purged: the columns actor through encoded become
// NULL and purged_at is set, while the leaf hash, the tree nodes and the checkpoints stay, so
// inclusion and consistency proofs keep verifying. Triggers in the schema refuse any other
// change and any purge before retain_until by the database's own clock.
#pragma once

#include <cstdint>
#include <string>

#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/store/database.h"

namespace custody::audit {

// Security records are kept at least a year, whatever the configuration says.
inline constexpr int kMinSecurityRetentionDays = 365;
// Seven years (7 * 365 + 2 leap days), the default for security records.
inline constexpr int kDefaultSecurityRetentionDays = 2557;
inline constexpr int kDefaultOperationalRetentionDays = 365;
// About 100 years: the largest retention accepted, far from overflowing microsecond times.
inline constexpr int kMaxRetentionDays = 36525;

struct RetentionPolicy {
  int security_days = kDefaultSecurityRetentionDays;
  int operational_days = kDefaultOperationalRetentionDays;
};

// Rejects a security retention below kMinSecurityRetentionDays, an operational retention below
// 1 day, and either above kMaxRetentionDays.
Status ValidateRetentionPolicy(const RetentionPolicy& policy);

// Stores `policy` in audit_retention, for the records appended from now on. When a value
// changes, appends an "audit_retention.update" record to the deployment log (organization "")
// in the same transaction, with the class and the old and new day counts in its resource.
Status ApplyRetentionPolicy(store::Database& db, const Clock& clock, const RetentionPolicy& policy);

struct PurgeSummary {
  uint64_t records = 0;  // payloads purged
  uint64_t logs = 0;     // logs in which at least one payload was purged
};

// Purges the payloads of records whose retain_until has passed, by both `clock` and the
// database's clock, at most `max_records_per_transaction` at a time. Each batch is one
// transaction per log that also appends an "audit_log.purge" record to that log: actor
// "system", resource "audit_records/<first seq>..<last seq>", reason
// "retention_ended:<count>". A failed batch stops the purge and returns its error; the batches
// before it stay committed.
Result<PurgeSummary> PurgeExpiredRecords(store::Database& db, const Clock& clock,
                                         int max_records_per_transaction = 1000);

}  // namespace custody::audit
