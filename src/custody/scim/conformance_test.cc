// Round trips of the JSON examples of RFC 7643 §8 and RFC 7644 §3-4, read from the conformance
// folder (one file per example). Bulk examples are left out: Custody does not support Bulk, and
// its ServiceProviderConfig states that.
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "custody/identity/test_org.h"
#include "custody/scim/errors.h"
#include "custody/scim/patch.h"
#include "custody/scim/projection.h"
#include "custody/scim/provisioning.h"
#include "custody/scim/schemas.h"

namespace custody::scim {
namespace {

using nlohmann::json;

json LoadSample(const std::string& name) {
  const std::string path =
      std::string(CUSTODY_CONFORMANCE_DIR) + "/scim-rfc-samples/samples/" + name;
  std::ifstream file(path);
  EXPECT_TRUE(file.good()) << "missing sample " << path;
  std::stringstream text;
  text << file.rdbuf();
  return json::parse(text.str());
}

// The sample without what the server assigns or never stores.
json WritableAttributes(json sample) {
  for (const char* key : {"id", "meta", "schemas", "groups", "password"}) {
    sample.erase(key);
  }
  return sample;
}

class UserSampleTest : public identity::testing::OrgTest,
                       public ::testing::WithParamInterface<const char*> {};

TEST_P(UserSampleTest, RoundTripsThroughStorage) {
  const json sample = LoadSample(GetParam());
  Result<json> normalized = NormalizeResource(ResourceKind::kUser, sample);
  ASSERT_TRUE(normalized.ok()) << normalized.status().ToString();
  EXPECT_EQ(*normalized, WritableAttributes(sample));

  Result<json> created = store::WriteReturning<json>(db(), [&](store::Transaction& tx) {
    ChangeContext context;
    context.organization_id = acme_id();
    context.actor = "sct_AAAAAAAAAAAAAAAAAAAAAA";
    context.request_id = "conformance";
    return CreateUser(tx, clock_, context, *normalized, "https://custody.example/scim/v2");
  });
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  Result<json> read = store::ReadReturning<json>(db(), [&](store::Transaction& tx) {
    return GetUser(tx, acme_id(), created->at("id").get<std::string>(),
                   "https://custody.example/scim/v2");
  });
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  json stored = WritableAttributes(*read);
  if (!sample.contains("active")) {
    EXPECT_EQ(stored.at("active"), true);
    stored.erase("active");
  }
  EXPECT_EQ(stored, WritableAttributes(sample));
  EXPECT_EQ(read->at("meta").at("resourceType"), "User");
  EXPECT_EQ(read->at("schemas").at(0), kUserSchema);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc, UserSampleTest,
    ::testing::Values("rfc7643-8.1-user-minimal.json", "rfc7643-8.2-user-full.json",
                      "rfc7643-8.3-enterprise_user.json", "rfc7644-3.3-user-post_request.json",
                      "rfc7644-3.3-user-post_response.json", "rfc7644-3.14-user-post_request.json",
                      "rfc7644-3.14-user-post_response.json",
                      "rfc7644-3.4.1-user-known-resource.json",
                      "rfc7644-3.5.1-user-put_request.json", "rfc7644-3.5.1-user-put_response.json",
                      "rfc7644-3.9-user-partial_response.json"));

TEST(GroupSampleTest, NormalizesWithoutLoss) {
  const json sample = LoadSample("rfc7643-8.4-group.json");
  Result<json> normalized = NormalizeResource(ResourceKind::kGroup, sample);
  ASSERT_TRUE(normalized.ok()) << normalized.status().ToString();
  EXPECT_EQ(*normalized, WritableAttributes(sample));
}

struct PatchSample {
  const char* file;
  ResourceKind kind;
  const char* pointer;   // into the patched, normalized resource
  const char* expected;  // JSON, or "absent"
};

void PrintTo(const PatchSample& sample, std::ostream* out) {
  *out << sample.file;
}

// A test name from the sample's file name: its letters and digits, the rest as '_'.
std::string SampleTestName(const PatchSample& sample) {
  std::string name = std::filesystem::path(sample.file).stem().string();
  for (char& c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) {
      c = '_';
    }
  }
  return name;
}

class PatchSampleTest : public ::testing::TestWithParam<PatchSample> {};

TEST_P(PatchSampleTest, AppliesToSampleResource) {
  const PatchSample& sample = GetParam();
  const json resource = WritableAttributes(LoadSample(sample.kind == ResourceKind::kUser
                                                          ? "rfc7643-8.2-user-full.json"
                                                          : "rfc7643-8.4-group.json"));
  Result<json> patched = ApplyPatch(sample.kind, resource, LoadSample(sample.file));
  ASSERT_TRUE(patched.ok()) << sample.file << ": " << patched.status().ToString();
  Result<json> normalized = NormalizeResource(sample.kind, *patched);
  ASSERT_TRUE(normalized.ok()) << sample.file << ": " << normalized.status().ToString();
  const json::json_pointer pointer(sample.pointer);
  if (std::string_view(sample.expected) == "absent") {
    EXPECT_FALSE(normalized->contains(pointer)) << normalized->dump();
    return;
  }
  ASSERT_TRUE(normalized->contains(pointer)) << normalized->dump();
  EXPECT_EQ(normalized->at(pointer), json::parse(sample.expected)) << normalized->dump();
}

INSTANTIATE_TEST_SUITE_P(
    Rfc, PatchSampleTest,
    ::testing::Values(
        // The user already has the added address, so only nickName changes.
        PatchSample{"rfc7644-3.5.2.1-patch_op-add_emails.json", ResourceKind::kUser, "/nickName",
                    R"("Babs")"},
        PatchSample{"rfc7644-3.5.2.1-patch_op-add_members.json", ResourceKind::kGroup,
                    "/members/0/display", R"("Babs Jensen")"},
        PatchSample{"rfc7644-3.5.2.2-patch_op-remove_all_members.json", ResourceKind::kGroup,
                    "/members", "absent"},
        // The RFC elides the ids in its removal examples, so they match no member.
        PatchSample{"rfc7644-3.5.2.2-patch_op-remove_one_member.json", ResourceKind::kGroup,
                    "/members/1/value", R"("902c246b-6245-4190-8e05-00816be7344a")"},
        PatchSample{"rfc7644-3.5.2.2-patch_op-remove_and_add_one_member.json", ResourceKind::kGroup,
                    "/members/2/value", R"("08e1d05d...473d93df9210")"},
        PatchSample{"rfc7644-3.5.2.2-patch_op-remove_multi_complex_value.json", ResourceKind::kUser,
                    "/emails/0/type", R"("home")"},
        PatchSample{"rfc7644-3.5.2.3-patch_op-replace_all_email_values.json", ResourceKind::kUser,
                    "/emails/0/value", R"("bjensen@example.com")"},
        PatchSample{"rfc7644-3.5.2.3-patch_op-replace_all_members.json", ResourceKind::kGroup,
                    "/members/1/value", R"("08e1d05d-121c-4561-8b96-473d93df9210")"},
        PatchSample{"rfc7644-3.5.2.3-patch_op-replace_street_address.json", ResourceKind::kUser,
                    "/addresses/0/streetAddress", R"("1010 Broadway Ave")"},
        PatchSample{"rfc7644-3.5.2.3-patch_op-replace_user_work_address.json", ResourceKind::kUser,
                    "/addresses/0/streetAddress", R"("911 Universal City Plaza")"}),
    [](const ::testing::TestParamInfo<PatchSample>& sample) {
      return SampleTestName(sample.param);
    });

std::set<std::string> KeysOf(const json& object) {
  std::set<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it) {
    keys.insert(it.key());
  }
  return keys;
}

struct ErrorSample {
  const char* file;
  Status status;
};

TEST(ErrorSampleTest, MatchesShapeAndStatus) {
  const std::vector<ErrorSample> samples = {
      {"rfc7644-3.12-error-bad_request.json", ScimInvalid(kMutability, "id is read-only")},
      {"rfc7644-3.12-error-not_found.json", NotFound("not found")},
      {"rfc7644-3.6-error-not_found.json", NotFound("not found")},
      {"rfc7644-3.7.3-error-invalid_syntax.json", ScimInvalid(kInvalidSyntax, "bad JSON")},
      {"rfc7644-3.7.4-error-payload_too_large.json",
       Status(ErrorCode::kPayloadTooLarge, "too large")},
  };
  for (const ErrorSample& sample : samples) {
    const json expected = LoadSample(sample.file);
    const json actual = ScimErrorJson(ToScimError(sample.status));
    EXPECT_EQ(KeysOf(actual), KeysOf(expected)) << sample.file;
    EXPECT_EQ(actual.at("status"), expected.at("status")) << sample.file;
    EXPECT_EQ(actual.value("scimType", ""), expected.value("scimType", "")) << sample.file;
    EXPECT_EQ(actual.at("schemas"), expected.at("schemas")) << sample.file;
  }
}

TEST(ListSampleTest, PartialResponseMatches) {
  const json partial = LoadSample("rfc7644-3.9-user-partial_response.json");
  json user = partial;
  user["displayName"] = "Babs Jensen";
  user["meta"] = {{"resourceType", "User"}};
  Result<AttributeSelection> selection = ParseAttributeSelection("userName", std::nullopt);
  ASSERT_TRUE(selection.ok());
  EXPECT_EQ(SelectAttributes(user, *selection), partial);

  const json expected = LoadSample("rfc7644-3.4.2-list_response-partial_attributes.json");
  json resources = json::array();
  for (const json& resource : expected.at("Resources")) {
    resources.push_back(SelectAttributes(resource, *selection));
  }
  const json list = ListResponseJson(2, 1, resources);
  for (const std::string& key : KeysOf(expected)) {
    EXPECT_TRUE(list.contains(key)) << key;
  }
  EXPECT_EQ(list.at("Resources"), expected.at("Resources"));
  EXPECT_EQ(list.at("schemas"), expected.at("schemas"));
}

TEST(ListSampleTest, PostQueryResponseHasSameShape) {
  const json expected = LoadSample("rfc7644-3.4.3-list_response-post_query.json");
  json list = ListResponseJson(expected.at("totalResults").get<int64_t>(),
                               expected.at("startIndex").get<int>(), expected.at("Resources"));
  // itemsPerPage counts the resources returned; the RFC's example shows the requested count.
  EXPECT_EQ(list.at("itemsPerPage"), 2);
  list["itemsPerPage"] = expected.at("itemsPerPage");
  EXPECT_EQ(list, expected);
}

TEST(SearchSampleTest, ParsesFilterAndAttributes) {
  const json request = LoadSample("rfc7644-3.4.3-search_request.json");
  Result<Filter> filter = ParseFilter(request.at("filter").get<std::string>());
  ASSERT_TRUE(filter.ok()) << filter.status().ToString();
  EXPECT_TRUE(Matches(*filter, json{{"displayName", "Smith, James"}}));
  std::string attributes;
  for (const json& attribute : request.at("attributes")) {
    attributes += (attributes.empty() ? "" : ",") + attribute.get<std::string>();
  }
  EXPECT_TRUE(ParseAttributeSelection(attributes, std::nullopt).ok());
}

// Every attribute the RFC defines is served, with the RFC's type and plurality.
void ExpectSchemaCovers(const json& ours, const json& rfc) {
  for (const json& attribute : rfc.at("attributes")) {
    const std::string name = attribute.at("name");
    const json* found = nullptr;
    for (const json& candidate : ours.at("attributes")) {
      if (candidate.at("name") == name) {
        found = &candidate;
      }
    }
    ASSERT_NE(found, nullptr) << rfc.at("id") << " " << name;
    EXPECT_EQ(found->at("type"), attribute.at("type")) << name;
    EXPECT_EQ(found->at("multiValued"), attribute.at("multiValued")) << name;
  }
}

TEST(DiscoverySampleTest, SchemasCoverTheRfcSchemas) {
  const json ours = SchemasJson("https://custody.example/scim/v2");
  ExpectSchemaCovers(ours[0], LoadSample("rfc7643-8.7.1-schema-user.json"));
  ExpectSchemaCovers(ours[1], LoadSample("rfc7643-8.7.1-schema-enterprise_user.json"));
  ExpectSchemaCovers(ours[2], LoadSample("rfc7643-8.7.1-schema-group.json"));
}

TEST(DiscoverySampleTest, ResourceTypesAndConfigHaveRfcShape) {
  const json types = ResourceTypesJson("https://custody.example/scim/v2");
  EXPECT_EQ(KeysOf(types[0]), KeysOf(LoadSample("rfc7643-8.6-resource_type-user.json")));
  EXPECT_EQ(KeysOf(types[1]), KeysOf(LoadSample("rfc7643-8.6-resource_type-group.json")));

  const json config = ServiceProviderConfigJson("https://custody.example/scim/v2", 200);
  for (const std::string& key :
       KeysOf(LoadSample("rfc7643-8.5-service_provider_configuration.json"))) {
    if (key != "documentationUri") {
      EXPECT_TRUE(config.contains(key)) << key;
    }
  }
}

}  // namespace
}  // namespace custody::scim
