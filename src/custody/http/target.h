// Parsing of the request target ("/api/v1/evidence/evd_1?limit=10") into decoded path
// segments and query parameters.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/status.h"

namespace custody::http {

struct Target {
  // The path split at "/", each segment percent-decoded: "/a/b%2Fc" is {"a", "b/c"} and "/" is
  // {}. Empty segments stay, so "/a//b/" is {"a", "", "b", ""}.
  std::vector<std::string> segments;
  std::string path;  // "/" followed by the decoded segments joined with "/"
  std::map<std::string, std::string> query;
};

// Parses an origin-form target. Rejects with InvalidArgument: a target that does not start
// with "/", a fragment, malformed percent-encoding, control characters in the decoded path, an
// empty query parameter name and a repeated query parameter name (field = the name).
Result<Target> ParseTarget(std::string_view target);

// Decodes %XX escapes, and "+" as a space when `plus_is_space` (the form encoding of queries).
// Returns InvalidArgument for a "%" not followed by two hex digits.
Result<std::string> PercentDecode(std::string_view text, bool plus_is_space);

}  // namespace custody::http
