#include "custody/server/app.h"

#include <sys/stat.h>

#include <string>

#include <gtest/gtest.h>

#include "custody/audit/audit_log.h"
#include "custody/audit/signing_key.h"
#include "custody/store/testing.h"

namespace custody::server {
namespace {

// A configuration whose database and audit signing key live in a fresh temporary directory.
class AppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(audit::GenerateSigningKeyFile(KeyPath(), "custody.local/audit").ok());
  }

  std::string KeyPath() const { return directory_.directory() + "/audit.key"; }

  Config TestConfig() const {
    Config config;
    config.server.listen_port = 0;
    config.database.path = directory_.directory() + "/app.db";
    config.audit.signing_key_file = KeyPath();
    return config;
  }

  store::TempDatabase directory_;
};

TEST(App, ServerOptionsFromConfig) {
  Config config;
  config.server.listen_address = "::1";
  config.server.listen_port = 0;
  config.server.worker_threads = 7;
  config.server.max_body_bytes = 2048;
  const http::ServerOptions options = MakeServerOptions(config);
  EXPECT_EQ(options.address, "::1");
  EXPECT_EQ(options.port, 0);
  EXPECT_EQ(options.worker_threads, 7u);
  EXPECT_EQ(options.max_body_bytes, 2048u);
}

TEST_F(AppTest, StartsOnFreePortAndStops) {
  App app(TestConfig());
  const Status status = app.Start();
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_NE(app.port(), 0);
  EXPECT_EQ(app.address(), "127.0.0.1");
  app.Stop();
}

TEST_F(AppTest, StartFailsWhenPortTaken) {
  Config config = TestConfig();
  App first(config);
  ASSERT_TRUE(first.Start().ok());
  config.server.listen_port = first.port();
  App second(config);
  const Status status = second.Start();
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable);
}

TEST_F(AppTest, StartFailsWithoutDatabase) {
  Config config = TestConfig();
  config.database.path = directory_.directory() + "/missing/folder/app.db";
  App app(config);
  EXPECT_FALSE(app.Start().ok());
  EXPECT_EQ(app.port(), 0);
}

TEST_F(AppTest, StartFailsWithoutUsableSigningKey) {
  Config missing = TestConfig();
  missing.audit.signing_key_file = directory_.directory() + "/absent.key";
  App without_key(missing);
  Status status = without_key.Start();
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.field(), "audit.signing_key_file");

  Config unset = TestConfig();
  unset.audit.signing_key_file.clear();
  App unconfigured(unset);
  EXPECT_EQ(unconfigured.Start().field(), "audit.signing_key_file");

  ASSERT_EQ(chmod(KeyPath().c_str(), 0640), 0);
  App readable(TestConfig());
  status = readable.Start();
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(status.message().find("chmod 600"), std::string::npos) << status.ToString();
  EXPECT_EQ(readable.port(), 0);
}

TEST_F(AppTest, StartFailsWithKeyOfAnotherHost) {
  Config config = TestConfig();
  config.audit.origin_host = "other.example";
  App app(config);
  const Status status = app.Start();
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(status.message().find("other.example/audit"), std::string::npos) << status.ToString();
}

TEST_F(AppTest, PreviousKeyMustLoadToo) {
  Config config = TestConfig();
  config.audit.previous_signing_key_files = {directory_.directory() + "/old.key"};
  App app(config);
  EXPECT_EQ(app.Start().field(), "audit.previous_signing_key_files");
}

TEST_F(AppTest, SessionShorterThanUrlsRejected) {
  Config config = TestConfig();
  config.aws.upload_url_ttl_seconds = 3600;
  config.aws.session_duration_seconds = 3600;
  App app(config);
  const Status status = app.Start();
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.field(), "aws.session_duration_seconds");
}

TEST(StoreReadinessTest, PassesWithoutWriting) {
  store::TempDatabase temp;
  ReadinessChecks readiness;
  AddStoreReadinessChecks(readiness, temp.db());
  ASSERT_EQ(readiness.size(), 2u);
  EXPECT_TRUE(readiness.Run().empty());

  const Result<int64_t> records =
      store::ReadReturning<int64_t>(temp.db(), [](store::Transaction& tx) -> Result<int64_t> {
        CUSTODY_ASSIGN_OR_RETURN(std::optional<store::Row> row,
                                 tx.QueryOne("SELECT COUNT(*) FROM audit_records"));
        return row->Int64(0);
      });
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(*records, 0);
}

TEST(StoreReadinessTest, NamesFailedChecks) {
  store::TempDatabase temp;
  ReadinessChecks readiness;
  AddStoreReadinessChecks(readiness, temp.db());

  temp.db().InjectFailureForTesting(store::InjectedFailure::kWrites);
  std::vector<ReadinessChecks::Failure> failures = readiness.Run();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].name, "database");

  temp.db().InjectFailureForTesting(store::InjectedFailure::kAll);
  failures = readiness.Run();
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[1].name, "audit_log");
}

TEST(StoreReadinessTest, NonEmptyAuditLogPasses) {
  store::TempDatabase temp;
  audit::Record record;
  record.actor = "system";
  record.action = "test.event";
  record.decision = "allow";
  ASSERT_TRUE(temp.db()
                  .Write([&](store::Transaction& tx) { return audit::Append(tx, record).status(); })
                  .ok());
  ReadinessChecks readiness;
  AddStoreReadinessChecks(readiness, temp.db());
  EXPECT_TRUE(readiness.Run().empty());
}

}  // namespace
}  // namespace custody::server
