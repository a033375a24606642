// The audit log: Append writes a record in the caller's transaction, so the record commits
// exactly when the change it describes commits; List reads an organization's records.
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

// Appends `record` with the next sequence number (0 for the first record of the database,
// then +1 with no gaps) and its version 1 encoding. Returns the sequence number. Fails with
// kInvalidArgument for an invalid record and kInternal inside a read transaction.
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
// than `after` (from the start when empty), oldest first. Returns store::InvalidCursorError()
// when `after` is not the seq of a record of the organization.
Result<RecordPage> List(store::Transaction& tx, std::string_view organization_id,
                        std::optional<uint64_t> after, int limit);

}  // namespace custody::audit
