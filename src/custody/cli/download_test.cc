#include "custody/cli/download.h"

#include <sys/stat.h>

#include <csignal>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "custody/aws/fake_transport.h"
#include "custody/cli/test_support.h"
#include "custody/crypto/hash.h"

namespace custody::cli {
namespace {

using aws::testing::FakeTransport;
using aws::testing::Respond;
using testing::ReadFile;
using testing::TempDir;

const std::string kContents = "evidence bytes\n";
constexpr char kUrl[] =
    "https://bucket.s3.example/org/ent/evd/ver?X-Amz-Signature=abc&X-Amz-Security-Token=tok";

DownloadRequest MakeRequest(const std::filesystem::path& target) {
  DownloadRequest request;
  request.transfer.method = "GET";
  request.transfer.url = kUrl;
  request.target = target;
  request.expected_size = kContents.size();
  request.expected_sha256_hex = crypto::Sha256Hex(kContents);
  return request;
}

FakeTransport Serving(std::string body) {
  return FakeTransport([body = std::move(body)](const aws::HttpRequest&) {
    return Result<aws::HttpResponse>(Respond(200, body));
  });
}

TEST(DownloadToFileTest, WritesVerifiedFile) {
  TempDir directory;
  FakeTransport s3 = Serving(kContents);
  const auto target = directory.path() / "rules.csv";

  const Status status = DownloadToFile(s3, MakeRequest(target));
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(ReadFile(target), kContents);
  EXPECT_EQ(directory.List(), std::vector<std::string>{"rules.csv"}) << "no temporary file left";
  ASSERT_EQ(s3.requests().size(), 1u);
  EXPECT_EQ(s3.requests()[0].method, "GET");
  EXPECT_EQ(s3.requests()[0].url, kUrl);
}

TEST(DownloadToFileTest, AppliesUmaskToFinishedFile) {
  TempDir directory;
  FakeTransport s3 = Serving(kContents);
  const auto target = directory.path() / "rules.csv";
  const mode_t previous = ::umask(022);
  const Status status = DownloadToFile(s3, MakeRequest(target));
  ::umask(previous);
  ASSERT_TRUE(status.ok()) << status.ToString();

  struct stat info {};

  ASSERT_EQ(::stat(target.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0644u);
}

TEST(DownloadToFileTest, ChecksumMismatchLeavesNoFile) {
  TempDir directory;
  std::string tampered = kContents;
  tampered[0] = 'E';  // same size, other bytes
  FakeTransport s3 = Serving(tampered);
  const auto target = directory.path() / "rules.csv";

  const Status status = DownloadToFile(s3, MakeRequest(target));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), ErrorCode::kConflict);
  EXPECT_NE(status.message().find("checksum mismatch"), std::string::npos) << status.message();
  EXPECT_TRUE(directory.List().empty()) << "neither the target nor a temporary file remains";
}

TEST(DownloadToFileTest, ShortBodyLeavesNoFile) {
  TempDir directory;
  FakeTransport s3 = Serving(kContents.substr(0, 3));
  const Status status = DownloadToFile(s3, MakeRequest(directory.path() / "rules.csv"));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), ErrorCode::kConflict);
  EXPECT_TRUE(directory.List().empty());
}

TEST(DownloadToFileTest, LongBodyLeavesNoFile) {
  TempDir directory;
  FakeTransport s3 = Serving(kContents + "appended");
  const Status status = DownloadToFile(s3, MakeRequest(directory.path() / "rules.csv"));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), ErrorCode::kConflict);
  EXPECT_TRUE(directory.List().empty());
}

TEST(DownloadToFileTest, S3ErrorLeavesNoFileAndNoSecrets) {
  TempDir directory;
  FakeTransport s3([](const aws::HttpRequest&) {
    return Result<aws::HttpResponse>(
        testing::S3ErrorResponse(403, "AccessDenied", "Request has expired"));
  });
  const Status status = DownloadToFile(s3, MakeRequest(directory.path() / "rules.csv"));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), ErrorCode::kUpstreamFailed);
  EXPECT_NE(status.message().find("AccessDenied: Request has expired"), std::string::npos)
      << status.message();
  EXPECT_EQ(status.message().find("SECRETTOKEN"), std::string::npos);
  EXPECT_EQ(status.message().find("X-Amz-Signature"), std::string::npos);
  EXPECT_TRUE(directory.List().empty());
}

TEST(DownloadToFileTest, NetworkFailureIsRetryableAndLeavesNoFile) {
  TempDir directory;
  FakeTransport s3([](const aws::HttpRequest&) {
    return Result<aws::HttpResponse>(Unavailable("connecting to https://bucket failed"));
  });
  const Status status = DownloadToFile(s3, MakeRequest(directory.path() / "rules.csv"));
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(directory.List().empty());
}

TEST(DownloadToFileTest, RefusesExistingFileWithoutForce) {
  TempDir directory;
  const auto target = directory.Write("rules.csv", "keep me");
  FakeTransport s3 = Serving(kContents);

  const Status status = DownloadToFile(s3, MakeRequest(target));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("--force"), std::string::npos) << status.message();
  EXPECT_EQ(ReadFile(target), "keep me");
  EXPECT_EQ(s3.calls(), 0) << "nothing is downloaded when the target would be rejected";
}

TEST(DownloadToFileTest, ReplacesExistingFileWithForce) {
  TempDir directory;
  const auto target = directory.Write("rules.csv", "old");
  FakeTransport s3 = Serving(kContents);
  DownloadRequest request = MakeRequest(target);
  request.overwrite = true;

  const Status status = DownloadToFile(s3, request);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(ReadFile(target), kContents);
  EXPECT_EQ(directory.List(), std::vector<std::string>{"rules.csv"});
}

TEST(DownloadToFileTest, MismatchWithForceKeepsOldFile) {
  TempDir directory;
  const auto target = directory.Write("rules.csv", "old");
  FakeTransport s3 = Serving("tampered bytes!");
  DownloadRequest request = MakeRequest(target);
  request.overwrite = true;

  ASSERT_FALSE(DownloadToFile(s3, request).ok());
  EXPECT_EQ(ReadFile(target), "old");
  EXPECT_EQ(directory.List(), std::vector<std::string>{"rules.csv"});
}

TEST(DownloadToFileTest, FileAppearingDuringDownloadIsNotReplaced) {
  TempDir directory;
  const auto target = directory.path() / "rules.csv";
  FakeTransport s3([&](const aws::HttpRequest&) {
    std::ofstream(target) << "raced";
    return Result<aws::HttpResponse>(Respond(200, kContents));
  });

  const Status status = DownloadToFile(s3, MakeRequest(target));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(ReadFile(target), "raced");
  EXPECT_EQ(directory.List(), std::vector<std::string>{"rules.csv"});
}

TEST(DownloadToFileTest, RejectsPlainHttpToRemoteHost) {
  TempDir directory;
  FakeTransport s3 = Serving(kContents);
  DownloadRequest request = MakeRequest(directory.path() / "rules.csv");
  request.transfer.url = "http://bucket.s3.example/key?X-Amz-Signature=abc";

  const Status status = DownloadToFile(s3, request);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message().find("X-Amz-Signature"), std::string::npos) << status.message();
  EXPECT_EQ(s3.calls(), 0);
}

TEST(DownloadToFileTest, AcceptsPlainHttpToLoopback) {
  TempDir directory;
  FakeTransport s3 = Serving(kContents);
  DownloadRequest request = MakeRequest(directory.path() / "rules.csv");
  request.transfer.url = "http://127.0.0.1:7480/bucket/key?X-Amz-Signature=abc";
  const Status status = DownloadToFile(s3, request);
  EXPECT_TRUE(status.ok()) << status.ToString();
}

TEST(DownloadToFileDeathTest, InterruptRemovesTemporaryFile) {
  TempDir directory;
  const auto target = directory.path() / "rules.csv";
  EXPECT_EXIT(
      {
        FakeTransport s3([](const aws::HttpRequest&) -> Result<aws::HttpResponse> {
          std::raise(SIGINT);
          return Respond(200, kContents);
        });
        const Status ignored = DownloadToFile(s3, MakeRequest(target));
        std::exit(ignored.ok() ? 0 : 1);
      },
      ::testing::KilledBySignal(SIGINT), "");
  EXPECT_TRUE(directory.List().empty());
}

}  // namespace
}  // namespace custody::cli
