#include "custody/server/web_connect_sources.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "custody/aws/presign.h"
#include "custody/common/clock.h"

namespace custody::server {
namespace {

aws::AwsConnection Connection(std::string bucket, std::string region,
                              std::optional<std::string> endpoint) {
  aws::AwsConnection connection;
  connection.role_arn = "arn:aws:iam::123456789012:role/CustodyEvidence";
  connection.external_id = std::string(aws::kGeneratedExternalIdLength, 'x');
  connection.bucket = std::move(bucket);
  connection.region = std::move(region);
  connection.kms_key_id = "testkey-1";
  connection.key_prefix = "evidence/";
  connection.endpoint = std::move(endpoint);
  return connection;
}

TEST(PresignedUrlOriginTest, MatchesPresignedUrls) {
  struct Case {
    aws::AwsConnection connection;
    std::string origin;
  };

  const Case cases[] = {
      {Connection("evidence-a", "eu-west-1", std::nullopt),
       "https://evidence-a.s3.eu-west-1.amazonaws.com"},
      {Connection("evidence-cn", "cn-north-1", std::nullopt),
       "https://evidence-cn.s3.cn-north-1.amazonaws.com.cn"},
      {Connection("demo", "us-east-1", "http://127.0.0.1:7480"), "http://127.0.0.1:7480"},
      {Connection("demo", "us-east-1", "https://S3.Example.internal:9000/"),
       "https://s3.example.internal:9000"},
      {Connection("demo", "us-east-1", "https://s3.example.internal:443"),
       "https://s3.example.internal"},
      {Connection("demo", "us-east-1", "http://[::1]:7480"), "http://[::1]:7480"},
  };
  aws::Credentials credentials;
  credentials.access_key_id = "AKIDEXAMPLE";
  credentials.secret_access_key = Secret("secret");
  const FixedClock clock(SystemTime(std::chrono::seconds(1'800'000'000)));
  aws::PresignOptions options;
  options.allow_insecure_loopback = true;
  for (const Case& test_case : cases) {
    const std::optional<std::string> origin = PresignedUrlOrigin(test_case.connection);
    ASSERT_TRUE(origin.has_value()) << test_case.origin;
    EXPECT_EQ(*origin, test_case.origin);

    aws::GetObjectDownload download;
    download.key = "evidence/evd_1/ver_1";
    download.file_name = "report.pdf";
    const Result<aws::PresignedRequest> presigned =
        aws::PresignGetObject(test_case.connection, credentials, download, clock, options);
    ASSERT_TRUE(presigned.ok()) << test_case.origin << ": " << presigned.status().message();
    EXPECT_TRUE(presigned->url.starts_with(*origin + "/")) << presigned->url;
  }
}

}  // namespace
}  // namespace custody::server
