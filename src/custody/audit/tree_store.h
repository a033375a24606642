// Read access to the per-organization logs that audit::Append writes: heads (audit_heads),
// subtree hashes (audit_nodes) and entries (audit_records). docs/data-model.md describes the
// tables.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/audit/audit_log.h"
#include "custody/audit/merkle.h"
#include "custody/common/status.h"
#include "custody/store/database.h"

namespace custody::audit {

// A NodeReader over the audit_nodes rows of one log. Valid only inside the transaction it was
// made with; each Node call is one primary-key lookup.
class StoredNodeReader : public NodeReader {
 public:
  StoredNodeReader(store::Transaction& tx, std::string organization_id)
      : tx_(&tx), organization_id_(std::move(organization_id)) {}

  Result<Hash> Node(uint64_t level, uint64_t index) const override;

 private:
  store::Transaction* tx_;
  std::string organization_id_;
};

// Returns the log's compact range from audit_heads, or an empty range when the log has no
// records. kInternal when the stored range does not fit its size.
Result<CompactRange> ReadHead(store::Transaction& tx, std::string_view organization_id);

// The audit_heads.compact_range bytes of `range`: its hashes concatenated, largest subtree first.
std::string SerializeCompactRange(const CompactRange& range);

// One leaf of a log, as the entries endpoint and the export return it.
struct LogEntry {
  uint64_t seq = 0;
  std::optional<std::string> leaf;  // the version 1 encoding; empty once the payload is purged
  Hash leaf_hash{};
  EventClass event_class = EventClass::kSecurity;
};

inline constexpr int kMaxEntriesPerRead = 1000;

// Returns the entries with seq in [start, start + limit) that exist, in order; fewer than
// `limit` (or none) at the end of the log. InvalidArgument unless limit is in
// 1..kMaxEntriesPerRead.
Result<std::vector<LogEntry>> ReadEntries(store::Transaction& tx, std::string_view organization_id,
                                          uint64_t start, int limit);

// Returns the organization ids of every log that has at least one record, in order, the
// deployment log ("") first when it has records.
Result<std::vector<std::string>> ListLogs(store::Transaction& tx);

}  // namespace custody::audit
