#include "custody/evidence/versions.h"

#include "custody/authz/authorize.h"
#include "custody/evidence/object_key.h"
#include "custody/evidence/validation.h"
#include "custody/store/ids.h"
#include "custody/store/page_cursor.h"

namespace custody::evidence {
namespace {

constexpr std::string_view kVersionColumns =
    "seq, id, organization_id, evidence_id, number, file_name, media_type, size, sha256, md5, "
    "object_key, status, failure_reason, created_at, created_by, stored_at";

constexpr std::string_view kAlreadyStored = "the version is already stored";

Result<EvidenceVersion> VersionFromRow(const store::Row& row) {
  EvidenceVersion version;
  version.seq = row.Int64(0);
  version.id = row.Text(1);
  version.organization_id = row.Text(2);
  version.evidence_id = row.Text(3);
  version.number = row.Int64(4);
  version.file_name = row.Text(5);
  version.media_type = row.Text(6);
  version.size = row.Int64(7);
  version.sha256 = row.Text(8);
  version.md5 = row.Text(9);
  version.object_key = row.Text(10);
  const std::string status = row.Text(11);
  if (status == VersionStatusName(VersionStatus::kPending)) {
    version.status = VersionStatus::kPending;
  } else if (status == VersionStatusName(VersionStatus::kStored)) {
    version.status = VersionStatus::kStored;
  } else {
    return Internal("version " + version.id + " has an unknown status: " + status);
  }
  version.failure_reason = row.OptionalText(12);
  version.created_at = row.Time(13);
  version.created_by = row.Text(14);
  version.stored_at = row.OptionalTime(15);
  return version;
}

Result<std::vector<EvidenceVersion>> VersionsFromRows(const std::vector<store::Row>& rows) {
  std::vector<EvidenceVersion> versions;
  versions.reserve(rows.size());
  for (const store::Row& row : rows) {
    CUSTODY_ASSIGN_OR_RETURN(EvidenceVersion version, VersionFromRow(row));
    versions.push_back(std::move(version));
  }
  return versions;
}

}  // namespace

std::string_view VersionStatusName(VersionStatus status) {
  switch (status) {
    case VersionStatus::kPending:
      return "pending";
    case VersionStatus::kStored:
      return "stored";
  }
  return "";
}

Status ValidateDeclaredFile(const DeclaredFile& file) {
  CUSTODY_RETURN_IF_ERROR(ValidateFileName(file.file_name));
  CUSTODY_RETURN_IF_ERROR(ValidateSize(file.size));
  CUSTODY_RETURN_IF_ERROR(ValidateHexDigest(file.sha256, 64, "sha256"));
  CUSTODY_RETURN_IF_ERROR(ValidateHexDigest(file.md5, 32, "md5"));
  return ValidateMediaType(file.media_type);
}

Result<EvidenceVersion> InsertPendingVersion(store::Transaction& tx, const Clock& clock,
                                             const EvidenceItem& item, const DeclaredFile& file,
                                             std::string_view key_prefix,
                                             std::string_view created_by) {
  // Write transactions are serialized, so no other writer can take this number first. The
  // UNIQUE (evidence_id, number) constraint backs that up.
  CUSTODY_ASSIGN_OR_RETURN(std::optional<store::Row> highest,
                           tx.QueryOne("SELECT COALESCE(MAX(number), 0) FROM evidence_versions "
                                       "WHERE organization_id = ? AND evidence_id = ?",
                                       {item.organization_id, item.id}));

  EvidenceVersion version;
  version.id = store::NewId(store::kVersionIdPrefix);
  version.organization_id = item.organization_id;
  version.evidence_id = item.id;
  version.number = highest->Int64(0) + 1;
  version.file_name = file.file_name;
  version.media_type = file.media_type;
  version.size = file.size;
  version.sha256 = file.sha256;
  version.md5 = file.md5;
  version.object_key =
      DeriveObjectKey(key_prefix, item.organization_id, item.entity_id, item.id, version.id);
  version.status = VersionStatus::kPending;
  version.created_at = store::FromUnixMicros(store::ToUnixMicros(clock.Now()));
  version.created_by = std::string(created_by);
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("INSERT INTO evidence_versions (id, organization_id, evidence_id, number, "
                  "file_name, media_type, size, sha256, md5, object_key, status, created_at, "
                  "created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
                  {version.id, version.organization_id, version.evidence_id, version.number,
                   version.file_name, version.media_type, version.size, version.sha256, version.md5,
                   version.object_key, VersionStatusName(version.status),
                   store::ToUnixMicros(version.created_at), version.created_by}));
  version.seq = row->Int64(0);
  return version;
}

Result<EvidenceVersion> GetVersion(store::Transaction& tx, std::string_view organization_id,
                                   std::string_view evidence_id, std::string_view version_id) {
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT " + std::string(kVersionColumns) +
                      " FROM evidence_versions "
                      "WHERE organization_id = ? AND evidence_id = ? AND id = ?",
                  {organization_id, evidence_id, version_id}));
  if (!row.has_value()) {
    return authz::NotFoundError();
  }
  return VersionFromRow(*row);
}

Result<std::optional<EvidenceVersion>> LatestStoredVersion(store::Transaction& tx,
                                                           std::string_view organization_id,
                                                           std::string_view evidence_id) {
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT " + std::string(kVersionColumns) +
                      " FROM evidence_versions WHERE organization_id = ? AND evidence_id = ? "
                      "AND status = 'stored' ORDER BY number DESC LIMIT 1",
                  {organization_id, evidence_id}));
  if (!row.has_value()) {
    return std::optional<EvidenceVersion>();
  }
  CUSTODY_ASSIGN_OR_RETURN(EvidenceVersion version, VersionFromRow(*row));
  return std::optional<EvidenceVersion>(std::move(version));
}

Result<VersionPage> ListVersions(store::Transaction& tx, std::string_view organization_id,
                                 std::string_view evidence_id, bool stored_only,
                                 std::optional<std::string_view> after, int limit) {
  CUSTODY_RETURN_IF_ERROR(CheckPageLimit(limit));
  CUSTODY_ASSIGN_OR_RETURN(
      const int64_t before_seq,
      store::SeqBeforeCursor(
          tx, after.has_value(),
          "SELECT seq FROM evidence_versions WHERE organization_id = ?1 "
          "AND evidence_id = ?2 AND (?3 = 0 OR status = 'stored') AND id = ?4",
          {organization_id, evidence_id, stored_only ? 1 : 0, after.value_or("")}));
  CUSTODY_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query("SELECT " + std::string(kVersionColumns) +
                   " FROM evidence_versions WHERE organization_id = ?1 AND evidence_id = ?2 "
                   "AND (?3 = 0 OR status = 'stored') AND seq < ?4 ORDER BY seq DESC LIMIT ?5",
               {organization_id, evidence_id, stored_only ? 1 : 0, before_seq, limit + 1}));
  CUSTODY_ASSIGN_OR_RETURN(std::vector<EvidenceVersion> versions, VersionsFromRows(rows));

  VersionPage page;
  for (EvidenceVersion& version : versions) {
    if (page.versions.size() == static_cast<size_t>(limit)) {
      page.next_after = page.versions.back().id;
      break;
    }
    page.versions.push_back(std::move(version));
  }
  return page;
}

Result<EvidenceVersion> MarkVersionStored(store::Transaction& tx, const Clock& clock,
                                          const EvidenceVersion& version) {
  const SystemTime stored_at = store::FromUnixMicros(store::ToUnixMicros(clock.Now()));
  CUSTODY_ASSIGN_OR_RETURN(
      int64_t changed,
      tx.Execute("UPDATE evidence_versions SET status = 'stored', stored_at = ?, "
                 "failure_reason = NULL "
                 "WHERE organization_id = ? AND id = ? AND status = 'pending'",
                 {store::ToUnixMicros(stored_at), version.organization_id, version.id}));
  if (changed != 1) {
    return Conflict(std::string(kAlreadyStored));
  }
  EvidenceVersion stored = version;
  stored.status = VersionStatus::kStored;
  stored.stored_at = stored_at;
  stored.failure_reason.reset();
  return stored;
}

Status SetVersionFailure(store::Transaction& tx, const EvidenceVersion& version,
                         std::string_view reason) {
  CUSTODY_ASSIGN_OR_RETURN(int64_t changed,
                           tx.Execute("UPDATE evidence_versions SET failure_reason = ? "
                                      "WHERE organization_id = ? AND id = ? AND status = 'pending'",
                                      {reason, version.organization_id, version.id}));
  if (changed != 1) {
    return Conflict(std::string(kAlreadyStored));
  }
  return Status::Ok();
}

}  // namespace custody::evidence
