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
#include "custody/evidence/items.h"
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

// A pending version and the presigned PUT that uploads its file.
struct UploadGrant {
  EvidenceVersion version;
  aws::PresignedRequest upload;
};

class EvidenceService {
 public:
  // Every reference must outlive the service. The service is safe to use from many threads.
  EvidenceService(store::Database& db, const Clock& clock, aws::CredentialCache& credentials,
                  aws::S3Client& s3, EvidenceOptions options);

  // Creates an item on the entity. Needs kCreateEvidence (contributor).
  Result<EvidenceItem> CreateEvidence(const RequestContext& context, std::string_view entity_id,
                                      std::string_view title, std::string_view description);

  // Lists the entity's items, newest first, after the item `after` (a next_after). Needs
  // kReadEvidence (viewer).
  Result<EvidenceItemViewPage> ListEvidence(const RequestContext& context,
                                            std::string_view entity_id,
                                            std::optional<std::string_view> after, int limit);

  // Needs kReadEvidence on the item's entity.
  Result<EvidenceItemView> GetEvidence(const RequestContext& context, std::string_view evidence_id);

  // Lists the item's versions, newest first. Needs kReadEvidence; pending versions are drafts
  // and are listed only for roles with kReadDraftEvidence (contributor and above), so a pending
  // version's id is an invalid cursor for the other roles.
  Result<VersionPage> ListVersions(const RequestContext& context, std::string_view evidence_id,
                                   std::optional<std::string_view> after, int limit);

  // Creates a pending version for `file` and signs its upload. Needs kUploadVersion. The
  // caller's temporary credentials are obtained before the version is inserted, so when AWS
  // cannot be reached the call fails with kUnavailable and creates nothing.
  Result<UploadGrant> RequestUpload(const RequestContext& context, std::string_view evidence_id,
                                    const DeclaredFile& file);

  // Signs a new upload URL for a version that is still pending, e.g. after the first URL
  // expired. Needs kUploadVersion; a stored version is kConflict.
  Result<UploadGrant> RenewUploadUrl(const RequestContext& context, std::string_view evidence_id,
                                     std::string_view version_id);

  // Confirms an upload: HEADs the object and checks it with CheckUploadedObject. Success marks
  // the version stored. A mismatch or a missing object is kConflict with the reason, and the
  // version stays pending with failure_reason set; AWS out of reach is kUnavailable with
  // failure_reason "aws_unreachable". Needs kCompleteUpload; a stored version is kConflict.
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
