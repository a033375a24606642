#include "custody/identity/role_assignments.h"

#include <gtest/gtest.h>

#include "custody/authz/authorize.h"
#include "custody/identity/test_org.h"
#include "custody/store/ids.h"
#include "custody/store/page_cursor.h"

namespace custody::identity {
namespace {

class RoleAssignmentsTest : public testing::OrgTest {
 protected:
  void SetUp() override {
    OrgTest::SetUp();
    Result<User> bob = AddUser(acme_id(), "bob@acme.example");
    ASSERT_TRUE(bob.ok());
    bob_ = bob->id;
    Result<authz::Entity> child =
        store::WriteReturning<authz::Entity>(db(), [&](store::Transaction& tx) {
          return authz::CreateEntity(tx, clock_, acme_id(), acme_.root_entity.id, "subsidiary",
                                     "Acme Europe");
        });
    ASSERT_TRUE(child.ok());
    europe_ = child->id;
  }

  Result<RoleAssignment> Assign(const std::string& user_id, const std::string& entity_id,
                                const std::string& role) {
    return store::WriteReturning<RoleAssignment>(db(), [&](store::Transaction& tx) {
      return CreateRoleAssignment(tx, clock_, acme_id(), user_id, entity_id, role, acme_.admin.id);
    });
  }

  Status Delete(const std::string& assignment_id) {
    return db().Write([&](store::Transaction& tx) {
      return DeleteRoleAssignment(tx, clock_, acme_id(), assignment_id);
    });
  }

  std::optional<authz::Role> EffectiveRoleOf(const std::string& user_id,
                                             const std::string& entity_id) {
    Result<std::optional<authz::Role>> role =
        store::ReadReturning<std::optional<authz::Role>>(db(), [&](store::Transaction& tx) {
          return authz::EffectiveRole(tx, acme_id(), user_id, entity_id);
        });
    EXPECT_TRUE(role.ok());
    return role.ok() ? *role : std::nullopt;
  }

  std::string bob_;
  std::string europe_;
};

TEST_F(RoleAssignmentsTest, CreateGrantsRole) {
  Result<RoleAssignment> assignment = Assign(bob_, europe_, "contributor");
  ASSERT_TRUE(assignment.ok()) << assignment.status().ToString();
  EXPECT_TRUE(store::IsWellFormedId(assignment->id, store::kRoleAssignmentIdPrefix));
  EXPECT_EQ(assignment->role, authz::Role::kContributor);
  EXPECT_EQ(assignment->created_by, acme_.admin.id);
  EXPECT_EQ(EffectiveRoleOf(bob_, europe_), authz::Role::kContributor);
  EXPECT_EQ(EffectiveRoleOf(bob_, acme_.root_entity.id), std::nullopt);
}

TEST_F(RoleAssignmentsTest, CreateRejectsUnknownRole) {
  for (const char* role : {"", "Admin", "owner", "viewer "}) {
    Result<RoleAssignment> assignment = Assign(bob_, europe_, role);
    EXPECT_EQ(assignment.status().code(), ErrorCode::kInvalidArgument) << role;
    EXPECT_EQ(assignment.status().field(), "/role") << role;
  }
}

TEST_F(RoleAssignmentsTest, CreateRejectsOtherOrganization) {
  Result<RoleAssignment> foreign_user = Assign(globex_.admin.id, europe_, "viewer");
  EXPECT_EQ(foreign_user.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(foreign_user.status().field(), "/user_id");

  Result<RoleAssignment> foreign_entity = Assign(bob_, globex_.root_entity.id, "viewer");
  EXPECT_EQ(foreign_entity.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(foreign_entity.status().field(), "/entity_id");
}

TEST_F(RoleAssignmentsTest, CreateRejectsDeactivatedUser) {
  ASSERT_TRUE(db().Write([&](store::Transaction& tx) {
                    return DeactivateUser(tx, clock_, acme_id(), bob_).status();
                  })
                  .ok());
  Result<RoleAssignment> assignment = Assign(bob_, europe_, "viewer");
  EXPECT_EQ(assignment.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(assignment.status().field(), "/user_id");
}

TEST_F(RoleAssignmentsTest, OneRolePerUserAndEntity) {
  ASSERT_TRUE(Assign(bob_, europe_, "viewer").ok());
  EXPECT_EQ(Assign(bob_, europe_, "admin").status().code(), ErrorCode::kConflict);
  EXPECT_TRUE(Assign(bob_, acme_.root_entity.id, "viewer").ok());
}

TEST_F(RoleAssignmentsTest, DeleteRemovesRole) {
  Result<RoleAssignment> assignment = Assign(bob_, europe_, "manager");
  ASSERT_TRUE(assignment.ok());
  ASSERT_TRUE(Delete(assignment->id).ok());
  EXPECT_EQ(EffectiveRoleOf(bob_, europe_), std::nullopt);
  EXPECT_EQ(Delete(assignment->id).code(), ErrorCode::kNotFound);
}

TEST_F(RoleAssignmentsTest, DeleteOtherOrganizationIsNotFound) {
  Status status = Delete(globex_.admin_role.id);
  EXPECT_EQ(status.code(), ErrorCode::kNotFound);
  EXPECT_EQ(status.message(), authz::NotFoundError().message());
}

TEST_F(RoleAssignmentsTest, LastRootAdminRoleStays) {
  EXPECT_EQ(Delete(acme_.admin_role.id).code(), ErrorCode::kConflict);

  ASSERT_TRUE(Assign(bob_, acme_.root_entity.id, "admin").ok());
  EXPECT_TRUE(Delete(acme_.admin_role.id).ok());
}

TEST_F(RoleAssignmentsTest, AdminBelowRootDoesNotCount) {
  ASSERT_TRUE(Assign(bob_, europe_, "admin").ok());
  EXPECT_EQ(Delete(acme_.admin_role.id).code(), ErrorCode::kConflict);
}

TEST_F(RoleAssignmentsTest, ListFiltersByUser) {
  ASSERT_TRUE(Assign(bob_, europe_, "viewer").ok());
  ASSERT_TRUE(Assign(bob_, acme_.root_entity.id, "viewer").ok());

  Result<RoleAssignmentPage> all =
      store::ReadReturning<RoleAssignmentPage>(db(), [&](store::Transaction& tx) {
        return ListRoleAssignments(tx, acme_id(), std::nullopt, std::nullopt, 50);
      });
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->assignments.size(), 3u);

  Result<RoleAssignmentPage> bobs =
      store::ReadReturning<RoleAssignmentPage>(db(), [&](store::Transaction& tx) {
        return ListRoleAssignments(tx, acme_id(), bob_, std::nullopt, 1);
      });
  ASSERT_TRUE(bobs.ok());
  ASSERT_EQ(bobs->assignments.size(), 1u);
  EXPECT_EQ(bobs->assignments[0].user_id, bob_);
  EXPECT_EQ(bobs->assignments[0].entity_id, acme_.root_entity.id);
  EXPECT_TRUE(bobs->next_after.has_value());
  EXPECT_EQ(bobs->next_after, bobs->assignments[0].id);
}

TEST_F(RoleAssignmentsTest, ListRejectsCursorOutsideFilter) {
  ASSERT_TRUE(Assign(bob_, europe_, "viewer").ok());
  for (const std::string& after : {acme_.admin_role.id, globex_.admin_role.id}) {
    Result<RoleAssignmentPage> page =
        store::ReadReturning<RoleAssignmentPage>(db(), [&](store::Transaction& tx) {
          return ListRoleAssignments(tx, acme_id(), bob_, after, 50);
        });
    EXPECT_EQ(page.status().code(), ErrorCode::kInvalidArgument) << after;
    EXPECT_EQ(page.status().message(), store::InvalidCursorError().message()) << after;
  }
}

}  // namespace
}  // namespace custody::identity
