#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "custody/authz/authorize.h"
#include "custody/authz/test_tree.h"
#include "custody/evidence/aws_connections.h"
#include "custody/evidence/items.h"
#include "custody/evidence/versions.h"
#include "custody/store/page_cursor.h"

namespace custody::evidence {
namespace {

class RepositoryTest : public authz::testing::TreeTest {
 protected:
  EvidenceItem AddItem(const std::string& organization_id, const std::string& entity_id,
                       const std::string& title, const std::string& description = "") {
    Result<EvidenceItem> item =
        store::WriteReturning<EvidenceItem>(db(), [&](store::Transaction& tx) {
          return InsertEvidenceItem(tx, clock_, organization_id, entity_id, title, description,
                                    "bob");
        });
    EXPECT_TRUE(item.ok()) << item.status().ToString();
    return item.ok() ? *item : EvidenceItem{};
  }

  EvidenceVersion AddVersion(const EvidenceItem& item, const std::string& file_name) {
    DeclaredFile file{file_name, 5, std::string(64, 'a'), std::string(32, 'b'), "text/plain"};
    Result<EvidenceVersion> version =
        store::WriteReturning<EvidenceVersion>(db(), [&](store::Transaction& tx) {
          return InsertPendingVersion(tx, clock_, item, file, "evidence/", "bob");
        });
    EXPECT_TRUE(version.ok()) << version.status().ToString();
    return version.ok() ? *version : EvidenceVersion{};
  }

  template <typename T, typename Function>
  Result<T> Read(Function&& function) {
    return store::ReadReturning<T>(db(), std::forward<Function>(function));
  }

  static aws::AwsConnection Settings(const std::string& bucket) {
    aws::AwsConnection settings;
    settings.role_arn = "arn:aws:iam::123456789012:role/CustodyEvidence";
    settings.bucket = bucket;
    settings.region = "eu-west-1";
    settings.kms_key_id = "1234abcd-12ab-34cd-56ef-1234567890ab";
    settings.key_prefix = "evidence/";
    return settings;
  }
};

TEST_F(RepositoryTest, ItemOfOtherOrganizationNotFound) {
  const EvidenceItem item = AddItem("org_A", s1, "Access review");
  ASSERT_TRUE(Read<EvidenceItem>([&](store::Transaction& tx) {
                return GetEvidenceItem(tx, "org_A", item.id);
              }).ok());
  const Result<EvidenceItem> other = Read<EvidenceItem>(
      [&](store::Transaction& tx) { return GetEvidenceItem(tx, "org_B", item.id); });
  EXPECT_EQ(other.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(other.status().message(), authz::NotFoundError().message());
}

TEST_F(RepositoryTest, ItemTitleValidated) {
  const Result<EvidenceItem> item =
      store::WriteReturning<EvidenceItem>(db(), [&](store::Transaction& tx) {
        return InsertEvidenceItem(tx, clock_, "org_A", s1, "two\nlines", "", "bob");
      });
  EXPECT_EQ(item.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(item.status().field(), "/title");
}

TEST_F(RepositoryTest, ItemsPageNewestFirst) {
  std::vector<std::string> created;
  for (int i = 0; i < 5; ++i) {
    created.push_back(AddItem("org_A", s1, "Item " + std::to_string(i)).id);
  }
  AddItem("org_A", s2, "Other entity");

  std::vector<std::string> listed;
  std::optional<std::string> after;
  int pages = 0;
  do {
    const Result<EvidenceItemPage> page = Read<EvidenceItemPage>(
        [&](store::Transaction& tx) { return ListEvidenceItems(tx, "org_A", s1, after, 2); });
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const EvidenceItem& item : page->items) {
      listed.push_back(item.id);
    }
    after = page->next_after;
    ++pages;
  } while (after.has_value());

  EXPECT_EQ(pages, 3);
  const std::vector<std::string> newest_first(created.rbegin(), created.rend());
  EXPECT_EQ(listed, newest_first);
}

TEST_F(RepositoryTest, ItemsCursorMustBeItemOfEntity) {
  const EvidenceItem own = AddItem("org_A", s1, "Own");
  const EvidenceItem other_entity = AddItem("org_A", s2, "Other entity");
  const EvidenceItem other_org = AddItem("org_B", s_b, "Other organization");
  for (const std::string& after : {other_entity.id, other_org.id, std::string("evd_missing")}) {
    const Result<EvidenceItemPage> page = Read<EvidenceItemPage>(
        [&](store::Transaction& tx) { return ListEvidenceItems(tx, "org_A", s1, after, 2); });
    EXPECT_EQ(page.status().code(), ErrorCode::kInvalidArgument) << after;
    EXPECT_EQ(page.status().message(), store::InvalidCursorError().message()) << after;
  }
  const Result<EvidenceItemPage> page = Read<EvidenceItemPage>(
      [&](store::Transaction& tx) { return ListEvidenceItems(tx, "org_A", s1, own.id, 2); });
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_TRUE(page->items.empty());
}

TEST_F(RepositoryTest, PageLimitChecked) {
  for (int limit : {0, kMaxPageSize + 1}) {
    const Result<EvidenceItemPage> page = Read<EvidenceItemPage>([&](store::Transaction& tx) {
      return ListEvidenceItems(tx, "org_A", s1, std::nullopt, limit);
    });
    EXPECT_EQ(page.status().code(), ErrorCode::kInvalidArgument) << limit;
    EXPECT_EQ(page.status().field(), "limit");
  }
}

TEST_F(RepositoryTest, VersionsNumberedPerItem) {
  const EvidenceItem first = AddItem("org_A", s1, "First");
  const EvidenceItem second = AddItem("org_A", s1, "Second");
  EXPECT_EQ(AddVersion(first, "a.txt").number, 1);
  EXPECT_EQ(AddVersion(first, "b.txt").number, 2);
  EXPECT_EQ(AddVersion(second, "c.txt").number, 1);
}

TEST_F(RepositoryTest, VersionKeyDerivedFromIds) {
  const EvidenceItem item = AddItem("org_A", e1, "Keyed");
  const EvidenceVersion version = AddVersion(item, "../../etc/passwd.txt");
  EXPECT_EQ(version.object_key, "evidence/org_A/" + e1 + "/" + item.id + "/" + version.id);
  EXPECT_EQ(version.status, VersionStatus::kPending);
  EXPECT_FALSE(version.stored_at.has_value());
}

TEST_F(RepositoryTest, VersionUnderOtherItemNotFound) {
  const EvidenceItem first = AddItem("org_A", s1, "First");
  const EvidenceItem second = AddItem("org_A", s1, "Second");
  const EvidenceVersion version = AddVersion(first, "a.txt");
  const Result<EvidenceVersion> found = Read<EvidenceVersion>(
      [&](store::Transaction& tx) { return GetVersion(tx, "org_A", second.id, version.id); });
  EXPECT_EQ(found.status().code(), ErrorCode::kNotFound);
  const Result<EvidenceVersion> other_org = Read<EvidenceVersion>(
      [&](store::Transaction& tx) { return GetVersion(tx, "org_B", first.id, version.id); });
  EXPECT_EQ(other_org.status().code(), ErrorCode::kNotFound);
}

TEST_F(RepositoryTest, StoredVersionCannotChangeAgain) {
  const EvidenceItem item = AddItem("org_A", s1, "Stored");
  const EvidenceVersion version = AddVersion(item, "a.txt");

  const Result<EvidenceVersion> stored = store::WriteReturning<EvidenceVersion>(
      db(), [&](store::Transaction& tx) { return MarkVersionStored(tx, clock_, version); });
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->status, VersionStatus::kStored);
  EXPECT_EQ(stored->stored_at, clock_.Now());

  const Result<EvidenceVersion> again = store::WriteReturning<EvidenceVersion>(
      db(), [&](store::Transaction& tx) { return MarkVersionStored(tx, clock_, version); });
  EXPECT_EQ(again.status().code(), ErrorCode::kConflict);
  const Status failure = db().Write(
      [&](store::Transaction& tx) { return SetVersionFailure(tx, version, "size_mismatch"); });
  EXPECT_EQ(failure.code(), ErrorCode::kConflict);
}

TEST_F(RepositoryTest, FailureReasonClearedWhenStored) {
  const EvidenceItem item = AddItem("org_A", s1, "Retried");
  const EvidenceVersion version = AddVersion(item, "a.txt");
  ASSERT_TRUE(db().Write([&](store::Transaction& tx) {
                    return SetVersionFailure(tx, version, "object_missing");
                  })
                  .ok());
  Result<EvidenceVersion> read = Read<EvidenceVersion>(
      [&](store::Transaction& tx) { return GetVersion(tx, "org_A", item.id, version.id); });
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->failure_reason, "object_missing");

  ASSERT_TRUE(store::WriteReturning<EvidenceVersion>(db(), [&](store::Transaction& tx) {
                return MarkVersionStored(tx, clock_, version);
              }).ok());
  read = Read<EvidenceVersion>(
      [&](store::Transaction& tx) { return GetVersion(tx, "org_A", item.id, version.id); });
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->failure_reason.has_value());
}

TEST_F(RepositoryTest, StoredOnlyListAndLatest) {
  const EvidenceItem item = AddItem("org_A", s1, "Drafts");
  const EvidenceVersion first = AddVersion(item, "a.txt");
  AddVersion(item, "b.txt");
  ASSERT_TRUE(store::WriteReturning<EvidenceVersion>(db(), [&](store::Transaction& tx) {
                return MarkVersionStored(tx, clock_, first);
              }).ok());

  const Result<VersionPage> all = Read<VersionPage>([&](store::Transaction& tx) {
    return ListVersions(tx, "org_A", item.id, false, std::nullopt, 50);
  });
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->versions.size(), 2u);
  EXPECT_EQ(all->versions[0].number, 2);

  const Result<VersionPage> stored = Read<VersionPage>([&](store::Transaction& tx) {
    return ListVersions(tx, "org_A", item.id, true, std::nullopt, 50);
  });
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->versions.size(), 1u);
  EXPECT_EQ(stored->versions[0].id, first.id);

  // The pending version is not in the stored-only listing, so it is not a valid cursor there.
  const Result<VersionPage> after_draft = Read<VersionPage>([&](store::Transaction& tx) {
    return ListVersions(tx, "org_A", item.id, true, all->versions[0].id, 50);
  });
  EXPECT_EQ(after_draft.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(after_draft.status().message(), store::InvalidCursorError().message());
  const Result<VersionPage> after_draft_all = Read<VersionPage>([&](store::Transaction& tx) {
    return ListVersions(tx, "org_A", item.id, false, all->versions[0].id, 50);
  });
  ASSERT_TRUE(after_draft_all.ok()) << after_draft_all.status().ToString();
  ASSERT_EQ(after_draft_all->versions.size(), 1u);
  EXPECT_EQ(after_draft_all->versions[0].id, first.id);

  const Result<std::optional<EvidenceVersion>> latest = Read<std::optional<EvidenceVersion>>(
      [&](store::Transaction& tx) { return LatestStoredVersion(tx, "org_A", item.id); });
  ASSERT_TRUE(latest.ok());
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ((*latest)->id, first.id);
}

TEST_F(RepositoryTest, ConnectionKeepsItsExternalId) {
  FixedClock clock(FromUnixSeconds(1'800'000'000));
  aws::AwsConnection settings = Settings("evidence-one");
  settings.external_id = "chosen-by-the-client-chosen-by-the-client";
  const Result<StoredAwsConnection> created =
      store::WriteReturning<StoredAwsConnection>(db(), [&](store::Transaction& tx) {
        return PutAwsConnection(tx, clock, "org_A", settings, false);
      });
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  const std::string external_id = created->connection.external_id;
  EXPECT_GE(external_id.size(), aws::kMinExternalIdLength);
  EXPECT_NE(external_id, settings.external_id);

  clock.Advance(std::chrono::seconds(60));
  const Result<StoredAwsConnection> updated =
      store::WriteReturning<StoredAwsConnection>(db(), [&](store::Transaction& tx) {
        return PutAwsConnection(tx, clock, "org_A", Settings("evidence-two"), false);
      });
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->connection.external_id, external_id);
  EXPECT_EQ(updated->connection.bucket, "evidence-two");
  EXPECT_EQ(updated->created_at, created->created_at);
  EXPECT_EQ(updated->updated_at, created->created_at + std::chrono::seconds(60));

  const Result<StoredAwsConnection> other =
      store::WriteReturning<StoredAwsConnection>(db(), [&](store::Transaction& tx) {
        return PutAwsConnection(tx, clock, "org_B", Settings("evidence-b"), false);
      });
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_NE(other->connection.external_id, external_id);
}

TEST_F(RepositoryTest, ConnectionValidated) {
  aws::AwsConnection settings = Settings("evidence-one");
  settings.endpoint = "http://127.0.0.1:7480";
  const Result<StoredAwsConnection> insecure =
      store::WriteReturning<StoredAwsConnection>(db(), [&](store::Transaction& tx) {
        return PutAwsConnection(tx, clock_, "org_A", settings, false);
      });
  EXPECT_EQ(insecure.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(insecure.status().field(), "/endpoint");

  const Result<std::optional<StoredAwsConnection>> found = Read<std::optional<StoredAwsConnection>>(
      [&](store::Transaction& tx) { return FindAwsConnection(tx, "org_A"); });
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
}

TEST_F(RepositoryTest, MissingConnectionFailsPrecondition) {
  const Result<StoredAwsConnection> required = Read<StoredAwsConnection>(
      [&](store::Transaction& tx) { return RequireAwsConnection(tx, "org_A"); });
  EXPECT_EQ(required.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(required.status().message().find("aws-connection"), std::string::npos);
}

// The titles of the entity's items that match `search`, newest first, one page of `limit`.
std::vector<std::string> Titles(const EvidenceItemPage& page) {
  std::vector<std::string> titles;
  for (const EvidenceItem& item : page.items) {
    titles.push_back(item.title);
  }
  return titles;
}

TEST_F(RepositoryTest, SearchMatchesTitleOrDescription) {
  AddItem("org_A", s1, "Firewall rules", "exported nightly");
  AddItem("org_A", s1, "Access review", "covers the FIREWALL admins");
  AddItem("org_A", s1, "Backup test", "");
  AddItem("org_A", s2, "Firewall on s2", "");
  AddItem("org_B", s_b, "Firewall of org B", "");
  const auto search = [&](std::string_view text) {
    return Read<EvidenceItemPage>([&](store::Transaction& tx) {
      return ListEvidenceItems(tx, "org_A", s1, std::nullopt, 50, text);
    });
  };

  const Result<EvidenceItemPage> firewall = search("fIrEwAlL");
  ASSERT_TRUE(firewall.ok()) << firewall.status().ToString();
  EXPECT_EQ(Titles(*firewall), (std::vector<std::string>{"Access review", "Firewall rules"}));

  const Result<EvidenceItemPage> nightly = search("NIGHT");
  ASSERT_TRUE(nightly.ok()) << nightly.status().ToString();
  EXPECT_EQ(Titles(*nightly), std::vector<std::string>{"Firewall rules"});

  const Result<EvidenceItemPage> none = search("payroll");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->items.empty());
  EXPECT_EQ(none->next_after, std::nullopt);
}

TEST_F(RepositoryTest, SearchWildcardsAreLiteral) {
  AddItem("org_A", s1, "100% coverage", "");
  AddItem("org_A", s1, "1000 coverage", "");
  AddItem("org_A", s1, "user_list", "");
  AddItem("org_A", s1, "userXlist", "");
  AddItem("org_A", s1, "C:\\logs", "");
  AddItem("org_A", s1, "C:logs", "");
  const auto titles = [&](std::string_view text) {
    const Result<EvidenceItemPage> page = Read<EvidenceItemPage>([&](store::Transaction& tx) {
      return ListEvidenceItems(tx, "org_A", s1, std::nullopt, 50, text);
    });
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? Titles(*page) : std::vector<std::string>{};
  };
  EXPECT_EQ(titles("0%"), std::vector<std::string>{"100% coverage"});
  EXPECT_EQ(titles("%"), std::vector<std::string>{"100% coverage"});
  EXPECT_EQ(titles("r_l"), std::vector<std::string>{"user_list"});
  EXPECT_EQ(titles("_"), std::vector<std::string>{"user_list"});
  EXPECT_EQ(titles("\\"), std::vector<std::string>{"C:\\logs"});
  EXPECT_EQ(titles(":\\l"), std::vector<std::string>{"C:\\logs"});
}

TEST_F(RepositoryTest, SearchFoldsAsciiCaseOnly) {
  AddItem("org_A", s1, "Prüfbericht", "");
  const auto count = [&](std::string_view text) -> size_t {
    const Result<EvidenceItemPage> page = Read<EvidenceItemPage>([&](store::Transaction& tx) {
      return ListEvidenceItems(tx, "org_A", s1, std::nullopt, 50, text);
    });
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? page->items.size() : 0;
  };
  EXPECT_EQ(count("PRÜF"), 0u);  // Ü is not folded to ü
  EXPECT_EQ(count("prüf"), 1u);
  EXPECT_EQ(count("BERICHT"), 1u);
}

TEST_F(RepositoryTest, SearchPagesWithCursor) {
  for (int i = 0; i < 5; ++i) {
    AddItem("org_A", s1, "Match " + std::to_string(i), "");
    AddItem("org_A", s1, "Other " + std::to_string(i), "");
  }
  std::vector<std::string> seen;
  std::optional<std::string> after;
  int pages = 0;
  do {
    const Result<EvidenceItemPage> page = Read<EvidenceItemPage>([&](store::Transaction& tx) {
      return ListEvidenceItems(tx, "org_A", s1, after, 2, std::string_view("match"));
    });
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const std::string& title : Titles(*page)) {
      seen.push_back(title);
    }
    after = page->next_after;
    ++pages;
  } while (after.has_value() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen,
            (std::vector<std::string>{"Match 4", "Match 3", "Match 2", "Match 1", "Match 0"}));
}

TEST_F(RepositoryTest, SearchTextValidated) {
  struct Case {
    std::string name;
    std::string text;
    bool valid;
  };

  const std::vector<Case> cases = {
      {"empty", "", false},
      {"one character", "a", true},
      {"200 characters", std::string(200, 'a'), true},
      {"201 characters", std::string(201, 'a'), false},
      {"200 two-byte characters",
       [] {
         std::string text;
         for (int i = 0; i < 200; ++i) {
           text += "\xC3\xBC";
         }
         return text;
       }(),
       true},
      {"control character", "a\nb", false},
      {"invalid UTF-8", "\xC3", false},
  };
  for (const Case& c : cases) {
    const Status status = ValidateSearchText(c.text);
    EXPECT_EQ(status.ok(), c.valid) << c.name << ": " << status.ToString();
    if (!c.valid) {
      EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument) << c.name;
      EXPECT_EQ(status.field(), "q") << c.name;
    }
  }
}

}  // namespace
}  // namespace custody::evidence
