// SCIM dateTime values (xsd:dateTime, RFC 7643 §2.3.5) as microseconds since the Unix epoch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace custody::scim {

// Parses "2026-12-04T16:19:18Z", with optional fractional seconds of any length (cut to
// microseconds) and a "Z" or "+hh:mm"/"-hh:mm" offset. Returns nullopt for anything else.
std::optional<int64_t> ParseDateTime(std::string_view text);

// Formats microseconds since the epoch as "2026-12-04T16:19:18.123456Z" (fraction only when
// non-zero).
std::string FormatDateTime(int64_t unix_micros);

}  // namespace custody::scim
