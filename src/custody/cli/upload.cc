#include "custody/cli/upload.h"

#include <array>
#include <cctype>
#include <string>

#include "custody/cli/file.h"
#include "custody/cli/transfer.h"
#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"

namespace custody::cli {
namespace {

// S3's error codes for a body that does not match its declared length or checksums.
constexpr std::array<std::string_view, 5> kChecksumErrors{
    "BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "XAmzContentChecksumMismatch",
    "IncompleteBody"};

bool IsChecksumError(const std::string& code) {
  for (const std::string_view known : kChecksumErrors) {
    if (code == known) {
      return true;
    }
  }
  return false;
}

Status FileChanged(const std::filesystem::path& path, const std::string& evidence_of_change) {
  return Conflict(path.string() + " changed after it was hashed (" + evidence_of_change +
                  "); run custody upload again to upload its current content");
}

bool IsContentLength(std::string_view name) {
  constexpr std::string_view kName = "content-length";
  if (name.size() != kName.size()) {
    return false;
  }
  for (size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(name[i])) != kName[i]) {
      return false;
    }
  }
  return true;
}

Status CheckSignedLength(const PresignedTransfer& upload, uint64_t size) {
  for (const auto& [name, value] : upload.headers) {
    if (IsContentLength(name)) {
      if (value != std::to_string(size)) {
        return Internal("the presigned PUT is signed for " + value + " bytes, but the file has " +
                        std::to_string(size));
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Status PutFile(aws::HttpTransport& s3, const PresignedTransfer& upload,
               const std::filesystem::path& path, const FileDigests& digests,
               const aws::ProgressCallback& progress) {
  CUSTODY_RETURN_IF_ERROR(CheckTransferUrl(upload));
  CUSTODY_RETURN_IF_ERROR(CheckSignedLength(upload, digests.size));

  CUSTODY_ASSIGN_OR_RETURN(InputFile file, OpenInputFile(path));
  if (file.size != digests.size) {
    return FileChanged(path, "it had " + std::to_string(digests.size) + " bytes, now " +
                                 std::to_string(file.size));
  }

  crypto::StreamingHash sha256(crypto::StreamingHash::Algorithm::kSha256);
  uint64_t bytes_read = 0;
  const aws::BodySource source = [&](char* buffer, size_t capacity) -> Result<size_t> {
    CUSTODY_ASSIGN_OR_RETURN(const size_t count, ReadSome(file.fd.get(), buffer, capacity, path));
    if (count == 0) {
      return FileChanged(path, "it ended after " + std::to_string(bytes_read) + " of " +
                                   std::to_string(digests.size) + " bytes");
    }
    sha256.Update(std::string_view(buffer, count));
    bytes_read += count;
    return count;
  };

  aws::HttpRequest request;
  request.method = upload.method;
  request.url = upload.url;
  request.headers = upload.headers;
  Result<aws::HttpResponse> response =
      s3.SendStreaming(request, digests.size, source, nullptr, progress);
  if (!response.ok()) {
    if (response.status().code() == ErrorCode::kConflict) {
      return response.status();
    }
    return response.status().WithContext("uploading to S3");
  }

  const bool hashed_whole_file = bytes_read == digests.size;
  const std::string sent_sha256 = hashed_whole_file ? crypto::HexEncode(sha256.Finish()) : "";
  if (response->status < 200 || response->status >= 300) {
    if (IsChecksumError(S3ErrorCode(*response)) ||
        (hashed_whole_file && sent_sha256 != digests.sha256_hex)) {
      return FileChanged(path, "S3 rejected the checksum: " + DescribeS3Error(*response));
    }
    return S3ResponseStatus(*response, "uploading to S3");
  }
  if (!hashed_whole_file || sent_sha256 != digests.sha256_hex) {
    return FileChanged(
        path, "the bytes sent have SHA-256 " + sent_sha256 + ", not " + digests.sha256_hex);
  }
  return Status::Ok();
}

}  // namespace custody::cli
