// Text from the server or from S3 made safe to print, and URLs printed without credentials.
#pragma once

#include <string>
#include <string_view>

namespace custody::cli {

// Replaces with '?' every character that could move the cursor, change colours or reorder
// text on a terminal. These are C0 and C1 control characters, DEL, bytes that are not valid
// UTF-8, and the invisible formatting characters of IsDeceptiveFormatCharacter (common/text.h).
// Names and titles come from other users, so they are passed through this before printing.
std::string SanitizeForTerminal(std::string_view text);

// The URL without its query: a presigned URL's query holds the signature, the access key id
// and the session token, which must not reach a terminal or a log. Returns "(invalid URL)"
// when `url` does not parse.
std::string RedactUrl(std::string_view url);

}  // namespace custody::cli
