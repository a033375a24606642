#include "custody/authz/validation.h"

#include <cstdint>
#include <optional>
#include <string>

namespace custody::authz {
namespace {

// Decodes the code point at the start of `text` and its length in bytes; rejects overlong
// forms, surrogates and values above U+10FFFF (RFC 3629).
std::optional<std::pair<uint32_t, size_t>> DecodeUtf8(std::string_view text) {
  const auto lead = static_cast<uint8_t>(text[0]);
  size_t length = 0;
  uint32_t code_point = 0;
  uint32_t minimum = 0;
  if (lead < 0x80) {
    return std::make_pair(uint32_t{lead}, size_t{1});
  }
  if ((lead & 0xe0) == 0xc0) {
    length = 2;
    code_point = lead & 0x1f;
    minimum = 0x80;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3;
    code_point = lead & 0x0f;
    minimum = 0x800;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4;
    code_point = lead & 0x07;
    minimum = 0x10000;
  } else {
    return std::nullopt;
  }
  if (text.size() < length) {
    return std::nullopt;
  }
  for (size_t i = 1; i < length; ++i) {
    const auto continuation = static_cast<uint8_t>(text[i]);
    if ((continuation & 0xc0) != 0x80) {
      return std::nullopt;
    }
    code_point = (code_point << 6) | (continuation & 0x3f);
  }
  if (code_point < minimum || code_point > 0x10ffff ||
      (code_point >= 0xd800 && code_point <= 0xdfff)) {
    return std::nullopt;
  }
  return std::make_pair(code_point, length);
}

bool IsControl(uint32_t code_point) {
  return code_point < 0x20 || (code_point >= 0x7f && code_point <= 0x9f);
}

}  // namespace

Status ValidateName(std::string_view text, std::string_view field, size_t max_characters) {
  const std::string name(field.starts_with('/') ? field.substr(1) : field);
  if (text.empty()) {
    return InvalidArgument(name + " must not be empty", std::string(field));
  }
  if (text.front() == ' ' || text.back() == ' ') {
    return InvalidArgument(name + " must not start or end with a space", std::string(field));
  }
  size_t characters = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto decoded = DecodeUtf8(rest);
    if (!decoded.has_value()) {
      return InvalidArgument(name + " is not valid UTF-8", std::string(field));
    }
    if (IsControl(decoded->first)) {
      return InvalidArgument(name + " must not contain control characters", std::string(field));
    }
    rest.remove_prefix(decoded->second);
    ++characters;
  }
  if (characters > max_characters) {
    return InvalidArgument(name + " must be at most " + std::to_string(max_characters) +
                               " characters, got " + std::to_string(characters),
                           std::string(field));
  }
  return Status::Ok();
}

}  // namespace custody::authz
