#include "custody/crypto/signature_keys.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "custody/crypto/ed25519.h"
#include "custody/crypto/encoding.h"

namespace custody::crypto {
namespace {

std::string FromHex(std::string_view hex) {
  std::optional<std::string> bytes = HexDecode(hex);
  EXPECT_TRUE(bytes.has_value()) << hex;
  return bytes.value_or("");
}

std::string StripLeadingZeros(std::string bytes) {
  const size_t first = bytes.find_first_not_of('\0');
  return first == std::string::npos ? std::string() : bytes.substr(first);
}

std::filesystem::path ConformanceFile(std::string_view name) {
  std::filesystem::path dir = CUSTODY_CONFORMANCE_DIR;
  if (const char* env = std::getenv("CUSTODY_CONFORMANCE_DIR"); env != nullptr && *env != '\0') {
    dir = env;
  }
  return dir / "wycheproof" / name;
}

std::optional<nlohmann::json> LoadSuite(std::string_view name) {
  const std::filesystem::path path = ConformanceFile(name);
  if (!std::filesystem::exists(path)) {
    return std::nullopt;
  }
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// Wycheproof RSASSA-PKCS1-v1_5 SHA-256 cases with 2048-bit keys: modified padding, wrong
// digest info, truncated and over-long signatures. The one "acceptable" case may go either way.
TEST(SignatureKeyTest, WycheproofRs256) {
  const std::optional<nlohmann::json> suite = LoadSuite("rsa_signature_2048_sha256_test.json");
  if (!suite.has_value()) {
    GTEST_SKIP() << "conformance data not found; set CUSTODY_CONFORMANCE_DIR";
  }
  size_t cases = 0;
  for (const auto& group : suite->at("testGroups")) {
    const auto& public_key = group.at("publicKey");
    Result<SignatureKey> key = SignatureKey::Rsa(
        StripLeadingZeros(FromHex(public_key.at("modulus").get<std::string>())),
        StripLeadingZeros(FromHex(public_key.at("publicExponent").get<std::string>())));
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    for (const auto& test : group.at("tests")) {
      ++cases;
      const std::string result = test.at("result").get<std::string>();
      const bool verified = key->VerifyRs256(FromHex(test.at("msg").get<std::string>()),
                                             FromHex(test.at("sig").get<std::string>()));
      if (result != "acceptable") {
        EXPECT_EQ(verified, result == "valid")
            << "tcId " << test.at("tcId") << ": " << test.at("comment");
      }
    }
  }
  EXPECT_EQ(cases, suite->at("numberOfTests").get<size_t>());
}

// Wycheproof ECDSA P-256 SHA-256 cases in the r || s format that JWS uses.
TEST(SignatureKeyTest, WycheproofEs256) {
  const std::optional<nlohmann::json> suite = LoadSuite("ecdsa_secp256r1_sha256_p1363_test.json");
  if (!suite.has_value()) {
    GTEST_SKIP() << "conformance data not found; set CUSTODY_CONFORMANCE_DIR";
  }
  size_t cases = 0;
  for (const auto& group : suite->at("testGroups")) {
    const std::string point = FromHex(group.at("publicKey").at("uncompressed").get<std::string>());
    ASSERT_EQ(point.size(), 65u);
    Result<SignatureKey> key = SignatureKey::EcP256(point.substr(1, 32), point.substr(33, 32));
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    for (const auto& test : group.at("tests")) {
      ++cases;
      const std::string result = test.at("result").get<std::string>();
      ASSERT_NE(result, "acceptable");
      const bool verified = key->VerifyEs256(FromHex(test.at("msg").get<std::string>()),
                                             FromHex(test.at("sig").get<std::string>()));
      EXPECT_EQ(verified, result == "valid")
          << "tcId " << test.at("tcId") << ": " << test.at("comment");
    }
  }
  EXPECT_EQ(cases, suite->at("numberOfTests").get<size_t>());
}

TEST(SignatureKeyTest, WycheproofEdDsa) {
  const std::optional<nlohmann::json> suite = LoadSuite("ed25519_test.json");
  if (!suite.has_value()) {
    GTEST_SKIP() << "conformance data not found; set CUSTODY_CONFORMANCE_DIR";
  }
  for (const auto& group : suite->at("testGroups")) {
    Result<SignatureKey> key =
        SignatureKey::Ed25519(FromHex(group.at("publicKey").at("pk").get<std::string>()));
    ASSERT_TRUE(key.ok());
    for (const auto& test : group.at("tests")) {
      const bool verified = key->VerifyEdDsa(FromHex(test.at("msg").get<std::string>()),
                                             FromHex(test.at("sig").get<std::string>()));
      EXPECT_EQ(verified, test.at("result") == "valid")
          << "tcId " << test.at("tcId") << ": " << test.at("comment");
    }
  }
}

TEST(SignatureKeyTest, AlgorithmMustFitKeyType) {
  const Ed25519PrivateKey private_key = Ed25519PrivateKey::Generate();
  Result<SignatureKey> key = SignatureKey::Ed25519(private_key.PublicKey());
  ASSERT_TRUE(key.ok());
  const std::string signature = private_key.Sign("message");
  EXPECT_TRUE(key->VerifyEdDsa("message", signature));
  EXPECT_FALSE(key->VerifyRs256("message", signature));
  EXPECT_FALSE(key->VerifyEs256("message", signature));
}

TEST(SignatureKeyTest, RejectsWeakOrMalformedKeys) {
  const std::string modulus_1024(128, '\xC5');
  EXPECT_EQ(SignatureKey::Rsa(modulus_1024, "\x01\x00\x01").status().code(),
            ErrorCode::kInvalidArgument);
  const std::string modulus_2048 = std::string(255, '\xC5') + "\x01";
  EXPECT_EQ(SignatureKey::Rsa(modulus_2048, "\x02").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(SignatureKey::Rsa(std::string(1, '\0') + modulus_2048, "\x01\x00\x01").status().code(),
            ErrorCode::kInvalidArgument);
  // (1, 1) is not on P-256.
  EXPECT_EQ(SignatureKey::EcP256(std::string(31, '\0') + "\x01", std::string(31, '\0') + "\x01")
                .status()
                .code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(SignatureKey::EcP256("short", "short").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(SignatureKey::Ed25519("short").status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace custody::crypto
