#include "custody/audit/tree_store.h"

#include <string>

namespace custody::audit {

Result<Hash> StoredNodeReader::Node(uint64_t level, uint64_t index) const {
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx_->QueryOne("SELECT hash FROM audit_nodes WHERE organization_id = ? AND level = ? "
                    "AND idx = ?",
                    {organization_id_, static_cast<int64_t>(level), static_cast<int64_t>(index)}));
  if (!row.has_value()) {
    return NotFound("audit tree node (level " + std::to_string(level) + ", index " +
                    std::to_string(index) + ") of log '" + organization_id_ + "' is not stored");
  }
  Result<Hash> hash = HashFromBytes(row->Bytes(0));
  if (!hash.ok()) {
    return Internal("audit tree node (level " + std::to_string(level) + ", index " +
                    std::to_string(index) + ") is damaged: " + hash.status().message());
  }
  return *hash;
}

Result<CompactRange> ReadHead(store::Transaction& tx, std::string_view organization_id) {
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT size, compact_range FROM audit_heads WHERE organization_id = ?",
                  {organization_id}));
  if (!row.has_value()) {
    return CompactRange();
  }
  const std::string bytes = row->Bytes(1);
  if (bytes.size() % kHashSize != 0) {
    return Internal("the audit log head has a compact range of " + std::to_string(bytes.size()) +
                    " bytes, not a multiple of 32");
  }
  std::vector<Hash> hashes;
  for (size_t offset = 0; offset < bytes.size(); offset += kHashSize) {
    CUSTODY_ASSIGN_OR_RETURN(Hash hash,
                             HashFromBytes(std::string_view(bytes).substr(offset, kHashSize)));
    hashes.push_back(hash);
  }
  Result<CompactRange> range =
      CompactRange::FromState(static_cast<uint64_t>(row->Int64(0)), std::move(hashes));
  if (!range.ok()) {
    return Internal("the audit log head is damaged: " + range.status().message());
  }
  return range;
}

std::string SerializeCompactRange(const CompactRange& range) {
  std::string bytes;
  bytes.reserve(range.hashes().size() * kHashSize);
  for (const Hash& hash : range.hashes()) {
    bytes.append(HashBytes(hash));
  }
  return bytes;
}

Result<std::vector<LogEntry>> ReadEntries(store::Transaction& tx, std::string_view organization_id,
                                          uint64_t start, int limit) {
  if (limit < 1 || limit > kMaxEntriesPerRead) {
    return InvalidArgument("limit must be between 1 and " + std::to_string(kMaxEntriesPerRead),
                           "limit");
  }
  if (start > static_cast<uint64_t>(INT64_MAX)) {
    return InvalidArgument("start must be at most " + std::to_string(INT64_MAX), "start");
  }
  CUSTODY_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query("SELECT seq, encoded, leaf_hash, event_class FROM audit_records "
               "WHERE organization_id = ? AND seq >= ? ORDER BY seq LIMIT ?",
               {organization_id, static_cast<int64_t>(start), limit}));
  std::vector<LogEntry> entries;
  entries.reserve(rows.size());
  for (const store::Row& row : rows) {
    LogEntry entry;
    entry.seq = static_cast<uint64_t>(row.Int64(0));
    if (!row.IsNull(1)) {
      entry.leaf = row.Bytes(1);
    }
    Result<Hash> leaf_hash = HashFromBytes(row.Bytes(2));
    if (!leaf_hash.ok()) {
      return Internal("audit record " + std::to_string(entry.seq) + " has a damaged leaf hash");
    }
    entry.leaf_hash = *leaf_hash;
    CUSTODY_ASSIGN_OR_RETURN(entry.event_class, ParseEventClass(row.Text(3)));
    entries.push_back(std::move(entry));
  }
  return entries;
}

Result<std::vector<std::string>> ListLogs(store::Transaction& tx) {
  // The number of logs is the number of organizations plus one, so reading them whole is fine.
  CUSTODY_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query("SELECT organization_id FROM audit_heads ORDER BY organization_id"));
  std::vector<std::string> logs;
  logs.reserve(rows.size());
  for (const store::Row& row : rows) {
    logs.push_back(row.Text(0));
  }
  return logs;
}

}  // namespace custody::audit
