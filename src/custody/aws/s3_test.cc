#include "custody/aws/s3.h"

#include <gtest/gtest.h>

#include "custody/aws/fake_transport.h"

namespace custody::aws {
namespace {

using testing::FakeTransport;
using testing::Respond;

constexpr int64_t kNow = 1796400000;  // 2026-12-04T16:00:00Z

AwsConnection Connection() {
  AwsConnection connection;
  connection.role_arn = "arn:aws:iam::123456789012:role/CustodyEvidence";
  connection.external_id = std::string(40, 'x');
  connection.bucket = "acme-evidence";
  connection.region = "eu-west-1";
  connection.kms_key_id = "1234abcd-12ab-34cd-56ef-1234567890ab";
  return connection;
}

Credentials TemporaryCredentials() {
  Credentials credentials;
  credentials.access_key_id = "ASIATEST";
  credentials.secret_access_key = Secret("secret");
  credentials.session_token = Secret("token");
  credentials.expiration = FromUnixSeconds(kNow + 3600);
  return credentials;
}

std::string HeaderOf(const HttpRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

TEST(S3ClientTest, HeadObjectReadsMetadata) {
  FakeTransport transport([](const HttpRequest&) {
    HttpResponse response = Respond(200, "");
    response.headers = {
        {"Content-Length", "5"},
        {"ETag", "\"5d41402abc4b2a76b9719d911017c592\""},
        {"x-amz-server-side-encryption", "aws:kms"},
        {"x-amz-server-side-encryption-aws-kms-key-id",
         "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
        {"x-amz-checksum-sha256", "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="},
        {"Content-Type", "text/plain"},
    };
    return Result<HttpResponse>(response);
  });
  const FixedClock clock(FromUnixSeconds(kNow));
  S3Client client(transport, clock);
  const auto metadata = client.HeadObject(Connection(), TemporaryCredentials(), "p/a b");
  ASSERT_TRUE(metadata.ok()) << metadata.status().ToString();
  EXPECT_EQ(metadata->size, 5u);
  EXPECT_EQ(metadata->etag, "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(metadata->sse, "aws:kms");
  EXPECT_TRUE(KmsKeyMatches(Connection().kms_key_id, metadata->kms_key_id));
  EXPECT_EQ(metadata->checksum_sha256, "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=");
  EXPECT_EQ(metadata->content_type, "text/plain");
  EXPECT_EQ(metadata->version_id, std::nullopt);

  const HttpRequest sent = transport.requests().at(0);
  EXPECT_EQ(sent.method, "HEAD");
  EXPECT_EQ(sent.url, "https://acme-evidence.s3.eu-west-1.amazonaws.com/p/a%20b");
  EXPECT_EQ(HeaderOf(sent, "x-amz-checksum-mode"), "ENABLED");
  EXPECT_EQ(HeaderOf(sent, "X-Amz-Security-Token"), "token");
  EXPECT_EQ(HeaderOf(sent, "x-amz-content-sha256"),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string authorization = HeaderOf(sent, "Authorization");
  EXPECT_EQ(authorization.rfind(
                "AWS4-HMAC-SHA256 Credential=ASIATEST/20261204/eu-west-1/s3/aws4_request, "
                "SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date;"
                "x-amz-security-token, Signature=",
                0),
            0u)
      << authorization;
}

TEST(S3ClientTest, HeadObjectMapsStatuses) {
  struct Case {
    int status;
    std::string body;
    ErrorCode expected;
  };

  const Case kCases[] = {
      {404, "", ErrorCode::kNotFound},
      {403, "", ErrorCode::kUpstreamFailed},
      {400, "<Error><Code>InvalidArgument</Code></Error>", ErrorCode::kUpstreamFailed},
      {500, "", ErrorCode::kUnavailable},
      {503, "<Error><Code>SlowDown</Code></Error>", ErrorCode::kUnavailable},
  };
  const FixedClock clock(FromUnixSeconds(kNow));
  for (const Case& c : kCases) {
    FakeTransport transport([&c](const HttpRequest&) { return Respond(c.status, c.body); });
    S3Client client(transport, clock);
    const auto metadata = client.HeadObject(Connection(), TemporaryCredentials(), "k");
    ASSERT_FALSE(metadata.ok()) << c.status;
    EXPECT_EQ(metadata.status().code(), c.expected) << c.status;
  }
}

TEST(S3ClientTest, HeadObjectNeedsContentLength) {
  FakeTransport transport([](const HttpRequest&) { return Respond(200, ""); });
  const FixedClock clock(FromUnixSeconds(kNow));
  S3Client client(transport, clock);
  const auto metadata = client.HeadObject(Connection(), TemporaryCredentials(), "k");
  ASSERT_FALSE(metadata.ok());
  EXPECT_EQ(metadata.status().code(), ErrorCode::kUpstreamFailed);
}

TEST(S3ClientTest, HttpEndpointOnlyWhenAllowed) {
  FakeTransport transport([](const HttpRequest&) { return Respond(200, ""); });
  const FixedClock clock(FromUnixSeconds(kNow));
  AwsConnection connection = Connection();
  connection.endpoint = "http://127.0.0.1:7480";
  S3Client strict(transport, clock);
  EXPECT_EQ(strict.CreateBucket(connection, TemporaryCredentials()).code(),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(transport.calls(), 0);

  S3Options options;
  options.allow_insecure_loopback = true;
  S3Client relaxed(transport, clock, options);
  EXPECT_TRUE(relaxed.CreateBucket(connection, TemporaryCredentials(), true).ok());
  const HttpRequest sent = transport.requests().at(0);
  EXPECT_EQ(sent.url, "http://127.0.0.1:7480/acme-evidence");
  EXPECT_EQ(HeaderOf(sent, "x-amz-bucket-object-lock-enabled"), "true");
  EXPECT_NE(sent.body.find("<LocationConstraint>eu-west-1</LocationConstraint>"),
            std::string::npos);
}

TEST(S3ClientTest, PutObjectWithObjectLock) {
  FakeTransport transport([](const HttpRequest&) {
    HttpResponse response = Respond(200, "");
    response.headers = {{"ETag", "\"abc\""}, {"x-amz-version-id", "v1"}};
    return Result<HttpResponse>(response);
  });
  const FixedClock clock(FromUnixSeconds(kNow));
  S3Client client(transport, clock);
  PutObjectOptions options;
  options.object_lock_mode = "COMPLIANCE";
  options.object_lock_retain_until = FromUnixSeconds(kNow + 86400);
  const auto result =
      client.PutObject(Connection(), TemporaryCredentials(), "audit/1", "hello", options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->etag, "abc");
  EXPECT_EQ(result->version_id, "v1");
  const HttpRequest sent = transport.requests().at(0);
  EXPECT_EQ(sent.body, "hello");
  EXPECT_EQ(HeaderOf(sent, "Content-MD5"), "XUFAKrxLKna5cZ2REBfFkg==");
  EXPECT_EQ(HeaderOf(sent, "x-amz-object-lock-mode"), "COMPLIANCE");
  EXPECT_EQ(HeaderOf(sent, "x-amz-object-lock-retain-until-date"), "2026-12-05T16:00:00Z");
  EXPECT_EQ(HeaderOf(sent, "x-amz-server-side-encryption"), "aws:kms");

  options.object_lock_mode = "FOREVER";
  EXPECT_EQ(client.PutObject(Connection(), TemporaryCredentials(), "audit/1", "x", options)
                .status()
                .code(),
            ErrorCode::kInvalidArgument);
}

TEST(KmsKeyMatchesTest, IdAndArn) {
  const std::string id = "1234abcd-12ab-34cd-56ef-1234567890ab";
  const std::string arn = "arn:aws:kms:eu-west-1:123456789012:key/" + id;
  EXPECT_TRUE(KmsKeyMatches(id, id));
  EXPECT_TRUE(KmsKeyMatches(id, arn));
  EXPECT_TRUE(KmsKeyMatches(arn, id));
  EXPECT_TRUE(KmsKeyMatches("testkey-1", "testkey-1"));
  EXPECT_FALSE(KmsKeyMatches("testkey-1", "testkey-2"));
  EXPECT_FALSE(KmsKeyMatches(id, "arn:aws:kms:eu-west-1:123456789012:key/x" + id));
  EXPECT_FALSE(KmsKeyMatches(id, ""));
  EXPECT_FALSE(KmsKeyMatches("", ""));
  EXPECT_FALSE(KmsKeyMatches(id, "prefix" + id));
}

TEST(BucketCorsTest, ListsOriginsAndSignedHeaders) {
  const std::string json = BucketCorsJson({"https://custody.example.com"});
  EXPECT_EQ(json,
            "{\"CORSRules\": [{\"AllowedOrigins\": [\"https://custody.example.com\"], "
            "\"AllowedMethods\": [\"PUT\", \"GET\", \"HEAD\"], \"AllowedHeaders\": "
            "[\"content-type\", \"content-md5\", \"x-amz-checksum-sha256\", "
            "\"x-amz-server-side-encryption\", \"x-amz-server-side-encryption-aws-kms-key-id\"], "
            "\"ExposeHeaders\": [\"ETag\", \"x-amz-server-side-encryption\", "
            "\"x-amz-server-side-encryption-aws-kms-key-id\", \"x-amz-version-id\"], "
            "\"MaxAgeSeconds\": 3000}]}");
  const std::string xml = BucketCorsXml({"https://a.example.com", "https://b&c"});
  EXPECT_NE(xml.find("<AllowedOrigin>https://a.example.com</AllowedOrigin>"), std::string::npos);
  EXPECT_NE(xml.find("<AllowedOrigin>https://b&amp;c</AllowedOrigin>"), std::string::npos);
  EXPECT_NE(xml.find("<AllowedHeader>x-amz-checksum-sha256</AllowedHeader>"), std::string::npos);
}

TEST(BucketLifecycleTest, AbortsUnfinishedUploadsUnderPrefix) {
  EXPECT_EQ(BucketLifecycleJson("evidence/"),
            "{\"Rules\": [{\"ID\": \"abort-incomplete-custody-uploads\", \"Status\": \"Enabled\", "
            "\"Filter\": {\"Prefix\": \"evidence/\"}, \"AbortIncompleteMultipartUpload\": "
            "{\"DaysAfterInitiation\": 7}}]}");
  EXPECT_NE(BucketLifecycleJson("a\"b/", 3).find("\"Prefix\": \"a\\\"b/\"}"), std::string::npos);
  EXPECT_NE(BucketLifecycleJson("", 3).find("\"DaysAfterInitiation\": 3"), std::string::npos);
}

}  // namespace
}  // namespace custody::aws
