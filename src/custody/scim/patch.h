// PATCH (RFC 7644 §3.5.2) on a resource in its canonical JSON form (NormalizeResource).
//
// Supported forms:
// * "add", "replace" and "remove" in any letter case (Entra sends "Replace");
// * paths with a sub-attribute ("name.givenName"), a schema URN prefix, or a value filter
//   (`emails[type eq "work"].value`, `members[value eq "usr_..."]`);
// * operations without a path, whose value object has attributes or paths as keys;
// * "remove" of the members listed in the value, which Entra sends as
//   `{"op": "remove", "path": "members", "value": [{"value": "usr_..."}]}`.
// Deviations chosen for real clients:
// * "replace" or "add" with a value filter that matches nothing, where the filter is one
//   `attribute eq value` comparison, adds an element with that attribute (Entra replaces
//   `emails[type eq "work"].value` on users that have no work address yet). Other filters that
//   match nothing fail with noTarget.
// * "remove" with a value filter that matches nothing succeeds and changes nothing, so that a
//   retried removal of a group member is not an error.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "custody/common/status.h"
#include "custody/scim/schemas.h"

namespace custody::scim {

// Maximum number of operations in one PATCH request.
inline constexpr size_t kMaxPatchOperations = 100;

// Applies the PatchOp message `request` ({"schemas": [PatchOp URN], "Operations": [...]}) to
// `resource` and returns the patched resource, not yet normalized: the caller passes it to
// NormalizeResource, which also reads "True"/"False" as booleans. The operations apply in
// order and all or none take effect. Errors: invalidSyntax (malformed message or unknown op),
// invalidPath (unknown attribute), mutability (id, meta or another read-only attribute),
// noTarget (see above), invalidValue (a value of the wrong shape).
Result<nlohmann::json> ApplyPatch(ResourceKind kind, const nlohmann::json& resource,
                                  const nlohmann::json& request);

}  // namespace custody::scim
