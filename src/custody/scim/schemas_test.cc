#include "custody/scim/schemas.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "custody/scim/errors.h"

namespace custody::scim {
namespace {

using nlohmann::json;

TEST(NormalizeResourceTest, CanonicalizesNamesAndDropsUnknownAndReadOnly) {
  const json input = json::parse(R"({
    "USERNAME": "bob", "Active": "True", "displayName": null, "favoriteColor": "red",
    "id": "usr_x", "meta": {"created": "2020-01-01T00:00:00Z"}, "password": "hunter2",
    "groups": [{"value": "grp_1"}],
    "emails": [{"Value": "b@example.com", "Primary": "true", "Type": "work", "extra": 1}],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
      "Department": "bob", "Manager": {"Value": "SuzzyQ"}, "unknown": 1}
  })");
  Result<json> normalized = NormalizeResource(ResourceKind::kUser, input);
  ASSERT_TRUE(normalized.ok()) << normalized.status().ToString();
  const json expected = json::parse(R"({
    "userName": "bob", "active": true,
    "emails": [{"value": "b@example.com", "primary": true, "type": "work"}],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
      "department": "bob", "manager": {"value": "SuzzyQ"}}
  })");
  EXPECT_EQ(*normalized, expected);
}

TEST(NormalizeResourceTest, RequiresUserName) {
  for (const char* body : {R"({"displayName": "x"})", R"({"userName": "  "})", R"({"userName": 5})",
                           R"({"userame": "OMalley"})"}) {
    Result<json> normalized = NormalizeResource(ResourceKind::kUser, json::parse(body));
    ASSERT_FALSE(normalized.ok()) << body;
    EXPECT_EQ(normalized.status().field(), kInvalidValue) << body;
  }
}

TEST(NormalizeResourceTest, RejectsWrongTypes) {
  for (const char* body :
       {R"({"userName": "a", "active": "yes"})", R"({"userName": "a", "name": "x"})",
        R"({"userName": "a", "emails": [{"value": 1}]})",
        R"({"userName": "a", "emails": [{"value": "a", "primary": true},
                                         {"value": "b", "primary": true}]})",
        R"({"userName": "a", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": 1})"}) {
    Result<json> normalized = NormalizeResource(ResourceKind::kUser, json::parse(body));
    ASSERT_FALSE(normalized.ok()) << body;
    EXPECT_EQ(normalized.status().field(), kInvalidValue) << body;
  }
}

TEST(NormalizeResourceTest, RejectsOverlongString) {
  json body = {{"userName", std::string(kMaxStringValueBytes + 1, 'a')}};
  EXPECT_EQ(NormalizeResource(ResourceKind::kUser, body).status().field(), kInvalidValue);
}

TEST(NormalizeResourceTest, ReadsBareMembersAsValues) {
  Result<json> normalized = NormalizeResource(
      ResourceKind::kGroup, json::parse(R"({"displayName": "g", "members": ["usr_1"]})"));
  ASSERT_TRUE(normalized.ok()) << normalized.status().ToString();
  EXPECT_EQ(normalized->at("members"), json::parse(R"([{"value": "usr_1"}])"));
}

TEST(DiscoveryTest, DescribesUserSchemaAndEndpoints) {
  const json schemas = SchemasJson("https://custody.example/scim/v2");
  ASSERT_EQ(schemas.size(), 3u);
  EXPECT_EQ(schemas[0]["id"], kUserSchema);
  EXPECT_EQ(schemas[0]["description"], "User Account");
  const json types = ResourceTypesJson("https://custody.example/scim/v2");
  EXPECT_EQ(types[0]["endpoint"], "/Users");
  EXPECT_EQ(types[1]["endpoint"], "/Groups");
  const json config = ServiceProviderConfigJson("https://custody.example/scim/v2", 200);
  EXPECT_TRUE(config["patch"]["supported"].get<bool>());
  EXPECT_FALSE(config["bulk"]["supported"].get<bool>());
  EXPECT_FALSE(config["sort"]["supported"].get<bool>());
  EXPECT_TRUE(config["etag"]["supported"].get<bool>());
}

}  // namespace
}  // namespace custody::scim
