// The audit log: Append writes a record in the caller's transaction, so the record commits
// exactly when the change it describes commits; List reads an organization's records.
//
// Each organization has its own log, an RFC 9162 Merkle tree whose leaf `seq` is the record's
// version 1 encoding (docs/audit-log-tree.md). Records without an organization go to the
// deployment log, whose organization id is "". Append keeps the tree in the same transaction:
// it writes the leaf and every subtree it completes to audit_nodes, and the log's compact range
// to audit_heads, so that it never rereads the tree.
//
// Recording a denial: the request fails, but its record must still commit. Append the deny
// record, return OK from the transaction function, and return the denial Status from the
// handler afterwards:
//
//   Status denial;
//   Status written = db.Write([&](store::Transaction& tx) -> Status {
//     denial = authz::Authorize(tx, principal, entity_id, action);
//     if (!denial.ok()) {
//       return audit::Append(tx, deny_record).status();  // commits the record only
//     }
//     ...  // the change and its allow record
//   });
//   if (!written.ok()) return written;  // nothing was recorded: fail closed (503 and the like)
//   if (!denial.ok()) return denial;
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/audit/record.h"
#include "custody/common/status.h"
#include "custody/store/database.h"

namespace custody::audit {

// Event classes, each with its own retention (the audit_retention table).
enum class EventClass {
  kSecurity,     // sign-in, access denials, changes to users, roles, tokens and connections
  kOperational,  // allowed evidence work and routine reads
};

std::string_view EventClassName(EventClass event_class);

// Parses "security" or "operational".
Result<EventClass> ParseEventClass(std::string_view name);

// Returns the class of `record`. A denial is always kSecurity. An allowed action is
// kOperational when it is evidence work ("evidence." prefix) or a read (".read" or ".list"
// suffix) outside the audit log itself; every other action is kSecurity, so that an action
// nobody classified gets the longer retention.
EventClass ClassifyEvent(const Record& record);

// Appends `record` to its organization's log with the next sequence number of that log (0 for
// its first record, then +1 with no gaps) and its version 1 encoding, and records its leaf,
// new tree nodes, the log's new head and the record's retain_until (its time plus the
// retention of its event class). Returns the sequence number. Fails with kInvalidArgument for
// an invalid record and kInternal inside a read transaction or when the stored head is damaged.
Result<uint64_t> Append(store::Transaction& tx, const Record& record);

struct StoredRecord {
  uint64_t seq = 0;
  Record record;
  std::string encoded;  // the stored version 1 encoding of (seq, record)
};

struct RecordPage {
  std::vector<StoredRecord> records;  // oldest first
  // Pass as `after` to read the next page; empty on the last page.
  std::optional<uint64_t> next_after;
};

inline constexpr int kMaxPageSize = 200;

// Returns up to `limit` (1 to kMaxPageSize) records of `organization_id` with seq greater
// than `after` (from the start when empty), oldest first. Records whose payload was purged are
// skipped. Returns store::InvalidCursorError() when `after` is not the seq of a record of the
// organization.
Result<RecordPage> List(store::Transaction& tx, std::string_view organization_id,
                        std::optional<uint64_t> after, int limit);

}  // namespace custody::audit
