#include "custody/audit/audit_log.h"

#include "custody/store/page_cursor.h"

namespace custody::audit {

Result<uint64_t> Append(store::Transaction& tx, const Record& record) {
  CUSTODY_RETURN_IF_ERROR(ValidateRecord(record));
  if (tx.read_only()) {
    return Internal("audit records can only be appended in a write transaction");
  }

  // Write transactions are serialized, so no other writer can take this seq before the
  // INSERT; the contiguity trigger rejects the row if one ever did.
  CUSTODY_ASSIGN_OR_RETURN(std::optional<store::Row> next,
                           tx.QueryOne("SELECT COALESCE(MAX(seq) + 1, 0) FROM audit_records"));
  const auto seq = static_cast<uint64_t>(next->Int64(0));

  CUSTODY_ASSIGN_OR_RETURN(
      int64_t inserted,
      tx.Execute("INSERT INTO audit_records (seq, time, organization_id, actor, action, "
                 "resource, decision, reason, request_id, source, encoded) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 {seq, store::ToUnixMicros(record.time), record.organization_id, record.actor,
                  record.action, record.resource, record.decision, record.reason, record.request_id,
                  record.source, store::Blob{Encode(seq, record)}}));
  if (inserted != 1) {
    return Internal("audit record was not inserted");
  }
  return seq;
}

Result<RecordPage> List(store::Transaction& tx, std::string_view organization_id,
                        std::optional<uint64_t> after, int limit) {
  if (limit < 1 || limit > kMaxPageSize) {
    return InvalidArgument("limit must be between 1 and " + std::to_string(kMaxPageSize), "limit");
  }
  const int64_t after_seq = after.has_value() ? static_cast<int64_t>(*after) : -1;
  if (after.has_value()) {
    CUSTODY_ASSIGN_OR_RETURN(
        std::optional<store::Row> cursor_row,
        tx.QueryOne("SELECT 1 FROM audit_records WHERE organization_id = ? AND seq = ?",
                    {organization_id, after_seq}));
    if (!cursor_row.has_value()) {
      return store::InvalidCursorError();
    }
  }
  CUSTODY_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query("SELECT seq, time, organization_id, actor, action, resource, decision, reason, "
               "request_id, source, encoded FROM audit_records "
               "WHERE organization_id = ? AND seq > ? ORDER BY seq LIMIT ?",
               {organization_id, after_seq, limit + 1}));

  RecordPage page;
  for (const store::Row& row : rows) {
    if (page.records.size() == static_cast<size_t>(limit)) {
      page.next_after = page.records.back().seq;
      break;
    }
    StoredRecord stored;
    stored.seq = static_cast<uint64_t>(row.Int64(0));
    stored.record.time = row.Time(1);
    stored.record.organization_id = row.Text(2);
    stored.record.actor = row.Text(3);
    stored.record.action = row.Text(4);
    stored.record.resource = row.Text(5);
    stored.record.decision = row.Text(6);
    stored.record.reason = row.Text(7);
    stored.record.request_id = row.Text(8);
    stored.record.source = row.Text(9);
    stored.encoded = row.Bytes(10);
    page.records.push_back(std::move(stored));
  }
  return page;
}

}  // namespace custody::audit
