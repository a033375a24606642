#include "custody/evidence/validation.h"

#include <string>

#include "custody/common/text.h"

namespace custody::evidence {
namespace {

std::string Pointer(std::string_view field) {
  return "/" + std::string(field);
}

// Checks UTF-8 validity, control characters and deceptive format characters.
Status CheckText(std::string_view text, std::string_view field, bool allow_newlines) {
  return CheckReadableText(text, Pointer(field), {.allow_newlines = allow_newlines});
}

}  // namespace

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
    return InvalidArgument("size must be between 1 and " + std::to_string(kMaxSinglePutBytes) +
                               " bytes for a single upload; upload a larger file in parts with "
                               "part_size and part_md5s",
                           "/size");
  }
  return Status::Ok();
}

Status ValidateMultipart(int64_t size, int64_t part_size,
                         const std::vector<std::string>& part_md5s) {
  if (size < 1 || size > kMaxMultipartBytes) {
    return InvalidArgument("size must be between 1 and " + std::to_string(kMaxMultipartBytes) +
                               " bytes for a multipart upload",
                           "/size");
  }
  if (part_size < kMinPartBytes || part_size > kMaxPartBytes) {
    return InvalidArgument("part_size must be between " + std::to_string(kMinPartBytes) + " and " +
                               std::to_string(kMaxPartBytes) + " bytes",
                           "/part_size");
  }
  const int64_t part_count = (size + part_size - 1) / part_size;
  if (part_count > kMaxPartCount) {
    return InvalidArgument("part_size " + std::to_string(part_size) + " splits the file into " +
                               std::to_string(part_count) +
                               " parts, but at most 10000 are allowed; use larger parts",
                           "/part_size");
  }
  if (static_cast<int64_t>(part_md5s.size()) != part_count) {
    return InvalidArgument("part_md5s must have exactly " + std::to_string(part_count) +
                               " entries, one per part (ceil(size / part_size)), not " +
                               std::to_string(part_md5s.size()),
                           "/part_md5s");
  }
  for (size_t i = 0; i < part_md5s.size(); ++i) {
    CUSTODY_RETURN_IF_ERROR(ValidateHexDigest(part_md5s[i], 32, "part_md5s/" + std::to_string(i)));
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
