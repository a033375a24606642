#include "custody/authz/entities.h"

#include <gtest/gtest.h>

#include "custody/authz/authorize.h"
#include "custody/authz/test_tree.h"
#include "custody/store/ids.h"
#include "custody/store/page_cursor.h"

namespace custody::authz {
namespace {

class EntitiesTest : public testing::TreeTest {
 protected:
  Result<Entity> Create(const std::string& organization_id, const std::string& parent,
                        const std::string& kind, const std::string& name) {
    return store::WriteReturning<Entity>(db(), [&](store::Transaction& tx) {
      return CreateEntity(tx, clock_, organization_id, parent, kind, name);
    });
  }

  Result<Entity> Get(const std::string& organization_id, const std::string& id) {
    return store::ReadReturning<Entity>(
        db(), [&](store::Transaction& tx) { return GetEntity(tx, organization_id, id); });
  }

  Result<EntityPage> List(const std::string& user, std::optional<std::string> after, int limit) {
    return store::ReadReturning<EntityPage>(db(), [&](store::Transaction& tx) {
      return ListEntitiesInScope(tx, "org_A", user, Action::kReadEntity, after, limit);
    });
  }
};

TEST_F(EntitiesTest, CreateStoresEverything) {
  Result<Entity> created = Create("org_A", s1, "audit_engagement", "SOC 2 Type II 2026");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(store::IsWellFormedId(created->id, store::kEntityIdPrefix));

  Result<Entity> loaded = Get("org_A", created->id);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->organization_id, "org_A");
  EXPECT_EQ(loaded->parent_id, s1);
  EXPECT_EQ(loaded->kind, EntityKind::kAuditEngagement);
  EXPECT_EQ(loaded->name, "SOC 2 Type II 2026");
  EXPECT_EQ(loaded->created_at, clock_.Now());
}

TEST_F(EntitiesTest, CreateValidatesKindAndName) {
  Result<Entity> bad_kind = Create("org_A", s1, "department", "X");
  EXPECT_EQ(bad_kind.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad_kind.status().field(), "/kind");

  for (const std::string& name : {std::string(), std::string(201, 'x'), std::string("a\nb")}) {
    Result<Entity> bad_name = Create("org_A", s1, "subsidiary", name);
    EXPECT_EQ(bad_name.status().code(), ErrorCode::kInvalidArgument) << name;
    EXPECT_EQ(bad_name.status().field(), "/name") << name;
  }
  EXPECT_TRUE(Create("org_A", s1, "subsidiary", std::string(200, 'x')).ok());
}

TEST_F(EntitiesTest, ParentMustExistInSameOrganization) {
  Result<Entity> other_org = Create("org_A", s_b, "subsidiary", "X");
  EXPECT_EQ(other_org.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(other_org.status().message(), NotFoundError().message());

  Result<Entity> missing = Create("org_A", "ent_missing", "subsidiary", "X");
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
}

TEST_F(EntitiesTest, GetIsScopedToOrganization) {
  EXPECT_TRUE(Get("org_B", s_b).ok());
  Result<Entity> other = Get("org_A", s_b);
  EXPECT_EQ(other.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(other.status().message(), NotFoundError().message());
}

TEST_F(EntitiesTest, RootEntity) {
  Result<Entity> found = store::ReadReturning<Entity>(
      db(), [](store::Transaction& tx) { return GetRootEntity(tx, "org_A"); });
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->id, root);
  EXPECT_EQ(found->parent_id, std::nullopt);
  EXPECT_EQ(found->kind, EntityKind::kBusinessUnit);

  Result<Entity> second = store::WriteReturning<Entity>(db(), [&](store::Transaction& tx) {
    return CreateRootEntity(tx, clock_, "org_A", "Another root");
  });
  EXPECT_EQ(second.status().code(), ErrorCode::kConflict);
}

TEST_F(EntitiesTest, ListPagesNewestFirst) {
  std::vector<std::string> seen;
  std::optional<std::string> after;
  int pages = 0;
  do {
    Result<EntityPage> page = List("alice", after, 2);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const Entity& entity : page->entities) {
      seen.push_back(entity.id);
    }
    after = page->next_after;
    ++pages;
  } while (after.has_value() && pages < 10);

  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{e2, s2, e1, s1, root}));
}

TEST_F(EntitiesTest, ListCursorIsLastEntityId) {
  Result<EntityPage> first = List("alice", std::nullopt, 2);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->next_after, s2);
}

TEST_F(EntitiesTest, ListRejectsCursorOutsideScope) {
  // Another organization's entity, an entity outside bob's scope, and an unknown id must all
  // fail the same way, so that a cursor cannot probe for ids.
  for (const std::string& after : {s_b, e2, root, std::string("ent_missing")}) {
    Result<EntityPage> page = List("bob", after, 2);
    EXPECT_EQ(page.status().code(), ErrorCode::kInvalidArgument) << after;
    EXPECT_EQ(page.status().message(), store::InvalidCursorError().message()) << after;
    EXPECT_EQ(page.status().field(), "after") << after;
  }
  Result<EntityPage> in_scope = List("bob", e1, 2);
  ASSERT_TRUE(in_scope.ok()) << in_scope.status().ToString();
  ASSERT_EQ(in_scope->entities.size(), 1u);
  EXPECT_EQ(in_scope->entities[0].id, s1);
}

TEST_F(EntitiesTest, ListShowsOnlyScope) {
  Result<EntityPage> bob = List("bob", std::nullopt, 50);
  ASSERT_TRUE(bob.ok());
  ASSERT_EQ(bob->entities.size(), 2u);
  EXPECT_EQ(bob->entities[0].id, e1);
  EXPECT_EQ(bob->entities[1].id, s1);
  EXPECT_EQ(bob->next_after, std::nullopt);

  Result<EntityPage> erin = List("erin", std::nullopt, 50);
  ASSERT_TRUE(erin.ok());
  EXPECT_TRUE(erin->entities.empty());
}

TEST_F(EntitiesTest, ListRejectsBadLimit) {
  EXPECT_EQ(List("alice", std::nullopt, 0).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(List("alice", std::nullopt, 201).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace custody::authz
