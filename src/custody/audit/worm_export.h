// Export of the audit logs to WORM storage: an S3 bucket with Object Lock, owned by the Custody
// operator, where neither Custody nor its administrators can change or delete an object before
// its retention ends. The signed checkpoints in the database are the trust anchor, and this copy
// keeps them, with the records they cover, out of reach of anyone who controls the database.
//
// Layout (docs/audit-export.md), with <log> the organization id or "_deployment" for the
// deployment log, and numbers zero-padded to 20 digits so that keys sort by position:
//   <prefix>audit/<log>/records/<first seq>-<end seq>.jsonl   records [first, end) of the log
//   <prefix>audit/<log>/checkpoints/<tree size>.note          a signed checkpoint
// A records file is JSON lines: a header {"format", "origin", "first_seq", "end_seq"}, then one
// line per record in the shape of GET /api/v1/audit/entries.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/audit/verify.h"
#include "custody/aws/connection.h"
#include "custody/aws/credentials.h"
#include "custody/aws/s3.h"
#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/store/database.h"

namespace custody::audit {

inline constexpr std::string_view kWormRecordsFormat = "custody.audit-worm-records.v1";
inline constexpr std::string_view kWormKindRecords = "records";
inline constexpr std::string_view kWormKindCheckpoint = "checkpoint";
// Records per records object at most.
inline constexpr uint64_t kMaxRecordsPerWormObject = 10000;
// Bytes of record lines per records object at most, unless one record alone is larger (a
// record encodes to at most about 11 KB in JSON). The header line adds about 150 bytes. This stays
// well under the 4 MiB of a response body that the HTTP transport keeps by default, so that the
// reconciler can read every object back.
inline constexpr size_t kMaxWormObjectBytes = 1024 * 1024;

// The bucket and the service's own credentials for it.
struct WormTarget {
  // bucket, region, endpoint and key_prefix are used. An empty kms_key_id writes the objects
  // without SSE-KMS, under the bucket's default encryption.
  aws::AwsConnection bucket;
  aws::Credentials credentials;
  // "COMPLIANCE" or "GOVERNANCE". Empty writes without Object Lock, which only tests of the
  // reconciler want: the configuration accepts COMPLIANCE alone.
  std::string object_lock_mode = "COMPLIANCE";
  uint64_t records_per_object = kMaxRecordsPerWormObject;
  size_t object_bytes = kMaxWormObjectBytes;
};

// Counters for /metrics, shared by the exporter and the reconciler.
struct WormMetrics {
  std::atomic<uint64_t> objects_exported{0};
  std::atomic<uint64_t> export_failures{0};
  std::atomic<uint64_t> objects_checked{0};
  std::atomic<uint64_t> mismatches{0};  // objects newly found missing, altered or different
  std::atomic<uint64_t> reconcile_failures{0};
  // Gauge: objects with a problem in the last complete reconciler run.
  std::atomic<uint64_t> mismatched_objects{0};

  // Returns the counters in the Prometheus text exposition format, version 0.0.4.
  std::string RenderPrometheus() const;
};

// Returns the object keys of the layout above.
std::string WormRecordsKey(std::string_view key_prefix, std::string_view organization_id,
                           uint64_t first_seq, uint64_t end_seq);
std::string WormCheckpointKey(std::string_view key_prefix, std::string_view organization_id,
                              uint64_t tree_size);

// Returns the records file for `entries`, which must be seq first_seq, first_seq + 1, ...
std::string FormatWormRecords(std::string_view origin, uint64_t first_seq,
                              const std::vector<ExportEntry>& entries);

// A records file parsed back: its header and its entries.
struct WormRecords {
  std::string origin;
  uint64_t first_seq = 0;
  uint64_t end_seq = 0;
  std::vector<ExportEntry> entries;
};

// Parses a records file. Rejects another format, a header whose range does not match the
// number of lines, and entries that are not seq first_seq, first_seq + 1, ... in order.
Result<WormRecords> ParseWormRecords(std::string_view text);

// One row of audit_worm_objects: an object written to the bucket.
struct WormObject {
  std::string organization_id;
  std::string kind;  // kWormKindRecords or kWormKindCheckpoint
  uint64_t first_seq = 0;
  uint64_t end_seq = 0;  // for a checkpoint, its tree size
  std::string object_key;
  std::optional<std::string> version_id;  // none when the bucket is not versioned
  std::string sha256;                     // 32 raw bytes of the body's SHA-256
  uint64_t size = 0;
  SystemTime retain_until;
  SystemTime exported_at;
};

// Returns up to `limit` rows ordered by (organization_id, kind, end_seq), after the row with
// that key when `after` is set.
Result<std::vector<WormObject>> ListWormObjects(store::Transaction& tx, const WormObject* after,
                                                int limit);

struct WormExportSummary {
  uint64_t checkpoints = 0;  // checkpoints exported
  uint64_t objects = 0;      // objects written, records and checkpoints
};

// Writes signed checkpoints and the records they cover to the WORM bucket.
class WormExporter {
 public:
  // All references must outlive the exporter.
  WormExporter(store::Database& db, aws::S3Client& s3, const Clock& clock, WormTarget target,
               WormMetrics& metrics);

  // Exports up to `max_checkpoints` signed checkpoints not exported yet, smallest first within
  // each log. For each: the records after the log's last exported record, up to the
  // checkpoint's size, in objects of at most target.records_per_object records and
  // target.object_bytes bytes, then the
  // checkpoint itself. Every object is locked until now + the longest retention of the event
  // classes it contains (a checkpoint: of every class), and its row is written as soon as S3
  // has stored it. Stops at the first failure and returns it, so the next call resumes there.
  Result<WormExportSummary> ExportPending(int max_checkpoints = 100);

 private:
  Status ExportCheckpoint(const std::string& organization_id, uint64_t tree_size,
                          const std::string& signed_note, WormExportSummary& summary);
  // Exports one records object from first_seq, up to end_seq or the size limit, and returns
  // the seq after its last record.
  Result<uint64_t> ExportRecords(const std::string& organization_id, const std::string& origin,
                                 uint64_t first_seq, uint64_t end_seq);
  Status PutAndRecord(WormObject object, const std::string& body, std::string_view content_type);

  store::Database& db_;
  aws::S3Client& s3_;
  const Clock& clock_;
  WormTarget target_;
  WormMetrics& metrics_;
};

// Returns the retention in days of `event_class` from audit_retention, or the default security
// retention (7 years) when the class has no row.
Result<int> RetentionDaysOf(store::Transaction& tx, std::string_view event_class);

// Returns the longest retention in days of any class, and at least the default security
// retention: what a checkpoint, which covers records of every class, is locked for.
Result<int> LongestRetentionDays(store::Transaction& tx);

}  // namespace custody::audit
