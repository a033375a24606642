#include "custody/cli/upload.h"

#include <gtest/gtest.h>

#include "custody/aws/fake_transport.h"
#include "custody/cli/test_support.h"
#include "custody/cli/transfer.h"
#include "custody/crypto/hash.h"

namespace custody::cli {
namespace {

using aws::testing::FakeTransport;
using aws::testing::Respond;
using testing::TempDir;

const std::string kContents(300 * 1024 + 11, 'x');

PresignedTransfer MakeUpload(uint64_t size) {
  PresignedTransfer upload;
  upload.method = "PUT";
  upload.url = "https://bucket.s3.example/evidence/o/e/d/v?X-Amz-Signature=abc";
  upload.headers = {
      {"Content-Length", std::to_string(size)},
      {"Content-MD5", "md5base64=="},
      {"Content-Type", "text/csv"},
      {"x-amz-checksum-sha256", "shabase64="},
      {"x-amz-server-side-encryption", "aws:kms"},
      {"x-amz-server-side-encryption-aws-kms-key-id", "key-1"},
  };
  return upload;
}

FileDigests DigestsOf(const std::string& contents) {
  return FileDigests{contents.size(), crypto::Sha256Hex(contents), std::string(32, '0')};
}

TEST(PutFileTest, SendsBodyAndExactlyTheSignedHeaders) {
  TempDir directory;
  const auto path = directory.Write("rules.csv", kContents);
  FakeTransport s3(
      [](const aws::HttpRequest&) { return Result<aws::HttpResponse>(Respond(200, "")); });
  const PresignedTransfer upload = MakeUpload(kContents.size());

  uint64_t last_progress = 0;
  const Status status =
      PutFile(s3, upload, path, DigestsOf(kContents),
              [&](const aws::TransferProgress& progress) { last_progress = progress.bytes_sent; });
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(s3.requests().size(), 1u);
  const std::vector<aws::HttpRequest> requests = s3.requests();
  const aws::HttpRequest& sent = requests[0];
  EXPECT_EQ(sent.method, "PUT");
  EXPECT_EQ(sent.url, upload.url);
  EXPECT_EQ(sent.headers, upload.headers);
  EXPECT_TRUE(sent.body == kContents);
  EXPECT_EQ(last_progress, kContents.size());
}

TEST(PutFileTest, ChecksumRejectionSaysFileChanged) {
  TempDir directory;
  const auto path = directory.Write("rules.csv", kContents);
  FakeTransport s3([](const aws::HttpRequest&) {
    return Result<aws::HttpResponse>(testing::S3ErrorResponse(
        400, "BadDigest", "The Content-MD5 you specified did not match what we received."));
  });
  const Status status = PutFile(s3, MakeUpload(kContents.size()), path, DigestsOf(kContents));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), ErrorCode::kConflict);
  EXPECT_NE(status.message().find("changed after it was hashed"), std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("BadDigest"), std::string::npos) << status.message();
  EXPECT_EQ(status.message().find("SECRETTOKEN"), std::string::npos);
  EXPECT_FALSE(IsRetryable(status));
}

TEST(PutFileTest, ContentChangedSinceHashingIsCaughtLocally) {
  TempDir directory;
  std::string changed = kContents;
  changed[100] = 'y';
  const auto path = directory.Write("rules.csv", changed);
  // A store that ignores checksum headers accepts the body; the client still notices.
  FakeTransport s3(
      [](const aws::HttpRequest&) { return Result<aws::HttpResponse>(Respond(200, "")); });
  const Status status = PutFile(s3, MakeUpload(kContents.size()), path, DigestsOf(kContents));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), ErrorCode::kConflict);
  EXPECT_NE(status.message().find("changed after it was hashed"), std::string::npos);
}

TEST(PutFileTest, SizeChangedSinceHashingSendsNothing) {
  TempDir directory;
  const auto path = directory.Write("rules.csv", kContents + "more");
  FakeTransport s3(
      [](const aws::HttpRequest&) { return Result<aws::HttpResponse>(Respond(200, "")); });
  const Status status = PutFile(s3, MakeUpload(kContents.size()), path, DigestsOf(kContents));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), ErrorCode::kConflict);
  EXPECT_EQ(s3.calls(), 0);
}

TEST(PutFileTest, NetworkFailureIsRetryable) {
  TempDir directory;
  const auto path = directory.Write("rules.csv", kContents);
  FakeTransport s3([](const aws::HttpRequest&) {
    return Result<aws::HttpResponse>(Unavailable("connecting to https://bucket failed"));
  });
  const Status status = PutFile(s3, MakeUpload(kContents.size()), path, DigestsOf(kContents));
  EXPECT_TRUE(IsRetryable(status)) << status.ToString();
}

TEST(PutFileTest, ServerErrorIsRetryable) {
  TempDir directory;
  const auto path = directory.Write("rules.csv", kContents);
  FakeTransport s3([](const aws::HttpRequest&) {
    return Result<aws::HttpResponse>(
        testing::S3ErrorResponse(503, "SlowDown", "Please reduce your request rate."));
  });
  const Status status = PutFile(s3, MakeUpload(kContents.size()), path, DigestsOf(kContents));
  EXPECT_TRUE(IsRetryable(status)) << status.ToString();
}

TEST(PutFileTest, ExpiredUrlIsNotRetryable) {
  TempDir directory;
  const auto path = directory.Write("rules.csv", kContents);
  FakeTransport s3([](const aws::HttpRequest&) {
    return Result<aws::HttpResponse>(
        testing::S3ErrorResponse(403, "AccessDenied", "Request has expired"));
  });
  const Status status = PutFile(s3, MakeUpload(kContents.size()), path, DigestsOf(kContents));
  EXPECT_EQ(status.code(), ErrorCode::kUpstreamFailed) << status.ToString();
}

TEST(PutFileTest, RejectsSignedLengthOtherThanFileSize) {
  TempDir directory;
  const auto path = directory.Write("rules.csv", kContents);
  FakeTransport s3(
      [](const aws::HttpRequest&) { return Result<aws::HttpResponse>(Respond(200, "")); });
  PresignedTransfer upload = MakeUpload(kContents.size() + 1);
  upload.headers[0].first = "content-length";
  const Status status = PutFile(s3, upload, path, DigestsOf(kContents));
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(s3.calls(), 0);
}

TEST(PutFileTest, RejectsPlainHttpToRemoteHost) {
  TempDir directory;
  const auto path = directory.Write("rules.csv", kContents);
  FakeTransport s3(
      [](const aws::HttpRequest&) { return Result<aws::HttpResponse>(Respond(200, "")); });
  PresignedTransfer upload = MakeUpload(kContents.size());
  upload.url = "http://bucket.s3.example/key?X-Amz-Signature=abc";
  const Status status = PutFile(s3, upload, path, DigestsOf(kContents));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message().find("X-Amz-Signature"), std::string::npos) << status.message();
  EXPECT_EQ(s3.calls(), 0);
}

}  // namespace
}  // namespace custody::cli
