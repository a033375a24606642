#include "custody/store/database.h"

#include <atomic>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "custody/store/testing.h"

namespace custody::store {
namespace {

// A schema of its own keeps these tests independent of the Custody tables.
Options TestOptions() {
  Options options;
  options.migrations = {
      {1, "items",
       "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT UNIQUE, data BLOB, "
       "note TEXT); CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER);"},
      {2, "frozen",
       "CREATE TABLE frozen (id INTEGER PRIMARY KEY, value TEXT);"
       "INSERT INTO frozen VALUES (1, 'first');"
       "CREATE TABLE kept (id INTEGER PRIMARY KEY, value TEXT);"
       "INSERT INTO kept VALUES (1, 'first');"},
  };
  options.immutable_tables = {"frozen"};
  options.undeletable_tables = {"kept"};
  options.busy_timeout = std::chrono::milliseconds(50);
  options.busy_retries = 1;
  return options;
}

// A plain connection without the authorizer, standing in for another process.
class RawConnection {
 public:
  explicit RawConnection(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
  }

  ~RawConnection() { sqlite3_close(db_); }

  int Exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }

  std::string QueryText(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    std::string text;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      const auto* value = sqlite3_column_text(statement, 0);
      text = value != nullptr ? reinterpret_cast<const char*>(value) : "";
    }
    sqlite3_finalize(statement);
    return text;
  }

 private:
  sqlite3* db_ = nullptr;
};

int64_t CountItems(Database& db) {
  int64_t count = -1;
  Status status = db.Read([&](Transaction& tx) -> Status {
    CUSTODY_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*) FROM items"));
    count = row->Int64(0);
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  return count;
}

Status InsertItem(Transaction& tx, std::string_view name) {
  return tx.Execute("INSERT INTO items (name) VALUES (?)", {name}).status();
}

TEST(DatabaseTest, OpenAppliesMigrationsInOrder) {
  TempDatabase temp(TestOptions());
  EXPECT_EQ(temp.db().schema_version(), 2);

  RawConnection raw(temp.path());
  EXPECT_EQ(raw.QueryText("SELECT group_concat(version || ':' || name, ',') FROM "
                          "(SELECT * FROM schema_migrations ORDER BY version)"),
            "1:items,2:frozen");
  EXPECT_EQ(raw.QueryText("PRAGMA journal_mode"), "wal");
}

TEST(DatabaseTest, OpenFailsInMissingDirectory) {
  TempDatabase temp(TestOptions());
  auto opened = Database::Open(temp.directory() + "/missing/custody.db", TestOptions());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::kUnavailable);
}

TEST(DatabaseTest, ReopenAppliesNothingTwice) {
  TempDatabase temp(TestOptions());
  temp.Reopen(TestOptions());
  EXPECT_EQ(temp.db().schema_version(), 2);
  RawConnection raw(temp.path());
  EXPECT_EQ(raw.QueryText("SELECT COUNT(*) FROM frozen"), "1");
}

TEST(DatabaseTest, ReopenAppliesOnlyNewMigrations) {
  Options first = TestOptions();
  first.migrations.resize(1);
  TempDatabase temp(first);
  EXPECT_EQ(temp.db().schema_version(), 1);
  temp.Reopen(TestOptions());
  EXPECT_EQ(temp.db().schema_version(), 2);
}

TEST(DatabaseTest, OpenRejectsNewerSchema) {
  TempDatabase temp(TestOptions());
  Options older = TestOptions();
  older.migrations.resize(1);
  auto opened = Database::Open(temp.path(), older);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::kFailedPrecondition);
}

TEST(DatabaseTest, OpenRejectsVersionGap) {
  TempDatabase temp(TestOptions());
  Options gap = TestOptions();
  gap.migrations.push_back({4, "skips three", "CREATE TABLE x (id INTEGER);"});
  auto opened = Database::Open(temp.path(), gap);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::kInternal);
}

TEST(DatabaseTest, FailedMigrationLeavesNoTrace) {
  TempDatabase temp(TestOptions());
  Options broken = TestOptions();
  broken.migrations.push_back(
      {3, "half broken", "CREATE TABLE added (id INTEGER); CREATE TABLE oops (;"});
  ASSERT_FALSE(Database::Open(temp.path(), broken).ok());

  RawConnection raw(temp.path());
  EXPECT_EQ(raw.QueryText("SELECT MAX(version) FROM schema_migrations"), "2");
  EXPECT_EQ(raw.QueryText("SELECT COUNT(*) FROM sqlite_master WHERE name = 'added'"), "0");
}

TEST(DatabaseTest, WriteCommitsOnOk) {
  TempDatabase temp(TestOptions());
  ASSERT_TRUE(temp.db().Write([](Transaction& tx) { return InsertItem(tx, "a"); }).ok());
  EXPECT_EQ(CountItems(temp.db()), 1);
}

TEST(DatabaseTest, WriteRollsBackOnError) {
  TempDatabase temp(TestOptions());
  Status status = temp.db().Write([](Transaction& tx) -> Status {
    CUSTODY_RETURN_IF_ERROR(InsertItem(tx, "a"));
    return InvalidArgument("stop here");
  });
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "stop here");
  EXPECT_EQ(CountItems(temp.db()), 0);
}

TEST(DatabaseTest, WriteRollsBackOnException) {
  TempDatabase temp(TestOptions());
  Status status = temp.db().Write([](Transaction& tx) -> Status {
    CUSTODY_RETURN_IF_ERROR(InsertItem(tx, "a"));
    throw std::runtime_error("boom");
  });
  EXPECT_EQ(status.code(), ErrorCode::kInternal);
  EXPECT_EQ(CountItems(temp.db()), 0);
  // The writer connection is usable again.
  EXPECT_TRUE(temp.db().Write([](Transaction& tx) { return InsertItem(tx, "b"); }).ok());
  EXPECT_EQ(CountItems(temp.db()), 1);
}

TEST(DatabaseTest, UnresolvedForeignKeyKeepsNothing) {
  Options options = TestOptions();
  options.migrations.push_back({3, "deferred",
                                "CREATE TABLE parents (id INTEGER PRIMARY KEY);"
                                "CREATE TABLE children (id INTEGER PRIMARY KEY, parent INTEGER "
                                "REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED);"});
  TempDatabase temp(options);
  // The statement succeeds because the foreign key is deferred; Write checks it afterwards.
  Status status = temp.db().Write([](Transaction& tx) -> Status {
    CUSTODY_RETURN_IF_ERROR(InsertItem(tx, "a"));
    return tx.Execute("INSERT INTO children (id, parent) VALUES (1, 99)").status();
  });
  EXPECT_EQ(status.code(), ErrorCode::kInternal);
  EXPECT_EQ(CountItems(temp.db()), 0);
  EXPECT_TRUE(temp.db().Write([](Transaction& tx) { return InsertItem(tx, "b"); }).ok());
}

TEST(DatabaseTest, TypedParamsRoundTrip) {
  TempDatabase temp(TestOptions());
  const std::string binary("\x00\x01\xff payload", 11);
  ASSERT_TRUE(temp.db()
                  .Write([&](Transaction& tx) -> Status {
                    std::optional<std::string> absent;
                    CUSTODY_RETURN_IF_ERROR(
                        tx.Execute("INSERT INTO items (id, name, data, note) VALUES (?, ?, ?, ?)",
                                   {int64_t{1} << 40, "one", Blob{binary}, absent})
                            .status());
                    std::optional<std::string> present = "note";
                    return tx
                        .Execute("INSERT INTO items (id, name, data, note) VALUES (?, ?, ?, ?)",
                                 {2, std::string("two"), Blob{""}, present})
                        .status();
                  })
                  .ok());

  Status status = temp.db().Read([&](Transaction& tx) -> Status {
    CUSTODY_ASSIGN_OR_RETURN(auto rows,
                             tx.Query("SELECT id, name, data, note FROM items ORDER BY id DESC"));
    EXPECT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].Int64(0), int64_t{1} << 40);
    EXPECT_EQ(rows[0].Text(1), "one");
    EXPECT_EQ(rows[0].Bytes(2), binary);
    EXPECT_TRUE(rows[0].IsNull(3));
    EXPECT_EQ(rows[0].OptionalText(3), std::nullopt);
    EXPECT_EQ(rows[1].Int64(0), 2);
    EXPECT_EQ(rows[1].Bytes(2), "");
    EXPECT_FALSE(rows[1].IsNull(2));
    EXPECT_EQ(rows[1].OptionalText(3), "note");
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
}

TEST(DatabaseTest, ParameterTextIsNeverSql) {
  TempDatabase temp(TestOptions());
  const std::string hostile = "x'); DROP TABLE items; --";
  ASSERT_TRUE(temp.db().Write([&](Transaction& tx) { return InsertItem(tx, hostile); }).ok());
  Status status = temp.db().Read([&](Transaction& tx) -> Status {
    CUSTODY_ASSIGN_OR_RETURN(auto row,
                             tx.QueryOne("SELECT name FROM items WHERE name = ?", {hostile}));
    EXPECT_TRUE(row.has_value());
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
}

TEST(DatabaseTest, ParameterCountMustMatch) {
  TempDatabase temp(TestOptions());
  Status status = temp.db().Write([](Transaction& tx) {
    return tx.Execute("INSERT INTO items (name, note) VALUES (?, ?)", {"only one"}).status();
  });
  EXPECT_EQ(status.code(), ErrorCode::kInternal);
}

TEST(DatabaseTest, OneStatementPerCall) {
  TempDatabase temp(TestOptions());
  Status status = temp.db().Write([](Transaction& tx) {
    return tx.Execute("INSERT INTO items (name) VALUES ('a'); DELETE FROM items").status();
  });
  EXPECT_EQ(status.code(), ErrorCode::kInternal);
  EXPECT_EQ(CountItems(temp.db()), 0);
}

TEST(DatabaseTest, UniqueViolationIsConflict) {
  TempDatabase temp(TestOptions());
  Status status = temp.db().Write([](Transaction& tx) -> Status {
    CUSTODY_RETURN_IF_ERROR(InsertItem(tx, "same"));
    return InsertItem(tx, "same");
  });
  EXPECT_EQ(status.code(), ErrorCode::kConflict);
}

TEST(DatabaseTest, QueryOneRejectsSeveralRows) {
  TempDatabase temp(TestOptions());
  Status status = temp.db().Write([](Transaction& tx) -> Status {
    CUSTODY_RETURN_IF_ERROR(InsertItem(tx, "a"));
    CUSTODY_RETURN_IF_ERROR(InsertItem(tx, "b"));
    return tx.QueryOne("SELECT name FROM items").status();
  });
  EXPECT_EQ(status.code(), ErrorCode::kInternal);
}

TEST(DatabaseTest, ReadRejectsWrites) {
  TempDatabase temp(TestOptions());
  Status status = temp.db().Read([](Transaction& tx) {
    EXPECT_TRUE(tx.read_only());
    return InsertItem(tx, "a");
  });
  EXPECT_EQ(status.code(), ErrorCode::kInternal);
  EXPECT_EQ(CountItems(temp.db()), 0);
}

TEST(DatabaseTest, NestedTransactionIsAnError) {
  TempDatabase temp(TestOptions());
  Status inner;
  Status outer = temp.db().Write([&](Transaction&) {
    inner = temp.db().Read([](Transaction&) { return Status::Ok(); });
    return Status::Ok();
  });
  EXPECT_TRUE(outer.ok());
  EXPECT_EQ(inner.code(), ErrorCode::kInternal);
}

TEST(DatabaseTest, ReturningHelpersCarryValue) {
  TempDatabase temp(TestOptions());
  Result<int64_t> changed = WriteReturning<int64_t>(temp.db(), [](Transaction& tx) {
    return tx.Execute("INSERT INTO items (name) VALUES (?), (?)", {"a", "b"});
  });
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(*changed, 2);
  Result<std::string> name =
      ReadReturning<std::string>(temp.db(), [](Transaction& tx) -> Result<std::string> {
        CUSTODY_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT MIN(name) FROM items"));
        return row->Text(0);
      });
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(*name, "a");
}

// Each statement here must be refused by the authorizer of the application connections.
TEST(DatabaseTest, AuthorizerDeniesSchemaAndProtectedChanges) {
  TempDatabase temp(TestOptions());
  const char* denied[] = {
      "CREATE TABLE extra (id INTEGER)",
      "CREATE INDEX items_by_note ON items (note)",
      "CREATE TRIGGER t AFTER INSERT ON items BEGIN SELECT 1; END",
      "CREATE VIEW v AS SELECT * FROM items",
      "CREATE TEMP TABLE scratch (id INTEGER)",
      "DROP TABLE items",
      "DROP TABLE frozen",
      "ALTER TABLE items ADD COLUMN extra TEXT",
      "ALTER TABLE items RENAME TO things",
      "PRAGMA foreign_keys=OFF",
      "PRAGMA recursive_triggers=OFF",
      "PRAGMA writable_schema=ON",
      "ATTACH DATABASE ':memory:' AS other",
      "ANALYZE",
      "REINDEX",
      "VACUUM",
      "UPDATE frozen SET value = 'changed'",
      "DELETE FROM frozen",
      "DELETE FROM kept",
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9, 'x', 0)",
      "DELETE FROM schema_migrations",
      "UPDATE schema_migrations SET name = 'x'",
  };
  for (const char* sql : denied) {
    Status status = temp.db().Write([&](Transaction& tx) { return tx.Execute(sql).status(); });
    EXPECT_FALSE(status.ok()) << sql;
    EXPECT_NE(status.code(), ErrorCode::kUnavailable) << sql << ": " << status.ToString();
  }

  RawConnection raw(temp.path());
  EXPECT_EQ(raw.QueryText("SELECT value FROM frozen WHERE id = 1"), "first");
  EXPECT_EQ(raw.QueryText("SELECT COUNT(*) FROM kept"), "1");
  EXPECT_EQ(raw.QueryText("SELECT COUNT(*) FROM schema_migrations"), "2");
  EXPECT_EQ(raw.QueryText("SELECT COUNT(*) FROM sqlite_master WHERE name = 'items'"), "1");
}

TEST(DatabaseTest, AuthorizerAllowsUpdateOfUndeletableTable) {
  TempDatabase temp(TestOptions());
  Status status = temp.db().Write([](Transaction& tx) {
    return tx.Execute("UPDATE kept SET value = ? WHERE id = 1", {"second"}).status();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
}

TEST(DatabaseTest, ReadConnectionsAreGuardedToo) {
  TempDatabase temp(TestOptions());
  Status status =
      temp.db().Read([](Transaction& tx) { return tx.Execute("PRAGMA query_only=OFF").status(); });
  EXPECT_FALSE(status.ok());
}

TEST(DatabaseTest, InjectedWriteFailureRunsNothing) {
  TempDatabase temp(TestOptions());
  temp.db().InjectFailureForTesting(InjectedFailure::kWrites);
  bool ran = false;
  Status status = temp.db().Write([&](Transaction& tx) {
    ran = true;
    return InsertItem(tx, "a");
  });
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable);
  EXPECT_FALSE(ran);
  EXPECT_EQ(CountItems(temp.db()), 0);  // reads still work

  temp.db().InjectFailureForTesting(InjectedFailure::kNone);
  EXPECT_TRUE(temp.db().Write([](Transaction& tx) { return InsertItem(tx, "a"); }).ok());
}

TEST(DatabaseTest, InjectedCommitFailureKeepsNothing) {
  TempDatabase temp(TestOptions());
  temp.db().InjectFailureForTesting(InjectedFailure::kCommits);
  bool ran = false;
  Status status = temp.db().Write([&](Transaction& tx) {
    ran = true;
    return InsertItem(tx, "a");
  });
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(ran);
  EXPECT_EQ(CountItems(temp.db()), 0);
}

TEST(DatabaseTest, InjectedFailureOfAllStopsReads) {
  TempDatabase temp(TestOptions());
  temp.db().InjectFailureForTesting(InjectedFailure::kAll);
  Status status = temp.db().Read([](Transaction&) { return Status::Ok(); });
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable);
}

TEST(DatabaseTest, WriteLockHeldElsewhereIsUnavailable) {
  TempDatabase temp(TestOptions());
  RawConnection other(temp.path());
  ASSERT_EQ(other.Exec("BEGIN IMMEDIATE"), SQLITE_OK);

  bool ran = false;
  Status status = temp.db().Write([&](Transaction& tx) {
    ran = true;
    return InsertItem(tx, "a");
  });
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable);
  EXPECT_FALSE(ran);

  ASSERT_EQ(other.Exec("COMMIT"), SQLITE_OK);
  EXPECT_TRUE(temp.db().Write([](Transaction& tx) { return InsertItem(tx, "a"); }).ok());
}

TEST(DatabaseTest, ConcurrentWritesAndReads) {
  TempDatabase temp(TestOptions());
  ASSERT_TRUE(
      temp.db()
          .Write([](Transaction& tx) {
            return tx.Execute("INSERT INTO counters (name, value) VALUES ('n', 0)").status();
          })
          .ok());

  constexpr int kThreads = 4;
  constexpr int kIncrements = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        Status write = temp.db().Write([](Transaction& tx) -> Status {
          CUSTODY_ASSIGN_OR_RETURN(auto row,
                                   tx.QueryOne("SELECT value FROM counters WHERE name = 'n'"));
          return tx.Execute("UPDATE counters SET value = ? WHERE name = 'n'", {row->Int64(0) + 1})
              .status();
        });
        Status read = temp.db().Read([](Transaction& tx) {
          return tx.QueryOne("SELECT value FROM counters WHERE name = 'n'").status();
        });
        if (!write.ok() || !read.ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures.load(), 0);

  RawConnection raw(temp.path());
  EXPECT_EQ(raw.QueryText("SELECT value FROM counters WHERE name = 'n'"),
            std::to_string(kThreads * kIncrements));
}

TEST(DatabaseTest, TimesAreMicroseconds) {
  const SystemTime time = FromUnixMicros(1'700'000'000'123'456);
  EXPECT_EQ(ToUnixMicros(time), 1'700'000'000'123'456);
  EXPECT_EQ(ToUnixSeconds(time), 1'700'000'000);
}

}  // namespace
}  // namespace custody::store
