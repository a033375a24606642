#include "custody/audit/worm_export.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include <nlohmann/json.hpp>

#include "custody/audit/checkpoint.h"
#include "custody/audit/retention.h"
#include "custody/common/log.h"
#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"

namespace custody::audit {
namespace {

using nlohmann::json;

constexpr std::string_view kDeploymentLogName = "_deployment";

std::string Padded(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof(text), "%020llu", static_cast<unsigned long long>(value));
  return text;
}

std::string LogDirectory(std::string_view key_prefix, std::string_view organization_id) {
  return std::string(key_prefix) + "audit/" +
         std::string(organization_id.empty() ? kDeploymentLogName : organization_id) + "/";
}

json EntryJson(const ExportEntry& entry) {
  json leaf = nullptr;
  if (entry.leaf) {
    leaf = crypto::Base64Encode(*entry.leaf);
  }
  return {{"seq", entry.seq},
          {"leaf", std::move(leaf)},
          {"leaf_hash", crypto::Base64Encode(entry.leaf_hash)},
          {"event_class", entry.event_class}};
}

Status InvalidRecordsFile(const std::string& message) {
  return InvalidArgument("invalid WORM records file: " + message);
}

// The origin of a checkpoint's note, read without verifying the signature: the exporter copies
// notes that its own signer stored.
Result<std::string> OriginOf(std::string_view signed_note) {
  CUSTODY_ASSIGN_OR_RETURN(const SignedNote note, ParseSignedNote(signed_note));
  CUSTODY_ASSIGN_OR_RETURN(const Checkpoint checkpoint, ParseCheckpoint(note.text));
  return checkpoint.origin;
}

WormObject ObjectFromRow(const store::Row& row) {
  WormObject object;
  object.organization_id = row.Text(0);
  object.kind = row.Text(1);
  object.first_seq = static_cast<uint64_t>(row.Int64(2));
  object.end_seq = static_cast<uint64_t>(row.Int64(3));
  object.object_key = row.Text(4);
  object.version_id = row.OptionalText(5);
  object.sha256 = row.Bytes(6);
  object.size = static_cast<uint64_t>(row.Int64(7));
  object.retain_until = store::FromUnixMicros(row.Int64(8));
  object.exported_at = store::FromUnixMicros(row.Int64(9));
  return object;
}

constexpr std::string_view kWormObjectColumns =
    "organization_id, kind, first_seq, end_seq, object_key, version_id, sha256, size, "
    "retain_until, exported_at";

struct PendingCheckpoint {
  std::string organization_id;
  uint64_t tree_size = 0;
  std::string signed_note;
};

}  // namespace

std::string WormMetrics::RenderPrometheus() const {
  std::string out;
  const auto counter = [&out](std::string_view name, std::string_view help, uint64_t value) {
    out += "# HELP " + std::string(name) + " " + std::string(help) + "\n";
    out += "# TYPE " + std::string(name) + " counter\n";
    out += std::string(name) + " " + std::to_string(value) + "\n";
  };
  counter("custody_audit_worm_objects_exported_total", "Audit objects written to the WORM bucket.",
          objects_exported.load());
  counter("custody_audit_worm_export_failures_total",
          "Failed attempts to export audit objects to the WORM bucket.", export_failures.load());
  counter("custody_audit_worm_objects_checked_total",
          "WORM audit objects read back and compared by the reconciler.", objects_checked.load());
  counter("custody_audit_worm_mismatches_total",
          "WORM audit objects found missing, altered or different from the database.",
          mismatches.load());
  counter("custody_audit_worm_reconcile_failures_total",
          "Reconciler runs that stopped on an error before checking every object.",
          reconcile_failures.load());
  out +=
      "# HELP custody_audit_worm_mismatched_objects WORM audit objects with a problem in the "
      "last complete reconciler run.\n"
      "# TYPE custody_audit_worm_mismatched_objects gauge\n"
      "custody_audit_worm_mismatched_objects " +
      std::to_string(mismatched_objects.load()) + "\n";
  return out;
}

std::string WormRecordsKey(std::string_view key_prefix, std::string_view organization_id,
                           uint64_t first_seq, uint64_t end_seq) {
  return LogDirectory(key_prefix, organization_id) + "records/" + Padded(first_seq) + "-" +
         Padded(end_seq) + ".jsonl";
}

std::string WormCheckpointKey(std::string_view key_prefix, std::string_view organization_id,
                              uint64_t tree_size) {
  return LogDirectory(key_prefix, organization_id) + "checkpoints/" + Padded(tree_size) + ".note";
}

std::string FormatWormRecords(std::string_view origin, uint64_t first_seq,
                              const std::vector<ExportEntry>& entries) {
  const json header = {{"format", kWormRecordsFormat},
                       {"origin", origin},
                       {"first_seq", first_seq},
                       {"end_seq", first_seq + entries.size()}};
  std::string out = header.dump() + "\n";
  for (const ExportEntry& entry : entries) {
    out += EntryJson(entry).dump() + "\n";
  }
  return out;
}

Result<WormRecords> ParseWormRecords(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      return InvalidRecordsFile("the last line has no newline");
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  if (lines.empty()) {
    return InvalidRecordsFile("it is empty");
  }

  const json header = json::parse(lines[0], nullptr, /*allow_exceptions=*/false);
  if (!header.is_object() || header.value("format", "") != kWormRecordsFormat) {
    return InvalidRecordsFile("the first line is not a " + std::string(kWormRecordsFormat) +
                              " header");
  }
  const auto origin = header.find("origin");
  const auto first_seq = header.find("first_seq");
  const auto end_seq = header.find("end_seq");
  if (origin == header.end() || !origin->is_string() || first_seq == header.end() ||
      !first_seq->is_number_unsigned() || end_seq == header.end() ||
      !end_seq->is_number_unsigned()) {
    return InvalidRecordsFile("the header lacks origin, first_seq or end_seq");
  }
  WormRecords records;
  records.origin = origin->get<std::string>();
  records.first_seq = first_seq->get<uint64_t>();
  records.end_seq = end_seq->get<uint64_t>();
  if (records.end_seq < records.first_seq ||
      records.end_seq - records.first_seq != lines.size() - 1) {
    return InvalidRecordsFile("the header's range does not match its " +
                              std::to_string(lines.size() - 1) + " records");
  }

  for (size_t i = 1; i < lines.size(); ++i) {
    Result<ExportEntry> entry = ParseExportEntry(lines[i]);
    if (!entry.ok()) {
      return InvalidRecordsFile("line " + std::to_string(i + 1) +
                                " is not a record: " + entry.status().message());
    }
    const uint64_t expected = records.first_seq + i - 1;
    if (entry->seq != expected) {
      return InvalidRecordsFile("line " + std::to_string(i + 1) + " has seq " +
                                std::to_string(entry->seq) + ", expected " +
                                std::to_string(expected));
    }
    records.entries.push_back(std::move(*entry));
  }
  return records;
}

Result<std::vector<WormObject>> ListWormObjects(store::Transaction& tx, const WormObject* after,
                                                int limit) {
  std::vector<store::Row> rows;
  if (after == nullptr) {
    CUSTODY_ASSIGN_OR_RETURN(rows, tx.Query("SELECT " + std::string(kWormObjectColumns) +
                                                " FROM audit_worm_objects ORDER BY "
                                                "organization_id, kind, end_seq LIMIT ?",
                                            {limit}));
  } else {
    CUSTODY_ASSIGN_OR_RETURN(
        rows, tx.Query("SELECT " + std::string(kWormObjectColumns) +
                           " FROM audit_worm_objects WHERE (organization_id, kind, end_seq) > "
                           "(?, ?, ?) ORDER BY organization_id, kind, end_seq LIMIT ?",
                       {after->organization_id, after->kind, static_cast<int64_t>(after->end_seq),
                        limit}));
  }
  std::vector<WormObject> objects;
  objects.reserve(rows.size());
  for (const store::Row& row : rows) {
    objects.push_back(ObjectFromRow(row));
  }
  return objects;
}

Result<int> RetentionDaysOf(store::Transaction& tx, std::string_view event_class) {
  CUSTODY_ASSIGN_OR_RETURN(
      const std::optional<store::Row> row,
      tx.QueryOne("SELECT retain_days FROM audit_retention WHERE event_class = ?", {event_class}));
  if (!row) {
    return kDefaultSecurityRetentionDays;
  }
  return static_cast<int>(row->Int64(0));
}

Result<int> LongestRetentionDays(store::Transaction& tx) {
  CUSTODY_ASSIGN_OR_RETURN(const std::optional<store::Row> row,
                           tx.QueryOne("SELECT MAX(retain_days) FROM audit_retention"));
  if (!row || row->IsNull(0)) {
    return kDefaultSecurityRetentionDays;
  }
  return std::max(static_cast<int>(row->Int64(0)), kDefaultSecurityRetentionDays);
}

WormExporter::WormExporter(store::Database& db, aws::S3Client& s3, const Clock& clock,
                           WormTarget target, WormMetrics& metrics)
    : db_(db), s3_(s3), clock_(clock), target_(std::move(target)), metrics_(metrics) {}

Result<WormExportSummary> WormExporter::ExportPending(int max_checkpoints) {
  std::vector<PendingCheckpoint> pending;
  const Status listed = db_.Read([&](store::Transaction& tx) -> Status {
    CUSTODY_ASSIGN_OR_RETURN(
        const std::vector<store::Row> rows,
        tx.Query("SELECT c.organization_id, c.tree_size, c.signed_note FROM audit_checkpoints c "
                 "WHERE c.tree_size > COALESCE((SELECT MAX(w.end_seq) FROM audit_worm_objects w "
                 "WHERE w.organization_id = c.organization_id AND w.kind = 'checkpoint'), 0) "
                 "ORDER BY c.organization_id, c.tree_size LIMIT ?",
                 {max_checkpoints}));
    for (const store::Row& row : rows) {
      pending.push_back(
          {row.Text(0), static_cast<uint64_t>(row.Int64(1)), std::string(row.Bytes(2))});
    }
    return Status::Ok();
  });
  if (!listed.ok()) {
    metrics_.export_failures.fetch_add(1);
    log::Error("audit export failed", {{"error", listed.ToString()}});
    return listed;
  }

  WormExportSummary summary;
  for (const PendingCheckpoint& checkpoint : pending) {
    const Status status = ExportCheckpoint(checkpoint.organization_id, checkpoint.tree_size,
                                           checkpoint.signed_note, summary);
    if (!status.ok()) {
      metrics_.export_failures.fetch_add(1);
      log::Error("audit export failed", {{"organization_id", checkpoint.organization_id},
                                         {"tree_size", checkpoint.tree_size},
                                         {"error", status.ToString()}});
      return status;
    }
  }
  return summary;
}

Status WormExporter::ExportCheckpoint(const std::string& organization_id, uint64_t tree_size,
                                      const std::string& signed_note, WormExportSummary& summary) {
  CUSTODY_ASSIGN_OR_RETURN(const std::string origin, OriginOf(signed_note));

  // Records first, so that a checkpoint object never exists without the records it covers.
  uint64_t exported_end = 0;
  CUSTODY_RETURN_IF_ERROR(db_.Read([&](store::Transaction& tx) -> Status {
    CUSTODY_ASSIGN_OR_RETURN(
        const std::optional<store::Row> row,
        tx.QueryOne("SELECT MAX(end_seq) FROM audit_worm_objects WHERE organization_id = ? AND "
                    "kind = 'records'",
                    {organization_id}));
    exported_end = row && !row->IsNull(0) ? static_cast<uint64_t>(row->Int64(0)) : 0;
    return Status::Ok();
  }));
  while (exported_end < tree_size) {
    const uint64_t end =
        std::min(tree_size, exported_end + std::max<uint64_t>(1, target_.records_per_object));
    CUSTODY_ASSIGN_OR_RETURN(exported_end,
                             ExportRecords(organization_id, origin, exported_end, end));
    ++summary.objects;
  }

  int retain_days = 0;
  CUSTODY_RETURN_IF_ERROR(db_.Read([&](store::Transaction& tx) -> Status {
    CUSTODY_ASSIGN_OR_RETURN(retain_days, LongestRetentionDays(tx));
    return Status::Ok();
  }));
  WormObject object;
  object.organization_id = organization_id;
  object.kind = std::string(kWormKindCheckpoint);
  object.first_seq = 0;
  object.end_seq = tree_size;
  object.object_key = WormCheckpointKey(target_.bucket.key_prefix, organization_id, tree_size);
  object.retain_until = clock_.Now() + std::chrono::hours(24) * retain_days;
  CUSTODY_RETURN_IF_ERROR(
      PutAndRecord(std::move(object), signed_note, "text/plain; charset=utf-8"));
  ++summary.objects;
  ++summary.checkpoints;
  return Status::Ok();
}

Result<uint64_t> WormExporter::ExportRecords(const std::string& organization_id,
                                             const std::string& origin, uint64_t first_seq,
                                             uint64_t end_seq) {
  std::vector<ExportEntry> entries;
  int retain_days = 0;
  CUSTODY_RETURN_IF_ERROR(db_.Read([&](store::Transaction& tx) -> Status {
    CUSTODY_ASSIGN_OR_RETURN(
        const std::vector<store::Row> rows,
        tx.Query(
            "SELECT seq, encoded, leaf_hash, event_class FROM audit_records WHERE "
            "organization_id = ? AND seq >= ? AND seq < ? ORDER BY seq",
            {organization_id, static_cast<int64_t>(first_seq), static_cast<int64_t>(end_seq)}));
    if (rows.size() != end_seq - first_seq) {
      return Internal("audit log " + organization_id + " has " + std::to_string(rows.size()) +
                      " records in seq range [" + std::to_string(first_seq) + ", " +
                      std::to_string(end_seq) + "), which its checkpoint covers in full");
    }
    size_t object_bytes = 0;
    for (const store::Row& row : rows) {
      ExportEntry entry;
      entry.seq = static_cast<uint64_t>(row.Int64(0));
      if (!row.IsNull(1)) {
        entry.leaf = row.Bytes(1);
      }
      entry.leaf_hash = row.Bytes(2);
      entry.event_class = row.Text(3);
      // The size of the entry's line, as FormatWormRecords writes it.
      const size_t line_bytes = EntryJson(entry).dump().size() + 1;
      if (!entries.empty() && object_bytes + line_bytes > target_.object_bytes) {
        break;
      }
      object_bytes += line_bytes;
      CUSTODY_ASSIGN_OR_RETURN(const int days, RetentionDaysOf(tx, entry.event_class));
      retain_days = std::max(retain_days, days);
      entries.push_back(std::move(entry));
    }
    return Status::Ok();
  }));
  end_seq = first_seq + entries.size();

  WormObject object;
  object.organization_id = organization_id;
  object.kind = std::string(kWormKindRecords);
  object.first_seq = first_seq;
  object.end_seq = end_seq;
  object.object_key =
      WormRecordsKey(target_.bucket.key_prefix, organization_id, first_seq, end_seq);
  object.retain_until = clock_.Now() + std::chrono::hours(24) * retain_days;
  CUSTODY_RETURN_IF_ERROR(PutAndRecord(
      std::move(object), FormatWormRecords(origin, first_seq, entries), "application/x-ndjson"));
  return end_seq;
}

Status WormExporter::PutAndRecord(WormObject object, const std::string& body,
                                  std::string_view content_type) {
  const crypto::Sha256Digest digest = crypto::Sha256(body);
  object.sha256 = std::string(crypto::AsChars(std::span<const uint8_t>(digest)));
  object.size = body.size();

  aws::PutObjectOptions options;
  options.content_type = std::string(content_type);
  options.sse_kms = !target_.bucket.kms_key_id.empty();
  if (!target_.object_lock_mode.empty()) {
    options.object_lock_mode = target_.object_lock_mode;
    options.object_lock_retain_until = object.retain_until;
  }
  options.checksum_sha256 = crypto::Base64Encode(std::span<const uint8_t>(digest));
  Result<aws::PutObjectResult> put =
      s3_.PutObject(target_.bucket, target_.credentials, object.object_key, body, options);
  if (!put.ok()) {
    return put.status().WithContext("writing " + object.object_key + " to the WORM bucket");
  }
  object.version_id = put->version_id;
  object.exported_at = clock_.Now();

  CUSTODY_RETURN_IF_ERROR(db_.Write([&](store::Transaction& tx) -> Status {
    return tx
        .Execute(
            "INSERT INTO audit_worm_objects (" + std::string(kWormObjectColumns) +
                ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            {object.organization_id, object.kind, static_cast<int64_t>(object.first_seq),
             static_cast<int64_t>(object.end_seq), object.object_key, object.version_id,
             store::Blob{object.sha256}, static_cast<int64_t>(object.size),
             store::ToUnixMicros(object.retain_until), store::ToUnixMicros(object.exported_at)})
        .status();
  }));
  metrics_.objects_exported.fetch_add(1);
  log::Info("audit object exported", {{"organization_id", object.organization_id},
                                      {"object_key", object.object_key},
                                      {"version_id", object.version_id.value_or("")},
                                      {"retain_until", FormatRfc3339(object.retain_until)}});
  return Status::Ok();
}

}  // namespace custody::audit
