#include "custody/cli/audit.h"

#include <sstream>

#include <gtest/gtest.h>

#include "custody/cli/app.h"
#include "custody/cli/audit_fake.h"

namespace custody::cli {
namespace {

using aws::testing::FakeTransport;
using testing::FakeAuditLog;
using testing::FakeEnvironment;
using testing::ReadFile;
using testing::TempDir;

class AuditCommandsTest : public ::testing::Test {
 protected:
  AuditCommandsTest()
      : transport_(log_.Handler()),
        api_(transport_, "https://custody.example", Secret("cst_t")),
        clock_(FromUnixSeconds(1893456000)),
        context_{api_,
                 transport_,
                 out_,
                 err_,
                 false,
                 ResumeQueue(directory_.path() / "queue"),
                 clock_,
                 [this](std::chrono::milliseconds delay) {
                   sleeps_.push_back(delay);
                 }} {
    log_.Append(10);
    log_.Sign();
    log_.Append(15);
    log_.Sign();
  }

  std::string Export(const std::string& name) {
    const std::string path = (directory_.path() / name).string();
    const Status status = RunAuditExport(context_, AuditExportOptions{path});
    EXPECT_TRUE(status.ok()) << status.ToString();
    return path;
  }

  AuditVerifyOptions VerifyFile(const std::string& path) const {
    AuditVerifyOptions options;
    options.file = path;
    options.keys = {log_.VerifierKey()};
    return options;
  }

  AuditMonitorOptions Monitor() const {
    AuditMonitorOptions options;
    options.state = (directory_.path() / "monitor-state").string();
    options.keys = {log_.VerifierKey()};
    options.once = true;
    return options;
  }

  // Replaces record 3 and signs a new checkpoint, as an operator rewriting history with the
  // log's own key would.
  void RewriteRecordThree() {
    std::string leaf = *log_.entries[3].leaf;
    leaf.back() ^= 0x01;
    log_.entries[3].leaf = leaf;
    log_.entries[3].leaf_hash = std::string(audit::HashBytes(audit::LeafHash(leaf)));
    log_.checkpoints.clear();
    log_.Sign();
  }

  TempDir directory_;
  FakeAuditLog log_;
  FakeTransport transport_;
  ApiClient api_;
  FixedClock clock_;
  std::ostringstream out_;
  std::ostringstream err_;
  std::vector<std::chrono::milliseconds> sleeps_;
  CommandContext context_;
};

TEST_F(AuditCommandsTest, ExportPagesThroughEntries) {
  log_.page_limit = 7;
  const std::string path = Export("trail.json");
  EXPECT_EQ(out_.str(), "exported 25 records and 2 checkpoints of custody.example/audit/org_1 to " +
                            path + "\n");
  std::vector<std::string> entry_calls;
  for (const std::string& call : log_.calls) {
    if (call.find("/audit/entries") != std::string::npos) {
      entry_calls.push_back(call);
    }
  }
  const std::vector<std::string> expected = {
      "GET /api/v1/audit/entries?start=0&limit=25",
      "GET /api/v1/audit/entries?start=7&limit=18",
      "GET /api/v1/audit/entries?start=14&limit=11",
      "GET /api/v1/audit/entries?start=21&limit=4",
  };
  EXPECT_EQ(entry_calls, expected);

  Result<audit::ExportBundle> bundle = audit::ParseExportBundle(ReadFile(path));
  ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
  EXPECT_EQ(bundle->entries.size(), 25u);
  EXPECT_EQ(bundle->checkpoints, log_.checkpoints);
}

TEST_F(AuditCommandsTest, ExportStopsAtLatestCheckpoint) {
  log_.Append(5);
  const std::string path = Export("trail.json");
  Result<audit::ExportBundle> bundle = audit::ParseExportBundle(ReadFile(path));
  ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
  EXPECT_EQ(bundle->entries.size(), 25u);
}

TEST_F(AuditCommandsTest, ExportFailsWithoutCheckpoint) {
  log_.checkpoints.clear();
  const Status status =
      RunAuditExport(context_, AuditExportOptions{(directory_.path() / "t.json").string()});
  EXPECT_EQ(status.code(), ErrorCode::kNotFound) << status.ToString();
  EXPECT_FALSE(std::filesystem::exists(directory_.path() / "t.json"));
}

TEST_F(AuditCommandsTest, VerifyAcceptsExport) {
  const std::string path = Export("trail.json");
  out_.str("");
  Result<bool> verified = RunAuditVerify(out_, err_, nullptr, VerifyFile(path));
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_TRUE(*verified) << err_.str();
  EXPECT_EQ(out_.str(),
            "verified custody.example/audit/org_1: 25 records, 2 checkpoints, latest tree size "
            "25\n");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(AuditCommandsTest, VerifyLiveNamesFlippedRecord) {
  log_.entries[4].leaf->back() ^= 0x01;
  AuditVerifyOptions options;
  options.live = true;
  options.keys = {log_.VerifierKey()};
  Result<bool> verified = RunAuditVerify(out_, err_, &api_, options);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_FALSE(*verified);
  EXPECT_EQ(err_.str(), "verification failed: record 4: leaf hash mismatch\n");
}

TEST_F(AuditCommandsTest, VerifyAgainstPinnedExportNamesRewrittenRecord) {
  const std::string earlier = Export("earlier.json");
  RewriteRecordThree();
  const std::string later = Export("later.json");

  AuditVerifyOptions without_pin = VerifyFile(later);
  Result<bool> alone = RunAuditVerify(out_, err_, nullptr, without_pin);
  ASSERT_TRUE(alone.ok()) << alone.status().ToString();
  EXPECT_TRUE(*alone) << "a history re-signed by the real key verifies on its own";

  AuditVerifyOptions with_pin = VerifyFile(later);
  with_pin.pinned = earlier;
  Result<bool> pinned = RunAuditVerify(out_, err_, nullptr, with_pin);
  ASSERT_TRUE(pinned.ok()) << pinned.status().ToString();
  EXPECT_FALSE(*pinned);
  EXPECT_NE(err_.str().find("record 3 differs from the pinned export"), std::string::npos)
      << err_.str();
}

TEST_F(AuditCommandsTest, VerifyAgainstPinnedCheckpointFile) {
  TempDir pins;
  const auto pin = pins.Write("pin.txt", log_.checkpoints.front());
  RewriteRecordThree();
  const std::string later = Export("later.json");

  AuditVerifyOptions options = VerifyFile(later);
  options.pinned = pin.string();
  Result<bool> verified = RunAuditVerify(out_, err_, nullptr, options);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_FALSE(*verified);
  EXPECT_NE(err_.str().find("differ from the pinned checkpoint of size 10"), std::string::npos)
      << err_.str();
}

TEST_F(AuditCommandsTest, VerifyRejectsUntrustedKey) {
  const std::string path = Export("trail.json");
  FakeAuditLog other;
  AuditVerifyOptions options = VerifyFile(path);
  options.keys = {other.VerifierKey()};
  Result<bool> verified = RunAuditVerify(out_, err_, nullptr, options);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_FALSE(*verified);
  EXPECT_NE(err_.str().find("checkpoint 1 of 2 is rejected"), std::string::npos) << err_.str();
}

TEST_F(AuditCommandsTest, VerifyRejectsWrongOrigin) {
  const std::string path = Export("trail.json");
  AuditVerifyOptions options = VerifyFile(path);
  options.origin = "custody.example/audit/org_2";
  Result<bool> verified = RunAuditVerify(out_, err_, nullptr, options);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_FALSE(*verified);
  EXPECT_NE(err_.str().find("not \"custody.example/audit/org_2\""), std::string::npos)
      << err_.str();
}

TEST_F(AuditCommandsTest, VerifyRejectsUnusableArguments) {
  const std::string path = Export("trail.json");

  AuditVerifyOptions bad_key = VerifyFile(path);
  bad_key.keys = {"not-a-key"};
  EXPECT_EQ(RunAuditVerify(out_, err_, nullptr, bad_key).status().code(),
            ErrorCode::kInvalidArgument);

  AuditVerifyOptions no_key = VerifyFile(path);
  no_key.keys.clear();
  EXPECT_EQ(RunAuditVerify(out_, err_, nullptr, no_key).status().code(),
            ErrorCode::kInvalidArgument);

  AuditVerifyOptions missing_file = VerifyFile((directory_.path() / "absent.json").string());
  EXPECT_EQ(RunAuditVerify(out_, err_, nullptr, missing_file).status().code(),
            ErrorCode::kNotFound);

  AuditVerifyOptions not_json = VerifyFile(directory_.Write("x.json", "hello").string());
  EXPECT_EQ(RunAuditVerify(out_, err_, nullptr, not_json).status().code(),
            ErrorCode::kInvalidArgument);

  AuditVerifyOptions bad_pin = VerifyFile(path);
  bad_pin.pinned = directory_.Write("pin.json", "{}").string();
  EXPECT_EQ(RunAuditVerify(out_, err_, nullptr, bad_pin).status().code(),
            ErrorCode::kInvalidArgument);
}

TEST_F(AuditCommandsTest, MonitorSavesThenChecksConsistency) {
  Result<bool> first = RunAuditMonitor(context_, Monitor());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(*first) << err_.str();
  EXPECT_EQ(ReadFile(Monitor().state), log_.checkpoints.back());
  EXPECT_EQ(out_.str(), "custody.example/audit/org_1: tree size 25, first checkpoint saved\n");

  log_.Append(8);
  log_.Sign();
  out_.str("");
  Result<bool> second = RunAuditMonitor(context_, Monitor());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(*second) << err_.str();
  EXPECT_EQ(out_.str(),
            "custody.example/audit/org_1: tree size 33, consistent with tree size 25\n");
  EXPECT_EQ(ReadFile(Monitor().state), log_.checkpoints.back());
  EXPECT_NE(std::find(log_.calls.begin(), log_.calls.end(),
                      "GET /api/v1/audit/proofs/consistency?from=25&to=33"),
            log_.calls.end());

  out_.str("");
  Result<bool> unchanged = RunAuditMonitor(context_, Monitor());
  ASSERT_TRUE(unchanged.ok()) << unchanged.status().ToString();
  EXPECT_TRUE(*unchanged);
  EXPECT_EQ(out_.str(), "custody.example/audit/org_1: tree size 33, unchanged\n");
}

TEST_F(AuditCommandsTest, MonitorDetectsRewrittenHistory) {
  ASSERT_TRUE(*RunAuditMonitor(context_, Monitor()));
  const std::string saved = ReadFile(Monitor().state);
  RewriteRecordThree();
  log_.Append(5);
  log_.Sign();

  Result<bool> result = RunAuditMonitor(context_, Monitor());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_FALSE(*result);
  EXPECT_NE(err_.str().find("the checkpoint of tree size 30 is not consistent with the saved one "
                            "of size 25"),
            std::string::npos)
      << err_.str();
  EXPECT_EQ(ReadFile(Monitor().state), saved) << "an inconsistent checkpoint must not be saved";
}

TEST_F(AuditCommandsTest, MonitorDetectsShrunkLog) {
  ASSERT_TRUE(*RunAuditMonitor(context_, Monitor()));
  log_.entries.resize(10);
  log_.checkpoints.pop_back();

  Result<bool> result = RunAuditMonitor(context_, Monitor());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_FALSE(*result);
  EXPECT_EQ(err_.str(),
            "verification failed: the log shrank from 25 to 10 records, so records 10-24 were "
            "removed\n");
}

TEST_F(AuditCommandsTest, MonitorDetectsForkAtSameSize) {
  ASSERT_TRUE(*RunAuditMonitor(context_, Monitor()));
  RewriteRecordThree();

  Result<bool> result = RunAuditMonitor(context_, Monitor());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_FALSE(*result);
  EXPECT_NE(err_.str().find("two different roots for tree size 25"), std::string::npos)
      << err_.str();
}

TEST_F(AuditCommandsTest, MonitorRejectsCheckpointFromUntrustedKey) {
  ASSERT_TRUE(*RunAuditMonitor(context_, Monitor()));
  log_.Append(1);
  const audit::NoteSigner forger =
      *audit::NoteSigner::Create(FakeAuditLog::kKeyName, crypto::Ed25519PrivateKey::Generate());
  log_.Sign(&forger);

  Result<bool> result = RunAuditMonitor(context_, Monitor());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_FALSE(*result);
  EXPECT_NE(err_.str().find("the server's latest checkpoint is rejected"), std::string::npos)
      << err_.str();
}

TEST_F(AuditCommandsTest, MonitorRetriesUnreachableServer) {
  AuditMonitorOptions options = Monitor();
  options.once = false;
  options.max_rounds = 2;
  options.interval_seconds = 30;
  log_.unavailable_left = 1;

  Result<bool> result = RunAuditMonitor(context_, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(*result);
  EXPECT_NE(err_.str().find("retrying in 30 s"), std::string::npos) << err_.str();
  EXPECT_EQ(sleeps_, std::vector<std::chrono::milliseconds>{std::chrono::seconds(30)});
  EXPECT_EQ(ReadFile(options.state), log_.checkpoints.back());
}

TEST_F(AuditCommandsTest, MonitorOnceReportsUnreachableServer) {
  log_.unavailable_left = 1;
  Result<bool> result = RunAuditMonitor(context_, Monitor());
  EXPECT_EQ(result.status().code(), ErrorCode::kUnavailable);
}

TEST_F(AuditCommandsTest, MonitorRejectsCorruptStateFile) {
  directory_.Write("monitor-state", "not a checkpoint");
  Result<bool> result = RunAuditMonitor(context_, Monitor());
  EXPECT_EQ(result.status().code(), ErrorCode::kFailedPrecondition);
}

ParseResult Parse(std::vector<const char*> arguments) {
  arguments.insert(arguments.begin(), "custody");
  return ParseArguments(static_cast<int>(arguments.size()), arguments.data());
}

TEST(AuditArgumentsTest, VerifyFile) {
  const ParseResult result =
      Parse({"audit", "verify", "trail.json", "--key", "k1", "--key", "k2", "--pinned", "p"});
  ASSERT_TRUE(result.arguments.has_value()) << result.error;
  EXPECT_EQ(result.arguments->command, Command::kAuditVerify);
  const AuditVerifyOptions& options = result.arguments->audit_verify;
  EXPECT_EQ(options.file, "trail.json");
  EXPECT_FALSE(options.live);
  EXPECT_EQ(options.keys, (std::vector<std::string>{"k1", "k2"}));
  EXPECT_EQ(options.pinned, "p");
}

TEST(AuditArgumentsTest, VerifyLive) {
  const ParseResult result = Parse({"audit", "verify", "--server", "--key", "k1"});
  ASSERT_TRUE(result.arguments.has_value()) << result.error;
  EXPECT_TRUE(result.arguments->audit_verify.live);
  EXPECT_FALSE(result.arguments->server.has_value());

  const ParseResult with_url =
      Parse({"audit", "verify", "--server", "https://custody.example", "--key", "k1"});
  ASSERT_TRUE(with_url.arguments.has_value()) << with_url.error;
  EXPECT_TRUE(with_url.arguments->audit_verify.live);
  EXPECT_EQ(with_url.arguments->server, "https://custody.example");
}

TEST(AuditArgumentsTest, VerifyNeedsFileOrServer) {
  const ParseResult result = Parse({"audit", "verify", "--key", "k1"});
  EXPECT_FALSE(result.arguments.has_value());
  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_NE(result.error.find("FILE or --server"), std::string::npos) << result.error;
}

TEST(AuditArgumentsTest, VerifyNeedsKey) {
  const ParseResult result = Parse({"audit", "verify", "trail.json"});
  EXPECT_EQ(result.exit_code, kExitUsage);
}

TEST(AuditArgumentsTest, Monitor) {
  const ParseResult result =
      Parse({"audit", "monitor", "--state", "s", "--key", "k1", "--interval", "60", "--once"});
  ASSERT_TRUE(result.arguments.has_value()) << result.error;
  EXPECT_EQ(result.arguments->command, Command::kAuditMonitor);
  const AuditMonitorOptions& options = result.arguments->audit_monitor;
  EXPECT_EQ(options.state, "s");
  EXPECT_EQ(options.interval_seconds, 60);
  EXPECT_TRUE(options.once);
}

TEST(AuditArgumentsTest, Export) {
  const ParseResult result = Parse({"audit", "export", "--out", "trail.json"});
  ASSERT_TRUE(result.arguments.has_value()) << result.error;
  EXPECT_EQ(result.arguments->command, Command::kAuditExport);
  EXPECT_EQ(result.arguments->audit_export.out, "trail.json");
}

TEST_F(AuditCommandsTest, MainVerifiesOfflineWithoutToken) {
  const std::string path = Export("trail.json");
  const std::string key = log_.VerifierKey();
  const auto environment = FakeEnvironment({{"HOME", directory_.path().string()}});
  std::ostringstream out;
  std::ostringstream err;
  const char* good[] = {"custody", "audit", "verify", path.c_str(), "--key", key.c_str()};
  EXPECT_EQ(Main(6, good, environment, out, err, false), kExitOk) << err.str();

  std::string text = ReadFile(path);
  Result<audit::ExportBundle> bundle = audit::ParseExportBundle(text);
  ASSERT_TRUE(bundle.ok());
  bundle->entries.erase(bundle->entries.begin() + 12);
  const auto tampered = directory_.Write("tampered.json", audit::SerializeExportBundle(*bundle));
  const std::string tampered_path = tampered.string();
  const char* bad[] = {"custody", "audit", "verify", tampered_path.c_str(), "--key", key.c_str()};
  EXPECT_EQ(Main(6, bad, environment, out, err, false), kExitVerifyFailed);
  EXPECT_NE(err.str().find("verification failed: record 12 is missing"), std::string::npos)
      << err.str();
}

}  // namespace
}  // namespace custody::cli
