#include "custody/audit/retention.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "custody/audit/checkpoint_signer.h"
#include "custody/audit/tree_store.h"
#include "custody/store/testing.h"

namespace custody::audit {
namespace {

using std::chrono::hours;

// 2010-01-01T00:00:00Z: records from then are past any retention up to 15 years by now. Tests
// append with the clock there, then move it to the present to purge.
constexpr int64_t kLongAgoMicros = int64_t{1'262'304'000} * 1'000'000;
constexpr int64_t kMicrosPerDay = int64_t{86'400} * 1'000'000;

Record MakeRecord(const std::string& organization_id, std::string action, SystemTime time) {
  Record record;
  record.organization_id = organization_id;
  record.actor = "usr_1";
  record.action = std::move(action);
  record.resource = "evidence/evd_1";
  record.decision = std::string(kDecisionAllow);
  record.request_id = "req-1";
  record.source = "127.0.0.1";
  record.time = time;
  return record;
}

class RetentionTest : public ::testing::Test {
 protected:
  RetentionTest() : clock_(store::FromUnixMicros(kLongAgoMicros)) {}

  store::Database& db() { return temp_.db(); }

  void AppendRecord(const Record& record) {
    Result<uint64_t> seq = store::WriteReturning<uint64_t>(
        db(), [&](store::Transaction& tx) { return Append(tx, record); });
    ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  }

  std::vector<store::Row> Query(const std::string& sql) {
    Result<std::vector<store::Row>> rows = store::ReadReturning<std::vector<store::Row>>(
        db(), [&](store::Transaction& tx) { return tx.Query(sql); });
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? *rows : std::vector<store::Row>{};
  }

  store::TempDatabase temp_;
  FixedClock clock_;
};

TEST(RetentionPolicyTest, SecurityIsNeverBelowOneYear) {
  EXPECT_TRUE(ValidateRetentionPolicy({}).ok());
  EXPECT_TRUE(ValidateRetentionPolicy({365, 1}).ok());
  EXPECT_EQ(ValidateRetentionPolicy({364, 30}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ValidateRetentionPolicy({0, 30}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ValidateRetentionPolicy({2557, 0}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ValidateRetentionPolicy({kMaxRetentionDays + 1, 30}).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(ValidateRetentionPolicy({2557, kMaxRetentionDays + 1}).code(),
            ErrorCode::kInvalidArgument);
}

TEST_F(RetentionTest, AppendStoresRetainUntilOfItsClass) {
  const SystemTime time = store::FromUnixMicros(kLongAgoMicros);
  AppendRecord(MakeRecord("org_a", "user.create", time));
  AppendRecord(MakeRecord("org_a", "evidence.create", time));
  const auto rows = Query(
      "SELECT event_class, retain_until - time FROM audit_records WHERE organization_id = 'org_a' "
      "ORDER BY seq");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].Text(0), "security");
  EXPECT_EQ(rows[0].Int64(1), kDefaultSecurityRetentionDays * kMicrosPerDay);
  EXPECT_EQ(rows[1].Text(0), "operational");
  EXPECT_EQ(rows[1].Int64(1), kDefaultOperationalRetentionDays * kMicrosPerDay);
}

TEST_F(RetentionTest, ApplyPolicyChangesNewRecordsAndIsAudited) {
  ASSERT_TRUE(ApplyRetentionPolicy(db(), clock_, {3000, 30}).ok());
  AppendRecord(MakeRecord("org_a", "evidence.create", clock_.Now()));
  auto rows =
      Query("SELECT retain_until - time FROM audit_records WHERE organization_id = 'org_a'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].Int64(0), 30 * kMicrosPerDay);

  rows =
      Query("SELECT action, resource FROM audit_records WHERE organization_id = '' ORDER BY seq");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].Text(0), "audit_retention.update");
  EXPECT_EQ(rows[0].Text(1), "audit_retention/security/2557..3000");
  EXPECT_EQ(rows[1].Text(1), "audit_retention/operational/365..30");

  // Applying the same policy again changes nothing and records nothing.
  ASSERT_TRUE(ApplyRetentionPolicy(db(), clock_, {3000, 30}).ok());
  EXPECT_EQ(Query("SELECT seq FROM audit_records WHERE organization_id = ''").size(), 2u);
}

TEST_F(RetentionTest, ApplyPolicyRejectsShortSecurityRetention) {
  EXPECT_EQ(ApplyRetentionPolicy(db(), clock_, {100, 30}).code(), ErrorCode::kInvalidArgument);
  // The schema refuses it too, for writers that skip the validation.
  const Status direct = db().Write([](store::Transaction& tx) {
    return tx.Execute("UPDATE audit_retention SET retain_days = 100 WHERE event_class = 'security'")
        .status();
  });
  EXPECT_FALSE(direct.ok());
}

TEST_F(RetentionTest, RetentionRowsCannotBeDeleted) {
  const Status status = db().Write(
      [](store::Transaction& tx) { return tx.Execute("DELETE FROM audit_retention").status(); });
  EXPECT_FALSE(status.ok());

  // Without the authorizer, the trigger refuses it, because Append needs both rows.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(temp_.path().c_str(), &raw), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(raw, "DELETE FROM audit_retention", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_NE(std::string(sqlite3_errmsg(raw)).find("cannot be deleted"), std::string::npos);
  sqlite3_close(raw);
  EXPECT_EQ(Query("SELECT event_class FROM audit_retention").size(), 2u);
}

TEST_F(RetentionTest, PurgeKeepsLeavesAndProofs) {
  for (int i = 0; i < 6; ++i) {
    AppendRecord(MakeRecord("org_a", "user.create", clock_.Now()));
  }
  AppendRecord(MakeRecord("org_b", "user.create", clock_.Now()));
  Result<NoteSigner> key =
      NoteSigner::Create("h.example/audit", crypto::Ed25519PrivateKey::Generate());
  ASSERT_TRUE(key.ok());
  Result<CheckpointSigner> signer = CheckpointSigner::Create("h.example", {*key});
  ASSERT_TRUE(signer.ok());
  Result<SignOutcome> before = store::WriteReturning<SignOutcome>(
      db(), [&](store::Transaction& tx) { return signer->SignLatest(tx, "org_a", clock_.Now()); });
  ASSERT_TRUE(before.ok()) << before.status().ToString();

  clock_.Set(std::chrono::system_clock::now());
  Result<PurgeSummary> summary = PurgeExpiredRecords(db(), clock_);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->records, 7u);
  EXPECT_EQ(summary->logs, 2u);

  // Every purged leaf still proves its inclusion in the checkpoint signed before the purge.
  Status proofs = db().Read([&](store::Transaction& tx) -> Status {
    CUSTODY_ASSIGN_OR_RETURN(std::vector<LogEntry> entries, ReadEntries(tx, "org_a", 0, 100));
    EXPECT_EQ(entries.size(), 7u);  // six purged records and the purge record
    const StoredNodeReader reader(tx, "org_a");
    for (size_t seq = 0; seq < 6; ++seq) {
      EXPECT_FALSE(entries[seq].leaf.has_value()) << seq;
      CUSTODY_ASSIGN_OR_RETURN(std::vector<Hash> proof, InclusionProof(reader, seq, 6));
      CUSTODY_RETURN_IF_ERROR(
          VerifyInclusion(entries[seq].leaf_hash, seq, 6, proof, before->checkpoint.root));
    }
    EXPECT_TRUE(entries[6].leaf.has_value());
    return Status::Ok();
  });
  EXPECT_TRUE(proofs.ok()) << proofs.ToString();

  // The purge is itself a record of the log it purged, with its range and count.
  const auto purge_rows = Query(
      "SELECT actor, action, resource, reason, purged_at FROM audit_records "
      "WHERE organization_id = 'org_a' AND seq = 6");
  ASSERT_EQ(purge_rows.size(), 1u);
  EXPECT_EQ(purge_rows[0].Text(0), "system");
  EXPECT_EQ(purge_rows[0].Text(1), "audit_log.purge");
  EXPECT_EQ(purge_rows[0].Text(2), "audit_records/0..5");
  EXPECT_EQ(purge_rows[0].Text(3), "retention_ended:6");
  EXPECT_TRUE(purge_rows[0].IsNull(4));

  // The next checkpoint is consistent with the one signed before the purge.
  Result<SignOutcome> after = store::WriteReturning<SignOutcome>(
      db(), [&](store::Transaction& tx) { return signer->SignLatest(tx, "org_a", clock_.Now()); });
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->checkpoint.tree_size, 7u);

  // List shows only the records that still have their payload.
  Result<RecordPage> page = store::ReadReturning<RecordPage>(
      db(), [](store::Transaction& tx) { return List(tx, "org_a", std::nullopt, 10); });
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].seq, 6u);
}

TEST_F(RetentionTest, PurgeRunsInBatches) {
  for (int i = 0; i < 5; ++i) {
    AppendRecord(MakeRecord("org_a", "user.create", clock_.Now()));
  }
  clock_.Set(std::chrono::system_clock::now());
  Result<PurgeSummary> summary = PurgeExpiredRecords(db(), clock_, 2);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->records, 5u);
  const auto rows = Query(
      "SELECT resource FROM audit_records WHERE organization_id = 'org_a' "
      "AND action = 'audit_log.purge' ORDER BY seq");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].Text(0), "audit_records/0..1");
  EXPECT_EQ(rows[1].Text(0), "audit_records/2..3");
  EXPECT_EQ(rows[2].Text(0), "audit_records/4..4");
  EXPECT_FALSE(PurgeExpiredRecords(db(), clock_, 0).ok());
}

TEST_F(RetentionTest, PurgeLeavesRecordsWithinRetention) {
  const SystemTime now = std::chrono::system_clock::now();
  AppendRecord(MakeRecord("org_a", "evidence.create", now));
  // An application clock years ahead still cannot purge what the database's clock retains.
  FixedClock future(now + hours(24 * 365 * 20));
  Result<PurgeSummary> summary = PurgeExpiredRecords(db(), future);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->records, 0u);
  EXPECT_EQ(Query("SELECT seq FROM audit_records WHERE purged_at IS NULL").size(), 1u);
}

TEST_F(RetentionTest, EarlyPurgeRefusedByDirectSql) {
  AppendRecord(MakeRecord("org_a", "evidence.create", std::chrono::system_clock::now()));
  const std::string purge =
      "UPDATE audit_records SET actor = NULL, action = NULL, resource = NULL, decision = NULL, "
      "reason = NULL, request_id = NULL, source = NULL, encoded = NULL, purged_at = 1";
  const Status status =
      db().Write([&](store::Transaction& tx) { return tx.Execute(purge).status(); });
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("before its retain_until"), std::string::npos)
      << status.ToString();

  // A connection without the authorizer meets the same trigger.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(temp_.path().c_str(), &raw), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(raw, purge.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_NE(std::string(sqlite3_errmsg(raw)).find("before its retain_until"), std::string::npos);
  sqlite3_close(raw);

  EXPECT_EQ(Query("SELECT seq FROM audit_records WHERE purged_at IS NULL").size(), 1u);
}

TEST_F(RetentionTest, PurgedRecordCannotChangeAgain) {
  AppendRecord(MakeRecord("org_a", "user.create", clock_.Now()));
  clock_.Set(std::chrono::system_clock::now());
  Result<PurgeSummary> purged = PurgeExpiredRecords(db(), clock_);
  ASSERT_TRUE(purged.ok());
  ASSERT_EQ(purged->records, 1u);
  const Status status = db().Write([](store::Transaction& tx) {
    return tx
        .Execute(
            "UPDATE audit_records SET purged_at = 5 WHERE organization_id = 'org_a' AND seq = 0")
        .status();
  });
  EXPECT_FALSE(status.ok());
}

}  // namespace
}  // namespace custody::audit
