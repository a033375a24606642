// Cost of presigning: one complete presigned S3 PUT URL, and the HMAC chain on its own (the
// four signing-key HMACs plus the string-to-sign HMAC, without the signing-key cache).
// Run: build/release/bench/presign_bench
#include "custody/aws/presign.h"

#include <string>

#include <benchmark/benchmark.h>

#include "custody/crypto/hash.h"

namespace custody::aws {
namespace {

constexpr int64_t kNow = 1796400000;  // 2026-12-04T16:00:00Z

AwsConnection BenchConnection() {
  AwsConnection connection;
  connection.role_arn = "arn:aws:iam::123456789012:role/CustodyEvidence";
  connection.external_id = std::string(40, 'x');
  connection.bucket = "acme-evidence";
  connection.region = "eu-west-1";
  connection.kms_key_id = "1234abcd-12ab-34cd-56ef-1234567890ab";
  connection.key_prefix = "custody/";
  return connection;
}

Credentials BenchCredentials() {
  Credentials credentials;
  credentials.access_key_id = "ASIAJEXAMPLEXEG2JICEA";
  credentials.secret_access_key = Secret("9drTJvcXLB89EXAMPLELB8923FB892xMFI");
  credentials.session_token = Secret(std::string(600, 'T'));
  credentials.expiration = FromUnixSeconds(kNow + 3600);
  return credentials;
}

void BM_PresignPutObject(benchmark::State& state) {
  const AwsConnection connection = BenchConnection();
  const Credentials credentials = BenchCredentials();
  const FixedClock clock(FromUnixSeconds(kNow));
  PutObjectUpload upload;
  upload.key =
      "custody/org_4Xk3p9QwE7rT2yU5iO8aS1/ent_dF4gH6jK0lZ1x2c3v4b5n6/"
      "evd_m7Q8w9E0r1T2y3U4i5O6p7/ver_a8S9d0F1g2H3j4K5l6Z7x8";
  upload.content_length = 1048576;
  upload.sha256_hex = crypto::Sha256Hex("benchmark");
  upload.md5_hex = std::string(32, 'a');
  upload.content_type = "application/pdf";
  for (auto _ : state) {
    auto presigned = PresignPutObject(connection, credentials, upload, clock);
    benchmark::DoNotOptimize(presigned);
  }
}

BENCHMARK(BM_PresignPutObject);

std::string_view AsView(const crypto::Sha256Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

void BM_HmacChain(benchmark::State& state) {
  const std::string key = "AWS4" + std::string("9drTJvcXLB89EXAMPLELB8923FB892xMFI");
  const std::string string_to_sign =
      "AWS4-HMAC-SHA256\n20261204T160000Z\n20261204/eu-west-1/s3/aws4_request\n" +
      crypto::Sha256Hex("canonical request");
  for (auto _ : state) {
    const auto date_key = crypto::HmacSha256(key, "20261204");
    const auto region_key = crypto::HmacSha256(AsView(date_key), "eu-west-1");
    const auto service_key = crypto::HmacSha256(AsView(region_key), "s3");
    const auto signing_key = crypto::HmacSha256(AsView(service_key), "aws4_request");
    auto signature = crypto::HmacSha256(AsView(signing_key), string_to_sign);
    benchmark::DoNotOptimize(signature);
  }
}

BENCHMARK(BM_HmacChain);

}  // namespace
}  // namespace custody::aws
