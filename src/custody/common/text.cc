#include "custody/common/text.h"

#include <string>

namespace custody {

std::optional<std::pair<uint32_t, size_t>> DecodeUtf8(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
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

bool IsValidUtf8(std::string_view text) {
  while (!text.empty()) {
    const auto decoded = DecodeUtf8(text);
    if (!decoded.has_value()) {
      return false;
    }
    text.remove_prefix(decoded->second);
  }
  return true;
}

bool IsControlCharacter(uint32_t code_point) {
  return code_point < 0x20 || (code_point >= 0x7f && code_point <= 0x9f);
}

bool IsDeceptiveFormatCharacter(uint32_t code_point) {
  return code_point == 0x061c || code_point == 0x200b || code_point == 0x200e ||
         code_point == 0x200f || (code_point >= 0x202a && code_point <= 0x202e) ||
         (code_point >= 0x2060 && code_point <= 0x2064) ||
         (code_point >= 0x2066 && code_point <= 0x2069) || code_point == 0xfeff;
}

Status CheckReadableText(std::string_view text, std::string_view field, TextRules rules) {
  const std::string name(field.starts_with('/') ? field.substr(1) : field);
  while (!text.empty()) {
    const auto decoded = DecodeUtf8(text);
    if (!decoded.has_value()) {
      return InvalidArgument(name + " is not valid UTF-8", std::string(field));
    }
    const uint32_t code_point = decoded->first;
    const bool allowed_whitespace =
        rules.allow_newlines && (code_point == '\n' || code_point == '\t');
    if (IsControlCharacter(code_point) && !allowed_whitespace) {
      return InvalidArgument(name + " must not contain control characters", std::string(field));
    }
    if (IsDeceptiveFormatCharacter(code_point)) {
      return InvalidArgument(name +
                                 " must not contain invisible formatting characters such as "
                                 "bidirectional overrides or zero-width spaces",
                             std::string(field));
    }
    text.remove_prefix(decoded->second);
  }
  return Status::Ok();
}

}  // namespace custody
