// Tests of group commit in Database::Write: concurrent calls share one transaction and one
// COMMIT, yet each caller gets its own result and none gets OK before the COMMIT returned.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "custody/store/database.h"
#include "custody/store/testing.h"

namespace custody::store {
namespace {

using Function = std::function<Status(Transaction&)>;

Options TestOptions() {
  Options options;
  options.migrations = {
      {1, "items",
       "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT UNIQUE, data BLOB);"
       "CREATE TABLE parents (id INTEGER PRIMARY KEY);"
       "CREATE TABLE children (id INTEGER PRIMARY KEY, parent INTEGER "
       "REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED);"},
  };
  return options;
}

Status InsertItem(Transaction& tx, const std::string& name) {
  return tx.Execute("INSERT INTO items (name) VALUES (?)", {name}).status();
}

Function InsertFunction(const std::string& name) {
  return [name](Transaction& tx) {
    return InsertItem(tx, name);
  };
}

int64_t CountItems(Database& db, const std::string& where = "1") {
  int64_t count = -1;
  Status status = db.Read([&](Transaction& tx) -> Status {
    CUSTODY_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*) FROM items WHERE " + where));
    count = row->Int64(0);
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  return count;
}

bool HasItem(Database& db, const std::string& name) {
  bool found = false;
  Status status = db.Read([&](Transaction& tx) -> Status {
    CUSTODY_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT 1 FROM items WHERE name = ?", {name}));
    found = row.has_value();
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  return found;
}

// Polls `condition` every millisecond until it is true, for at most 30 s. Returns whether it
// became true.
bool WaitFor(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Calls Write with each function on its own thread so that all of them meet in one batch, or
// in consecutive full batches when Options::group_commit_max_functions is smaller. The call of
// functions[0] keeps the writer connection until every other call waits for it. Returns the
// Status of each call, in the order of `functions`.
std::vector<Status> WriteConcurrently(Database& db, const std::vector<Function>& functions) {
  const auto others = static_cast<int64_t>(functions.size()) - 1;
  std::atomic<bool> holding{false};
  std::vector<Status> results(functions.size());
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    results[0] = db.Write([&](Transaction& tx) -> Status {
      holding = true;
      EXPECT_TRUE(WaitFor([&] { return db.write_stats().waiting_calls == others; }))
          << "only " << db.write_stats().waiting_calls << " of " << others << " calls waited";
      return functions[0](tx);
    });
  });
  EXPECT_TRUE(WaitFor([&] { return holding.load(); }));
  for (size_t i = 1; i < functions.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = db.Write(functions[i]); });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  return results;
}

TEST(GroupCommitTest, OneBatchSharesOneCommit) {
  TempDatabase temp(TestOptions());
  std::vector<Function> functions;
  for (int i = 0; i < 8; ++i) {
    functions.push_back(InsertFunction("item-" + std::to_string(i)));
  }
  const WriteStats before = temp.db().write_stats();

  const std::vector<Status> results = WriteConcurrently(temp.db(), functions);

  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_TRUE(results[i].ok()) << "call " << i << ": " << results[i].ToString();
  }
  const WriteStats after = temp.db().write_stats();
  EXPECT_EQ(after.functions - before.functions, 8);
  EXPECT_EQ(after.commits - before.commits, 1);
  EXPECT_EQ(after.max_batch_functions, 8);
  EXPECT_EQ(after.waiting_calls, 0);
  EXPECT_EQ(CountItems(temp.db()), 8);
}

TEST(GroupCommitTest, FailedFunctionRollsBackOnlyItself) {
  TempDatabase temp(TestOptions());
  ASSERT_TRUE(temp.db().Write(InsertFunction("taken")).ok());
  Status nested;
  const std::vector<Function> functions = {
      InsertFunction("ok-0"),
      [](Transaction& tx) -> Status {
        CUSTODY_RETURN_IF_ERROR(InsertItem(tx, "returns-error"));
        return InvalidArgument("stop here");
      },
      InsertFunction("ok-1"),
      [](Transaction& tx) -> Status {
        CUSTODY_RETURN_IF_ERROR(InsertItem(tx, "throws"));
        throw std::runtime_error("boom");
      },
      InsertFunction("taken"),
      [&](Transaction& tx) -> Status {
        nested = temp.db().Write(InsertFunction("nested-inner"));
        return InsertItem(tx, "nested-outer");
      },
      [](Transaction& tx) -> Status {
        CUSTODY_RETURN_IF_ERROR(InsertItem(tx, "dangling-child"));
        return tx.Execute("INSERT INTO children (id, parent) VALUES (1, 99)").status();
      },
      InsertFunction("ok-2"),
  };
  const WriteStats before = temp.db().write_stats();

  const std::vector<Status> results = WriteConcurrently(temp.db(), functions);

  EXPECT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_EQ(results[1].code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(results[1].message(), "stop here");
  EXPECT_TRUE(results[2].ok()) << results[2].ToString();
  EXPECT_EQ(results[3].code(), ErrorCode::kInternal);
  EXPECT_EQ(results[4].code(), ErrorCode::kConflict);
  EXPECT_TRUE(results[5].ok()) << results[5].ToString();
  EXPECT_EQ(nested.code(), ErrorCode::kInternal);
  EXPECT_EQ(results[6].code(), ErrorCode::kInternal);
  EXPECT_TRUE(results[7].ok()) << results[7].ToString();

  const WriteStats after = temp.db().write_stats();
  EXPECT_EQ(after.commits - before.commits, 1);
  EXPECT_EQ(after.functions - before.functions, 8);
  for (const char* name : {"ok-0", "ok-1", "ok-2", "nested-outer"}) {
    EXPECT_TRUE(HasItem(temp.db(), name)) << name;
  }
  for (const char* name : {"returns-error", "throws", "nested-inner", "dangling-child"}) {
    EXPECT_FALSE(HasItem(temp.db(), name)) << name;
  }
  EXPECT_EQ(CountItems(temp.db()), 5);
}

TEST(GroupCommitTest, InjectedCommitFailureFailsWholeBatch) {
  TempDatabase temp(TestOptions());
  std::atomic<int> runs{0};
  std::vector<Function> functions;
  for (int i = 0; i < 6; ++i) {
    functions.push_back([&runs, i](Transaction& tx) {
      ++runs;
      return InsertItem(tx, "item-" + std::to_string(i));
    });
  }
  functions.push_back([&runs](Transaction&) {
    ++runs;
    return FailedPrecondition("not this one");
  });
  temp.db().InjectFailureForTesting(InjectedFailure::kCommits);
  const WriteStats before = temp.db().write_stats();

  const std::vector<Status> results = WriteConcurrently(temp.db(), functions);

  for (size_t i = 0; i + 1 < results.size(); ++i) {
    EXPECT_EQ(results[i].code(), ErrorCode::kUnavailable) << "call " << i;
  }
  EXPECT_EQ(results.back().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(runs.load(), 7);
  const WriteStats after = temp.db().write_stats();
  EXPECT_EQ(after.commits, before.commits);
  EXPECT_EQ(after.max_batch_functions, 7);
  EXPECT_EQ(CountItems(temp.db()), 0);

  temp.db().InjectFailureForTesting(InjectedFailure::kNone);
  EXPECT_TRUE(temp.db().Write(InsertFunction("after")).ok());
  EXPECT_EQ(CountItems(temp.db()), 1);
}

// Limits the size of files that this process writes, so that SQLite's writes to the
// write-ahead log at COMMIT fail with EFBIG (SQLITE_FULL). Restores the limit when destroyed.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of a signal
    EXPECT_EQ(getrlimit(RLIMIT_FSIZE, &previous_), 0);
    rlimit limit = previous_;
    limit.rlim_cur = bytes;
    EXPECT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
  }

  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &previous_);
    std::signal(SIGXFSZ, previous_handler_);
  }

 private:
  rlimit previous_{};
  void (*previous_handler_)(int) = nullptr;
};

TEST(GroupCommitTest, FailedCommitFailsWholeBatch) {
  TempDatabase temp(TestOptions());
  ASSERT_TRUE(temp.db().Write(InsertFunction("before")).ok());
  std::vector<Function> functions;
  for (int i = 0; i < 5; ++i) {
    functions.push_back(InsertFunction("item-" + std::to_string(i)));
  }
  // 1 MiB fits in SQLite's page cache (cache_size -2000, about 2 MB, by default), so it stays
  // there until COMMIT writes it to the log.
  functions.push_back([](Transaction& tx) {
    return tx.Execute("INSERT INTO items (name, data) VALUES ('large', zeroblob(1048576))")
        .status();
  });
  const std::string wal_path = temp.path() + "-wal";
  ASSERT_TRUE(std::filesystem::exists(wal_path));
  const auto wal_size = static_cast<rlim_t>(std::filesystem::file_size(wal_path));
  const WriteStats before = temp.db().write_stats();

  std::vector<Status> results;
  {
    FileSizeLimit limit(wal_size + 64 * 1024);
    results = WriteConcurrently(temp.db(), functions);
  }

  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].code(), ErrorCode::kUnavailable)
        << "call " << i << ": " << results[i].ToString();
  }
  EXPECT_EQ(temp.db().write_stats().commits, before.commits);
  EXPECT_EQ(CountItems(temp.db()), 1);

  EXPECT_TRUE(temp.db().Write(InsertFunction("after")).ok());
  temp.Reopen(TestOptions());
  EXPECT_EQ(CountItems(temp.db()), 2);
}

// A statement whose pages spill from the cache to the log fails with SQLITE_FULL under the
// file size limit. Whether SQLite then rolls back only the statement or the whole shared
// transaction, exactly the callers that got OK must find their rows.
TEST(GroupCommitTest, StatementIoErrorKeepsResultsTrue) {
  TempDatabase temp(TestOptions());
  std::vector<Function> functions;
  for (int i = 0; i < 6; ++i) {
    functions.push_back(InsertFunction("item-" + std::to_string(i)));
  }
  functions.insert(functions.begin() + 3, [](Transaction& tx) {
    return tx.Execute("INSERT INTO items (name, data) VALUES ('large', zeroblob(8388608))")
        .status();
  });
  const auto wal_size = static_cast<rlim_t>(std::filesystem::file_size(temp.path() + "-wal"));

  std::vector<Status> results;
  {
    FileSizeLimit limit(wal_size + 64 * 1024);
    results = WriteConcurrently(temp.db(), functions);
  }

  EXPECT_EQ(results[3].code(), ErrorCode::kUnavailable) << results[3].ToString();
  EXPECT_FALSE(HasItem(temp.db(), "large"));
  for (size_t i = 0; i < results.size(); ++i) {
    if (i == 3) {
      continue;
    }
    const std::string name = "item-" + std::to_string(i < 3 ? i : i - 1);
    EXPECT_TRUE(results[i].ok() || results[i].code() == ErrorCode::kUnavailable)
        << "call " << i << ": " << results[i].ToString();
    EXPECT_EQ(HasItem(temp.db(), name), results[i].ok()) << name << ": " << results[i].ToString();
  }
  EXPECT_TRUE(temp.db().Write(InsertFunction("after")).ok());
}

TEST(GroupCommitTest, BatchSizeIsBounded) {
  Options options = TestOptions();
  options.group_commit_max_functions = 3;
  TempDatabase temp(options);
  std::vector<Function> functions;
  for (int i = 0; i < 9; ++i) {
    functions.push_back(InsertFunction("item-" + std::to_string(i)));
  }

  const std::vector<Status> results = WriteConcurrently(temp.db(), functions);

  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_TRUE(results[i].ok()) << "call " << i << ": " << results[i].ToString();
  }
  const WriteStats stats = temp.db().write_stats();
  EXPECT_EQ(stats.max_batch_functions, 3);
  EXPECT_EQ(stats.commits, 3);
  EXPECT_EQ(CountItems(temp.db()), 9);
}

TEST(GroupCommitTest, DisabledCommitsEachCall) {
  Options options = TestOptions();
  options.group_commit = false;
  TempDatabase temp(options);
  std::vector<Function> functions;
  for (int i = 0; i < 8; ++i) {
    functions.push_back(InsertFunction("item-" + std::to_string(i)));
  }

  const std::vector<Status> results = WriteConcurrently(temp.db(), functions);

  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_TRUE(results[i].ok()) << "call " << i << ": " << results[i].ToString();
  }
  const WriteStats stats = temp.db().write_stats();
  EXPECT_EQ(stats.functions, 8);
  EXPECT_EQ(stats.commits, 8);
  EXPECT_EQ(stats.max_batch_functions, 1);
  EXPECT_EQ(CountItems(temp.db()), 8);
}

TEST(GroupCommitTest, OpenRejectsEmptyBatch) {
  TempDatabase temp(TestOptions());
  Options options = TestOptions();
  options.group_commit_max_functions = 0;
  Result<std::unique_ptr<Database>> opened = Database::Open(temp.path(), options);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::kInvalidArgument);
}

TEST(GroupCommitTest, FunctionCannotEndSharedTransaction) {
  const std::vector<std::string> denied = {
      "COMMIT",
      "END",
      "ROLLBACK",
      "BEGIN",
      "SAVEPOINT custody_write_function",
      "RELEASE custody_write_function",
      "ROLLBACK TO custody_write_function",
      "release CUSTODY_WRITE_FUNCTION",
  };
  TempDatabase temp(TestOptions());
  for (const std::string& sql : denied) {
    Status status = temp.db().Write([&](Transaction& tx) -> Status {
      CUSTODY_RETURN_IF_ERROR(InsertItem(tx, "before " + sql));
      return tx.Execute(sql).status();
    });
    EXPECT_EQ(status.code(), ErrorCode::kInternal) << sql;
    Status read = temp.db().Read([&](Transaction& tx) { return tx.Execute(sql).status(); });
    EXPECT_EQ(read.code(), ErrorCode::kInternal) << sql;
  }
  EXPECT_EQ(CountItems(temp.db()), 0);
  EXPECT_TRUE(temp.db().Write(InsertFunction("after")).ok());
  EXPECT_EQ(CountItems(temp.db()), 1);
}

TEST(GroupCommitTest, FunctionMayUseOwnSavepoints) {
  TempDatabase temp(TestOptions());
  Status status = temp.db().Write([](Transaction& tx) -> Status {
    CUSTODY_RETURN_IF_ERROR(tx.Execute("SAVEPOINT mine").status());
    CUSTODY_RETURN_IF_ERROR(InsertItem(tx, "undone"));
    CUSTODY_RETURN_IF_ERROR(tx.Execute("ROLLBACK TO mine").status());
    CUSTODY_RETURN_IF_ERROR(InsertItem(tx, "kept"));
    return tx.Execute("RELEASE mine").status();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_TRUE(HasItem(temp.db(), "kept"));
  EXPECT_FALSE(HasItem(temp.db(), "undone"));
}

// Many writers at once, some of whose functions fail, with each function slow enough that
// the others queue behind it.
TEST(GroupCommitTest, ConcurrentWritersStress) {
  TempDatabase temp(TestOptions());
  constexpr int kThreads = 16;
  constexpr int kWritesPerThread = 25;
  std::atomic<int> unexpected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        const std::string name = std::to_string(t) + "-" + std::to_string(i);
        const bool fails = i % 5 == 4;
        Status status = temp.db().Write([&](Transaction& tx) -> Status {
          CUSTODY_RETURN_IF_ERROR(InsertItem(tx, name));
          std::this_thread::sleep_for(std::chrono::microseconds(200));
          return fails ? InvalidArgument("fails on purpose") : Status::Ok();
        });
        const bool as_expected = fails ? status.code() == ErrorCode::kInvalidArgument : status.ok();
        if (!as_expected) {
          ++unexpected;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }

  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_EQ(CountItems(temp.db()), kThreads * kWritesPerThread * 4 / 5);
  EXPECT_EQ(CountItems(temp.db(),
                       "name LIKE '%-4' OR name LIKE '%-9' OR name LIKE '%-14' OR "
                       "name LIKE '%-19' OR name LIKE '%-24'"),
            0);
  const WriteStats stats = temp.db().write_stats();
  EXPECT_EQ(stats.functions, kThreads * kWritesPerThread);
  EXPECT_LT(stats.commits, stats.functions);
  EXPECT_GT(stats.max_batch_functions, 1);
  EXPECT_LE(stats.max_batch_functions, 64);
  EXPECT_EQ(stats.waiting_calls, 0);

  temp.Reopen(TestOptions());
  EXPECT_EQ(CountItems(temp.db()), kThreads * kWritesPerThread * 4 / 5);
}

// Writes `name` and a newline to `fd` in one write(2). A pipe never interleaves writes of at
// most PIPE_BUF bytes.
void Acknowledge(int fd, const std::string& name) {
  const std::string line = name + "\n";
  if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    _exit(3);
  }
}

// Runs in a forked child until it is killed: 8 threads insert items and report each name on
// `ack_fd` after Write returned OK for it.
[[noreturn]] void WriteUntilKilled(const std::string& path, int round, int ack_fd) {
  Result<std::unique_ptr<Database>> opened = Database::Open(path, TestOptions());
  if (!opened.ok()) {
    _exit(2);
  }
  Database& db = **opened;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&db, round, ack_fd, t] {
      for (int i = 0;; ++i) {
        const std::string name =
            std::to_string(round) + "-" + std::to_string(t) + "-" + std::to_string(i);
        if (db.Write(InsertFunction(name)).ok()) {
          Acknowledge(ack_fd, name);
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  _exit(0);
}

// SIGKILL at a random moment of concurrent writes: every write that a caller saw succeed is in
// the database afterwards. SIGKILL keeps the operating system's page cache, so this checks that
// OK comes only after COMMIT, not that the sync reached the disk.
TEST(GroupCommitTest, AcknowledgedWritesSurviveKill) {
  TempDatabase temp(TestOptions());
  const std::string path = temp.directory() + "/killed.db";
  std::mt19937 random(std::random_device{}());
  int64_t acknowledged_total = 0;
  for (int round = 0; round < 8; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      WriteUntilKilled(path, round, fds[1]);
    }
    close(fds[1]);

    FILE* acks = fdopen(fds[0], "r");
    ASSERT_NE(acks, nullptr);
    const int kill_after = std::uniform_int_distribution<int>(1, 300)(random);
    std::vector<std::string> names;
    char* line = nullptr;
    size_t capacity = 0;
    ssize_t length = 0;
    while ((length = getline(&line, &capacity, acks)) > 0) {
      names.emplace_back(line, static_cast<size_t>(length - 1));
      if (names.size() == static_cast<size_t>(kill_after)) {
        kill(child, SIGKILL);
      }
    }
    free(line);
    fclose(acks);
    int wait_status = 0;
    ASSERT_EQ(waitpid(child, &wait_status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(wait_status)) << "child exited with status " << wait_status;

    Result<std::unique_ptr<Database>> reopened = Database::Open(path, TestOptions());
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    for (const std::string& name : names) {
      EXPECT_TRUE(HasItem(**reopened, name)) << "round " << round << ": " << name;
    }
    acknowledged_total += static_cast<int64_t>(names.size());
  }
  EXPECT_GE(acknowledged_total, 8);
}

}  // namespace
}  // namespace custody::store
