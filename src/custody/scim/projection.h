// The `attributes` and `excludedAttributes` query parameters (RFC 7644 §3.4.2.5): which
// attributes a response returns. "schemas" and "id" are always returned.
//
// Leniency for real clients: an entry may carry a value filter, `emails[type eq "work"]`, which
// returns only the matching values (Microsoft's validation collection sends such entries).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "custody/common/status.h"
#include "custody/scim/filter.h"

namespace custody::scim {

struct AttributeSelection {
  std::vector<PatchPath> attributes;  // empty: every attribute with returned "default"
  std::vector<PatchPath> excluded;
  std::vector<std::string> whole_extensions;  // URNs named in `attributes`
};

// Maximum number of entries in one parameter.
inline constexpr size_t kMaxSelectedAttributes = 64;

// Parses the two comma-separated parameters. A malformed entry fails with scimType invalidPath.
Result<AttributeSelection> ParseAttributeSelection(const std::optional<std::string>& attributes,
                                                   const std::optional<std::string>& excluded);

// True when neither parameter was given.
bool IsDefaultSelection(const AttributeSelection& selection);

// Returns the resource reduced to the selection.
nlohmann::json SelectAttributes(const nlohmann::json& resource,
                                const AttributeSelection& selection);

}  // namespace custody::scim
