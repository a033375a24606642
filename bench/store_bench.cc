// Audit appends per second through Database::Write on a SQLite file in a fresh directory under
// $TMPDIR (or /tmp), with group commit on and off. Every Write appends one audit record with
// audit::Append and returns after its COMMIT, which syncs the log (synchronous=FULL).
//
// Arguments of BM_AuditAppend: group_commit is 1 for group commit and 0 for one COMMIT per
// Write; busy_loop is 1 to keep one extra thread spinning during the run (see BM_FileSync for
// why); ->Threads() sets the number of concurrent writers. Run from a release build:
// build/release/bench/store_bench.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include <benchmark/benchmark.h>

#include "custody/audit/audit_log.h"
#include "custody/audit/record.h"
#include "custody/common/clock.h"
#include "custody/store/database.h"
#include "custody/store/testing.h"

namespace custody::store {
namespace {

// A thread that spins until destroyed, so that one CPU of the machine stays busy.
class BusyLoop {
 public:
  BusyLoop()
      : thread_([this] {
          while (!stop_.load(std::memory_order_relaxed)) {
          }
        }) {}

  BusyLoop(const BusyLoop&) = delete;
  BusyLoop& operator=(const BusyLoop&) = delete;

  ~BusyLoop() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Created by thread 0 before the timed loop and destroyed after it. Google Benchmark starts no
// thread's loop before every thread reached it, and lets no thread leave the loop before every
// thread finished it, so the other threads use these only while they exist.
std::unique_ptr<TempDatabase> shared_database;
std::unique_ptr<BusyLoop> busy_loop;
WriteStats stats_before;
// When thread 0 started its first iteration, which is after every thread has started.
std::chrono::steady_clock::time_point loop_start;

audit::Record BenchRecord(int thread) {
  audit::Record record;
  record.organization_id = "";
  record.actor = "usr_bench" + std::to_string(thread);
  record.action = "evidence.version.create";
  record.resource = "evidence/evd_bench";
  record.decision = std::string(audit::kDecisionAllow);
  record.request_id = "req_bench";
  record.source = "127.0.0.1";
  return record;
}

void BM_AuditAppend(benchmark::State& state) {
  if (state.thread_index() == 0) {
    Options options;
    options.group_commit = state.range(0) != 0;
    shared_database = std::make_unique<TempDatabase>(options);
    stats_before = shared_database->db().write_stats();
    if (state.range(1) != 0) {
      busy_loop = std::make_unique<BusyLoop>();
    }
  }
  audit::Record record = BenchRecord(state.thread_index());

  bool first_iteration = true;
  bool failed = false;
  for (auto _ : state) {
    if (first_iteration && state.thread_index() == 0) {
      loop_start = std::chrono::steady_clock::now();
    }
    first_iteration = false;
    // A thread that breaks out of the loop skips the barrier at its end, and thread 0 could
    // then destroy the database under the others. So a failed thread idles to the end.
    if (failed) {
      continue;
    }
    record.time = SystemClock::Instance().Now();
    Status status = shared_database->db().Write(
        [&](Transaction& tx) { return audit::Append(tx, record).status(); });
    if (!status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      failed = true;
    }
  }
  state.SetItemsProcessed(state.iterations());

  if (state.thread_index() == 0) {
    // Every thread has left its loop here, so these cover the appends of all threads.
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - loop_start;
    busy_loop.reset();
    const WriteStats stats = shared_database->db().write_stats();
    const auto commits = static_cast<double>(stats.commits - stats_before.commits);
    const auto functions = static_cast<double>(stats.functions - stats_before.functions);
    state.counters["appends"] = functions;
    state.counters["appends_per_s"] = functions / elapsed.count();
    state.counters["commits_per_s"] = commits / elapsed.count();
    state.counters["appends_per_commit"] = commits > 0 ? functions / commits : 0;
    state.counters["max_batch"] = static_cast<double>(stats.max_batch_functions);
    shared_database.reset();
  }
}

// One family per thread count, so that the runs with and without group commit alternate and
// see about the same load on a shared machine.
void AppendArguments(benchmark::internal::Benchmark* benchmark) {
  benchmark->ArgNames({"group_commit", "busy_loop"})->ArgsProduct({{0, 1}, {0, 1}});
}

BENCHMARK(BM_AuditAppend)->Apply(AppendArguments)->Threads(1)->UseRealTime();
BENCHMARK(BM_AuditAppend)->Apply(AppendArguments)->Threads(4)->UseRealTime();
BENCHMARK(BM_AuditAppend)->Apply(AppendArguments)->Threads(16)->UseRealTime();
BENCHMARK(BM_AuditAppend)->Apply(AppendArguments)->Threads(64)->UseRealTime();

// Rewrites one 4 KiB block of a file and waits for fdatasync: the cost of the sync that SQLite
// runs once per COMMIT in WAL mode with synchronous=FULL. With busy_loop 1, another thread
// spins meanwhile. On a virtual machine whose idle CPUs wake late, that changes the result.
void BM_FileSync(benchmark::State& state) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string path =
      std::string(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp") + "/store-bench-XXXXXX";
  const int fd = mkstemp(path.data());
  if (fd < 0) {
    state.SkipWithError(("creating a file from " + path + " failed").c_str());
    return;
  }
  std::unique_ptr<BusyLoop> spinning;
  if (state.range(0) != 0) {
    spinning = std::make_unique<BusyLoop>();
  }
  const std::string block(4096, 'x');
  for (auto _ : state) {
    if (pwrite(fd, block.data(), block.size(), 0) != static_cast<ssize_t>(block.size()) ||
        fdatasync(fd) != 0) {
      state.SkipWithError(("writing " + path + " failed").c_str());
      break;
    }
  }
  spinning.reset();
  state.SetItemsProcessed(state.iterations());
  close(fd);
  unlink(path.c_str());
}

BENCHMARK(BM_FileSync)->ArgName("busy_loop")->Arg(0)->Arg(1)->UseRealTime();

}  // namespace
}  // namespace custody::store
