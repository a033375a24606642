// Checks that the version 1 schema itself rejects rows the domain code must never write, so
// that a bug in a repository cannot break the invariants the data model promises.
#include "custody/store/schema.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "custody/store/testing.h"

namespace custody::store {
namespace {

Status RunSql(Database& db, std::string_view sql, std::vector<Param> params = {}) {
  return db.Write([&](Transaction& tx) { return tx.Execute(sql, params).status(); });
}

Status CreateOrganization(Database& db, const std::string& org, const std::string& root) {
  return db.Write([&](Transaction& tx) -> Status {
    CUSTODY_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO organizations (id, name, created_at, root_entity_id) "
                   "VALUES (?, 'Org', 0, ?)",
                   {org, root})
            .status());
    return tx
        .Execute(
            "INSERT INTO entities (id, organization_id, parent_id, kind, name, created_at) "
            "VALUES (?, ?, NULL, 'business_unit', 'Org', 0)",
            {root, org})
        .status();
  });
}

Status CreateEntity(Database& db, const std::string& org, const std::string& id,
                    const std::string& parent, const std::string& kind = "subsidiary") {
  return RunSql(db,
                "INSERT INTO entities (id, organization_id, parent_id, kind, name, created_at) "
                "VALUES (?, ?, ?, ?, 'Child', 0)",
                {id, org, parent, kind});
}

Status CreateUser(Database& db, const std::string& org, const std::string& id,
                  const std::string& email) {
  return RunSql(db,
                "INSERT INTO users (id, organization_id, email, display_name, created_at) "
                "VALUES (?, ?, ?, 'Name', 0)",
                {id, org, email});
}

class SchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(CreateOrganization(db(), "org_a", "ent_a").ok());
    ASSERT_TRUE(CreateOrganization(db(), "org_b", "ent_b").ok());
  }

  Database& db() { return temp_.db(); }

  Status CreateVersion(const std::string& id, int number) {
    return RunSql(db(),
                  "INSERT INTO evidence_versions (id, organization_id, evidence_id, number, "
                  "file_name, media_type, size, sha256, md5, object_key, status, created_at, "
                  "created_by) VALUES (?, 'org_a', 'evd_1', ?, 'f.pdf', 'application/pdf', 10, ?, "
                  "?, ?, 'pending', 0, 'usr_1')",
                  {id, number, std::string(64, 'a'), std::string(32, 'b'), "key/" + id});
  }

  TempDatabase temp_;
};

TEST_F(SchemaTest, AppliesEveryMigration) {
  EXPECT_EQ(db().schema_version(), CustodyMigrations().back().version);
}

TEST(SchemaMigrationsTest, VersionsAreContiguousFromOne) {
  int expected = 1;
  for (const Migration& migration : CustodyMigrations()) {
    EXPECT_EQ(migration.version, expected) << migration.name;
    ++expected;
  }
}

TEST_F(SchemaTest, OrganizationNeedsItsRootEntity) {
  Status status = RunSql(db(),
                         "INSERT INTO organizations (id, name, created_at, root_entity_id) "
                         "VALUES ('org_c', 'C', 0, 'ent_missing')");
  EXPECT_FALSE(status.ok());
  // The root entity of another organization does not qualify either.
  status = RunSql(db(),
                  "INSERT INTO organizations (id, name, created_at, root_entity_id) "
                  "VALUES ('org_c', 'C', 0, 'ent_a')");
  EXPECT_FALSE(status.ok());
}

TEST_F(SchemaTest, EntityParentMustBeInSameOrganization) {
  EXPECT_TRUE(CreateEntity(db(), "org_a", "ent_a1", "ent_a").ok());
  EXPECT_FALSE(CreateEntity(db(), "org_b", "ent_b1", "ent_a").ok());
  EXPECT_FALSE(CreateEntity(db(), "org_a", "ent_a2", "ent_nowhere").ok());
}

TEST_F(SchemaTest, OneRootPerOrganization) {
  Status status = RunSql(db(),
                         "INSERT INTO entities (id, organization_id, parent_id, kind, name, "
                         "created_at) VALUES ('ent_a9', 'org_a', NULL, 'business_unit', 'X', 0)");
  EXPECT_EQ(status.code(), ErrorCode::kConflict);
}

TEST_F(SchemaTest, EntityKindIsChecked) {
  EXPECT_FALSE(CreateEntity(db(), "org_a", "ent_a1", "ent_a", "department").ok());
  EXPECT_TRUE(CreateEntity(db(), "org_a", "ent_a1", "ent_a", "audit_engagement").ok());
}

TEST_F(SchemaTest, UserEmailIsLowercaseAndUniquePerOrganization) {
  EXPECT_FALSE(CreateUser(db(), "org_a", "usr_1", "Ann@example.com").ok());
  EXPECT_TRUE(CreateUser(db(), "org_a", "usr_1", "ann@example.com").ok());
  EXPECT_EQ(CreateUser(db(), "org_a", "usr_2", "ann@example.com").code(), ErrorCode::kConflict);
  EXPECT_TRUE(CreateUser(db(), "org_b", "usr_3", "ann@example.com").ok());
}

TEST_F(SchemaTest, RoleAssignmentStaysInOneOrganization) {
  ASSERT_TRUE(CreateUser(db(), "org_a", "usr_1", "ann@example.com").ok());
  const char* sql =
      "INSERT INTO role_assignments (id, organization_id, user_id, entity_id, role, created_at, "
      "created_by) VALUES (?, ?, 'usr_1', ?, ?, 0, 'system')";
  EXPECT_FALSE(RunSql(db(), sql, {"ra_1", "org_a", "ent_b", "admin"}).ok());
  EXPECT_FALSE(RunSql(db(), sql, {"ra_1", "org_b", "ent_b", "admin"}).ok());
  EXPECT_FALSE(RunSql(db(), sql, {"ra_1", "org_a", "ent_a", "owner"}).ok());
  EXPECT_TRUE(RunSql(db(), sql, {"ra_1", "org_a", "ent_a", "admin"}).ok());
  EXPECT_EQ(RunSql(db(), sql, {"ra_2", "org_a", "ent_a", "viewer"}).code(), ErrorCode::kConflict);
}

class EvidenceVersionSchemaTest : public SchemaTest {
 protected:
  void SetUp() override {
    SchemaTest::SetUp();
    ASSERT_TRUE(
        RunSql(db(),
               "INSERT INTO evidence_items (id, organization_id, entity_id, title, "
               "created_at, created_by) VALUES ('evd_1', 'org_a', 'ent_a', 'T', 0, 'usr_1')")
            .ok());
    ASSERT_TRUE(CreateVersion("ver_1", 1).ok());
  }
};

TEST_F(EvidenceVersionSchemaTest, NumberIsUniquePerItem) {
  // evidence_versions_no_replace rejects the duplicate before the UNIQUE constraint does.
  const Status duplicate = CreateVersion("ver_2", 1);
  EXPECT_FALSE(duplicate.ok());
  EXPECT_NE(duplicate.message().find("cannot be replaced"), std::string::npos)
      << duplicate.ToString();
  EXPECT_TRUE(CreateVersion("ver_2", 2).ok());
}

TEST_F(EvidenceVersionSchemaTest, PendingVersionCanBeStored) {
  EXPECT_TRUE(RunSql(db(),
                     "UPDATE evidence_versions SET failure_reason = 'size_mismatch' WHERE id = ?",
                     {"ver_1"})
                  .ok());
  EXPECT_TRUE(RunSql(db(),
                     "UPDATE evidence_versions SET status = 'stored', stored_at = 5, "
                     "failure_reason = NULL WHERE id = ?",
                     {"ver_1"})
                  .ok());
}

TEST_F(EvidenceVersionSchemaTest, StoredNeedsStoredAt) {
  EXPECT_FALSE(
      RunSql(db(), "UPDATE evidence_versions SET status = 'stored' WHERE id = 'ver_1'").ok());
}

TEST_F(EvidenceVersionSchemaTest, StoredVersionNeverChanges) {
  ASSERT_TRUE(RunSql(db(),
                     "UPDATE evidence_versions SET status = 'stored', stored_at = 5 WHERE id = ?",
                     {"ver_1"})
                  .ok());
  EXPECT_FALSE(
      RunSql(db(), "UPDATE evidence_versions SET failure_reason = 'x' WHERE id = 'ver_1'").ok());
  EXPECT_FALSE(RunSql(db(),
                      "UPDATE evidence_versions SET status = 'pending', stored_at = NULL "
                      "WHERE id = 'ver_1'")
                   .ok());
}

TEST_F(EvidenceVersionSchemaTest, DeclaredValuesNeverChange) {
  const char* changes[] = {
      "UPDATE evidence_versions SET sha256 = ? WHERE id = 'ver_1'",
      "UPDATE evidence_versions SET object_key = ? WHERE id = 'ver_1'",
      "UPDATE evidence_versions SET file_name = ? WHERE id = 'ver_1'",
      "UPDATE evidence_versions SET created_by = ? WHERE id = 'ver_1'",
  };
  for (const char* sql : changes) {
    EXPECT_FALSE(RunSql(db(), sql, {std::string(64, 'c')}).ok()) << sql;
  }
  EXPECT_FALSE(RunSql(db(), "UPDATE evidence_versions SET size = 11 WHERE id = 'ver_1'").ok());
}

TEST_F(EvidenceVersionSchemaTest, DeleteDeniedByAuthorizer) {
  Status status = RunSql(db(), "DELETE FROM evidence_versions WHERE id = 'ver_1'");
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("not authorized"), std::string::npos) << status.ToString();
}

TEST_F(EvidenceVersionSchemaTest, DeleteDeniedByTrigger) {
  // A connection without the authorizer, as an operator's sqlite3 shell would be.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(temp_.path().c_str(), &raw), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(raw, "DELETE FROM evidence_versions", nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_NE(std::string(sqlite3_errmsg(raw)).find("cannot be deleted"), std::string::npos);
  ASSERT_EQ(sqlite3_exec(raw, "PRAGMA recursive_triggers=ON", nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_NE(sqlite3_exec(raw,
                         "INSERT OR REPLACE INTO evidence_versions SELECT * FROM "
                         "evidence_versions WHERE id = 'ver_1'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
}

TEST_F(EvidenceVersionSchemaTest, PartChangesDeniedByAuthorizer) {
  ASSERT_TRUE(RunSql(db(),
                     "INSERT INTO evidence_versions (id, organization_id, evidence_id, number, "
                     "file_name, media_type, size, sha256, md5, object_key, status, created_at, "
                     "created_by, upload_id, part_size) VALUES ('ver_m', 'org_a', 'evd_1', 2, "
                     "'m.bin', 'application/pdf', 5242885, ?, ?, 'key/ver_m', 'pending', 0, "
                     "'usr_1', 'up-1', 5242880)",
                     {std::string(64, 'a'), std::string(32, 'b')})
                  .ok());
  ASSERT_TRUE(RunSql(db(),
                     "INSERT INTO evidence_version_parts (version_id, part_number, size, md5) "
                     "VALUES ('ver_m', 1, 5242880, ?), ('ver_m', 2, 5, ?)",
                     {std::string(32, 'c'), std::string(32, 'd')})
                  .ok());
  for (const char* sql :
       {"UPDATE evidence_version_parts SET md5 = md5", "DELETE FROM evidence_version_parts"}) {
    const Status status = RunSql(db(), sql);
    EXPECT_FALSE(status.ok()) << sql;
    EXPECT_NE(status.message().find("not authorized"), std::string::npos) << status.ToString();
  }
}

TEST_F(EvidenceVersionSchemaTest, ReplaceDeniedWithoutRecursiveTriggers) {
  ASSERT_TRUE(RunSql(db(),
                     "INSERT INTO evidence_versions (id, organization_id, evidence_id, number, "
                     "file_name, media_type, size, sha256, md5, object_key, status, created_at, "
                     "created_by, upload_id, part_size) VALUES ('ver_m', 'org_a', 'evd_1', 2, "
                     "'m.bin', 'application/pdf', 5242885, ?, ?, 'key/ver_m', 'pending', 0, "
                     "'usr_1', 'up-1', 5242880)",
                     {std::string(64, 'a'), std::string(32, 'b')})
                  .ok());
  ASSERT_TRUE(RunSql(db(),
                     "INSERT INTO evidence_version_parts (version_id, part_number, size, md5) "
                     "VALUES ('ver_m', 1, 5242880, ?), ('ver_m', 2, 5, ?)",
                     {std::string(32, 'c'), std::string(32, 'd')})
                  .ok());

  // A connection without the authorizer and with recursive_triggers off (SQLite's default), as
  // an operator's sqlite3 shell would be. There the delete half of a REPLACE fires no trigger.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(temp_.path().c_str(), &raw), SQLITE_OK);
  const char* replacements[] = {
      // Another MD5 for a declared part.
      "INSERT OR REPLACE INTO evidence_version_parts (version_id, part_number, size, md5) "
      "VALUES ('ver_m', 1, 5242880, 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee')",
      // Another upload id and part size for the version, by id.
      "INSERT OR REPLACE INTO evidence_versions SELECT seq, id, organization_id, evidence_id, "
      "number, file_name, media_type, size, sha256, md5, object_key, status, failure_reason, "
      "created_at, created_by, stored_at, 'up-2', 6291456 FROM evidence_versions "
      "WHERE id = 'ver_m'",
      // A new version that takes the number of ver_1, which would delete ver_1.
      "INSERT OR REPLACE INTO evidence_versions (id, organization_id, evidence_id, number, "
      "file_name, media_type, size, sha256, md5, object_key, status, created_at, created_by) "
      "SELECT 'ver_x', organization_id, evidence_id, number, file_name, media_type, size, "
      "sha256, md5, 'key/ver_x', status, created_at, created_by FROM evidence_versions "
      "WHERE id = 'ver_1'",
  };
  for (const char* sql : replacements) {
    EXPECT_NE(sqlite3_exec(raw, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sql;
    EXPECT_NE(std::string(sqlite3_errmsg(raw)).find("cannot be replaced"), std::string::npos)
        << sqlite3_errmsg(raw);
  }
  sqlite3_close(raw);

  const Result<std::string> md5 =
      ReadReturning<std::string>(db(), [](Transaction& tx) -> Result<std::string> {
        CUSTODY_ASSIGN_OR_RETURN(
            std::optional<Row> row,
            tx.QueryOne("SELECT md5 FROM evidence_version_parts WHERE version_id = 'ver_m' "
                        "AND part_number = 1"));
        return row->Text(0);
      });
  ASSERT_TRUE(md5.ok()) << md5.status().ToString();
  EXPECT_EQ(*md5, std::string(32, 'c'));
}

}  // namespace
}  // namespace custody::store
