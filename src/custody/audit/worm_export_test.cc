#include "custody/audit/worm_export.h"

#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "custody/audit/audit_log.h"
#include "custody/audit/checkpoint_signer.h"
#include "custody/audit/reconcile.h"
#include "custody/audit/retention.h"
#include "custody/audit/worm_job.h"
#include "custody/aws/fake_transport.h"
#include "custody/crypto/ed25519.h"
#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"
#include "custody/store/testing.h"

namespace custody::audit {
namespace {

using aws::testing::FakeTransport;

constexpr std::string_view kOriginHost = "custody.example";
constexpr std::string_view kBucketPrefix = "/worm-bucket/";

// A versioned S3 bucket in memory: every PUT adds a version, a GET or DELETE may name one, a
// locked version cannot be deleted, and a wrong Content-MD5 is rejected as S3 does.
class FakeVersionedBucket {
 public:
  struct Version {
    std::string id;
    std::string body;
    std::map<std::string, std::string> headers;
  };

  explicit FakeVersionedBucket(const Clock& clock) : clock_(clock) {}

  FakeTransport::Handler Handler() {
    return [this](const aws::HttpRequest& request) {
      return Handle(request);
    };
  }

  Result<aws::HttpResponse> Handle(const aws::HttpRequest& request) {
    const std::string target = request.url.substr(request.url.find('/', 8));
    const size_t query_at = target.find('?');
    const std::string path = target.substr(0, query_at);
    const std::string query = query_at == std::string::npos ? "" : target.substr(query_at + 1);
    if (path.rfind(kBucketPrefix, 0) != 0) {
      return Error(404, "NoSuchBucket");
    }
    const std::string key = path.substr(kBucketPrefix.size());
    calls.push_back(request.method + " " + key);
    if (failures_left > 0) {
      --failures_left;
      return Error(503, "SlowDown");
    }
    if (!fail_puts_containing.empty() && request.method == "PUT" &&
        key.find(fail_puts_containing) != std::string::npos) {
      return Error(503, "SlowDown");
    }
    if (request.method == "PUT") {
      return Put(key, request);
    }
    std::vector<Version>& versions = objects[key];
    const std::string version_id =
        query.rfind("versionId=", 0) == 0 ? query.substr(std::string("versionId=").size()) : "";
    auto version = versions.end();
    for (auto it = versions.begin(); it != versions.end(); ++it) {
      if (version_id.empty() || it->id == version_id) {
        version = it;
      }
    }
    if (version == versions.end()) {
      return Error(404, version_id.empty() ? "NoSuchKey" : "NoSuchVersion");
    }
    if (request.method == "GET") {
      aws::HttpResponse response = aws::testing::Respond(200, version->body);
      response.headers.emplace_back("x-amz-version-id", version->id);
      return response;
    }
    if (request.method == "DELETE") {
      if (version->headers.count("x-amz-object-lock-mode") > 0) {
        return Error(403, "AccessDenied");
      }
      versions.erase(version);
      return aws::testing::Respond(204, "");
    }
    return Error(405, "MethodNotAllowed");
  }

  std::map<std::string, std::vector<Version>> objects;  // by key, oldest version first
  std::vector<std::string> calls;
  int failures_left = 0;             // requests to fail with 503 SlowDown
  std::string fail_puts_containing;  // PUTs of keys containing this fail with 503

 private:
  Result<aws::HttpResponse> Put(const std::string& key, const aws::HttpRequest& request) {
    Version version;
    version.id = "v" + std::to_string(++next_version_);
    version.body = request.body;
    for (const auto& [name, value] : request.headers) {
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      version.headers[lower] = value;
    }
    const crypto::Md5Digest md5 = crypto::Md5(request.body);
    if (version.headers["content-md5"] != crypto::Base64Encode(std::span<const uint8_t>(md5))) {
      return Error(400, "BadDigest");
    }
    objects[key].push_back(version);
    aws::HttpResponse response = aws::testing::Respond(200, "");
    response.headers.emplace_back("x-amz-version-id", version.id);
    return response;
  }

  static aws::HttpResponse Error(int status, const std::string& code) {
    return aws::testing::Respond(status, "<Error><Code>" + code + "</Code></Error>");
  }

  const Clock& clock_;
  int next_version_ = 0;
};

class WormExportTest : public testing::Test {
 protected:
  WormExportTest()
      : clock_(FromUnixSeconds(1893456000)),  // 2030-01-01T00:00:00Z
        bucket_(clock_),
        transport_(bucket_.Handler()),
        s3_(transport_, clock_) {
    target_.bucket.bucket = "worm-bucket";
    target_.bucket.region = "us-east-1";
    target_.bucket.endpoint = "https://worm.example";
    target_.credentials.access_key_id = "AKIDWORM";
    target_.credentials.secret_access_key = Secret("worm-secret");

    Result<NoteSigner> key =
        NoteSigner::Create(SigningKeyName(kOriginHost), crypto::Ed25519PrivateKey::Generate());
    Result<CheckpointSigner> signer = CheckpointSigner::Create(std::string(kOriginHost), {*key});
    EXPECT_TRUE(signer.ok()) << signer.status().ToString();
    signer_.emplace(std::move(*signer));
  }

  void AppendRecords(const std::string& organization_id, int count,
                     std::string_view action = "evidence.version.create") {
    const Status status = database_.db().Write([&](store::Transaction& tx) -> Status {
      for (int i = 0; i < count; ++i) {
        Record record;
        record.organization_id = organization_id;
        record.actor = "usr_1";
        record.action = std::string(action);
        record.resource = "evidence/evd_" + std::to_string(i);
        record.decision = std::string(kDecisionAllow);
        record.request_id = "req_" + std::to_string(i);
        record.source = "127.0.0.1";
        record.time = clock_.Now();
        CUSTODY_RETURN_IF_ERROR(Append(tx, record).status());
      }
      return Status::Ok();
    });
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  void SignCheckpoint(const std::string& organization_id) {
    const Status status = database_.db().Write([&](store::Transaction& tx) -> Status {
      return signer_->SignLatest(tx, organization_id, clock_.Now()).status();
    });
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  WormExporter Exporter() { return WormExporter(database_.db(), s3_, clock_, target_, metrics_); }

  std::vector<WormObject> Rows() {
    std::vector<WormObject> rows;
    const Status status = database_.db().Read([&](store::Transaction& tx) -> Status {
      CUSTODY_ASSIGN_OR_RETURN(rows, ListWormObjects(tx, nullptr, 1000));
      return Status::Ok();
    });
    EXPECT_TRUE(status.ok()) << status.ToString();
    return rows;
  }

  // Runs SQL on a connection of its own, without the application's authorizer, after dropping
  // the triggers that guard the audit tables: what someone with the database file can do.
  void TamperWithDatabase(const std::string& sql) {
    sqlite3* connection = nullptr;
    ASSERT_EQ(sqlite3_open(database_.path().c_str(), &connection), SQLITE_OK);
    std::vector<std::string> triggers;
    const auto collect = [](void* names, int, char** values, char**) {
      static_cast<std::vector<std::string>*>(names)->push_back(values[0]);
      return 0;
    };
    ASSERT_EQ(sqlite3_exec(connection,
                           "SELECT name FROM sqlite_master WHERE type = 'trigger' AND "
                           "tbl_name LIKE 'audit_%'",
                           collect, &triggers, nullptr),
              SQLITE_OK);
    std::string script;
    for (const std::string& trigger : triggers) {
      script += "DROP TRIGGER " + trigger + "; ";
    }
    script += sql;
    char* error = nullptr;
    const int result = sqlite3_exec(connection, script.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(result, SQLITE_OK) << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(connection);
  }

  std::vector<Record> RecordsOf(const std::string& organization_id) {
    std::vector<Record> records;
    const Status status = database_.db().Read([&](store::Transaction& tx) -> Status {
      CUSTODY_ASSIGN_OR_RETURN(
          const std::vector<store::Row> rows,
          tx.Query("SELECT encoded FROM audit_records WHERE organization_id = ? ORDER BY seq",
                   {organization_id}));
      for (const store::Row& row : rows) {
        CUSTODY_ASSIGN_OR_RETURN(const DecodedRecord decoded, Decode(row.Bytes(0)));
        records.push_back(decoded.record);
      }
      return Status::Ok();
    });
    EXPECT_TRUE(status.ok()) << status.ToString();
    return records;
  }

  FixedClock clock_;
  store::TempDatabase database_;
  FakeVersionedBucket bucket_;
  FakeTransport transport_;
  aws::S3Client s3_;
  WormTarget target_;
  WormMetrics metrics_;
  std::optional<CheckpointSigner> signer_;
};

TEST_F(WormExportTest, WritesRecordsThenCheckpoint) {
  AppendRecords("org_1", 5);
  SignCheckpoint("org_1");

  Result<WormExportSummary> summary = Exporter().ExportPending();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->checkpoints, 1u);
  EXPECT_EQ(summary->objects, 2u);
  const std::string records_key =
      "audit/org_1/records/00000000000000000000-00000000000000000005.jsonl";
  const std::string checkpoint_key = "audit/org_1/checkpoints/00000000000000000005.note";
  EXPECT_EQ(bucket_.calls,
            (std::vector<std::string>{"PUT " + records_key, "PUT " + checkpoint_key}));
  EXPECT_EQ(metrics_.objects_exported.load(), 2u);

  const FakeVersionedBucket::Version& records = bucket_.objects[records_key].at(0);
  EXPECT_EQ(records.headers.at("x-amz-object-lock-mode"), "COMPLIANCE");
  const crypto::Sha256Digest digest = crypto::Sha256(records.body);
  EXPECT_EQ(records.headers.at("x-amz-checksum-sha256"),
            crypto::Base64Encode(std::span<const uint8_t>(digest)));
  EXPECT_EQ(records.headers.count("x-amz-server-side-encryption"), 0u);

  Result<WormRecords> parsed = ParseWormRecords(records.body);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->origin, "custody.example/audit/org_1");
  EXPECT_EQ(parsed->first_seq, 0u);
  EXPECT_EQ(parsed->end_seq, 5u);
  ASSERT_EQ(parsed->entries.size(), 5u);
  EXPECT_EQ(parsed->entries[4].seq, 4u);
  EXPECT_EQ(parsed->entries[4].event_class, "operational");

  const std::vector<WormObject> rows = Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].kind, "checkpoint");
  EXPECT_EQ(rows[0].object_key, checkpoint_key);
  EXPECT_EQ(rows[0].version_id, "v2");
  EXPECT_EQ(rows[1].kind, "records");
  EXPECT_EQ(rows[1].first_seq, 0u);
  EXPECT_EQ(rows[1].end_seq, 5u);
  EXPECT_EQ(rows[1].version_id, "v1");
  EXPECT_EQ(rows[1].sha256, std::string(crypto::AsChars(std::span<const uint8_t>(digest))));
  EXPECT_EQ(rows[1].size, records.body.size());

  Result<WormExportSummary> again = Exporter().ExportPending();
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->objects, 0u);
  EXPECT_EQ(bucket_.calls.size(), 2u);
}

TEST_F(WormExportTest, LocksForLongestRetentionOfBatch) {
  RetentionPolicy policy;
  policy.security_days = 3000;
  policy.operational_days = 400;
  ASSERT_TRUE(ApplyRetentionPolicy(database_.db(), clock_, policy).ok());
  // ApplyRetentionPolicy records the change in the deployment log, so org_1 starts empty.
  AppendRecords("org_1", 2, "evidence.version.create");
  SignCheckpoint("org_1");
  AppendRecords("org_1", 1, "role_assignment.create");
  SignCheckpoint("org_1");
  ASSERT_TRUE(Exporter().ExportPending().ok());

  std::map<std::string, SystemTime> retain_until;
  for (const WormObject& row : Rows()) {
    retain_until[row.object_key] = row.retain_until;
  }
  const auto days = [this](int count) {
    return clock_.Now() + std::chrono::hours(24) * count;
  };
  EXPECT_EQ(retain_until.at("audit/org_1/records/00000000000000000000-00000000000000000002.jsonl"),
            days(400));
  EXPECT_EQ(retain_until.at("audit/org_1/records/00000000000000000002-00000000000000000003.jsonl"),
            days(3000));
  EXPECT_EQ(retain_until.at("audit/org_1/checkpoints/00000000000000000002.note"), days(3000));
  const std::string lock_date =
      bucket_.objects.at("audit/org_1/checkpoints/00000000000000000002.note")[0].headers.at(
          "x-amz-object-lock-retain-until-date");
  EXPECT_EQ(lock_date, "2038-03-20T00:00:00Z");
}

TEST_F(WormExportTest, SplitsLongRangesAndKeepsLogsApart) {
  target_.records_per_object = 3;
  target_.bucket.key_prefix = "custody/";
  AppendRecords("org_1", 7);
  SignCheckpoint("org_1");
  AppendRecords("", 1);
  SignCheckpoint("");
  ASSERT_TRUE(Exporter().ExportPending().ok());

  const std::vector<std::string> expected = {
      "PUT custody/audit/_deployment/records/00000000000000000000-00000000000000000001.jsonl",
      "PUT custody/audit/_deployment/checkpoints/00000000000000000001.note",
      "PUT custody/audit/org_1/records/00000000000000000000-00000000000000000003.jsonl",
      "PUT custody/audit/org_1/records/00000000000000000003-00000000000000000006.jsonl",
      "PUT custody/audit/org_1/records/00000000000000000006-00000000000000000007.jsonl",
      "PUT custody/audit/org_1/checkpoints/00000000000000000007.note",
  };
  EXPECT_EQ(bucket_.calls, expected);
}

TEST_F(WormExportTest, SplitsObjectsBySize) {
  AppendRecords("org_1", 5);
  SignCheckpoint("org_1");
  // Each record's line is a few hundred bytes, so two fit under 700 bytes and three do not.
  target_.object_bytes = 700;
  ASSERT_TRUE(Exporter().ExportPending().ok());

  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const WormObject& row : Rows()) {
    if (row.kind == "records") {
      ranges.emplace_back(row.first_seq, row.end_seq);
      EXPECT_LE(bucket_.objects.at(row.object_key)[0].body.size(), 700u + 200u)
          << "the header line is not counted";
    }
  }
  const std::vector<std::pair<uint64_t, uint64_t>> expected = {{0, 2}, {2, 4}, {4, 5}};
  EXPECT_EQ(ranges, expected);
}

TEST_F(WormExportTest, ResumesAfterFailure) {
  AppendRecords("org_1", 4);
  SignCheckpoint("org_1");
  bucket_.failures_left = 1;

  Result<WormExportSummary> first = Exporter().ExportPending();
  EXPECT_EQ(first.status().code(), ErrorCode::kUnavailable) << first.status().ToString();
  EXPECT_EQ(metrics_.export_failures.load(), 1u);
  EXPECT_TRUE(Rows().empty());

  bucket_.fail_puts_containing = "/checkpoints/";
  Result<WormExportSummary> second = Exporter().ExportPending();
  EXPECT_FALSE(second.ok());
  ASSERT_EQ(Rows().size(), 1u);
  EXPECT_EQ(Rows()[0].kind, "records");

  bucket_.fail_puts_containing.clear();

  Result<WormExportSummary> third = Exporter().ExportPending();
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ(third->objects, 1u) << "the records were already exported";
  EXPECT_EQ(Rows().size(), 2u);
}

TEST_F(WormExportTest, ReconcilerFindsNothingWhenIntact) {
  AppendRecords("org_1", 3);
  SignCheckpoint("org_1");
  ASSERT_TRUE(Exporter().ExportPending().ok());

  WormReconciler reconciler(database_.db(), s3_, clock_, target_, metrics_);
  Result<ReconcileSummary> summary = reconciler.ReconcileAll();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->checked, 2u);
  EXPECT_TRUE(summary->problems.empty());
  EXPECT_EQ(metrics_.mismatches.load(), 0u);
  EXPECT_EQ(metrics_.objects_checked.load(), 2u);
}

TEST_F(WormExportTest, ReconcilerAlarmsOnMissingObject) {
  AppendRecords("org_1", 3);
  SignCheckpoint("org_1");
  ASSERT_TRUE(Exporter().ExportPending().ok());
  bucket_.objects.erase("audit/org_1/checkpoints/00000000000000000003.note");

  WormReconciler reconciler(database_.db(), s3_, clock_, target_, metrics_);
  Result<ReconcileSummary> summary = reconciler.ReconcileAll();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_EQ(summary->problems.size(), 1u);
  EXPECT_EQ(summary->problems[0].finding, WormFinding::kMissing);
  EXPECT_EQ(summary->problems[0].object.kind, "checkpoint");
  EXPECT_EQ(metrics_.mismatches.load(), 1u);
  EXPECT_EQ(metrics_.mismatched_objects.load(), 1u);

  const std::vector<Record> records = RecordsOf("org_1");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[3].action, "audit_log.export_check");
  EXPECT_EQ(records[3].decision, "deny");
  EXPECT_EQ(records[3].reason, "worm_object_missing");
  EXPECT_EQ(records[3].resource, "audit_worm_objects/checkpoint/3");

  // A second run reports the same problem without another record or count.
  Result<ReconcileSummary> again = reconciler.ReconcileAll();
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->problems.size(), 1u);
  EXPECT_EQ(metrics_.mismatches.load(), 1u);
  EXPECT_EQ(RecordsOf("org_1").size(), 4u);
}

TEST_F(WormExportTest, ReconcilerReadsRecordedVersion) {
  AppendRecords("org_1", 3);
  SignCheckpoint("org_1");
  ASSERT_TRUE(Exporter().ExportPending().ok());
  const std::string key = "audit/org_1/checkpoints/00000000000000000003.note";
  // A newer version under the same key does not hide the exported one.
  bucket_.objects[key].push_back({"v99", "forged checkpoint\n", {}});

  WormReconciler reconciler(database_.db(), s3_, clock_, target_, metrics_);
  Result<ReconcileSummary> summary = reconciler.ReconcileAll();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_TRUE(summary->problems.empty());

  // Replacing the exported version's bytes is noticed.
  bucket_.objects[key][0].body = "forged checkpoint\n";
  Result<ReconcileSummary> altered = reconciler.ReconcileAll();
  ASSERT_TRUE(altered.ok()) << altered.status().ToString();
  ASSERT_EQ(altered->problems.size(), 1u);
  EXPECT_EQ(altered->problems[0].finding, WormFinding::kAltered);
}

TEST_F(WormExportTest, ReconcilerNamesRecordChangedInDatabase) {
  AppendRecords("org_1", 4);
  SignCheckpoint("org_1");
  ASSERT_TRUE(Exporter().ExportPending().ok());
  TamperWithDatabase(
      "UPDATE audit_records SET leaf_hash = zeroblob(32) WHERE organization_id = 'org_1' AND "
      "seq = 2;");

  WormReconciler reconciler(database_.db(), s3_, clock_, target_, metrics_);
  Result<ReconcileSummary> summary = reconciler.ReconcileAll();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_EQ(summary->problems.size(), 1u);
  EXPECT_EQ(summary->problems[0].finding, WormFinding::kDatabaseDiffers);
  EXPECT_EQ(summary->problems[0].detail,
            "record 2: the database's leaf hash differs from the exported one");
}

TEST_F(WormExportTest, ReconcilerNoticesRewrittenCheckpoint) {
  AppendRecords("org_1", 2);
  SignCheckpoint("org_1");
  ASSERT_TRUE(Exporter().ExportPending().ok());
  TamperWithDatabase("UPDATE audit_checkpoints SET signed_note = 'x' WHERE tree_size = 2;");

  WormReconciler reconciler(database_.db(), s3_, clock_, target_, metrics_);
  Result<ReconcileSummary> summary = reconciler.ReconcileAll();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_EQ(summary->problems.size(), 1u);
  EXPECT_EQ(summary->problems[0].finding, WormFinding::kDatabaseDiffers);
  EXPECT_NE(summary->problems[0].detail.find("checkpoint of tree size 2 differs"),
            std::string::npos);
}

TEST_F(WormExportTest, ReconcilerSkipsExpiredAndStopsOnOutage) {
  AppendRecords("org_1", 2);
  SignCheckpoint("org_1");
  ASSERT_TRUE(Exporter().ExportPending().ok());

  bucket_.failures_left = 1;
  WormReconciler reconciler(database_.db(), s3_, clock_, target_, metrics_);
  Result<ReconcileSummary> outage = reconciler.ReconcileAll();
  EXPECT_EQ(outage.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(metrics_.reconcile_failures.load(), 1u);

  FixedClock later(clock_.Now() + std::chrono::hours(24) * 3000);
  WormReconciler expired(database_.db(), s3_, later, target_, metrics_);
  Result<ReconcileSummary> summary = expired.ReconcileAll();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->checked, 0u);
  EXPECT_EQ(summary->skipped, 2u);
}

TEST_F(WormExportTest, JobExportsOnStartAndStops) {
  AppendRecords("org_1", 2);
  SignCheckpoint("org_1");
  WormSchedule schedule;
  schedule.export_interval = std::chrono::seconds(3600);
  WormJob job(database_.db(), s3_, clock_, target_, schedule, metrics_);
  job.Start();
  for (int i = 0; i < 500 && metrics_.objects_exported.load() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  job.Stop();
  job.Stop();
  EXPECT_EQ(metrics_.objects_exported.load(), 2u);
  EXPECT_EQ(Rows().size(), 2u);
}

TEST(WormJobTest, ExportDelayDoublesUpToMaximum) {
  WormSchedule schedule;
  schedule.export_interval = std::chrono::seconds(60);
  schedule.max_backoff = std::chrono::seconds(900);
  const std::vector<std::pair<int, int>> cases = {{0, 60},  {1, 60},  {2, 120}, {3, 240},
                                                  {4, 480}, {5, 900}, {6, 900}, {100, 900}};
  for (const auto& [failures, seconds] : cases) {
    EXPECT_EQ(WormExportDelay(schedule, failures).count(), seconds) << failures;
  }
  schedule.max_backoff = std::chrono::seconds(10);
  EXPECT_EQ(WormExportDelay(schedule, 3).count(), 60) << "never below the interval";
}

TEST(WormRecordsTest, FormatThenParseRoundTrips) {
  std::vector<ExportEntry> entries(2);
  entries[0].seq = 7;
  entries[0].leaf = std::string("\x01\x02", 2);
  entries[0].leaf_hash = std::string(32, 'a');
  entries[0].event_class = "security";
  entries[1].seq = 8;
  entries[1].leaf_hash = std::string(32, 'b');
  entries[1].event_class = "operational";

  Result<WormRecords> parsed = ParseWormRecords(FormatWormRecords("o/audit/x", 7, entries));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->origin, "o/audit/x");
  EXPECT_EQ(parsed->first_seq, 7u);
  EXPECT_EQ(parsed->end_seq, 9u);
  ASSERT_EQ(parsed->entries.size(), 2u);
  EXPECT_EQ(parsed->entries[0].leaf, entries[0].leaf);
  EXPECT_FALSE(parsed->entries[1].leaf.has_value());
  EXPECT_EQ(parsed->entries[1].leaf_hash, entries[1].leaf_hash);
}

TEST(WormRecordsTest, ParseRejectsMalformedFiles) {
  const std::string header =
      R"({"format":"custody.audit-worm-records.v1","origin":"o","first_seq":3,"end_seq":4})";
  const std::string entry = R"({"seq":3,"leaf":null,"leaf_hash":"AAAA","event_class":"security"})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty"},
      {header + "\n" + entry, "no newline"},
      {R"({"format":"other"})"
       "\n",
       "header"},
      {header + "\n", "does not match"},
      {header + "\n" + R"({"seq":4,"leaf":null,"leaf_hash":"AAAA"})" + "\n", "has seq 4"},
      {header + "\nnot json\n", "is not a record"},
  };
  for (const auto& [text, expected] : cases) {
    Result<WormRecords> parsed = ParseWormRecords(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_NE(parsed.status().message().find(expected), std::string::npos)
        << parsed.status().message();
  }
  EXPECT_TRUE(ParseWormRecords(header + "\n" + entry + "\n").ok());
}

TEST(WormKeysTest, PadsPositionsAndNamesDeploymentLog) {
  EXPECT_EQ(WormRecordsKey("p/", "org_1", 0, 10),
            "p/audit/org_1/records/00000000000000000000-00000000000000000010.jsonl");
  EXPECT_EQ(WormCheckpointKey("", "", 18446744073709551615u),
            "audit/_deployment/checkpoints/18446744073709551615.note");
}

}  // namespace
}  // namespace custody::audit
