#include "custody/authz/authorize.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "custody/audit/record.h"
#include "custody/authz/test_tree.h"

namespace custody::authz {
namespace {

class AuthorizeTest : public testing::TreeTest {
 protected:
  std::optional<Role> RoleOf(const std::string& organization_id, const std::string& user,
                             const std::string& entity) {
    Result<std::optional<Role>> role = store::ReadReturning<std::optional<Role>>(
        db(),
        [&](store::Transaction& tx) { return EffectiveRole(tx, organization_id, user, entity); });
    EXPECT_TRUE(role.ok()) << role.status().ToString();
    return role.ok() ? *role : std::nullopt;
  }

  Decision DecideFor(const Principal& principal, const std::string& entity, Action action) {
    Decision decision;
    Status status = db().Read([&](store::Transaction& tx) {
      decision = Decide(tx, principal, entity, action);
      return Status::Ok();
    });
    EXPECT_TRUE(status.ok());
    return decision;
  }

  Decision DecideOrganization(const Principal& principal, Action action) {
    Decision decision;
    Status status = db().Read([&](store::Transaction& tx) {
      decision = DecideOrganizationAction(tx, principal, action);
      return Status::Ok();
    });
    EXPECT_TRUE(status.ok());
    return decision;
  }

  std::vector<std::string> Scope(const std::string& user, Action action) {
    Result<std::vector<std::string>> ids = store::ReadReturning<std::vector<std::string>>(
        db(), [&](store::Transaction& tx) { return EntitiesInScope(tx, "org_A", user, action); });
    EXPECT_TRUE(ids.ok()) << ids.status().ToString();
    std::vector<std::string> sorted = ids.ok() ? *ids : std::vector<std::string>{};
    std::sort(sorted.begin(), sorted.end());
    return sorted;
  }

  std::vector<std::string> Sorted(std::vector<std::string> ids) {
    std::sort(ids.begin(), ids.end());
    return ids;
  }
};

TEST_F(AuthorizeTest, RoleCoversDescendants) {
  EXPECT_EQ(RoleOf("org_A", "bob", s1), Role::kContributor);
  EXPECT_EQ(RoleOf("org_A", "bob", e1), Role::kContributor);
  EXPECT_EQ(RoleOf("org_A", "alice", e2), Role::kAdmin);
}

TEST_F(AuthorizeTest, RoleDoesNotCoverAncestorsOrSiblings) {
  EXPECT_EQ(RoleOf("org_A", "bob", root), std::nullopt);
  EXPECT_EQ(RoleOf("org_A", "bob", s2), std::nullopt);
  EXPECT_EQ(RoleOf("org_A", "bob", e2), std::nullopt);
  EXPECT_EQ(RoleOf("org_A", "carol", s1), std::nullopt);
  EXPECT_EQ(RoleOf("org_A", "erin", e1), std::nullopt);
}

TEST_F(AuthorizeTest, HighestRoleOnPathWins) {
  EXPECT_EQ(RoleOf("org_A", "dave", s2), Role::kViewer);
  EXPECT_EQ(RoleOf("org_A", "dave", e2), Role::kManager);
}

TEST_F(AuthorizeTest, OtherOrganizationIsAbsent) {
  EXPECT_EQ(RoleOf("org_A", "alice", root_b), std::nullopt);
  EXPECT_EQ(RoleOf("org_B", "alice", root), std::nullopt);
  EXPECT_EQ(RoleOf("org_B", "bert", s_b), Role::kAdmin);
  // The organization id in the query decides, not the user id alone.
  EXPECT_EQ(RoleOf("org_A", "bert", root_b), std::nullopt);
}

TEST_F(AuthorizeTest, AllowsWithinScope) {
  Decision decision = DecideFor(Member("org_A", "bob"), e1, Action::kUploadVersion);
  EXPECT_TRUE(decision.allowed()) << decision.status.ToString();
  EXPECT_EQ(decision.reason, "");
  EXPECT_EQ(decision.role, Role::kContributor);
}

TEST_F(AuthorizeTest, OutOfScopeLooksLikeAbsent) {
  const Decision out_of_scope = DecideFor(Member("org_A", "bob"), e2, Action::kReadEvidence);
  const Decision absent =
      DecideFor(Member("org_A", "bob"), "ent_doesnotexist000000000", Action::kReadEvidence);
  const Decision other_org = DecideFor(Member("org_A", "alice"), s_b, Action::kReadEvidence);

  for (const Decision* decision : {&out_of_scope, &absent, &other_org}) {
    EXPECT_EQ(decision->status.code(), ErrorCode::kNotFound);
    EXPECT_EQ(decision->status.message(), NotFoundError().message());
    EXPECT_EQ(decision->status.field(), "");
    EXPECT_EQ(decision->role, std::nullopt);
  }
  EXPECT_EQ(out_of_scope.reason, audit::kReasonOutOfScope);
  EXPECT_EQ(absent.reason, audit::kReasonNotFound);
  EXPECT_EQ(other_org.reason, audit::kReasonNotFound);
}

TEST_F(AuthorizeTest, InScopeWithoutPermissionIsDenied) {
  const Decision decision = DecideFor(Member("org_A", "carol"), e1, Action::kUploadVersion);
  EXPECT_EQ(decision.status.code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(decision.reason, audit::kReasonRoleLacksPermission);
  EXPECT_EQ(decision.role, Role::kAuditor);

  EXPECT_TRUE(DecideFor(Member("org_A", "carol"), e1, Action::kCommentOnEvidence).allowed());
  EXPECT_EQ(DecideFor(Member("org_A", "bob"), s1, Action::kCreateEntity).status.code(),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(DecideFor(Member("org_A", "dave"), s2, Action::kApproveEvidence).status.code(),
            ErrorCode::kPermissionDenied);
  EXPECT_TRUE(DecideFor(Member("org_A", "dave"), e2, Action::kApproveEvidence).allowed());
}

// Every role on one entity against every entity action: the decision follows the matrix.
TEST_F(AuthorizeTest, DecisionFollowsMatrixForEveryRole) {
  for (Role role : kAllRoles) {
    const std::string user = "usr_" + std::string(RoleName(role));
    ASSERT_TRUE(db().Write([&](store::Transaction& tx) -> Status {
                      CUSTODY_RETURN_IF_ERROR(
                          tx.Execute("INSERT INTO users (id, organization_id, email, "
                                     "display_name, created_at) VALUES (?, 'org_A', ?, 'x', 0)",
                                     {user, user + "@example.com"})
                              .status());
                      return tx
                          .Execute(
                              "INSERT INTO role_assignments (id, organization_id, user_id, "
                              "entity_id, role, created_at, created_by) "
                              "VALUES (?, 'org_A', ?, ?, ?, 0, 'system')",
                              {"ra_" + user, user, s1, RoleName(role)})
                          .status();
                    })
                    .ok());
    for (Action action : kAllActions) {
      if (ScopeOf(action) != ActionScope::kEntity) {
        continue;
      }
      const Decision decision = DecideFor(Member("org_A", user), e1, action);
      EXPECT_EQ(decision.allowed(), RoleAllows(role, action))
          << RoleName(role) << " on " << ActionName(action);
      if (!decision.allowed()) {
        EXPECT_EQ(decision.status.code(), ErrorCode::kPermissionDenied);
      }
    }
  }
}

TEST_F(AuthorizeTest, OrganizationActionsNeedAdminOnRoot) {
  EXPECT_TRUE(DecideOrganization(Member("org_A", "alice"), Action::kManageUsers).allowed());
  EXPECT_TRUE(DecideOrganization(Member("org_B", "bert"), Action::kReadAuditLog).allowed());

  // dave is a manager on e2, bob a contributor on s1, erin has no role: none is admin on root.
  for (const char* user : {"bob", "dave", "erin"}) {
    const Decision decision = DecideOrganization(Member("org_A", user), Action::kManageUsers);
    EXPECT_EQ(decision.status.code(), ErrorCode::kPermissionDenied) << user;
    EXPECT_EQ(decision.reason, audit::kReasonRoleLacksPermission) << user;
  }
  // bert is admin of org B only.
  EXPECT_EQ(DecideOrganization(Member("org_A", "bert"), Action::kManageUsers).status.code(),
            ErrorCode::kPermissionDenied);
}

TEST_F(AuthorizeTest, AdminBelowRootIsNotOrganizationAdmin) {
  ASSERT_TRUE(db().Write([&](store::Transaction& tx) {
                    return tx
                        .Execute(
                            "INSERT INTO role_assignments (id, organization_id, user_id, "
                            "entity_id, role, created_at, created_by) "
                            "VALUES ('ra_x', 'org_A', 'erin', ?, 'admin', 0, 'system')",
                            {s1})
                        .status();
                  })
                  .ok());
  EXPECT_TRUE(DecideFor(Member("org_A", "erin"), e1, Action::kCreateEntity).allowed());
  EXPECT_EQ(DecideOrganization(Member("org_A", "erin"), Action::kManageAwsConnection).status.code(),
            ErrorCode::kPermissionDenied);
}

TEST_F(AuthorizeTest, WrongKindOfActionIsInternal) {
  EXPECT_EQ(DecideFor(Member("org_A", "alice"), root, Action::kManageUsers).status.code(),
            ErrorCode::kInternal);
  EXPECT_EQ(DecideOrganization(Member("org_A", "alice"), Action::kReadEntity).status.code(),
            ErrorCode::kInternal);
}

TEST_F(AuthorizeTest, EntitiesInScopeFollowsRolesAndAction) {
  EXPECT_EQ(Scope("bob", Action::kReadEvidence), Sorted({s1, e1}));
  EXPECT_EQ(Scope("bob", Action::kUploadVersion), Sorted({s1, e1}));
  EXPECT_EQ(Scope("bob", Action::kApproveEvidence), std::vector<std::string>{});
  EXPECT_EQ(Scope("dave", Action::kReadEntity), Sorted({s2, e2}));
  EXPECT_EQ(Scope("dave", Action::kApproveEvidence), std::vector<std::string>{e2});
  EXPECT_EQ(Scope("alice", Action::kReadEntity), Sorted({root, s1, e1, s2, e2}));
  EXPECT_EQ(Scope("erin", Action::kReadEntity), std::vector<std::string>{});
  // bert's roles are in org B: nothing of org A.
  EXPECT_EQ(Scope("bert", Action::kReadEntity), std::vector<std::string>{});
}

TEST_F(AuthorizeTest, DatabaseFailureFailsClosed) {
  temp_.db().InjectFailureForTesting(store::InjectedFailure::kAll);
  Status status = db().Read([&](store::Transaction& tx) {
    return Authorize(tx, Member("org_A", "alice"), root, Action::kReadEntity);
  });
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace custody::authz
