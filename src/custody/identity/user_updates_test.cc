#include "custody/identity/user_updates.h"

#include <gtest/gtest.h>

#include "custody/identity/test_org.h"
#include "custody/identity/tokens.h"

namespace custody::identity {
namespace {

class UserUpdatesTest : public testing::OrgTest {};

TEST_F(UserUpdatesTest, UpdatesEmailAndDisplayName) {
  Result<User> user = AddUser(acme_id(), "bob@acme.example");
  ASSERT_TRUE(user.ok());
  Result<User> updated = store::WriteReturning<User>(db(), [&](store::Transaction& tx) {
    return UpdateUserProfile(tx, acme_id(), user->id, " Robert@Acme.Example ", "Robert");
  });
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->email, "robert@acme.example");
  EXPECT_EQ(updated->display_name, "Robert");
}

TEST_F(UserUpdatesTest, RejectsEmailOfAnotherUser) {
  Result<User> user = AddUser(acme_id(), "bob@acme.example");
  ASSERT_TRUE(user.ok());
  Result<User> updated = store::WriteReturning<User>(db(), [&](store::Transaction& tx) {
    return UpdateUserProfile(tx, acme_id(), user->id, "admin@acme.example", "Bob");
  });
  EXPECT_EQ(updated.status().code(), ErrorCode::kConflict);
}

TEST_F(UserUpdatesTest, RejectsUserOfAnotherOrganization) {
  Result<User> user = AddUser(globex_id(), "bob@globex.example");
  ASSERT_TRUE(user.ok());
  Result<User> updated = store::WriteReturning<User>(db(), [&](store::Transaction& tx) {
    return UpdateUserProfile(tx, acme_id(), user->id, "bob@acme.example", "Bob");
  });
  EXPECT_EQ(updated.status().code(), ErrorCode::kNotFound);
}

TEST_F(UserUpdatesTest, ReactivationRestoresTokens) {
  Result<User> user = AddUser(acme_id(), "bob@acme.example");
  ASSERT_TRUE(user.ok());
  Result<CreatedToken> token =
      store::WriteReturning<CreatedToken>(db(), [&](store::Transaction& tx) {
        return CreateToken(tx, clock_, acme_id(), user->id, "cli", user->id);
      });
  ASSERT_TRUE(token.ok());
  auto authenticate = [&] {
    return store::ReadReturning<authz::Principal>(
        db(), [&](store::Transaction& tx) { return AuthenticateToken(tx, token->value.Reveal()); });
  };

  ASSERT_TRUE(store::WriteReturning<User>(db(), [&](store::Transaction& tx) {
                return DeactivateUser(tx, clock_, acme_id(), user->id);
              }).ok());
  EXPECT_EQ(authenticate().status().code(), ErrorCode::kUnauthenticated);

  Result<User> reactivated = store::WriteReturning<User>(
      db(), [&](store::Transaction& tx) { return ReactivateUser(tx, acme_id(), user->id); });
  ASSERT_TRUE(reactivated.ok()) << reactivated.status().ToString();
  EXPECT_TRUE(reactivated->active);
  EXPECT_FALSE(reactivated->deactivated_at.has_value());
  EXPECT_TRUE(authenticate().ok());
}

}  // namespace
}  // namespace custody::identity
