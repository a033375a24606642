// Hex and Base64 encodings used by SigV4, checksums and tokens.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace custody::crypto {

std::string HexEncode(std::string_view bytes);  // lowercase
std::string HexEncode(std::span<const uint8_t> bytes);
std::optional<std::string> HexDecode(std::string_view hex);

std::string Base64Encode(std::string_view bytes);  // RFC 4648 section 4, padded
std::string Base64Encode(std::span<const uint8_t> bytes);
// Rejects characters outside the alphabet, wrong padding and non-canonical trailing bits.
std::optional<std::string> Base64Decode(std::string_view text);

std::string Base64UrlEncode(std::string_view bytes);  // RFC 4648 section 5, unpadded
std::optional<std::string> Base64UrlDecode(std::string_view text);

inline std::string_view AsChars(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace custody::crypto
