#include "custody/evidence/service.h"

#include <map>
#include <set>
#include <utility>

#include "custody/audit/record.h"
#include "custody/authz/authorize.h"
#include "custody/common/log.h"
#include "custody/evidence/aws_connections.h"
#include "custody/evidence/object_key.h"
#include "custody/evidence/upload_check.h"

namespace custody::evidence {
namespace {

using authz::Action;

std::string ItemResource(std::string_view evidence_id) {
  return "evidence/" + std::string(evidence_id);
}

std::string VersionResource(std::string_view version_id) {
  return "evidence_version/" + std::string(version_id);
}

std::string EntityResource(std::string_view entity_id) {
  return "entity/" + std::string(entity_id);
}

constexpr std::string_view kStoredUseNewVersion =
    "the version is already stored; upload a new version instead";

std::string AuditAction(Action action) {
  return std::string(authz::ActionName(action));
}

// Loads the item and authorizes `action` on its entity. An item that does not exist runs the
// same authorization queries on an empty entity id, so that it takes the same work to deny as
// an item outside the caller's scope.
Result<EvidenceItem> LoadItem(store::Transaction& tx, const RequestContext& context,
                              std::string_view evidence_id, Action action, AuditEntry& entry,
                              authz::Role* role = nullptr) {
  Result<EvidenceItem> item = GetEvidenceItem(tx, context.principal.organization_id, evidence_id);
  if (!item.ok() && item.status().code() != ErrorCode::kNotFound) {
    return item.status();
  }
  const std::string entity_id = item.ok() ? item->entity_id : std::string();
  CUSTODY_ASSIGN_OR_RETURN(const authz::Role granted,
                           Authorize(tx, context, entity_id, action, entry));
  if (role != nullptr) {
    *role = granted;
  }
  return item;
}

// A transport or STS failure that means AWS cannot be reached now, as opposed to an error
// that AWS returned.
bool IsUnreachable(const Status& status) {
  return status.code() == ErrorCode::kUnavailable || status.code() == ErrorCode::kDeadlineExceeded;
}

// Maps a failure of STS, S3 or presigning to the status the caller receives: 503 when AWS
// cannot be reached, 502 when it returned an error, 409 when the connection is not usable.
Status AwsFailure(const Status& status, std::string_view operation) {
  const std::string context = std::string(operation) + ": " + status.message();
  if (IsUnreachable(status)) {
    return Unavailable("the organization's AWS account cannot be reached to " + context +
                       "; try again later");
  }
  switch (status.code()) {
    case ErrorCode::kUpstreamFailed:
    case ErrorCode::kNotFound:  // S3's 404, such as NoSuchBucket
      return UpstreamFailed("the organization's AWS account rejected the request to " + context);
    case ErrorCode::kFailedPrecondition:
      return FailedPrecondition("the AWS connection cannot be used to " + context);
    default:
      return Internal("failed to " + context);
  }
}

// True when objects keep going to the same bucket, key prefix and KMS key.
bool SameObjectLocation(const aws::AwsConnection& a, const aws::AwsConnection& b) {
  return a.bucket == b.bucket && a.region == b.region && a.endpoint == b.endpoint &&
         a.key_prefix == b.key_prefix && a.kms_key_id == b.kms_key_id;
}

// 1 to kMaxPartUrlsPerRequest distinct part numbers, each 1 to `part_count`.
Status CheckPartNumbers(const std::vector<int64_t>& part_numbers, size_t part_count) {
  if (part_numbers.empty() || part_numbers.size() > kMaxPartUrlsPerRequest) {
    return InvalidArgument("part_numbers must list 1 to 100 part numbers", "/part_numbers");
  }
  std::set<int64_t> seen;
  for (size_t i = 0; i < part_numbers.size(); ++i) {
    const int64_t number = part_numbers[i];
    const std::string field = "/part_numbers/" + std::to_string(i);
    if (number < 1 || static_cast<uint64_t>(number) > part_count) {
      return InvalidArgument("part number " + std::to_string(number) +
                                 " is out of range; the "
                                 "version has parts 1 to " +
                                 std::to_string(part_count),
                             field);
    }
    if (!seen.insert(number).second) {
      return InvalidArgument("part number " + std::to_string(number) + " is listed twice", field);
    }
  }
  return Status::Ok();
}

std::string AsciiLowerCopy(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return lower;
}

}  // namespace

struct EvidenceService::VersionTarget {
  EvidenceItem item;
  EvidenceVersion version;
  std::optional<StoredAwsConnection> connection;
  std::vector<DeclaredPart> parts;  // loaded only for multipart operations
};

EvidenceService::EvidenceService(store::Database& db, const Clock& clock,
                                 aws::CredentialCache& credentials, aws::S3Client& s3,
                                 EvidenceOptions options)
    : db_(db), clock_(clock), credentials_(credentials), s3_(s3), options_(options) {}

Result<EvidenceItem> EvidenceService::CreateEvidence(const RequestContext& context,
                                                     std::string_view entity_id,
                                                     std::string_view title,
                                                     std::string_view description) {
  AuditEntry entry{AuditAction(Action::kCreateEvidence), EntityResource(entity_id), ""};
  return AuditedWriteReturning<EvidenceItem>(
      db_, clock_, context, entry, [&](store::Transaction& tx) -> Result<EvidenceItem> {
        CUSTODY_RETURN_IF_ERROR(
            Authorize(tx, context, entity_id, Action::kCreateEvidence, entry).status());
        CUSTODY_ASSIGN_OR_RETURN(
            EvidenceItem item,
            InsertEvidenceItem(tx, clock_, context.principal.organization_id, entity_id, title,
                               description, context.principal.user_id));
        entry.resource = ItemResource(item.id);
        return item;
      });
}

Result<EvidenceItemViewPage> EvidenceService::ListEvidence(const RequestContext& context,
                                                           std::string_view entity_id,
                                                           std::optional<std::string_view> after,
                                                           int limit,
                                                           std::optional<std::string_view> search) {
  AuditEntry entry{AuditAction(Action::kReadEvidence), EntityResource(entity_id), ""};
  const std::string& organization_id = context.principal.organization_id;
  return AuditedWriteReturning<EvidenceItemViewPage>(
      db_, clock_, context, entry, [&](store::Transaction& tx) -> Result<EvidenceItemViewPage> {
        CUSTODY_RETURN_IF_ERROR(
            Authorize(tx, context, entity_id, Action::kReadEvidence, entry).status());
        CUSTODY_ASSIGN_OR_RETURN(
            EvidenceItemPage page,
            ListEvidenceItems(tx, organization_id, entity_id, after, limit, search));
        EvidenceItemViewPage views;
        views.next_after = page.next_after;
        for (EvidenceItem& item : page.items) {
          CUSTODY_ASSIGN_OR_RETURN(std::optional<EvidenceVersion> latest,
                                   LatestStoredVersion(tx, organization_id, item.id));
          views.items.push_back(EvidenceItemView{std::move(item), std::move(latest)});
        }
        return views;
      });
}

Result<EvidenceItemView> EvidenceService::GetEvidence(const RequestContext& context,
                                                      std::string_view evidence_id) {
  AuditEntry entry{AuditAction(Action::kReadEvidence), ItemResource(evidence_id), ""};
  return AuditedWriteReturning<EvidenceItemView>(
      db_, clock_, context, entry, [&](store::Transaction& tx) -> Result<EvidenceItemView> {
        CUSTODY_ASSIGN_OR_RETURN(EvidenceItem item,
                                 LoadItem(tx, context, evidence_id, Action::kReadEvidence, entry));
        CUSTODY_ASSIGN_OR_RETURN(
            std::optional<EvidenceVersion> latest,
            LatestStoredVersion(tx, context.principal.organization_id, item.id));
        return EvidenceItemView{std::move(item), std::move(latest)};
      });
}

Result<VersionPage> EvidenceService::ListVersions(const RequestContext& context,
                                                  std::string_view evidence_id,
                                                  std::optional<std::string_view> after,
                                                  int limit) {
  AuditEntry entry{AuditAction(Action::kReadEvidence), ItemResource(evidence_id), ""};
  return AuditedWriteReturning<VersionPage>(
      db_, clock_, context, entry, [&](store::Transaction& tx) -> Result<VersionPage> {
        authz::Role role = authz::Role::kViewer;
        CUSTODY_ASSIGN_OR_RETURN(EvidenceItem item, LoadItem(tx, context, evidence_id,
                                                             Action::kReadEvidence, entry, &role));
        const bool stored_only = !authz::RoleAllows(role, Action::kReadDraftEvidence);
        return evidence::ListVersions(tx, context.principal.organization_id, item.id, stored_only,
                                      after, limit);
      });
}

Result<aws::Credentials> EvidenceService::CredentialsFor(const RequestContext& context,
                                                         const aws::AwsConnection& connection) {
  Result<aws::Credentials> credentials =
      credentials_.Get(connection, context.principal.organization_id, context.principal.user_id);
  if (!credentials.ok()) {
    log::Warn("AssumeRole for an evidence request failed",
              {{"request_id", context.request_id},
               {"organization_id", context.principal.organization_id},
               {"user_id", context.principal.user_id},
               {"error", credentials.status().ToString()}});
  }
  return credentials;
}

Result<aws::PresignedRequest> EvidenceService::PresignUpload(const aws::AwsConnection& connection,
                                                             const aws::Credentials& credentials,
                                                             const EvidenceVersion& version) {
  aws::PutObjectUpload upload;
  upload.key = version.object_key;
  upload.content_length = static_cast<uint64_t>(version.size);
  upload.sha256_hex = version.sha256;
  upload.md5_hex = version.md5;
  upload.content_type = version.media_type;
  upload.ttl = options_.upload_url_ttl;
  aws::PresignOptions presign_options;
  presign_options.allow_insecure_loopback = options_.allow_insecure_loopback;
  return aws::PresignPutObject(connection, credentials, upload, clock_, presign_options);
}

Result<UploadGrant> EvidenceService::RequestUpload(const RequestContext& context,
                                                   std::string_view evidence_id,
                                                   const DeclaredFile& file) {
  AuditEntry entry{AuditAction(Action::kUploadVersion), ItemResource(evidence_id), ""};
  const std::string& organization_id = context.principal.organization_id;

  // Authorization comes before validation, so a caller outside the scope learns nothing.
  struct UploadSetup {
    EvidenceItem item;
    StoredAwsConnection stored;
  };

  CUSTODY_ASSIGN_OR_RETURN(
      UploadSetup setup,
      CheckedReadReturning<UploadSetup>(
          db_, clock_, context, entry, [&](store::Transaction& tx) -> Result<UploadSetup> {
            CUSTODY_ASSIGN_OR_RETURN(EvidenceItem item, LoadItem(tx, context, evidence_id,
                                                                 Action::kUploadVersion, entry));
            CUSTODY_RETURN_IF_ERROR(ValidateDeclaredFile(file));
            CUSTODY_ASSIGN_OR_RETURN(StoredAwsConnection stored,
                                     RequireAwsConnection(tx, organization_id));
            return UploadSetup{std::move(item), std::move(stored)};
          }));
  StoredAwsConnection& stored = setup.stored;

  Result<aws::Credentials> credentials = CredentialsFor(context, stored.connection);
  if (!credentials.ok()) {
    return RecordAwsFailure(context, entry, credentials.status(), "sign the upload");
  }
  if (file.IsMultipart()) {
    return RequestMultipartUpload(context, entry, evidence_id, file, setup.item, stored,
                                  *credentials);
  }

  // The item and the connection are read again in the write transaction, so the version
  // matches the state at commit.
  CUSTODY_ASSIGN_OR_RETURN(
      UploadGrant grant,
      AuditedWriteReturning<UploadGrant>(
          db_, clock_, context, entry, [&](store::Transaction& tx) -> Result<UploadGrant> {
            CUSTODY_ASSIGN_OR_RETURN(EvidenceItem item, LoadItem(tx, context, evidence_id,
                                                                 Action::kUploadVersion, entry));
            CUSTODY_ASSIGN_OR_RETURN(StoredAwsConnection current,
                                     RequireAwsConnection(tx, organization_id));
            CUSTODY_ASSIGN_OR_RETURN(
                EvidenceVersion version,
                InsertPendingVersion(tx, clock_, item, file, current.connection.key_prefix,
                                     context.principal.user_id));
            entry.resource = VersionResource(version.id);
            stored = std::move(current);
            return UploadGrant{std::move(version), {}};
          }));

  Result<aws::PresignedRequest> upload =
      PresignUpload(stored.connection, *credentials, grant.version);
  if (!upload.ok()) {
    // NOTE: the version stays pending; RenewUploadUrl signs a new URL for it.
    return AwsFailure(upload.status(), "sign the upload of version " + grant.version.id);
  }
  grant.upload = std::move(upload).value();
  return grant;
}

Result<UploadGrant> EvidenceService::RequestMultipartUpload(
    const RequestContext& context, AuditEntry& entry, std::string_view evidence_id,
    const DeclaredFile& file, const EvidenceItem& item, const StoredAwsConnection& stored,
    const aws::Credentials& credentials) {
  const std::string& organization_id = context.principal.organization_id;
  const aws::AwsConnection& connection = stored.connection;
  MultipartStart start;
  start.version_id = NewVersionId();
  start.object_key = DeriveObjectKey(connection.key_prefix, organization_id, item.entity_id,
                                     item.id, start.version_id);
  Result<std::string> upload_id =
      s3_.CreateMultipartUpload(connection, credentials, start.object_key, file.media_type);
  if (!upload_id.ok()) {
    log::Warn("CreateMultipartUpload failed", {{"request_id", context.request_id},
                                               {"version_id", start.version_id},
                                               {"error", upload_id.status().ToString()}});
    return RecordAwsFailure(context, entry, upload_id.status(), "start the multipart upload");
  }
  start.upload_id = std::move(upload_id).value();

  Result<UploadGrant> grant = AuditedWriteReturning<UploadGrant>(
      db_, clock_, context, entry, [&](store::Transaction& tx) -> Result<UploadGrant> {
        CUSTODY_ASSIGN_OR_RETURN(EvidenceItem current_item,
                                 LoadItem(tx, context, evidence_id, Action::kUploadVersion, entry));
        CUSTODY_ASSIGN_OR_RETURN(StoredAwsConnection current,
                                 RequireAwsConnection(tx, organization_id));
        if (!SameObjectLocation(current.connection, connection)) {
          entry.reason = "connection_changed";
          return Conflict(
              "the organization's AWS connection changed while the upload was being "
              "prepared; request the upload again");
        }
        CUSTODY_ASSIGN_OR_RETURN(EvidenceVersion version,
                                 InsertPendingMultipartVersion(tx, clock_, current_item, file,
                                                               start, context.principal.user_id));
        entry.resource = VersionResource(version.id);
        return UploadGrant{std::move(version), std::nullopt};
      });
  if (!grant.ok()) {
    // Without its version the upload would only collect parts, so it goes now.
    const Status aborted =
        s3_.AbortMultipartUpload(connection, credentials, start.object_key, start.upload_id);
    if (!aborted.ok()) {
      log::Warn("AbortMultipartUpload of an upload without a version failed",
                {{"request_id", context.request_id},
                 {"object_key", start.object_key},
                 {"error", aborted.ToString()}});
    }
  }
  return grant;
}

Result<EvidenceService::VersionTarget> EvidenceService::LoadPendingVersion(
    const RequestContext& context, AuditEntry& entry, std::string_view evidence_id,
    std::string_view version_id, Action action, std::string_view stored_message,
    bool multipart_only) {
  return CheckedReadReturning<VersionTarget>(
      db_, clock_, context, entry, [&](store::Transaction& tx) -> Result<VersionTarget> {
        CUSTODY_ASSIGN_OR_RETURN(VersionTarget loaded,
                                 LoadVersion(tx, context, evidence_id, version_id, action, entry));
        if (loaded.version.status == VersionStatus::kStored) {
          entry.reason = "already_stored";
          return Conflict(std::string(stored_message));
        }
        if (multipart_only && !loaded.version.IsMultipart()) {
          entry.reason = "not_multipart";
          return Conflict(
              "the version is not a multipart upload; upload its file with the URL from "
              "upload-url");
        }
        if (!loaded.connection.has_value()) {
          return RequireAwsConnection(tx, context.principal.organization_id).status();
        }
        if (loaded.version.IsMultipart()) {
          CUSTODY_ASSIGN_OR_RETURN(loaded.parts, GetDeclaredParts(tx, loaded.version));
        }
        return loaded;
      });
}

Status EvidenceService::RecordAwsFailure(const RequestContext& context, AuditEntry& entry,
                                         const Status& status, std::string_view operation) {
  const Status failure = AwsFailure(status, operation);
  if (!IsDenial(failure)) {
    return failure;
  }
  return RecordDenial(db_, clock_, context, entry, failure);
}

Status EvidenceService::RecordAllowed(const RequestContext& context, const AuditEntry& entry) {
  return db_.Write([&](store::Transaction& tx) {
    return AppendRecord(tx, clock_, context, entry, audit::kDecisionAllow, "");
  });
}

Result<std::vector<PartUrl>> EvidenceService::PartUrls(const RequestContext& context,
                                                       std::string_view evidence_id,
                                                       std::string_view version_id,
                                                       const std::vector<int64_t>& part_numbers) {
  AuditEntry entry{"evidence.version.part_urls", VersionResource(version_id), ""};
  CUSTODY_ASSIGN_OR_RETURN(
      VersionTarget target,
      LoadPendingVersion(context, entry, evidence_id, version_id, Action::kUploadVersion,
                         kStoredUseNewVersion, /*multipart_only=*/true));

  const Status valid = CheckPartNumbers(part_numbers, target.parts.size());
  if (!valid.ok()) {
    return RecordDenial(db_, clock_, context, entry, valid);
  }

  const aws::AwsConnection& connection = target.connection->connection;
  Result<aws::Credentials> credentials = CredentialsFor(context, connection);
  if (!credentials.ok()) {
    return RecordAwsFailure(context, entry, credentials.status(), "sign the part uploads");
  }
  aws::PresignOptions presign_options;
  presign_options.allow_insecure_loopback = options_.allow_insecure_loopback;
  std::vector<PartUrl> urls;
  urls.reserve(part_numbers.size());
  for (const int64_t number : part_numbers) {
    const DeclaredPart& part = target.parts[static_cast<size_t>(number - 1)];
    aws::UploadPartUpload upload;
    upload.key = target.version.object_key;
    upload.upload_id = *target.version.upload_id;
    upload.part_number = part.part_number;
    upload.content_length = static_cast<uint64_t>(part.size);
    upload.md5_hex = part.md5;
    upload.ttl = options_.upload_url_ttl;
    Result<aws::PresignedRequest> request =
        aws::PresignUploadPart(connection, *credentials, upload, clock_, presign_options);
    if (!request.ok()) {
      return RecordAwsFailure(context, entry, request.status(), "sign the part uploads");
    }
    urls.push_back(PartUrl{part.part_number, std::move(request).value()});
  }

  // The URLs are handed out only once their record is written.
  CUSTODY_RETURN_IF_ERROR(RecordAllowed(context, entry));
  return urls;
}

Result<UploadedParts> EvidenceService::ListUploadedParts(const RequestContext& context,
                                                         std::string_view evidence_id,
                                                         std::string_view version_id) {
  AuditEntry entry{"evidence.version.parts", VersionResource(version_id), ""};
  CUSTODY_ASSIGN_OR_RETURN(
      VersionTarget target,
      LoadPendingVersion(context, entry, evidence_id, version_id, Action::kUploadVersion,
                         kStoredUseNewVersion, /*multipart_only=*/true));
  const EvidenceVersion& version = target.version;
  const aws::AwsConnection& connection = target.connection->connection;

  Result<aws::Credentials> credentials = CredentialsFor(context, connection);
  if (!credentials.ok()) {
    return RecordAwsFailure(context, entry, credentials.status(), "list the uploaded parts");
  }
  Result<std::vector<aws::UploadedPart>> listed =
      s3_.ListParts(connection, *credentials, version.object_key, *version.upload_id);
  if (!listed.ok()) {
    if (listed.status().code() == ErrorCode::kNotFound) {
      entry.reason = "upload_missing";
      return RecordDenial(db_, clock_, context, entry,
                          Conflict("the bucket no longer has this multipart upload; complete the "
                                   "version if every part was uploaded, or upload a new version"));
    }
    log::Warn("ListParts failed", {{"request_id", context.request_id},
                                   {"version_id", version.id},
                                   {"error", listed.status().ToString()}});
    return RecordAwsFailure(context, entry, listed.status(), "list the uploaded parts");
  }

  const bool compare_md5s = EtagsArePlaintextMd5(connection);
  UploadedParts result;
  result.part_size = version.part_size.value_or(0);
  result.part_count = static_cast<int64_t>(target.parts.size());
  for (aws::UploadedPart& part : *listed) {
    if (part.part_number < 1 || static_cast<size_t>(part.part_number) > target.parts.size()) {
      continue;
    }
    const DeclaredPart& declared = target.parts[static_cast<size_t>(part.part_number - 1)];
    const bool same_size = part.size == static_cast<uint64_t>(declared.size);
    const bool other_md5 =
        compare_md5s && part.etag.size() == 32 && AsciiLowerCopy(part.etag) != declared.md5;
    if (same_size && !other_md5) {
      result.uploaded.push_back(std::move(part));
    }
  }

  CUSTODY_RETURN_IF_ERROR(RecordAllowed(context, entry));
  return result;
}

Result<VersionReview> EvidenceService::ReviewVersion(const RequestContext& context,
                                                     std::string_view evidence_id,
                                                     std::string_view version_id,
                                                     std::string_view decision,
                                                     std::string_view comment) {
  AuditEntry entry{AuditAction(Action::kApproveEvidence), VersionResource(version_id), ""};
  return AuditedWriteReturning<VersionReview>(
      db_, clock_, context, entry, [&](store::Transaction& tx) -> Result<VersionReview> {
        CUSTODY_ASSIGN_OR_RETURN(
            VersionTarget target,
            LoadVersion(tx, context, evidence_id, version_id, Action::kApproveEvidence, entry));
        if (target.version.status != VersionStatus::kStored) {
          return Conflict("only a stored version can be reviewed");
        }
        if (target.version.created_by == context.principal.user_id) {
          entry.reason = std::string(kReasonOwnUpload);
          return PermissionDenied("a version cannot be reviewed by the user who uploaded it");
        }
        CUSTODY_RETURN_IF_ERROR(ValidateReview(decision, comment));
        return InsertReview(tx, clock_, target.version, decision, comment,
                            context.principal.user_id);
      });
}

Result<EvidenceService::VersionTarget> EvidenceService::LoadVersion(
    store::Transaction& tx, const RequestContext& context, std::string_view evidence_id,
    std::string_view version_id, Action action, AuditEntry& entry) {
  const std::string& organization_id = context.principal.organization_id;
  authz::Role role = authz::Role::kViewer;
  CUSTODY_ASSIGN_OR_RETURN(EvidenceItem item,
                           LoadItem(tx, context, evidence_id, action, entry, &role));
  CUSTODY_ASSIGN_OR_RETURN(EvidenceVersion version,
                           GetVersion(tx, organization_id, item.id, version_id));
  // A pending version is a draft: to a role that cannot read drafts it must look exactly like
  // an unknown id, or its existence would leak.
  if (version.status != VersionStatus::kStored &&
      !authz::RoleAllows(role, Action::kReadDraftEvidence)) {
    entry.reason = std::string(kReasonDraftHidden);
    return authz::NotFoundError();
  }
  CUSTODY_ASSIGN_OR_RETURN(std::optional<StoredAwsConnection> connection,
                           FindAwsConnection(tx, organization_id));
  return VersionTarget{std::move(item), std::move(version), std::move(connection), {}};
}

Result<UploadGrant> EvidenceService::RenewUploadUrl(const RequestContext& context,
                                                    std::string_view evidence_id,
                                                    std::string_view version_id) {
  AuditEntry entry{"evidence.version.upload_url", VersionResource(version_id), ""};
  CUSTODY_ASSIGN_OR_RETURN(
      VersionTarget target,
      LoadPendingVersion(context, entry, evidence_id, version_id, Action::kUploadVersion,
                         kStoredUseNewVersion, /*multipart_only=*/false));

  if (target.version.IsMultipart()) {
    // A multipart version has no single URL. The client learns the method here and requests
    // the part URLs from part-urls.
    CUSTODY_RETURN_IF_ERROR(RecordAllowed(context, entry));
    return UploadGrant{std::move(target.version), std::nullopt};
  }

  const aws::AwsConnection& connection = target.connection->connection;
  Result<aws::Credentials> credentials = CredentialsFor(context, connection);
  if (!credentials.ok()) {
    return RecordAwsFailure(context, entry, credentials.status(), "sign the upload");
  }
  Result<aws::PresignedRequest> upload = PresignUpload(connection, *credentials, target.version);
  if (!upload.ok()) {
    return RecordAwsFailure(context, entry, upload.status(), "sign the upload");
  }

  // The URL is handed out only once its record is written.
  CUSTODY_RETURN_IF_ERROR(RecordAllowed(context, entry));
  return UploadGrant{std::move(target.version), std::move(upload).value()};
}

Status EvidenceService::RecordUploadFailure(const RequestContext& context, AuditEntry& entry,
                                            const EvidenceVersion& version, std::string_view reason,
                                            const Status& failure) {
  entry.reason = std::string(reason);
  Status outcome = failure;
  const Status written = db_.Write([&](store::Transaction& tx) -> Status {
    const Status updated = SetVersionFailure(tx, version, reason);
    if (updated.code() == ErrorCode::kConflict) {
      // Another request stored the version meanwhile: report that instead.
      entry.reason = "already_stored";
      outcome = Conflict("the version is already stored");
    } else if (!updated.ok()) {
      return updated;
    }
    return AppendRecord(tx, clock_, context, entry, audit::kDecisionDeny, entry.reason);
  });
  if (!written.ok()) {
    log::Error("failed upload confirmation not recorded", {{"request_id", context.request_id},
                                                           {"version_id", version.id},
                                                           {"reason", reason},
                                                           {"error", written.ToString()}});
    return Unavailable("the audit log cannot be written now; try again later");
  }
  return outcome;
}

Result<EvidenceVersion> EvidenceService::CompleteUpload(const RequestContext& context,
                                                        std::string_view evidence_id,
                                                        std::string_view version_id) {
  AuditEntry entry{AuditAction(Action::kCompleteUpload), VersionResource(version_id), ""};
  CUSTODY_ASSIGN_OR_RETURN(
      VersionTarget target,
      LoadPendingVersion(context, entry, evidence_id, version_id, Action::kCompleteUpload,
                         "the version is already stored", /*multipart_only=*/false));
  const EvidenceVersion& version = target.version;
  const aws::AwsConnection& connection = target.connection->connection;

  Result<aws::Credentials> credentials = CredentialsFor(context, connection);
  if (credentials.ok() && version.IsMultipart()) {
    CUSTODY_RETURN_IF_ERROR(AssembleMultipartObject(context, entry, target, *credentials));
  }
  Result<aws::ObjectMetadata> object =
      credentials.ok() ? s3_.HeadObject(connection, *credentials, version.object_key)
                       : Result<aws::ObjectMetadata>(credentials.status());
  if (!object.ok()) {
    const Status& status = object.status();
    if (status.code() == ErrorCode::kNotFound) {
      return RecordUploadFailure(context, entry, version, kReasonObjectMissing,
                                 Conflict("object not found in the bucket; upload the file with "
                                          "the presigned URL first"));
    }
    log::Warn("upload confirmation could not read the object", {{"request_id", context.request_id},
                                                                {"version_id", version.id},
                                                                {"error", status.ToString()}});
    const std::string_view reason = IsUnreachable(status) ? kReasonAwsUnreachable : kReasonAwsError;
    return RecordUploadFailure(context, entry, version, reason,
                               AwsFailure(status, "confirm the upload"));
  }

  const std::optional<UploadMismatch> mismatch =
      version.IsMultipart()
          ? CheckAssembledObject(version, target.parts, *object, connection.kms_key_id,
                                 EtagsArePlaintextMd5(connection))
          : CheckUploadedObject(version, *object, connection.kms_key_id);
  if (mismatch.has_value()) {
    return RecordUploadFailure(context, entry, version, mismatch->reason,
                               Conflict(mismatch->message));
  }

  return AuditedWriteReturning<EvidenceVersion>(
      db_, clock_, context, entry, [&](store::Transaction& tx) -> Result<EvidenceVersion> {
        Result<EvidenceVersion> stored = MarkVersionStored(tx, clock_, version);
        if (stored.status().code() == ErrorCode::kConflict) {
          entry.reason = "already_stored";
        }
        return stored;
      });
}

Status EvidenceService::AssembleMultipartObject(const RequestContext& context, AuditEntry& entry,
                                                const VersionTarget& target,
                                                const aws::Credentials& credentials) {
  const EvidenceVersion& version = target.version;
  const aws::AwsConnection& connection = target.connection->connection;
  const auto s3_failure = [&](const Status& status, std::string_view operation) {
    log::Warn("upload confirmation failed in S3", {{"request_id", context.request_id},
                                                   {"version_id", version.id},
                                                   {"operation", operation},
                                                   {"error", status.ToString()}});
    const std::string_view reason = IsUnreachable(status) ? kReasonAwsUnreachable : kReasonAwsError;
    return RecordUploadFailure(context, entry, version, reason, AwsFailure(status, operation));
  };

  Result<std::vector<aws::UploadedPart>> listed =
      s3_.ListParts(connection, credentials, version.object_key, *version.upload_id);
  if (!listed.ok()) {
    // NoSuchUpload: S3 completed (or aborted) the upload already, so HEAD decides.
    return listed.status().code() == ErrorCode::kNotFound
               ? Status::Ok()
               : s3_failure(listed.status(), "list the uploaded parts");
  }
  const std::optional<UploadMismatch> mismatch =
      CheckListedParts(target.parts, *listed, EtagsArePlaintextMd5(connection));
  if (mismatch.has_value()) {
    return RecordUploadFailure(context, entry, version, mismatch->reason,
                               Conflict(mismatch->message));
  }

  std::map<int, std::string> etags;
  for (const aws::UploadedPart& part : *listed) {
    etags[part.part_number] = part.etag;
  }
  std::vector<aws::CompletedPart> completed;
  completed.reserve(target.parts.size());
  for (const DeclaredPart& part : target.parts) {
    completed.push_back(aws::CompletedPart{part.part_number, etags[part.part_number]});
  }
  const Result<std::string> assembled = s3_.CompleteMultipartUpload(
      connection, credentials, version.object_key, *version.upload_id, completed);
  if (!assembled.ok() && assembled.status().code() != ErrorCode::kNotFound) {
    return s3_failure(assembled.status(), "complete the multipart upload");
  }
  return Status::Ok();
}

Result<aws::PresignedRequest> EvidenceService::RequestDownload(const RequestContext& context,
                                                               std::string_view evidence_id,
                                                               std::string_view version_id) {
  AuditEntry entry{AuditAction(Action::kDownloadVersion), VersionResource(version_id), ""};
  CUSTODY_ASSIGN_OR_RETURN(
      VersionTarget target,
      CheckedReadReturning<VersionTarget>(
          db_, clock_, context, entry, [&](store::Transaction& tx) -> Result<VersionTarget> {
            CUSTODY_ASSIGN_OR_RETURN(
                VersionTarget loaded,
                LoadVersion(tx, context, evidence_id, version_id, Action::kDownloadVersion, entry));
            if (loaded.version.status != VersionStatus::kStored) {
              entry.reason = "not_stored";
              return Conflict(
                  "the version is not stored yet; it can be downloaded once its "
                  "upload is complete");
            }
            if (!loaded.connection.has_value()) {
              return RequireAwsConnection(tx, context.principal.organization_id).status();
            }
            return loaded;
          }));
  const aws::AwsConnection& connection = target.connection->connection;

  Result<aws::Credentials> credentials = CredentialsFor(context, connection);
  if (!credentials.ok()) {
    return RecordAwsFailure(context, entry, credentials.status(), "sign the download");
  }
  aws::GetObjectDownload download;
  download.key = target.version.object_key;
  download.file_name = target.version.file_name;
  download.ttl = options_.download_url_ttl;
  aws::PresignOptions presign_options;
  presign_options.allow_insecure_loopback = options_.allow_insecure_loopback;
  Result<aws::PresignedRequest> url =
      aws::PresignGetObject(connection, *credentials, download, clock_, presign_options);
  if (!url.ok()) {
    return RecordAwsFailure(context, entry, url.status(), "sign the download");
  }

  // The URL is handed out only once its record is written.
  CUSTODY_RETURN_IF_ERROR(RecordAllowed(context, entry));
  return std::move(url).value();
}

}  // namespace custody::evidence
