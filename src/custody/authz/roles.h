// The five roles. Each includes everything the one before it may do, so a role compares by its
// rank: kViewer < kAuditor < kContributor < kManager < kAdmin.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace custody::authz {

enum class Role {
  kViewer,       // reads metadata and released evidence in scope
  kAuditor,      // adds comments, flags, follow-up requests and exports
  kContributor,  // adds drafts, uploads evidence and new versions
  kManager,      // adds engagements, approval, the audit log of the scope
  kAdmin,        // adds users, role assignments, tokens of others, the AWS connection
};

inline constexpr std::array<Role, 5> kAllRoles = {Role::kViewer, Role::kAuditor, Role::kContributor,
                                                  Role::kManager, Role::kAdmin};

// "viewer", "auditor", "contributor", "manager" or "admin": the API and database spelling.
std::string_view RoleName(Role role);

// Parses the exact lowercase names RoleName returns.
std::optional<Role> ParseRole(std::string_view name);

}  // namespace custody::authz
