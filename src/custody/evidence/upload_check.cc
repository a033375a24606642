#include "custody/evidence/upload_check.h"

#include <algorithm>
#include <map>

#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"

namespace custody::evidence {
namespace {

std::string AsciiLower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return lower;
}

UploadMismatch Mismatch(std::string_view reason, std::string message) {
  return UploadMismatch{std::string(reason), std::move(message)};
}

// The declared SHA-256 in the base64 form S3 reports, or "" when the hex is not valid.
std::string Sha256Base64(std::string_view sha256_hex) {
  const auto digest = crypto::HexDecode(sha256_hex);
  if (!digest.has_value()) {
    return "";
  }
  return crypto::Base64Encode(std::string_view(*digest));
}

bool IsLowerHex(std::string_view text, size_t length) {
  return text.size() == length && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The checks that every upload shares: size, SSE-KMS and the organization's key.
std::optional<UploadMismatch> CheckSizeAndEncryption(const EvidenceVersion& version,
                                                     const aws::ObjectMetadata& object,
                                                     std::string_view kms_key_id) {
  if (object.size != static_cast<uint64_t>(version.size)) {
    return Mismatch(kReasonSizeMismatch, "the object in the bucket has " +
                                             std::to_string(object.size) + " bytes, but " +
                                             std::to_string(version.size) + " were declared");
  }
  if (object.sse != "aws:kms") {
    const std::string reported = object.sse.empty() ? "no encryption" : object.sse;
    return Mismatch(
        kReasonNotKmsEncrypted,
        "the object in the bucket is not encrypted with SSE-KMS (S3 reports " + reported + ")");
  }
  if (!aws::KmsKeyMatches(kms_key_id, object.kms_key_id)) {
    return Mismatch(kReasonKmsKeyMismatch,
                    "the object in the bucket is encrypted with another KMS key than the "
                    "organization's");
  }
  return std::nullopt;
}

}  // namespace

std::optional<UploadMismatch> CheckUploadedObject(const EvidenceVersion& version,
                                                  const aws::ObjectMetadata& object,
                                                  std::string_view kms_key_id) {
  if (std::optional<UploadMismatch> mismatch =
          CheckSizeAndEncryption(version, object, kms_key_id)) {
    return mismatch;
  }
  if (object.checksum_sha256.has_value()) {
    const std::string declared = Sha256Base64(version.sha256);
    if (declared.empty() || *object.checksum_sha256 != declared) {
      return Mismatch(kReasonChecksumMismatch,
                      "the object's SHA-256 checksum differs from the declared sha256");
    }
    return std::nullopt;
  }
  if (AsciiLower(object.etag) != version.md5) {
    return Mismatch(kReasonChecksumMismatch,
                    "the object's ETag is not the declared MD5, so its content cannot be "
                    "confirmed");
  }
  return std::nullopt;
}

bool EtagsArePlaintextMd5(const aws::AwsConnection& connection) {
  return connection.endpoint.has_value();
}

std::string MultipartEtag(const std::vector<std::string>& part_etags_hex) {
  std::string concatenated;
  for (const std::string& etag : part_etags_hex) {
    const auto digest = crypto::HexDecode(etag);
    if (digest.has_value()) {
      concatenated += *digest;
    }
  }
  const crypto::Md5Digest md5 = crypto::Md5(concatenated);
  return crypto::HexEncode(std::span<const uint8_t>(md5)) + "-" +
         std::to_string(part_etags_hex.size());
}

std::optional<UploadMismatch> CheckListedParts(const std::vector<DeclaredPart>& declared,
                                               const std::vector<aws::UploadedPart>& listed,
                                               bool compare_md5s) {
  std::map<int, const aws::UploadedPart*> by_number;
  for (const aws::UploadedPart& part : listed) {
    by_number[part.part_number] = &part;
  }
  for (const DeclaredPart& part : declared) {
    const auto found = by_number.find(part.part_number);
    const std::string name = "part " + std::to_string(part.part_number);
    if (found == by_number.end()) {
      return Mismatch(kReasonPartsMissing, name +
                                               " has not been uploaded; upload it with a URL "
                                               "from part-urls, then complete again");
    }
    if (found->second->size != static_cast<uint64_t>(part.size)) {
      return Mismatch(kReasonPartsMissing,
                      name + " has " + std::to_string(found->second->size) +
                          " bytes in the bucket, but " + std::to_string(part.size) +
                          " were declared; upload it again, then complete again");
    }
  }
  if (!compare_md5s) {
    return std::nullopt;
  }
  for (const DeclaredPart& part : declared) {
    const std::string etag = AsciiLower(by_number[part.part_number]->etag);
    if (IsLowerHex(etag, 32) && etag != part.md5) {
      return Mismatch(
          kReasonChecksumMismatch,
          "the ETag of part " + std::to_string(part.part_number) + " is not its declared MD5");
    }
  }
  return std::nullopt;
}

std::optional<UploadMismatch> CheckAssembledObject(const EvidenceVersion& version,
                                                   const std::vector<DeclaredPart>& declared,
                                                   const aws::ObjectMetadata& object,
                                                   std::string_view kms_key_id, bool compare_md5s) {
  if (std::optional<UploadMismatch> mismatch =
          CheckSizeAndEncryption(version, object, kms_key_id)) {
    return mismatch;
  }
  const std::string etag = AsciiLower(object.etag);
  const std::string count_suffix = "-" + std::to_string(declared.size());
  const bool composite = etag.size() == 32 + count_suffix.size() &&
                         IsLowerHex(std::string_view(etag).substr(0, 32), 32) &&
                         etag.substr(32) == count_suffix;
  if (!composite) {
    return Mismatch(kReasonChecksumMismatch,
                    "the object's ETag is not that of an object assembled from " +
                        std::to_string(declared.size()) + " parts");
  }
  if (!compare_md5s) {
    return std::nullopt;
  }
  std::vector<std::string> md5s;
  md5s.reserve(declared.size());
  for (const DeclaredPart& part : declared) {
    md5s.push_back(part.md5);
  }
  if (etag != MultipartEtag(md5s)) {
    return Mismatch(kReasonChecksumMismatch,
                    "the object's ETag does not match the declared part MD5s");
  }
  return std::nullopt;
}

}  // namespace custody::evidence
