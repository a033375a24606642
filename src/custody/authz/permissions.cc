#include "custody/authz/permissions.h"

#include <cstdlib>

namespace custody::authz {
namespace {

struct Permission {
  Action action;
  std::string_view name;
  Role minimum_role;
  ActionScope scope;
};

using enum Role;
using enum ActionScope;

// The permission matrix: the least role that may take each action. Roles are graduated, so
// every role above the minimum may take it too.
constexpr std::array<Permission, kAllActions.size()> kPermissions = {{
    {Action::kReadEntity, "entity.read", kViewer, kEntity},
    {Action::kCreateEntity, "entity.create", kAdmin, kEntity},
    {Action::kReadEvidence, "evidence.read", kViewer, kEntity},
    {Action::kReadDraftEvidence, "evidence.read_draft", kContributor, kEntity},
    {Action::kCreateEvidence, "evidence.create", kContributor, kEntity},
    {Action::kUploadVersion, "evidence.version.create", kContributor, kEntity},
    {Action::kCompleteUpload, "evidence.version.complete", kContributor, kEntity},
    {Action::kDownloadVersion, "evidence.version.download", kViewer, kEntity},
    {Action::kCommentOnEvidence, "evidence.comment", kAuditor, kEntity},
    {Action::kApproveEvidence, "evidence.approve", kManager, kEntity},
    {Action::kManageUsers, "users.manage", kAdmin, kOrganization},
    {Action::kManageRoleAssignments, "role_assignments.manage", kAdmin, kOrganization},
    {Action::kManageTokensOfOthers, "tokens.manage_others", kAdmin, kOrganization},
    {Action::kManageAwsConnection, "aws_connection.manage", kAdmin, kOrganization},
    {Action::kReadAuditLog, "audit_records.read", kAdmin, kOrganization},
    {Action::kManageSso, "sso.manage", kAdmin, kOrganization},
    // Auditors check the trail's integrity; reading the records themselves stays admin-only.
    {Action::kVerifyAuditLog, "audit_log.verify", kAuditor, kOrganization},
}};

// Every action has exactly one row, at the position of its enumerator.
constexpr bool TableMatchesEnum() {
  for (size_t i = 0; i < kPermissions.size(); ++i) {
    if (kPermissions[i].action != kAllActions[i] || static_cast<size_t>(kAllActions[i]) != i) {
      return false;
    }
  }
  return true;
}

static_assert(TableMatchesEnum(), "kPermissions must list every Action once, in enum order");

const Permission& Find(Action action) {
  const auto index = static_cast<size_t>(action);
  if (index >= kPermissions.size()) {
    std::abort();  // not a declared Action: memory corruption or a bad cast
  }
  return kPermissions[index];
}

}  // namespace

std::string_view ActionName(Action action) {
  return Find(action).name;
}

Role MinimumRole(Action action) {
  return Find(action).minimum_role;
}

ActionScope ScopeOf(Action action) {
  return Find(action).scope;
}

bool RoleAllows(Role role, Action action) {
  return static_cast<int>(role) >= static_cast<int>(MinimumRole(action));
}

}  // namespace custody::authz
