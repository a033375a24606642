#include "custody/authz/roles.h"

namespace custody::authz {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kAuditor:
      return "auditor";
    case Role::kContributor:
      return "contributor";
    case Role::kManager:
      return "manager";
    case Role::kAdmin:
      return "admin";
  }
  return "";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role role : kAllRoles) {
    if (RoleName(role) == name) {
      return role;
    }
  }
  return std::nullopt;
}

}  // namespace custody::authz
