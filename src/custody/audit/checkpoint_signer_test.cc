#include "custody/audit/checkpoint_signer.h"

#include <map>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "custody/audit/tree_store.h"
#include "custody/store/testing.h"

namespace custody::audit {
namespace {

constexpr std::string_view kOriginHost = "custody.example";

Record MakeRecord(const std::string& organization_id, int n) {
  Record record;
  record.organization_id = organization_id;
  record.actor = "usr_1";
  record.action = "user.create";
  record.resource = "user/usr_" + std::to_string(n);
  record.decision = std::string(kDecisionAllow);
  record.request_id = "req-" + std::to_string(n);
  record.source = "127.0.0.1";
  record.time = store::FromUnixMicros(5'000'000 + n);
  return record;
}

NoteSigner MakeSigner(std::string_view host = kOriginHost) {
  Result<NoteSigner> signer =
      NoteSigner::Create(SigningKeyName(host), crypto::Ed25519PrivateKey::Generate());
  EXPECT_TRUE(signer.ok()) << signer.status().ToString();
  return *signer;
}

// A connection without the authorizer, standing for someone who edits the database file.
class RawConnection {
 public:
  explicit RawConnection(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
  }

  ~RawConnection() { sqlite3_close(db_); }

  void Exec(const std::string& sql) {
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(db_);
  }

 private:
  sqlite3* db_ = nullptr;
};

class CheckpointSignerTest : public ::testing::Test {
 protected:
  CheckpointSignerTest() : signer_(MakeSigner()) {
    Result<CheckpointSigner> checkpoint_signer =
        CheckpointSigner::Create(std::string(kOriginHost), {signer_});
    EXPECT_TRUE(checkpoint_signer.ok()) << checkpoint_signer.status().ToString();
    checkpoint_signer_.emplace(std::move(checkpoint_signer).value());
  }

  store::Database& db() { return temp_.db(); }

  void AppendRecords(const std::string& organization_id, int count) {
    InMemoryTree& reference = references_[organization_id];
    for (int i = 0; i < count; ++i) {
      const Record record = MakeRecord(organization_id, static_cast<int>(reference.size()));
      Result<uint64_t> seq = store::WriteReturning<uint64_t>(
          db(), [&](store::Transaction& tx) { return Append(tx, record); });
      ASSERT_TRUE(seq.ok()) << seq.status().ToString();
      reference.Append(LeafHash(Encode(*seq, record)));
    }
  }

  Result<SignOutcome> Sign(const std::string& organization_id) {
    return store::WriteReturning<SignOutcome>(db(), [&](store::Transaction& tx) {
      return checkpoint_signer_->SignLatest(tx, organization_id, store::FromUnixMicros(9'000'000));
    });
  }

  int64_t CountCheckpoints() {
    Result<int64_t> count =
        store::ReadReturning<int64_t>(db(), [](store::Transaction& tx) -> Result<int64_t> {
          CUSTODY_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*) FROM audit_checkpoints"));
          return row->Int64(0);
        });
    return count.ok() ? *count : -1;
  }

  store::TempDatabase temp_;
  NoteSigner signer_;
  std::optional<CheckpointSigner> checkpoint_signer_;
  std::map<std::string, InMemoryTree> references_;
};

TEST_F(CheckpointSignerTest, SignsVerifiableCheckpointOfCurrentSize) {
  AppendRecords("org_a", 7);
  Result<SignOutcome> outcome = Sign("org_a");
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_TRUE(outcome->created);
  EXPECT_EQ(outcome->checkpoint.tree_size, 7u);
  EXPECT_EQ(outcome->checkpoint.origin, "custody.example/audit/org_a");
  EXPECT_EQ(outcome->checkpoint.root, references_["org_a"].Root());

  const std::vector<NoteVerifier> verifiers = {signer_.Verifier()};
  Result<Checkpoint> opened =
      OpenCheckpoint(outcome->checkpoint.signed_note, "custody.example/audit/org_a", verifiers);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->size, 7u);
  EXPECT_EQ(opened->root, references_["org_a"].Root());
  // The note of one log never verifies as another log's.
  EXPECT_FALSE(
      OpenCheckpoint(outcome->checkpoint.signed_note, "custody.example/audit/org_b", verifiers)
          .ok());
}

TEST_F(CheckpointSignerTest, ReturnsExistingCheckpointForSameSize) {
  AppendRecords("org_a", 3);
  Result<SignOutcome> first = Sign("org_a");
  ASSERT_TRUE(first.ok());
  Result<SignOutcome> second = Sign("org_a");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->checkpoint.signed_note, first->checkpoint.signed_note);
  EXPECT_EQ(CountCheckpoints(), 1);
}

TEST_F(CheckpointSignerTest, NeverStoresTwoRootsForOneSize) {
  AppendRecords("org_a", 3);
  ASSERT_TRUE(Sign("org_a").ok());
  const Status second = db().Write([](store::Transaction& tx) {
    return tx
        .Execute(
            "INSERT INTO audit_checkpoints (organization_id, tree_size, root_hash, signed_note, "
            "key_ids, created_at) VALUES ('org_a', 3, randomblob(32), 'other', '00000000', 0)")
        .status();
  });
  EXPECT_FALSE(second.ok());
  EXPECT_NE(second.message().find("cannot be replaced"), std::string::npos) << second.ToString();
  // Nor for a size the log has not reached.
  const Status ahead = db().Write([](store::Transaction& tx) {
    return tx
        .Execute(
            "INSERT INTO audit_checkpoints (organization_id, tree_size, root_hash, signed_note, "
            "key_ids, created_at) VALUES ('org_a', 4, randomblob(32), 'other', '00000000', 0)")
        .status();
  });
  EXPECT_FALSE(ahead.ok());
  EXPECT_EQ(CountCheckpoints(), 1);
}

// A connection without recursive_triggers skips the delete triggers on REPLACE, so the
// insert triggers must stop it.
TEST_F(CheckpointSignerTest, RawReplaceOfTreeRowsFails) {
  AppendRecords("org_a", 3);
  ASSERT_TRUE(Sign("org_a").ok());
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(temp_.path().c_str(), &raw), SQLITE_OK);
  const char* attempts[] = {
      "INSERT OR REPLACE INTO audit_nodes SELECT organization_id, level, idx, randomblob(32) "
      "FROM audit_nodes WHERE level = 0 AND idx = 0",
      "INSERT OR REPLACE INTO audit_heads SELECT organization_id, 1, randomblob(32), 0 "
      "FROM audit_heads",
      "INSERT OR REPLACE INTO audit_checkpoints SELECT organization_id, tree_size, "
      "randomblob(32), 'forged', key_ids, created_at FROM audit_checkpoints",
  };
  for (const char* sql : attempts) {
    EXPECT_NE(sqlite3_exec(raw, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sql;
    EXPECT_NE(std::string(sqlite3_errmsg(raw)).find("cannot be replaced"), std::string::npos)
        << sqlite3_errmsg(raw);
  }
  sqlite3_close(raw);
  Result<SignOutcome> again = Sign("org_a");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->checkpoint.root, references_["org_a"].Root());
}

TEST_F(CheckpointSignerTest, EmptyLogIsNotSigned) {
  EXPECT_EQ(Sign("org_a").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(CountCheckpoints(), 0);
}

TEST_F(CheckpointSignerTest, LaterCheckpointsAreConsistentWithEarlier) {
  std::vector<StoredCheckpoint> signed_checkpoints;
  for (const int batch : {1, 2, 5, 8, 13}) {
    AppendRecords("org_a", batch);
    Result<SignOutcome> outcome = Sign("org_a");
    ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
    signed_checkpoints.push_back(outcome->checkpoint);
  }
  const InMemoryTree& reference = references_["org_a"];
  for (size_t i = 0; i + 1 < signed_checkpoints.size(); ++i) {
    const StoredCheckpoint& older = signed_checkpoints[i];
    const StoredCheckpoint& newer = signed_checkpoints.back();
    Result<std::vector<Hash>> proof = ConsistencyProof(reference, older.tree_size, newer.tree_size);
    ASSERT_TRUE(proof.ok());
    EXPECT_TRUE(
        VerifyConsistency(older.tree_size, newer.tree_size, older.root, newer.root, *proof).ok());
  }

  Result<std::vector<StoredCheckpoint>> listed =
      store::ReadReturning<std::vector<StoredCheckpoint>>(
          db(), [](store::Transaction& tx) { return ListCheckpoints(tx, "org_a", 3, 10); });
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].tree_size, 8u);
  EXPECT_EQ((*listed)[1].tree_size, 16u);
  EXPECT_EQ((*listed)[2].tree_size, 29u);
  EXPECT_EQ((*listed)[2].origin, "custody.example/audit/org_a");

  Result<std::optional<StoredCheckpoint>> at_size =
      store::ReadReturning<std::optional<StoredCheckpoint>>(
          db(), [](store::Transaction& tx) { return CheckpointAtSize(tx, "org_a", 8); });
  ASSERT_TRUE(at_size.ok());
  ASSERT_TRUE(at_size->has_value());
  EXPECT_EQ((*at_size)->signed_note, signed_checkpoints[2].signed_note);
}

TEST_F(CheckpointSignerTest, LogsAreSignedSeparately) {
  AppendRecords("org_a", 4);
  AppendRecords("", 2);
  Result<SignOutcome> deployment = Sign("");
  ASSERT_TRUE(deployment.ok()) << deployment.status().ToString();
  EXPECT_EQ(deployment->checkpoint.origin, "custody.example/audit/");
  EXPECT_EQ(deployment->checkpoint.tree_size, 2u);
  EXPECT_EQ(deployment->checkpoint.root, references_[""].Root());
}

TEST_F(CheckpointSignerTest, RefusesTamperedNode) {
  AppendRecords("org_a", 6);
  ASSERT_TRUE(Sign("org_a").ok());
  AppendRecords("org_a", 2);
  {
    RawConnection raw(temp_.path());
    raw.Exec("DROP TRIGGER audit_nodes_no_update");
    raw.Exec(
        "UPDATE audit_nodes SET hash = randomblob(32) WHERE organization_id = 'org_a' "
        "AND level = 1 AND idx = 3");
  }
  Result<SignOutcome> outcome = Sign("org_a");
  EXPECT_EQ(outcome.status().code(), ErrorCode::kInternal);
  EXPECT_NE(outcome.status().message().find("not signing"), std::string::npos)
      << outcome.status().ToString();
  EXPECT_EQ(CountCheckpoints(), 1);
}

TEST_F(CheckpointSignerTest, RefusesTamperedHead) {
  AppendRecords("org_a", 5);
  {
    RawConnection raw(temp_.path());
    raw.Exec("DROP TRIGGER audit_heads_grow_by_one");
    // Size 5 has two set bits, so the range contains two hashes.
    raw.Exec(
        "UPDATE audit_heads SET compact_range = randomblob(64) WHERE organization_id = 'org_a'");
  }
  Result<SignOutcome> outcome = Sign("org_a");
  EXPECT_EQ(outcome.status().code(), ErrorCode::kInternal) << outcome.status().ToString();
  EXPECT_EQ(CountCheckpoints(), 0);
}

TEST_F(CheckpointSignerTest, RefusesTamperedRecordPayload) {
  AppendRecords("org_a", 4);
  ASSERT_TRUE(Sign("org_a").ok());
  AppendRecords("org_a", 4);
  {
    RawConnection raw(temp_.path());
    raw.Exec("DROP TRIGGER audit_records_purge_only");
    raw.Exec("DROP TRIGGER audit_records_no_early_purge");
    // Flip the last byte of record 6's encoding, as an edit of its source address would.
    raw.Exec(
        "UPDATE audit_records SET encoded = CAST(substr(encoded, 1, length(encoded) - 1) || '0' "
        "AS BLOB) WHERE organization_id = 'org_a' AND seq = 6");
  }
  Result<SignOutcome> outcome = Sign("org_a");
  EXPECT_EQ(outcome.status().code(), ErrorCode::kInternal);
  EXPECT_NE(outcome.status().message().find("record 6"), std::string::npos)
      << outcome.status().ToString();
}

TEST_F(CheckpointSignerTest, RefusesRewrittenHistory) {
  AppendRecords("org_a", 4);
  ASSERT_TRUE(Sign("org_a").ok());
  AppendRecords("org_a", 3);
  {
    // Replace the previous checkpoint's root, as if the log had been rebuilt since.
    RawConnection raw(temp_.path());
    raw.Exec("DROP TRIGGER audit_checkpoints_no_update");
    raw.Exec("UPDATE audit_checkpoints SET root_hash = randomblob(32)");
  }
  Result<SignOutcome> outcome = Sign("org_a");
  EXPECT_EQ(outcome.status().code(), ErrorCode::kInternal);
  EXPECT_NE(outcome.status().message().find("not consistent"), std::string::npos)
      << outcome.status().ToString();
  EXPECT_EQ(CountCheckpoints(), 1);
}

TEST_F(CheckpointSignerTest, SignsWithEveryConfiguredKey) {
  const NoteSigner previous = MakeSigner();
  Result<CheckpointSigner> rotating =
      CheckpointSigner::Create(std::string(kOriginHost), {signer_, previous});
  ASSERT_TRUE(rotating.ok()) << rotating.status().ToString();
  AppendRecords("org_a", 2);
  Result<SignOutcome> outcome =
      store::WriteReturning<SignOutcome>(db(), [&](store::Transaction& tx) {
        return rotating->SignLatest(tx, "org_a", store::FromUnixMicros(1));
      });
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  for (const NoteSigner& signer : {signer_, previous}) {
    const std::vector<NoteVerifier> only_this = {signer.Verifier()};
    EXPECT_TRUE(
        OpenCheckpoint(outcome->checkpoint.signed_note, "custody.example/audit/org_a", only_this)
            .ok());
  }
  EXPECT_EQ(outcome->checkpoint.key_ids.size(), 17u);  // two 8-digit ids and a space
  EXPECT_EQ(rotating->Verifiers().size(), 2u);
}

TEST(CheckpointSignerCreateTest, RejectsBadConfiguration) {
  const NoteSigner signer = MakeSigner();
  EXPECT_FALSE(CheckpointSigner::Create(std::string(kOriginHost), {}).ok());
  EXPECT_FALSE(CheckpointSigner::Create("", {signer}).ok());
  // A key named after another host.
  EXPECT_FALSE(CheckpointSigner::Create("other.example", {signer}).ok());
  // The same key twice.
  EXPECT_FALSE(CheckpointSigner::Create(std::string(kOriginHost), {signer, signer}).ok());
}

TEST(CheckpointOriginTest, FollowsOriginHost) {
  EXPECT_EQ(CheckpointOrigin("h.example", "org_1"), "h.example/audit/org_1");
  EXPECT_EQ(SigningKeyName("h.example"), "h.example/audit");
}

}  // namespace
}  // namespace custody::audit
