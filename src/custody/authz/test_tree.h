// Test fixture for the authz tests: two organizations, a three-level entity tree in the first,
// and users with roles at different levels. Built with plain SQL, because the identity module
// sits above this one.
//
//   org A: root ─┬─ s1 (subsidiary) ── e1 (audit engagement)
//                └─ s2 (subsidiary) ── e2 (audit engagement)
//   org B: root_b ── s_b
//
//   alice  admin on root          bob    contributor on s1
//   carol  auditor on e1          dave   viewer on s2, manager on e2
//   erin   no role                bert   admin on root_b (org B)
#pragma once

#include <gtest/gtest.h>

#include "custody/authz/entities.h"
#include "custody/authz/principal.h"
#include "custody/store/testing.h"

namespace custody::authz::testing {

class TreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status status = db().Write([&](store::Transaction& tx) -> Status {
      CUSTODY_ASSIGN_OR_RETURN(root, CreateOrganization(tx, "org_A", "Org A"));
      CUSTODY_ASSIGN_OR_RETURN(s1, Child(tx, "org_A", root, "subsidiary", "S1"));
      CUSTODY_ASSIGN_OR_RETURN(e1, Child(tx, "org_A", s1, "audit_engagement", "E1"));
      CUSTODY_ASSIGN_OR_RETURN(s2, Child(tx, "org_A", root, "subsidiary", "S2"));
      CUSTODY_ASSIGN_OR_RETURN(e2, Child(tx, "org_A", s2, "audit_engagement", "E2"));
      CUSTODY_ASSIGN_OR_RETURN(root_b, CreateOrganization(tx, "org_B", "Org B"));
      CUSTODY_ASSIGN_OR_RETURN(s_b, Child(tx, "org_B", root_b, "subsidiary", "SB"));

      for (const char* user : {"alice", "bob", "carol", "dave", "erin"}) {
        CUSTODY_RETURN_IF_ERROR(AddUser(tx, "org_A", user));
      }
      CUSTODY_RETURN_IF_ERROR(AddUser(tx, "org_B", "bert"));
      CUSTODY_RETURN_IF_ERROR(Grant(tx, "org_A", "alice", root, "admin"));
      CUSTODY_RETURN_IF_ERROR(Grant(tx, "org_A", "bob", s1, "contributor"));
      CUSTODY_RETURN_IF_ERROR(Grant(tx, "org_A", "carol", e1, "auditor"));
      CUSTODY_RETURN_IF_ERROR(Grant(tx, "org_A", "dave", s2, "viewer"));
      CUSTODY_RETURN_IF_ERROR(Grant(tx, "org_A", "dave", e2, "manager"));
      return Grant(tx, "org_B", "bert", root_b, "admin");
    });
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  store::Database& db() { return temp_.db(); }

  static Principal Member(const std::string& organization_id, const std::string& user) {
    return Principal{organization_id, user, "tok_test", ""};
  }

  const FixedClock clock_{FromUnixSeconds(1'800'000'000)};
  store::TempDatabase temp_;
  std::string root, s1, e1, s2, e2, root_b, s_b;

 private:
  Result<std::string> CreateOrganization(store::Transaction& tx, const std::string& id,
                                         const std::string& name) {
    CUSTODY_ASSIGN_OR_RETURN(Entity entity, CreateRootEntity(tx, clock_, id, name));
    CUSTODY_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO organizations (id, name, created_at, root_entity_id) "
                   "VALUES (?, ?, 0, ?)",
                   {id, name, entity.id})
            .status());
    return entity.id;
  }

  Result<std::string> Child(store::Transaction& tx, const std::string& organization_id,
                            const std::string& parent, const std::string& kind,
                            const std::string& name) {
    CUSTODY_ASSIGN_OR_RETURN(Entity entity,
                             CreateEntity(tx, clock_, organization_id, parent, kind, name));
    return entity.id;
  }

  static Status AddUser(store::Transaction& tx, const std::string& organization_id,
                        const std::string& user) {
    return tx
        .Execute(
            "INSERT INTO users (id, organization_id, email, display_name, created_at) "
            "VALUES (?, ?, ?, ?, 0)",
            {user, organization_id, user + "@example.com", user})
        .status();
  }

  static Status Grant(store::Transaction& tx, const std::string& organization_id,
                      const std::string& user, const std::string& entity, const std::string& role) {
    return tx
        .Execute(
            "INSERT INTO role_assignments (id, organization_id, user_id, entity_id, role, "
            "created_at, created_by) VALUES (?, ?, ?, ?, ?, 0, 'system')",
            {"ra_" + user + "_" + entity, organization_id, user, entity, role})
        .status();
  }
};

}  // namespace custody::authz::testing
