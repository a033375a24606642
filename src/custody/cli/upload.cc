#include "custody/cli/upload.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
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

// A byte range of a file to send, and the digest its bytes must have.
struct FileRange {
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t file_size = 0;  // as hashed before the upload
  crypto::StreamingHash::Algorithm algorithm;
  std::string expected_hex;
  std::string_view digest_name;  // "SHA-256" or "MD5", for messages
};

// Streams `range` of the file to S3 with exactly the transfer's headers, hashing the bytes on
// the way, and maps the outcome as PutFile documents.
Status PutFileRange(aws::HttpTransport& s3, const PresignedTransfer& transfer,
                    const std::filesystem::path& path, const FileRange& range,
                    const aws::ProgressCallback& progress) {
  CUSTODY_RETURN_IF_ERROR(CheckTransferUrl(transfer));
  CUSTODY_RETURN_IF_ERROR(CheckSignedLength(transfer, range.length));

  CUSTODY_ASSIGN_OR_RETURN(InputFile file, OpenInputFile(path));
  if (file.size != range.file_size) {
    return FileChanged(path, "it had " + std::to_string(range.file_size) + " bytes, now " +
                                 std::to_string(file.size));
  }
  if (range.offset > 0 &&
      lseek(file.fd.get(), static_cast<off_t>(range.offset), SEEK_SET) == static_cast<off_t>(-1)) {
    return ErrnoStatus(errno, "seeking in", path);
  }

  crypto::StreamingHash hash(range.algorithm);
  uint64_t bytes_read = 0;
  const aws::BodySource source = [&](char* buffer, size_t capacity) -> Result<size_t> {
    const size_t wanted =
        static_cast<size_t>(std::min<uint64_t>(capacity, range.length - bytes_read));
    CUSTODY_ASSIGN_OR_RETURN(const size_t count, ReadSome(file.fd.get(), buffer, wanted, path));
    if (count == 0) {
      return FileChanged(path, "it ended " + std::to_string(bytes_read) +
                                   " bytes into a range of " + std::to_string(range.length));
    }
    hash.Update(std::string_view(buffer, count));
    bytes_read += count;
    return count;
  };

  aws::HttpRequest request;
  request.method = transfer.method;
  request.url = transfer.url;
  request.headers = transfer.headers;
  Result<aws::HttpResponse> response =
      s3.SendStreaming(request, range.length, source, nullptr, progress);
  if (!response.ok()) {
    if (response.status().code() == ErrorCode::kConflict) {
      return response.status();
    }
    return response.status().WithContext("uploading to S3");
  }

  const bool hashed_whole_range = bytes_read == range.length;
  const std::string sent_hex = hashed_whole_range ? crypto::HexEncode(hash.Finish()) : "";
  if (response->status < 200 || response->status >= 300) {
    if (IsChecksumError(S3ErrorCode(*response)) ||
        (hashed_whole_range && sent_hex != range.expected_hex)) {
      return FileChanged(path, "S3 rejected the checksum: " + DescribeS3Error(*response));
    }
    return S3ResponseStatus(*response, "uploading to S3");
  }
  if (!hashed_whole_range || sent_hex != range.expected_hex) {
    return FileChanged(path, "the bytes sent have " + std::string(range.digest_name) + " " +
                                 sent_hex + ", not " + range.expected_hex);
  }
  return Status::Ok();
}

}  // namespace

Status PutFile(aws::HttpTransport& s3, const PresignedTransfer& upload,
               const std::filesystem::path& path, const FileDigests& digests,
               const aws::ProgressCallback& progress) {
  const FileRange range{0,
                        digests.size,
                        digests.size,
                        crypto::StreamingHash::Algorithm::kSha256,
                        digests.sha256_hex,
                        "SHA-256"};
  return PutFileRange(s3, upload, path, range, progress);
}

Status PutFilePart(aws::HttpTransport& s3, const PresignedTransfer& part,
                   const std::filesystem::path& path, const FilePart& file_part,
                   const aws::ProgressCallback& progress) {
  const FileRange range{file_part.offset,    file_part.length,
                        file_part.file_size, crypto::StreamingHash::Algorithm::kMd5,
                        file_part.md5_hex,   "MD5"};
  return PutFileRange(s3, part, path, range, progress);
}

}  // namespace custody::cli
