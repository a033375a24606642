#include "custody/evidence/upload_check.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace custody::evidence {
namespace {

constexpr std::string_view kKeyId = "1234abcd-12ab-34cd-56ef-1234567890ab";
constexpr std::string_view kKeyArn =
    "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
// SHA-256 and MD5 of "hello".
constexpr std::string_view kSha256Hex =
    "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
constexpr std::string_view kSha256Base64 = "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=";
constexpr std::string_view kMd5Hex = "5d41402abc4b2a76b9719d911017c592";

EvidenceVersion DeclaredVersion() {
  EvidenceVersion version;
  version.id = "ver_1";
  version.size = 5;
  version.sha256 = std::string(kSha256Hex);
  version.md5 = std::string(kMd5Hex);
  return version;
}

// An object as RGW reports a correct upload: no checksum, the MD5 as the ETag.
aws::ObjectMetadata MatchingObject() {
  aws::ObjectMetadata object;
  object.size = 5;
  object.etag = std::string(kMd5Hex);
  object.sse = "aws:kms";
  object.kms_key_id = std::string(kKeyId);
  return object;
}

struct Case {
  std::string name;
  void (*change)(aws::ObjectMetadata&);
  std::string_view configured_key;
  std::string expected_reason;  // "" when the object matches
};

TEST(CheckUploadedObjectTest, ComparesEveryProperty) {
  const Case cases[] = {
      {"matching object", [](aws::ObjectMetadata&) {}, kKeyId, ""},
      {"etag in upper case",
       [](aws::ObjectMetadata& o) { o.etag = "5D41402ABC4B2A76B9719D911017C592"; }, kKeyId, ""},
      {"key arn reported for key id", [](aws::ObjectMetadata& o) { o.kms_key_id = kKeyArn; },
       kKeyId, ""},
      {"key arn configured and reported", [](aws::ObjectMetadata& o) { o.kms_key_id = kKeyArn; },
       kKeyArn, ""},
      {"matching checksum, etag not md5",
       [](aws::ObjectMetadata& o) {
         o.checksum_sha256 = std::string(kSha256Base64);
         o.etag = "not-the-md5";
       },
       kKeyId, ""},
      {"one byte more", [](aws::ObjectMetadata& o) { o.size = 6; }, kKeyId, "size_mismatch"},
      {"empty object", [](aws::ObjectMetadata& o) { o.size = 0; }, kKeyId, "size_mismatch"},
      {"AES256", [](aws::ObjectMetadata& o) { o.sse = "AES256"; }, kKeyId, "not_kms_encrypted"},
      {"no encryption",
       [](aws::ObjectMetadata& o) {
         o.sse.clear();
         o.kms_key_id.clear();
       },
       kKeyId, "not_kms_encrypted"},
      {"another key", [](aws::ObjectMetadata& o) { o.kms_key_id = "testkey-2"; }, kKeyId,
       "kms_key_mismatch"},
      {"no key reported", [](aws::ObjectMetadata& o) { o.kms_key_id.clear(); }, kKeyId,
       "kms_key_mismatch"},
      {"arn of another key",
       [](aws::ObjectMetadata& o) {
         o.kms_key_id =
             "arn:aws:kms:eu-west-1:123456789012:key/ffffffff-12ab-34cd-56ef-1234567890ab";
       },
       kKeyId, "kms_key_mismatch"},
      {"arn whose id only ends with the key id",
       [](aws::ObjectMetadata& o) {
         o.kms_key_id =
             "arn:aws:kms:eu-west-1:123456789012:key/x1234abcd-12ab-34cd-56ef-1234567890ab";
       },
       kKeyId, "kms_key_mismatch"},
      {"checksum mismatch",
       [](aws::ObjectMetadata& o) {
         o.checksum_sha256 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
       },
       kKeyId, "checksum_mismatch"},
      {"checksum mismatch with matching etag",
       [](aws::ObjectMetadata& o) { o.checksum_sha256 = "bm90IHRoZSBjaGVja3N1bQ=="; }, kKeyId,
       "checksum_mismatch"},
      {"etag of another body",
       [](aws::ObjectMetadata& o) { o.etag = "00000000000000000000000000000000"; }, kKeyId,
       "checksum_mismatch"},
      {"multipart etag", [](aws::ObjectMetadata& o) { o.etag = std::string(kMd5Hex) + "-2"; },
       kKeyId, "checksum_mismatch"},
      {"no etag and no checksum", [](aws::ObjectMetadata& o) { o.etag.clear(); }, kKeyId,
       "checksum_mismatch"},
  };

  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    aws::ObjectMetadata object = MatchingObject();
    c.change(object);
    const std::optional<UploadMismatch> mismatch =
        CheckUploadedObject(DeclaredVersion(), object, c.configured_key);
    if (c.expected_reason.empty()) {
      EXPECT_FALSE(mismatch.has_value()) << mismatch->reason << ": " << mismatch->message;
      continue;
    }
    ASSERT_TRUE(mismatch.has_value());
    EXPECT_EQ(mismatch->reason, c.expected_reason);
    EXPECT_FALSE(mismatch->message.empty());
  }
}

TEST(CheckUploadedObjectTest, SizeMessageNamesBothSizes) {
  aws::ObjectMetadata object = MatchingObject();
  object.size = 4101;
  const std::optional<UploadMismatch> mismatch =
      CheckUploadedObject(DeclaredVersion(), object, kKeyId);
  ASSERT_TRUE(mismatch.has_value());
  EXPECT_NE(mismatch->message.find("4101"), std::string::npos) << mismatch->message;
  EXPECT_NE(mismatch->message.find(" 5 "), std::string::npos) << mismatch->message;
}

// MD5s of "a" and "b", and the ETag S3 gives an object assembled from those two parts, computed
// independently: md5(bytes.fromhex(a_md5 + b_md5)).hexdigest() + "-2" in Python 3.
constexpr std::string_view kPartAMd5 = "0cc175b9c0f1b6a831c399e269772661";
constexpr std::string_view kPartBMd5 = "92eb5ffee6ae2fec3ad71c777531578f";
constexpr std::string_view kAssembledEtag = "96e024ba2074fe77e8e965ba43a704be-2";

std::vector<DeclaredPart> TwoDeclaredParts() {
  return {DeclaredPart{1, 3, std::string(kPartAMd5)}, DeclaredPart{2, 2, std::string(kPartBMd5)}};
}

EvidenceVersion MultipartVersion() {
  EvidenceVersion version = DeclaredVersion();
  version.upload_id = "up-1";
  version.part_size = 3;
  return version;
}

aws::ObjectMetadata AssembledObject() {
  aws::ObjectMetadata object = MatchingObject();
  object.etag = std::string(kAssembledEtag);
  return object;
}

TEST(MultipartEtagTest, HashesBinaryPartMd5s) {
  EXPECT_EQ(MultipartEtag({std::string(kPartAMd5), std::string(kPartBMd5)}), kAssembledEtag);
}

TEST(CheckAssembledObjectTest, ComparesEtagWithDeclaredParts) {
  const auto check = [](const std::string& etag, bool compare_md5s) {
    aws::ObjectMetadata object = AssembledObject();
    object.etag = etag;
    return CheckAssembledObject(MultipartVersion(), TwoDeclaredParts(), object, kKeyId,
                                compare_md5s);
  };
  EXPECT_EQ(check(std::string(kAssembledEtag), true), std::nullopt);
  EXPECT_EQ(check(std::string(kAssembledEtag.substr(0, 33)) + "3", true)->reason,
            kReasonChecksumMismatch);
  EXPECT_EQ(check(std::string(kPartAMd5), true)->reason, kReasonChecksumMismatch);
  EXPECT_EQ(check(std::string(32, 'f') + "-2", true)->reason, kReasonChecksumMismatch);
  // Where ETags are not plaintext MD5s (AWS with SSE-KMS), only the form and count count.
  EXPECT_EQ(check(std::string(32, 'f') + "-2", false), std::nullopt);
  EXPECT_EQ(check(std::string(32, 'f') + "-3", false)->reason, kReasonChecksumMismatch);
  EXPECT_EQ(check(std::string(kPartAMd5), false)->reason, kReasonChecksumMismatch);
}

TEST(CheckAssembledObjectTest, SharesSizeAndKeyChecks) {
  aws::ObjectMetadata object = AssembledObject();
  object.size = 6;
  EXPECT_EQ(
      CheckAssembledObject(MultipartVersion(), TwoDeclaredParts(), object, kKeyId, true)->reason,
      kReasonSizeMismatch);
  object = AssembledObject();
  object.kms_key_id = "testkey-2";
  EXPECT_EQ(
      CheckAssembledObject(MultipartVersion(), TwoDeclaredParts(), object, kKeyId, true)->reason,
      kReasonKmsKeyMismatch);
}

TEST(CheckListedPartsTest, NamesFirstMissingPart) {
  const std::vector<aws::UploadedPart> only_second = {{2, 2, std::string(kPartBMd5)}};
  const auto missing = CheckListedParts(TwoDeclaredParts(), only_second, true);
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->reason, kReasonPartsMissing);
  EXPECT_NE(missing->message.find("part 1 "), std::string::npos) << missing->message;

  const std::vector<aws::UploadedPart> short_first = {{1, 2, std::string(kPartAMd5)},
                                                      {2, 2, std::string(kPartBMd5)}};
  EXPECT_EQ(CheckListedParts(TwoDeclaredParts(), short_first, true)->reason, kReasonPartsMissing);
}

TEST(CheckListedPartsTest, ComparesPlainMd5EtagsOnlyWhenAsked) {
  const std::vector<aws::UploadedPart> other = {
      {1, 3, std::string(32, 'e')}, {2, 2, std::string(kPartBMd5)}, {3, 9, "ignored"}};
  EXPECT_EQ(CheckListedParts(TwoDeclaredParts(), other, true)->reason, kReasonChecksumMismatch);
  EXPECT_EQ(CheckListedParts(TwoDeclaredParts(), other, false), std::nullopt);

  const std::vector<aws::UploadedPart> uppercase = {{1, 3, "0CC175B9C0F1B6A831C399E269772661"},
                                                    {2, 2, std::string(kPartBMd5)}};
  EXPECT_EQ(CheckListedParts(TwoDeclaredParts(), uppercase, true), std::nullopt);
}

TEST(EtagsArePlaintextMd5Test, OnlyForEndpointOverride) {
  aws::AwsConnection connection;
  EXPECT_FALSE(EtagsArePlaintextMd5(connection));
  connection.endpoint = "http://127.0.0.1:7480";
  EXPECT_TRUE(EtagsArePlaintextMd5(connection));
}

}  // namespace
}  // namespace custody::evidence
