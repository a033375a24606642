#include "custody/identity/bearer_credentials.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "custody/crypto/encoding.h"

namespace custody::identity {
namespace {

constexpr BearerCredentialFormat kFormat{"cst_", "tok_", 43};

const std::string kIdPart = "AbCdEfGhIjKlMnOpQrStUv";  // 22 alphanumerics
const std::string kSecret(43, 'x');

TEST(BearerCredentialTest, ParsesWellFormedValue) {
  const std::string value = "cst_" + kIdPart + "_" + kSecret;
  const std::optional<ParsedBearerCredential> parsed = ParseBearerCredential(value, kFormat);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->id, "tok_" + kIdPart);
  EXPECT_EQ(parsed->secret, kSecret);
}

TEST(BearerCredentialTest, RejectsMalformedValues) {
  const std::string good = "cst_" + kIdPart + "_" + kSecret;

  struct Case {
    std::string label;
    std::string value;
  };

  const Case cases[] = {
      {"empty", ""},
      {"prefix only", "cst_"},
      {"other prefix", "csr_" + kIdPart + "_" + kSecret},
      {"upper-case prefix", "CST_" + kIdPart + "_" + kSecret},
      {"secret one short", good.substr(0, good.size() - 1)},
      {"secret one long", good + "x"},
      {"id one short", "cst_" + kIdPart.substr(1) + "_" + kSecret + "x"},
      {"separator not _", "cst_" + kIdPart + "-" + kSecret},
      {"separator moved", "cst_" + kIdPart.substr(1) + "_x" + kSecret},
      {"non-alphanumeric id", "cst_" + kIdPart.substr(1) + "+_" + kSecret},
      {"non-alphanumeric secret", "cst_" + kIdPart + "_" + kSecret.substr(1) + "/"},
      {"NUL in secret", "cst_" + kIdPart + "_" + kSecret.substr(1) + std::string(1, '\0')},
      {"space in id", "cst_" + kIdPart.substr(1) + " _" + kSecret},
  };
  for (const Case& test_case : cases) {
    EXPECT_FALSE(ParseBearerCredential(test_case.value, kFormat).has_value()) << test_case.label;
  }
}

TEST(BearerCredentialTest, GeneratedValueParsesBack) {
  const std::string id = "tok_" + kIdPart;
  const NewBearerCredential created = GenerateBearerCredential(id, kFormat);
  const std::string value = created.value.Reveal();
  EXPECT_TRUE(value.starts_with("cst_" + kIdPart + "_")) << value.size();

  const std::optional<ParsedBearerCredential> parsed = ParseBearerCredential(value, kFormat);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->id, id);
  EXPECT_EQ(parsed->secret.size(), 43u);
  EXPECT_EQ(created.secret_hash, HashSecret(parsed->secret));
  EXPECT_TRUE(SecretMatchesStoredHash(parsed->secret, created.secret_hash));
}

TEST(BearerCredentialTest, GeneratedSecretsDiffer) {
  std::set<std::string> values;
  for (int i = 0; i < 50; ++i) {
    values.insert(GenerateBearerCredential("ses_" + kIdPart, {"csr_", "ses_", 43}).value.Reveal());
  }
  EXPECT_EQ(values.size(), 50u);
}

TEST(BearerCredentialTest, HashIsRawSha256) {
  // The SHA-256 of "abc", as `printf abc | sha256sum` prints it.
  EXPECT_EQ(crypto::HexEncode(HashSecret("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HashSecret("").size(), 32u);
}

TEST(BearerCredentialTest, SecretMatchesOnlyItsHash) {
  const std::string stored = HashSecret(kSecret);
  EXPECT_TRUE(SecretMatchesStoredHash(kSecret, stored));
  EXPECT_FALSE(SecretMatchesStoredHash(kSecret + "x", stored));
  EXPECT_FALSE(SecretMatchesStoredHash("", stored));
  EXPECT_FALSE(SecretMatchesStoredHash(kSecret, std::nullopt));
  // Without a stored hash nothing matches, not even the empty secret.
  EXPECT_FALSE(SecretMatchesStoredHash("", std::nullopt));
  EXPECT_FALSE(SecretMatchesStoredHash(kSecret, std::string(32, '\0')));
  EXPECT_FALSE(SecretMatchesStoredHash(kSecret, stored.substr(0, 31)));
}

TEST(BearerCredentialTest, RejectSetsReasonAndMessage) {
  std::string reason = "earlier";
  const Status status =
      RejectCredential("the API token is missing, invalid or revoked", "token_unknown", &reason);
  EXPECT_EQ(status.code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(status.message(), "the API token is missing, invalid or revoked");
  EXPECT_EQ(reason, "token_unknown");
  EXPECT_EQ(RejectCredential("m", "r", nullptr).code(), ErrorCode::kUnauthenticated);
}

}  // namespace
}  // namespace custody::identity
