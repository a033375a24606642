#include "custody/authz/validation.h"

#include <string>

#include "custody/common/text.h"

namespace custody::authz {

Status ValidateName(std::string_view text, std::string_view field, size_t max_characters) {
  const std::string name(field.starts_with('/') ? field.substr(1) : field);
  if (text.empty()) {
    return InvalidArgument(name + " must not be empty", std::string(field));
  }
  if (text.front() == ' ' || text.back() == ' ') {
    return InvalidArgument(name + " must not start or end with a space", std::string(field));
  }
  CUSTODY_RETURN_IF_ERROR(CheckReadableText(text, field));
  size_t characters = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    rest.remove_prefix(DecodeUtf8(rest)->second);
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
