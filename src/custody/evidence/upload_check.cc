#include "custody/evidence/upload_check.h"

#include "custody/crypto/encoding.h"

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

}  // namespace

std::optional<UploadMismatch> CheckUploadedObject(const EvidenceVersion& version,
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

}  // namespace custody::evidence
