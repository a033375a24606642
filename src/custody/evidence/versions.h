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
  // Set only for a multipart upload: S3's upload id, and the size of every part but the last.
  std::optional<std::string> upload_id;
  std::optional<int64_t> part_size;

  bool IsMultipart() const { return upload_id.has_value(); }

  // ceil(size / part_size) for a multipart upload, 0 for a single PUT.
  int64_t PartCount() const;
};

// The values a client declares for the file it is about to upload.
struct DeclaredFile {
  std::string file_name;
  int64_t size = 0;
  std::string sha256;  // hex
  std::string md5;     // hex
  std::string media_type;
  // A multipart upload declares both, a single PUT neither: the size of every part but the
  // last, and the MD5 (lowercase hex) of each part in order.
  std::optional<int64_t> part_size = std::nullopt;
  std::optional<std::vector<std::string>> part_md5s = std::nullopt;

  bool IsMultipart() const { return part_size.has_value() || part_md5s.has_value(); }
};

// One part of a multipart version, as declared when the version was created.
struct DeclaredPart {
  int part_number = 0;  // 1 to aws::kMaxPartCount
  int64_t size = 0;     // part_size, except for the last part
  std::string md5;      // 32 lowercase hex characters
};

// Checks every declared value (validation.h); the error names the field ("/size"). A single
// PUT is at most 5 GiB. A multipart upload needs both part_size and part_md5s, a part size of
// 5 MiB to 5 GiB, 1 to 10000 parts with one MD5 each, and at most 5 TiB in all.
Status ValidateDeclaredFile(const DeclaredFile& file);

// The parts of a validated multipart declaration, numbered from 1.
std::vector<DeclaredPart> DeclaredParts(const DeclaredFile& file);

// The new version's id and object key, and S3's upload id for it. A multipart upload is
// created in S3 before its version row, so its ids come first.
struct MultipartStart {
  std::string version_id;
  std::string object_key;
  std::string upload_id;
};

// Returns a new version id ("ver_...").
std::string NewVersionId();

// Inserts a pending version of `item` numbered one above the item's highest number, with the
// object key derived from the ids under `key_prefix`. The caller validates `file` and
// authorizes first.
Result<EvidenceVersion> InsertPendingVersion(store::Transaction& tx, const Clock& clock,
                                             const EvidenceItem& item, const DeclaredFile& file,
                                             std::string_view key_prefix,
                                             std::string_view created_by);

// Inserts a pending multipart version of `item` with the ids of `start`, and its declared
// parts. The caller validates `file`, authorizes and creates the upload in S3 first.
Result<EvidenceVersion> InsertPendingMultipartVersion(store::Transaction& tx, const Clock& clock,
                                                      const EvidenceItem& item,
                                                      const DeclaredFile& file,
                                                      const MultipartStart& start,
                                                      std::string_view created_by);

// Returns the declared parts of a multipart version, in part-number order.
Result<std::vector<DeclaredPart>> GetDeclaredParts(store::Transaction& tx,
                                                   const EvidenceVersion& version);

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
