#include "custody/audit/maintenance.h"

#include <thread>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "custody/audit/audit_log.h"
#include "custody/store/testing.h"

namespace custody::audit {
namespace {

constexpr int64_t kStartMicros = int64_t{1'700'000'000} * 1'000'000;

class MaintenanceTest : public ::testing::Test {
 protected:
  MaintenanceTest() : clock_(store::FromUnixMicros(kStartMicros)) {
    Result<NoteSigner> key =
        NoteSigner::Create("h.example/audit", crypto::Ed25519PrivateKey::Generate());
    EXPECT_TRUE(key.ok());
    Result<CheckpointSigner> signer = CheckpointSigner::Create("h.example", {*key});
    EXPECT_TRUE(signer.ok());
    signer_.emplace(std::move(signer).value());
    options_.checkpoint_every_records = 5;
    options_.checkpoint_interval = std::chrono::seconds(60);
  }

  store::Database& db() { return temp_.db(); }

  void AppendRecords(const std::string& organization_id, int count) {
    for (int i = 0; i < count; ++i) {
      Record record;
      record.organization_id = organization_id;
      record.actor = "usr_1";
      record.action = "user.create";
      record.decision = std::string(kDecisionAllow);
      record.time = clock_.Now();
      ASSERT_TRUE(
          db().Write([&](store::Transaction& tx) { return Append(tx, record).status(); }).ok());
    }
  }

  int SignDue() {
    Result<int> signed_count = SignDueCheckpoints(db(), *signer_, clock_, options_);
    EXPECT_TRUE(signed_count.ok()) << signed_count.status().ToString();
    return signed_count.ok() ? *signed_count : -1;
  }

  store::TempDatabase temp_;
  FixedClock clock_;
  std::optional<CheckpointSigner> signer_;
  MaintenanceOptions options_;
};

TEST_F(MaintenanceTest, SignsByRecordCountAndByAge) {
  EXPECT_EQ(SignDue(), 0);  // no logs yet

  AppendRecords("org_a", 1);
  EXPECT_EQ(SignDue(), 1);  // a log without a checkpoint is due at once
  EXPECT_EQ(SignDue(), 0);

  AppendRecords("org_a", 4);
  EXPECT_EQ(SignDue(), 0);  // grew by 4 of 5, and the last checkpoint is fresh
  AppendRecords("org_a", 1);
  EXPECT_EQ(SignDue(), 1);  // grew by 5

  AppendRecords("org_a", 1);
  clock_.Advance(std::chrono::seconds(59));
  EXPECT_EQ(SignDue(), 0);
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(SignDue(), 1);  // grew, and the last checkpoint is 60 s old

  clock_.Advance(std::chrono::seconds(3600));
  EXPECT_EQ(SignDue(), 0);  // old, but the log has not grown
}

TEST_F(MaintenanceTest, OneDamagedLogDoesNotStopOthers) {
  AppendRecords("org_a", 2);
  AppendRecords("org_b", 2);
  // Damage org_a's head the way an edit of the file would, past the triggers.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(temp_.path().c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "DROP TRIGGER audit_heads_grow_by_one; UPDATE audit_heads SET "
                         "compact_range = randomblob(32) WHERE organization_id = 'org_a'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);

  Result<int> signed_count = SignDueCheckpoints(db(), *signer_, clock_, options_);
  EXPECT_EQ(signed_count.status().code(), ErrorCode::kInternal);
  EXPECT_NE(signed_count.status().message().find("org_a"), std::string::npos)
      << signed_count.status().ToString();
  for (const std::string organization : {"org_a", "org_b"}) {
    Result<std::optional<StoredCheckpoint>> latest =
        store::ReadReturning<std::optional<StoredCheckpoint>>(
            db(), [&](store::Transaction& tx) { return LatestCheckpoint(tx, organization); });
    ASSERT_TRUE(latest.ok());
    EXPECT_EQ(latest->has_value(), organization == "org_b") << organization;
  }
}

TEST_F(MaintenanceTest, ThreadSignsAndStops) {
  options_.poll_interval = std::chrono::milliseconds(20);
  AppendRecords("org_a", 3);
  AuditMaintenance maintenance(db(), *signer_, clock_, options_);
  maintenance.Start();
  bool signed_checkpoint = false;
  for (int attempt = 0; attempt < 200 && !signed_checkpoint; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    Result<std::optional<StoredCheckpoint>> latest =
        store::ReadReturning<std::optional<StoredCheckpoint>>(
            db(), [](store::Transaction& tx) { return LatestCheckpoint(tx, "org_a"); });
    signed_checkpoint = latest.ok() && latest->has_value() && (*latest)->tree_size == 3;
  }
  EXPECT_TRUE(signed_checkpoint);
  maintenance.Stop();
  maintenance.Stop();
}

}  // namespace
}  // namespace custody::audit
