#include "custody/crypto/random.h"

#include <cstdlib>

#include <openssl/rand.h>

namespace custody::crypto {

std::string RandomBytes(size_t count) {
  std::string out(count, '\0');
  if (count > 0 &&
      RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    std::abort();
  }
  return out;
}

std::string RandomAlphanumeric(size_t count) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  static constexpr size_t kAlphabetSize = sizeof(kAlphabet) - 1;  // 62
  // Bytes at or above 248 (4 * 62) are dropped, so each character is uniform.
  static constexpr unsigned kLimit = 4 * kAlphabetSize;
  std::string out;
  out.reserve(count);
  while (out.size() < count) {
    const std::string chunk = RandomBytes(count - out.size() + 8);
    for (char c : chunk) {
      const auto byte = static_cast<uint8_t>(c);
      if (byte < kLimit && out.size() < count) {
        out += kAlphabet[byte % kAlphabetSize];
      }
    }
  }
  return out;
}

}  // namespace custody::crypto
