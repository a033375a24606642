#include "custody/identity/user_pages.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "custody/identity/test_org.h"
#include "custody/identity/tokens.h"
#include "custody/store/page_cursor.h"

namespace custody::identity {
namespace {

// Pages of API tokens, read with the helper directly: bob has five tokens, the admin one.
class UserPagesTest : public testing::OrgTest {
 protected:
  void SetUp() override {
    OrgTest::SetUp();
    Result<User> bob = AddUser(acme_id(), "bob@acme.example");
    ASSERT_TRUE(bob.ok());
    bob_ = bob->id;
    for (int i = 0; i < 5; ++i) {
      Result<CreatedToken> token =
          store::WriteReturning<CreatedToken>(db(), [&](store::Transaction& tx) {
            return CreateToken(tx, clock_, acme_id(), bob_, "token " + std::to_string(i), bob_);
          });
      ASSERT_TRUE(token.ok()) << token.status().ToString();
      bob_tokens_.insert(bob_tokens_.begin(), token->token.id);  // newest first
    }
  }

  struct Page {
    std::vector<std::string> ids;
    std::optional<std::string> next_after;
  };

  Result<Page> Read(std::optional<std::string_view> user_id, std::optional<std::string> after,
                    int limit, int max_limit = 10) {
    return store::ReadReturning<Page>(db(), [&](store::Transaction& tx) -> Result<Page> {
      CUSTODY_ASSIGN_OR_RETURN(
          const std::vector<store::Row> rows,
          QueryUserPage(tx, {"api_tokens", "id", max_limit}, acme_id(), user_id, after, limit));
      struct Item {
        std::string id;
      };
      std::vector<Item> items;
      CUSTODY_ASSIGN_OR_RETURN(
          std::optional<std::string> next_after,
          AppendPageItems(
              rows, limit, [](const store::Row& row) { return Item{row.Text(0)}; }, items));
      Page page;
      for (const Item& item : items) {
        page.ids.push_back(item.id);
      }
      page.next_after = std::move(next_after);
      return page;
    });
  }

  std::string bob_;
  std::vector<std::string> bob_tokens_;
};

TEST_F(UserPagesTest, WalksPagesNewestFirst) {
  std::vector<std::string> seen;
  std::optional<std::string> after;
  int pages = 0;
  do {
    Result<Page> page = Read(std::string_view(bob_), after, 2);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    seen.insert(seen.end(), page->ids.begin(), page->ids.end());
    after = page->next_after;
    ++pages;
  } while (after.has_value() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, bob_tokens_);
}

TEST_F(UserPagesTest, FullLastPageHasNoCursor) {
  Result<Page> page = Read(std::string_view(bob_), std::nullopt, 5);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->ids, bob_tokens_);
  EXPECT_FALSE(page->next_after.has_value());

  Result<Page> shorter = Read(std::string_view(bob_), std::nullopt, 4);
  ASSERT_TRUE(shorter.ok());
  EXPECT_EQ(shorter->ids.size(), 4u);
  EXPECT_EQ(shorter->next_after, bob_tokens_[3]);
}

TEST_F(UserPagesTest, WithoutUserListsEveryUser) {
  Result<Page> page = Read(std::nullopt, std::nullopt, 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->ids.size(), 6u);  // bob's five and the admin's
  EXPECT_EQ(page->ids.back(), acme_.token.token.id);
}

TEST_F(UserPagesTest, RejectsLimitOutsideRange) {
  for (const int limit : {0, -1, 11}) {
    Result<Page> page = Read(std::nullopt, std::nullopt, limit);
    EXPECT_EQ(page.status().code(), ErrorCode::kInvalidArgument) << limit;
    EXPECT_EQ(page.status().message(), "limit must be between 1 and 10") << limit;
    EXPECT_EQ(page.status().field(), "limit") << limit;
  }
  EXPECT_TRUE(Read(std::nullopt, std::nullopt, 10).ok());
}

TEST_F(UserPagesTest, RejectsCursorOutsideList) {
  // The admin's token is outside bob's list and globex's outside the organization.
  for (const std::string& after :
       {acme_.token.token.id, globex_.token.token.id, std::string("tok_missing")}) {
    Result<Page> page = Read(std::string_view(bob_), after, 2);
    EXPECT_EQ(page.status().code(), ErrorCode::kInvalidArgument) << after;
    EXPECT_EQ(page.status().message(), store::InvalidCursorError().message()) << after;
  }
}

}  // namespace
}  // namespace custody::identity
