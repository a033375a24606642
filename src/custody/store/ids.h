// Identifiers of stored rows: a type prefix and 22 random characters of [A-Za-z0-9] (about
// 131 bits), e.g. "evd_4Jk0...". Random ids reveal neither counts nor creation order, and
// cannot be guessed to probe another organization's resources.
#pragma once

#include <string>
#include <string_view>

namespace custody::store {

inline constexpr std::string_view kOrganizationIdPrefix = "org_";
inline constexpr std::string_view kEntityIdPrefix = "ent_";
inline constexpr std::string_view kUserIdPrefix = "usr_";
inline constexpr std::string_view kTokenIdPrefix = "tok_";
inline constexpr std::string_view kRoleAssignmentIdPrefix = "ra_";
inline constexpr std::string_view kEvidenceIdPrefix = "evd_";
inline constexpr std::string_view kVersionIdPrefix = "ver_";

inline constexpr size_t kIdRandomLength = 22;

// Returns `prefix` followed by kIdRandomLength random alphanumeric characters.
std::string NewId(std::string_view prefix);

// True when `id` is `prefix` followed by exactly kIdRandomLength characters of [A-Za-z0-9].
bool IsWellFormedId(std::string_view id, std::string_view prefix);

}  // namespace custody::store
