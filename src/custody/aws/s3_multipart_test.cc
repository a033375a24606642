#include <gtest/gtest.h>

#include "custody/aws/fake_transport.h"
#include "custody/aws/s3.h"

namespace custody::aws {
namespace {

using testing::FakeTransport;
using testing::Respond;

constexpr int64_t kNow = 1796400000;  // 2026-12-04T16:00:00Z
constexpr char kKey[] = "custody/org_1/ent_1/evd_1/ver_1";
constexpr char kObjectUrl[] =
    "https://acme-evidence.s3.eu-west-1.amazonaws.com/custody/org_1/ent_1/evd_1/ver_1";

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

std::string PartXml(int number, uint64_t size, std::string_view etag) {
  return "<Part><PartNumber>" + std::to_string(number) +
         "</PartNumber><LastModified>2026-12-04T16:00:00.000Z</LastModified><ETag>&quot;" +
         std::string(etag) + "&quot;</ETag><Size>" + std::to_string(size) + "</Size></Part>";
}

std::string PartsPageXml(const std::string& parts, bool truncated, int next_marker) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<ListPartsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
         "<Bucket>acme-evidence</Bucket><Key>k</Key><UploadId>up-1</UploadId>"
         "<PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>" +
         std::to_string(next_marker) + "</NextPartNumberMarker><MaxParts>2</MaxParts>" +
         "<IsTruncated>" + (truncated ? "true" : "false") + "</IsTruncated>" + parts +
         "<StorageClass>STANDARD</StorageClass></ListPartsResult>";
}

class S3MultipartTest : public ::testing::Test {
 protected:
  const FixedClock clock_{FromUnixSeconds(kNow)};
};

TEST_F(S3MultipartTest, CreateSendsSseKmsAndContentType) {
  FakeTransport transport([](const HttpRequest&) {
    return Result<HttpResponse>(
        Respond(200,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult "
                "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>acme-evidence</Bucket>"
                "<Key>k</Key><UploadId>VXBsb2FkIElE&amp;2</UploadId>"
                "</InitiateMultipartUploadResult>"));
  });
  S3Client client(transport, clock_);
  const auto upload_id = client.CreateMultipartUpload(Connection(), TemporaryCredentials(), kKey,
                                                      std::string("application/pdf"));
  ASSERT_TRUE(upload_id.ok()) << upload_id.status().ToString();
  EXPECT_EQ(*upload_id, "VXBsb2FkIElE&2");

  const HttpRequest sent = transport.requests().at(0);
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, std::string(kObjectUrl) + "?uploads=");
  EXPECT_EQ(sent.body, "");
  EXPECT_EQ(HeaderOf(sent, "Content-Type"), "application/pdf");
  EXPECT_EQ(HeaderOf(sent, "x-amz-server-side-encryption"), "aws:kms");
  EXPECT_EQ(HeaderOf(sent, "x-amz-server-side-encryption-aws-kms-key-id"), Connection().kms_key_id);
  EXPECT_NE(HeaderOf(sent, "Authorization").find("x-amz-server-side-encryption-aws-kms-key-id"),
            std::string::npos);
}

TEST_F(S3MultipartTest, CreateMapsErrors) {
  struct Case {
    int status;
    std::string body;
    ErrorCode expected;
  };

  const Case cases[] = {
      {403, "<Error><Code>AccessDenied</Code></Error>", ErrorCode::kUpstreamFailed},
      {503, "<Error><Code>ServiceUnavailable</Code></Error>", ErrorCode::kUnavailable},
      {200, "<InitiateMultipartUploadResult></InitiateMultipartUploadResult>",
       ErrorCode::kUpstreamFailed},
      {200, "<InitiateMultipartUploadResult><UploadId></UploadId></InitiateMultipartUploadResult>",
       ErrorCode::kUpstreamFailed},
  };
  for (const Case& c : cases) {
    FakeTransport transport(
        [&](const HttpRequest&) { return Result<HttpResponse>(Respond(c.status, c.body)); });
    S3Client client(transport, clock_);
    const auto upload_id =
        client.CreateMultipartUpload(Connection(), TemporaryCredentials(), kKey, std::nullopt);
    ASSERT_FALSE(upload_id.ok()) << c.body;
    EXPECT_EQ(upload_id.status().code(), c.expected) << c.body;
  }
}

TEST_F(S3MultipartTest, CreateNeedsKmsKey) {
  FakeTransport transport(
      [](const HttpRequest&) { return Result<HttpResponse>(Respond(200, "")); });
  S3Client client(transport, clock_);
  AwsConnection connection = Connection();
  connection.kms_key_id.clear();
  const auto upload_id =
      client.CreateMultipartUpload(connection, TemporaryCredentials(), kKey, std::nullopt);
  EXPECT_EQ(upload_id.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(transport.calls(), 0);
}

TEST_F(S3MultipartTest, ListPartsFollowsEveryPage) {
  FakeTransport transport([](const HttpRequest& request) {
    if (request.url.find("part-number-marker=2") == std::string::npos) {
      return Result<HttpResponse>(Respond(
          200, PartsPageXml(PartXml(1, 5242880, "aa") + PartXml(2, 5242880, "bb"), true, 2)));
    }
    return Result<HttpResponse>(Respond(200, PartsPageXml(PartXml(4, 17, "cc-1"), false, 4)));
  });
  S3Client client(transport, clock_);
  const auto parts = client.ListParts(Connection(), TemporaryCredentials(), kKey, "up/1");
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].part_number, 1);
  EXPECT_EQ((*parts)[0].size, 5242880u);
  EXPECT_EQ((*parts)[0].etag, "aa");
  EXPECT_EQ((*parts)[1].part_number, 2);
  EXPECT_EQ((*parts)[2].part_number, 4);
  EXPECT_EQ((*parts)[2].size, 17u);
  EXPECT_EQ((*parts)[2].etag, "cc-1");

  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].url, std::string(kObjectUrl) + "?uploadId=up%2F1");
  EXPECT_EQ(requests[1].url, std::string(kObjectUrl) + "?part-number-marker=2&uploadId=up%2F1");
}

TEST_F(S3MultipartTest, ListPartsOfEmptyUpload) {
  FakeTransport transport([](const HttpRequest&) {
    return Result<HttpResponse>(Respond(200, PartsPageXml("", false, 0)));
  });
  S3Client client(transport, clock_);
  const auto parts = client.ListParts(Connection(), TemporaryCredentials(), kKey, "up-1");
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  EXPECT_TRUE(parts->empty());
}

TEST_F(S3MultipartTest, ListPartsRejectsBadResponses) {
  struct Case {
    const char* name;
    int status;
    std::string body;
    ErrorCode expected;
  };

  const Case cases[] = {
      {"no such upload", 404, "<Error><Code>NoSuchUpload</Code></Error>", ErrorCode::kNotFound},
      {"server error", 500, "<Error><Code>InternalError</Code></Error>", ErrorCode::kUnavailable},
      {"access denied", 403, "<Error><Code>AccessDenied</Code></Error>",
       ErrorCode::kUpstreamFailed},
      {"marker does not advance", 200, PartsPageXml("", true, 0), ErrorCode::kUpstreamFailed},
      {"parts out of order", 200, PartsPageXml(PartXml(2, 1, "a") + PartXml(1, 1, "b"), false, 2),
       ErrorCode::kUpstreamFailed},
      {"part number 0", 200, PartsPageXml(PartXml(0, 1, "a"), false, 0),
       ErrorCode::kUpstreamFailed},
      {"part without size", 200,
       PartsPageXml("<Part><PartNumber>1</PartNumber><ETag>a</ETag></Part>", false, 1),
       ErrorCode::kUpstreamFailed},
      {"negative size", 200,
       PartsPageXml("<Part><PartNumber>1</PartNumber><ETag>a</ETag><Size>-1"
                    "</Size></Part>",
                    false, 1),
       ErrorCode::kUpstreamFailed},
      {"unterminated part", 200, PartsPageXml("<Part><PartNumber>1</PartNumber>", false, 1),
       ErrorCode::kUpstreamFailed},
  };
  for (const Case& c : cases) {
    FakeTransport transport(
        [&](const HttpRequest&) { return Result<HttpResponse>(Respond(c.status, c.body)); });
    S3Client client(transport, clock_);
    const auto parts = client.ListParts(Connection(), TemporaryCredentials(), kKey, "up-1");
    ASSERT_FALSE(parts.ok()) << c.name;
    EXPECT_EQ(parts.status().code(), c.expected) << c.name << ": " << parts.status().ToString();
  }
}

TEST_F(S3MultipartTest, ListPartsRepeatedMarkerStops) {
  // A store that always returns the same truncated page must not make the listing loop forever.
  FakeTransport transport([](const HttpRequest&) {
    return Result<HttpResponse>(Respond(200, PartsPageXml(PartXml(1, 5, "a"), true, 1)));
  });
  S3Client client(transport, clock_);
  const auto parts = client.ListParts(Connection(), TemporaryCredentials(), kKey, "up-1");
  ASSERT_FALSE(parts.ok());
  EXPECT_EQ(parts.status().code(), ErrorCode::kUpstreamFailed);
  EXPECT_EQ(transport.calls(), 2);
}

TEST_F(S3MultipartTest, CompleteSendsPartsAndReturnsEtag) {
  FakeTransport transport([](const HttpRequest&) {
    return Result<HttpResponse>(
        Respond(200,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n\n"
                "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<Location>https://x</Location><Bucket>acme-evidence</Bucket><Key>k</Key>"
                "<ETag>&quot;3858f62230ac3c915f300c664312c11f-2&quot;</ETag>"
                "</CompleteMultipartUploadResult>"));
  });
  S3Client client(transport, clock_);
  const auto etag = client.CompleteMultipartUpload(Connection(), TemporaryCredentials(), kKey,
                                                   "up-1", {{1, "aa"}, {2, "bb"}});
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_EQ(*etag, "3858f62230ac3c915f300c664312c11f-2");

  const HttpRequest sent = transport.requests().at(0);
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, std::string(kObjectUrl) + "?uploadId=up-1");
  EXPECT_EQ(sent.body,
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Part><PartNumber>1</PartNumber><ETag>\"aa\"</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>\"bb\"</ETag></Part>"
            "</CompleteMultipartUpload>");
}

TEST_F(S3MultipartTest, CompleteTreatsErrorIn200AsFailure) {
  struct Case {
    const char* name;
    int status;
    std::string body;
    ErrorCode expected;
  };

  const Case cases[] = {
      {"internal error in 200", 200,
       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>"
       "<Message>We encountered an internal error. Please try again.</Message></Error>",
       ErrorCode::kUnavailable},
      {"invalid part in 200", 200, "<Error><Code>InvalidPart</Code></Error>",
       ErrorCode::kUpstreamFailed},
      {"no such upload in 200", 200, "<Error><Code>NoSuchUpload</Code></Error>",
       ErrorCode::kNotFound},
      {"no such upload", 404, "<Error><Code>NoSuchUpload</Code></Error>", ErrorCode::kNotFound},
      {"entity too small", 400, "<Error><Code>EntityTooSmall</Code></Error>",
       ErrorCode::kUpstreamFailed},
      {"200 without ETag", 200, "<CompleteMultipartUploadResult></CompleteMultipartUploadResult>",
       ErrorCode::kUpstreamFailed},
  };
  for (const Case& c : cases) {
    FakeTransport transport(
        [&](const HttpRequest&) { return Result<HttpResponse>(Respond(c.status, c.body)); });
    S3Client client(transport, clock_);
    const auto etag = client.CompleteMultipartUpload(Connection(), TemporaryCredentials(), kKey,
                                                     "up-1", {{1, "aa"}});
    ASSERT_FALSE(etag.ok()) << c.name;
    EXPECT_EQ(etag.status().code(), c.expected) << c.name << ": " << etag.status().ToString();
  }
}

TEST_F(S3MultipartTest, CompleteRejectsBadPartList) {
  FakeTransport transport(
      [](const HttpRequest&) { return Result<HttpResponse>(Respond(200, "")); });
  S3Client client(transport, clock_);
  EXPECT_EQ(client.CompleteMultipartUpload(Connection(), TemporaryCredentials(), kKey, "up-1", {})
                .status()
                .code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(client
                .CompleteMultipartUpload(Connection(), TemporaryCredentials(), kKey, "up-1",
                                         {{2, "a"}, {1, "b"}})
                .status()
                .code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(transport.calls(), 0);
}

TEST_F(S3MultipartTest, AbortSendsDelete) {
  FakeTransport transport(
      [](const HttpRequest&) { return Result<HttpResponse>(Respond(204, "")); });
  S3Client client(transport, clock_);
  ASSERT_TRUE(client.AbortMultipartUpload(Connection(), TemporaryCredentials(), kKey, "up-1").ok());
  const HttpRequest sent = transport.requests().at(0);
  EXPECT_EQ(sent.method, "DELETE");
  EXPECT_EQ(sent.url, std::string(kObjectUrl) + "?uploadId=up-1");
}

TEST_F(S3MultipartTest, AbortOfUnknownUploadIsNotFound) {
  FakeTransport transport([](const HttpRequest&) {
    return Result<HttpResponse>(Respond(404, "<Error><Code>NoSuchUpload</Code></Error>"));
  });
  S3Client client(transport, clock_);
  EXPECT_EQ(client.AbortMultipartUpload(Connection(), TemporaryCredentials(), kKey, "up-1").code(),
            ErrorCode::kNotFound);
}

}  // namespace
}  // namespace custody::aws
