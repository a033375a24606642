#include "custody/cli/login.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "custody/aws/fake_transport.h"

namespace custody::cli {
namespace {

class CredentialFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("custody-login-test-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory_);
    path_ = directory_ / "custody" / "credentials.json";
  }

  void TearDown() override { std::filesystem::remove_all(directory_); }

  std::filesystem::path directory_;
  std::filesystem::path path_;
};

TEST_F(CredentialFileTest, SaveThenLoad) {
  const StoredCredential credential{"https://custody.example", "org_1", Secret("csr_secret")};
  ASSERT_TRUE(SaveCredential(path_, credential).ok());

  struct stat info {};

  ASSERT_EQ(::stat(path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(path_.parent_path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);

  Result<std::optional<StoredCredential>> loaded = LoadCredential(path_);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->server, "https://custody.example");
  EXPECT_EQ((*loaded)->organization_id, "org_1");
  EXPECT_EQ((*loaded)->refresh_token.Reveal(), "csr_secret");
}

TEST_F(CredentialFileTest, MissingFileIsEmpty) {
  Result<std::optional<StoredCredential>> loaded = LoadCredential(path_);
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->has_value());
}

TEST_F(CredentialFileTest, RejectsReadableByOthers) {
  ASSERT_TRUE(SaveCredential(path_, {"https://a.example", "org_1", Secret("csr_x")}).ok());
  ::chmod(path_.c_str(), 0644);
  EXPECT_EQ(LoadCredential(path_).status().code(), ErrorCode::kFailedPrecondition);
}

TEST_F(CredentialFileTest, RejectsInvalidContent) {
  ASSERT_TRUE(SaveCredential(path_, {"https://a.example", "org_1", Secret("csr_x")}).ok());
  std::ofstream(path_) << R"({"server": 1})";
  EXPECT_EQ(LoadCredential(path_).status().code(), ErrorCode::kFailedPrecondition);
}

TEST(AccessTokenFromCredentialTest, ExchangesRefreshToken) {
  aws::testing::FakeTransport transport([](const aws::HttpRequest& request) {
    EXPECT_EQ(request.url, "https://custody.example/auth/token");
    EXPECT_NE(request.body.find("\"refresh_token\":\"csr_x\""), std::string::npos);
    return Result<aws::HttpResponse>(aws::testing::Respond(200, R"({"access_token":"eyJ.a.b"})"));
  });
  Result<Secret> token =
      AccessTokenFromCredential(transport, {"https://custody.example", "org_1", Secret("csr_x")});
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(token->Reveal(), "eyJ.a.b");
}

TEST(AccessTokenFromCredentialTest, EndedSessionAsksForLogin) {
  aws::testing::FakeTransport transport([](const aws::HttpRequest&) {
    aws::HttpResponse response = aws::testing::Respond(
        401, R"({"type":"urn:custody:problem:unauthenticated","status":401})");
    response.headers.emplace_back("Content-Type", "application/problem+json");
    return Result<aws::HttpResponse>(response);
  });
  Result<Secret> token =
      AccessTokenFromCredential(transport, {"https://custody.example", "org_1", Secret("csr_x")});
  EXPECT_EQ(token.status().code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(token.status().message().find("custody login"), std::string::npos);
}

}  // namespace
}  // namespace custody::cli
