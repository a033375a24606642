// EvidenceService: the evidence operations of the API, each authorized, audited and, for
// uploads and downloads, carried out against the organization's bucket through short-lived
// credentials from AssumeRole. Custody never handles evidence bytes: clients move them to
// and from S3 through the presigned URLs returned here, and Custody reads object metadata only
// (HEAD) to confirm an upload.
//
// Every call follows the audit pattern of audited.h. Errors:
// * kNotFound (authz::NotFoundError()) for an id that does not exist and for one outside the
//   caller's scope alike, and for a pending version when the caller's role cannot read drafts
//   (audit reason kReasonDraftHidden). Inside the scope, a role that is too low is
//   kPermissionDenied;
// * kInvalidArgument for invalid values, with the field named;
// * kConflict for the wrong version state, kFailedPrecondition when the organization has no
//   AWS connection;
// * kUnavailable when the database, the audit log or AWS cannot be reached, kUpstreamFailed
//   when AWS answers with an error.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "custody/aws/credential_cache.h"
#include "custody/aws/presign.h"
#include "custody/aws/s3.h"
#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/evidence/audited.h"
#include "custody/evidence/aws_connections.h"
#include "custody/evidence/items.h"
#include "custody/evidence/reviews.h"
#include "custody/evidence/versions.h"
#include "custody/store/database.h"

namespace custody::evidence {

// Audit reason of a request for a pending version by a role that cannot read drafts.
inline constexpr std::string_view kReasonDraftHidden = "draft_hidden";

struct EvidenceOptions {
  std::chrono::seconds upload_url_ttl{300};   // lifetime of presigned PUT URLs
  std::chrono::seconds download_url_ttl{60};  // lifetime of presigned GET URLs
  // Allows http:// S3 endpoints on loopback addresses (tests against a local store).
  bool allow_insecure_loopback = false;
};

// An item with its newest stored version, as the API shows it.
struct EvidenceItemView {
  EvidenceItem item;
  std::optional<EvidenceVersion> latest_version;
};

struct EvidenceItemViewPage {
  std::vector<EvidenceItemView> items;    // newest first
  std::optional<std::string> next_after;  // as in EvidenceItemPage
};

// A pending version and how to upload its file: the presigned PUT of a single upload. A
// multipart version has no URL here; its part URLs come from PartUrls.
struct UploadGrant {
  EvidenceVersion version;
  std::optional<aws::PresignedRequest> upload;  // unset for a multipart version
};

// The presigned UploadPart of one part.
struct PartUrl {
  int part_number = 0;
  aws::PresignedRequest request;
};

// The parts of a multipart version that S3 has with their declared size.
struct UploadedParts {
  int64_t part_size = 0;
  int64_t part_count = 0;
  std::vector<aws::UploadedPart> uploaded;  // in part-number order
};

// The maximum number of part URLs that one PartUrls call signs.
inline constexpr size_t kMaxPartUrlsPerRequest = 100;

class EvidenceService {
 public:
  // Every reference must outlive the service. The service is safe to use from many threads.
  EvidenceService(store::Database& db, const Clock& clock, aws::CredentialCache& credentials,
                  aws::S3Client& s3, EvidenceOptions options);

  // Creates an item on the entity. Needs kCreateEvidence (contributor).
  Result<EvidenceItem> CreateEvidence(const RequestContext& context, std::string_view entity_id,
                                      std::string_view title, std::string_view description);

  // Lists the entity's items, newest first, after the item `after` (a next_after), and with
  // `search` only those whose title or description contains it (ListEvidenceItems). Needs
  // kReadEvidence (viewer).
  Result<EvidenceItemViewPage> ListEvidence(const RequestContext& context,
                                            std::string_view entity_id,
                                            std::optional<std::string_view> after, int limit,
                                            std::optional<std::string_view> search = std::nullopt);

  // Needs kReadEvidence on the item's entity.
  Result<EvidenceItemView> GetEvidence(const RequestContext& context, std::string_view evidence_id);

  // Lists the item's versions, newest first. Needs kReadEvidence; pending versions are drafts
  // and are listed only for roles with kReadDraftEvidence (contributor and above), so a pending
  // version's id is an invalid cursor for the other roles.
  Result<VersionPage> ListVersions(const RequestContext& context, std::string_view evidence_id,
                                   std::optional<std::string_view> after, int limit);

  // Creates a pending version for `file` and signs its upload. Needs kUploadVersion. The
  // caller's temporary credentials are obtained before the version is inserted, so when AWS
  // cannot be reached the call fails with kUnavailable and creates nothing. For a multipart
  // declaration (part_size and part_md5s) Custody also starts the multipart upload in S3 before
  // inserting the version, and aborts it when the insert fails.
  Result<UploadGrant> RequestUpload(const RequestContext& context, std::string_view evidence_id,
                                    const DeclaredFile& file);

  // Signs a new upload URL for a version that is still pending, e.g. after the first URL
  // expired. A multipart version gets no URL (see PartUrls). Needs kUploadVersion; a stored
  // version is kConflict.
  Result<UploadGrant> RenewUploadUrl(const RequestContext& context, std::string_view evidence_id,
                                     std::string_view version_id);

  // Signs UploadPart URLs for `part_numbers` (1 to kMaxPartUrlsPerRequest distinct numbers,
  // each 1 to the part count) of a pending multipart version. Needs kUploadVersion; a stored
  // version and a single-upload version are kConflict. One audit record per call.
  Result<std::vector<PartUrl>> PartUrls(const RequestContext& context, std::string_view evidence_id,
                                        std::string_view version_id,
                                        const std::vector<int64_t>& part_numbers);

  // Lists the parts of a pending multipart version that S3 has with their declared size (and,
  // where ETags are plaintext MD5s, their declared MD5), so a client uploads only the others.
  // Needs kUploadVersion. An upload that S3 no longer has is kConflict (upload_missing).
  Result<UploadedParts> ListUploadedParts(const RequestContext& context,
                                          std::string_view evidence_id,
                                          std::string_view version_id);

  // Confirms an upload: HEADs the object and checks it with CheckUploadedObject. Success marks
  // the version stored. A mismatch or a missing object is kConflict with the reason, and the
  // version stays pending with failure_reason set; AWS out of reach is kUnavailable with
  // failure_reason "aws_unreachable". Needs kCompleteUpload; a stored version is kConflict.
  // A multipart version is first assembled: ListParts must show every declared part
  // (CheckListedParts), then CompleteMultipartUpload, then HEAD with CheckAssembledObject.
  // When S3 no longer has the upload (NoSuchUpload, as after a crash between S3's completion
  // and the database commit), the HEAD check decides.
  // Approves or rejects a stored version (ValidateReview). Needs kApproveEvidence (manager); a
  // pending version is kConflict, and the user who uploaded the version gets
  // kPermissionDenied (audit reason kReasonOwnUpload). A later review replaces the state.
  Result<VersionReview> ReviewVersion(const RequestContext& context, std::string_view evidence_id,
                                      std::string_view version_id, std::string_view decision,
                                      std::string_view comment);

  Result<EvidenceVersion> CompleteUpload(const RequestContext& context,
                                         std::string_view evidence_id, std::string_view version_id);

  // Signs a GET of a stored version's object, with which S3 returns Content-Disposition:
  // attachment and the declared file name. Needs kDownloadVersion; a pending version is
  // kConflict. The URL is returned only after its audit record has been written.
  Result<aws::PresignedRequest> RequestDownload(const RequestContext& context,
                                                std::string_view evidence_id,
                                                std::string_view version_id);

 private:
  struct VersionTarget;

  Result<aws::Credentials> CredentialsFor(const RequestContext& context,
                                          const aws::AwsConnection& connection);
  Result<aws::PresignedRequest> PresignUpload(const aws::AwsConnection& connection,
                                              const aws::Credentials& credentials,
                                              const EvidenceVersion& version);
  Result<UploadGrant> RequestMultipartUpload(const RequestContext& context, AuditEntry& entry,
                                             std::string_view evidence_id, const DeclaredFile& file,
                                             const EvidenceItem& item,
                                             const StoredAwsConnection& stored,
                                             const aws::Credentials& credentials);
  // Loads a version for `action` that must still be pending (a stored one is kConflict with
  // `stored_message`), and a multipart upload when `multipart_only`. Also loads the
  // organization's connection and, for a multipart version, its declared parts. Denials are
  // recorded.
  Result<VersionTarget> LoadPendingVersion(const RequestContext& context, AuditEntry& entry,
                                           std::string_view evidence_id,
                                           std::string_view version_id, authz::Action action,
                                           std::string_view stored_message, bool multipart_only);
  // Maps a failure of STS, S3 or presigning with AwsFailure. When that is a denial (409 for an
  // AWS connection that cannot be used), also writes its deny record.
  Status RecordAwsFailure(const RequestContext& context, AuditEntry& entry, const Status& status,
                          std::string_view operation);
  // Writes the allow record of `entry`, in a transaction of its own.
  Status RecordAllowed(const RequestContext& context, const AuditEntry& entry);
  // Lists and checks the parts and completes the upload in S3. Returns the failure to report,
  // already recorded, or OK when the object should now exist.
  Status AssembleMultipartObject(const RequestContext& context, AuditEntry& entry,
                                 const VersionTarget& target, const aws::Credentials& credentials);
  // Loads the item and the version and authorizes `action` on the item's entity.
  Result<VersionTarget> LoadVersion(store::Transaction& tx, const RequestContext& context,
                                    std::string_view evidence_id, std::string_view version_id,
                                    authz::Action action, AuditEntry& entry);
  // Records a failed confirmation: the version's failure_reason and a deny record, in one
  // transaction. Returns `failure`, or kUnavailable when nothing could be written.
  Status RecordUploadFailure(const RequestContext& context, AuditEntry& entry,
                             const EvidenceVersion& version, std::string_view reason,
                             const Status& failure);

  store::Database& db_;
  const Clock& clock_;
  aws::CredentialCache& credentials_;
  aws::S3Client& s3_;
  EvidenceOptions options_;
};

}  // namespace custody::evidence
