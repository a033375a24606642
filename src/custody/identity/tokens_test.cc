#include "custody/identity/tokens.h"

#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "custody/authz/authorize.h"
#include "custody/crypto/hash.h"
#include "custody/identity/test_org.h"
#include "custody/store/page_cursor.h"

namespace custody::identity {
namespace {

class TokensTest : public testing::OrgTest {
 protected:
  void SetUp() override {
    OrgTest::SetUp();
    Result<User> bob = AddUser(acme_id(), "bob@acme.example");
    ASSERT_TRUE(bob.ok());
    bob_ = bob->id;
    Result<CreatedToken> token = Create(bob_, "laptop");
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    token_ = std::move(token).value();
  }

  Result<CreatedToken> Create(const std::string& user_id, const std::string& name) {
    return store::WriteReturning<CreatedToken>(db(), [&](store::Transaction& tx) {
      return CreateToken(tx, clock_, acme_id(), user_id, name, user_id);
    });
  }

  // Authenticates in a read transaction, as a request handler would.
  Result<authz::Principal> Authenticate(std::string_view bearer, std::string* reason) {
    return store::ReadReturning<authz::Principal>(
        db(), [&](store::Transaction& tx) { return AuthenticateToken(tx, bearer, reason); });
  }

  void ExpectRejected(std::string_view bearer, std::string_view expected_reason) {
    std::string reason;
    Result<authz::Principal> principal = Authenticate(bearer, &reason);
    EXPECT_EQ(principal.status().code(), ErrorCode::kUnauthenticated) << bearer;
    EXPECT_EQ(principal.status().message(), "the API token is missing, invalid or revoked");
    EXPECT_EQ(reason, expected_reason) << bearer;
  }

  std::string bob_;
  CreatedToken token_;
};

TEST_F(TokensTest, ValueHasDocumentedFormat) {
  const std::string& value = token_.value.Reveal();
  EXPECT_TRUE(std::regex_match(value, std::regex("cst_[A-Za-z0-9]{22}_[A-Za-z0-9]{43}")))
      << "token of length " << value.size();
  EXPECT_EQ(value.substr(4, 22), token_.token.id.substr(4));
  EXPECT_TRUE(token_.token.id.starts_with("tok_"));
}

TEST_F(TokensTest, AuthenticateReturnsPrincipal) {
  std::string reason = "unchanged";
  Result<authz::Principal> principal = Authenticate(token_.value.Reveal(), &reason);
  ASSERT_TRUE(principal.ok()) << principal.status().ToString();
  EXPECT_EQ(principal->organization_id, acme_id());
  EXPECT_EQ(principal->user_id, bob_);
  EXPECT_EQ(principal->token_id, token_.token.id);
  EXPECT_EQ(reason, "");
}

TEST_F(TokensTest, MalformedValuesAreRejected) {
  const std::string good = token_.value.Reveal();
  std::string wrong_separator = good;
  wrong_separator[26] = '-';
  std::string symbol_in_secret = good;
  symbol_in_secret[40] = '/';
  const std::string malformed[] = {
      "",
      "cst_",
      "Bearer " + good,
      good + "A",
      good.substr(0, good.size() - 1),
      "CST_" + good.substr(4),
      "xyz_" + good.substr(4),
      wrong_separator,
      symbol_in_secret,
      " " + good,
      good + "\n",
  };
  for (const std::string& value : malformed) {
    ExpectRejected(value, kReasonTokenMalformed);
  }
}

TEST_F(TokensTest, UnknownTokenIsRejected) {
  std::string unknown = token_.value.Reveal();
  unknown[10] = unknown[10] == 'a' ? 'b' : 'a';  // inside the id
  ExpectRejected(unknown, kReasonTokenUnknown);
}

TEST_F(TokensTest, WrongSecretIsRejected) {
  std::string wrong = token_.value.Reveal();
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  ExpectRejected(wrong, kReasonTokenMismatch);
}

TEST_F(TokensTest, RevokedTokenIsRejectedAtOnce) {
  Result<ApiToken> revoked = store::WriteReturning<ApiToken>(db(), [&](store::Transaction& tx) {
    return RevokeToken(tx, clock_, acme_id(), token_.token.id);
  });
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  EXPECT_EQ(revoked->revoked_at, clock_.Now());
  ExpectRejected(token_.value.Reveal(), kReasonTokenRevoked);

  // Revoking again keeps the first time.
  clock_.Advance(std::chrono::seconds(5));
  Result<ApiToken> again = store::WriteReturning<ApiToken>(db(), [&](store::Transaction& tx) {
    return RevokeToken(tx, clock_, acme_id(), token_.token.id);
  });
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->revoked_at, revoked->revoked_at);
}

TEST_F(TokensTest, DeactivatedUserIsRejectedAtOnce) {
  Result<CreatedToken> second = Create(bob_, "ci");
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(Authenticate(token_.value.Reveal(), nullptr).ok());

  ASSERT_TRUE(db().Write([&](store::Transaction& tx) {
                    return DeactivateUser(tx, clock_, acme_id(), bob_).status();
                  })
                  .ok());
  ExpectRejected(token_.value.Reveal(), kReasonUserDeactivated);
  ExpectRejected(second->value.Reveal(), kReasonUserDeactivated);
}

TEST_F(TokensTest, CreateRejectsInactiveOrForeignUser) {
  ASSERT_TRUE(db().Write([&](store::Transaction& tx) {
                    return DeactivateUser(tx, clock_, acme_id(), bob_).status();
                  })
                  .ok());
  Result<CreatedToken> inactive = Create(bob_, "x");
  EXPECT_EQ(inactive.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(inactive.status().field(), "/user_id");

  Result<CreatedToken> foreign = Create(globex_.admin.id, "x");
  EXPECT_EQ(foreign.status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(TokensTest, CreateValidatesName) {
  Result<CreatedToken> token = Create(bob_, "");
  EXPECT_EQ(token.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(token.status().field(), "/name");
}

TEST_F(TokensTest, OnlyHashOfSecretIsStored) {
  const std::string value = token_.value.Reveal();
  const std::string secret = value.substr(value.size() - kTokenSecretLength);
  const crypto::Sha256Digest digest = crypto::Sha256(secret);

  Result<std::string> stored =
      store::ReadReturning<std::string>(db(), [&](store::Transaction& tx) -> Result<std::string> {
        CUSTODY_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT secret_hash FROM api_tokens "
                                                       "WHERE id = ?",
                                                       {token_.token.id}));
        return row->Bytes(0);
      });
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, std::string(reinterpret_cast<const char*>(digest.data()), digest.size()));

  // The secret appears nowhere in the database files.
  for (const std::string& suffix : {std::string(), std::string("-wal")}) {
    std::ifstream file(temp_.path() + suffix, std::ios::binary);
    std::stringstream bytes;
    bytes << file.rdbuf();
    EXPECT_EQ(bytes.str().find(secret), std::string::npos) << "custody.db" << suffix;
  }
}

TEST_F(TokensTest, OtherOrganizationTokenIsNotFound) {
  Result<ApiToken> token = store::ReadReturning<ApiToken>(
      db(), [&](store::Transaction& tx) { return GetToken(tx, globex_id(), token_.token.id); });
  EXPECT_EQ(token.status().code(), ErrorCode::kNotFound);

  Result<ApiToken> revoke = store::WriteReturning<ApiToken>(db(), [&](store::Transaction& tx) {
    return RevokeToken(tx, clock_, globex_id(), token_.token.id);
  });
  EXPECT_EQ(revoke.status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(Authenticate(token_.value.Reveal(), nullptr).ok());
}

TEST_F(TokensTest, ListFiltersByUser) {
  Result<TokenPage> bobs = store::ReadReturning<TokenPage>(db(), [&](store::Transaction& tx) {
    return ListTokens(tx, acme_id(), std::string_view(bob_), std::nullopt, 50);
  });
  ASSERT_TRUE(bobs.ok()) << bobs.status().ToString();
  ASSERT_EQ(bobs->tokens.size(), 1u);
  EXPECT_EQ(bobs->tokens[0].id, token_.token.id);

  Result<TokenPage> all = store::ReadReturning<TokenPage>(db(), [&](store::Transaction& tx) {
    return ListTokens(tx, acme_id(), std::nullopt, std::nullopt, 50);
  });
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->tokens.size(), 2u);  // bob's and the bootstrap admin's
}

TEST_F(TokensTest, ListRejectsCursorOutsideFilter) {
  // The admin's token is in the organization but not in bob's listing, and globex's token is in
  // another organization: both must fail like an unknown id.
  for (const std::string& after :
       {acme_.token.token.id, globex_.token.token.id, std::string("tok_missing")}) {
    Result<TokenPage> page = store::ReadReturning<TokenPage>(db(), [&](store::Transaction& tx) {
      return ListTokens(tx, acme_id(), std::string_view(bob_), after, 50);
    });
    EXPECT_EQ(page.status().code(), ErrorCode::kInvalidArgument) << after;
    EXPECT_EQ(page.status().message(), store::InvalidCursorError().message()) << after;
  }
  Result<TokenPage> next = store::ReadReturning<TokenPage>(db(), [&](store::Transaction& tx) {
    return ListTokens(tx, acme_id(), std::nullopt, token_.token.id, 50);
  });
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  ASSERT_EQ(next->tokens.size(), 1u);
  EXPECT_EQ(next->tokens[0].id, acme_.token.token.id);
}

TEST_F(TokensTest, DatabaseFailureIsNotUnauthenticated) {
  temp_.db().InjectFailureForTesting(store::InjectedFailure::kAll);
  Result<authz::Principal> principal = Authenticate(token_.value.Reveal(), nullptr);
  EXPECT_EQ(principal.status().code(), ErrorCode::kUnavailable);
}

// A query that fails inside AuthenticateToken must come back as that failure, never as a
// plain "unauthenticated" that a caller might treat as an anonymous request.
TEST(AuthenticateTokenTest, QueryFailurePropagates) {
  store::Options options;
  options.migrations = {{1, "no token table", "CREATE TABLE unrelated (id INTEGER);"}};
  store::TempDatabase temp(options);
  std::string reason = "unchanged";
  Status status = temp.db().Read([&](store::Transaction& tx) {
    return AuthenticateToken(tx, "cst_" + std::string(22, 'a') + "_" + std::string(43, 'b'),
                             &reason)
        .status();
  });
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(reason, "unchanged");
}

}  // namespace
}  // namespace custody::identity
