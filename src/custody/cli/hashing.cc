#include "custody/cli/hashing.h"

#include <vector>

#include "custody/cli/file.h"
#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"

namespace custody::cli {

Result<FileDigests> HashFile(const std::filesystem::path& path, const HashProgress& progress) {
  CUSTODY_ASSIGN_OR_RETURN(InputFile file, OpenInputFile(path));

  crypto::StreamingHash sha256(crypto::StreamingHash::Algorithm::kSha256);
  crypto::StreamingHash md5(crypto::StreamingHash::Algorithm::kMd5);
  std::vector<char> buffer(1024 * 1024);
  FileDigests digests;
  while (true) {
    CUSTODY_ASSIGN_OR_RETURN(const size_t count,
                             ReadSome(file.fd.get(), buffer.data(), buffer.size(), path));
    if (count == 0) {
      break;
    }
    const std::string_view chunk(buffer.data(), count);
    sha256.Update(chunk);
    md5.Update(chunk);
    digests.size += count;
    if (progress) {
      progress(digests.size);
    }
  }
  if (digests.size != file.size) {
    return Conflict(path.string() + " changed while it was hashed (" + std::to_string(file.size) +
                    " bytes when opened, " + std::to_string(digests.size) +
                    " read); try again when nothing writes to it");
  }

  digests.sha256_hex = crypto::HexEncode(sha256.Finish());
  digests.md5_hex = crypto::HexEncode(md5.Finish());
  return digests;
}

}  // namespace custody::cli
