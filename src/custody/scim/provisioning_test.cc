#include "custody/scim/provisioning.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "custody/authz/authorize.h"
#include "custody/identity/role_assignments.h"
#include "custody/identity/sign_in.h"
#include "custody/identity/test_org.h"
#include "custody/identity/tokens.h"
#include "custody/identity/users.h"
#include "custody/scim/errors.h"
#include "custody/scim/group_mappings.h"
#include "custody/scim/schemas.h"

namespace custody::scim {
namespace {

using nlohmann::json;

constexpr std::string_view kBase = "https://custody.example/scim/v2";

class ProvisioningTest : public identity::testing::OrgTest {
 protected:
  ChangeContext Context(const std::string& organization_id) {
    ChangeContext context;
    context.organization_id = organization_id;
    context.actor = "sct_AAAAAAAAAAAAAAAAAAAAAA";
    context.request_id = "req-1";
    context.source = "127.0.0.1:1";
    return context;
  }

  // Runs `function(tx, context)` in a write transaction for Acme.
  template <typename Function>
  Result<json> Write(Function&& function, const std::string* organization_id = nullptr) {
    ChangeContext context = Context(organization_id == nullptr ? acme_id() : *organization_id);
    Result<json> result = store::WriteReturning<json>(
        db(), [&](store::Transaction& tx) { return function(tx, context); });
    last_deactivated_ = context.deactivated_user_ids;
    return result;
  }

  Result<json> CreateUserFrom(const std::string& body) {
    Result<json> normalized = NormalizeResource(ResourceKind::kUser, json::parse(body));
    if (!normalized.ok()) {
      return normalized.status();
    }
    return Write([&](store::Transaction& tx, ChangeContext& context) {
      return CreateUser(tx, clock_, context, *normalized, kBase);
    });
  }

  Result<json> CreateGroupFrom(const json& body) {
    Result<json> normalized = NormalizeResource(ResourceKind::kGroup, body);
    if (!normalized.ok()) {
      return normalized.status();
    }
    return Write([&](store::Transaction& tx, ChangeContext& context) {
      return CreateGroup(tx, clock_, context, *normalized, kBase);
    });
  }

  Result<json> Patch(ResourceKind kind, const std::string& id, const std::string& operations,
                     std::optional<std::string> if_match = std::nullopt) {
    const json request = {{"schemas", {std::string(kPatchOpSchema)}},
                          {"Operations", json::parse(operations)}};
    return Write([&](store::Transaction& tx, ChangeContext& context) {
      return kind == ResourceKind::kUser
                 ? PatchUser(tx, clock_, context, id, request, if_match, kBase)
                 : PatchGroup(tx, clock_, context, id, request, if_match, kBase);
    });
  }

  Result<json> List(std::string_view filter, int start_index = 1, int count = 200) {
    ListQuery query;
    query.start_index = start_index;
    query.count = count;
    if (!filter.empty()) {
      Result<Filter> parsed = ParseFilter(filter);
      if (!parsed.ok()) {
        return parsed.status();
      }
      query.filter = std::move(parsed).value();
    }
    return store::ReadReturning<json>(
        db(), [&](store::Transaction& tx) { return ListUsers(tx, acme_id(), query, kBase); });
  }

  Result<identity::User> CustodyUser(const std::string& user_id) {
    return store::ReadReturning<identity::User>(
        db(), [&](store::Transaction& tx) { return identity::GetUser(tx, acme_id(), user_id); });
  }

  Result<std::vector<identity::RoleAssignment>> Assignments(const std::string& user_id) {
    return store::ReadReturning<std::vector<identity::RoleAssignment>>(
        db(), [&](store::Transaction& tx) -> Result<std::vector<identity::RoleAssignment>> {
          CUSTODY_ASSIGN_OR_RETURN(
              identity::RoleAssignmentPage page,
              identity::ListRoleAssignments(tx, acme_id(), user_id, std::nullopt, 200));
          return page.assignments;
        });
  }

  Result<GroupMapping> Map(const std::string& group_id, const std::string& entity_id,
                           std::string_view role) {
    return store::WriteReturning<GroupMapping>(db(), [&](store::Transaction& tx) {
      ChangeContext context = Context(acme_id());
      context.actor = acme_.admin.id;
      return CreateGroupMapping(tx, clock_, context, group_id, entity_id, role);
    });
  }

  std::vector<std::string> last_deactivated_;
};

TEST_F(ProvisioningTest, CreateUserStoresAttributes) {
  Result<json> user = CreateUserFrom(R"({
    "userName": "Bjensen@Example.com", "externalId": "okta-1", "displayName": "Babs Jensen",
    "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "emails": [{"value": "bjensen@example.com", "primary": true}]})");
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  EXPECT_EQ(user->at("userName"), "Bjensen@Example.com");
  EXPECT_EQ(user->at("active"), true);
  EXPECT_EQ(user->at("meta").at("version"), "W/\"1\"");
  EXPECT_EQ(user->at("meta").at("location"),
            std::string(kBase) + "/Users/" + user->at("id").get<std::string>());

  Result<identity::User> custody_user = CustodyUser(user->at("id"));
  ASSERT_TRUE(custody_user.ok());
  EXPECT_EQ(custody_user->email, "bjensen@example.com");
  EXPECT_EQ(custody_user->display_name, "Babs Jensen");
}

TEST_F(ProvisioningTest, NonEmailUserNameGetsPlaceholderEmail) {
  Result<json> user = CreateUserFrom(R"({"userName": "UserName123"})");
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  Result<identity::User> custody_user = CustodyUser(user->at("id"));
  ASSERT_TRUE(custody_user.ok());
  EXPECT_TRUE(custody_user->email.ends_with("@scim.invalid")) << custody_user->email;
  EXPECT_EQ(custody_user->display_name, "UserName123");
}

TEST_F(ProvisioningTest, UserNameIsUniqueIgnoringCase) {
  ASSERT_TRUE(CreateUserFrom(R"({"userName": "emp3"})").ok());
  Result<json> again = CreateUserFrom(R"({"userName": " EMP3 "})");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), ErrorCode::kConflict);
  EXPECT_EQ(again.status().field(), kUniqueness);
}

TEST_F(ProvisioningTest, UserNameOfUnmanagedUserConflicts) {
  Result<json> user = CreateUserFrom(R"({"userName": "admin@acme.example"})");
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.status().field(), kUniqueness);
}

TEST_F(ProvisioningTest, ListShowsOnlyScimUsers) {
  ASSERT_TRUE(CreateUserFrom(R"({"userName": "a@acme.example"})").ok());
  Result<json> list = List("");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->at("totalResults"), 1);
  EXPECT_EQ(list->at("Resources")[0].at("userName"), "a@acme.example");
}

TEST_F(ProvisioningTest, ListFiltersAndPages) {
  for (const char* name : {"OMalley", "emp1", "emp2", "emp3"}) {
    ASSERT_TRUE(CreateUserFrom(std::string(R"({"userName": ")") + name +
                               R"(", "name": {"familyName": "Employee"}})")
                    .ok());
  }
  Result<json> by_name = List(R"(userName eq "OMALLEY")");
  ASSERT_TRUE(by_name.ok()) << by_name.status().ToString();
  EXPECT_EQ(by_name->at("totalResults"), 1);

  Result<json> starts = List("userName sw emp");
  ASSERT_TRUE(starts.ok());
  EXPECT_EQ(starts->at("totalResults"), 3);

  Result<json> page = List("name.familyName eq Employee", 2, 2);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->at("totalResults"), 4);
  ASSERT_EQ(page->at("Resources").size(), 2u);
  EXPECT_EQ(page->at("Resources")[0].at("userName"), "emp1");

  Result<json> unpaged = List("", 4, 10);
  ASSERT_TRUE(unpaged.ok());
  EXPECT_EQ(unpaged->at("totalResults"), 4);
  ASSERT_EQ(unpaged->at("Resources").size(), 1u);
  EXPECT_EQ(unpaged->at("Resources")[0].at("userName"), "emp3");

  Result<json> none = List("", 1, 0);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->at("totalResults"), 4);
  EXPECT_TRUE(none->at("Resources").empty());
}

TEST_F(ProvisioningTest, PatchDeactivationRevokesAccess) {
  Result<json> user = CreateUserFrom(R"({"userName": "bob@acme.example"})");
  ASSERT_TRUE(user.ok());
  const std::string id = user->at("id");
  Result<identity::CreatedToken> token =
      store::WriteReturning<identity::CreatedToken>(db(), [&](store::Transaction& tx) {
        return identity::CreateToken(tx, clock_, acme_id(), id, "cli", id);
      });
  ASSERT_TRUE(token.ok());

  Result<json> patched =
      Patch(ResourceKind::kUser, id, R"([{"op": "Replace", "path": "active", "value": "False"}])");
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  EXPECT_EQ(patched->at("active"), false);
  EXPECT_EQ(last_deactivated_, std::vector<std::string>{id});

  Result<authz::Principal> principal =
      store::ReadReturning<authz::Principal>(db(), [&](store::Transaction& tx) {
        return identity::AuthenticateToken(tx, token->value.Reveal());
      });
  EXPECT_EQ(principal.status().code(), ErrorCode::kUnauthenticated);

  Result<json> reactivated =
      Patch(ResourceKind::kUser, id, R"([{"op": "replace", "value": {"active": true}}])");
  ASSERT_TRUE(reactivated.ok()) << reactivated.status().ToString();
  EXPECT_EQ(reactivated->at("active"), true);
  EXPECT_TRUE(CustodyUser(id)->active);
}

TEST_F(ProvisioningTest, PatchChecksIfMatch) {
  Result<json> user = CreateUserFrom(R"({"userName": "bob@acme.example"})");
  ASSERT_TRUE(user.ok());
  const std::string id = user->at("id");
  Result<json> stale = Patch(ResourceKind::kUser, id,
                             R"([{"op": "replace", "path": "title", "value": "x"}])", "W/\"7\"");
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(ToScimError(stale.status()).http_status, 412);

  Result<json> current = Patch(ResourceKind::kUser, id,
                               R"([{"op": "replace", "path": "title", "value": "x"}])", "W/\"1\"");
  ASSERT_TRUE(current.ok()) << current.status().ToString();
  EXPECT_EQ(current->at("meta").at("version"), "W/\"2\"");
}

TEST_F(ProvisioningTest, PatchUserNameChangesEmail) {
  Result<json> user = CreateUserFrom(R"({"userName": "bob@acme.example"})");
  ASSERT_TRUE(user.ok());
  const std::string id = user->at("id");
  ASSERT_TRUE(Patch(ResourceKind::kUser, id,
                    R"([{"op": "replace", "path": "userName", "value": "robert@acme.example"}])")
                  .ok());
  EXPECT_EQ(CustodyUser(id)->email, "robert@acme.example");
  ASSERT_TRUE(
      Patch(ResourceKind::kUser, id, R"([{"op": "replace", "path": "userName", "value": "rob"}])")
          .ok());
  EXPECT_TRUE(CustodyUser(id)->email.ends_with("@scim.invalid"));
}

TEST_F(ProvisioningTest, DeleteKeepsUserAndFreesUserName) {
  Result<json> user = CreateUserFrom(R"({"userName": "bob@acme.example"})");
  ASSERT_TRUE(user.ok());
  const std::string id = user->at("id");
  Result<json> deleted = Write([&](store::Transaction& tx, ChangeContext& context) -> Result<json> {
    CUSTODY_RETURN_IF_ERROR(DeleteUser(tx, clock_, context, id, std::nullopt));
    return json::object();
  });
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(last_deactivated_, std::vector<std::string>{id});

  Result<json> read = store::ReadReturning<json>(
      db(), [&](store::Transaction& tx) { return GetUser(tx, acme_id(), id, kBase); });
  EXPECT_EQ(read.status().code(), ErrorCode::kNotFound);
  Result<identity::User> kept = CustodyUser(id);
  ASSERT_TRUE(kept.ok());
  EXPECT_FALSE(kept->active);

  Result<json> again = CreateUserFrom(R"({"userName": "bob@acme.example"})");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_NE(again->at("id"), id);
}

TEST_F(ProvisioningTest, OtherOrganizationsUsersAreNotFound) {
  Result<json> user = CreateUserFrom(R"({"userName": "bob@acme.example"})");
  ASSERT_TRUE(user.ok());
  const std::string id = user->at("id");
  Result<json> read = store::ReadReturning<json>(
      db(), [&](store::Transaction& tx) { return GetUser(tx, globex_id(), id, kBase); });
  EXPECT_EQ(read.status().code(), ErrorCode::kNotFound);
  const std::string globex = globex_id();
  Result<json> patched = Write(
      [&](store::Transaction& tx, ChangeContext& context) {
        const json request = {
            {"Operations",
             json::parse(R"([{"op": "replace", "path": "active", "value": false}])")}};
        return PatchUser(tx, clock_, context, id, request, std::nullopt, kBase);
      },
      &globex);
  EXPECT_EQ(patched.status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(CustodyUser(id)->active);
}

TEST_F(ProvisioningTest, GroupMembershipGrantsMappedRole) {
  Result<json> user = CreateUserFrom(R"({"userName": "bob@acme.example"})");
  ASSERT_TRUE(user.ok());
  const std::string user_id = user->at("id");
  Result<json> group = CreateGroupFrom({{"displayName", "Auditors"}});
  ASSERT_TRUE(group.ok()) << group.status().ToString();
  const std::string group_id = group->at("id");
  const std::string root = acme_.organization.root_entity_id;
  ASSERT_TRUE(Map(group_id, root, "auditor").ok());
  EXPECT_TRUE(Assignments(user_id)->empty());

  ASSERT_TRUE(
      Patch(ResourceKind::kGroup, group_id,
            R"([{"op": "add", "path": "members", "value": [{"value": ")" + user_id + R"("}]}])")
          .ok());
  Result<std::vector<identity::RoleAssignment>> granted = Assignments(user_id);
  ASSERT_TRUE(granted.ok());
  ASSERT_EQ(granted->size(), 1u);
  EXPECT_EQ((*granted)[0].role, authz::Role::kAuditor);
  EXPECT_EQ((*granted)[0].entity_id, root);

  ASSERT_TRUE(Patch(ResourceKind::kGroup, group_id,
                    R"([{"op": "remove", "path": "members[value eq \")" + user_id + R"(\"]"}])")
                  .ok());
  EXPECT_TRUE(Assignments(user_id)->empty());
}

TEST_F(ProvisioningTest, HighestMappedRoleWins) {
  Result<json> user = CreateUserFrom(R"({"userName": "bob@acme.example"})");
  ASSERT_TRUE(user.ok());
  const std::string user_id = user->at("id");
  const std::string root = acme_.organization.root_entity_id;
  const json members = json::array({{{"value", user_id}}});
  Result<json> viewers = CreateGroupFrom({{"displayName", "Viewers"}, {"members", members}});
  Result<json> managers = CreateGroupFrom({{"displayName", "Managers"}});
  ASSERT_TRUE(viewers.ok());
  ASSERT_TRUE(managers.ok());
  ASSERT_TRUE(Map(viewers->at("id"), root, "viewer").ok());
  ASSERT_TRUE(Map(managers->at("id"), root, "manager").ok());
  EXPECT_EQ(Assignments(user_id)->at(0).role, authz::Role::kViewer);

  ASSERT_TRUE(Patch(ResourceKind::kGroup, managers->at("id"),
                    R"([{"op": "add", "path": "members", "value": ")" + user_id + R"("}])")
                  .ok());
  Result<std::vector<identity::RoleAssignment>> granted = Assignments(user_id);
  ASSERT_EQ(granted->size(), 1u);
  EXPECT_EQ(granted->at(0).role, authz::Role::kManager);

  Result<json> deleted = Write([&](store::Transaction& tx, ChangeContext& context) -> Result<json> {
    CUSTODY_RETURN_IF_ERROR(
        DeleteGroup(tx, clock_, context, managers->at("id").get<std::string>(), std::nullopt));
    return json::object();
  });
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(Assignments(user_id)->at(0).role, authz::Role::kViewer);
}

TEST_F(ProvisioningTest, ManualAssignmentIsLeftAlone) {
  Result<json> user = CreateUserFrom(R"({"userName": "bob@acme.example"})");
  ASSERT_TRUE(user.ok());
  const std::string user_id = user->at("id");
  const std::string root = acme_.organization.root_entity_id;
  ASSERT_TRUE(store::WriteReturning<identity::RoleAssignment>(db(), [&](store::Transaction& tx) {
                return identity::CreateRoleAssignment(tx, clock_, acme_id(), user_id, root,
                                                      "contributor", acme_.admin.id);
              }).ok());
  Result<json> group =
      CreateGroupFrom({{"displayName", "Viewers"}, {"members", {{{"value", user_id}}}}});
  ASSERT_TRUE(group.ok());
  ASSERT_TRUE(Map(group->at("id"), root, "viewer").ok());
  ASSERT_TRUE(
      Patch(ResourceKind::kGroup, group->at("id"), R"([{"op": "remove", "path": "members"}])")
          .ok());
  Result<std::vector<identity::RoleAssignment>> assignments = Assignments(user_id);
  ASSERT_EQ(assignments->size(), 1u);
  EXPECT_EQ(assignments->at(0).role, authz::Role::kContributor);
}

TEST_F(ProvisioningTest, UnknownAndForeignMembersAreIgnored) {
  const std::string globex = globex_id();
  Result<json> foreign = [&] {
    Result<json> normalized =
        NormalizeResource(ResourceKind::kUser, json::parse(R"({"userName": "eve"})"));
    return Write(
        [&](store::Transaction& tx, ChangeContext& context) {
          return CreateUser(tx, clock_, context, *normalized, kBase);
        },
        &globex);
  }();
  ASSERT_TRUE(foreign.ok()) << foreign.status().ToString();
  Result<json> group =
      CreateGroupFrom({{"displayName", "G"},
                       {"members", {{{"value", foreign->at("id")}}, {{"value", "string id 1"}}}}});
  ASSERT_TRUE(group.ok()) << group.status().ToString();
  EXPECT_TRUE(group->at("members").empty());
}

TEST_F(ProvisioningTest, DeprovisionedUserCannotSignIn) {
  Result<json> user = CreateUserFrom(R"({"userName": "bob@acme.example"})");
  ASSERT_TRUE(user.ok());
  const std::string id = user->at("id");
  identity::SsoPolicy policy;
  policy.organization_id = acme_id();
  policy.link_by = identity::LinkBy::kEmail;
  policy.jit_provisioning = true;
  identity::VerifiedSignIn sign_in;
  sign_in.organization_id = acme_id();
  sign_in.method = std::string(identity::kMethodOidc);
  sign_in.issuer = "https://idp.example";
  sign_in.subject = "subject-bob";
  sign_in.email = "bob@acme.example";
  auto sign_in_reason = [&] {
    std::string reason;
    Result<identity::NewSession> session = identity::CompleteSignIn(
        db(), policy, sign_in, identity::RequestInfo{"req-sign-in", "127.0.0.1:2"}, clock_,
        &reason);
    return session.ok() ? std::string("signed in") : reason;
  };

  ASSERT_TRUE(
      Patch(ResourceKind::kUser, id, R"([{"op": "replace", "path": "active", "value": false}])")
          .ok());
  EXPECT_EQ(sign_in_reason(), identity::kReasonSignInUserDeactivated);

  Result<json> deleted = Write([&](store::Transaction& tx, ChangeContext& context) -> Result<json> {
    CUSTODY_RETURN_IF_ERROR(DeleteUser(tx, clock_, context, id, std::nullopt));
    return json::object();
  });
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  // The deleted user keeps the e-mail, so just-in-time provisioning makes no new account.
  sign_in.subject = "subject-other";
  EXPECT_EQ(sign_in_reason(), identity::kReasonSignInUserDeactivated);
}

TEST_F(ProvisioningTest, ChangesRecordBeforeAndAfter) {
  Result<json> user = CreateUserFrom(R"({"userName": "bob@acme.example", "title": "Clerk"})");
  ASSERT_TRUE(user.ok());
  const std::string id = user->at("id");
  ASSERT_TRUE(
      Patch(ResourceKind::kUser, id, R"([{"op": "replace", "path": "title", "value": "Boss"}])")
          .ok());
  Result<std::vector<std::string>> rows = store::ReadReturning<std::vector<std::string>>(
      db(), [&](store::Transaction& tx) -> Result<std::vector<std::string>> {
        CUSTODY_ASSIGN_OR_RETURN(
            std::vector<store::Row> found,
            tx.Query("SELECT changes FROM scim_changes WHERE resource = ? AND action = ?",
                     {"user/" + id, std::string(kActionUserPatch)}));
        std::vector<std::string> changes;
        for (const store::Row& row : found) {
          changes.push_back(row.Text(0));
        }
        return changes;
      });
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(json::parse(rows->at(0)),
            json::parse(R"([{"attribute": "title", "before": "Clerk", "after": "Boss"}])"));
}

}  // namespace
}  // namespace custody::scim
