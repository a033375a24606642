// The audit_records UPDATE triggers of schema version 8: which update fails, and with which
// message. The rows are written with SQL, because the audit module depends on the store and
// not the other way around.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "custody/store/schema.h"
#include "custody/store/testing.h"

namespace custody::store {
namespace {

constexpr std::string_view kChangeMessage =
    "audit records cannot be changed, except by a purge of the whole payload after retain_until";
constexpr std::string_view kEarlyPurgeMessage =
    "an audit record cannot be purged before its retain_until";

// Microseconds since the Unix epoch, the unit of retain_until: 2100-01-01 and 1970-01-01.
constexpr int64_t kFutureMicros = 4'102'444'800'000'000;
constexpr int64_t kPastMicros = 1;

constexpr std::string_view kPurge =
    "UPDATE audit_records SET actor = NULL, action = NULL, resource = NULL, decision = NULL, "
    "reason = NULL, request_id = NULL, source = NULL, encoded = NULL, purged_at = 5 "
    "WHERE organization_id = 'org_a' AND seq = ?";

class AuditTriggersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Record 0 is within its retention, record 1 past it.
    ASSERT_TRUE(AppendRecord(0, kFutureMicros).ok());
    ASSERT_TRUE(AppendRecord(1, kPastMicros).ok());
  }

  Status AppendRecord(int64_t seq, int64_t retain_until) {
    const std::string leaf_hash(32, static_cast<char>('a' + seq));
    return temp_.db().Write([&](Transaction& tx) -> Status {
      CUSTODY_RETURN_IF_ERROR(tx.Execute("INSERT INTO audit_nodes (organization_id, level, idx, "
                                         "hash) VALUES ('org_a', 0, ?, CAST(? AS BLOB))",
                                         {seq, leaf_hash})
                                  .status());
      return tx
          .Execute(
              "INSERT INTO audit_records (organization_id, seq, leaf_hash, event_class, "
              "time, retain_until, actor, action, resource, decision, reason, request_id, "
              "source, encoded) VALUES ('org_a', ?, CAST(? AS BLOB), 'security', 0, ?, "
              "'usr_1', 'x.create', 'x/1', 'allow', '', 'req_1', '127.0.0.1', x'00')",
              {seq, leaf_hash, retain_until})
          .status();
    });
  }

  Status Run(std::string_view sql, std::vector<Param> params = {}) {
    return temp_.db().Write([&](Transaction& tx) { return tx.Execute(sql, params).status(); });
  }

  TempDatabase temp_;
};

TEST_F(AuditTriggersTest, OtherChangeGetsChangeMessage) {
  const char* changes[] = {
      "UPDATE audit_records SET decision = 'deny' WHERE seq = ?",
      "UPDATE audit_records SET retain_until = 0 WHERE seq = ?",
      "UPDATE audit_records SET encoded = x'01' WHERE seq = ?",
      // A purge that keeps the source column.
      "UPDATE audit_records SET actor = NULL, action = NULL, resource = NULL, decision = NULL, "
      "reason = NULL, request_id = NULL, encoded = NULL, purged_at = 5 WHERE seq = ?",
  };
  for (const char* sql : changes) {
    for (const int64_t seq : {0, 1}) {
      const Status status = Run(sql, {seq});
      EXPECT_FALSE(status.ok()) << sql << " seq " << seq;
      EXPECT_NE(status.message().find(kChangeMessage), std::string::npos)
          << sql << " seq " << seq << ": " << status.ToString();
      EXPECT_EQ(status.message().find("purged before"), std::string::npos)
          << sql << " seq " << seq << ": " << status.ToString();
    }
  }
}

TEST_F(AuditTriggersTest, EarlyPurgeGetsRetentionMessage) {
  const Status status = Run(kPurge, {int64_t{0}});
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find(kEarlyPurgeMessage), std::string::npos) << status.ToString();
  EXPECT_EQ(status.message().find("cannot be changed"), std::string::npos) << status.ToString();
}

TEST_F(AuditTriggersTest, PurgeAfterRetentionSucceeds) {
  EXPECT_TRUE(Run(kPurge, {int64_t{1}}).ok());
  // A purged record cannot be purged or changed again.
  const Status again = Run(kPurge, {int64_t{1}});
  EXPECT_FALSE(again.ok());
  EXPECT_NE(again.message().find(kChangeMessage), std::string::npos) << again.ToString();
}

TEST(AuditTriggerMigrationTest, IsVersionEight) {
  const std::vector<Migration>& migrations = CustodyMigrations();
  ASSERT_GE(migrations.size(), 8u);
  EXPECT_EQ(migrations[7].version, 8);
  EXPECT_NE(migrations[7].sql.find("audit_records_no_early_purge"), std::string::npos);
}

}  // namespace
}  // namespace custody::store
