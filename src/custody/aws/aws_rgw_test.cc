// Integration tests against a real S3 implementation (Ceph RGW started by
// tests/support/rgw.sh). They check that RGW accepts what Custody signs and rejects every
// tampered variant. Skipped unless S3_ENDPOINT is set; run with:
//   tests/support/rgw.sh start /tmp/rgw && eval "$(tests/support/rgw.sh env /tmp/rgw)"
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "custody/aws/connection.h"
#include "custody/aws/credentials.h"
#include "custody/aws/http_transport.h"
#include "custody/aws/presign.h"
#include "custody/aws/s3.h"
#include "custody/aws/sts.h"
#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"
#include "custody/crypto/random.h"

namespace custody::aws {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string Md5Hex(std::string_view data) {
  const crypto::Md5Digest digest = crypto::Md5(data);
  return crypto::HexEncode(std::span<const uint8_t>(digest));
}

std::string QueryValue(const std::string& url, const std::string& name) {
  const size_t start = url.find(name + "=");
  if (start == std::string::npos) {
    return {};
  }
  const size_t value_start = start + name.size() + 1;
  return url.substr(value_start, url.find('&', value_start) - value_start);
}

class RgwTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (Env("S3_ENDPOINT").empty()) {
      return;
    }
    transport_ = MakeBeastTransport().release();
    tester_ = new Credentials();
    tester_->access_key_id = Env("AWS_ACCESS_KEY_ID");
    tester_->secret_access_key = Secret(Env("AWS_SECRET_ACCESS_KEY"));

    connection_ = new AwsConnection();
    connection_->role_arn = Env("S3_ROLE_ARN");
    connection_->external_id = GenerateExternalId();
    std::string suffix = crypto::RandomAlphanumeric(12);
    std::transform(suffix.begin(), suffix.end(), suffix.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    connection_->bucket = "custody-aws-test-" + suffix;
    connection_->region =
        Env("AWS_DEFAULT_REGION").empty() ? "us-east-1" : Env("AWS_DEFAULT_REGION");
    connection_->kms_key_id = Env("S3_KMS_KEY_ID").empty() ? "testkey-1" : Env("S3_KMS_KEY_ID");
    connection_->key_prefix = "custody/";
    connection_->endpoint = Env("S3_ENDPOINT");

    S3Client s3(*transport_, SystemClock::Instance(), LoopbackS3());
    create_bucket_status_ = new Status(s3.CreateBucket(*connection_, *tester_));
  }

  static void TearDownTestSuite() {
    delete create_bucket_status_;
    delete connection_;
    delete tester_;
    delete transport_;
    create_bucket_status_ = nullptr;
    connection_ = nullptr;
    tester_ = nullptr;
    transport_ = nullptr;
  }

  void SetUp() override {
    if (Env("S3_ENDPOINT").empty()) {
      GTEST_SKIP() << "S3_ENDPOINT is not set; start RGW with tests/support/rgw.sh start DIR "
                      "and export the settings from DIR/env to run these tests";
    }
    ASSERT_TRUE(create_bucket_status_->ok()) << create_bucket_status_->ToString();
    ASSERT_TRUE(ValidateConnection(*connection_, /*allow_insecure_loopback=*/true).ok())
        << ValidateConnection(*connection_, true).ToString();
  }

  static S3Options LoopbackS3() {
    S3Options options;
    options.allow_insecure_loopback = true;
    return options;
  }

  static PresignOptions LoopbackPresign() {
    PresignOptions options;
    options.allow_insecure_loopback = true;
    return options;
  }

  Result<Credentials> AssumeRole() {
    StsOptions options;
    options.allow_insecure_loopback = true;
    StsClient sts(*transport_, *tester_, Env("S3_ENDPOINT"), connection_->region,
                  SystemClock::Instance(), options);
    AssumeRoleParams params;
    params.role_arn = connection_->role_arn;
    params.external_id = connection_->external_id;
    params.role_session_name = "custody-org_rgwtest";
    params.source_identity = "usr_rgwtest";
    params.duration = std::chrono::seconds(900);
    return sts.AssumeRole(params);
  }

  PutObjectUpload Upload(const std::string& key, const std::string& body) {
    PutObjectUpload upload;
    upload.key = connection_->key_prefix + key;
    upload.content_length = body.size();
    upload.sha256_hex = crypto::Sha256Hex(body);
    upload.md5_hex = Md5Hex(body);
    upload.content_type = "text/plain";
    upload.ttl = std::chrono::seconds(300);
    return upload;
  }

  Result<HttpResponse> Put(const PresignedRequest& presigned, const std::string& body) {
    return transport_->Send({presigned.method, presigned.url, presigned.headers, body});
  }

  // Expects RGW to reject the PUT and to store nothing under `key`.
  void ExpectRejected(const PresignedRequest& presigned, const std::string& body,
                      const Credentials& credentials, const std::string& key) {
    const auto response = Put(presigned, body);
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    EXPECT_GE(response->status, 400) << response->body;
    EXPECT_LT(response->status, 500) << response->body;
    S3Client s3(*transport_, SystemClock::Instance(), LoopbackS3());
    EXPECT_EQ(s3.HeadObject(*connection_, credentials, key).status().code(), ErrorCode::kNotFound);
  }

  static HttpTransport* transport_;
  static Credentials* tester_;
  static AwsConnection* connection_;
  static Status* create_bucket_status_;
};

HttpTransport* RgwTest::transport_ = nullptr;
Credentials* RgwTest::tester_ = nullptr;
AwsConnection* RgwTest::connection_ = nullptr;
Status* RgwTest::create_bucket_status_ = nullptr;

// The call carries SourceIdentity and the custody-user session tag (StsOptions defaults), so
// this also shows that RGW accepts both.
TEST_F(RgwTest, AssumeRoleReturnsWorkingCredentials) {
  const auto credentials = AssumeRole();
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  EXPECT_FALSE(credentials->access_key_id.empty());
  EXPECT_FALSE(credentials->secret_access_key.empty());
  EXPECT_FALSE(credentials->session_token.empty());
  const auto now = std::chrono::system_clock::now();
  EXPECT_GT(credentials->expiration, now + std::chrono::seconds(800));
  EXPECT_LT(credentials->expiration, now + std::chrono::seconds(1000));

  S3Client s3(*transport_, SystemClock::Instance(), LoopbackS3());
  PutObjectOptions options;
  options.content_type = "text/plain";
  const auto put = s3.PutObject(*connection_, *credentials, "custody/direct", "direct", options);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  const auto head = s3.HeadObject(*connection_, *credentials, "custody/direct");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, 6u);
  EXPECT_EQ(head->sse, "aws:kms");

  EXPECT_EQ(s3.HeadObject(*connection_, *credentials, "custody/missing").status().code(),
            ErrorCode::kNotFound);
}

TEST_F(RgwTest, WrongSecretIsRejected) {
  StsOptions options;
  options.allow_insecure_loopback = true;
  Credentials wrong = *tester_;
  wrong.secret_access_key = Secret("not-the-secret");
  StsClient sts(*transport_, wrong, Env("S3_ENDPOINT"), connection_->region,
                SystemClock::Instance(), options);
  AssumeRoleParams params;
  params.role_arn = connection_->role_arn;
  params.external_id = connection_->external_id;
  params.role_session_name = "custody-org_rgwtest";
  params.duration = std::chrono::seconds(900);
  const auto credentials = sts.AssumeRole(params);
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.status().code(), ErrorCode::kUpstreamFailed);
}

TEST_F(RgwTest, PresignedPutHeadAndGet) {
  const auto credentials = AssumeRole();
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  const std::string body =
      "evidence bytes: Pr\xC3\xBC"
      "fbericht";
  const std::string key = "org_1/ent_1/evd_1/ver 1";
  const auto presigned = PresignPutObject(*connection_, *credentials, Upload(key, body),
                                          SystemClock::Instance(), LoopbackPresign());
  ASSERT_TRUE(presigned.ok()) << presigned.status().ToString();

  // RGW accepts unsigned x-amz-* headers, so the URL itself must show what is signed.
  const std::string signed_headers = QueryValue(presigned->url, "X-Amz-SignedHeaders");
  for (const char* header :
       {"content-length", "content-md5", "content-type", "host", "x-amz-checksum-sha256",
        "x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"}) {
    EXPECT_NE(signed_headers.find(header), std::string::npos) << header << " in " << signed_headers;
  }
  EXPECT_FALSE(QueryValue(presigned->url, "X-Amz-Security-Token").empty());

  const auto put = Put(*presigned, body);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  ASSERT_EQ(put->status, 200) << put->body;

  S3Client s3(*transport_, SystemClock::Instance(), LoopbackS3());
  const auto head = s3.HeadObject(*connection_, *credentials, connection_->key_prefix + key);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, body.size());
  EXPECT_EQ(head->sse, "aws:kms");
  EXPECT_EQ(head->kms_key_id, connection_->kms_key_id);
  EXPECT_TRUE(KmsKeyMatches(connection_->kms_key_id, head->kms_key_id));
  EXPECT_EQ(head->content_type, "text/plain");

  GetObjectDownload download;
  download.key = connection_->key_prefix + key;
  download.file_name = "Prüfbericht \"Q4\".txt";
  download.ttl = std::chrono::seconds(60);
  const auto get = PresignGetObject(*connection_, *credentials, download, SystemClock::Instance(),
                                    LoopbackPresign());
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  const auto fetched = transport_->Send({get->method, get->url, get->headers, ""});
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  ASSERT_EQ(fetched->status, 200) << fetched->body;
  EXPECT_EQ(fetched->body, body);
  EXPECT_EQ(fetched->Header("Content-Disposition"),
            ContentDispositionAttachment(download.file_name));
}

TEST_F(RgwTest, StreamingUploadAndDownload) {
  const auto credentials = AssumeRole();
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  std::string body(3 * 1024 * 1024 + 123, '\0');
  for (size_t i = 0; i < body.size(); ++i) {
    body[i] = static_cast<char>((i * 31) % 253);
  }
  const std::string key = "org_1/stream";
  auto upload = Upload(key, body);
  upload.content_type.reset();
  const auto presigned = PresignPutObject(*connection_, *credentials, upload,
                                          SystemClock::Instance(), LoopbackPresign());
  ASSERT_TRUE(presigned.ok()) << presigned.status().ToString();

  size_t offset = 0;
  uint64_t last_sent = 0;
  const auto put = transport_->SendStreaming(
      {presigned->method, presigned->url, presigned->headers, ""}, body.size(),
      [&](char* buffer, size_t capacity) -> Result<size_t> {
        const size_t count = std::min(capacity, body.size() - offset);
        std::copy_n(body.data() + offset, count, buffer);
        offset += count;
        return count;
      },
      nullptr, [&](const TransferProgress& progress) { last_sent = progress.bytes_sent; });
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  ASSERT_EQ(put->status, 200) << put->body;
  EXPECT_EQ(last_sent, body.size());

  GetObjectDownload download;
  download.key = connection_->key_prefix + key;
  download.file_name = "stream.bin";
  const auto get = PresignGetObject(*connection_, *credentials, download, SystemClock::Instance(),
                                    LoopbackPresign());
  ASSERT_TRUE(get.ok());
  std::string received;
  const auto fetched = transport_->SendStreaming(
      {get->method, get->url, {}, ""}, 0, nullptr,
      [&](std::string_view chunk) {
        received.append(chunk);
        return Status::Ok();
      },
      nullptr);
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(fetched->status, 200);
  EXPECT_TRUE(received == body) << "downloaded " << received.size() << " of " << body.size();
}

TEST_F(RgwTest, RejectsPutWithoutSseHeaders) {
  const auto credentials = AssumeRole();
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  const std::string key = "org_1/no-sse";
  auto presigned = PresignPutObject(*connection_, *credentials, Upload(key, "x"),
                                    SystemClock::Instance(), LoopbackPresign());
  ASSERT_TRUE(presigned.ok());
  std::erase_if(presigned->headers, [](const auto& header) {
    return header.first.rfind("x-amz-server-side-encryption", 0) == 0;
  });
  ExpectRejected(*presigned, "x", *credentials, connection_->key_prefix + key);
}

TEST_F(RgwTest, RejectsPutWithAnotherKmsKey) {
  const auto credentials = AssumeRole();
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  const std::string key = "org_1/other-key";
  auto presigned = PresignPutObject(*connection_, *credentials, Upload(key, "x"),
                                    SystemClock::Instance(), LoopbackPresign());
  ASSERT_TRUE(presigned.ok());
  for (auto& [name, value] : presigned->headers) {
    if (name == "x-amz-server-side-encryption-aws-kms-key-id") {
      value = "testkey-2";
    }
  }
  ExpectRejected(*presigned, "x", *credentials, connection_->key_prefix + key);
}

TEST_F(RgwTest, RejectsTamperedSignature) {
  const auto credentials = AssumeRole();
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  const std::string key = "org_1/tampered";
  auto presigned = PresignPutObject(*connection_, *credentials, Upload(key, "x"),
                                    SystemClock::Instance(), LoopbackPresign());
  ASSERT_TRUE(presigned.ok());
  const size_t at = presigned->url.find("X-Amz-Signature=") + 16;
  presigned->url[at] = presigned->url[at] == '0' ? '1' : '0';
  ExpectRejected(*presigned, "x", *credentials, connection_->key_prefix + key);
}

TEST_F(RgwTest, RejectsExpiredUrl) {
  const auto credentials = AssumeRole();
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  const std::string key = "org_1/expired";
  // Signed ten minutes ago with a five-minute lifetime: already expired, no waiting needed.
  const FixedClock past(std::chrono::system_clock::now() - std::chrono::minutes(10));
  const auto presigned =
      PresignPutObject(*connection_, *credentials, Upload(key, "x"), past, LoopbackPresign());
  ASSERT_TRUE(presigned.ok()) << presigned.status().ToString();
  EXPECT_LT(presigned->expires_at, std::chrono::system_clock::now());
  ExpectRejected(*presigned, "x", *credentials, connection_->key_prefix + key);
}

TEST_F(RgwTest, RejectsUrlMovedToAnotherKey) {
  const auto credentials = AssumeRole();
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  auto presigned = PresignPutObject(*connection_, *credentials, Upload("org_1/mine", "x"),
                                    SystemClock::Instance(), LoopbackPresign());
  ASSERT_TRUE(presigned.ok());
  const size_t at = presigned->url.find("/org_1/mine?");
  ASSERT_NE(at, std::string::npos) << presigned->url;
  presigned->url.replace(at, 11, "/org_2/mine");
  ExpectRejected(*presigned, "x", *credentials, connection_->key_prefix + "org_2/mine");
}

TEST_F(RgwTest, RejectsBodyNotMatchingContentMd5) {
  const auto credentials = AssumeRole();
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  const std::string key = "org_1/wrong-md5";
  // A valid signature over the declared MD5, but the body sent is different.
  const auto presigned = PresignPutObject(*connection_, *credentials, Upload(key, "declared"),
                                          SystemClock::Instance(), LoopbackPresign());
  ASSERT_TRUE(presigned.ok());
  ExpectRejected(*presigned, "replaced", *credentials, connection_->key_prefix + key);
}

TEST_F(RgwTest, RejectsChangedContentMd5Header) {
  const auto credentials = AssumeRole();
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  const std::string key = "org_1/changed-md5";
  auto presigned = PresignPutObject(*connection_, *credentials, Upload(key, "declared"),
                                    SystemClock::Instance(), LoopbackPresign());
  ASSERT_TRUE(presigned.ok());
  for (auto& [name, value] : presigned->headers) {
    if (name == "Content-MD5") {
      value = crypto::Base64Encode(*crypto::HexDecode(Md5Hex("replaced")));
    }
  }
  ExpectRejected(*presigned, "replaced", *credentials, connection_->key_prefix + key);
}

// Bytes that differ from part to part, so that a part uploaded under the wrong number changes
// the object.
std::string PartBytes(size_t size, int seed) {
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<char>((i * 131 + static_cast<size_t>(seed) * 7) % 251);
  }
  return bytes;
}

TEST_F(RgwTest, MultipartUploadThroughPresignedParts) {
  const auto credentials = AssumeRole();
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  S3Client s3(*transport_, SystemClock::Instance(), LoopbackS3());
  const std::string key = connection_->key_prefix + "org_1/multipart";
  const std::vector<std::string> parts = {PartBytes(kMinPartBytes, 1), PartBytes(1234, 2)};

  const auto upload_id =
      s3.CreateMultipartUpload(*connection_, *credentials, key, std::string("text/plain"));
  ASSERT_TRUE(upload_id.ok()) << upload_id.status().ToString();

  std::vector<PresignedRequest> urls;
  for (size_t i = 0; i < parts.size(); ++i) {
    UploadPartUpload part;
    part.key = key;
    part.upload_id = *upload_id;
    part.part_number = static_cast<int>(i) + 1;
    part.content_length = parts[i].size();
    part.md5_hex = Md5Hex(parts[i]);
    const auto url = PresignUploadPart(*connection_, *credentials, part, SystemClock::Instance(),
                                       LoopbackPresign());
    ASSERT_TRUE(url.ok()) << url.status().ToString();
    urls.push_back(*url);
  }

  // Other bytes of the same length, and a longer body, are both rejected.
  std::string other_bytes = parts[0];
  other_bytes[100] ^= 1;
  const auto replaced = Put(urls[0], other_bytes);
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  EXPECT_EQ(replaced->status, 400) << replaced->body;  // BadDigest
  const auto longer = Put(urls[1], parts[1] + "x");
  ASSERT_TRUE(longer.ok()) << longer.status().ToString();
  EXPECT_EQ(longer->status, 403) << longer->body;  // the signed Content-Length differs
  const auto none = s3.ListParts(*connection_, *credentials, key, *upload_id);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());

  for (size_t i = 0; i < parts.size(); ++i) {
    const auto put = Put(urls[i], parts[i]);
    ASSERT_TRUE(put.ok()) << put.status().ToString();
    ASSERT_EQ(put->status, 200) << put->body;
  }

  const auto listed = s3.ListParts(*connection_, *credentials, key, *upload_id);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 2u);
  std::vector<CompletedPart> completed;
  std::string concatenated_md5s;
  for (size_t i = 0; i < parts.size(); ++i) {
    EXPECT_EQ((*listed)[i].part_number, static_cast<int>(i) + 1);
    EXPECT_EQ((*listed)[i].size, parts[i].size());
    // Ceph RGW 16 reports the MD5 of the part's plaintext as an SSE-KMS part's ETag.
    EXPECT_EQ((*listed)[i].etag, Md5Hex(parts[i]));
    completed.push_back({(*listed)[i].part_number, (*listed)[i].etag});
    const crypto::Md5Digest digest = crypto::Md5(parts[i]);
    concatenated_md5s.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  }

  const auto etag =
      s3.CompleteMultipartUpload(*connection_, *credentials, key, *upload_id, completed);
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  // Ceph RGW 16 returns an empty ETag from CompleteMultipartUpload; HEAD reports the real one.
  EXPECT_EQ(*etag, "");

  const auto head = s3.HeadObject(*connection_, *credentials, key);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  // The completed object's ETag is the MD5 of the parts' binary MD5s, a dash and the part
  // count.
  EXPECT_EQ(head->etag, Md5Hex(concatenated_md5s) + "-2");
  EXPECT_EQ(head->checksum_sha256, std::nullopt);
  EXPECT_EQ(head->size, parts[0].size() + parts[1].size());
  EXPECT_EQ(head->sse, "aws:kms");
  EXPECT_TRUE(KmsKeyMatches(connection_->kms_key_id, head->kms_key_id));
  EXPECT_EQ(head->content_type, "text/plain");

  GetObjectDownload download;
  download.key = key;
  download.file_name = "multipart.txt";
  const auto get = PresignGetObject(*connection_, *credentials, download, SystemClock::Instance(),
                                    LoopbackPresign());
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  std::string received;
  const auto fetched = transport_->SendStreaming(
      {get->method, get->url, {}, ""}, 0, nullptr,
      [&](std::string_view chunk) {
        received.append(chunk);
        return Status::Ok();
      },
      nullptr);
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(fetched->status, 200);
  EXPECT_TRUE(received == parts[0] + parts[1]) << "downloaded " << received.size() << " bytes";

  // Once the object exists, ListParts reports NoSuchUpload, which is how a repeated
  // confirmation learns that S3 already completed the upload. Ceph RGW 16 still accepts a
  // repeated CompleteMultipartUpload.
  EXPECT_TRUE(
      s3.CompleteMultipartUpload(*connection_, *credentials, key, *upload_id, completed).ok());
  EXPECT_EQ(s3.ListParts(*connection_, *credentials, key, *upload_id).status().code(),
            ErrorCode::kNotFound);
}

TEST_F(RgwTest, AbortedMultipartUploadIsGone) {
  const auto credentials = AssumeRole();
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  S3Client s3(*transport_, SystemClock::Instance(), LoopbackS3());
  const std::string key = connection_->key_prefix + "org_1/aborted";
  const auto upload_id = s3.CreateMultipartUpload(*connection_, *credentials, key, std::nullopt);
  ASSERT_TRUE(upload_id.ok()) << upload_id.status().ToString();
  ASSERT_TRUE(s3.AbortMultipartUpload(*connection_, *credentials, key, *upload_id).ok());
  EXPECT_EQ(s3.ListParts(*connection_, *credentials, key, *upload_id).status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(s3.HeadObject(*connection_, *credentials, key).status().code(), ErrorCode::kNotFound);
}

TEST_F(RgwTest, BucketCorsAllowsPresignedUploads) {
  S3Client s3(*transport_, SystemClock::Instance(), LoopbackS3());
  ASSERT_TRUE(s3.PutBucketCors(*connection_, *tester_, {"https://custody.example.com"}).ok());
  const std::string url = *connection_->endpoint + "/" + connection_->bucket + "/custody/x";
  const auto allowed =
      transport_->Send({"OPTIONS",
                        url,
                        {{"Origin", "https://custody.example.com"},
                         {"Access-Control-Request-Method", "PUT"},
                         {"Access-Control-Request-Headers",
                          "content-md5,x-amz-checksum-sha256,x-amz-server-side-encryption,"
                          "x-amz-server-side-encryption-aws-kms-key-id"}},
                        ""});
  ASSERT_TRUE(allowed.ok()) << allowed.status().ToString();
  EXPECT_EQ(allowed->status, 200);
  EXPECT_EQ(allowed->Header("Access-Control-Allow-Origin"), "https://custody.example.com");

  const auto other = transport_->Send(
      {"OPTIONS",
       url,
       {{"Origin", "https://evil.example.com"}, {"Access-Control-Request-Method", "PUT"}},
       ""});
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->status, 200);
}

}  // namespace
}  // namespace custody::aws
