#include "custody/crypto/ed25519.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "custody/crypto/encoding.h"

namespace custody::crypto {
namespace {

std::string FromHex(std::string_view hex) {
  std::optional<std::string> bytes = HexDecode(hex);
  EXPECT_TRUE(bytes.has_value()) << hex;
  return bytes.value_or("");
}

// RFC 8032 section 7.1, TEST 1 and TEST 2.
constexpr char kTest1Seed[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr char kTest1Public[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr char kTest1Signature[] =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9"
    "b46bd25bf5f0595bbe24655141438e7a100b";
constexpr char kTest2Seed[] = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
constexpr char kTest2Public[] = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
constexpr char kTest2Signature[] =
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f1"
    "1d8c387b2eaeb4302aeeb00d291612bb0c00";

// The TEST 2 seed as PKCS#8 PEM, converted with `openssl pkey`.
constexpr char kTest2Pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIEzNCJso/5banbbDRuwRTg9bijGfNaumJNqM9u1PuKb7\n"
    "-----END PRIVATE KEY-----\n";

// A P-256 key, to check that FromPem rejects other key types.
constexpr char kP256Pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQghic8GXxgYUrg0XEa\n"
    "uOA5nvQZXGdye9CHVsaSWTqnOLqhRANCAAQpnr8hJVfzE7ab51145hcZh1+gSamQ\n"
    "vr9oKJAVnoSxVYmvR0a74MUF4PDMY+JZIWN3K0VWB94AjNloi1S06+VJ\n"
    "-----END PRIVATE KEY-----\n";

// An Ed25519 key encrypted with the passphrase "test" (`openssl genpkey -aes-128-cbc`).
constexpr char kEncryptedPem[] =
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
    "MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAhIfTuL6aPsiwICCAAw\n"
    "DAYIKoZIhvcNAgkFADAdBglghkgBZQMEAQIEELtbkwgSYR+ovCaVrOM0jT8EQIVP\n"
    "cBbuYrW49UsYicyvEnvoDz7l0knpnqfg2OhM5ug4VUZflHRs6XVEG6hT6aoGVM5g\n"
    "ecYKWGzc/ZIKVaGfgIY=\n"
    "-----END ENCRYPTED PRIVATE KEY-----\n";

TEST(Ed25519Test, Rfc8032Test1EmptyMessage) {
  auto key = Ed25519PrivateKey::FromSeed(Secret(FromHex(kTest1Seed)));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(HexEncode(key->PublicKey()), kTest1Public);
  EXPECT_EQ(HexEncode(key->Sign("")), kTest1Signature);
  EXPECT_TRUE(Ed25519Verify(FromHex(kTest1Public), "", FromHex(kTest1Signature)));
}

TEST(Ed25519Test, Rfc8032Test2OneByteMessage) {
  auto key = Ed25519PrivateKey::FromSeed(Secret(FromHex(kTest2Seed)));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(HexEncode(key->PublicKey()), kTest2Public);
  EXPECT_EQ(HexEncode(key->Sign("\x72")), kTest2Signature);
  EXPECT_TRUE(Ed25519Verify(FromHex(kTest2Public), "\x72", FromHex(kTest2Signature)));
  EXPECT_EQ(HexEncode(key->Seed().Reveal()), kTest2Seed);
}

TEST(Ed25519Test, FromSeedRejectsWrongLength) {
  for (size_t size : {0, 31, 33, 64}) {
    auto key = Ed25519PrivateKey::FromSeed(Secret(std::string(size, '\x01')));
    ASSERT_FALSE(key.ok()) << size;
    EXPECT_EQ(key.status().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(Ed25519Test, GeneratedKeysDifferAndVerify) {
  const Ed25519PrivateKey first = Ed25519PrivateKey::Generate();
  const Ed25519PrivateKey second = Ed25519PrivateKey::Generate();
  EXPECT_NE(first.PublicKey(), second.PublicKey());
  const std::string signature = first.Sign("checkpoint");
  EXPECT_TRUE(Ed25519Verify(first.PublicKey(), "checkpoint", signature));
  EXPECT_FALSE(Ed25519Verify(second.PublicKey(), "checkpoint", signature));
}

TEST(Ed25519Test, VerifyRejectsAnyFlippedByte) {
  const Ed25519PrivateKey key = Ed25519PrivateKey::Generate();
  const std::string message = "origin\n42\nroot\n";
  const std::string signature = key.Sign(message);
  const std::string public_key = key.PublicKey();
  ASSERT_TRUE(Ed25519Verify(public_key, message, signature));
  for (size_t i = 0; i < signature.size(); ++i) {
    std::string flipped = signature;
    flipped[i] ^= 0x01;
    EXPECT_FALSE(Ed25519Verify(public_key, message, flipped)) << "signature byte " << i;
  }
  for (size_t i = 0; i < message.size(); ++i) {
    std::string flipped = message;
    flipped[i] ^= 0x01;
    EXPECT_FALSE(Ed25519Verify(public_key, flipped, signature)) << "message byte " << i;
  }
  for (size_t i = 0; i < public_key.size(); ++i) {
    std::string flipped = public_key;
    flipped[i] ^= 0x01;
    EXPECT_FALSE(Ed25519Verify(flipped, message, signature)) << "public key byte " << i;
  }
}

TEST(Ed25519Test, VerifyRejectsWrongLengths) {
  const Ed25519PrivateKey key = Ed25519PrivateKey::Generate();
  const std::string signature = key.Sign("m");
  const std::string public_key = key.PublicKey();
  EXPECT_FALSE(Ed25519Verify(public_key.substr(0, 31), "m", signature));
  EXPECT_FALSE(Ed25519Verify(public_key + '\0', "m", signature));
  EXPECT_FALSE(Ed25519Verify("", "m", signature));
  EXPECT_FALSE(Ed25519Verify(public_key, "m", signature.substr(0, 63)));
  EXPECT_FALSE(Ed25519Verify(public_key, "m", signature + '\0'));
  EXPECT_FALSE(Ed25519Verify(public_key, "m", ""));
}

TEST(Ed25519Test, PemRoundTrip) {
  auto key = Ed25519PrivateKey::FromPem(Secret(kTest2Pem));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(HexEncode(key->PublicKey()), kTest2Public);
  EXPECT_EQ(key->ToPem().Reveal(), kTest2Pem);

  const Ed25519PrivateKey generated = Ed25519PrivateKey::Generate();
  auto reloaded = Ed25519PrivateKey::FromPem(generated.ToPem());
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString();
  EXPECT_EQ(reloaded->PublicKey(), generated.PublicKey());
}

TEST(Ed25519Test, FromPemRejectsOtherKeys) {
  const std::pair<const char*, const char*> cases[] = {
      {"P-256 key", kP256Pem},
      {"encrypted key", kEncryptedPem},
      {"empty", ""},
      {"not PEM", "MC4CAQAwBQYDK2VwBCIEIEzNCJso/5banbbDRuwRTg9bijGfNaumJNqM9u1PuKb7"},
      {"truncated",
       "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIEzNCJso/5ban\n"
       "-----END PRIVATE KEY-----\n"},
  };
  for (const auto& [name, pem] : cases) {
    auto key = Ed25519PrivateKey::FromPem(Secret(pem));
    ASSERT_FALSE(key.ok()) << name;
    EXPECT_EQ(key.status().code(), ErrorCode::kInvalidArgument) << name;
  }
}

TEST(Ed25519Test, FromPemFile) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() /
      ("custody_ed25519_test_" + std::to_string(::getpid()) + ".pem");
  {
    std::ofstream out(path, std::ios::binary);
    out << kTest2Pem;
  }
  auto key = Ed25519PrivateKey::FromPemFile(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(HexEncode(key->PublicKey()), kTest2Public);

  auto missing = Ed25519PrivateKey::FromPemFile(path.string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
}

TEST(Ed25519Test, FromPemFileRejectsOversizedFile) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() /
      ("custody_ed25519_large_" + std::to_string(::getpid()) + ".pem");
  {
    std::ofstream out(path, std::ios::binary);
    out << kTest2Pem << std::string(70 * 1024, '\n');
  }
  auto key = Ed25519PrivateKey::FromPemFile(path.string());
  std::filesystem::remove(path);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), ErrorCode::kInvalidArgument);
}

std::filesystem::path ConformanceDir() {
  if (const char* dir = std::getenv("CUSTODY_CONFORMANCE_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  return CUSTODY_CONFORMANCE_DIR;
}

// Wycheproof's Ed25519 verification cases, each marked valid or invalid: malleable signatures
// (S not reduced), invalid encodings, truncated signatures and signatures with trailing bytes.
TEST(Ed25519Test, WycheproofVerify) {
  const std::filesystem::path path = ConformanceDir() / "wycheproof" / "ed25519_test.json";
  if (!std::filesystem::exists(path)) {
    GTEST_SKIP() << "conformance data not found at " << path
                 << "; set CUSTODY_CONFORMANCE_DIR to the shared conformance folder";
  }
  std::ifstream in(path);
  const nlohmann::json suite = nlohmann::json::parse(in);
  size_t cases = 0;
  for (const auto& group : suite.at("testGroups")) {
    const std::string public_key = FromHex(group.at("publicKey").at("pk").get<std::string>());
    for (const auto& test : group.at("tests")) {
      const std::string result = test.at("result").get<std::string>();
      ASSERT_NE(result, "acceptable") << "no policy for acceptable cases yet";
      const bool valid = Ed25519Verify(public_key, FromHex(test.at("msg").get<std::string>()),
                                       FromHex(test.at("sig").get<std::string>()));
      EXPECT_EQ(valid, result == "valid")
          << "tcId " << test.at("tcId") << ": " << test.at("comment");
      ++cases;
    }
  }
  EXPECT_EQ(cases, suite.at("numberOfTests").get<size_t>());
}

}  // namespace
}  // namespace custody::crypto
