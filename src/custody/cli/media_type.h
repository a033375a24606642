// Media types guessed from a file name's extension, for uploads without --media-type.
#pragma once

#include <string>
#include <string_view>

namespace custody::cli {

inline constexpr std::string_view kDefaultMediaType = "application/octet-stream";

// Returns the media type for the extension of `file_name` (compared without regard to case),
// or kDefaultMediaType for an unknown extension or none. The types carry no parameters,
// because the server accepts only a bare type/subtype.
std::string GuessMediaType(std::string_view file_name);

// True for an RFC 6838 "type/subtype" without parameters: each name 1 to 127 characters of
// letters, digits and !#$&-^_.+, starting with a letter or digit.
bool IsValidMediaType(std::string_view media_type);

}  // namespace custody::cli
