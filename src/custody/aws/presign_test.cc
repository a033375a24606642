#include "custody/aws/presign.h"

#include <map>

#include <gtest/gtest.h>

#include "custody/aws/http_transport.h"
#include "custody/aws/sigv4.h"
#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"

namespace custody::aws {
namespace {

constexpr int64_t kNow = 1796400000;  // 2026-12-04T16:00:00Z

AwsConnection TestConnection() {
  AwsConnection connection;
  connection.role_arn = "arn:aws:iam::123456789012:role/CustodyEvidence";
  connection.external_id = std::string(40, 'x');
  connection.bucket = "acme-evidence";
  connection.region = "eu-west-1";
  connection.kms_key_id = "1234abcd-12ab-34cd-56ef-1234567890ab";
  return connection;
}

Credentials TemporaryCredentials(int64_t expires_in_seconds = 3600) {
  Credentials credentials;
  credentials.access_key_id = "ASIATESTACCESSKEY";
  credentials.secret_access_key = Secret("temporary/secret+key");
  credentials.session_token = Secret("session/token+=");
  credentials.expiration = FromUnixSeconds(kNow + expires_in_seconds);
  return credentials;
}

PutObjectUpload HelloUpload() {
  PutObjectUpload upload;
  upload.key = "custody/org_1/ent_1/evd_1/ver_1";
  upload.content_length = 5;
  upload.sha256_hex = crypto::Sha256Hex("hello");
  const crypto::Md5Digest md5 = crypto::Md5("hello");
  upload.md5_hex = crypto::HexEncode(std::span<const uint8_t>(md5));
  upload.ttl = std::chrono::seconds(300);
  return upload;
}

// Decodes a URL's query into name -> value.
std::map<std::string, std::string> QueryOf(const std::string& url_text) {
  const Url url = ParseUrl(url_text).value();
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start <= url.query.size()) {
    size_t end = url.query.find('&', start);
    if (end == std::string::npos) {
      end = url.query.size();
    }
    const std::string pair = url.query.substr(start, end - start);
    const size_t equals = pair.find('=');
    std::string value = pair.substr(equals + 1);
    std::string decoded;
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '%' && i + 2 < value.size()) {
        decoded += static_cast<char>(std::stoi(value.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        decoded += value[i];
      }
    }
    out[pair.substr(0, equals)] = decoded;
    start = end + 1;
  }
  return out;
}

// Recomputes the signature the way S3 does: from the URL without X-Amz-Signature and the
// headers named in X-Amz-SignedHeaders.
std::string RecomputeSignature(const PresignedRequest& presigned, const Credentials& credentials,
                               const std::string& region, SystemTime time) {
  const Url url = ParseUrl(presigned.url).value();
  sigv4::RequestToSign request;
  request.method = presigned.method;
  request.path = url.path;
  request.query = url.query.substr(0, url.query.find("&X-Amz-Signature="));
  request.headers = presigned.headers;
  request.headers.emplace_back("host", url.HostHeader());
  request.payload_hash = std::string(sigv4::kUnsignedPayload);
  return sigv4::ComputeSignature(request, sigv4::SigningConfig::ForS3(region), credentials, time)
      .value()
      .signature;
}

TEST(PresignPutObjectTest, SignsEveryHeader) {
  const FixedClock clock(FromUnixSeconds(kNow));
  const Credentials credentials = TemporaryCredentials();
  const auto presigned = PresignPutObject(TestConnection(), credentials, HelloUpload(), clock);
  ASSERT_TRUE(presigned.ok()) << presigned.status().ToString();

  EXPECT_EQ(presigned->method, "PUT");
  EXPECT_EQ(presigned->url.rfind("https://acme-evidence.s3.eu-west-1.amazonaws.com/custody/org_1/"
                                 "ent_1/evd_1/ver_1?",
                                 0),
            0u)
      << presigned->url;
  const std::vector<std::pair<std::string, std::string>> expected_headers = {
      {"Content-Length", "5"},
      {"Content-MD5", "XUFAKrxLKna5cZ2REBfFkg=="},
      {"x-amz-checksum-sha256", "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="},
      {"x-amz-server-side-encryption", "aws:kms"},
      {"x-amz-server-side-encryption-aws-kms-key-id", "1234abcd-12ab-34cd-56ef-1234567890ab"},
  };
  EXPECT_EQ(presigned->headers, expected_headers);

  const auto query = QueryOf(presigned->url);
  EXPECT_EQ(query.at("X-Amz-SignedHeaders"),
            "content-length;content-md5;host;x-amz-checksum-sha256;x-amz-server-side-encryption;"
            "x-amz-server-side-encryption-aws-kms-key-id");
  EXPECT_EQ(query.at("X-Amz-Algorithm"), "AWS4-HMAC-SHA256");
  EXPECT_EQ(query.at("X-Amz-Credential"), "ASIATESTACCESSKEY/20261204/eu-west-1/s3/aws4_request");
  EXPECT_EQ(query.at("X-Amz-Date"), "20261204T160000Z");
  EXPECT_EQ(query.at("X-Amz-Expires"), "300");
  EXPECT_EQ(query.at("X-Amz-Security-Token"), "session/token+=");
  EXPECT_EQ(presigned->expires_at, FromUnixSeconds(kNow + 300));
  EXPECT_EQ(query.at("X-Amz-Signature"),
            RecomputeSignature(*presigned, credentials, "eu-west-1", FromUnixSeconds(kNow)));
}

TEST(PresignPutObjectTest, SignsContentType) {
  const FixedClock clock(FromUnixSeconds(kNow));
  PutObjectUpload upload = HelloUpload();
  upload.content_type = "application/pdf";
  const auto presigned = PresignPutObject(TestConnection(), TemporaryCredentials(), upload, clock);
  ASSERT_TRUE(presigned.ok());
  EXPECT_NE(QueryOf(presigned->url).at("X-Amz-SignedHeaders").find("content-type;"),
            std::string::npos);
  EXPECT_NE(std::find(presigned->headers.begin(), presigned->headers.end(),
                      std::pair<std::string, std::string>("Content-Type", "application/pdf")),
            presigned->headers.end());
}

TEST(PresignPutObjectTest, ChangedHeaderBreaksSignature) {
  const FixedClock clock(FromUnixSeconds(kNow));
  const Credentials credentials = TemporaryCredentials();
  auto presigned = PresignPutObject(TestConnection(), credentials, HelloUpload(), clock);
  ASSERT_TRUE(presigned.ok());
  const std::string signature = QueryOf(presigned->url).at("X-Amz-Signature");
  for (size_t i = 0; i < presigned->headers.size(); ++i) {
    PresignedRequest tampered = *presigned;
    tampered.headers[i].second += "0";
    EXPECT_NE(RecomputeSignature(tampered, credentials, "eu-west-1", FromUnixSeconds(kNow)),
              signature)
        << tampered.headers[i].first;
  }
}

TEST(PresignPutObjectTest, NeverOutlivesCredentials) {
  const FixedClock clock(FromUnixSeconds(kNow));
  const auto presigned =
      PresignPutObject(TestConnection(), TemporaryCredentials(100), HelloUpload(), clock);
  ASSERT_TRUE(presigned.ok());
  EXPECT_EQ(QueryOf(presigned->url).at("X-Amz-Expires"), "100");
  EXPECT_EQ(presigned->expires_at, FromUnixSeconds(kNow + 100));
}

TEST(PresignPutObjectTest, ExpiredCredentialsRejected) {
  const FixedClock clock(FromUnixSeconds(kNow));
  for (int64_t expires_in : {0, -1, -3600}) {
    const auto presigned =
        PresignPutObject(TestConnection(), TemporaryCredentials(expires_in), HelloUpload(), clock);
    ASSERT_FALSE(presigned.ok()) << expires_in;
    EXPECT_EQ(presigned.status().code(), ErrorCode::kUnavailable);
  }
}

TEST(PresignPutObjectTest, HttpOnlyForAllowedLoopback) {
  const FixedClock clock(FromUnixSeconds(kNow));
  AwsConnection connection = TestConnection();
  connection.endpoint = "http://127.0.0.1:7480";

  const auto refused = PresignPutObject(connection, TemporaryCredentials(), HelloUpload(), clock);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kFailedPrecondition);

  PresignOptions options;
  options.allow_insecure_loopback = true;
  const auto allowed =
      PresignPutObject(connection, TemporaryCredentials(), HelloUpload(), clock, options);
  ASSERT_TRUE(allowed.ok()) << allowed.status().ToString();
  EXPECT_EQ(allowed->url.rfind("http://127.0.0.1:7480/acme-evidence/custody/org_1/", 0), 0u);

  connection.endpoint = "http://192.0.2.10:7480";
  const auto public_http =
      PresignPutObject(connection, TemporaryCredentials(), HelloUpload(), clock, options);
  ASSERT_FALSE(public_http.ok());
  EXPECT_EQ(public_http.status().code(), ErrorCode::kFailedPrecondition);
}

TEST(PresignPutObjectTest, KeySegmentsEncodedNotNormalized) {
  const FixedClock clock(FromUnixSeconds(kNow));
  PutObjectUpload upload = HelloUpload();
  upload.key = "p/a b/\xC3\xBC/..//x+y";
  const auto presigned = PresignPutObject(TestConnection(), TemporaryCredentials(), upload, clock);
  ASSERT_TRUE(presigned.ok());
  EXPECT_EQ(ParseUrl(presigned->url)->path, "/p/a%20b/%C3%BC/..//x%2By");
}

TEST(PresignPutObjectTest, RejectsBadInput) {
  const FixedClock clock(FromUnixSeconds(kNow));

  struct Case {
    const char* name;
    void (*mutate)(PutObjectUpload*);
  };

  const Case kCases[] = {
      {"empty key",
       [](PutObjectUpload* u) {
         u->key = "";
       }},
      {"long key",
       [](PutObjectUpload* u) {
         u->key = std::string(1025, 'k');
       }},
      {"control char key",
       [](PutObjectUpload* u) {
         u->key = "a\nb";
       }},
      {"uppercase sha",
       [](PutObjectUpload* u) {
         u->sha256_hex = std::string(64, 'A');
       }},
      {"short sha",
       [](PutObjectUpload* u) {
         u->sha256_hex = std::string(63, 'a');
       }},
      {"short md5",
       [](PutObjectUpload* u) {
         u->md5_hex = std::string(31, 'a');
       }},
      {"non hex md5",
       [](PutObjectUpload* u) {
         u->md5_hex = std::string(32, 'g');
       }},
      {"ttl zero",
       [](PutObjectUpload* u) {
         u->ttl = std::chrono::seconds(0);
       }},
      {"ttl too long",
       [](PutObjectUpload* u) {
         u->ttl = std::chrono::seconds(604801);
       }},
      {"too large",
       [](PutObjectUpload* u) {
         u->content_length = kMaxSinglePutBytes + 1;
       }},
      {"type newline",
       [](PutObjectUpload* u) {
         u->content_type = "text/plain\r\nX-A: b";
       }},
      {"type empty",
       [](PutObjectUpload* u) {
         u->content_type = "";
       }},
  };
  for (const Case& c : kCases) {
    PutObjectUpload upload = HelloUpload();
    c.mutate(&upload);
    const auto presigned =
        PresignPutObject(TestConnection(), TemporaryCredentials(), upload, clock);
    ASSERT_FALSE(presigned.ok()) << c.name;
    EXPECT_EQ(presigned.status().code(), ErrorCode::kInvalidArgument) << c.name;
  }
}

UploadPartUpload PartUpload() {
  UploadPartUpload upload;
  upload.key = "custody/org_1/ent_1/evd_1/ver_1";
  upload.upload_id = "2~upload/id+=";
  upload.part_number = 7;
  upload.content_length = 5;
  const crypto::Md5Digest md5 = crypto::Md5("hello");
  upload.md5_hex = crypto::HexEncode(std::span<const uint8_t>(md5));
  upload.ttl = std::chrono::seconds(300);
  return upload;
}

TEST(PresignUploadPartTest, SignsPartNumberUploadIdMd5AndLength) {
  const FixedClock clock(FromUnixSeconds(kNow));
  const Credentials credentials = TemporaryCredentials();
  const auto presigned = PresignUploadPart(TestConnection(), credentials, PartUpload(), clock);
  ASSERT_TRUE(presigned.ok()) << presigned.status().ToString();

  EXPECT_EQ(presigned->method, "PUT");
  EXPECT_EQ(presigned->url.rfind("https://acme-evidence.s3.eu-west-1.amazonaws.com/custody/org_1/"
                                 "ent_1/evd_1/ver_1?partNumber=7&uploadId=2~upload%2Fid%2B%3D&",
                                 0),
            0u)
      << presigned->url;
  const std::vector<std::pair<std::string, std::string>> expected_headers = {
      {"Content-Length", "5"},
      {"Content-MD5", "XUFAKrxLKna5cZ2REBfFkg=="},
  };
  EXPECT_EQ(presigned->headers, expected_headers);

  const auto query = QueryOf(presigned->url);
  EXPECT_EQ(query.at("partNumber"), "7");
  EXPECT_EQ(query.at("uploadId"), "2~upload/id+=");
  EXPECT_EQ(query.at("X-Amz-SignedHeaders"), "content-length;content-md5;host");
  EXPECT_EQ(query.at("X-Amz-Expires"), "300");
  EXPECT_EQ(presigned->expires_at, FromUnixSeconds(kNow + 300));
  EXPECT_EQ(query.at("X-Amz-Signature"),
            RecomputeSignature(*presigned, credentials, "eu-west-1", FromUnixSeconds(kNow)));
}

TEST(PresignUploadPartTest, OtherPartNumberBreaksSignature) {
  const FixedClock clock(FromUnixSeconds(kNow));
  const Credentials credentials = TemporaryCredentials();
  const auto presigned = PresignUploadPart(TestConnection(), credentials, PartUpload(), clock);
  ASSERT_TRUE(presigned.ok());
  const std::string signature = QueryOf(presigned->url).at("X-Amz-Signature");

  PresignedRequest moved = *presigned;
  moved.url.replace(moved.url.find("partNumber=7"), 12, "partNumber=8");
  EXPECT_NE(RecomputeSignature(moved, credentials, "eu-west-1", FromUnixSeconds(kNow)), signature);

  for (size_t i = 0; i < presigned->headers.size(); ++i) {
    PresignedRequest tampered = *presigned;
    tampered.headers[i].second += "0";
    EXPECT_NE(RecomputeSignature(tampered, credentials, "eu-west-1", FromUnixSeconds(kNow)),
              signature)
        << tampered.headers[i].first;
  }
}

TEST(PresignUploadPartTest, NeverOutlivesCredentials) {
  const FixedClock clock(FromUnixSeconds(kNow));
  const auto presigned =
      PresignUploadPart(TestConnection(), TemporaryCredentials(100), PartUpload(), clock);
  ASSERT_TRUE(presigned.ok());
  EXPECT_EQ(QueryOf(presigned->url).at("X-Amz-Expires"), "100");
}

TEST(PresignUploadPartTest, RejectsBadInput) {
  const FixedClock clock(FromUnixSeconds(kNow));

  struct Case {
    const char* name;
    void (*change)(UploadPartUpload&);
    const char* field;
  };

  const Case cases[] = {
      {"part number 0", [](UploadPartUpload& u) { u.part_number = 0; }, "part_number"},
      {"part number 10001", [](UploadPartUpload& u) { u.part_number = 10001; }, "part_number"},
      {"empty part", [](UploadPartUpload& u) { u.content_length = 0; }, "size"},
      {"part over 5 GiB", [](UploadPartUpload& u) { u.content_length = kMaxPartBytes + 1; },
       "size"},
      {"uppercase md5", [](UploadPartUpload& u) { u.md5_hex = std::string(32, 'A'); }, "md5"},
      {"short md5", [](UploadPartUpload& u) { u.md5_hex = "abc"; }, "md5"},
      {"empty upload id", [](UploadPartUpload& u) { u.upload_id.clear(); }, "upload_id"},
      {"upload id with space", [](UploadPartUpload& u) { u.upload_id = "a b"; }, "upload_id"},
      {"upload id too long", [](UploadPartUpload& u) { u.upload_id = std::string(1025, 'a'); },
       "upload_id"},
      {"empty key", [](UploadPartUpload& u) { u.key.clear(); }, "key"},
      {"ttl zero", [](UploadPartUpload& u) { u.ttl = std::chrono::seconds(0); }, "ttl"},
  };
  for (const Case& c : cases) {
    UploadPartUpload upload = PartUpload();
    c.change(upload);
    const auto presigned =
        PresignUploadPart(TestConnection(), TemporaryCredentials(), upload, clock);
    ASSERT_FALSE(presigned.ok()) << c.name;
    EXPECT_EQ(presigned.status().code(), ErrorCode::kInvalidArgument) << c.name;
    EXPECT_EQ(presigned.status().field(), c.field) << c.name;
  }
}

TEST(PresignGetObjectTest, AttachmentWithShortExpiry) {
  const FixedClock clock(FromUnixSeconds(kNow));
  const Credentials credentials = TemporaryCredentials();
  GetObjectDownload download;
  download.key = "custody/org_1/ent_1/evd_1/ver_1";
  download.file_name = "Prüfbericht \"Q4\".pdf";
  download.ttl = std::chrono::seconds(60);
  const auto presigned = PresignGetObject(TestConnection(), credentials, download, clock);
  ASSERT_TRUE(presigned.ok()) << presigned.status().ToString();
  EXPECT_EQ(presigned->method, "GET");
  EXPECT_TRUE(presigned->headers.empty());
  const auto query = QueryOf(presigned->url);
  EXPECT_EQ(query.at("response-content-disposition"),
            "attachment; filename=\"Pr_fbericht Q4.pdf\"; "
            "filename*=UTF-8''Pr%C3%BCfbericht%20%22Q4%22.pdf");
  EXPECT_EQ(query.at("X-Amz-Expires"), "60");
  EXPECT_EQ(query.at("X-Amz-SignedHeaders"), "host");
  EXPECT_EQ(presigned->expires_at, FromUnixSeconds(kNow + 60));
  EXPECT_EQ(query.at("X-Amz-Signature"),
            RecomputeSignature(*presigned, credentials, "eu-west-1", FromUnixSeconds(kNow)));
}

TEST(ContentDispositionTest, EncodesNames) {
  struct Case {
    const char* file_name;
    const char* expected;
  };

  const Case kCases[] = {
      {"report.pdf", "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"},
      {"a\"b\\c.txt", "attachment; filename=\"abc.txt\"; filename*=UTF-8''a%22b%5Cc.txt"},
      {"a\r\nb;c.txt", "attachment; filename=\"ab;c.txt\"; filename*=UTF-8''ab%3Bc.txt"},
      {"100%.txt", "attachment; filename=\"100_.txt\"; filename*=UTF-8''100%25.txt"},
      {"\xE6\x97\xA5\xE6\x9C\xAC.txt",
       "attachment; filename=\"__.txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt"},
      {"", "attachment; filename=\"download\"; filename*=UTF-8''download"},
      {"\"\"", "attachment; filename=\"download\"; filename*=UTF-8''%22%22"},
  };
  for (const Case& c : kCases) {
    EXPECT_EQ(ContentDispositionAttachment(c.file_name), c.expected) << c.file_name;
  }
}

}  // namespace
}  // namespace custody::aws
