#include "custody/identity/bootstrap.h"

#include <gtest/gtest.h>

#include "custody/audit/audit_log.h"
#include "custody/authz/authorize.h"
#include "custody/store/testing.h"

namespace custody::identity {
namespace {

class BootstrapTest : public ::testing::Test {
 protected:
  store::Database& db() { return temp_.db(); }

  int64_t Count(const std::string& table) {
    Result<int64_t> count =
        store::ReadReturning<int64_t>(db(), [&](store::Transaction& tx) -> Result<int64_t> {
          CUSTODY_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*) FROM " + table));
          return row->Int64(0);
        });
    EXPECT_TRUE(count.ok()) << table;
    return count.ok() ? *count : -1;
  }

  FixedClock clock_{FromUnixSeconds(1'800'000'000)};
  store::TempDatabase temp_;
};

TEST_F(BootstrapTest, CreatesOrganizationAdminAndToken) {
  Result<BootstrapResult> result =
      Bootstrap(db(), clock_, "Acme Corp", " Admin@Acme.example", "Ada Admin");
  ASSERT_TRUE(result.ok()) << result.status().ToString();

  EXPECT_EQ(result->organization.name, "Acme Corp");
  EXPECT_EQ(result->organization.root_entity_id, result->root_entity.id);
  EXPECT_EQ(result->root_entity.name, "Acme Corp");
  EXPECT_EQ(result->root_entity.kind, authz::EntityKind::kBusinessUnit);
  EXPECT_EQ(result->root_entity.parent_id, std::nullopt);
  EXPECT_EQ(result->admin.email, "admin@acme.example");
  EXPECT_EQ(result->admin.display_name, "Ada Admin");
  EXPECT_EQ(result->admin_role.role, authz::Role::kAdmin);
  EXPECT_EQ(result->admin_role.entity_id, result->root_entity.id);
  EXPECT_EQ(result->admin_role.created_by, "system");
  EXPECT_EQ(result->token.token.user_id, result->admin.id);

  Result<Organization> stored = store::ReadReturning<Organization>(
      db(), [&](store::Transaction& tx) { return GetOrganization(tx, result->organization.id); });
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->name, "Acme Corp");
}

TEST_F(BootstrapTest, TokenAuthenticatesAsOrganizationAdmin) {
  Result<BootstrapResult> result = Bootstrap(db(), clock_, "Acme", "admin@acme.example", "");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->admin.display_name, "admin@acme.example");

  Status status = db().Read([&](store::Transaction& tx) -> Status {
    CUSTODY_ASSIGN_OR_RETURN(authz::Principal principal,
                             AuthenticateToken(tx, result->token.value.Reveal()));
    EXPECT_EQ(principal.organization_id, result->organization.id);
    EXPECT_EQ(principal.user_id, result->admin.id);
    CUSTODY_RETURN_IF_ERROR(
        authz::AuthorizeOrganizationAction(tx, principal, authz::Action::kManageUsers));
    return authz::Authorize(tx, principal, result->root_entity.id, authz::Action::kCreateEntity);
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
}

TEST_F(BootstrapTest, WritesAuditRecordForEachStep) {
  Result<BootstrapResult> result = Bootstrap(db(), clock_, "Acme", "admin@acme.example", "Ada");
  ASSERT_TRUE(result.ok());

  Result<audit::RecordPage> page =
      store::ReadReturning<audit::RecordPage>(db(), [&](store::Transaction& tx) {
        return audit::List(tx, result->organization.id, std::nullopt, 50);
      });
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->records.size(), 5u);
  const std::pair<const char*, std::string> expected[] = {
      {"organization.create", "organization/" + result->organization.id},
      {"entity.create", "entity/" + result->root_entity.id},
      {"user.create", "user/" + result->admin.id},
      {"role_assignment.create", "role_assignment/" + result->admin_role.id},
      {"token.create", "token/" + result->token.token.id},
  };
  for (size_t i = 0; i < page->records.size(); ++i) {
    const audit::Record& record = page->records[i].record;
    EXPECT_EQ(page->records[i].seq, i);
    EXPECT_EQ(record.action, expected[i].first);
    EXPECT_EQ(record.resource, expected[i].second);
    EXPECT_EQ(record.actor, "system");
    EXPECT_EQ(record.decision, "allow");
    EXPECT_EQ(record.time, clock_.Now());
  }
}

TEST_F(BootstrapTest, InvalidInputCreatesNothing) {
  EXPECT_EQ(Bootstrap(db(), clock_, "Acme", "not-an-email", "Ada").status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(Bootstrap(db(), clock_, "", "admin@acme.example", "Ada").status().code(),
            ErrorCode::kInvalidArgument);
  for (const char* table :
       {"organizations", "entities", "users", "role_assignments", "api_tokens", "audit_records"}) {
    EXPECT_EQ(Count(table), 0) << table;
  }
}

TEST_F(BootstrapTest, FailedCommitCreatesNothing) {
  db().InjectFailureForTesting(store::InjectedFailure::kCommits);
  EXPECT_EQ(Bootstrap(db(), clock_, "Acme", "admin@acme.example", "Ada").status().code(),
            ErrorCode::kUnavailable);
  db().InjectFailureForTesting(store::InjectedFailure::kNone);
  for (const char* table :
       {"organizations", "entities", "users", "role_assignments", "api_tokens", "audit_records"}) {
    EXPECT_EQ(Count(table), 0) << table;
  }
}

TEST_F(BootstrapTest, OrganizationsStaySeparate) {
  Result<BootstrapResult> acme = Bootstrap(db(), clock_, "Acme", "admin@acme.example", "A");
  Result<BootstrapResult> globex = Bootstrap(db(), clock_, "Globex", "admin@acme.example", "G");
  ASSERT_TRUE(acme.ok());
  ASSERT_TRUE(globex.ok());
  EXPECT_NE(acme->organization.id, globex->organization.id);

  // Acme's admin has no role anywhere in Globex.
  Status status = db().Read([&](store::Transaction& tx) -> Status {
    CUSTODY_ASSIGN_OR_RETURN(authz::Principal principal,
                             AuthenticateToken(tx, acme->token.value.Reveal()));
    EXPECT_EQ(
        authz::Authorize(tx, principal, globex->root_entity.id, authz::Action::kReadEntity).code(),
        ErrorCode::kNotFound);
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
}

}  // namespace
}  // namespace custody::identity
