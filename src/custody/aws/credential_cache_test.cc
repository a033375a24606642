#include "custody/aws/credential_cache.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "custody/aws/fake_transport.h"

namespace custody::aws {
namespace {

using testing::FakeTransport;
using testing::Respond;

constexpr int64_t kNow = 1796400000;  // 2026-12-04T16:00:00Z

// An STS stand-in: each call returns credentials that expire an hour after the clock's now,
// with a distinct access key id.
class StsFake {
 public:
  explicit StsFake(const Clock& clock) : clock_(clock) {}

  Result<HttpResponse> Answer(const HttpRequest& request) {
    last_body_ = request.body;
    if (delay_.count() > 0) {
      std::this_thread::sleep_for(delay_);
    }
    if (fail_) {
      return Respond(503,
                     "<ErrorResponse><Error><Code>ServiceUnavailable</Code></Error>"
                     "</ErrorResponse>");
    }
    const int number = ++issued_;
    return Respond(200, "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA" +
                            std::to_string(number) + "</AccessKeyId><SecretAccessKey>secret" +
                            std::to_string(number) +
                            "</SecretAccessKey><SessionToken>token</SessionToken>" +
                            "<Expiration>" + FormatRfc3339(clock_.Now() + std::chrono::hours(1)) +
                            "</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>");
  }

  void set_fail(bool fail) { fail_ = fail; }

  void set_delay(std::chrono::milliseconds delay) { delay_ = delay; }

  std::string last_body() const { return last_body_; }

 private:
  const Clock& clock_;
  std::atomic<int> issued_{0};
  std::atomic<bool> fail_{false};
  std::chrono::milliseconds delay_{0};
  std::string last_body_;
};

AwsConnection Connection() {
  AwsConnection connection;
  connection.role_arn = "arn:aws:iam::123456789012:role/CustodyEvidence";
  connection.external_id = "Xk3p9QwE7rT2yU5iO8aS1dF4gH6jK0lZ";
  connection.bucket = "acme-evidence";
  connection.region = "eu-west-1";
  connection.kms_key_id = "1234abcd-12ab-34cd-56ef-1234567890ab";
  return connection;
}

Credentials ServiceCredentials() {
  Credentials credentials;
  credentials.access_key_id = "AKIDSERVICE";
  credentials.secret_access_key = Secret("service-secret");
  return credentials;
}

struct Fixture {
  Fixture()
      : clock(FromUnixSeconds(kNow)),
        sts_fake(clock),
        transport([this](const HttpRequest& request) { return sts_fake.Answer(request); }),
        sts(transport, ServiceCredentials(), "", "eu-west-1", clock),
        cache(sts, clock) {}

  FixedClock clock;
  StsFake sts_fake;
  FakeTransport transport;
  StsClient sts;
  CredentialCache cache;
};

TEST(CredentialCacheTest, ReusesUntilRefreshMargin) {
  Fixture f;
  const auto first = f.cache.Get(Connection(), "org_1", "usr_1");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->access_key_id, "ASIA1");
  f.clock.Advance(std::chrono::seconds(3600 - 301));
  EXPECT_EQ(f.cache.Get(Connection(), "org_1", "usr_1")->access_key_id, "ASIA1");
  EXPECT_EQ(f.transport.calls(), 1);

  f.clock.Advance(std::chrono::seconds(1));  // 300 s left: not more than the margin
  EXPECT_EQ(f.cache.Get(Connection(), "org_1", "usr_1")->access_key_id, "ASIA2");
  EXPECT_EQ(f.transport.calls(), 2);
}

TEST(CredentialCacheTest, SendsOrganizationAndUser) {
  Fixture f;
  ASSERT_TRUE(f.cache.Get(Connection(), "org_42", "usr_7").ok());
  const std::string body = f.sts_fake.last_body();
  EXPECT_NE(body.find("RoleSessionName=custody-org_42"), std::string::npos) << body;
  EXPECT_NE(body.find("SourceIdentity=usr_7"), std::string::npos) << body;
  EXPECT_NE(body.find("ExternalId=Xk3p9QwE7rT2yU5iO8aS1dF4gH6jK0lZ"), std::string::npos) << body;
  EXPECT_NE(body.find("DurationSeconds=3600"), std::string::npos) << body;
}

TEST(CredentialCacheTest, SeparatesOrganizationsAndUsers) {
  Fixture f;
  EXPECT_EQ(f.cache.Get(Connection(), "org_1", "usr_1")->access_key_id, "ASIA1");
  EXPECT_EQ(f.cache.Get(Connection(), "org_1", "usr_2")->access_key_id, "ASIA2");
  EXPECT_EQ(f.cache.Get(Connection(), "org_2", "usr_1")->access_key_id, "ASIA3");
  EXPECT_EQ(f.cache.Get(Connection(), "org_1", "usr_1")->access_key_id, "ASIA1");
  EXPECT_EQ(f.transport.calls(), 3);
  EXPECT_EQ(f.cache.size(), 3u);
}

TEST(CredentialCacheTest, ChangedConnectionIsNotReused) {
  Fixture f;
  EXPECT_EQ(f.cache.Get(Connection(), "org_1", "usr_1")->access_key_id, "ASIA1");
  AwsConnection changed = Connection();
  changed.external_id = "AnotherExternalIdOfThirtyTwoChars";
  EXPECT_EQ(f.cache.Get(changed, "org_1", "usr_1")->access_key_id, "ASIA2");
  changed.role_arn = "arn:aws:iam::123456789012:role/Other";
  EXPECT_EQ(f.cache.Get(changed, "org_1", "usr_1")->access_key_id, "ASIA3");
}

TEST(CredentialCacheTest, InvalidateDropsOnlyThatOrganization) {
  Fixture f;
  ASSERT_TRUE(f.cache.Get(Connection(), "org_1", "usr_1").ok());
  ASSERT_TRUE(f.cache.Get(Connection(), "org_1", "usr_2").ok());
  ASSERT_TRUE(f.cache.Get(Connection(), "org_2", "usr_1").ok());
  f.cache.Invalidate("org_1");
  EXPECT_EQ(f.cache.size(), 1u);
  EXPECT_EQ(f.cache.Get(Connection(), "org_2", "usr_1")->access_key_id, "ASIA3");
  EXPECT_EQ(f.cache.Get(Connection(), "org_1", "usr_1")->access_key_id, "ASIA4");
}

TEST(CredentialCacheTest, EvictDropsOnlyThatUser) {
  Fixture f;
  ASSERT_TRUE(f.cache.Get(Connection(), "org_1", "usr_1").ok());
  ASSERT_TRUE(f.cache.Get(Connection(), "org_1", "usr_2").ok());
  ASSERT_TRUE(f.cache.Get(Connection(), "org_2", "usr_1").ok());
  f.cache.Evict("org_1", "usr_1");
  EXPECT_EQ(f.cache.size(), 2u);
  EXPECT_EQ(f.cache.Get(Connection(), "org_1", "usr_2")->access_key_id, "ASIA2");
  EXPECT_EQ(f.cache.Get(Connection(), "org_2", "usr_1")->access_key_id, "ASIA3");
  EXPECT_EQ(f.cache.Get(Connection(), "org_1", "usr_1")->access_key_id, "ASIA4");
}

TEST(CredentialCacheTest, FailuresAreNotCached) {
  Fixture f;
  f.sts_fake.set_fail(true);
  const auto failed = f.cache.Get(Connection(), "org_1", "usr_1");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(f.cache.size(), 0u);

  f.sts_fake.set_fail(false);
  EXPECT_TRUE(f.cache.Get(Connection(), "org_1", "usr_1").ok());
  EXPECT_EQ(f.transport.calls(), 2);
}

void RunConcurrently(Fixture& f, int threads, std::vector<Result<Credentials>>* results) {
  std::atomic<bool> go{false};
  std::vector<std::thread> workers;
  results->assign(threads, Result<Credentials>(Internal("not run")));
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back([&f, &go, results, i] {
      while (!go.load()) {
        std::this_thread::yield();
      }
      (*results)[i] = f.cache.Get(Connection(), "org_1", "usr_1");
    });
  }
  go = true;
  for (auto& worker : workers) {
    worker.join();
  }
}

TEST(CredentialCacheTest, ConcurrentCallersShareOneCall) {
  Fixture f;
  f.sts_fake.set_delay(std::chrono::milliseconds(200));
  std::vector<Result<Credentials>> results;
  RunConcurrently(f, 32, &results);
  EXPECT_EQ(f.transport.calls(), 1);
  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(result->access_key_id, "ASIA1");
  }
}

TEST(CredentialCacheTest, ConcurrentCallersShareOneFailure) {
  Fixture f;
  f.sts_fake.set_delay(std::chrono::milliseconds(200));
  f.sts_fake.set_fail(true);
  std::vector<Result<Credentials>> results;
  RunConcurrently(f, 32, &results);
  EXPECT_EQ(f.transport.calls(), 1);
  for (const auto& result : results) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), ErrorCode::kUnavailable);
  }
  EXPECT_EQ(f.cache.size(), 0u);
}

TEST(CredentialCacheTest, InvalidateDuringCallIsNotCached) {
  Fixture f;
  f.sts_fake.set_delay(std::chrono::milliseconds(200));
  std::thread caller([&f] { EXPECT_TRUE(f.cache.Get(Connection(), "org_1", "usr_1").ok()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  f.cache.Invalidate("org_1");
  caller.join();
  EXPECT_EQ(f.cache.size(), 0u);
}

TEST(CheckCredentialCacheOptionsTest, MarginCoversLongestUrl) {
  CredentialCacheOptions options;
  EXPECT_TRUE(CheckCredentialCacheOptions(options, std::chrono::seconds(300)).ok());
  EXPECT_FALSE(CheckCredentialCacheOptions(options, std::chrono::seconds(301)).ok());
  options.refresh_margin = std::chrono::seconds(3600);
  EXPECT_FALSE(CheckCredentialCacheOptions(options, std::chrono::seconds(600)).ok());
}

}  // namespace
}  // namespace custody::aws
