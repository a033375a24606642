// The WORM export and its reconciler against a real S3 with Object Lock (Ceph RGW started by
// tests/support/rgw.sh). Checks that RGW enforces the lock on what the exporter writes, and
// that the reconciler notices what the lock cannot prevent. Skipped unless S3_ENDPOINT is
// set; run with:
//   tests/support/rgw.sh start /tmp/rgw && eval "$(tests/support/rgw.sh env /tmp/rgw)"
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "custody/audit/audit_log.h"
#include "custody/audit/checkpoint_signer.h"
#include "custody/audit/reconcile.h"
#include "custody/audit/worm_export.h"
#include "custody/aws/http_transport.h"
#include "custody/aws/s3.h"
#include "custody/crypto/ed25519.h"
#include "custody/crypto/random.h"
#include "custody/store/testing.h"

namespace custody::audit {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string LowercaseSuffix() {
  std::string suffix = crypto::RandomAlphanumeric(12);
  std::transform(suffix.begin(), suffix.end(), suffix.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return suffix;
}

aws::S3Options LoopbackS3() {
  aws::S3Options options;
  options.allow_insecure_loopback = true;
  return options;
}

aws::PutObjectOptions PlainPut() {
  aws::PutObjectOptions options;
  options.sse_kms = false;
  return options;
}

class WormRgwTest : public testing::Test {
 protected:
  void SetUp() override {
    if (Env("S3_ENDPOINT").empty()) {
      GTEST_SKIP() << "S3_ENDPOINT is not set; start tests/support/rgw.sh to run these tests";
    }
    transport_ = aws::MakeBeastTransport();
    s3_.emplace(*transport_, SystemClock::Instance(), LoopbackS3());
    target_.bucket.bucket = "custody-worm-" + LowercaseSuffix();
    target_.bucket.region =
        Env("AWS_DEFAULT_REGION").empty() ? "us-east-1" : Env("AWS_DEFAULT_REGION");
    target_.bucket.endpoint = Env("S3_ENDPOINT");
    target_.bucket.key_prefix = "custody/";
    target_.credentials.access_key_id = Env("AWS_ACCESS_KEY_ID");
    target_.credentials.secret_access_key = Secret(Env("AWS_SECRET_ACCESS_KEY"));

    Result<NoteSigner> key =
        NoteSigner::Create(SigningKeyName("custody.test"), crypto::Ed25519PrivateKey::Generate());
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    Result<CheckpointSigner> signer = CheckpointSigner::Create("custody.test", {*key});
    ASSERT_TRUE(signer.ok()) << signer.status().ToString();
    signer_.emplace(std::move(*signer));
  }

  // Creates the bucket, appends `count` records to org_1, signs them and exports them.
  void ExportRecords(bool object_lock, int count) {
    const Status created = s3_->CreateBucket(target_.bucket, target_.credentials, object_lock);
    ASSERT_TRUE(created.ok()) << created.ToString();
    const Status appended = database_.db().Write([&](store::Transaction& tx) -> Status {
      for (int i = 0; i < count; ++i) {
        Record record;
        record.organization_id = "org_1";
        record.actor = "usr_1";
        record.action = i % 2 == 0 ? "evidence.version.create" : "role_assignment.create";
        record.decision = std::string(kDecisionAllow);
        record.request_id = "req_" + std::to_string(i);
        record.source = "127.0.0.1";
        record.time = SystemClock::Instance().Now();
        CUSTODY_RETURN_IF_ERROR(Append(tx, record).status());
      }
      return signer_->SignLatest(tx, "org_1", SystemClock::Instance().Now()).status();
    });
    ASSERT_TRUE(appended.ok()) << appended.ToString();
    WormExporter exporter(database_.db(), *s3_, SystemClock::Instance(), target_, metrics_);
    Result<WormExportSummary> summary = exporter.ExportPending();
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    ASSERT_EQ(summary->objects, 2u);
  }

  std::vector<WormObject> Rows() {
    std::vector<WormObject> rows;
    const Status status = database_.db().Read([&](store::Transaction& tx) -> Status {
      CUSTODY_ASSIGN_OR_RETURN(rows, ListWormObjects(tx, nullptr, 100));
      return Status::Ok();
    });
    EXPECT_TRUE(status.ok()) << status.ToString();
    return rows;
  }

  Result<ReconcileSummary> Reconcile() {
    WormReconciler reconciler(database_.db(), *s3_, SystemClock::Instance(), target_, metrics_);
    return reconciler.ReconcileAll();
  }

  std::unique_ptr<aws::HttpTransport> transport_;
  std::optional<aws::S3Client> s3_;
  store::TempDatabase database_;
  WormTarget target_;
  WormMetrics metrics_;
  std::optional<CheckpointSigner> signer_;
};

TEST_F(WormRgwTest, LockedVersionsCannotBeDeletedOrShortened) {
  ExportRecords(/*object_lock=*/true, 4);
  const std::vector<WormObject> rows = Rows();
  ASSERT_EQ(rows.size(), 2u);
  for (const WormObject& row : rows) {
    ASSERT_TRUE(row.version_id.has_value()) << row.object_key;

    Result<aws::GetObjectResult> read =
        s3_->GetObject(target_.bucket, target_.credentials, row.object_key, row.version_id);
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    EXPECT_EQ(read->object_lock_mode, "COMPLIANCE") << row.object_key;

    const Status deleted =
        s3_->DeleteObject(target_.bucket, target_.credentials, row.object_key, row.version_id);
    EXPECT_FALSE(deleted.ok()) << row.object_key << " was deleted despite its lock";

    const Status shortened = s3_->PutObjectRetention(
        target_.bucket, target_.credentials, row.object_key, *row.version_id, "COMPLIANCE",
        SystemClock::Instance().Now() + std::chrono::hours(24));
    EXPECT_FALSE(shortened.ok()) << row.object_key << " retention was shortened";

    const Status governance =
        s3_->PutObjectRetention(target_.bucket, target_.credentials, row.object_key,
                                *row.version_id, "GOVERNANCE", row.retain_until);
    EXPECT_FALSE(governance.ok()) << row.object_key << " left COMPLIANCE mode";
  }

  Result<ReconcileSummary> summary = Reconcile();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->checked, 2u);
  EXPECT_TRUE(summary->problems.empty());
}

TEST_F(WormRgwTest, OverwriteAndDeleteMarkerLeaveRecordedVersion) {
  ExportRecords(/*object_lock=*/true, 3);
  for (const WormObject& row : Rows()) {
    Result<aws::PutObjectResult> overwritten =
        s3_->PutObject(target_.bucket, target_.credentials, row.object_key, "forged\n", PlainPut());
    ASSERT_TRUE(overwritten.ok()) << overwritten.status().ToString();
    EXPECT_NE(overwritten->version_id, row.version_id);

    Result<aws::GetObjectResult> latest =
        s3_->GetObject(target_.bucket, target_.credentials, row.object_key);
    ASSERT_TRUE(latest.ok()) << latest.status().ToString();
    EXPECT_EQ(latest->body, "forged\n");
  }
  Result<ReconcileSummary> after_overwrite = Reconcile();
  ASSERT_TRUE(after_overwrite.ok()) << after_overwrite.status().ToString();
  EXPECT_TRUE(after_overwrite->problems.empty());

  for (const WormObject& row : Rows()) {
    const Status marker = s3_->DeleteObject(target_.bucket, target_.credentials, row.object_key);
    ASSERT_TRUE(marker.ok()) << marker.ToString();
    EXPECT_EQ(s3_->GetObject(target_.bucket, target_.credentials, row.object_key).status().code(),
              ErrorCode::kNotFound);
  }
  Result<ReconcileSummary> after_marker = Reconcile();
  ASSERT_TRUE(after_marker.ok()) << after_marker.status().ToString();
  EXPECT_TRUE(after_marker->problems.empty());
}

TEST_F(WormRgwTest, ReconcilerNoticesChangesWithoutLock) {
  // A bucket without Object Lock or versioning, as a misconfigured deployment would have.
  target_.bucket.bucket = "custody-worm-plain-" + LowercaseSuffix();
  target_.object_lock_mode.clear();
  ExportRecords(/*object_lock=*/false, 3);
  const std::vector<WormObject> rows = Rows();
  ASSERT_EQ(rows.size(), 2u);
  const WormObject& checkpoint = rows[0];
  const WormObject& records = rows[1];
  ASSERT_EQ(checkpoint.kind, "checkpoint");

  Result<aws::PutObjectResult> overwritten = s3_->PutObject(
      target_.bucket, target_.credentials, records.object_key, "forged\n", PlainPut());
  ASSERT_TRUE(overwritten.ok()) << overwritten.status().ToString();
  const Status deleted =
      s3_->DeleteObject(target_.bucket, target_.credentials, checkpoint.object_key);
  ASSERT_TRUE(deleted.ok()) << deleted.ToString();

  Result<ReconcileSummary> summary = Reconcile();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_EQ(summary->problems.size(), 2u);
  EXPECT_EQ(summary->problems[0].object.kind, "checkpoint");
  EXPECT_EQ(summary->problems[0].finding, WormFinding::kMissing);
  EXPECT_EQ(summary->problems[1].object.kind, "records");
  EXPECT_EQ(summary->problems[1].finding, WormFinding::kAltered);
  EXPECT_EQ(metrics_.mismatches.load(), 2u);
}

}  // namespace
}  // namespace custody::audit
