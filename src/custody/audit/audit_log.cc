#include "custody/audit/audit_log.h"

#include <chrono>

#include "custody/audit/merkle.h"
#include "custody/audit/tree_store.h"
#include "custody/store/page_cursor.h"

namespace custody::audit {
namespace {

constexpr int64_t kMicrosPerDay = int64_t{86'400} * 1'000'000;

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

Result<int64_t> RetainUntil(store::Transaction& tx, EventClass event_class, int64_t time) {
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT retain_days FROM audit_retention WHERE event_class = ?",
                  {EventClassName(event_class)}));
  if (!row.has_value()) {
    return Internal("audit_retention has no row for event class '" +
                    std::string(EventClassName(event_class)) + "'");
  }
  const int64_t days = row->Int64(0);
  // Saturate rather than overflow for a record time near the end of the int64 range.
  if (time > INT64_MAX - days * kMicrosPerDay) {
    return INT64_MAX;
  }
  return time + days * kMicrosPerDay;
}

}  // namespace

std::string_view EventClassName(EventClass event_class) {
  switch (event_class) {
    case EventClass::kSecurity:
      return "security";
    case EventClass::kOperational:
      return "operational";
  }
  return "security";
}

Result<EventClass> ParseEventClass(std::string_view name) {
  if (name == "security") {
    return EventClass::kSecurity;
  }
  if (name == "operational") {
    return EventClass::kOperational;
  }
  return InvalidArgument("unknown audit event class '" + std::string(name) +
                         "'; expected security or operational");
}

EventClass ClassifyEvent(const Record& record) {
  if (record.decision != kDecisionAllow) {
    return EventClass::kSecurity;
  }
  const std::string_view action = record.action;
  if (StartsWith(action, "audit")) {
    return EventClass::kSecurity;
  }
  if (StartsWith(action, "evidence.") || EndsWith(action, ".read") || EndsWith(action, ".list")) {
    return EventClass::kOperational;
  }
  return EventClass::kSecurity;
}

Result<uint64_t> Append(store::Transaction& tx, const Record& record) {
  CUSTODY_RETURN_IF_ERROR(ValidateRecord(record));
  if (tx.read_only()) {
    return Internal("audit records can only be appended in a write transaction");
  }

  // Write transactions are serialized, so no other writer can move this log's head before the
  // INSERTs; the triggers reject the rows if one ever did.
  CUSTODY_ASSIGN_OR_RETURN(CompactRange range, ReadHead(tx, record.organization_id));
  const uint64_t seq = range.size();
  const std::string encoded = Encode(seq, record);
  const Hash leaf_hash = LeafHash(encoded);

  // The visitor cannot return a Status, so the first failure is kept and checked afterwards.
  Status nodes_written;
  range.Append(leaf_hash, [&](uint64_t level, uint64_t index, const Hash& hash) {
    if (!nodes_written.ok()) {
      return;
    }
    nodes_written = tx.Execute(
                          "INSERT INTO audit_nodes (organization_id, level, idx, hash) "
                          "VALUES (?, ?, ?, ?)",
                          {record.organization_id, static_cast<int64_t>(level),
                           static_cast<int64_t>(index), store::Blob{std::string(HashBytes(hash))}})
                        .status();
  });
  CUSTODY_RETURN_IF_ERROR(nodes_written);

  const EventClass event_class = ClassifyEvent(record);
  const int64_t time = store::ToUnixMicros(record.time);
  CUSTODY_ASSIGN_OR_RETURN(const int64_t retain_until, RetainUntil(tx, event_class, time));
  CUSTODY_ASSIGN_OR_RETURN(
      int64_t inserted,
      tx.Execute("INSERT INTO audit_records (organization_id, seq, leaf_hash, event_class, time, "
                 "retain_until, actor, action, resource, decision, reason, request_id, source, "
                 "encoded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 {record.organization_id, static_cast<int64_t>(seq),
                  store::Blob{std::string(HashBytes(leaf_hash))}, EventClassName(event_class), time,
                  retain_until, record.actor, record.action, record.resource, record.decision,
                  record.reason, record.request_id, record.source, store::Blob{encoded}}));
  if (inserted != 1) {
    return Internal("audit record was not inserted");
  }

  const store::Blob compact_range{SerializeCompactRange(range)};
  if (seq == 0) {
    CUSTODY_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO audit_heads (organization_id, size, compact_range, updated_at) "
                   "VALUES (?, 1, ?, ?)",
                   {record.organization_id, compact_range, time})
            .status());
  } else {
    CUSTODY_ASSIGN_OR_RETURN(
        int64_t updated,
        tx.Execute("UPDATE audit_heads SET size = ?, compact_range = ?, updated_at = ? "
                   "WHERE organization_id = ? AND size = ?",
                   {static_cast<int64_t>(range.size()), compact_range, time, record.organization_id,
                    static_cast<int64_t>(seq)}));
    if (updated != 1) {
      return Internal("the audit log head changed during the append");
    }
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
  // NOTE: purged records are skipped by a scan from `after`, so the first page after a large
  // purge reads every purged row before it; purges remove the oldest records first.
  CUSTODY_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query("SELECT seq, time, organization_id, actor, action, resource, decision, reason, "
               "request_id, source, encoded FROM audit_records "
               "WHERE organization_id = ? AND seq > ? AND purged_at IS NULL ORDER BY seq LIMIT ?",
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
