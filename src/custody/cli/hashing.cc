#include "custody/cli/hashing.h"

#include <algorithm>
#include <vector>

#include "custody/cli/file.h"
#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"

namespace custody::cli {

Result<FileDigests> HashFile(const std::filesystem::path& path, const HashProgress& progress,
                             uint64_t part_size) {
  CUSTODY_ASSIGN_OR_RETURN(InputFile file, OpenInputFile(path));

  crypto::StreamingHash sha256(crypto::StreamingHash::Algorithm::kSha256);
  crypto::StreamingHash md5(crypto::StreamingHash::Algorithm::kMd5);
  crypto::StreamingHash part_md5(crypto::StreamingHash::Algorithm::kMd5);
  uint64_t part_filled = 0;  // bytes of the current part hashed so far
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
    // A chunk may end one part and begin the next.
    for (std::string_view rest = chunk; part_size > 0 && !rest.empty();) {
      const size_t take =
          static_cast<size_t>(std::min<uint64_t>(rest.size(), part_size - part_filled));
      part_md5.Update(rest.substr(0, take));
      part_filled += take;
      rest.remove_prefix(take);
      if (part_filled == part_size) {
        digests.part_md5s.push_back(crypto::HexEncode(part_md5.Finish()));
        part_md5 = crypto::StreamingHash(crypto::StreamingHash::Algorithm::kMd5);
        part_filled = 0;
      }
    }
    if (progress) {
      progress(digests.size);
    }
  }
  if (digests.size != file.size) {
    return Conflict(path.string() + " changed while it was hashed (" + std::to_string(file.size) +
                    " bytes when opened, " + std::to_string(digests.size) +
                    " read); try again when nothing writes to it");
  }

  if (part_filled > 0) {
    digests.part_md5s.push_back(crypto::HexEncode(part_md5.Finish()));
  }
  digests.sha256_hex = crypto::HexEncode(sha256.Finish());
  digests.md5_hex = crypto::HexEncode(md5.Finish());
  return digests;
}

}  // namespace custody::cli
