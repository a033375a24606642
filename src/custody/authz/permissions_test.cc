#include "custody/authz/permissions.h"

#include <map>
#include <set>

#include <gtest/gtest.h>

namespace custody::authz {
namespace {

// The matrix written out independently of permissions.cc: for each action, the roles that may
// take it. A change to the policy must change both tables.
const std::map<Action, std::set<Role>>& ExpectedMatrix() {
  using enum Role;
  static const std::set<Role> kEveryone = {kViewer, kAuditor, kContributor, kManager, kAdmin};
  static const std::set<Role> kAuditorUp = {kAuditor, kContributor, kManager, kAdmin};
  static const std::set<Role> kContributorUp = {kContributor, kManager, kAdmin};
  static const std::set<Role> kManagerUp = {kManager, kAdmin};
  static const std::set<Role> kAdminOnly = {kAdmin};
  static const std::map<Action, std::set<Role>> kMatrix = {
      {Action::kReadEntity, kEveryone},
      {Action::kCreateEntity, kAdminOnly},
      {Action::kReadEvidence, kEveryone},
      {Action::kReadDraftEvidence, kContributorUp},
      {Action::kCreateEvidence, kContributorUp},
      {Action::kUploadVersion, kContributorUp},
      {Action::kCompleteUpload, kContributorUp},
      {Action::kDownloadVersion, kEveryone},
      {Action::kCommentOnEvidence, kAuditorUp},
      {Action::kApproveEvidence, kManagerUp},
      {Action::kManageUsers, kAdminOnly},
      {Action::kManageRoleAssignments, kAdminOnly},
      {Action::kManageTokensOfOthers, kAdminOnly},
      {Action::kManageAwsConnection, kAdminOnly},
      {Action::kReadAuditLog, kAdminOnly},
      {Action::kManageSso, kAdminOnly},
      {Action::kVerifyAuditLog, kAuditorUp},
  };
  return kMatrix;
}

TEST(PermissionsTest, EveryRoleAndActionMatchesMatrix) {
  ASSERT_EQ(ExpectedMatrix().size(), kAllActions.size());
  for (Action action : kAllActions) {
    const std::set<Role>& allowed = ExpectedMatrix().at(action);
    for (Role role : kAllRoles) {
      EXPECT_EQ(RoleAllows(role, action), allowed.contains(role))
          << RoleName(role) << " on " << ActionName(action);
    }
  }
}

TEST(PermissionsTest, RolesAreGraduated) {
  for (Action action : kAllActions) {
    bool allowed_below = false;
    for (Role role : kAllRoles) {
      if (allowed_below) {
        EXPECT_TRUE(RoleAllows(role, action)) << RoleName(role) << " on " << ActionName(action);
      }
      allowed_below = RoleAllows(role, action);
    }
  }
}

TEST(PermissionsTest, OrganizationActionsNeedAdmin) {
  for (Action action : kAllActions) {
    // Verifying the audit log's integrity is the one organization action for auditors.
    if (ScopeOf(action) == ActionScope::kOrganization && action != Action::kVerifyAuditLog) {
      EXPECT_EQ(MinimumRole(action), Role::kAdmin) << ActionName(action);
    }
  }
  EXPECT_EQ(MinimumRole(Action::kVerifyAuditLog), Role::kAuditor);
  EXPECT_EQ(ScopeOf(Action::kManageUsers), ActionScope::kOrganization);
  EXPECT_EQ(ScopeOf(Action::kReadAuditLog), ActionScope::kOrganization);
  EXPECT_EQ(ScopeOf(Action::kVerifyAuditLog), ActionScope::kOrganization);
  EXPECT_EQ(ScopeOf(Action::kCreateEntity), ActionScope::kEntity);
  EXPECT_EQ(ScopeOf(Action::kDownloadVersion), ActionScope::kEntity);
}

TEST(PermissionsTest, ActionNamesAreUnique) {
  std::set<std::string_view> names;
  for (Action action : kAllActions) {
    EXPECT_FALSE(ActionName(action).empty());
    EXPECT_TRUE(names.insert(ActionName(action)).second) << ActionName(action);
  }
}

TEST(RolesTest, ParseRoleRoundTrips) {
  for (Role role : kAllRoles) {
    EXPECT_EQ(ParseRole(RoleName(role)), role);
  }
  const char* bad[] = {"", "Admin", "ADMIN", "owner", "admin ", " viewer", "superuser"};
  for (const char* name : bad) {
    EXPECT_EQ(ParseRole(name), std::nullopt) << name;
  }
}

}  // namespace
}  // namespace custody::authz
