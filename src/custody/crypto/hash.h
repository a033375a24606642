// Hashes and MACs over OpenSSL 3. This folder is the only place that calls OpenSSL.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace custody::crypto {

using Sha256Digest = std::array<uint8_t, 32>;
using Md5Digest = std::array<uint8_t, 16>;

Sha256Digest Sha256(std::string_view data);
std::string Sha256Hex(std::string_view data);  // lowercase hex, 64 characters
Md5Digest Md5(std::string_view data);

// HMAC-SHA256 with a raw byte key. Reuses one MAC context per thread, because setting up
// the context costs more than the MAC of a short SigV4 string.
Sha256Digest HmacSha256(std::string_view key, std::string_view data);

// Incremental SHA-256 and MD5 for data read in chunks (files of gigabytes in the CLI).
class StreamingHash {
 public:
  enum class Algorithm {
    kSha256,
    kMd5
  };
  explicit StreamingHash(Algorithm algorithm);
  StreamingHash(const StreamingHash&) = delete;
  StreamingHash& operator=(const StreamingHash&) = delete;
  StreamingHash(StreamingHash&&) noexcept;
  StreamingHash& operator=(StreamingHash&&) noexcept;
  ~StreamingHash();

  void Update(std::string_view data);
  // Returns the raw digest; the object cannot be updated afterwards.
  std::string Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Compares in time that depends only on the lengths, never on where the inputs differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace custody::crypto
