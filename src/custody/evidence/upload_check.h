// The comparison that confirms an upload: the object that S3 reports for a pending version's
// key must be the file the client declared, encrypted with the organization's KMS key.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "custody/aws/s3.h"
#include "custody/evidence/versions.h"

namespace custody::evidence {

// Reason codes of a failed confirmation, stored as the version's failure_reason and recorded
// as the audit record's reason.
inline constexpr std::string_view kReasonObjectMissing = "object_missing";
inline constexpr std::string_view kReasonSizeMismatch = "size_mismatch";
inline constexpr std::string_view kReasonNotKmsEncrypted = "not_kms_encrypted";
inline constexpr std::string_view kReasonKmsKeyMismatch = "kms_key_mismatch";
inline constexpr std::string_view kReasonChecksumMismatch = "checksum_mismatch";
inline constexpr std::string_view kReasonAwsUnreachable = "aws_unreachable";
inline constexpr std::string_view kReasonAwsError = "aws_error";

struct UploadMismatch {
  std::string reason;   // one of the reason codes above
  std::string message;  // for the caller: what differs
};

// Compares HEAD metadata with what the version declares. Returns nothing when the object
// matches:
// * its size is the declared size;
// * x-amz-server-side-encryption is aws:kms and the key is `kms_key_id` (aws::KmsKeyMatches:
//   S3 reports the key ARN when the connection names the key by id);
// * its content: when S3 reports x-amz-checksum-sha256, it equals the declared SHA-256 (AWS
//   keeps the checksum that the presigned PUT sends). Otherwise the ETag equals the declared
//   MD5. That is true of a single PUT to a store without checksums: Ceph RGW 16 returns the
//   MD5 of the plaintext as the ETag of an SSE-KMS object.
std::optional<UploadMismatch> CheckUploadedObject(const EvidenceVersion& version,
                                                  const aws::ObjectMetadata& object,
                                                  std::string_view kms_key_id);

}  // namespace custody::evidence
