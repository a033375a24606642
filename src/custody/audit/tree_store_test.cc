// Checks that the tree audit::Append stores equals the in-memory reference tree: nodes, roots,
// compact ranges after a reopen, and inclusion and consistency proofs.
#include "custody/audit/tree_store.h"

#include <map>

#include <gtest/gtest.h>

#include "custody/store/testing.h"

namespace custody::audit {
namespace {

Record MakeRecord(const std::string& organization_id, int n) {
  Record record;
  record.organization_id = organization_id;
  record.actor = "usr_1";
  record.action = "entity.create";
  record.resource = "entity/ent_" + std::to_string(n);
  record.decision = std::string(kDecisionAllow);
  record.request_id = "req-" + std::to_string(n);
  record.source = "127.0.0.1";
  record.time = store::FromUnixMicros(1'000'000 + n);
  return record;
}

class TreeStoreTest : public ::testing::Test {
 protected:
  store::Database& db() { return temp_.db(); }

  // Appends `count` records to `organization_id`'s log and to the matching reference tree.
  void AppendRecords(const std::string& organization_id, int count) {
    InMemoryTree& reference = references_[organization_id];
    for (int i = 0; i < count; ++i) {
      const Record record = MakeRecord(organization_id, static_cast<int>(reference.size()));
      Result<uint64_t> seq = store::WriteReturning<uint64_t>(
          db(), [&](store::Transaction& tx) { return Append(tx, record); });
      ASSERT_TRUE(seq.ok()) << seq.status().ToString();
      ASSERT_EQ(*seq, reference.size());
      reference.Append(LeafHash(Encode(*seq, record)));
    }
  }

  template <typename T, typename Function>
  T ReadOrFail(Function&& function) {
    Result<T> result = store::ReadReturning<T>(db(), std::forward<Function>(function));
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? std::move(result).value() : T{};
  }

  store::TempDatabase temp_;
  std::map<std::string, InMemoryTree> references_;
};

TEST_F(TreeStoreTest, NodesEqualInMemoryTree) {
  AppendRecords("org_a", 37);
  AppendRecords("org_b", 5);
  const InMemoryTree& reference = references_["org_a"];
  const auto rows = ReadOrFail<std::vector<store::Row>>([](store::Transaction& tx) {
    return tx.Query(
        "SELECT level, idx, hash FROM audit_nodes WHERE organization_id = 'org_a' "
        "ORDER BY level, idx");
  });
  // 37 leaves: 18 + 9 + 4 + 2 + 1 complete interior nodes above them.
  EXPECT_EQ(rows.size(), 37u + 18 + 9 + 4 + 2 + 1);
  for (const store::Row& row : rows) {
    const auto level = static_cast<uint64_t>(row.Int64(0));
    const auto index = static_cast<uint64_t>(row.Int64(1));
    Result<Hash> expected = reference.Node(level, index);
    ASSERT_TRUE(expected.ok()) << level << "/" << index;
    EXPECT_EQ(row.Bytes(2), HashBytes(*expected)) << level << "/" << index;
  }
}

TEST_F(TreeStoreTest, RootsFromNodesAndHeadMatchReference) {
  AppendRecords("org_a", 1);
  for (int grown = 1; grown <= 20; ++grown) {
    const InMemoryTree& reference = references_["org_a"];
    const auto head =
        ReadOrFail<CompactRange>([](store::Transaction& tx) { return ReadHead(tx, "org_a"); });
    EXPECT_EQ(head.size(), reference.size());
    EXPECT_EQ(head.Root(), reference.Root()) << "size " << reference.size();
    const auto from_nodes = ReadOrFail<Hash>([&](store::Transaction& tx) {
      return RootFromNodes(StoredNodeReader(tx, "org_a"), reference.size());
    });
    EXPECT_EQ(from_nodes, reference.Root()) << "size " << reference.size();
    AppendRecords("org_a", 1);
  }
}

TEST_F(TreeStoreTest, HeadSurvivesReopen) {
  AppendRecords("org_a", 11);
  temp_.Reopen();
  AppendRecords("org_a", 6);
  const auto head =
      ReadOrFail<CompactRange>([](store::Transaction& tx) { return ReadHead(tx, "org_a"); });
  EXPECT_EQ(head.size(), 17u);
  EXPECT_EQ(head.Root(), references_["org_a"].Root());
}

TEST_F(TreeStoreTest, EmptyLogHasEmptyHead) {
  const auto head =
      ReadOrFail<CompactRange>([](store::Transaction& tx) { return ReadHead(tx, "org_none"); });
  EXPECT_EQ(head.size(), 0u);
  EXPECT_EQ(head.Root(), EmptyRoot());
}

TEST_F(TreeStoreTest, ProofsEqualInMemoryProofs) {
  AppendRecords("org_a", 23);
  AppendRecords("org_b", 3);
  const InMemoryTree& reference = references_["org_a"];
  for (uint64_t size = 1; size <= 23; ++size) {
    for (uint64_t index = 0; index < size; ++index) {
      Result<std::vector<Hash>> expected = InclusionProof(reference, index, size);
      ASSERT_TRUE(expected.ok());
      const auto stored = ReadOrFail<std::vector<Hash>>([&](store::Transaction& tx) {
        return InclusionProof(StoredNodeReader(tx, "org_a"), index, size);
      });
      EXPECT_EQ(stored, *expected) << "inclusion of " << index << " in " << size;
    }
    for (uint64_t from = 1; from <= size; ++from) {
      Result<std::vector<Hash>> expected = ConsistencyProof(reference, from, size);
      ASSERT_TRUE(expected.ok());
      const auto stored = ReadOrFail<std::vector<Hash>>([&](store::Transaction& tx) {
        return ConsistencyProof(StoredNodeReader(tx, "org_a"), from, size);
      });
      EXPECT_EQ(stored, *expected) << "consistency " << from << " -> " << size;
    }
  }
}

TEST_F(TreeStoreTest, NodeReaderRejectsMissingNode) {
  AppendRecords("org_a", 3);
  const Status status = db().Read([](store::Transaction& tx) -> Status {
    const StoredNodeReader reader(tx, "org_a");
    EXPECT_TRUE(reader.Node(0, 2).ok());
    EXPECT_EQ(reader.Node(0, 3).status().code(), ErrorCode::kNotFound);
    // Leaves 2 and 3 are not both present, so their parent is incomplete.
    EXPECT_EQ(reader.Node(1, 1).status().code(), ErrorCode::kNotFound);
    // Another organization's log has no nodes.
    EXPECT_EQ(StoredNodeReader(tx, "org_b").Node(0, 0).status().code(), ErrorCode::kNotFound);
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok());
}

TEST_F(TreeStoreTest, ReadEntriesReturnsLeavesInOrder) {
  AppendRecords("org_a", 5);
  AppendRecords("org_b", 2);
  const auto entries = ReadOrFail<std::vector<LogEntry>>(
      [](store::Transaction& tx) { return ReadEntries(tx, "org_a", 1, 3); });
  ASSERT_EQ(entries.size(), 3u);
  for (size_t i = 0; i < entries.size(); ++i) {
    const uint64_t seq = 1 + i;
    EXPECT_EQ(entries[i].seq, seq);
    ASSERT_TRUE(entries[i].leaf.has_value());
    EXPECT_EQ(*entries[i].leaf, Encode(seq, MakeRecord("org_a", static_cast<int>(seq))));
    EXPECT_EQ(entries[i].leaf_hash, LeafHash(*entries[i].leaf));
    EXPECT_EQ(entries[i].event_class, EventClass::kSecurity);
  }
  const auto tail = ReadOrFail<std::vector<LogEntry>>(
      [](store::Transaction& tx) { return ReadEntries(tx, "org_a", 4, 1000); });
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail[0].seq, 4u);
  const auto past_end = ReadOrFail<std::vector<LogEntry>>(
      [](store::Transaction& tx) { return ReadEntries(tx, "org_a", 5, 10); });
  EXPECT_TRUE(past_end.empty());
}

TEST_F(TreeStoreTest, ReadEntriesRejectsBadLimit) {
  const Status status = db().Read([](store::Transaction& tx) -> Status {
    EXPECT_EQ(ReadEntries(tx, "org_a", 0, 0).status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(ReadEntries(tx, "org_a", 0, kMaxEntriesPerRead + 1).status().code(),
              ErrorCode::kInvalidArgument);
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok());
}

TEST_F(TreeStoreTest, ListLogsNamesEveryLogWithRecords) {
  AppendRecords("org_b", 1);
  AppendRecords("", 1);
  AppendRecords("org_a", 2);
  const auto logs =
      ReadOrFail<std::vector<std::string>>([](store::Transaction& tx) { return ListLogs(tx); });
  EXPECT_EQ(logs, (std::vector<std::string>{"", "org_a", "org_b"}));
}

}  // namespace
}  // namespace custody::audit
