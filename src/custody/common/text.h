// Checks for text that people type and other people read: names, titles, file names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "custody/common/status.h"

namespace custody {

// Decodes the code point at the start of `text` and its length in bytes. Returns nullopt for
// an empty text, a truncated sequence, an overlong form, a surrogate or a value above
// U+10FFFF (RFC 3629).
std::optional<std::pair<uint32_t, size_t>> DecodeUtf8(std::string_view text);

bool IsValidUtf8(std::string_view text);

// C0 controls, DEL and C1 controls.
bool IsControlCharacter(uint32_t code_point);

// Invisible characters that change how neighbouring text is displayed. These are the
// bidirectional embeddings, overrides, isolates and marks (U+061C, U+200E, U+200F, U+202A to
// U+202E, U+2066 to U+2069). They also include the zero-width space, the word joiner, the
// invisible operators and the byte order mark (U+200B, U+2060 to U+2064, U+FEFF).
// A name containing U+202E can show "evil<U+202E>gnp.exe" as "evilexe.png". U+200C and
// U+200D are not included, because several scripts and emoji sequences need them.
bool IsDeceptiveFormatCharacter(uint32_t code_point);

struct TextRules {
  bool allow_newlines = false;  // accept '\n' and '\t' (free text such as descriptions)
};

// Rejects invalid UTF-8, control characters (except newlines and tabs when allowed) and
// deceptive format characters. Errors read "<field name> ..." and carry `field`, a JSON
// pointer such as "/file_name".
Status CheckReadableText(std::string_view text, std::string_view field, TextRules rules = {});

}  // namespace custody
