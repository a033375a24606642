// The comparison that confirms an upload: the object that S3 reports for a pending version's
// key must be the file the client declared, encrypted with the organization's KMS key.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
inline constexpr std::string_view kReasonPartsMissing = "parts_missing";

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

// True when the connection's store reports the MD5 of the plaintext as the ETag of an SSE-KMS
// part, so that ETags can be compared with declared MD5s. Ceph RGW 16 does (aws_rgw_test.cc
// checks it). AWS documents that the ETag of an SSE-KMS object is not the MD5 of its data.
// NOTE: only Ceph RGW 16 was tested. Other stores behind an endpoint override are assumed to
// behave like it, and AWS is assumed to treat SSE-KMS parts like SSE-KMS objects.
bool EtagsArePlaintextMd5(const aws::AwsConnection& connection);

// The ETag S3 gives an object assembled from parts whose ETags are `part_etags_hex`: the MD5
// of the binary part ETags, a dash and the part count ("<32 hex>-<count>"). HEAD on Ceph RGW 16
// reports this for an SSE-KMS multipart object, computed from the plaintext part MD5s.
std::string MultipartEtag(const std::vector<std::string>& part_etags_hex);

// Checks what ListParts reports against the declared parts before the upload is completed:
// * every declared part is listed with its declared size, else kReasonPartsMissing naming the
//   first part that is missing or has another size;
// * when `compare_md5s`, a part whose ETag is a plain MD5 (32 hex characters) has the declared
//   MD5, else kReasonChecksumMismatch.
// Listed parts above the declared count are ignored, because CompleteMultipartUpload leaves
// them out of the object.
std::optional<UploadMismatch> CheckListedParts(const std::vector<DeclaredPart>& declared,
                                               const std::vector<aws::UploadedPart>& listed,
                                               bool compare_md5s);

// Compares HEAD metadata of an assembled multipart object with the version: size, SSE-KMS and
// key as in CheckUploadedObject, and an ETag of the form "<hex>-<part count>". When
// `compare_md5s`, the hex must also be MultipartEtag of the declared part MD5s. Without it (AWS)
// the part contents rest on S3's check of each part's signed Content-MD5.
std::optional<UploadMismatch> CheckAssembledObject(const EvidenceVersion& version,
                                                   const std::vector<DeclaredPart>& declared,
                                                   const aws::ObjectMetadata& object,
                                                   std::string_view kms_key_id, bool compare_md5s);

}  // namespace custody::evidence
