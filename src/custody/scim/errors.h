// SCIM errors (RFC 7644 §3.12). Inside the scim module a failure is a Status whose field() is
// the SCIM error's scimType ("invalidFilter", "uniqueness", ...), or empty when the status code
// is enough. ToScimError turns such a Status into the HTTP status and the scimType.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "custody/common/status.h"

namespace custody::scim {

inline constexpr std::string_view kInvalidFilter = "invalidFilter";
inline constexpr std::string_view kTooMany = "tooMany";
inline constexpr std::string_view kUniqueness = "uniqueness";
inline constexpr std::string_view kMutability = "mutability";
inline constexpr std::string_view kInvalidSyntax = "invalidSyntax";
inline constexpr std::string_view kInvalidPath = "invalidPath";
inline constexpr std::string_view kNoTarget = "noTarget";
inline constexpr std::string_view kInvalidValue = "invalidValue";
inline constexpr std::string_view kInvalidVersion = "invalidVersion";

// The field of a kFailedPrecondition status that means "If-Match did not match" (412).
inline constexpr std::string_view kVersionMismatch = "versionMismatch";

// A 400 with `scim_type`.
inline Status ScimInvalid(std::string_view scim_type, std::string message) {
  return {ErrorCode::kInvalidArgument, std::move(message), std::string(scim_type)};
}

// A 409 uniqueness error.
inline Status ScimUniqueness(std::string message) {
  return {ErrorCode::kConflict, std::move(message), std::string(kUniqueness)};
}

// A 412: the resource's version is not the one the request's If-Match names.
inline Status ScimVersionMismatch() {
  return {ErrorCode::kFailedPrecondition,
          "the resource has changed: its ETag no longer matches If-Match",
          std::string(kVersionMismatch)};
}

struct ScimError {
  int http_status = 500;
  std::string scim_type;  // empty when none applies
  std::string detail;
};

// Maps a Status to its SCIM error. A kInvalidArgument whose field is not a scimType (a JSON
// pointer from another module, or empty) becomes invalidValue.
ScimError ToScimError(const Status& status);

// The error response body: {"schemas": [Error URN], "status": "400", "scimType", "detail"}.
nlohmann::json ScimErrorJson(const ScimError& error);

}  // namespace custody::scim
