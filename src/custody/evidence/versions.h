// Evidence versions: one uploaded file of an evidence item. A version starts `pending` when a
// client asks to upload, and becomes `stored` once Custody has checked the object in the
// bucket. Versions are never deleted, and a stored version never changes (the schema's
// triggers enforce both).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/evidence/items.h"
#include "custody/store/database.h"

namespace custody::evidence {

enum class VersionStatus {
  kPending,
  kStored,
};

// "pending" or "stored": the API and database spelling.
std::string_view VersionStatusName(VersionStatus status);

struct EvidenceVersion {
  std::string id;  // "ver_..."
  std::string organization_id;
  std::string evidence_id;
  int64_t number = 0;  // 1, 2, ... per item
  std::string file_name;
  std::string media_type;
  int64_t size = 0;    // declared, in bytes
  std::string sha256;  // declared, 64 lowercase hex characters
  std::string md5;     // declared, 32 lowercase hex characters
  std::string object_key;
  VersionStatus status = VersionStatus::kPending;
  // Reason code of the last failed confirmation while pending ("size_mismatch", ...).
  std::optional<std::string> failure_reason;
  SystemTime created_at;
  std::string created_by;  // user id
  std::optional<SystemTime> stored_at;
  int64_t seq = 0;  // paging order
};

// The values a client declares for the file it is about to upload.
struct DeclaredFile {
  std::string file_name;
  int64_t size = 0;
  std::string sha256;  // hex
  std::string md5;     // hex
  std::string media_type;
};

// Checks every declared value (validation.h); the error names the field ("/size").
Status ValidateDeclaredFile(const DeclaredFile& file);

// Inserts a pending version of `item` numbered one above the item's highest number, with the
// object key derived from the ids under `key_prefix`. The caller validates `file` and
// authorizes first.
Result<EvidenceVersion> InsertPendingVersion(store::Transaction& tx, const Clock& clock,
                                             const EvidenceItem& item, const DeclaredFile& file,
                                             std::string_view key_prefix,
                                             std::string_view created_by);

// Returns the version, or authz::NotFoundError() unless it is a version of that item of the
// organization.
Result<EvidenceVersion> GetVersion(store::Transaction& tx, std::string_view organization_id,
                                   std::string_view evidence_id, std::string_view version_id);

// Returns the item's stored version with the highest number, if any.
Result<std::optional<EvidenceVersion>> LatestStoredVersion(store::Transaction& tx,
                                                           std::string_view organization_id,
                                                           std::string_view evidence_id);

struct VersionPage {
  std::vector<EvidenceVersion> versions;  // newest first
  // The id of the page's last version, to pass as `after` for the next page; empty on the last
  // page.
  std::optional<std::string> next_after;
};

// Returns up to `limit` (1 to kMaxPageSize) versions of the item, newest first, starting after
// the version `after` (a next_after); only stored ones when `stored_only`. Returns
// store::InvalidCursorError() when `after` is not a version that this listing includes.
Result<VersionPage> ListVersions(store::Transaction& tx, std::string_view organization_id,
                                 std::string_view evidence_id, bool stored_only,
                                 std::optional<std::string_view> after, int limit);

// Marks a pending version stored at the clock's time and clears its failure reason. Returns
// kConflict when the version is no longer pending.
Result<EvidenceVersion> MarkVersionStored(store::Transaction& tx, const Clock& clock,
                                          const EvidenceVersion& version);

// Records why a confirmation failed, on a version that is still pending. Returns kConflict
// when the version is no longer pending.
Status SetVersionFailure(store::Transaction& tx, const EvidenceVersion& version,
                         std::string_view reason);

}  // namespace custody::evidence
