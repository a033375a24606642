// The SQLite backend of Database.
//
// Connections: one privileged connection applies the migrations and closes; then one writer
// connection (used under writer_mutex_, so writes are serialized in this process, and BEGIN
// IMMEDIATE serializes them against other processes) and a pool of query_only reader
// connections open. WAL mode lets the readers run while the writer commits. Every connection is
// used by one thread at a time, so SQLite's own per-connection mutex is turned off.
//
// Group commit: a Write call that finds a write transaction open (a batch) runs its function
// in that transaction, inside a SAVEPOINT. After its function, a call hands the writer
// connection to the next waiting call, or, when none is waiting or the batch is full, runs the
// COMMIT and publishes its result to the callers that wait for it. So one sync of the log
// makes the changes of many requests durable, and every function still runs on its caller's
// thread.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include "custody/common/log.h"
#include "custody/store/database.h"
#include "custody/store/schema.h"

namespace custody::store {
namespace {

// Cached statements per connection. The modules' SQL is a fixed set of literals, so the limit
// is only a guard against a caller that builds SQL text dynamically.
constexpr size_t kMaxCachedStatements = 512;

Status StatusFromSqlite(sqlite3* db, int rc, std::string_view context) {
  std::string message(context);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const int extended = db != nullptr ? sqlite3_extended_errcode(db) : rc;
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Conflict(std::move(message));
      }
      return Internal(std::move(message));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
      return Unavailable(std::move(message));
    default:
      return Internal(std::move(message));
  }
}

// What the authorizer of an application connection denies, besides schema changes.
struct AccessRules {
  std::set<std::string, std::less<>> immutable_tables;    // no UPDATE, no DELETE
  std::set<std::string, std::less<>> undeletable_tables;  // no DELETE
};

// The authorizer state of one application connection.
struct AuthorizerContext {
  const AccessRules* rules = nullptr;
  // True while a transaction function runs. The function may then neither end the transaction
  // (which other Write calls share) nor touch the savepoint that Write wraps it in.
  bool function_running = false;
};

constexpr std::string_view kMigrationsTable = "schema_migrations";

// The SAVEPOINT around each function of a batch. Savepoint names are case-insensitive.
constexpr std::string_view kFunctionSavepoint = "custody_write_function";

bool EqualsIgnoringAsciiCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// sqlite3_set_authorizer callback. Allows only the data-manipulation actions the application
// needs; CREATE, DROP, ALTER, PRAGMA, ATTACH, ANALYZE, REINDEX and virtual tables are denied,
// so the schema can change only through a migration.
int AuthorizeStatement(void* user_data, int action, const char* first, const char* second,
                       const char* /*database*/, const char* /*trigger_or_view*/) {
  const auto* context = static_cast<const AuthorizerContext*>(user_data);
  const AccessRules* rules = context->rules;
  const std::string_view table = first != nullptr ? first : "";
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_TRANSACTION:  // BEGIN, COMMIT, END and ROLLBACK without TO
      return context->function_running ? SQLITE_DENY : SQLITE_OK;
    case SQLITE_SAVEPOINT: {  // `second` is the savepoint name
      const std::string_view name = second != nullptr ? second : "";
      if (context->function_running && EqualsIgnoringAsciiCase(name, kFunctionSavepoint)) {
        return SQLITE_DENY;
      }
      return SQLITE_OK;
    }
    case SQLITE_INSERT:
      return table == kMigrationsTable ? SQLITE_DENY : SQLITE_OK;
    case SQLITE_UPDATE:
      if (table == kMigrationsTable || rules->immutable_tables.contains(table)) {
        return SQLITE_DENY;
      }
      return SQLITE_OK;
    case SQLITE_DELETE:
      if (table == kMigrationsTable || rules->immutable_tables.contains(table) ||
          rules->undeletable_tables.contains(table)) {
        return SQLITE_DENY;
      }
      return SQLITE_OK;
    default:
      return SQLITE_DENY;
  }
}

class Connection {
 public:
  enum class Kind {
    kMigrations,
    kWriter,
    kReader
  };

  Connection(sqlite3* db, Kind kind) : db_(db), kind_(kind) {}

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  ~Connection() {
    for (auto& [sql, statement] : statements_) {
      sqlite3_finalize(statement);
    }
    sqlite3_close_v2(db_);
  }

  sqlite3* db() const { return db_; }

  Kind kind() const { return kind_; }

  // The user data of this connection's authorizer; its address stays valid while the
  // connection is open.
  AuthorizerContext& authorizer() { return authorizer_; }

  // Runs SQL text that may hold several statements and binds nothing: pragmas, BEGIN, COMMIT
  // and migration scripts only.
  Status ExecScript(const std::string& sql, std::string_view context) {
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      return StatusFromSqlite(db_, rc, context);
    }
    return Status::Ok();
  }

  // Returns the cached statement for `sql`, preparing it on first use.
  Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    auto found = statements_.find(std::string(sql));
    if (found != statements_.end()) {
      return found->second;
    }
    if (statements_.size() >= kMaxCachedStatements) {
      log::Warn("statement cache of a database connection is full; clearing it",
                {{"statements", statements_.size()}});
      for (auto& [text, statement] : statements_) {
        sqlite3_finalize(statement);
      }
      statements_.clear();
    }
    sqlite3_stmt* statement = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &statement, &tail);
    if (rc != SQLITE_OK) {
      return StatusFromSqlite(db_, rc, "preparing SQL statement failed");
    }
    if (statement == nullptr) {
      return Internal("SQL text contains no statement");
    }
    const std::string_view rest(tail, static_cast<size_t>(sql.data() + sql.size() - tail));
    if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
      sqlite3_finalize(statement);
      return Internal("SQL text contains more than one statement");
    }
    statements_.emplace(std::string(sql), statement);
    return statement;
  }

 private:
  sqlite3* db_;
  Kind kind_;
  AuthorizerContext authorizer_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

// Marks a connection's transaction function as running, for the authorizer.
class FunctionRunningMark {
 public:
  explicit FunctionRunningMark(Connection& connection) : connection_(connection) {
    connection_.authorizer().function_running = true;
  }

  FunctionRunningMark(const FunctionRunningMark&) = delete;
  FunctionRunningMark& operator=(const FunctionRunningMark&) = delete;

  ~FunctionRunningMark() { connection_.authorizer().function_running = false; }

 private:
  Connection& connection_;
};

// Resets a cached statement when a call is done with it, whatever the outcome.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* statement) : statement_(statement) {}

  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;

  ~StatementUse() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }

 private:
  sqlite3_stmt* statement_;
};

Status BindParams(sqlite3* db, sqlite3_stmt* statement, std::span<const Param> params) {
  const int expected = sqlite3_bind_parameter_count(statement);
  if (expected != static_cast<int>(params.size())) {
    return Internal("SQL statement has " + std::to_string(expected) + " parameters but " +
                    std::to_string(params.size()) + " values were bound");
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    const Param::Value& value = params[i].value();
    int rc = SQLITE_OK;
    if (const auto* integer = std::get_if<int64_t>(&value)) {
      rc = sqlite3_bind_int64(statement, index, *integer);
    } else if (const auto* text = std::get_if<std::string>(&value)) {
      rc = sqlite3_bind_text64(statement, index, text->data(), text->size(), SQLITE_STATIC,
                               SQLITE_UTF8);
    } else if (const auto* blob = std::get_if<Blob>(&value)) {
      // A zero-length blob needs a non-null pointer, or SQLite binds NULL.
      static const char kEmpty = 0;
      const char* data = blob->bytes.empty() ? &kEmpty : blob->bytes.data();
      rc = sqlite3_bind_blob64(statement, index, data, blob->bytes.size(), SQLITE_STATIC);
    } else {
      rc = sqlite3_bind_null(statement, index);
    }
    if (rc != SQLITE_OK) {
      return StatusFromSqlite(db, rc, "binding SQL parameter failed");
    }
  }
  return Status::Ok();
}

Row ReadRow(sqlite3_stmt* statement) {
  const int count = sqlite3_column_count(statement);
  std::vector<Row::Value> values;
  values.reserve(static_cast<size_t>(count));
  for (int column = 0; column < count; ++column) {
    switch (sqlite3_column_type(statement, column)) {
      case SQLITE_INTEGER:
        values.emplace_back(static_cast<int64_t>(sqlite3_column_int64(statement, column)));
        break;
      case SQLITE_FLOAT:
        values.emplace_back(sqlite3_column_double(statement, column));
        break;
      case SQLITE_TEXT: {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
        const int size = sqlite3_column_bytes(statement, column);
        values.emplace_back(std::string(text, static_cast<size_t>(size)));
        break;
      }
      case SQLITE_BLOB: {
        const auto* data = static_cast<const char*>(sqlite3_column_blob(statement, column));
        const int size = sqlite3_column_bytes(statement, column);
        values.emplace_back(
            Blob{data != nullptr ? std::string(data, static_cast<size_t>(size)) : std::string()});
        break;
      }
      default:
        values.emplace_back(Null{});
        break;
    }
  }
  return Row(std::move(values));
}

class SqliteTransaction final : public Transaction {
 public:
  explicit SqliteTransaction(Connection& connection) : connection_(connection) {}

  bool read_only() const override { return connection_.kind() == Connection::Kind::kReader; }

 protected:
  Result<int64_t> ExecuteImpl(std::string_view sql, std::span<const Param> params) override {
    CUSTODY_RETURN_IF_ERROR(Run(sql, params, nullptr));
    return static_cast<int64_t>(sqlite3_changes64(connection_.db()));
  }

  Result<std::vector<Row>> QueryImpl(std::string_view sql, std::span<const Param> params) override {
    std::vector<Row> rows;
    CUSTODY_RETURN_IF_ERROR(Run(sql, params, &rows));
    return rows;
  }

 private:
  Status Run(std::string_view sql, std::span<const Param> params, std::vector<Row>* rows) {
    CUSTODY_ASSIGN_OR_RETURN(sqlite3_stmt * statement, connection_.Prepare(sql));
    StatementUse use(statement);
    if (read_only() && sqlite3_stmt_readonly(statement) == 0) {
      return Internal("a read transaction cannot run a statement that writes");
    }
    CUSTODY_RETURN_IF_ERROR(BindParams(connection_.db(), statement, params));
    while (true) {
      const int rc = sqlite3_step(statement);
      if (rc == SQLITE_DONE) {
        return Status::Ok();
      }
      if (rc != SQLITE_ROW) {
        return StatusFromSqlite(connection_.db(), rc, "SQL statement failed");
      }
      if (rows != nullptr) {
        rows->push_back(ReadRow(statement));
      }
    }
  }

  Connection& connection_;
};

Result<std::unique_ptr<Connection>> OpenConnection(const std::string& path, Connection::Kind kind,
                                                   const Options& options) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (kind == Connection::Kind::kMigrations) {
    flags |= SQLITE_OPEN_CREATE;
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  auto connection = std::make_unique<Connection>(db, kind);
  if (rc != SQLITE_OK) {
    return StatusFromSqlite(db, rc, "opening database " + path + " failed");
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);

  // WAL lets readers run during a write; synchronous=FULL makes every acknowledged commit
  // survive a power loss, which the audit log needs (NORMAL may lose the last commits).
  std::string pragmas =
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
      "PRAGMA recursive_triggers=ON;";
  if (kind == Connection::Kind::kReader) {
    pragmas += " PRAGMA query_only=ON;";
  }
  CUSTODY_RETURN_IF_ERROR(connection->ExecScript(pragmas, "configuring database connection"));
  return connection;
}

Result<int> ReadSchemaVersion(Connection& connection) {
  SqliteTransaction tx(connection);
  CUSTODY_ASSIGN_OR_RETURN(std::optional<Row> row,
                           tx.QueryOne("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  return static_cast<int>(row->Int64(0));
}

Status ValidateMigrations(const std::vector<Migration>& migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return Internal("migration " + migrations[i].name + " has version " +
                      std::to_string(migrations[i].version) + ", expected " +
                      std::to_string(i + 1));
    }
  }
  return Status::Ok();
}

// Applies each pending migration in its own transaction and records it. BEGIN IMMEDIATE and
// the version read inside it stop two processes from applying the same migration.
Result<int> ApplyMigrations(Connection& connection, const std::vector<Migration>& migrations) {
  CUSTODY_RETURN_IF_ERROR(ValidateMigrations(migrations));
  CUSTODY_RETURN_IF_ERROR(
      connection.ExecScript("CREATE TABLE IF NOT EXISTS schema_migrations ("
                            " version INTEGER PRIMARY KEY,"
                            " name TEXT NOT NULL,"
                            " applied_at INTEGER NOT NULL) STRICT",
                            "creating schema_migrations failed"));

  const int latest = static_cast<int>(migrations.size());
  for (const Migration& migration : migrations) {
    CUSTODY_RETURN_IF_ERROR(
        connection.ExecScript("BEGIN IMMEDIATE", "starting a migration transaction failed"));
    Status status = [&]() -> Status {
      CUSTODY_ASSIGN_OR_RETURN(int current, ReadSchemaVersion(connection));
      if (current > latest) {
        return FailedPrecondition("database schema version " + std::to_string(current) +
                                  " is newer than the newest this build knows (" +
                                  std::to_string(latest) + ")");
      }
      if (current >= migration.version) {
        return Status::Ok();
      }
      CUSTODY_RETURN_IF_ERROR(
          connection.ExecScript(migration.sql, "applying migration " + migration.name));
      SqliteTransaction tx(connection);
      CUSTODY_ASSIGN_OR_RETURN(
          int64_t changed,
          tx.Execute(
              "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
              {migration.version, migration.name, ToUnixMicros(SystemClock::Instance().Now())}));
      (void)changed;
      log::Info("applied database migration",
                {{"version", migration.version}, {"name", migration.name}});
      return Status::Ok();
    }();
    if (!status.ok()) {
      sqlite3_exec(connection.db(), "ROLLBACK", nullptr, nullptr, nullptr);
      return status;
    }
    CUSTODY_RETURN_IF_ERROR(
        connection.ExecScript("COMMIT", "committing migration " + migration.name + " failed"));
  }
  return ReadSchemaVersion(connection);
}

std::vector<std::string> OrDefault(const std::vector<std::string>& tables,
                                   std::span<const std::string_view> defaults) {
  if (!tables.empty()) {
    return tables;
  }
  return {defaults.begin(), defaults.end()};
}

// The database this thread is inside a transaction of, to turn a nested call into an error
// instead of a deadlock.
thread_local const void* active_database = nullptr;

class ActiveDatabaseMark {
 public:
  explicit ActiveDatabaseMark(const void* database) { active_database = database; }

  ActiveDatabaseMark(const ActiveDatabaseMark&) = delete;
  ActiveDatabaseMark& operator=(const ActiveDatabaseMark&) = delete;

  ~ActiveDatabaseMark() { active_database = nullptr; }
};

// The functions of concurrent Write calls that share one write transaction, and the result of
// its COMMIT for the callers that wait for it.
class Batch {
 public:
  // Called with the writer mutex held.
  int64_t AddFunction() { return ++functions_; }

  int64_t functions() const { return functions_; }

  // Publishes the result of the batch's COMMIT (or of its rollback) and wakes the callers.
  void Finish(Status status) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      status_ = std::move(status);
      finished_ = true;
    }
    finished_changed_.notify_all();
  }

  Status Wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    finished_changed_.wait(lock, [this] { return finished_; });
    return status_;
  }

 private:
  int64_t functions_ = 0;
  std::mutex mutex_;
  std::condition_variable finished_changed_;
  bool finished_ = false;
  Status status_;
};

// The result of running one function of a batch.
struct FunctionOutcome {
  Status function;     // for the function's caller, unless the transaction fails later
  Status transaction;  // not OK when the shared transaction can no longer commit
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::unique_ptr<AccessRules> rules, std::unique_ptr<Connection> writer,
                 std::vector<std::unique_ptr<Connection>> readers, int schema_version,
                 const Options& options)
      : rules_(std::move(rules)),
        writer_(std::move(writer)),
        idle_readers_(std::move(readers)),
        schema_version_(schema_version),
        busy_retries_(options.busy_retries),
        max_batch_functions_(options.group_commit ? options.group_commit_max_functions : 1) {}

  Status Write(const std::function<Status(Transaction&)>& function) override {
    if (active_database != nullptr) {
      return Internal("Database::Write called inside another transaction on the same thread");
    }
    const InjectedFailure failure = injected_failure_.load();
    if (failure == InjectedFailure::kWrites || failure == InjectedFailure::kAll) {
      return Unavailable("database writes are failing (injected by a test)");
    }

    ActiveDatabaseMark mark(this);
    // Counted before locking, so that waiting_calls_ includes every call that will join the
    // open batch.
    waiting_calls_.fetch_add(1);
    std::unique_lock<std::mutex> writer_lock(writer_mutex_);
    waiting_calls_.fetch_sub(1);

    if (open_batch_ == nullptr) {
      auto new_batch = std::make_shared<Batch>();
      CUSTODY_RETURN_IF_ERROR(BeginImmediate());
      open_batch_ = std::move(new_batch);
    }
    const std::shared_ptr<Batch> batch = open_batch_;
    batch->AddFunction();
    functions_run_.fetch_add(1);

    FunctionOutcome outcome = RunInSavepoint(function);
    if (!outcome.transaction.ok()) {
      open_batch_.reset();
      Rollback(*writer_);
      log::Error("a write transaction failed and its batch was rolled back",
                 {{"error", outcome.transaction.ToString()}, {"functions", batch->functions()}});
      EndBatch(*batch, outcome.transaction);
      return outcome.function;
    }

    const bool commit_now =
        batch->functions() >= max_batch_functions_ || waiting_calls_.load() == 0;
    if (!commit_now) {
      // The next waiting call continues the batch, and a later call commits it.
      writer_lock.unlock();
      if (!outcome.function.ok()) {
        return outcome.function;
      }
      return batch->Wait();
    }

    open_batch_.reset();
    Status committed = CommitBatch(batch->functions());
    writer_lock.unlock();
    EndBatch(*batch, committed);
    return outcome.function.ok() ? committed : outcome.function;
  }

  Status Read(const std::function<Status(Transaction&)>& function) override {
    if (active_database != nullptr) {
      return Internal("Database::Read called inside another transaction on the same thread");
    }
    if (injected_failure_.load() == InjectedFailure::kAll) {
      return Unavailable("database reads are failing (injected by a test)");
    }

    std::unique_ptr<Connection> reader = AcquireReader();
    ActiveDatabaseMark mark(this);
    Status status = [&]() -> Status {
      CUSTODY_RETURN_IF_ERROR(reader->ExecScript("BEGIN", "starting a read transaction failed"));
      Status result;
      {
        FunctionRunningMark running(*reader);
        SqliteTransaction tx(*reader);
        result = RunGuarded(function, tx);
      }
      if (!result.ok()) {
        Rollback(*reader);
        return result;
      }
      const int rc = sqlite3_exec(reader->db(), "COMMIT", nullptr, nullptr, nullptr);
      if (rc != SQLITE_OK) {
        Status end_status = StatusFromSqlite(reader->db(), rc, "ending read transaction failed");
        Rollback(*reader);
        return end_status;
      }
      return Status::Ok();
    }();
    ReleaseReader(std::move(reader));
    return status;
  }

  int schema_version() const override { return schema_version_; }

  WriteStats write_stats() const override {
    WriteStats stats;
    stats.functions = functions_run_.load();
    stats.commits = commits_.load();
    stats.max_batch_functions = max_batch_functions_seen_.load();
    stats.waiting_calls = waiting_calls_.load();
    return stats;
  }

  void InjectFailureForTesting(InjectedFailure failure) override {
    injected_failure_.store(failure);
  }

 private:
  static Status RunGuarded(const std::function<Status(Transaction&)>& function, Transaction& tx) {
    try {
      return function(tx);
    } catch (const std::exception& error) {
      return Internal(std::string("transaction function threw: ") + error.what());
    } catch (...) {
      return Internal("transaction function threw a non-standard exception");
    }
  }

  static void Rollback(Connection& connection) {
    if (sqlite3_get_autocommit(connection.db()) != 0) {
      return;  // SQLite already rolled back (an I/O error or a failed COMMIT can do that)
    }
    const int rc = sqlite3_exec(connection.db(), "ROLLBACK", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      log::Error("rolling back a database transaction failed",
                 {{"error", sqlite3_errmsg(connection.db())}});
    }
  }

  // BEGIN IMMEDIATE takes the write lock at once. The busy timeout already waits for another
  // process's writer; these retries add a short, bounded backoff on top.
  Status BeginImmediate() {
    for (int attempt = 0;; ++attempt) {
      const int rc = sqlite3_exec(writer_->db(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
      if (rc == SQLITE_OK) {
        return Status::Ok();
      }
      Status status = StatusFromSqlite(writer_->db(), rc, "starting a write transaction failed");
      if ((rc & 0xff) != SQLITE_BUSY || attempt >= busy_retries_) {
        log::Error("starting a write transaction failed", {{"error", status.ToString()}});
        return status;
      }
      log::Warn("database is busy; retrying BEGIN IMMEDIATE",
                {{"attempt", attempt + 1}, {"max_attempts", busy_retries_}});
      std::this_thread::sleep_for(std::chrono::milliseconds(10) * (1 << std::min(attempt, 6)));
    }
  }

  // Runs `function` inside its own savepoint of the open write transaction, keeping its
  // changes when it returns OK and rolling back to the savepoint otherwise. Called with the
  // writer mutex held.
  FunctionOutcome RunInSavepoint(const std::function<Status(Transaction&)>& function) {
    const std::string name(kFunctionSavepoint);
    FunctionOutcome outcome;
    outcome.transaction = writer_->ExecScript("SAVEPOINT " + name, "starting a savepoint failed");
    if (!outcome.transaction.ok()) {
      outcome.function = outcome.transaction;
      return outcome;
    }
    {
      FunctionRunningMark running(*writer_);
      SqliteTransaction tx(*writer_);
      outcome.function = RunGuarded(function, tx);
    }

    if (sqlite3_get_autocommit(writer_->db()) != 0) {
      // After some errors in a statement (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM, SQLITE_BUSY)
      // SQLite rolls back the whole transaction, which undoes the earlier functions too.
      outcome.transaction =
          Unavailable("SQLite rolled back the write transaction after an error in a function");
      if (outcome.function.ok()) {
        outcome.function = outcome.transaction;
      }
      return outcome;
    }
    // A deferred foreign key is otherwise checked only by COMMIT, which would then fail for
    // every function of the batch.
    if (outcome.function.ok() && HasUnresolvedForeignKeys()) {
      outcome.function = Internal(
          "FOREIGN KEY constraint failed: the transaction function left a deferred "
          "foreign key unresolved");
    }
    if (outcome.function.ok()) {
      outcome.transaction = writer_->ExecScript("RELEASE " + name, "releasing a savepoint failed");
    } else {
      outcome.transaction = writer_->ExecScript("ROLLBACK TO " + name + "; RELEASE " + name,
                                                "rolling back to a savepoint failed");
    }
    if (!outcome.transaction.ok() && outcome.function.ok()) {
      outcome.function = outcome.transaction;
    }
    return outcome;
  }

  bool HasUnresolvedForeignKeys() const {
    int current = 0;
    int highwater = 0;
    const int rc =
        sqlite3_db_status(writer_->db(), SQLITE_DBSTATUS_DEFERRED_FKS, &current, &highwater, 0);
    return rc != SQLITE_OK || current != 0;
  }

  // Commits the open write transaction, or rolls it back when the COMMIT fails. Called with
  // the writer mutex held.
  Status CommitBatch(int64_t functions) {
    if (injected_failure_.load() == InjectedFailure::kCommits) {
      Rollback(*writer_);
      return Unavailable("database commit failed (injected by a test)");
    }
    const int rc = sqlite3_exec(writer_->db(), "COMMIT", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      Status status = StatusFromSqlite(writer_->db(), rc, "committing transaction failed");
      Rollback(*writer_);
      log::Error("committing a database transaction failed",
                 {{"error", status.ToString()}, {"functions", functions}});
      return status;
    }
    commits_.fetch_add(1);
    return Status::Ok();
  }

  void EndBatch(Batch& batch, Status status) {
    const int64_t functions = batch.functions();
    int64_t max_seen = max_batch_functions_seen_.load();
    while (functions > max_seen &&
           !max_batch_functions_seen_.compare_exchange_weak(max_seen, functions)) {
    }
    batch.Finish(std::move(status));
  }

  std::unique_ptr<Connection> AcquireReader() {
    std::unique_lock<std::mutex> lock(readers_mutex_);
    readers_available_.wait(lock, [this] { return !idle_readers_.empty(); });
    std::unique_ptr<Connection> reader = std::move(idle_readers_.back());
    idle_readers_.pop_back();
    return reader;
  }

  void ReleaseReader(std::unique_ptr<Connection> reader) {
    {
      std::lock_guard<std::mutex> lock(readers_mutex_);
      idle_readers_.push_back(std::move(reader));
    }
    readers_available_.notify_one();
  }

  // Declared first so that it outlives the connections whose authorizer points at it.
  std::unique_ptr<AccessRules> rules_;
  std::mutex writer_mutex_;
  std::unique_ptr<Connection> writer_;
  // The batch whose write transaction is open on writer_, or null; used under writer_mutex_.
  std::shared_ptr<Batch> open_batch_;
  std::mutex readers_mutex_;
  std::condition_variable readers_available_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;
  const int schema_version_;
  const int busy_retries_;
  const int64_t max_batch_functions_;
  std::atomic<int64_t> waiting_calls_{0};
  std::atomic<int64_t> functions_run_{0};
  std::atomic<int64_t> commits_{0};
  std::atomic<int64_t> max_batch_functions_seen_{0};
  std::atomic<InjectedFailure> injected_failure_{InjectedFailure::kNone};
};

Result<std::unique_ptr<Connection>> OpenApplicationConnection(const std::string& path,
                                                              Connection::Kind kind,
                                                              const Options& options,
                                                              AccessRules* rules) {
  CUSTODY_ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection,
                           OpenConnection(path, kind, options));
  // Installed last: the pragmas above would be denied by it.
  connection->authorizer().rules = rules;
  sqlite3_set_authorizer(connection->db(), &AuthorizeStatement, &connection->authorizer());
  return connection;
}

}  // namespace

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, Options options) {
  if (options.migrations.empty()) {
    options.migrations = CustodyMigrations();
  }
  if (options.reader_connections < 1) {
    return InvalidArgument("reader_connections must be at least 1");
  }
  if (options.group_commit_max_functions < 1) {
    return InvalidArgument("group_commit_max_functions must be at least 1");
  }

  int schema_version = 0;
  {
    CUSTODY_ASSIGN_OR_RETURN(std::unique_ptr<Connection> privileged,
                             OpenConnection(path, Connection::Kind::kMigrations, options));
    CUSTODY_ASSIGN_OR_RETURN(schema_version, ApplyMigrations(*privileged, options.migrations));
  }

  auto rules = std::make_unique<AccessRules>();
  for (const std::string& table : OrDefault(options.immutable_tables, kCustodyImmutableTables)) {
    rules->immutable_tables.insert(table);
  }
  for (const std::string& table :
       OrDefault(options.undeletable_tables, kCustodyUndeletableTables)) {
    rules->undeletable_tables.insert(table);
  }

  CUSTODY_ASSIGN_OR_RETURN(
      std::unique_ptr<Connection> writer,
      OpenApplicationConnection(path, Connection::Kind::kWriter, options, rules.get()));
  std::vector<std::unique_ptr<Connection>> readers;
  for (int i = 0; i < options.reader_connections; ++i) {
    CUSTODY_ASSIGN_OR_RETURN(
        std::unique_ptr<Connection> reader,
        OpenApplicationConnection(path, Connection::Kind::kReader, options, rules.get()));
    readers.push_back(std::move(reader));
  }
  return std::unique_ptr<Database>(std::make_unique<SqliteDatabase>(
      std::move(rules), std::move(writer), std::move(readers), schema_version, options));
}

}  // namespace custody::store
