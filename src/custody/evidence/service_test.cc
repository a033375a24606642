#include "custody/evidence/service.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "custody/audit/audit_log.h"
#include "custody/authz/test_tree.h"
#include "custody/aws/fake_transport.h"
#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"
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
      if (on_assume_role_) {
        on_assume_role_();
        on_assume_role_ = nullptr;
      }
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
    if (request.url.find("?uploads=") != std::string::npos ||
        request.url.find("uploadId=") != std::string::npos) {
      return HandleMultipart(request);
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

  // A fake S3 multipart upload: CreateMultipartUpload, ListParts (one page),
  // CompleteMultipartUpload (which makes `object_` the assembled object) and Abort.
  Result<HttpResponse> HandleMultipart(const HttpRequest& request) {
    multipart_requests_.push_back(request.method + " " + request.url);
    if (s3_down_) {
      return Unavailable("connection refused");
    }
    if (request.method == "POST" && request.url.find("?uploads=") != std::string::npos) {
      if (create_status_ != 200) {
        return Respond(create_status_, "<Error><Code>NoSuchBucket</Code></Error>");
      }
      upload_exists_ = true;
      return Respond(200,
                     "<InitiateMultipartUploadResult><UploadId>up-1</UploadId>"
                     "</InitiateMultipartUploadResult>");
    }
    if (!upload_exists_) {
      return Respond(404, "<Error><Code>NoSuchUpload</Code></Error>");
    }
    if (request.method == "GET") {
      std::string parts;
      for (const auto& [number, part] : parts_) {
        parts += "<Part><PartNumber>" + std::to_string(number) + "</PartNumber><ETag>\"" +
                 part.second + "\"</ETag><Size>" + std::to_string(part.first) + "</Size></Part>";
      }
      return Respond(
          200, "<ListPartsResult><IsTruncated>false</IsTruncated>" + parts + "</ListPartsResult>");
    }
    if (request.method == "POST") {
      ++completes_;
      complete_bodies_.push_back(request.body);
      if (!complete_error_.empty()) {
        return Respond(200, "<Error><Code>" + complete_error_ + "</Code></Error>");
      }
      AssembleObject();
      upload_exists_ = false;
      return Respond(200,
                     "<CompleteMultipartUploadResult><ETag></ETag>"
                     "</CompleteMultipartUploadResult>");
    }
    if (request.method == "DELETE") {
      upload_exists_ = false;
      return Respond(204, "");
    }
    return Respond(500, "unexpected request");
  }

  // Makes `object_` what S3 assembles from `parts_`.
  void AssembleObject() {
    uint64_t size = 0;
    std::vector<std::string> etags;
    for (const auto& [number, part] : parts_) {
      size += part.first;
      etags.push_back(part.second);
    }
    object_.size = std::to_string(size);
    object_.etag = "\"" + MultipartEtag(etags) + "\"";
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
  // The fake multipart upload: part number to (size, ETag).
  bool upload_exists_ = false;
  int create_status_ = 200;               // the HTTP status of CreateMultipartUpload
  std::function<void()> on_assume_role_;  // runs once, inside the next AssumeRole call
  std::map<int, std::pair<uint64_t, std::string>> parts_;
  int completes_ = 0;
  std::string complete_error_;  // an <Error> code that CompleteMultipartUpload returns with 200
  std::vector<std::string> complete_bodies_;
  std::vector<std::string> multipart_requests_;
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
  EXPECT_EQ(grant->upload->method, "PUT");
  EXPECT_EQ(grant->upload->url.rfind(std::string(kS3Endpoint) + "/evidence/custody/org_A/", 0), 0u)
      << grant->upload->url;
  EXPECT_NE(grant->upload->url.find("X-Amz-Security-Token=temporary-token"), std::string::npos);
  EXPECT_NE(grant->upload->url.find("X-Amz-Expires=300"), std::string::npos);
  EXPECT_EQ(grant->upload->expires_at, clock_.Now() + std::chrono::seconds(300));

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
  EXPECT_EQ(renewed->upload->method, "PUT");

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

constexpr int64_t kPartSize = 5 * 1024 * 1024;

std::string Md5HexOf(std::string_view data) {
  const crypto::Md5Digest digest = crypto::Md5(data);
  return crypto::HexEncode(std::span<const uint8_t>(digest));
}

// A file of two parts: 5 MiB and 5 bytes. The part MD5s are those of "part1" and "part2",
// stand-ins for the real bytes, which the service never receives.
DeclaredFile TwoPartFile() {
  DeclaredFile file = HelloFile();
  file.file_name = "large.bin";
  file.size = kPartSize + 5;
  file.part_size = kPartSize;
  file.part_md5s = std::vector<std::string>{Md5HexOf("part1"), Md5HexOf("part2")};
  return file;
}

class MultipartServiceTest : public ServiceTest {
 protected:
  UploadGrant UploadTwoParts(const EvidenceItem& item, const std::string& user = "bob") {
    Result<UploadGrant> grant = service_.RequestUpload(As(user), item.id, TwoPartFile());
    EXPECT_TRUE(grant.ok()) << grant.status().ToString();
    return grant.ok() ? *grant : UploadGrant{};
  }

  // Puts part `number` into the fake upload as S3 would store the declared bytes.
  void PutPart(int number) {
    const DeclaredFile file = TwoPartFile();
    const uint64_t size = number == 1 ? kPartSize : 5;
    parts_[number] = {size, (*file.part_md5s)[static_cast<size_t>(number - 1)]};
  }
};

TEST_F(MultipartServiceTest, RequestStartsUploadInS3) {
  const EvidenceItem item = CreateItem(e1);
  const RequestContext bob = As("bob");
  const Result<UploadGrant> grant = service_.RequestUpload(bob, item.id, TwoPartFile());
  ASSERT_TRUE(grant.ok()) << grant.status().ToString();
  EXPECT_FALSE(grant->upload.has_value());
  EXPECT_TRUE(grant->version.IsMultipart());
  EXPECT_EQ(grant->version.upload_id, "up-1");
  EXPECT_EQ(grant->version.part_size, kPartSize);
  EXPECT_EQ(grant->version.PartCount(), 2);
  EXPECT_EQ(grant->version.status, VersionStatus::kPending);

  ASSERT_EQ(multipart_requests_.size(), 1u);
  EXPECT_EQ(multipart_requests_[0], "POST " + std::string(kS3Endpoint) + "/evidence/" +
                                        grant->version.object_key + "?uploads=");
  const HttpRequest create = transport_.requests().back();
  const auto header = [&](std::string_view name) {
    for (const auto& [key, value] : create.headers) {
      if (key == name) {
        return value;
      }
    }
    return std::string();
  };
  EXPECT_EQ(header("x-amz-server-side-encryption"), "aws:kms");
  EXPECT_EQ(header("x-amz-server-side-encryption-aws-kms-key-id"), kKmsKey);
  EXPECT_EQ(header("Content-Type"), "text/plain");

  const EvidenceVersion read = ReadVersion(item, grant->version.id);
  EXPECT_EQ(read.upload_id, "up-1");
  EXPECT_EQ(read.part_size, kPartSize);
  ExpectRecord(bob, "allow", "");
}

TEST_F(MultipartServiceTest, InvalidDeclarationsRejected) {
  struct Case {
    std::string name;
    std::function<void(DeclaredFile&)> change;
    std::string field;
  };

  const std::vector<Case> cases = {
      {"part_size without part_md5s", [](DeclaredFile& f) { f.part_md5s.reset(); }, "/part_md5s"},
      {"part_md5s without part_size", [](DeclaredFile& f) { f.part_size.reset(); }, "/part_size"},
      {"one md5 too few", [](DeclaredFile& f) { f.part_md5s->pop_back(); }, "/part_md5s"},
      {"one md5 too many", [](DeclaredFile& f) { f.part_md5s->push_back(std::string(32, 'a')); },
       "/part_md5s"},
      {"part_size below 5 MiB", [](DeclaredFile& f) { f.part_size = kPartSize - 1; }, "/part_size"},
      {"part_size above 5 GiB",
       [](DeclaredFile& f) { f.part_size = int64_t{5} * 1024 * 1024 * 1024 + 1; }, "/part_size"},
      {"more than 10000 parts",
       [](DeclaredFile& f) {
         f.size = kPartSize * 10000 + 1;
         f.part_md5s = std::vector<std::string>(10001, std::string(32, 'a'));
       },
       "/part_size"},
      {"uppercase part md5", [](DeclaredFile& f) { (*f.part_md5s)[1] = std::string(32, 'A'); },
       "/part_md5s/1"},
      {"size above 5 TiB",
       [](DeclaredFile& f) { f.size = int64_t{5} * 1024 * 1024 * 1024 * 1024 + 1; }, "/size"},
      {"single upload above 5 GiB",
       [](DeclaredFile& f) {
         f.part_size.reset();
         f.part_md5s.reset();
         f.size = int64_t{5} * 1024 * 1024 * 1024 + 1;
       },
       "/size"},
  };
  const EvidenceItem item = CreateItem(e1);
  for (const Case& c : cases) {
    DeclaredFile file = TwoPartFile();
    c.change(file);
    const RequestContext bob = As("bob");
    const Result<UploadGrant> grant = service_.RequestUpload(bob, item.id, file);
    EXPECT_EQ(grant.status().code(), ErrorCode::kInvalidArgument) << c.name;
    EXPECT_EQ(grant.status().field(), c.field) << c.name << ": " << grant.status().ToString();
    ExpectRecord(bob, "deny", "invalid_argument");
  }
  EXPECT_TRUE(multipart_requests_.empty());
  EXPECT_EQ(CountVersions(), 0);
}

TEST_F(MultipartServiceTest, LargestDeclarationAccepted) {
  // 5 TiB in 10000 parts, the largest multipart declaration.
  DeclaredFile file = TwoPartFile();
  file.size = int64_t{5} * 1024 * 1024 * 1024 * 1024;
  file.part_size = (file.size + 9999) / 10000;
  file.part_md5s = std::vector<std::string>(10000, std::string(32, 'a'));
  EXPECT_TRUE(ValidateDeclaredFile(file).ok()) << ValidateDeclaredFile(file).ToString();
  const EvidenceItem item = CreateItem(e1);
  const Result<UploadGrant> grant = service_.RequestUpload(As("bob"), item.id, file);
  ASSERT_TRUE(grant.ok()) << grant.status().ToString();
  EXPECT_EQ(grant->version.PartCount(), 10000);
  const Result<std::vector<DeclaredPart>> parts = store::ReadReturning<std::vector<DeclaredPart>>(
      db(), [&](store::Transaction& tx) { return GetDeclaredParts(tx, grant->version); });
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 10000u);
  EXPECT_EQ(parts->back().part_number, 10000);
  EXPECT_EQ(parts->back().size, file.size - 9999 * *file.part_size);
}

TEST_F(MultipartServiceTest, S3DownCreatesNothing) {
  const EvidenceItem item = CreateItem(e1);
  s3_down_ = true;
  const RequestContext bob = As("bob");
  const Result<UploadGrant> grant = service_.RequestUpload(bob, item.id, TwoPartFile());
  EXPECT_EQ(grant.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(CountVersions(), 0);
  EXPECT_TRUE(RecordsOf(bob).empty());
}

TEST_F(MultipartServiceTest, MissingBucketIsUpstreamFailure) {
  const EvidenceItem item = CreateItem(e1);
  create_status_ = 404;
  const Result<UploadGrant> grant = service_.RequestUpload(As("bob"), item.id, TwoPartFile());
  EXPECT_EQ(grant.status().code(), ErrorCode::kUpstreamFailed) << grant.status().ToString();
  EXPECT_EQ(CountVersions(), 0);
}

TEST_F(MultipartServiceTest, ConnectionChangeAbortsUpload) {
  const EvidenceItem item = CreateItem(e1);
  // The admin moves the key prefix after the upload was authorized but before S3 starts it,
  // so the object key no longer lies under the connection's prefix.
  on_assume_role_ = [&] {
    aws::AwsConnection settings;
    settings.role_arn = "arn:aws:iam:::role/EvidenceUploader";
    settings.bucket = "evidence";
    settings.region = "us-east-1";
    settings.kms_key_id = std::string(kKmsKey);
    settings.key_prefix = "moved/";
    settings.endpoint = std::string(kS3Endpoint);
    const Status changed = db().Write([&](store::Transaction& tx) {
      return PutAwsConnection(tx, clock_, "org_A", settings, false).status();
    });
    ASSERT_TRUE(changed.ok()) << changed.ToString();
  };
  const RequestContext bob = As("bob");
  const Result<UploadGrant> grant = service_.RequestUpload(bob, item.id, TwoPartFile());
  EXPECT_EQ(grant.status().code(), ErrorCode::kConflict) << grant.status().ToString();
  ExpectRecord(bob, "deny", "connection_changed");
  EXPECT_EQ(CountVersions(), 0);
  ASSERT_EQ(multipart_requests_.size(), 2u);
  EXPECT_NE(multipart_requests_[0].find("/evidence/custody/"), std::string::npos);
  EXPECT_EQ(multipart_requests_[1].rfind("DELETE ", 0), 0u) << multipart_requests_[1];
}

TEST_F(MultipartServiceTest, FailedInsertAbortsUpload) {
  const EvidenceItem item = CreateItem(e1);
  db().InjectFailureForTesting(store::InjectedFailure::kCommits);
  const Result<UploadGrant> grant = service_.RequestUpload(As("bob"), item.id, TwoPartFile());
  db().InjectFailureForTesting(store::InjectedFailure::kNone);
  EXPECT_EQ(grant.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(CountVersions(), 0);
  ASSERT_EQ(multipart_requests_.size(), 2u);
  EXPECT_EQ(multipart_requests_[1].rfind("DELETE ", 0), 0u) << multipart_requests_[1];
  EXPECT_FALSE(upload_exists_);
}

TEST_F(MultipartServiceTest, PartUrlsSignDeclaredParts) {
  const EvidenceItem item = CreateItem(e1);
  const UploadGrant grant = UploadTwoParts(item);
  const RequestContext bob = As("bob");
  const Result<std::vector<PartUrl>> urls =
      service_.PartUrls(bob, item.id, grant.version.id, {2, 1});
  ASSERT_TRUE(urls.ok()) << urls.status().ToString();
  ASSERT_EQ(urls->size(), 2u);
  EXPECT_EQ((*urls)[0].part_number, 2);
  EXPECT_EQ((*urls)[1].part_number, 1);
  const aws::PresignedRequest& second = (*urls)[0].request;
  EXPECT_EQ(second.method, "PUT");
  EXPECT_NE(second.url.find("partNumber=2&uploadId=up-1"), std::string::npos) << second.url;
  const std::vector<std::pair<std::string, std::string>> expected_headers = {
      {"Content-Length", "5"},
      {"Content-MD5", crypto::Base64Encode(*crypto::HexDecode(Md5HexOf("part2")))},
  };
  EXPECT_EQ(second.headers, expected_headers);
  EXPECT_EQ((*urls)[1].request.headers[0].second, std::to_string(kPartSize));
  EXPECT_EQ(second.expires_at, clock_.Now() + std::chrono::seconds(300));
  ExpectRecord(bob, "allow", "");
  EXPECT_EQ(RecordsOf(bob)[0].action, "evidence.version.part_urls");
}

TEST_F(MultipartServiceTest, PartUrlsRejectBadNumbers) {
  const EvidenceItem item = CreateItem(e1);
  const UploadGrant grant = UploadTwoParts(item);

  struct Case {
    std::string name;
    std::vector<int64_t> numbers;
    std::string field;
  };

  const std::vector<Case> cases = {
      {"none", {}, "/part_numbers"},
      {"101 numbers", std::vector<int64_t>(101, 1), "/part_numbers"},
      {"zero", {0}, "/part_numbers/0"},
      {"above part count", {1, 3}, "/part_numbers/1"},
      {"negative", {-1}, "/part_numbers/0"},
      {"repeated", {2, 2}, "/part_numbers/1"},
  };
  for (const Case& c : cases) {
    const RequestContext bob = As("bob");
    const Result<std::vector<PartUrl>> urls =
        service_.PartUrls(bob, item.id, grant.version.id, c.numbers);
    EXPECT_EQ(urls.status().code(), ErrorCode::kInvalidArgument) << c.name;
    EXPECT_EQ(urls.status().field(), c.field) << c.name;
    ExpectRecord(bob, "deny", "invalid_argument");
  }
}

TEST_F(MultipartServiceTest, PartUrlsNeedPendingMultipartVersion) {
  const EvidenceItem item = CreateItem(e1);
  const UploadGrant single = Upload(item);
  const RequestContext bob = As("bob");
  const Result<std::vector<PartUrl>> not_multipart =
      service_.PartUrls(bob, item.id, single.version.id, {1});
  EXPECT_EQ(not_multipart.status().code(), ErrorCode::kConflict);
  EXPECT_NE(not_multipart.status().message().find("not a multipart upload"), std::string::npos);
  ExpectRecord(bob, "deny", "not_multipart");

  const UploadGrant multipart = UploadTwoParts(item);
  PutPart(1);
  PutPart(2);
  ASSERT_TRUE(service_.CompleteUpload(As("bob"), item.id, multipart.version.id).ok());
  const RequestContext again = As("bob");
  const Result<std::vector<PartUrl>> stored =
      service_.PartUrls(again, item.id, multipart.version.id, {1});
  EXPECT_EQ(stored.status().code(), ErrorCode::kConflict);
  ExpectRecord(again, "deny", "already_stored");
}

TEST_F(MultipartServiceTest, PartUrlsDeniedOutsideRole) {
  // dave is a viewer on s2. A viewer may not upload, so PartUrls is denied before the version
  // is read, with the same response for an unknown version id: nothing about the draft leaks.
  const Result<EvidenceItem> item = service_.CreateEvidence(As("alice"), s2, "On s2", "");
  ASSERT_TRUE(item.ok()) << item.status().ToString();
  const UploadGrant grant = UploadTwoParts(*item, "alice");

  const RequestContext viewer = As("dave");
  const Result<std::vector<PartUrl>> pending =
      service_.PartUrls(viewer, item->id, grant.version.id, {1});
  EXPECT_EQ(pending.status().code(), ErrorCode::kPermissionDenied);
  ExpectRecord(viewer, "deny", "role_lacks_permission");
  const Result<std::vector<PartUrl>> unknown =
      service_.PartUrls(As("dave"), item->id, "ver_0000000000000000000000", {1});
  EXPECT_EQ(unknown.status().code(), pending.status().code());
  EXPECT_EQ(unknown.status().message(), pending.status().message());

  const RequestContext outsider = As("bob");
  EXPECT_EQ(service_.PartUrls(outsider, item->id, grant.version.id, {1}).status().code(),
            ErrorCode::kNotFound);
  ExpectRecord(outsider, "deny", "out_of_scope");

  const RequestContext foreign = As("bert", "org_B");
  EXPECT_EQ(service_.PartUrls(foreign, item->id, grant.version.id, {1}).status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(
      service_.ListUploadedParts(As("bert", "org_B"), item->id, grant.version.id).status().code(),
      ErrorCode::kNotFound);
  EXPECT_EQ(
      service_.CompleteUpload(As("bert", "org_B"), item->id, grant.version.id).status().code(),
      ErrorCode::kNotFound);
  ExpectRecord(foreign, "deny", "not_found");
}

TEST_F(MultipartServiceTest, UploadedPartsListsMatchingParts) {
  const EvidenceItem item = CreateItem(e1);
  const UploadGrant grant = UploadTwoParts(item);
  PutPart(1);
  parts_[2] = {4, Md5HexOf("part2")};  // a short part 2
  parts_[3] = {5, Md5HexOf("extra")};  // beyond the declared parts
  const RequestContext bob = As("bob");
  const Result<UploadedParts> parts = service_.ListUploadedParts(bob, item.id, grant.version.id);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  EXPECT_EQ(parts->part_size, kPartSize);
  EXPECT_EQ(parts->part_count, 2);
  ASSERT_EQ(parts->uploaded.size(), 1u);
  EXPECT_EQ(parts->uploaded[0].part_number, 1);
  EXPECT_EQ(parts->uploaded[0].size, static_cast<uint64_t>(kPartSize));
  ExpectRecord(bob, "allow", "");

  parts_[1] = {kPartSize, Md5HexOf("other bytes")};
  const Result<UploadedParts> other =
      service_.ListUploadedParts(As("bob"), item.id, grant.version.id);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_TRUE(other->uploaded.empty());
}

TEST_F(MultipartServiceTest, UploadedPartsOfVanishedUpload) {
  const EvidenceItem item = CreateItem(e1);
  const UploadGrant grant = UploadTwoParts(item);
  upload_exists_ = false;
  const RequestContext bob = As("bob");
  const Result<UploadedParts> parts = service_.ListUploadedParts(bob, item.id, grant.version.id);
  EXPECT_EQ(parts.status().code(), ErrorCode::kConflict);
  ExpectRecord(bob, "deny", "upload_missing");

  s3_down_ = true;
  upload_exists_ = true;
  EXPECT_EQ(service_.ListUploadedParts(As("bob"), item.id, grant.version.id).status().code(),
            ErrorCode::kUnavailable);
}

TEST_F(MultipartServiceTest, CompleteAssemblesAndStores) {
  const EvidenceItem item = CreateItem(e1);
  const UploadGrant grant = UploadTwoParts(item);
  PutPart(2);
  PutPart(1);
  const RequestContext bob = As("bob");
  const Result<EvidenceVersion> stored = service_.CompleteUpload(bob, item.id, grant.version.id);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->status, VersionStatus::kStored);
  EXPECT_EQ(completes_, 1);
  ASSERT_EQ(complete_bodies_.size(), 1u);
  EXPECT_NE(complete_bodies_[0].find("<Part><PartNumber>1</PartNumber><ETag>\"" +
                                     Md5HexOf("part1") + "\"</ETag></Part><Part><PartNumber>2"),
            std::string::npos)
      << complete_bodies_[0];
  ExpectRecord(bob, "allow", "");
}

TEST_F(MultipartServiceTest, CompleteWithMissingPartStaysPending) {
  const EvidenceItem item = CreateItem(e1);
  const UploadGrant grant = UploadTwoParts(item);
  PutPart(1);
  const RequestContext bob = As("bob");
  const Result<EvidenceVersion> early = service_.CompleteUpload(bob, item.id, grant.version.id);
  EXPECT_EQ(early.status().code(), ErrorCode::kConflict);
  EXPECT_NE(early.status().message().find("part 2"), std::string::npos) << early.status().message();
  EXPECT_EQ(completes_, 0);
  ExpectRecord(bob, "deny", std::string(kReasonPartsMissing));
  EXPECT_EQ(ReadVersion(item, grant.version.id).failure_reason, kReasonPartsMissing);

  parts_[2] = {4, Md5HexOf("part2")};
  const Result<EvidenceVersion> short_part =
      service_.CompleteUpload(As("bob"), item.id, grant.version.id);
  EXPECT_EQ(short_part.status().code(), ErrorCode::kConflict);
  EXPECT_NE(short_part.status().message().find("part 2 has 4 bytes"), std::string::npos)
      << short_part.status().message();

  PutPart(2);
  const Result<EvidenceVersion> stored =
      service_.CompleteUpload(As("bob"), item.id, grant.version.id);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->failure_reason, std::nullopt);
}

TEST_F(MultipartServiceTest, CompleteRejectsOtherPartMd5) {
  const EvidenceItem item = CreateItem(e1);
  const UploadGrant grant = UploadTwoParts(item);
  PutPart(1);
  parts_[2] = {5, Md5HexOf("other")};
  const RequestContext bob = As("bob");
  const Result<EvidenceVersion> result = service_.CompleteUpload(bob, item.id, grant.version.id);
  EXPECT_EQ(result.status().code(), ErrorCode::kConflict);
  ExpectRecord(bob, "deny", std::string(kReasonChecksumMismatch));
  EXPECT_EQ(completes_, 0);
}

TEST_F(MultipartServiceTest, CompleteChecksAssembledEtag) {
  const EvidenceItem item = CreateItem(e1);

  struct Case {
    std::string name;
    std::string etag;
  };

  const std::vector<Case> cases = {
      {"other part md5s", MultipartEtag({Md5HexOf("a"), Md5HexOf("b")})},
      {"other part count",
       MultipartEtag({Md5HexOf("part1"), Md5HexOf("part2")}).substr(0, 32) + "-3"},
      {"single-upload etag", Md5HexOf("whole file")},
  };
  for (const Case& c : cases) {
    const UploadGrant grant = UploadTwoParts(item);
    PutPart(1);
    PutPart(2);
    upload_exists_ = false;  // S3 completed it already: only HEAD decides
    AssembleObject();
    object_.etag = "\"" + c.etag + "\"";
    const RequestContext bob = As("bob");
    const Result<EvidenceVersion> result = service_.CompleteUpload(bob, item.id, grant.version.id);
    EXPECT_EQ(result.status().code(), ErrorCode::kConflict) << c.name;
    ExpectRecord(bob, "deny", std::string(kReasonChecksumMismatch));
  }
}

TEST_F(MultipartServiceTest, CompleteHealsAfterCrash) {
  const EvidenceItem item = CreateItem(e1);
  const UploadGrant grant = UploadTwoParts(item);
  PutPart(1);
  PutPart(2);
  // S3 completes the upload, but the database commit of the stored state fails.
  db().InjectFailureForTesting(store::InjectedFailure::kCommits);
  const Result<EvidenceVersion> crashed =
      service_.CompleteUpload(As("bob"), item.id, grant.version.id);
  db().InjectFailureForTesting(store::InjectedFailure::kNone);
  EXPECT_EQ(crashed.status().code(), ErrorCode::kUnavailable);
  EXPECT_FALSE(upload_exists_);
  EXPECT_EQ(ReadVersion(item, grant.version.id).status, VersionStatus::kPending);

  // ListParts now returns NoSuchUpload, so the HEAD check decides.
  const RequestContext bob = As("bob");
  const Result<EvidenceVersion> healed = service_.CompleteUpload(bob, item.id, grant.version.id);
  ASSERT_TRUE(healed.ok()) << healed.status().ToString();
  EXPECT_EQ(healed->status, VersionStatus::kStored);
  EXPECT_EQ(completes_, 1);
  ExpectRecord(bob, "allow", "");
}

TEST_F(MultipartServiceTest, CompleteErrorIn200StaysPending) {
  const EvidenceItem item = CreateItem(e1);
  const UploadGrant grant = UploadTwoParts(item);
  PutPart(1);
  PutPart(2);
  complete_error_ = "InternalError";
  const RequestContext bob = As("bob");
  const Result<EvidenceVersion> result = service_.CompleteUpload(bob, item.id, grant.version.id);
  EXPECT_EQ(result.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(ReadVersion(item, grant.version.id).failure_reason, kReasonAwsUnreachable);
  EXPECT_EQ(heads_, 0);

  complete_error_ = "InvalidPart";
  EXPECT_EQ(service_.CompleteUpload(As("bob"), item.id, grant.version.id).status().code(),
            ErrorCode::kUpstreamFailed);
  EXPECT_EQ(ReadVersion(item, grant.version.id).failure_reason, kReasonAwsError);
}

TEST_F(MultipartServiceTest, RenewReportsMultipartMethod) {
  const EvidenceItem item = CreateItem(e1);
  const UploadGrant grant = UploadTwoParts(item);
  const RequestContext bob = As("bob");
  const Result<UploadGrant> renewed = service_.RenewUploadUrl(bob, item.id, grant.version.id);
  ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
  EXPECT_FALSE(renewed->upload.has_value());
  EXPECT_EQ(renewed->version.PartCount(), 2);
  ExpectRecord(bob, "allow", "");
}

TEST_F(MultipartServiceTest, PartsCannotChange) {
  const EvidenceItem item = CreateItem(e1);
  const UploadGrant grant = UploadTwoParts(item);
  const std::vector<std::string> statements = {
      "UPDATE evidence_version_parts SET md5 = '" + std::string(32, 'b') + "'",
      "DELETE FROM evidence_version_parts",
      "UPDATE evidence_versions SET upload_id = 'other'",
      "UPDATE evidence_versions SET part_size = 6291456",
  };
  for (const std::string& sql : statements) {
    const Status changed =
        db().Write([&](store::Transaction& tx) -> Status { return tx.Execute(sql).status(); });
    EXPECT_FALSE(changed.ok()) << sql;
  }
  const EvidenceVersion read = ReadVersion(item, grant.version.id);
  EXPECT_EQ(read.upload_id, "up-1");
  EXPECT_EQ(read.part_size, kPartSize);
}

TEST_F(MultipartServiceTest, UnusableConnectionDenialsRecorded) {
  const EvidenceItem item = CreateItem(e1);
  const UploadGrant grant = UploadTwoParts(item);
  // A plain-http loopback endpoint, saved while the server allowed one. This service does not
  // allow it, so every S3 call and every presign fails with kFailedPrecondition (409).
  aws::AwsConnection settings;
  settings.role_arn = "arn:aws:iam:::role/EvidenceUploader";
  settings.bucket = "evidence";
  settings.region = "us-east-1";
  settings.kms_key_id = std::string(kKmsKey);
  settings.key_prefix = "custody/";
  settings.endpoint = "http://127.0.0.1:7480";
  ASSERT_TRUE(db().Write([&](store::Transaction& tx) {
                    return PutAwsConnection(tx, clock_, "org_A", settings, true).status();
                  })
                  .ok());
  const int64_t versions = CountVersions();

  const RequestContext part_urls = As("bob");
  EXPECT_EQ(service_.PartUrls(part_urls, item.id, grant.version.id, {1}).status().code(),
            ErrorCode::kFailedPrecondition);
  ExpectRecord(part_urls, "deny", "failed_precondition");

  const RequestContext parts = As("bob");
  EXPECT_EQ(service_.ListUploadedParts(parts, item.id, grant.version.id).status().code(),
            ErrorCode::kFailedPrecondition);
  ExpectRecord(parts, "deny", "failed_precondition");

  const RequestContext create = As("bob");
  EXPECT_EQ(service_.RequestUpload(create, item.id, TwoPartFile()).status().code(),
            ErrorCode::kFailedPrecondition);
  ExpectRecord(create, "deny", "failed_precondition");
  EXPECT_EQ(CountVersions(), versions);
}

TEST_F(MultipartServiceTest, PartsCannotBeAdded) {
  const EvidenceItem item = CreateItem(e1);
  const UploadGrant multipart = UploadTwoParts(item);
  const Result<UploadGrant> single = service_.RequestUpload(As("bob"), item.id, HelloFile());
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  const std::string md5 = "'" + std::string(32, 'c') + "'";
  const auto insert = [&](const std::string& version_id, int part_number, int64_t size) {
    return "INSERT INTO evidence_version_parts (version_id, part_number, size, md5) VALUES ('" +
           version_id + "', " + std::to_string(part_number) + ", " + std::to_string(size) + ", " +
           md5 + ")";
  };
  const std::vector<std::string> statements = {
      // A third part of the two-part version, which would change its part count.
      insert(multipart.version.id, 3, 5),
      insert(multipart.version.id, 3, kPartSize),
      // A part of a single-PUT version.
      insert(single->version.id, 1, 5),
  };
  for (const std::string& sql : statements) {
    const Status added =
        db().Write([&](store::Transaction& tx) -> Status { return tx.Execute(sql).status(); });
    EXPECT_FALSE(added.ok()) << sql;
  }
  const Result<std::vector<DeclaredPart>> parts = store::ReadReturning<std::vector<DeclaredPart>>(
      db(), [&](store::Transaction& tx) { return GetDeclaredParts(tx, multipart.version); });
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  EXPECT_EQ(parts->size(), 2u);
}

class ReviewTest : public ServiceTest {
 protected:
  // A version of an item on e1, uploaded by `user` and stored.
  std::pair<EvidenceItem, EvidenceVersion> StoredVersion(const std::string& user) {
    const EvidenceItem item = CreateItem(e1, user);
    const UploadGrant grant = Upload(item, user);
    EXPECT_TRUE(service_.CompleteUpload(As(user), item.id, grant.version.id).ok());
    return {item, grant.version};
  }

  std::map<std::string, VersionReview> Latest(const std::string& version_id) {
    Result<std::map<std::string, VersionReview>> latest =
        store::ReadReturning<std::map<std::string, VersionReview>>(
            db(), [&](store::Transaction& tx) { return LatestReviews(tx, "org_A", {version_id}); });
    EXPECT_TRUE(latest.ok()) << latest.status().ToString();
    return latest.ok() ? *latest : std::map<std::string, VersionReview>{};
  }
};

TEST_F(ReviewTest, ManagerReviewsAnotherUsersUpload) {
  const auto [item, version] = StoredVersion("bob");
  EXPECT_TRUE(Latest(version.id).empty());

  const RequestContext alice = As("alice");
  const Result<VersionReview> approved =
      service_.ReviewVersion(alice, item.id, version.id, kDecisionApproved, "");
  ASSERT_TRUE(approved.ok()) << approved.status().ToString();
  ExpectRecord(alice, "allow", "");
  EXPECT_EQ(RecordsOf(alice)[0].action, "evidence.approve");
  EXPECT_EQ(RecordsOf(alice)[0].resource, "evidence_version/" + version.id);

  // A later review is the version's state; the first one stays.
  ASSERT_TRUE(service_
                  .ReviewVersion(As("alice"), item.id, version.id, kDecisionRejected,
                                 "The export misses the\nQ3 accounts.")
                  .ok());
  const std::map<std::string, VersionReview> latest = Latest(version.id);
  ASSERT_EQ(latest.count(version.id), 1u);
  EXPECT_EQ(latest.at(version.id).decision, kDecisionRejected);
  EXPECT_EQ(latest.at(version.id).reviewer, "alice");
  EXPECT_EQ(latest.at(version.id).comment, "The export misses the\nQ3 accounts.");
}

TEST_F(ReviewTest, OwnUploadAndLowerRolesAreDenied) {
  const auto [own_item, own_version] = StoredVersion("alice");
  const RequestContext alice = As("alice");
  EXPECT_EQ(service_.ReviewVersion(alice, own_item.id, own_version.id, kDecisionApproved, "")
                .status()
                .code(),
            ErrorCode::kPermissionDenied);
  ExpectRecord(alice, "deny", kReasonOwnUpload);

  const auto [item, version] = StoredVersion("bob");
  for (const char* user : {"bob", "carol"}) {  // contributor, auditor
    const RequestContext context = As(user);
    EXPECT_EQ(
        service_.ReviewVersion(context, item.id, version.id, kDecisionApproved, "").status().code(),
        ErrorCode::kPermissionDenied)
        << user;
    ExpectRecord(context, "deny", "role_lacks_permission");
  }
  const RequestContext bert = As("bert", "org_B");
  EXPECT_EQ(
      service_.ReviewVersion(bert, item.id, version.id, kDecisionApproved, "").status().code(),
      ErrorCode::kNotFound);
  EXPECT_TRUE(Latest(version.id).empty());
}

TEST_F(ReviewTest, PendingVersionsAndBadInputAreRejected) {
  const EvidenceItem item = CreateItem(e1);
  const UploadGrant pending = Upload(item);
  const RequestContext alice = As("alice");
  EXPECT_EQ(service_.ReviewVersion(alice, item.id, pending.version.id, kDecisionApproved, "")
                .status()
                .code(),
            ErrorCode::kConflict);
  ExpectRecord(alice, "deny", "conflict");

  const auto [stored_item, stored] = StoredVersion("bob");
  const Result<VersionReview> unknown =
      service_.ReviewVersion(As("alice"), stored_item.id, stored.id, "maybe", "");
  EXPECT_EQ(unknown.status().field(), "/decision");
  const Result<VersionReview> hidden =
      service_.ReviewVersion(As("alice"), stored_item.id, stored.id, kDecisionApproved, "a\u202Eb");
  EXPECT_EQ(hidden.status().field(), "/comment");
  EXPECT_TRUE(Latest(stored.id).empty());
}

TEST_F(ReviewTest, DatabaseRefusesChangesAndReviewsOfPendingVersions) {
  const auto [item, version] = StoredVersion("bob");
  ASSERT_TRUE(service_.ReviewVersion(As("alice"), item.id, version.id, kDecisionApproved, "").ok());
  const EvidenceItem other = CreateItem(e1);
  const UploadGrant pending = Upload(other);
  for (const std::string& sql :
       {std::string("UPDATE evidence_reviews SET decision = 'rejected'"),
        std::string("DELETE FROM evidence_reviews"),
        "INSERT INTO evidence_reviews (id, organization_id, evidence_id, version_id, decision, "
        "comment, reviewer, created_at) VALUES ('rev_x', 'org_A', '" +
            other.id + "', '" + pending.version.id + "', 'approved', '', 'alice', 0)"}) {
    const Status status =
        db().Write([&](store::Transaction& tx) { return tx.Execute(sql).status(); });
    EXPECT_FALSE(status.ok()) << sql;
  }
  EXPECT_EQ(Latest(version.id).at(version.id).decision, kDecisionApproved);
}

}  // namespace
}  // namespace custody::evidence
