#include "custody/identity/jwt.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "custody/crypto/encoding.h"

namespace custody::identity {
namespace {

constexpr JwsAlgorithm kAllAlgorithms[] = {JwsAlgorithm::kRs256, JwsAlgorithm::kEs256,
                                           JwsAlgorithm::kEdDsa};

std::filesystem::path ConformanceFile(std::string_view name) {
  std::filesystem::path dir = CUSTODY_CONFORMANCE_DIR;
  if (const char* env = std::getenv("CUSTODY_CONFORMANCE_DIR"); env != nullptr && *env != '\0') {
    dir = env;
  }
  return dir / "wycheproof" / name;
}

// Every case of Wycheproof's JSON Web Signature suite. An "invalid" case must never verify. A
// "valid" case must verify when its algorithm is RS256, ES256 or EdDSA and its key can verify;
// valid cases of other algorithms (HS256, PS256, ES512, RS384...) are rejected, because
// Custody accepts only those three.
TEST(JwsTest, WycheproofJsonWebSignature) {
  const std::filesystem::path path = ConformanceFile("json_web_signature_test.json");
  if (!std::filesystem::exists(path)) {
    GTEST_SKIP() << "conformance data not found at " << path;
  }
  std::ifstream in(path);
  const nlohmann::json suite = nlohmann::json::parse(in);
  size_t cases = 0;
  size_t accepted = 0;
  for (const auto& group : suite.at("testGroups")) {
    const nlohmann::json& jwk = group.contains("public") ? group.at("public") : group.at("private");
    std::vector<Jwk> keys;
    Result<Jwk> key = ParseJwk(jwk.dump());
    if (key.ok()) {
      keys.push_back(std::move(key).value());
    }
    for (const auto& test : group.at("tests")) {
      ++cases;
      const std::string jws =
          test.at("jws").is_string() ? test.at("jws").get<std::string>() : test.at("jws").dump();
      std::string reason;
      const Result<VerifiedJws> verified = VerifyCompactJws(jws, keys, kAllAlgorithms, &reason);
      const std::string label = "tcId " + test.at("tcId").dump() + " " + test.at("comment").dump();
      if (test.at("result") == "invalid") {
        EXPECT_FALSE(verified.ok()) << label;
        continue;
      }
      const std::string alg = jwk.value("alg", "");
      const bool supported = keys.size() == 1 && ParseJwsAlgorithm(alg).ok();
      EXPECT_EQ(verified.ok(), supported) << label << " alg " << alg << " reason " << reason;
      accepted += verified.ok() ? 1 : 0;
    }
  }
  EXPECT_EQ(cases, suite.at("numberOfTests").get<size_t>());
  EXPECT_GT(accepted, 0u);
}

std::string Encode(const nlohmann::json& value) {
  return crypto::Base64UrlEncode(value.dump());
}

// A JWS signed with an Ed25519 key, with a chosen header.
std::string SignEd25519(const crypto::Ed25519PrivateKey& key, const nlohmann::json& header,
                        std::string_view payload) {
  const std::string input = Encode(header) + "." + crypto::Base64UrlEncode(payload);
  return input + "." + crypto::Base64UrlEncode(key.Sign(input));
}

class JwsKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string public_key = key_.PublicKey();
    Result<Jwk> jwk = ParseJwk(nlohmann::json{{"kty", "OKP"},
                                              {"crv", "Ed25519"},
                                              {"kid", "k1"},
                                              {"x", crypto::Base64UrlEncode(public_key)}}
                                   .dump());
    ASSERT_TRUE(jwk.ok()) << jwk.status().ToString();
    keys_.push_back(std::move(jwk).value());
  }

  crypto::Ed25519PrivateKey key_ = crypto::Ed25519PrivateKey::Generate();
  std::vector<Jwk> keys_;
};

TEST_F(JwsKeysTest, VerifiesMatchingKid) {
  const std::string jws = SignEd25519(key_, {{"alg", "EdDSA"}, {"kid", "k1"}}, "hello");
  Result<VerifiedJws> verified = VerifyCompactJws(jws, keys_, kAllAlgorithms);
  ASSERT_TRUE(verified.ok());
  EXPECT_EQ(verified->payload, "hello");
  EXPECT_EQ(verified->kid, "k1");
}

TEST_F(JwsKeysTest, RejectsAttacks) {
  const crypto::Ed25519PrivateKey other = crypto::Ed25519PrivateKey::Generate();
  const std::string good = SignEd25519(key_, {{"alg", "EdDSA"}, {"kid", "k1"}}, "hello");
  const std::string unsigned_none =
      Encode({{"alg", "none"}, {"kid", "k1"}}) + "." + crypto::Base64UrlEncode("hello") + ".";

  struct Case {
    std::string name;
    std::string jws;
    std::string_view reason;
  };

  const std::vector<Case> cases = {
      {"alg none", unsigned_none, kReasonJwsAlgorithmRejected},
      {"HS256", SignEd25519(key_, {{"alg", "HS256"}, {"kid", "k1"}}, "hello"),
       kReasonJwsAlgorithmRejected},
      {"other key", SignEd25519(other, {{"alg", "EdDSA"}, {"kid", "k1"}}, "hello"),
       kReasonJwsBadSignature},
      {"unknown kid", SignEd25519(key_, {{"alg", "EdDSA"}, {"kid", "k2"}}, "hello"),
       kReasonJwsUnknownKey},
      {"ES256 header on Ed25519 key", SignEd25519(key_, {{"alg", "ES256"}, {"kid", "k1"}}, "hi"),
       kReasonJwsUnknownKey},
      {"crit", SignEd25519(key_, {{"alg", "EdDSA"}, {"crit", {"exp"}}, {"exp", 1}}, "hello"),
       kReasonJwsMalformed},
      {"payload swapped",
       good.substr(0, good.find('.') + 1) + crypto::Base64UrlEncode("bye") +
           good.substr(good.rfind('.')),
       kReasonJwsBadSignature},
      {"four parts", good + ".x", kReasonJwsMalformed},
      {"header not JSON", crypto::Base64UrlEncode("[") + good.substr(good.find('.')),
       kReasonJwsMalformed},
  };
  for (const Case& test : cases) {
    std::string reason;
    Result<VerifiedJws> verified = VerifyCompactJws(test.jws, keys_, kAllAlgorithms, &reason);
    EXPECT_EQ(verified.status().code(), ErrorCode::kUnauthenticated) << test.name;
    EXPECT_EQ(reason, test.reason) << test.name;
  }
}

TEST_F(JwsKeysTest, PinnedAlgorithmExcludesOthers) {
  const std::string jws = SignEd25519(key_, {{"alg", "EdDSA"}, {"kid", "k1"}}, "hello");
  constexpr JwsAlgorithm kRsaOnly[] = {JwsAlgorithm::kRs256};
  std::string reason;
  EXPECT_FALSE(VerifyCompactJws(jws, keys_, kRsaOnly, &reason).ok());
  EXPECT_EQ(reason, kReasonJwsAlgorithmRejected);
}

TEST(JwkTest, SetSkipsUnusableKeys) {
  const crypto::Ed25519PrivateKey key = crypto::Ed25519PrivateKey::Generate();
  const std::string x = crypto::Base64UrlEncode(key.PublicKey());
  const nlohmann::json set = {
      {"keys",
       {{{"kty", "oct"}, {"k", "AAAA"}, {"kid", "hmac"}},
        {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", x}, {"use", "enc"}, {"kid", "enc"}},
        {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", x}, {"key_ops", {"encrypt"}}, {"kid", "ops"}},
        {{"kty", "OKP"}, {"crv", "X25519"}, {"x", x}, {"kid", "x25519"}},
        {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", x}, {"alg", "RS256"}, {"kid", "mismatch"}},
        {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", x}, {"kid", "good"}}}}};
  Result<std::vector<Jwk>> keys = ParseJwkSet(set.dump());
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ(keys->front().kid, "good");
  EXPECT_FALSE(ParseJwkSet("[]").ok());
  EXPECT_FALSE(ParseJwkSet("{\"keys\": 1}").ok());
}

TEST(JwkTest, Ed25519ThumbprintMatchesRfc8037) {
  // RFC 8037 appendix A.3: the thumbprint of the key of appendix A.2.
  const std::optional<std::string> x =
      crypto::Base64UrlDecode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
  ASSERT_TRUE(x.has_value());
  EXPECT_EQ(Ed25519Thumbprint(*x), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
}

class AccessTokenTest : public ::testing::Test {
 protected:
  authz::Principal Principal() const {
    authz::Principal principal;
    principal.organization_id = "org_1";
    principal.user_id = "usr_1";
    principal.session_id = "ses_1";
    return principal;
  }

  FixedClock clock_{FromUnixSeconds(1'800'000'000)};
  crypto::Ed25519PrivateKey old_key_ = crypto::Ed25519PrivateKey::Generate();
  crypto::Ed25519PrivateKey new_key_ = crypto::Ed25519PrivateKey::Generate();
};

TEST_F(AccessTokenTest, IssueThenVerify) {
  const AccessTokenSigner signer({new_key_}, "https://custody.example", std::chrono::minutes(10));
  const std::string token = signer.Issue(Principal(), clock_);
  Result<AccessTokenClaims> claims = signer.Verify(token, clock_);
  ASSERT_TRUE(claims.ok()) << claims.status().ToString();
  EXPECT_EQ(claims->user_id, "usr_1");
  EXPECT_EQ(claims->organization_id, "org_1");
  EXPECT_EQ(claims->session_id, "ses_1");
  EXPECT_EQ(claims->expires_at, clock_.Now() + std::chrono::minutes(10));
}

TEST_F(AccessTokenTest, ExpiresAfterLifetime) {
  const AccessTokenSigner signer({new_key_}, "https://custody.example", std::chrono::minutes(10));
  const std::string token = signer.Issue(Principal(), clock_);
  clock_.Advance(std::chrono::minutes(10) - std::chrono::seconds(1));
  EXPECT_TRUE(signer.Verify(token, clock_).ok());
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(signer.Verify(token, clock_).status().code(), ErrorCode::kUnauthenticated);
}

TEST_F(AccessTokenTest, RotationKeepsOldTokensValid) {
  const AccessTokenSigner before({old_key_}, "https://custody.example", std::chrono::minutes(10));
  const AccessTokenSigner after({new_key_, old_key_}, "https://custody.example",
                                std::chrono::minutes(10));
  const AccessTokenSigner dropped({new_key_}, "https://custody.example", std::chrono::minutes(10));
  const std::string old_token = before.Issue(Principal(), clock_);
  EXPECT_TRUE(after.Verify(old_token, clock_).ok());
  EXPECT_FALSE(dropped.Verify(old_token, clock_).ok());
  EXPECT_FALSE(before.Verify(after.Issue(Principal(), clock_), clock_).ok());
  const nlohmann::json jwks = nlohmann::json::parse(after.JwksJson());
  ASSERT_EQ(jwks.at("keys").size(), 2u);
  EXPECT_EQ(jwks.at("keys")[0].at("kid"), Ed25519Thumbprint(new_key_.PublicKey()));
}

TEST_F(AccessTokenTest, RejectsOtherIssuerAndTampering) {
  const AccessTokenSigner signer({new_key_}, "https://custody.example", std::chrono::minutes(10));
  const AccessTokenSigner other({new_key_}, "https://other.example", std::chrono::minutes(10));
  EXPECT_FALSE(signer.Verify(other.Issue(Principal(), clock_), clock_).ok());
  std::string token = signer.Issue(Principal(), clock_);
  token[token.find('.') + 3] ^= 1;
  EXPECT_FALSE(signer.Verify(token, clock_).ok());
}

TEST(SigningKeyFileTest, CreatesWithOwnerOnlyMode) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("custody-jwt-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "signing.pem").string();
  Result<crypto::Ed25519PrivateKey> created = LoadOrCreateSigningKey(path, true);
  ASSERT_TRUE(created.ok()) << created.status().ToString();

  struct stat info {};

  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  Result<crypto::Ed25519PrivateKey> loaded = LoadOrCreateSigningKey(path, false);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->PublicKey(), created->PublicKey());

  ::chmod(path.c_str(), 0644);
  EXPECT_EQ(LoadOrCreateSigningKey(path, false).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(LoadOrCreateSigningKey((dir / "missing.pem").string(), false).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace custody::identity
