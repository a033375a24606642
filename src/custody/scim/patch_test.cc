#include "custody/scim/patch.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "custody/scim/errors.h"

namespace custody::scim {
namespace {

using nlohmann::json;

json User() {
  return json::parse(R"({
    "userName": "bjensen@example.com",
    "displayName": "Babs",
    "active": true,
    "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "emails": [
      {"value": "bjensen@example.com", "type": "work", "primary": true},
      {"value": "babs@jensen.org", "type": "home"}
    ]
  })");
}

json Group() {
  return json::parse(R"({
    "displayName": "Tour Guides",
    "members": [{"value": "usr_1", "display": "One"}, {"value": "usr_2"}]
  })");
}

json PatchOf(const json& operations) {
  return {{"schemas", {std::string(kPatchOpSchema)}}, {"Operations", operations}};
}

struct PatchCase {
  const char* name;
  ResourceKind kind;
  const char* operations;  // the Operations list
  const char* pointer;     // a JSON pointer into the normalized result
  const char* expected;    // its expected JSON value, or "absent"
};

class PatchTableTest : public ::testing::TestWithParam<PatchCase> {};

TEST_P(PatchTableTest, Applies) {
  const PatchCase& test_case = GetParam();
  const json resource = test_case.kind == ResourceKind::kUser ? User() : Group();
  Result<json> patched =
      ApplyPatch(test_case.kind, resource, PatchOf(json::parse(test_case.operations)));
  ASSERT_TRUE(patched.ok()) << test_case.name << ": " << patched.status().ToString();
  Result<json> normalized = NormalizeResource(test_case.kind, *patched);
  ASSERT_TRUE(normalized.ok()) << test_case.name << ": " << normalized.status().ToString();
  const json::json_pointer pointer(test_case.pointer);
  if (std::string_view(test_case.expected) == "absent") {
    EXPECT_FALSE(normalized->contains(pointer)) << test_case.name << ": " << normalized->dump();
    return;
  }
  ASSERT_TRUE(normalized->contains(pointer)) << test_case.name << ": " << normalized->dump();
  EXPECT_EQ(normalized->at(pointer), json::parse(test_case.expected))
      << test_case.name << ": " << normalized->dump();
}

INSTANTIATE_TEST_SUITE_P(
    Table, PatchTableTest,
    ::testing::Values(
        PatchCase{"replace simple attribute", ResourceKind::kUser,
                  R"([{"op": "replace", "path": "userName", "value": "ryan3"}])", "/userName",
                  R"("ryan3")"},
        PatchCase{"Entra capitalized op and string boolean", ResourceKind::kUser,
                  R"([{"op": "Replace", "path": "active", "value": "False"}])", "/active", "false"},
        PatchCase{"no path, attributes as keys", ResourceKind::kUser,
                  R"([{"op": "replace", "value": {"active": false, "displayName": "B"}}])",
                  "/active", "false"},
        PatchCase{"no path, sub-attribute paths as keys", ResourceKind::kUser,
                  R"([{"op": "replace", "value": {"name.givenName": "Babs"}}])", "/name/givenName",
                  R"("Babs")"},
        PatchCase{"no path keeps other sub-attributes", ResourceKind::kUser,
                  R"([{"op": "replace", "value": {"name.givenName": "Babs"}}])", "/name/familyName",
                  R"("Jensen")"},
        PatchCase{"replace complex merges", ResourceKind::kUser,
                  R"([{"op": "replace", "path": "name", "value": {"middleName": "J"}}])", "/name",
                  R"({"givenName": "Barbara", "familyName": "Jensen", "middleName": "J"})"},
        PatchCase{"replace filtered sub-attribute", ResourceKind::kUser,
                  R"([{"op": "replace", "path": "emails[type eq \"work\"].value",
                       "value": "new@example.com"}])",
                  "/emails/0/value", R"("new@example.com")"},
        PatchCase{"replace filtered, no match, equality adds", ResourceKind::kUser,
                  R"([{"op": "replace", "path": "emails[type eq \"other\"].value",
                       "value": "o@example.com"}])",
                  "/emails/2", R"({"type": "other", "value": "o@example.com"})"},
        PatchCase{"add to multi-valued appends", ResourceKind::kUser,
                  R"([{"op": "add", "path": "emails", "value": [{"value": "x@example.com"}]}])",
                  "/emails/2/value", R"("x@example.com")"},
        PatchCase{"add primary clears other primaries", ResourceKind::kUser,
                  R"([{"op": "add", "path": "emails",
                       "value": [{"value": "x@example.com", "primary": true}]}])",
                  "/emails/0/primary", "false"},
        PatchCase{
            "replace multi-valued replaces all", ResourceKind::kUser,
            R"([{"op": "replace", "path": "emails", "value": [{"value": "only@example.com"}]}])",
            "/emails", R"([{"value": "only@example.com"}])"},
        PatchCase{"remove filtered element", ResourceKind::kUser,
                  R"([{"op": "remove", "path": "emails[type eq \"home\"]"}])", "/emails",
                  R"([{"value": "bjensen@example.com", "type": "work", "primary": true}])"},
        PatchCase{"remove filtered sub-attribute", ResourceKind::kUser,
                  R"([{"op": "remove", "path": "emails[type eq \"work\"].primary"}])",
                  "/emails/0/primary", "absent"},
        PatchCase{"remove filter without match is a no-op", ResourceKind::kUser,
                  R"([{"op": "remove", "path": "emails[type eq \"other\"]"}])", "/emails/1/value",
                  R"("babs@jensen.org")"},
        PatchCase{"remove attribute", ResourceKind::kUser,
                  R"([{"op": "remove", "path": "displayName"}])", "/displayName", "absent"},
        PatchCase{"remove sub-attribute", ResourceKind::kUser,
                  R"([{"op": "remove", "path": "name.givenName"}])", "/name",
                  R"({"familyName": "Jensen"})"},
        PatchCase{"enterprise extension path", ResourceKind::kUser,
                  R"([{"op": "Add",
                       "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                       "value": "Tours"}])",
                  "/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User/department",
                  R"("Tours")"},
        PatchCase{"enterprise manager sub-attribute", ResourceKind::kUser,
                  R"([{"op": "replace",
                       "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
                       "value": "usr_9"}])",
                  "/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User/manager/value",
                  R"("usr_9")"},
        PatchCase{"enterprise object without path", ResourceKind::kUser,
                  R"([{"op": "replace", "value": {
                       "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                         "employeeNumber": "42"}}}])",
                  "/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User/employeeNumber",
                  R"("42")"},
        PatchCase{"add member", ResourceKind::kGroup,
                  R"([{"op": "add", "path": "members", "value": [{"value": "usr_3"}]}])",
                  "/members/2", R"({"value": "usr_3"})"},
        PatchCase{"add member as a bare string", ResourceKind::kGroup,
                  R"([{"op": "add", "path": "members", "value": "usr_4"}])", "/members/2",
                  R"({"value": "usr_4"})"},
        PatchCase{"add member with displayName", ResourceKind::kGroup,
                  R"([{"op": "add", "path": "members",
                       "value": [{"displayName": "new User", "value": "usr_5"}]}])",
                  "/members/2", R"({"value": "usr_5", "display": "new User"})"},
        PatchCase{"add existing member keeps one", ResourceKind::kGroup,
                  R"([{"op": "add", "path": "members", "value": [{"value": "usr_1"}]}])",
                  "/members/2", "absent"},
        PatchCase{"remove member by filter", ResourceKind::kGroup,
                  R"([{"op": "remove", "path": "members[value eq \"usr_1\"]"}])", "/members",
                  R"([{"value": "usr_2"}])"},
        PatchCase{"remove member listed in value", ResourceKind::kGroup,
                  R"([{"op": "remove", "path": "members", "value": [{"value": "usr_2"}]}])",
                  "/members", R"([{"value": "usr_1", "display": "One"}])"},
        PatchCase{"remove all members", ResourceKind::kGroup,
                  R"([{"op": "remove", "path": "members"}])", "/members", "absent"},
        PatchCase{"replace members", ResourceKind::kGroup,
                  R"([{"op": "replace", "path": "members", "value": [{"value": "usr_7"}]}])",
                  "/members", R"([{"value": "usr_7"}])"},
        PatchCase{"replace display name without path", ResourceKind::kGroup,
                  R"([{"op": "replace", "value": {"id": "grp_x", "displayName": "Guides"}}])",
                  "/displayName", R"("Guides")"},
        PatchCase{"operations apply in order", ResourceKind::kGroup,
                  R"([{"op": "remove", "path": "members"},
                      {"op": "add", "path": "members", "value": [{"value": "usr_8"}]}])",
                  "/members", R"([{"value": "usr_8"}])"}));

struct PatchErrorCase {
  const char* name;
  const char* request;
  std::string_view scim_type;
};

class PatchErrorTest : public ::testing::TestWithParam<PatchErrorCase> {};

TEST_P(PatchErrorTest, Rejects) {
  const PatchErrorCase& test_case = GetParam();
  Result<json> patched = ApplyPatch(ResourceKind::kUser, User(), json::parse(test_case.request));
  ASSERT_FALSE(patched.ok()) << test_case.name;
  EXPECT_EQ(patched.status().code(), ErrorCode::kInvalidArgument) << test_case.name;
  EXPECT_EQ(patched.status().field(), test_case.scim_type) << test_case.name;
}

INSTANTIATE_TEST_SUITE_P(
    Table, PatchErrorTest,
    ::testing::Values(
        PatchErrorCase{"not an object", "[]", kInvalidSyntax},
        PatchErrorCase{"wrong schema", R"({"schemas": ["urn:x"], "Operations": []})",
                       kInvalidSyntax},
        PatchErrorCase{"no operations", R"({"Operations": []})", kInvalidSyntax},
        PatchErrorCase{"unknown op", R"({"Operations": [{"op": "move", "path": "title"}]})",
                       kInvalidSyntax},
        PatchErrorCase{"remove without path", R"({"Operations": [{"op": "remove"}]})", kNoTarget},
        PatchErrorCase{"unknown attribute",
                       R"({"Operations": [{"op": "add", "path": "favoriteColor", "value": "x"}]})",
                       kInvalidPath},
        PatchErrorCase{"unknown sub-attribute",
                       R"({"Operations": [{"op": "add", "path": "name.nick", "value": "x"}]})",
                       kInvalidPath},
        PatchErrorCase{"id is immutable",
                       R"({"Operations": [{"op": "replace", "path": "id", "value": "x"}]})",
                       kMutability},
        PatchErrorCase{
            "groups are read-only",
            R"({"Operations": [{"op": "add", "path": "groups", "value": [{"value": "g"}]}]})",
            kMutability},
        PatchErrorCase{
            "filter on a single-valued attribute",
            R"({"Operations": [{"op": "replace", "path": "title[value eq 1]", "value": "x"}]})",
            kInvalidPath},
        PatchErrorCase{"complex filter without match",
                       R"({"Operations": [{"op": "replace",
                           "path": "emails[type eq \"x\" or type eq \"y\"].value", "value": "v"}]})",
                       kNoTarget},
        PatchErrorCase{
            "malformed path",
            R"({"Operations": [{"op": "replace", "path": "emails[type", "value": "v"}]})",
            kInvalidPath},
        PatchErrorCase{"add without value", R"({"Operations": [{"op": "add", "path": "title"}]})",
                       kInvalidValue},
        PatchErrorCase{"no-path value not an object",
                       R"({"Operations": [{"op": "replace", "value": "x"}]})", kInvalidValue}));

TEST(PatchNormalizeTest, RejectsWrongTypeAfterPatch) {
  Result<json> patched = ApplyPatch(
      ResourceKind::kUser, User(),
      PatchOf(json::parse(R"([{"op": "replace", "path": "active", "value": "maybe"}])")));
  ASSERT_TRUE(patched.ok());
  Result<json> normalized = NormalizeResource(ResourceKind::kUser, *patched);
  ASSERT_FALSE(normalized.ok());
  EXPECT_EQ(normalized.status().field(), kInvalidValue);
}

TEST(PatchNormalizeTest, RejectsRemovingUserName) {
  Result<json> patched =
      ApplyPatch(ResourceKind::kUser, User(),
                 PatchOf(json::parse(R"([{"op": "remove", "path": "userName"}])")));
  ASSERT_TRUE(patched.ok());
  EXPECT_EQ(NormalizeResource(ResourceKind::kUser, *patched).status().field(), kInvalidValue);
}

TEST(PatchLimitsTest, RejectsTooManyOperations) {
  json operations = json::array();
  for (size_t i = 0; i <= kMaxPatchOperations; ++i) {
    operations.push_back({{"op", "add"}, {"path", "title"}, {"value", "x"}});
  }
  EXPECT_EQ(ApplyPatch(ResourceKind::kUser, User(), PatchOf(operations)).status().field(),
            kInvalidSyntax);
}

}  // namespace
}  // namespace custody::scim
