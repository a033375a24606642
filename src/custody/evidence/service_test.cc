#include "custody/evidence/service.h"

#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "custody/audit/audit_log.h"
#include "custody/authz/test_tree.h"
#include "custody/aws/fake_transport.h"
#include "custody/evidence/aws_connections.h"
#include "custody/evidence/upload_check.h"

namespace custody::evidence {
namespace {

using aws::HttpRequest;
using aws::HttpResponse;
using aws::testing::Respond;

constexpr std::string_view kStsEndpoint = "https://sts.example.test";
constexpr std::string_view kS3Endpoint = "https://s3.example.test";
constexpr std::string_view kKmsKey = "testkey-1";
// SHA-256 and MD5 of "hello".
constexpr std::string_view kSha256Hex =
    "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
constexpr std::string_view kMd5Hex = "5d41402abc4b2a76b9719d911017c592";

DeclaredFile HelloFile() {
  return DeclaredFile{"hello.txt", 5, std::string(kSha256Hex), std::string(kMd5Hex), "text/plain"};
}

// What the fake S3 reports for HEAD: an object as RGW stores a correct upload, unless a test
// changes it.
struct FakeObject {
  int status = 200;
  std::string size = "5";
  std::string etag = "\"" + std::string(kMd5Hex) + "\"";
  std::string sse = "aws:kms";
  std::string kms_key_id = std::string(kKmsKey);
  std::optional<std::string> checksum_sha256;
};

class ServiceTest : public authz::testing::TreeTest {
 protected:
  ServiceTest()
      : transport_([this](const HttpRequest& request) { return Handle(request); }),
        sts_(transport_, ServiceCredentials(), std::string(kStsEndpoint), "us-east-1", clock_),
        cache_(sts_, clock_),
        s3_(transport_, clock_),
        service_(db(), clock_, cache_, s3_, EvidenceOptions{}) {}

  void SetUp() override {
    TreeTest::SetUp();
    aws::AwsConnection settings;
    settings.role_arn = "arn:aws:iam:::role/EvidenceUploader";
    settings.bucket = "evidence";
    settings.region = "us-east-1";
    settings.kms_key_id = std::string(kKmsKey);
    settings.key_prefix = "custody/";
    settings.endpoint = std::string(kS3Endpoint);
    const Result<StoredAwsConnection> stored =
        store::WriteReturning<StoredAwsConnection>(db(), [&](store::Transaction& tx) {
          return PutAwsConnection(tx, clock_, "org_A", settings, false);
        });
    ASSERT_TRUE(stored.ok()) << stored.status().ToString();
    external_id_ = stored->connection.external_id;
  }

  static aws::Credentials ServiceCredentials() {
    aws::Credentials credentials;
    credentials.access_key_id = "AKIDSERVICE";
    credentials.secret_access_key = Secret("service-secret");
    return credentials;
  }

  Result<HttpResponse> Handle(const HttpRequest& request) {
    if (request.url.rfind(kStsEndpoint, 0) == 0) {
      sts_bodies_.push_back(request.body);
      if (sts_down_) {
        return Unavailable("connection refused");
      }
      return Respond(200,
                     "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
                     "<AccessKeyId>ASIATEMPORARY</AccessKeyId>"
                     "<SecretAccessKey>temporary-secret</SecretAccessKey>"
                     "<SessionToken>temporary-token</SessionToken><Expiration>" +
                         FormatRfc3339(clock_.Now() + std::chrono::hours(1)) +
                         "</Expiration></Credentials></AssumeRoleResult>"
                         "</AssumeRoleResponse>");
    }
    if (request.method == "HEAD") {
      ++heads_;
      if (s3_down_) {
        return Unavailable("connection refused");
      }
      HttpResponse response = Respond(object_.status, "");
      if (object_.status == 200) {
        response.headers = {{"Content-Length", object_.size},
                            {"ETag", object_.etag},
                            {"x-amz-server-side-encryption", object_.sse},
                            {"x-amz-server-side-encryption-aws-kms-key-id", object_.kms_key_id}};
        if (object_.checksum_sha256) {
          response.headers.emplace_back("x-amz-checksum-sha256", *object_.checksum_sha256);
        }
      }
      return response;
    }
    return Respond(500, "unexpected request");
  }

  RequestContext As(const std::string& user, const std::string& organization_id = "org_A") {
    return RequestContext{Member(organization_id, user), "req-" + std::to_string(++requests_),
                          "127.0.0.1:40000"};
  }

  EvidenceItem CreateItem(const std::string& entity_id, const std::string& user = "bob") {
    Result<EvidenceItem> item = service_.CreateEvidence(As(user), entity_id, "Review", "");
    EXPECT_TRUE(item.ok()) << item.status().ToString();
    return item.ok() ? *item : EvidenceItem{};
  }

  UploadGrant Upload(const EvidenceItem& item, const std::string& user = "bob") {
    Result<UploadGrant> grant = service_.RequestUpload(As(user), item.id, HelloFile());
    EXPECT_TRUE(grant.ok()) << grant.status().ToString();
    return grant.ok() ? *grant : UploadGrant{};
  }

  // The audit records of one request.
  std::vector<audit::Record> RecordsOf(const RequestContext& context) {
    std::vector<audit::Record> found;
    const Status read = db().Read([&](store::Transaction& tx) -> Status {
      CUSTODY_ASSIGN_OR_RETURN(
          audit::RecordPage page,
          audit::List(tx, context.principal.organization_id, std::nullopt, audit::kMaxPageSize));
      for (const audit::StoredRecord& stored : page.records) {
        if (stored.record.request_id == context.request_id) {
          found.push_back(stored.record);
        }
      }
      return Status::Ok();
    });
    EXPECT_TRUE(read.ok()) << read.ToString();
    return found;
  }

  // The single record of a request, checked for decision and reason.
  void ExpectRecord(const RequestContext& context, std::string_view decision,
                    std::string_view reason) {
    const std::vector<audit::Record> records = RecordsOf(context);
    ASSERT_EQ(records.size(), 1u) << context.request_id;
    EXPECT_EQ(records[0].decision, decision);
    EXPECT_EQ(records[0].reason, reason);
    EXPECT_EQ(records[0].actor, context.principal.user_id);
  }

  EvidenceVersion ReadVersion(const EvidenceItem& item, const std::string& version_id) {
    Result<EvidenceVersion> version = store::ReadReturning<EvidenceVersion>(
        db(), [&](store::Transaction& tx) { return GetVersion(tx, "org_A", item.id, version_id); });
    EXPECT_TRUE(version.ok()) << version.status().ToString();
    return version.ok() ? *version : EvidenceVersion{};
  }

  int64_t CountVersions() {
    Result<int64_t> count =
        store::ReadReturning<int64_t>(db(), [](store::Transaction& tx) -> Result<int64_t> {
          CUSTODY_ASSIGN_OR_RETURN(std::optional<store::Row> row,
                                   tx.QueryOne("SELECT COUNT(*) FROM evidence_versions"));
          return row->Int64(0);
        });
    return count.ok() ? *count : -1;
  }

  aws::testing::FakeTransport transport_;
  aws::StsClient sts_;
  aws::CredentialCache cache_;
  aws::S3Client s3_;
  EvidenceService service_;
  std::string external_id_;
  FakeObject object_;
  bool sts_down_ = false;
  bool s3_down_ = false;
  int heads_ = 0;
  int requests_ = 0;
  std::vector<std::string> sts_bodies_;
};

TEST_F(ServiceTest, ContributorCreatesEvidence) {
  const RequestContext bob = As("bob");
  const Result<EvidenceItem> item = service_.CreateEvidence(bob, e1, "Access review", "Q3");
  ASSERT_TRUE(item.ok()) << item.status().ToString();
  EXPECT_EQ(item->entity_id, e1);
  EXPECT_EQ(item->created_by, "bob");
  ExpectRecord(bob, "allow", "");
  EXPECT_EQ(RecordsOf(bob)[0].resource, "evidence/" + item->id);
  EXPECT_EQ(RecordsOf(bob)[0].action, "evidence.create");
}

TEST_F(ServiceTest, AuditorCannotCreateEvidence) {
  const RequestContext carol = As("carol");
  const Result<EvidenceItem> item = service_.CreateEvidence(carol, e1, "Not allowed", "");
  EXPECT_EQ(item.status().code(), ErrorCode::kPermissionDenied);
  ExpectRecord(carol, "deny", "role_lacks_permission");
  EXPECT_EQ(RecordsOf(carol)[0].resource, "entity/" + e1);
}

TEST_F(ServiceTest, InvalidTitleRecordedAsDenial) {
  const RequestContext bob = As("bob");
  const Result<EvidenceItem> item = service_.CreateEvidence(bob, e1, "", "");
  EXPECT_EQ(item.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(item.status().field(), "/title");
  ExpectRecord(bob, "deny", "invalid_argument");
}

TEST_F(ServiceTest, OutOfScopeLooksLikeMissing) {
  const EvidenceItem item = CreateItem(e1);
  const RequestContext dave = As("dave");
  const Result<EvidenceItemView> hidden = service_.GetEvidence(dave, item.id);
  const RequestContext dave_again = As("dave");
  const Result<EvidenceItemView> missing =
      service_.GetEvidence(dave_again, "evd_AAAAAAAAAAAAAAAAAAAAAA");
  const RequestContext bert = As("bert", "org_B");
  const Result<EvidenceItemView> foreign = service_.GetEvidence(bert, item.id);

  for (const Result<EvidenceItemView>* result : {&hidden, &missing, &foreign}) {
    EXPECT_EQ(result->status().code(), ErrorCode::kNotFound);
    EXPECT_EQ(result->status().message(), authz::NotFoundError().message());
    EXPECT_EQ(result->status().field(), "");
  }
  ExpectRecord(dave, "deny", "out_of_scope");
  ExpectRecord(dave_again, "deny", "not_found");
  ExpectRecord(bert, "deny", "not_found");
}

TEST_F(ServiceTest, AuditorSeesOnlyStoredVersions) {
  const EvidenceItem item = CreateItem(e1);
  const UploadGrant stored = Upload(item);
  ASSERT_TRUE(service_.CompleteUpload(As("bob"), item.id, stored.version.id).ok());
  const UploadGrant pending = Upload(item);

  const Result<VersionPage> contributor =
      service_.ListVersions(As("bob"), item.id, std::nullopt, 50);
  ASSERT_TRUE(contributor.ok()) << contributor.status().ToString();
  ASSERT_EQ(contributor->versions.size(), 2u);
  EXPECT_EQ(contributor->versions[0].id, pending.version.id);

  // carol is an auditor on e1: pending versions are drafts she may not read.
  const Result<VersionPage> auditor = service_.ListVersions(As("carol"), item.id, std::nullopt, 50);
  ASSERT_TRUE(auditor.ok()) << auditor.status().ToString();
  ASSERT_EQ(auditor->versions.size(), 1u);
  EXPECT_EQ(auditor->versions[0].id, stored.version.id);

  const Result<EvidenceItemView> view = service_.GetEvidence(As("carol"), item.id);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  ASSERT_TRUE(view->latest_version.has_value());
  EXPECT_EQ(view->latest_version->id, stored.version.id);
}

TEST_F(ServiceTest, UploadSignedWithAssumedRole) {
  const EvidenceItem item = CreateItem(e1);
  const RequestContext bob = As("bob");
  const Result<UploadGrant> grant = service_.RequestUpload(bob, item.id, HelloFile());
  ASSERT_TRUE(grant.ok()) << grant.status().ToString();

  EXPECT_EQ(grant->version.status, VersionStatus::kPending);
  EXPECT_EQ(grant->version.number, 1);
  EXPECT_EQ(grant->version.object_key,
            "custody/org_A/" + e1 + "/" + item.id + "/" + grant->version.id);
  EXPECT_EQ(grant->upload.method, "PUT");
  EXPECT_EQ(grant->upload.url.rfind(std::string(kS3Endpoint) + "/evidence/custody/org_A/", 0), 0u)
      << grant->upload.url;
  EXPECT_NE(grant->upload.url.find("X-Amz-Security-Token=temporary-token"), std::string::npos);
  EXPECT_NE(grant->upload.url.find("X-Amz-Expires=300"), std::string::npos);
  EXPECT_EQ(grant->upload.expires_at, clock_.Now() + std::chrono::seconds(300));

  ASSERT_EQ(sts_bodies_.size(), 1u);
  EXPECT_NE(sts_bodies_[0].find("ExternalId=" + external_id_), std::string::npos);
  EXPECT_NE(sts_bodies_[0].find("SourceIdentity=bob"), std::string::npos);
  EXPECT_NE(sts_bodies_[0].find("RoleSessionName=custody-org_A"), std::string::npos);

  ExpectRecord(bob, "allow", "");
  EXPECT_EQ(RecordsOf(bob)[0].resource, "evidence_version/" + grant->version.id);
}

TEST_F(ServiceTest, InvalidFileRejectedBeforeAws) {
  const EvidenceItem item = CreateItem(e1);
  const RequestContext bob = As("bob");
  DeclaredFile file = HelloFile();
  file.file_name = "../secrets";
  const Result<UploadGrant> grant = service_.RequestUpload(bob, item.id, file);
  EXPECT_EQ(grant.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(grant.status().field(), "/file_name");
  EXPECT_TRUE(sts_bodies_.empty());
  EXPECT_EQ(CountVersions(), 0);
  ExpectRecord(bob, "deny", "invalid_argument");
}

TEST_F(ServiceTest, UploadWithoutConnectionFailsPrecondition) {
  const RequestContext bert = As("bert", "org_B");
  const Result<EvidenceItem> item = service_.CreateEvidence(bert, s_b, "No bucket yet", "");
  ASSERT_TRUE(item.ok()) << item.status().ToString();
  const RequestContext upload = As("bert", "org_B");
  const Result<UploadGrant> grant = service_.RequestUpload(upload, item->id, HelloFile());
  EXPECT_EQ(grant.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(CountVersions(), 0);
  ExpectRecord(upload, "deny", "failed_precondition");
}

TEST_F(ServiceTest, StsDownCreatesNoVersion) {
  const EvidenceItem item = CreateItem(e1);
  sts_down_ = true;
  const RequestContext bob = As("bob");
  const Result<UploadGrant> grant = service_.RequestUpload(bob, item.id, HelloFile());
  EXPECT_EQ(grant.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(CountVersions(), 0);
  EXPECT_TRUE(RecordsOf(bob).empty());
}

TEST_F(ServiceTest, CompleteComparesObject) {
  struct Case {
    std::string name;
    std::function<void(FakeObject&)> change;
    std::string reason;  // "" when the upload is confirmed
  };

  const std::vector<Case> cases = {
      {"matching object", [](FakeObject&) {}, ""},
      {"key arn for key id",
       [](FakeObject& o) { o.kms_key_id = "arn:aws:kms:us-east-1:123456789012:key/testkey-1"; },
       ""},
      {"wrong size", [](FakeObject& o) { o.size = "6"; }, "size_mismatch"},
      {"AES256", [](FakeObject& o) { o.sse = "AES256"; }, "not_kms_encrypted"},
      {"another key", [](FakeObject& o) { o.kms_key_id = "testkey-2"; }, "kms_key_mismatch"},
      {"checksum mismatch", [](FakeObject& o) { o.checksum_sha256 = "bm90IHRoZSBjaGVja3N1bQ=="; },
       "checksum_mismatch"},
      {"etag mismatch", [](FakeObject& o) { o.etag = "\"00000000000000000000000000000000\""; },
       "checksum_mismatch"},
      {"missing object", [](FakeObject& o) { o.status = 404; }, "object_missing"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const EvidenceItem item = CreateItem(e1);
    const UploadGrant grant = Upload(item);
    object_ = FakeObject{};
    c.change(object_);

    const RequestContext bob = As("bob");
    const Result<EvidenceVersion> completed =
        service_.CompleteUpload(bob, item.id, grant.version.id);
    const EvidenceVersion stored = ReadVersion(item, grant.version.id);
    if (c.reason.empty()) {
      ASSERT_TRUE(completed.ok()) << completed.status().ToString();
      EXPECT_EQ(completed->status, VersionStatus::kStored);
      EXPECT_EQ(stored.status, VersionStatus::kStored);
      EXPECT_EQ(stored.stored_at, clock_.Now());
      ExpectRecord(bob, "allow", "");
      continue;
    }
    EXPECT_EQ(completed.status().code(), ErrorCode::kConflict);
    EXPECT_EQ(stored.status, VersionStatus::kPending);
    EXPECT_EQ(stored.failure_reason, c.reason);
    ExpectRecord(bob, "deny", c.reason);
  }
}

TEST_F(ServiceTest, MissingObjectMessage) {
  const EvidenceItem item = CreateItem(e1);
  const UploadGrant grant = Upload(item);
  object_.status = 404;
  const Result<EvidenceVersion> completed =
      service_.CompleteUpload(As("bob"), item.id, grant.version.id);
  EXPECT_EQ(completed.status().code(), ErrorCode::kConflict);
  EXPECT_NE(completed.status().message().find("object not found in the bucket"), std::string::npos)
      << completed.status().message();
}

TEST_F(ServiceTest, CompleteWithS3DownStaysPending) {
  const EvidenceItem item = CreateItem(e1);
  const UploadGrant grant = Upload(item);
  s3_down_ = true;
  const RequestContext bob = As("bob");
  const Result<EvidenceVersion> completed = service_.CompleteUpload(bob, item.id, grant.version.id);
  EXPECT_EQ(completed.status().code(), ErrorCode::kUnavailable);
  const EvidenceVersion version = ReadVersion(item, grant.version.id);
  EXPECT_EQ(version.status, VersionStatus::kPending);
  EXPECT_EQ(version.failure_reason, "aws_unreachable");
  ExpectRecord(bob, "deny", "aws_unreachable");

  s3_down_ = false;
  EXPECT_TRUE(service_.CompleteUpload(As("bob"), item.id, grant.version.id).ok());
}

TEST_F(ServiceTest, CompleteTwiceConflicts) {
  const EvidenceItem item = CreateItem(e1);
  const UploadGrant grant = Upload(item);
  ASSERT_TRUE(service_.CompleteUpload(As("bob"), item.id, grant.version.id).ok());
  const int heads = heads_;
  const RequestContext again = As("bob");
  const Result<EvidenceVersion> second = service_.CompleteUpload(again, item.id, grant.version.id);
  EXPECT_EQ(second.status().code(), ErrorCode::kConflict);
  EXPECT_NE(second.status().message().find("already stored"), std::string::npos);
  EXPECT_EQ(heads_, heads);
  ExpectRecord(again, "deny", "already_stored");
}

TEST_F(ServiceTest, ViewerCannotComplete) {
  const EvidenceItem item = CreateItem(s2, "alice");
  const UploadGrant grant = Upload(item, "alice");
  // dave is a viewer on s2.
  const Result<EvidenceVersion> completed =
      service_.CompleteUpload(As("dave"), item.id, grant.version.id);
  EXPECT_EQ(completed.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(heads_, 0);
}

TEST_F(ServiceTest, VersionOfOtherItemNotFound) {
  const EvidenceItem first = CreateItem(e1);
  const EvidenceItem second = CreateItem(e1);
  const UploadGrant grant = Upload(first);
  const Result<EvidenceVersion> completed =
      service_.CompleteUpload(As("bob"), second.id, grant.version.id);
  EXPECT_EQ(completed.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(completed.status().message(), authz::NotFoundError().message());
}

TEST_F(ServiceTest, DownloadNeedsStoredVersion) {
  const EvidenceItem item = CreateItem(s2, "alice");
  const UploadGrant grant = Upload(item, "alice");
  const RequestContext alice = As("alice");
  const Result<aws::PresignedRequest> early =
      service_.RequestDownload(alice, item.id, grant.version.id);
  EXPECT_EQ(early.status().code(), ErrorCode::kConflict);
  ExpectRecord(alice, "deny", "not_stored");

  ASSERT_TRUE(service_.CompleteUpload(As("alice"), item.id, grant.version.id).ok());
  const RequestContext download = As("dave");
  const Result<aws::PresignedRequest> url =
      service_.RequestDownload(download, item.id, grant.version.id);
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->method, "GET");
  EXPECT_NE(url->url.find("response-content-disposition=attachment"), std::string::npos)
      << url->url;
  EXPECT_NE(url->url.find("hello.txt"), std::string::npos);
  EXPECT_NE(url->url.find("X-Amz-Expires=60"), std::string::npos);
  ExpectRecord(download, "allow", "");
}

// A viewer cannot see drafts, so a pending version must look exactly like an unknown id, while
// the audit record keeps the true reason.
TEST_F(ServiceTest, PendingVersionHiddenFromViewer) {
  const EvidenceItem item = CreateItem(s2, "alice");
  const UploadGrant grant = Upload(item, "alice");
  const RequestContext dave = As("dave");
  const Result<aws::PresignedRequest> pending =
      service_.RequestDownload(dave, item.id, grant.version.id);
  EXPECT_EQ(pending.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(pending.status().message(), authz::NotFoundError().message());
  EXPECT_EQ(pending.status().field(), authz::NotFoundError().field());
  ExpectRecord(dave, "deny", "draft_hidden");

  const RequestContext dave_again = As("dave");
  const Result<aws::PresignedRequest> unknown =
      service_.RequestDownload(dave_again, item.id, "ver_0000000000000000000000");
  EXPECT_EQ(unknown.status().code(), pending.status().code());
  EXPECT_EQ(unknown.status().message(), pending.status().message());
  ExpectRecord(dave_again, "deny", "not_found");
}

TEST_F(ServiceTest, PendingVersionHiddenFromAuditor) {
  const EvidenceItem item = CreateItem(e1, "alice");
  const UploadGrant grant = Upload(item, "alice");
  const RequestContext carol = As("carol");
  const Result<aws::PresignedRequest> pending =
      service_.RequestDownload(carol, item.id, grant.version.id);
  EXPECT_EQ(pending.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(pending.status().message(), authz::NotFoundError().message());
  ExpectRecord(carol, "deny", "draft_hidden");
}

TEST_F(ServiceTest, RenewUploadUrlForPendingOnly) {
  const EvidenceItem item = CreateItem(e1);
  const UploadGrant grant = Upload(item);
  const Result<UploadGrant> renewed = service_.RenewUploadUrl(As("bob"), item.id, grant.version.id);
  ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
  EXPECT_EQ(renewed->version.id, grant.version.id);
  EXPECT_EQ(renewed->upload.method, "PUT");

  ASSERT_TRUE(service_.CompleteUpload(As("bob"), item.id, grant.version.id).ok());
  const Result<UploadGrant> late = service_.RenewUploadUrl(As("bob"), item.id, grant.version.id);
  EXPECT_EQ(late.status().code(), ErrorCode::kConflict);
}

TEST_F(ServiceTest, AuditLogDownChangesNothing) {
  db().InjectFailureForTesting(store::InjectedFailure::kCommits);
  const Result<EvidenceItem> created = service_.CreateEvidence(As("bob"), e1, "Lost", "");
  EXPECT_EQ(created.status().code(), ErrorCode::kUnavailable);
  // A denial whose record cannot be written fails closed too.
  const Result<EvidenceItem> denied = service_.CreateEvidence(As("carol"), e1, "Denied", "");
  EXPECT_EQ(denied.status().code(), ErrorCode::kUnavailable);
  db().InjectFailureForTesting(store::InjectedFailure::kNone);

  const Result<EvidenceItemViewPage> page = service_.ListEvidence(As("bob"), e1, std::nullopt, 50);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_TRUE(page->items.empty());
}

TEST_F(ServiceTest, DownloadUrlWithheldWhenRecordFails) {
  const EvidenceItem item = CreateItem(e1);
  const UploadGrant grant = Upload(item);
  ASSERT_TRUE(service_.CompleteUpload(As("bob"), item.id, grant.version.id).ok());
  db().InjectFailureForTesting(store::InjectedFailure::kWrites);
  const Result<aws::PresignedRequest> url =
      service_.RequestDownload(As("bob"), item.id, grant.version.id);
  db().InjectFailureForTesting(store::InjectedFailure::kNone);
  EXPECT_EQ(url.status().code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace custody::evidence
