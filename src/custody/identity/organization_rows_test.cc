#include "custody/identity/organization_rows.h"

#include <string>

#include <gtest/gtest.h>

#include "custody/authz/authorize.h"
#include "custody/identity/test_org.h"

namespace custody::identity {
namespace {

class OrganizationRowsTest : public testing::OrgTest {
 protected:
  Result<store::Row> Get(std::string_view organization_id, std::string_view id) {
    return store::ReadReturning<store::Row>(db(), [&](store::Transaction& tx) {
      return GetOrganizationRow(tx, "users", "id, email", organization_id, id);
    });
  }
};

TEST_F(OrganizationRowsTest, ReturnsSelectedColumns) {
  const Result<store::Row> row = Get(acme_id(), acme_.admin.id);
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ(row->Text(0), acme_.admin.id);
  EXPECT_EQ(row->Text(1), "admin@acme.example");
}

TEST_F(OrganizationRowsTest, OtherOrganizationIsNotFound) {
  for (const std::string& id : {globex_.admin.id, std::string("usr_missing")}) {
    const Result<store::Row> row = Get(acme_id(), id);
    EXPECT_EQ(row.status().code(), ErrorCode::kNotFound) << id;
    EXPECT_EQ(row.status().message(), authz::NotFoundError().message()) << id;
  }
}

TEST_F(OrganizationRowsTest, DatabaseFailureIsNotNotFound) {
  temp_.db().InjectFailureForTesting(store::InjectedFailure::kAll);
  EXPECT_EQ(Get(acme_id(), acme_.admin.id).status().code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace custody::identity
