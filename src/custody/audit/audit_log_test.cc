#include "custody/audit/audit_log.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "custody/store/page_cursor.h"
#include "custody/store/testing.h"

namespace custody::audit {
namespace {

Record MakeRecord(std::string organization_id, std::string action) {
  Record record;
  record.organization_id = std::move(organization_id);
  record.actor = "usr_1";
  record.action = std::move(action);
  record.resource = "entity/ent_1";
  record.decision = std::string(kDecisionAllow);
  record.request_id = "req-1";
  record.source = "127.0.0.1";
  record.time = store::FromUnixMicros(1'000'000);
  return record;
}

Result<uint64_t> AppendOne(store::Database& db, const Record& record) {
  return store::WriteReturning<uint64_t>(
      db, [&](store::Transaction& tx) { return Append(tx, record); });
}

int64_t CountRecords(store::Database& db) {
  Result<int64_t> count =
      store::ReadReturning<int64_t>(db, [](store::Transaction& tx) -> Result<int64_t> {
        CUSTODY_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*) FROM audit_records"));
        return row->Int64(0);
      });
  EXPECT_TRUE(count.ok());
  return count.ok() ? *count : -1;
}

// A connection without the authorizer, as an operator's sqlite3 shell would be.
class RawConnection {
 public:
  explicit RawConnection(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    EXPECT_EQ(Exec("PRAGMA recursive_triggers=ON"), SQLITE_OK);
  }

  ~RawConnection() { sqlite3_close(db_); }

  int Exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }

  std::string error() const { return sqlite3_errmsg(db_); }

 private:
  sqlite3* db_ = nullptr;
};

class AuditLogTest : public ::testing::Test {
 protected:
  store::Database& db() { return temp_.db(); }

  Status Run(std::string_view sql) {
    return db().Write([&](store::Transaction& tx) { return tx.Execute(sql).status(); });
  }

  store::TempDatabase temp_;
};

TEST_F(AuditLogTest, SeqIsContiguousFromZero) {
  for (uint64_t expected = 0; expected < 5; ++expected) {
    Result<uint64_t> seq = AppendOne(db(), MakeRecord("org_a", "x.create"));
    ASSERT_TRUE(seq.ok()) << seq.status().ToString();
    EXPECT_EQ(*seq, expected);
  }
}

TEST_F(AuditLogTest, SeveralAppendsInOneTransaction) {
  Status status = db().Write([](store::Transaction& tx) -> Status {
    CUSTODY_ASSIGN_OR_RETURN(uint64_t first, Append(tx, MakeRecord("org_a", "a")));
    CUSTODY_ASSIGN_OR_RETURN(uint64_t second, Append(tx, MakeRecord("org_a", "b")));
    EXPECT_EQ(first, 0u);
    EXPECT_EQ(second, 1u);
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
}

TEST_F(AuditLogTest, StoresEncodingOfSeqAndRecord) {
  ASSERT_TRUE(AppendOne(db(), MakeRecord("org_a", "first")).ok());
  const Record record = MakeRecord("org_a", "second");
  ASSERT_TRUE(AppendOne(db(), record).ok());

  Result<RecordPage> page = store::ReadReturning<RecordPage>(
      db(), [](store::Transaction& tx) { return List(tx, "org_a", std::nullopt, 10); });
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->records.size(), 2u);
  EXPECT_EQ(page->records[1].seq, 1u);
  EXPECT_EQ(page->records[1].record, record);
  EXPECT_EQ(page->records[1].encoded, Encode(1, record));
}

TEST_F(AuditLogTest, ConcurrentAppendsStayContiguousPerOrganization) {
  constexpr int kThreads = 4;
  constexpr int kAppends = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppends; ++i) {
        // Two threads share each organization, so both logs see interleaved writers.
        if (!AppendOne(db(), MakeRecord("org_" + std::to_string(t % 2), "x.create")).ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures.load(), 0);

  for (const std::string organization : {"org_0", "org_1"}) {
    Result<std::vector<store::Row>> rows =
        store::ReadReturning<std::vector<store::Row>>(db(), [&](store::Transaction& tx) {
          return tx.Query(
              "SELECT seq, encoded FROM audit_records WHERE organization_id = ? ORDER BY seq",
              {organization});
        });
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), static_cast<size_t>(2 * kAppends)) << organization;
    for (size_t i = 0; i < rows->size(); ++i) {
      EXPECT_EQ((*rows)[i].Int64(0), static_cast<int64_t>(i)) << organization;
      Result<DecodedRecord> decoded = Decode((*rows)[i].Bytes(1));
      ASSERT_TRUE(decoded.ok());
      EXPECT_EQ(decoded->seq, i) << organization;
      EXPECT_EQ(decoded->record.organization_id, organization);
    }
  }
}

TEST_F(AuditLogTest, EachOrganizationStartsAtZero) {
  for (const std::string organization : {"org_a", "org_b", ""}) {
    for (uint64_t expected = 0; expected < 3; ++expected) {
      Result<uint64_t> seq = AppendOne(db(), MakeRecord(organization, "x.create"));
      ASSERT_TRUE(seq.ok()) << seq.status().ToString();
      EXPECT_EQ(*seq, expected) << "organization '" << organization << "'";
    }
  }
}

TEST_F(AuditLogTest, FailingTransactionLeavesNothing) {
  Status status = db().Write([](store::Transaction& tx) -> Status {
    CUSTODY_RETURN_IF_ERROR(Append(tx, MakeRecord("org_a", "x.create")).status());
    return Internal("the change failed");
  });
  EXPECT_EQ(status.code(), ErrorCode::kInternal);
  EXPECT_EQ(CountRecords(db()), 0);

  // The sequence did not advance either.
  Result<uint64_t> seq = AppendOne(db(), MakeRecord("org_a", "x.create"));
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, 0u);
}

TEST_F(AuditLogTest, FailedCommitLeavesNothing) {
  db().InjectFailureForTesting(store::InjectedFailure::kCommits);
  Result<uint64_t> seq = AppendOne(db(), MakeRecord("org_a", "x.create"));
  EXPECT_EQ(seq.status().code(), ErrorCode::kUnavailable);
  db().InjectFailureForTesting(store::InjectedFailure::kNone);
  EXPECT_EQ(CountRecords(db()), 0);
}

TEST_F(AuditLogTest, AppendRejectsReadTransaction) {
  Status status = db().Read(
      [](store::Transaction& tx) { return Append(tx, MakeRecord("org_a", "x.create")).status(); });
  EXPECT_EQ(status.code(), ErrorCode::kInternal);
}

TEST_F(AuditLogTest, AppendRejectsInvalidRecord) {
  Record record = MakeRecord("org_a", "x.create");
  record.decision = "perhaps";
  EXPECT_EQ(AppendOne(db(), record).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CountRecords(db()), 0);
}

TEST_F(AuditLogTest, ListIsPerOrganizationAndPaged) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(AppendOne(db(), MakeRecord("org_a", "a." + std::to_string(i))).ok());
    ASSERT_TRUE(AppendOne(db(), MakeRecord("org_b", "b." + std::to_string(i))).ok());
  }

  std::vector<uint64_t> seen;
  std::optional<uint64_t> after;
  int pages = 0;
  do {
    Result<RecordPage> page = store::ReadReturning<RecordPage>(
        db(), [&](store::Transaction& tx) { return List(tx, "org_a", after, 2); });
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const StoredRecord& stored : page->records) {
      EXPECT_EQ(stored.record.organization_id, "org_a");
      seen.push_back(stored.seq);
    }
    after = page->next_after;
    ++pages;
  } while (after.has_value() && pages < 10);

  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<uint64_t>{0, 1, 2, 3, 4}));
}

TEST_F(AuditLogTest, ListRejectsCursorOfOtherOrganization) {
  ASSERT_TRUE(AppendOne(db(), MakeRecord("org_a", "a.0")).ok());
  ASSERT_TRUE(AppendOne(db(), MakeRecord("org_b", "b.0")).ok());
  ASSERT_TRUE(AppendOne(db(), MakeRecord("org_b", "b.1")).ok());
  // org_b has seq 1 and org_a does not; seq 7 exists in neither log.
  for (const uint64_t after : {uint64_t{1}, uint64_t{7}}) {
    Result<RecordPage> page = store::ReadReturning<RecordPage>(
        db(), [&](store::Transaction& tx) { return List(tx, "org_a", after, 2); });
    EXPECT_EQ(page.status().code(), ErrorCode::kInvalidArgument) << after;
    EXPECT_EQ(page.status().message(), store::InvalidCursorError().message()) << after;
  }
}

TEST_F(AuditLogTest, ListRejectsBadLimit) {
  Status status = db().Read([](store::Transaction& tx) -> Status {
    EXPECT_EQ(List(tx, "org_a", std::nullopt, 0).status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(List(tx, "org_a", std::nullopt, kMaxPageSize + 1).status().code(),
              ErrorCode::kInvalidArgument);
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok());
}

// The application connection's authorizer refuses these before any trigger runs.
TEST_F(AuditLogTest, AuthorizerRefusesTampering) {
  ASSERT_TRUE(AppendOne(db(), MakeRecord("org_a", "x.create")).ok());
  const char* attempts[] = {
      "DELETE FROM audit_records",
      "DELETE FROM audit_records WHERE seq = 0",
      "UPDATE audit_nodes SET hash = zeroblob(32)",
      "DELETE FROM audit_nodes",
      "DELETE FROM audit_heads",
      "UPDATE audit_checkpoints SET signed_note = ''",
      "DELETE FROM audit_checkpoints",
      "UPDATE audit_records_v1 SET actor = 'b'",
      "DELETE FROM audit_retention",
      "DROP TABLE audit_records",
      "DROP TABLE audit_nodes",
      "DROP TRIGGER audit_records_purge_only",
      "DROP TRIGGER audit_records_contiguous_seq",
      "ALTER TABLE audit_records RENAME TO old_audit_records",
      "ALTER TABLE audit_checkpoints ADD COLUMN note TEXT",
      "CREATE TRIGGER sneaky BEFORE INSERT ON audit_records BEGIN SELECT 1; END",
  };
  for (const char* sql : attempts) {
    Status status = Run(sql);
    EXPECT_FALSE(status.ok()) << sql;
    EXPECT_NE(status.message().find("not authorized"), std::string::npos)
        << sql << ": " << status.ToString();
  }
  EXPECT_EQ(CountRecords(db()), 1);
}

// UPDATE on audit_records and audit_heads passes the authorizer (a purge needs it), so the
// triggers refuse every update other than a purge after retention.
TEST_F(AuditLogTest, TriggersRefuseUpdatesOtherThanPurge) {
  ASSERT_TRUE(AppendOne(db(), MakeRecord("org_a", "x.create")).ok());
  ASSERT_TRUE(AppendOne(db(), MakeRecord("org_a", "x.create")).ok());
  const char* attempts[] = {
      "UPDATE audit_records SET decision = 'deny'",
      "UPDATE audit_records SET leaf_hash = zeroblob(32)",
      "UPDATE audit_records SET retain_until = 0",
      "UPDATE audit_records SET event_class = 'operational'",
      "UPDATE audit_records SET seq = seq + 10",
      "UPDATE audit_records SET encoded = x'00'",
      "UPDATE audit_records SET organization_id = 'org_b'",
      // A purge that keeps one payload column.
      "UPDATE audit_records SET actor = NULL, action = NULL, resource = NULL, decision = NULL, "
      "reason = NULL, request_id = NULL, encoded = NULL, purged_at = 1",
      "INSERT INTO audit_records (organization_id, seq, leaf_hash, event_class, time, "
      "retain_until, actor, action, resource, decision, reason, request_id, source, encoded) "
      "VALUES ('org_a', 0, zeroblob(32), 'security', 0, 0, 'a', 'x', '', 'allow', '', '', '', "
      "x'00') ON CONFLICT (organization_id, seq) DO UPDATE SET actor = 'b'",
  };
  for (const char* sql : attempts) {
    Status status = Run(sql);
    EXPECT_FALSE(status.ok()) << sql;
  }
  EXPECT_FALSE(Run("UPDATE audit_heads SET size = 1").ok());
  EXPECT_FALSE(Run("UPDATE audit_heads SET size = 3").ok());
  EXPECT_FALSE(Run("UPDATE audit_heads SET compact_range = zeroblob(32), size = size").ok());

  Result<RecordPage> page = store::ReadReturning<RecordPage>(
      db(), [](store::Transaction& tx) { return List(tx, "org_a", std::nullopt, 10); });
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 2u);
  EXPECT_EQ(page->records[0].record, MakeRecord("org_a", "x.create"));
}

// INSERT is allowed on the application connection, so the triggers are what refuse these.
TEST_F(AuditLogTest, TriggerRefusesOutOfSequenceInsert) {
  ASSERT_TRUE(AppendOne(db(), MakeRecord("org_a", "x.create")).ok());
  // The node for leaf 5 exists, so only the seq is wrong in the gap case.
  ASSERT_TRUE(Run("INSERT INTO audit_nodes (organization_id, level, idx, hash) "
                  "VALUES ('org_a', 0, 5, zeroblob(32))")
                  .ok());
  const std::string columns =
      "(organization_id, seq, leaf_hash, event_class, time, retain_until, actor, action, "
      "resource, decision, reason, request_id, source, encoded)";
  const std::string attempts[] = {
      // Replacing the existing record 0.
      "INSERT OR REPLACE INTO audit_records " + columns +
          " SELECT organization_id, seq, leaf_hash, event_class, time, retain_until, 'evil', "
          "action, resource, decision, reason, request_id, source, encoded FROM audit_records",
      "REPLACE INTO audit_records " + columns +
          " SELECT organization_id, seq, leaf_hash, event_class, time, retain_until, 'evil', "
          "action, resource, decision, reason, request_id, source, encoded FROM audit_records",
      // Leaving a gap.
      "INSERT INTO audit_records " + columns +
          " VALUES ('org_a', 5, zeroblob(32), 'security', 0, 0, 'a', 'x', '', 'allow', '', '', "
          "'', x'00')",
  };
  for (const std::string& sql : attempts) {
    Status status = Run(sql);
    EXPECT_FALSE(status.ok()) << sql;
    EXPECT_NE(status.message().find("next in its organization's log"), std::string::npos)
        << sql << ": " << status.ToString();
  }
  // The next seq, but with a leaf hash that audit_nodes does not hold.
  Status status = Run("INSERT INTO audit_records " + columns +
                      " VALUES ('org_a', 1, randomblob(32), 'security', 0, 0, 'a', 'x', '', "
                      "'allow', '', '', '', x'00')");
  EXPECT_NE(status.message().find("match its leaf"), std::string::npos) << status.ToString();
  EXPECT_EQ(CountRecords(db()), 1);
}

// Another connection to the file, without the authorizer, still meets the triggers.
TEST_F(AuditLogTest, TriggersRefuseTamperingWithoutAuthorizer) {
  ASSERT_TRUE(AppendOne(db(), MakeRecord("org_a", "x.create")).ok());
  RawConnection raw(temp_.path());

  EXPECT_NE(raw.Exec("UPDATE audit_records SET decision = 'deny'"), SQLITE_OK);
  EXPECT_NE(raw.error().find("audit records cannot be changed"), std::string::npos) << raw.error();

  EXPECT_NE(raw.Exec("DELETE FROM audit_records"), SQLITE_OK);
  EXPECT_NE(raw.error().find("cannot be deleted"), std::string::npos) << raw.error();

  EXPECT_NE(raw.Exec("INSERT OR REPLACE INTO audit_records SELECT * FROM audit_records"),
            SQLITE_OK);
  EXPECT_NE(raw.error().find("next in its organization's log"), std::string::npos) << raw.error();

  EXPECT_NE(raw.Exec("UPDATE audit_nodes SET hash = zeroblob(32)"), SQLITE_OK);
  EXPECT_NE(raw.error().find("cannot be changed"), std::string::npos) << raw.error();
  EXPECT_NE(raw.Exec("DELETE FROM audit_nodes"), SQLITE_OK);
  EXPECT_NE(raw.error().find("cannot be deleted"), std::string::npos) << raw.error();
  EXPECT_NE(raw.Exec("DELETE FROM audit_heads"), SQLITE_OK);
  EXPECT_NE(raw.error().find("cannot be deleted"), std::string::npos) << raw.error();

  EXPECT_NE(raw.Exec("INSERT INTO audit_records_v1 (seq, time, organization_id, actor, action, "
                     "resource, decision, reason, request_id, source, encoded) VALUES "
                     "(0, 0, 'org_a', 'a', 'x', '', 'allow', '', '', '', x'00')"),
            SQLITE_OK);
  EXPECT_NE(raw.error().find("closed"), std::string::npos) << raw.error();

  EXPECT_EQ(CountRecords(db()), 1);
}

// With the contiguity trigger gone, INSERT OR REPLACE still fails: recursive_triggers makes its
// implicit delete fire the delete trigger.
TEST_F(AuditLogTest, ReplaceHitsDeleteTriggerAsLastLine) {
  ASSERT_TRUE(AppendOne(db(), MakeRecord("org_a", "x.create")).ok());
  RawConnection raw(temp_.path());
  ASSERT_EQ(raw.Exec("DROP TRIGGER audit_records_contiguous_seq"), SQLITE_OK);

  EXPECT_NE(raw.Exec("INSERT OR REPLACE INTO audit_records SELECT * FROM audit_records"),
            SQLITE_OK);
  EXPECT_NE(raw.error().find("cannot be deleted"), std::string::npos) << raw.error();
}

TEST(EventClassTest, ClassifiesDenialsAndChangesAsSecurity) {
  struct Case {
    std::string action;
    std::string decision;
    EventClass expected;
  };

  const Case cases[] = {
      {"evidence.version.create", "allow", EventClass::kOperational},
      {"evidence.read", "allow", EventClass::kOperational},
      {"entity.list", "allow", EventClass::kOperational},
      {"me.read", "allow", EventClass::kOperational},
      {"evidence.read", "deny", EventClass::kSecurity},
      {"audit_records.read", "allow", EventClass::kSecurity},
      {"audit_log.verify", "allow", EventClass::kSecurity},
      {"user.create", "allow", EventClass::kSecurity},
      {"role_assignment.delete", "allow", EventClass::kSecurity},
      {"token.create", "allow", EventClass::kSecurity},
      {"aws_connection.update", "allow", EventClass::kSecurity},
      {"organization.create", "allow", EventClass::kSecurity},
      {"session.create", "allow", EventClass::kSecurity},
      {"http.request", "deny", EventClass::kSecurity},
      {"something.new", "allow", EventClass::kSecurity},
  };
  for (const Case& test_case : cases) {
    Record record = MakeRecord("org_a", test_case.action);
    record.decision = test_case.decision;
    EXPECT_EQ(ClassifyEvent(record), test_case.expected)
        << test_case.action << " " << test_case.decision;
  }
}

TEST(EventClassTest, NamesRoundTrip) {
  for (const EventClass event_class : {EventClass::kSecurity, EventClass::kOperational}) {
    Result<EventClass> parsed = ParseEventClass(EventClassName(event_class));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, event_class);
  }
  EXPECT_FALSE(ParseEventClass("Security").ok());
  EXPECT_FALSE(ParseEventClass("").ok());
}

}  // namespace
}  // namespace custody::audit
