// The database interface every domain module uses: a Database runs transactions, and a
// Transaction runs SQL with bound parameters and returns rows.
//
// Usage, from a request handler:
//
//   Status status = db.Write([&](store::Transaction& tx) -> Status {
//     CUSTODY_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT name FROM users WHERE id = ?", {id}));
//     ...
//     return Status::Ok();  // commits; any other Status rolls back
//   });
//
// Rules:
// * Values always travel as bound parameters (`?` placeholders); never format a value into SQL.
// * Times are stored as INTEGER microseconds since the Unix epoch, UTC (ToUnixMicros).
// * Write and Read must not be nested on the same thread: an inner call returns kInternal
//   instead of deadlocking on the writer.
// * Write retries BEGIN IMMEDIATE a bounded number of times while another process holds the
//   write lock. The transaction function itself runs at most once per call.
// * Group commit: concurrent Write calls share one write transaction and one COMMIT (see
//   Database::Write). A function may not run BEGIN, COMMIT, ROLLBACK or END, because the
//   transaction is not its own. Its own SAVEPOINTs are allowed.
// * Errors: a UNIQUE or PRIMARY KEY violation is kConflict. Any other constraint failure
//   (CHECK, NOT NULL, foreign key, a trigger's RAISE) and a statement the authorizer denies
//   are kInternal, because callers validate input first and the schema only backs them up.
//   A busy, locked, full, read-only, corrupt or unreachable database is kUnavailable (503).
//
// Database is abstract so that a PostgreSQL backend can implement it later. The SQL that the
// modules write uses `?` placeholders and the SQLite dialect; a second backend would have to
// translate placeholders and the few SQLite-only functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "custody/common/clock.h"
#include "custody/common/status.h"

namespace custody::store {

// Bytes bound or read as a BLOB rather than as TEXT.
struct Blob {
  std::string bytes;

  bool operator==(const Blob&) const = default;
};

// A SQL NULL parameter: tx.Execute("... VALUES (?)", {store::kNull}).
struct Null {
  bool operator==(const Null&) const = default;
};

inline constexpr Null kNull{};

// One bound parameter. Integers bind as INTEGER, strings as TEXT, Blob as BLOB, Null and an
// empty std::optional as NULL. Text is copied, so temporaries are safe to pass.
class Param {
 public:
  using Value = std::variant<Null, int64_t, std::string, Blob>;

  Param(Null) {}  // NOLINT(google-explicit-constructor)

  Param(std::nullopt_t) {}  // NOLINT(google-explicit-constructor)

  template <typename T>

  requires std::is_integral_v<T> Param(T value)
      : value_(static_cast<int64_t>(value)) {}  // NOLINT(google-explicit-constructor)

  Param(const char* text) : value_(std::string(text)) {}  // NOLINT(google-explicit-constructor)

  Param(std::string_view text) : value_(std::string(text)) {}  // NOLINT

  Param(const std::string& text) : value_(text) {}  // NOLINT(google-explicit-constructor)

  Param(std::string&& text) : value_(std::move(text)) {}  // NOLINT(google-explicit-constructor)

  Param(Blob blob) : value_(std::move(blob)) {}  // NOLINT(google-explicit-constructor)

  template <typename T>
  Param(const std::optional<T>& value) {  // NOLINT(google-explicit-constructor)
    if (value.has_value()) {
      value_ = Param(*value).value_;
    }
  }

  const Value& value() const { return value_; }

 private:
  Value value_;
};

// One result row, copied out of the statement. Columns are numbered from 0 in SELECT order.
// The readers convert the way SQLite does: reading a NULL as Int64 gives 0 and as Text gives
// "", so use IsNull or the Optional readers for nullable columns.
class Row {
 public:
  using Value = std::variant<Null, int64_t, double, std::string, Blob>;

  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}

  size_t size() const { return values_.size(); }

  bool IsNull(size_t column) const;
  int64_t Int64(size_t column) const;
  std::string Text(size_t column) const;
  // The bytes of a BLOB or TEXT column.
  std::string Bytes(size_t column) const;
  std::optional<int64_t> OptionalInt64(size_t column) const;
  std::optional<std::string> OptionalText(size_t column) const;
  // A column of microseconds since the Unix epoch as a time point.
  SystemTime Time(size_t column) const;
  std::optional<SystemTime> OptionalTime(size_t column) const;

  const Value& value(size_t column) const { return values_.at(column); }

 private:
  std::vector<Value> values_;
};

// The unit of storage for every `*_at` and `time` column.
int64_t ToUnixMicros(SystemTime time);
SystemTime FromUnixMicros(int64_t micros);

// A database transaction, valid only inside the function passed to Database::Write or Read.
// Statements are prepared once per connection and cached by their SQL text.
class Transaction {
 public:
  virtual ~Transaction() = default;

  // Runs a statement that returns no rows and returns the number of rows it changed.
  Result<int64_t> Execute(std::string_view sql, std::initializer_list<Param> params = {}) {
    return ExecuteImpl(sql, std::span<const Param>(params.begin(), params.size()));
  }

  Result<int64_t> Execute(std::string_view sql, const std::vector<Param>& params) {
    return ExecuteImpl(sql, params);
  }

  // Runs a query and returns all its rows. Bound the result with LIMIT: rows are held in
  // memory.
  Result<std::vector<Row>> Query(std::string_view sql, std::initializer_list<Param> params = {}) {
    return QueryImpl(sql, std::span<const Param>(params.begin(), params.size()));
  }

  Result<std::vector<Row>> Query(std::string_view sql, const std::vector<Param>& params) {
    return QueryImpl(sql, params);
  }

  // Runs a query that returns at most one row; more than one row is kInternal.
  Result<std::optional<Row>> QueryOne(std::string_view sql,
                                      std::initializer_list<Param> params = {}) {
    return QueryOneImpl(sql, std::span<const Param>(params.begin(), params.size()));
  }

  Result<std::optional<Row>> QueryOne(std::string_view sql, const std::vector<Param>& params) {
    return QueryOneImpl(sql, params);
  }

  // True inside Database::Read: statements that write return kInternal there.
  virtual bool read_only() const = 0;

 protected:
  virtual Result<int64_t> ExecuteImpl(std::string_view sql, std::span<const Param> params) = 0;
  virtual Result<std::vector<Row>> QueryImpl(std::string_view sql,
                                             std::span<const Param> params) = 0;

 private:
  Result<std::optional<Row>> QueryOneImpl(std::string_view sql, std::span<const Param> params);
};

// A schema change, applied once, in order of version, inside its own transaction.
struct Migration {
  int version;       // 1, 2, 3, ... with no gaps
  std::string name;  // recorded in schema_migrations
  std::string sql;   // one or more statements
};

// Failures a test can switch on to exercise the fail-closed paths of its callers.
enum class InjectedFailure {
  kNone,
  kWrites,   // Write returns kUnavailable before running its function; Read works
  kCommits,  // Write runs its function, then rolls back its whole batch instead of the COMMIT
             // and returns kUnavailable
  kAll,      // Write and Read both return kUnavailable before running their function
};

struct Options {
  // Applied on a separate connection before the application connections open. Empty means
  // the Custody schema (CustodyMigrations() in schema.h).
  std::vector<Migration> migrations;
  // Tables on which the application connections may not UPDATE or DELETE. Empty means the
  // Custody set (kCustodyImmutableTables in schema.h).
  std::vector<std::string> immutable_tables;
  // Tables on which the application connections may not DELETE (but may UPDATE). Empty means
  // the Custody set (kCustodyUndeletableTables in schema.h).
  std::vector<std::string> undeletable_tables;
  // Connections kept open for Read; Read waits when all are in use.
  int reader_connections = 4;
  // How long one statement waits for a lock held by another connection (sqlite3_busy_timeout).
  std::chrono::milliseconds busy_timeout{5000};
  // Further attempts of BEGIN IMMEDIATE after it returned SQLITE_BUSY.
  int busy_retries = 3;
  // When true, concurrent Write calls share one transaction and one COMMIT (group commit).
  // When false, every Write call commits on its own; benchmarks use this for comparison.
  bool group_commit = true;
  // Maximum number of Write calls in one group commit, at least 1. A larger batch saves syncs
  // but makes its first caller wait for the functions of all the others.
  int group_commit_max_functions = 64;
};

// Counters of Database::Write since Open.
struct WriteStats {
  int64_t functions = 0;            // transaction functions run
  int64_t commits = 0;              // COMMITs that succeeded, each followed by a sync of the log
  int64_t max_batch_functions = 0;  // maximum number of functions in one write transaction
  int64_t waiting_calls = 0;        // Write calls waiting for the writer connection right now
};

// A database with one writer connection (write transactions are serialized by a mutex) and a
// pool of reader connections. Thread-safe: any thread may call Write and Read at any time.
class Database {
 public:
  virtual ~Database() = default;

  // Opens (creating if needed) the SQLite database at `path`, applies the pending migrations,
  // and opens the application connections with WAL, synchronous=FULL, foreign_keys=ON,
  // recursive_triggers=ON, defensive mode and an authorizer that denies schema changes,
  // PRAGMA, ATTACH, writes to schema_migrations, UPDATE/DELETE on the immutable tables and
  // DELETE on the undeletable tables.
  static Result<std::unique_ptr<Database>> Open(const std::string& path, Options options = {});

  // Runs `function` in a write transaction (BEGIN IMMEDIATE) and returns after its changes are
  // durable. When it returns OK, its changes commit. Otherwise they roll back and Write
  // returns its Status. A deferred foreign key left unresolved when `function` returns is
  // kInternal, and its changes roll back.
  //
  // Group commit: `function` runs on the calling thread, inside its own SAVEPOINT of a
  // transaction that it may share with the functions of other concurrent Write calls. The
  // calls take turns on the writer connection. The last one in line, or the one that fills
  // the batch (Options::group_commit_max_functions), runs the single COMMIT, and then every
  // caller whose function returned OK gets the result of that COMMIT. No caller gets OK before
  // that COMMIT has returned. A failed COMMIT rolls back every function of the batch, and each
  // of their callers gets its error: kUnavailable for I/O or lock failures. A function that
  // fails rolls back only its own savepoint, and the others are unaffected. A slow function
  // delays the commit of every earlier function in its batch.
  virtual Status Write(const std::function<Status(Transaction&)>& function) = 0;

  // Runs `function` in a read transaction that reads one consistent snapshot.
  virtual Status Read(const std::function<Status(Transaction&)>& function) = 0;

  // Highest migration version applied.
  virtual int schema_version() const = 0;

  virtual WriteStats write_stats() const = 0;

  virtual void InjectFailureForTesting(InjectedFailure failure) = 0;
};

// Runs `function` (Transaction& -> Result<T>) in Database::Write and returns its value.
template <typename T, typename Function>
Result<T> WriteReturning(Database& database, Function&& function) {
  std::optional<T> value;
  Status status = database.Write([&](Transaction& tx) -> Status {
    Result<T> result = function(tx);
    if (!result.ok()) {
      return result.status();
    }
    value = std::move(result).value();
    return Status::Ok();
  });
  if (!status.ok()) {
    return status;
  }
  return std::move(*value);
}

// Runs `function` (Transaction& -> Result<T>) in Database::Read and returns its value.
template <typename T, typename Function>
Result<T> ReadReturning(Database& database, Function&& function) {
  std::optional<T> value;
  Status status = database.Read([&](Transaction& tx) -> Status {
    Result<T> result = function(tx);
    if (!result.ok()) {
      return result.status();
    }
    value = std::move(result).value();
    return Status::Ok();
  });
  if (!status.ok()) {
    return status;
  }
  return std::move(*value);
}

}  // namespace custody::store
