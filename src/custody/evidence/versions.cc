#include "custody/evidence/versions.h"

#include <algorithm>

#include "custody/authz/authorize.h"
#include "custody/evidence/object_key.h"
#include "custody/evidence/validation.h"
#include "custody/store/ids.h"
#include "custody/store/page_cursor.h"

namespace custody::evidence {
namespace {

constexpr std::string_view kVersionColumns =
    "seq, id, organization_id, evidence_id, number, file_name, media_type, size, sha256, md5, "
    "object_key, status, failure_reason, created_at, created_by, stored_at, upload_id, part_size";

// Rows per INSERT of declared parts: 4 parameters each, well below SQLite's default limit of
// 32766 parameters per statement.
constexpr size_t kPartsPerInsert = 500;

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
  version.upload_id = row.OptionalText(16);
  version.part_size = row.OptionalInt64(17);
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

// Inserts the row of a pending version numbered one above the item's highest number.
Result<EvidenceVersion> InsertVersionRow(store::Transaction& tx, const Clock& clock,
                                         const EvidenceItem& item, const DeclaredFile& file,
                                         const std::string& version_id,
                                         const std::string& object_key,
                                         const std::optional<std::string>& upload_id,
                                         std::string_view created_by) {
  // Write transactions are serialized, so no other writer can take this number first. The
  // UNIQUE (evidence_id, number) constraint backs that up.
  CUSTODY_ASSIGN_OR_RETURN(std::optional<store::Row> highest,
                           tx.QueryOne("SELECT COALESCE(MAX(number), 0) FROM evidence_versions "
                                       "WHERE organization_id = ? AND evidence_id = ?",
                                       {item.organization_id, item.id}));

  EvidenceVersion version;
  version.id = version_id;
  version.organization_id = item.organization_id;
  version.evidence_id = item.id;
  version.number = highest->Int64(0) + 1;
  version.file_name = file.file_name;
  version.media_type = file.media_type;
  version.size = file.size;
  version.sha256 = file.sha256;
  version.md5 = file.md5;
  version.object_key = object_key;
  version.status = VersionStatus::kPending;
  version.created_at = store::FromUnixMicros(store::ToUnixMicros(clock.Now()));
  version.created_by = std::string(created_by);
  if (upload_id.has_value()) {
    version.upload_id = upload_id;
    version.part_size = file.part_size;
  }
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("INSERT INTO evidence_versions (id, organization_id, evidence_id, number, "
                  "file_name, media_type, size, sha256, md5, object_key, status, created_at, "
                  "created_by, upload_id, part_size) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
                  {version.id, version.organization_id, version.evidence_id, version.number,
                   version.file_name, version.media_type, version.size, version.sha256, version.md5,
                   version.object_key, VersionStatusName(version.status),
                   store::ToUnixMicros(version.created_at), version.created_by, version.upload_id,
                   version.part_size}));
  version.seq = row->Int64(0);
  return version;
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

int64_t EvidenceVersion::PartCount() const {
  if (!part_size.has_value() || *part_size < 1) {
    return 0;
  }
  return (size + *part_size - 1) / *part_size;
}

Status ValidateDeclaredFile(const DeclaredFile& file) {
  CUSTODY_RETURN_IF_ERROR(ValidateFileName(file.file_name));
  if (file.IsMultipart()) {
    if (!file.part_size.has_value()) {
      return InvalidArgument("part_size is required with part_md5s", "/part_size");
    }
    if (!file.part_md5s.has_value()) {
      return InvalidArgument("part_md5s is required with part_size", "/part_md5s");
    }
    CUSTODY_RETURN_IF_ERROR(ValidateMultipart(file.size, *file.part_size, *file.part_md5s));
  } else {
    CUSTODY_RETURN_IF_ERROR(ValidateSize(file.size));
  }
  CUSTODY_RETURN_IF_ERROR(ValidateHexDigest(file.sha256, 64, "sha256"));
  CUSTODY_RETURN_IF_ERROR(ValidateHexDigest(file.md5, 32, "md5"));
  return ValidateMediaType(file.media_type);
}

std::vector<DeclaredPart> DeclaredParts(const DeclaredFile& file) {
  std::vector<DeclaredPart> parts;
  if (!file.part_size.has_value() || !file.part_md5s.has_value() || *file.part_size < 1) {
    return parts;
  }
  const std::vector<std::string>& md5s = *file.part_md5s;
  parts.reserve(md5s.size());
  int64_t remaining = file.size;
  for (size_t i = 0; i < md5s.size() && remaining > 0; ++i) {
    const int64_t size = std::min(remaining, *file.part_size);
    parts.push_back(DeclaredPart{static_cast<int>(i) + 1, size, md5s[i]});
    remaining -= size;
  }
  return parts;
}

std::string NewVersionId() {
  return store::NewId(store::kVersionIdPrefix);
}

Result<EvidenceVersion> InsertPendingVersion(store::Transaction& tx, const Clock& clock,
                                             const EvidenceItem& item, const DeclaredFile& file,
                                             std::string_view key_prefix,
                                             std::string_view created_by) {
  const std::string version_id = NewVersionId();
  const std::string object_key =
      DeriveObjectKey(key_prefix, item.organization_id, item.entity_id, item.id, version_id);
  return InsertVersionRow(tx, clock, item, file, version_id, object_key, std::nullopt, created_by);
}

Result<EvidenceVersion> InsertPendingMultipartVersion(store::Transaction& tx, const Clock& clock,
                                                      const EvidenceItem& item,
                                                      const DeclaredFile& file,
                                                      const MultipartStart& start,
                                                      std::string_view created_by) {
  if (!file.part_size.has_value() || !file.part_md5s.has_value()) {
    return Internal("a multipart version needs part_size and part_md5s");
  }
  CUSTODY_ASSIGN_OR_RETURN(EvidenceVersion version,
                           InsertVersionRow(tx, clock, item, file, start.version_id,
                                            start.object_key, start.upload_id, created_by));
  const std::vector<DeclaredPart> parts = DeclaredParts(file);
  for (size_t first = 0; first < parts.size(); first += kPartsPerInsert) {
    const size_t last = std::min(parts.size(), first + kPartsPerInsert);
    std::string sql =
        "INSERT INTO evidence_version_parts (version_id, part_number, size, md5) VALUES ";
    std::vector<store::Param> params;
    params.reserve((last - first) * 4);
    for (size_t i = first; i < last; ++i) {
      sql += i == first ? "(?, ?, ?, ?)" : ", (?, ?, ?, ?)";
      params.emplace_back(version.id);
      params.emplace_back(int64_t{parts[i].part_number});
      params.emplace_back(parts[i].size);
      params.emplace_back(parts[i].md5);
    }
    CUSTODY_RETURN_IF_ERROR(tx.Execute(sql, params).status());
  }
  return version;
}

Result<std::vector<DeclaredPart>> GetDeclaredParts(store::Transaction& tx,
                                                   const EvidenceVersion& version) {
  CUSTODY_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query("SELECT part_number, size, md5 FROM evidence_version_parts WHERE version_id = ? "
               "ORDER BY part_number",
               {version.id}));
  std::vector<DeclaredPart> parts;
  parts.reserve(rows.size());
  for (const store::Row& row : rows) {
    parts.push_back(DeclaredPart{static_cast<int>(row.Int64(0)), row.Int64(1), row.Text(2)});
  }
  return parts;
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
