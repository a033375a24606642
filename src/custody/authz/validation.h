// Checks on names that people type and other people read: entity names here, display names
// and token names in the identity module.
#pragma once

#include <cstddef>
#include <string_view>

#include "custody/common/status.h"

namespace custody::authz {

// Accepts valid UTF-8 of 1 to `max_characters` code points without control characters (C0,
// DEL, C1) and without leading or trailing spaces. Errors name `field` (a JSON pointer such
// as "/name") so the API can report it.
Status ValidateName(std::string_view text, std::string_view field, size_t max_characters);

}  // namespace custody::authz
