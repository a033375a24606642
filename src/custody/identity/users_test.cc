#include "custody/identity/users.h"

#include <gtest/gtest.h>

#include "custody/authz/authorize.h"
#include "custody/identity/test_org.h"
#include "custody/store/ids.h"
#include "custody/store/page_cursor.h"

namespace custody::identity {
namespace {

TEST(CanonicalizeEmailTest, TrimsAndLowercases) {
  const std::pair<const char*, const char*> cases[] = {
      {"Ann@Example.COM", "ann@example.com"},
      {"  ann@example.com\t\n", "ann@example.com"},
      {"first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"},
      {"o'neil@x-y.example", "o'neil@x-y.example"},
      {"A_B-C@EXAMPLE.ORG", "a_b-c@example.org"},
  };
  for (const auto& [input, expected] : cases) {
    Result<std::string> canonical = CanonicalizeEmail(input);
    ASSERT_TRUE(canonical.ok()) << input << ": " << canonical.status().ToString();
    EXPECT_EQ(*canonical, expected) << input;
  }
}

TEST(CanonicalizeEmailTest, RejectsMalformed) {
  const std::string bad[] = {
      "",
      "   ",
      "ann",
      "ann@",
      "@example.com",
      "ann@@example.com",
      "ann@b@example.com",
      "ann@localhost",
      "ann@example..com",
      "ann@-example.com",
      "ann@example-.com",
      "ann@exa_mple.com",
      ".ann@example.com",
      "ann.@example.com",
      "an..n@example.com",
      "an n@example.com",
      "\"ann\"@example.com",
      "ann@[127.0.0.1]",
      "änn@example.com",
      "ann@exämple.com",
      std::string("ann\0@example.com", 16),
      std::string(65, 'a') + "@example.com",
      "ann@" + std::string(64, 'a') + ".com",
      "a@" + std::string(250, 'b') + ".com",
  };
  for (const std::string& email : bad) {
    Result<std::string> canonical = CanonicalizeEmail(email);
    EXPECT_EQ(canonical.status().code(), ErrorCode::kInvalidArgument) << email;
    EXPECT_EQ(canonical.status().field(), "/email") << email;
  }
}

class UsersTest : public testing::OrgTest {
 protected:
  Result<User> Get(const std::string& organization_id, const std::string& user_id) {
    return store::ReadReturning<User>(
        db(), [&](store::Transaction& tx) { return GetUser(tx, organization_id, user_id); });
  }

  Result<User> Deactivate(const std::string& organization_id, const std::string& user_id) {
    return store::WriteReturning<User>(db(), [&](store::Transaction& tx) {
      return DeactivateUser(tx, clock_, organization_id, user_id);
    });
  }
};

TEST_F(UsersTest, CreateStoresCanonicalEmail) {
  Result<User> user = AddUser(acme_id(), " Bob@Acme.Example ", "Bob Builder");
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  EXPECT_TRUE(store::IsWellFormedId(user->id, store::kUserIdPrefix));
  EXPECT_EQ(user->email, "bob@acme.example");
  EXPECT_TRUE(user->active);

  Result<User> loaded = Get(acme_id(), user->id);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->email, "bob@acme.example");
  EXPECT_EQ(loaded->display_name, "Bob Builder");
  EXPECT_EQ(loaded->created_at, clock_.Now());
  EXPECT_EQ(loaded->deactivated_at, std::nullopt);
}

TEST_F(UsersTest, EmailIsUniqueAfterCanonicalization) {
  ASSERT_TRUE(AddUser(acme_id(), "bob@acme.example").ok());
  Result<User> again = AddUser(acme_id(), "BOB@acme.example ");
  EXPECT_EQ(again.status().code(), ErrorCode::kConflict);
  // Another organization may have the same address.
  EXPECT_TRUE(AddUser(globex_id(), "bob@acme.example").ok());
}

TEST_F(UsersTest, CreateValidatesDisplayName) {
  for (const std::string& name : {std::string(), std::string(201, 'x'), std::string("a\tb")}) {
    Result<User> user = AddUser(acme_id(), "x@acme.example", name);
    EXPECT_EQ(user.status().code(), ErrorCode::kInvalidArgument) << name;
    EXPECT_EQ(user.status().field(), "/display_name") << name;
  }
}

TEST_F(UsersTest, OtherOrganizationUserIsNotFound) {
  Result<User> user = Get(acme_id(), globex_.admin.id);
  EXPECT_EQ(user.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(user.status().message(), authz::NotFoundError().message());
}

TEST_F(UsersTest, FindByEmailCanonicalizes) {
  Result<User> found = store::ReadReturning<User>(db(), [&](store::Transaction& tx) {
    return FindUserByEmail(tx, acme_id(), "  ADMIN@acme.example");
  });
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->id, acme_.admin.id);

  Result<User> other = store::ReadReturning<User>(db(), [&](store::Transaction& tx) {
    return FindUserByEmail(tx, globex_id(), "admin@acme.example");
  });
  EXPECT_EQ(other.status().code(), ErrorCode::kNotFound);
}

TEST_F(UsersTest, ListPagesNewestFirst) {
  std::vector<std::string> created;
  for (int i = 0; i < 4; ++i) {
    Result<User> user = AddUser(acme_id(), "user" + std::to_string(i) + "@acme.example");
    ASSERT_TRUE(user.ok());
    created.insert(created.begin(), user->id);
  }
  created.push_back(acme_.admin.id);

  std::vector<std::string> seen;
  std::optional<std::string> after;
  int pages = 0;
  do {
    Result<UserPage> page = store::ReadReturning<UserPage>(
        db(), [&](store::Transaction& tx) { return ListUsers(tx, acme_id(), after, 2); });
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const User& user : page->users) {
      seen.push_back(user.id);
    }
    after = page->next_after;
    ++pages;
  } while (after.has_value() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, created);
}

TEST_F(UsersTest, ListRejectsCursorOfOtherOrganization) {
  for (const std::string& after : {globex_.admin.id, std::string("usr_missing")}) {
    Result<UserPage> page = store::ReadReturning<UserPage>(
        db(), [&](store::Transaction& tx) { return ListUsers(tx, acme_id(), after, 2); });
    EXPECT_EQ(page.status().code(), ErrorCode::kInvalidArgument) << after;
    EXPECT_EQ(page.status().message(), store::InvalidCursorError().message()) << after;
  }
}

TEST_F(UsersTest, DeactivateIsRecordedOnce) {
  Result<User> user = AddUser(acme_id(), "bob@acme.example");
  ASSERT_TRUE(user.ok());
  const SystemTime first_time = clock_.Now();
  Result<User> deactivated = Deactivate(acme_id(), user->id);
  ASSERT_TRUE(deactivated.ok()) << deactivated.status().ToString();
  EXPECT_FALSE(deactivated->active);
  EXPECT_EQ(deactivated->deactivated_at, first_time);

  clock_.Advance(std::chrono::seconds(60));
  Result<User> again = Deactivate(acme_id(), user->id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->deactivated_at, first_time);

  Result<User> loaded = Get(acme_id(), user->id);
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->active);
  EXPECT_EQ(loaded->deactivated_at, first_time);
}

TEST_F(UsersTest, LastAdminCannotBeDeactivated) {
  Result<User> deactivated = Deactivate(acme_id(), acme_.admin.id);
  EXPECT_EQ(deactivated.status().code(), ErrorCode::kConflict);

  // With a second admin on the root, the first one can go.
  Result<User> second = AddUser(acme_id(), "second@acme.example");
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(db().Write([&](store::Transaction& tx) {
                    return CreateRoleAssignment(tx, clock_, acme_id(), second->id,
                                                acme_.root_entity.id, "admin", acme_.admin.id)
                        .status();
                  })
                  .ok());
  EXPECT_TRUE(Deactivate(acme_id(), acme_.admin.id).ok());
  EXPECT_EQ(Deactivate(acme_id(), second->id).status().code(), ErrorCode::kConflict);
}

TEST_F(UsersTest, DeactivateOtherOrganizationUserIsNotFound) {
  EXPECT_EQ(Deactivate(acme_id(), globex_.admin.id).status().code(), ErrorCode::kNotFound);
  Result<User> untouched = Get(globex_id(), globex_.admin.id);
  ASSERT_TRUE(untouched.ok());
  EXPECT_TRUE(untouched->active);
}

}  // namespace
}  // namespace custody::identity
