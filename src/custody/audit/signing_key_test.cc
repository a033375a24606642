#include "custody/audit/signing_key.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace custody::audit {
namespace {

class SigningKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/custody-signing-key-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    directory_ = pattern;
  }

  void TearDown() override { std::filesystem::remove_all(directory_); }

  std::string PathOf(const std::string& name) const { return directory_ + "/" + name; }

  std::string directory_;
};

TEST_F(SigningKeyTest, GeneratedKeyLoadsBack) {
  const std::string path = PathOf("audit.key");
  Result<NoteSigner> generated = GenerateSigningKeyFile(path, "custody.example/audit");
  ASSERT_TRUE(generated.ok()) << generated.status().ToString();

  struct stat info {};

  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  Result<NoteSigner> loaded = LoadSigningKeyFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->name(), "custody.example/audit");
  EXPECT_EQ(loaded->key_id(), generated->key_id());
  EXPECT_EQ(loaded->Verifier().VerifierKey(), generated->Verifier().VerifierKey());
}

TEST_F(SigningKeyTest, GenerateNeverOverwrites) {
  const std::string path = PathOf("audit.key");
  ASSERT_TRUE(GenerateSigningKeyFile(path, "custody.example/audit").ok());
  Result<NoteSigner> first = LoadSigningKeyFile(path);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(GenerateSigningKeyFile(path, "custody.example/audit").ok());
  Result<NoteSigner> after = LoadSigningKeyFile(path);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->key_id(), first->key_id());
}

TEST_F(SigningKeyTest, GenerateRejectsInvalidKeyName) {
  EXPECT_FALSE(GenerateSigningKeyFile(PathOf("a.key"), "has space").ok());
  EXPECT_FALSE(std::filesystem::exists(PathOf("a.key")));
}

TEST_F(SigningKeyTest, LoadRejectsGroupOrWorldAccess) {
  const std::string path = PathOf("audit.key");
  ASSERT_TRUE(GenerateSigningKeyFile(path, "custody.example/audit").ok());
  for (const mode_t mode : {0640, 0604, 0620, 0660, 0644, 0700 | 0040}) {
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
    Result<NoteSigner> loaded = LoadSigningKeyFile(path);
    EXPECT_EQ(loaded.status().code(), ErrorCode::kInvalidArgument) << std::oct << mode;
    EXPECT_NE(loaded.status().message().find("chmod 600"), std::string::npos)
        << loaded.status().ToString();
  }
  ASSERT_EQ(chmod(path.c_str(), 0400), 0);
  EXPECT_TRUE(LoadSigningKeyFile(path).ok());
}

TEST_F(SigningKeyTest, LoadRejectsMissingDirectoryAndGarbage) {
  EXPECT_EQ(LoadSigningKeyFile(PathOf("missing.key")).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(LoadSigningKeyFile("").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(LoadSigningKeyFile(directory_).status().code(), ErrorCode::kInvalidArgument);

  const std::string garbage = PathOf("garbage.key");
  {
    std::ofstream out(garbage);
    out << "PRIVATE+KEY+name+00000000+AAAA\n";
  }
  ASSERT_EQ(chmod(garbage.c_str(), 0600), 0);
  Result<NoteSigner> loaded = LoadSigningKeyFile(garbage);
  EXPECT_EQ(loaded.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(loaded.status().message().find("valid signer key"), std::string::npos);

  const std::string large = PathOf("large.key");
  {
    std::ofstream out(large);
    out << std::string(kMaxSigningKeyFileBytes + 1, 'A');
  }
  ASSERT_EQ(chmod(large.c_str(), 0600), 0);
  EXPECT_NE(LoadSigningKeyFile(large).status().message().find("larger than"), std::string::npos);
}

TEST_F(SigningKeyTest, ErrorsNeverContainTheKey) {
  const std::string path = PathOf("audit.key");
  Result<NoteSigner> generated = GenerateSigningKeyFile(path, "custody.example/audit");
  ASSERT_TRUE(generated.ok());
  const std::string key = generated->SignerKey().Reveal();
  {
    // The key with its ID changed, which FromSignerKey rejects.
    std::ofstream out(path, std::ios::trunc);
    std::string altered = key;
    const size_t id_start = std::string("PRIVATE+KEY+custody.example/audit+").size();
    altered[id_start] = altered[id_start] == '0' ? '1' : '0';
    out << altered << "\n";
  }
  Result<NoteSigner> loaded = LoadSigningKeyFile(path);
  ASSERT_FALSE(loaded.ok());
  const std::string seed_part = key.substr(key.rfind('+') + 1);
  EXPECT_EQ(loaded.status().message().find(seed_part), std::string::npos);
}

}  // namespace
}  // namespace custody::audit
