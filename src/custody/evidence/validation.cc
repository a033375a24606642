#include "custody/evidence/validation.h"

#include <string>

namespace custody::evidence {
namespace {

std::string Pointer(std::string_view field) {
  return "/" + std::string(field);
}

// Decodes one UTF-8 code point starting at text[*pos]; returns -1 on a malformed, overlong or
// surrogate sequence.
int32_t DecodeCodePoint(std::string_view text, size_t* pos) {
  const auto lead = static_cast<uint8_t>(text[*pos]);
  int length = 0;
  int32_t code_point = 0;
  if (lead < 0x80) {
    ++*pos;
    return lead;
  }
  if ((lead & 0xe0) == 0xc0) {
    length = 2;
    code_point = lead & 0x1f;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3;
    code_point = lead & 0x0f;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4;
    code_point = lead & 0x07;
  } else {
    return -1;
  }
  if (*pos + static_cast<size_t>(length) > text.size()) {
    return -1;
  }
  for (int i = 1; i < length; ++i) {
    const auto next = static_cast<uint8_t>(text[*pos + static_cast<size_t>(i)]);
    if ((next & 0xc0) != 0x80) {
      return -1;
    }
    code_point = (code_point << 6) | (next & 0x3f);
  }
  static constexpr int32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < kMinimum[length] || code_point > 0x10ffff ||
      (code_point >= 0xd800 && code_point <= 0xdfff)) {
    return -1;
  }
  *pos += static_cast<size_t>(length);
  return code_point;
}

bool IsControl(int32_t code_point) {
  return code_point < 0x20 || (code_point >= 0x7f && code_point <= 0x9f);
}

// Checks UTF-8 validity and that no control character other than the allowed ones appears.
Status CheckText(std::string_view text, std::string_view field, bool allow_newlines) {
  size_t pos = 0;
  while (pos < text.size()) {
    const int32_t code_point = DecodeCodePoint(text, &pos);
    if (code_point < 0) {
      return InvalidArgument(std::string(field) + " is not valid UTF-8", Pointer(field));
    }
    const bool allowed_control = allow_newlines && (code_point == '\n' || code_point == '\t');
    if (IsControl(code_point) && !allowed_control) {
      return InvalidArgument(std::string(field) + " must not contain control characters",
                             Pointer(field));
    }
  }
  return Status::Ok();
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    if (DecodeCodePoint(text, &pos) < 0) {
      return false;
    }
  }
  return true;
}

Status ValidateFileName(std::string_view name) {
  const std::string field = "/file_name";
  if (name.empty()) {
    return InvalidArgument("file_name must not be empty", field);
  }
  if (name.size() > kMaxFileNameBytes) {
    return InvalidArgument("file_name must be at most 255 bytes", field);
  }
  CUSTODY_RETURN_IF_ERROR(CheckText(name, "file_name", /*allow_newlines=*/false));
  if (name.find('/') != std::string_view::npos || name.find('\\') != std::string_view::npos) {
    return InvalidArgument("file_name must be a plain file name without '/' or '\\'", field);
  }
  if (name == "." || name == "..") {
    return InvalidArgument("file_name must not be '.' or '..'", field);
  }
  if (name.front() == ' ' || name.back() == ' ') {
    return InvalidArgument("file_name must not start or end with a space", field);
  }
  return Status::Ok();
}

Status ValidateSize(int64_t size) {
  if (size < 1 || size > kMaxSinglePutBytes) {
    return InvalidArgument(
        "size must be between 1 and " + std::to_string(kMaxSinglePutBytes) + " bytes", "/size");
  }
  return Status::Ok();
}

Status ValidateHexDigest(std::string_view value, size_t hex_length, std::string_view field) {
  bool lowercase_hex = value.size() == hex_length;
  for (char c : value) {
    lowercase_hex = lowercase_hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }
  if (!lowercase_hex) {
    return InvalidArgument(std::string(field) + " must be " + std::to_string(hex_length) +
                               " lowercase hexadecimal characters",
                           Pointer(field));
  }
  return Status::Ok();
}

Status ValidateMediaType(std::string_view media_type) {
  const std::string field = "/media_type";
  // RFC 6838 section 4.2: restricted-name characters.
  auto is_name_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '!' ||
           c == '#' || c == '$' || c == '&' || c == '-' || c == '^' || c == '_' || c == '.' ||
           c == '+';
  };
  const size_t slash = media_type.find('/');
  const bool shaped = !media_type.empty() && media_type.size() <= kMaxMediaTypeBytes &&
                      slash != std::string_view::npos && slash > 0 && slash + 1 < media_type.size();
  if (!shaped) {
    return InvalidArgument("media_type must look like type/subtype, e.g. application/pdf", field);
  }
  for (size_t i = 0; i < media_type.size(); ++i) {
    if (i != slash && !is_name_char(media_type[i])) {
      return InvalidArgument("media_type contains a character not allowed in a media type", field);
    }
  }
  return Status::Ok();
}

Status ValidateTitle(std::string_view title, std::string_view field, size_t max_bytes) {
  if (title.empty() || title.size() > max_bytes) {
    return InvalidArgument(
        std::string(field) + " must be 1 to " + std::to_string(max_bytes) + " bytes",
        Pointer(field));
  }
  return CheckText(title, field, /*allow_newlines=*/false);
}

Status ValidateDescription(std::string_view description, std::string_view field, size_t max_bytes) {
  if (description.size() > max_bytes) {
    return InvalidArgument(
        std::string(field) + " must be at most " + std::to_string(max_bytes) + " bytes",
        Pointer(field));
  }
  return CheckText(description, field, /*allow_newlines=*/true);
}

}  // namespace custody::evidence
