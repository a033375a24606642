#include "custody/identity/oidc/id_token.h"

#include <functional>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace custody::identity::oidc {
namespace {

constexpr int64_t kNow = 1'800'000'000;

IdTokenExpectations Expected() {
  IdTokenExpectations expected;
  expected.issuer = "https://idp.example";
  expected.client_id = "custody";
  expected.nonce = "n-0S6_WzA2Mj";
  expected.now = SystemTime(std::chrono::seconds(kNow));
  return expected;
}

nlohmann::json GoodClaims() {
  return {{"iss", "https://idp.example"},
          {"sub", "alice"},
          {"aud", "custody"},
          {"exp", kNow + 300},
          {"iat", kNow - 5},
          {"nonce", "n-0S6_WzA2Mj"},
          {"email", "alice@example.test"},
          {"email_verified", true},
          {"name", "Alice"},
          {"amr", {"pwd", "otp"}},
          {"acr", "urn:test:mfa"},
          {"auth_time", kNow - 10},
          {"sid", "idp-session"}};
}

TEST(IdTokenTest, AcceptsValidClaims) {
  std::string reason;
  Result<IdTokenClaims> claims = ValidateIdTokenClaims(GoodClaims().dump(), Expected(), &reason);
  ASSERT_TRUE(claims.ok()) << reason;
  EXPECT_EQ(claims->subject, "alice");
  EXPECT_EQ(claims->email, "alice@example.test");
  EXPECT_EQ(claims->name, "Alice");
  EXPECT_EQ(claims->amr, (std::vector<std::string>{"pwd", "otp"}));
  EXPECT_EQ(claims->acr, "urn:test:mfa");
  EXPECT_EQ(claims->auth_time, SystemTime(std::chrono::seconds(kNow - 10)));
  EXPECT_EQ(claims->sid, "idp-session");
}

struct Mutation {
  std::string name;
  std::function<void(nlohmann::json&)> change;
  std::string_view reason;  // empty: still accepted
};

TEST(IdTokenTest, ClaimChecksTable) {
  const std::vector<Mutation> cases = {
      {"other issuer", [](auto& c) { c["iss"] = "https://evil.example"; }, kReasonIdTokenIssuer},
      {"issuer with slash", [](auto& c) { c["iss"] = "https://idp.example/"; },
       kReasonIdTokenIssuer},
      {"no issuer", [](auto& c) { c.erase("iss"); }, kReasonIdTokenIssuer},
      {"wrong audience", [](auto& c) { c["aud"] = "other-client"; }, kReasonIdTokenAudience},
      {"no audience", [](auto& c) { c.erase("aud"); }, kReasonIdTokenAudience},
      {"audience array without azp",
       [](auto& c) {
         c["aud"] = {"custody", "other"};
       },
       kReasonIdTokenAzp},
      {"audience array with azp",
       [](auto& c) {
         c["aud"] = {"custody", "other"};
         c["azp"] = "custody";
       },
       ""},
      {"azp of another client", [](auto& c) { c["azp"] = "other"; }, kReasonIdTokenAzp},
      {"audience array of one", [](auto& c) { c["aud"] = {"custody"}; }, ""},
      {"expired", [](auto& c) { c["exp"] = kNow - 61; }, kReasonIdTokenExpired},
      {"expired within skew", [](auto& c) { c["exp"] = kNow - 59; }, ""},
      {"no exp", [](auto& c) { c.erase("exp"); }, kReasonIdTokenExpired},
      {"exp as string", [](auto& c) { c["exp"] = "1900000000"; }, kReasonIdTokenExpired},
      {"issued in future", [](auto& c) { c["iat"] = kNow + 61; }, kReasonIdTokenIssuedAt},
      {"issued too long ago", [](auto& c) { c["iat"] = kNow - 661; }, kReasonIdTokenIssuedAt},
      {"no iat", [](auto& c) { c.erase("iat"); }, kReasonIdTokenIssuedAt},
      {"not yet valid", [](auto& c) { c["nbf"] = kNow + 61; }, kReasonIdTokenNotYetValid},
      {"nbf within skew", [](auto& c) { c["nbf"] = kNow + 59; }, ""},
      {"wrong nonce", [](auto& c) { c["nonce"] = "n-other"; }, kReasonIdTokenNonce},
      {"no nonce", [](auto& c) { c.erase("nonce"); }, kReasonIdTokenNonce},
      {"no subject", [](auto& c) { c.erase("sub"); }, kReasonIdTokenMalformed},
      {"empty subject", [](auto& c) { c["sub"] = ""; }, kReasonIdTokenMalformed},
      {"long subject", [](auto& c) { c["sub"] = std::string(256, 'a'); }, kReasonIdTokenMalformed},
      {"amr not array", [](auto& c) { c["amr"] = "mfa"; }, kReasonIdTokenMalformed},
      {"fractional dates", [](auto& c) { c["exp"] = kNow + 300.5; }, ""},
  };
  for (const Mutation& test : cases) {
    nlohmann::json claims = GoodClaims();
    test.change(claims);
    std::string reason;
    Result<IdTokenClaims> result = ValidateIdTokenClaims(claims.dump(), Expected(), &reason);
    if (test.reason.empty()) {
      EXPECT_TRUE(result.ok()) << test.name << ": " << reason;
    } else {
      EXPECT_EQ(result.status().code(), ErrorCode::kUnauthenticated) << test.name;
      EXPECT_EQ(reason, test.reason) << test.name;
    }
  }
}

TEST(IdTokenTest, UnverifiedEmailIgnored) {
  nlohmann::json claims = GoodClaims();
  claims["email_verified"] = false;
  Result<IdTokenClaims> result = ValidateIdTokenClaims(claims.dump(), Expected());
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->email.has_value());
}

TEST(IdTokenTest, MappedClaimsUsed) {
  nlohmann::json claims = GoodClaims();
  claims["upn"] = "alice@corp.example";
  IdTokenExpectations expected = Expected();
  expected.email_claim = "upn";
  Result<IdTokenClaims> result = ValidateIdTokenClaims(claims.dump(), expected);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->email, "alice@corp.example");
}

TEST(IdTokenTest, RejectsNonObjectPayload) {
  std::string reason;
  EXPECT_FALSE(ValidateIdTokenClaims("[1]", Expected(), &reason).ok());
  EXPECT_EQ(reason, kReasonIdTokenMalformed);
  EXPECT_FALSE(ValidateIdTokenClaims("not json", Expected(), &reason).ok());
  EXPECT_EQ(reason, kReasonIdTokenMalformed);
}

}  // namespace
}  // namespace custody::identity::oidc
