#include "custody/scim/filter.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "custody/scim/errors.h"

namespace custody::scim {
namespace {

using nlohmann::json;

const json& SampleUser() {
  static const json kUser = json::parse(R"({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "id": "usr_AAAAAAAAAAAAAAAAAAAAAA",
    "externalId": "Ext-1",
    "userName": "Bjensen@Example.com",
    "displayName": "Babs Jensen",
    "active": true,
    "name": {"familyName": "Jensen", "givenName": "Barbara"},
    "emails": [
      {"value": "bjensen@example.com", "type": "work", "primary": true},
      {"value": "babs@jensen.org", "type": "home"}
    ],
    "title": "Tour Guide",
    "meta": {"created": "2026-01-23T04:56:22Z", "lastModified": "2026-05-13T04:42:34.5Z"},
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
      "department": "Tours", "manager": {"value": "usr_BBBBBBBBBBBBBBBBBBBBBB"}
    }
  })");
  return kUser;
}

struct MatchCase {
  const char* filter;
  bool expected;
};

class FilterMatchTest : public ::testing::TestWithParam<MatchCase> {};

TEST_P(FilterMatchTest, MatchesSampleUser) {
  const MatchCase& test_case = GetParam();
  Result<Filter> filter = ParseFilter(test_case.filter);
  ASSERT_TRUE(filter.ok()) << test_case.filter << ": " << filter.status().ToString();
  EXPECT_EQ(Matches(*filter, SampleUser()), test_case.expected) << test_case.filter;
}

INSTANTIATE_TEST_SUITE_P(
    Table, FilterMatchTest,
    ::testing::Values(
        // eq compares strings without regard to case, and attribute names too.
        MatchCase{R"(userName eq "bjensen@example.com")", true},
        MatchCase{R"(USERNAME EQ "BJENSEN@EXAMPLE.COM")", true},
        MatchCase{R"(userName eq "someone@example.com")", false},
        MatchCase{R"(userName ne "someone@example.com")", true},
        MatchCase{R"(userName ne "bjensen@example.com")", false},
        // Case-exact attributes.
        MatchCase{R"(externalId eq "Ext-1")", true}, MatchCase{R"(externalId eq "ext-1")", false},
        MatchCase{R"(id eq "usr_AAAAAAAAAAAAAAAAAAAAAA")", true},
        MatchCase{R"(userName co "jensen")", true}, MatchCase{R"(userName sw "bj")", true},
        MatchCase{R"(userName sw "jensen")", false},
        MatchCase{R"(userName ew "example.com")", true}, MatchCase{R"(title pr)", true},
        MatchCase{R"(nickName pr)", false}, MatchCase{R"(name.familyName eq "jensen")", true},
        MatchCase{R"(name.givenName sw "bar")", true},
        MatchCase{R"(emails.value eq "babs@jensen.org")", true},
        // A comparison on a complex multi-valued attribute compares its values.
        MatchCase{R"(emails co "jensen.org")", true},
        MatchCase{R"(emails[type eq "work" and value co "@example.com"])", true},
        MatchCase{R"(emails[type eq "home" and value co "@example.com"])", false},
        MatchCase{R"(emails[not (type eq "work")])", true}, MatchCase{R"(active eq true)", true},
        MatchCase{R"(active eq false)", false},
        MatchCase{R"(meta.created gt "2026-01-01T00:00:00Z")", true},
        MatchCase{R"(meta.created lt "2026-01-01T00:00:00Z")", false},
        MatchCase{R"(meta.lastModified ge "2026-05-13T06:42:34+02:00")", true},
        MatchCase{R"(meta.lastModified gt "2026-05-13T06:42:34.6+02:00")", false},
        // Bare words, as Microsoft's validation collection sends them.
        MatchCase{R"(meta.created gt 2015-10-10T14:38:21.8617979-07:00)", true},
        MatchCase{R"(userName sw B)", true},
        MatchCase{
            R"(name.FamilyName eq Jensen and (emails.Value co example.com or emails.Value co example.org))",
            true},
        MatchCase{R"(title eq "Tour Guide" and not (active eq false))", true},
        MatchCase{R"(title eq "Nope" or displayName eq "babs jensen")", true},
        MatchCase{R"((title eq "Nope" or title eq "Other") and active eq true)", false},
        MatchCase{
            R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "tours")",
            true},
        MatchCase{
            R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "usr_BBBBBBBBBBBBBBBBBBBBBB")",
            true},
        MatchCase{R"(urn:ietf:params:scim:schemas:core:2.0:User:userName sw "BJ")", true},
        MatchCase{R"(title eq "Tour\u0020Guide")", true},
        // Numbers and booleans never equal strings.
        MatchCase{R"(title eq 5)", false}, MatchCase{R"(title gt true)", false}));

struct InvalidCase {
  const char* filter;
  const char* why;
};

class FilterInvalidTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(FilterInvalidTest, RejectsWithInvalidFilter) {
  const InvalidCase& test_case = GetParam();
  Result<Filter> filter = ParseFilter(test_case.filter);
  ASSERT_FALSE(filter.ok()) << test_case.why;
  EXPECT_EQ(filter.status().code(), ErrorCode::kInvalidArgument) << test_case.why;
  EXPECT_EQ(filter.status().field(), kInvalidFilter) << test_case.why;
}

INSTANTIATE_TEST_SUITE_P(
    Table, FilterInvalidTest,
    ::testing::Values(InvalidCase{"", "empty"}, InvalidCase{"   ", "only spaces"},
                      InvalidCase{"userName", "no operator"},
                      InvalidCase{"userName xx \"a\"", "unknown operator"},
                      InvalidCase{"userName eq", "no value"},
                      InvalidCase{"userName eq \"a", "unterminated string"},
                      InvalidCase{"userName eq \"a\" and", "dangling and"},
                      InvalidCase{"(userName eq \"a\"", "missing )"},
                      InvalidCase{"userName eq \"a\")", "extra )"},
                      InvalidCase{"emails[type eq \"work\"", "missing ]"},
                      InvalidCase{"emails[type[value eq 1] eq 2]", "nested value filter"},
                      InvalidCase{"not userName eq \"a\"", "not without ("},
                      InvalidCase{"1abc eq \"a\"", "attribute starts with a digit"},
                      InvalidCase{"user name eq \"a\"", "space in attribute"},
                      InvalidCase{"userName eq \"\\x\"", "unknown escape"},
                      InvalidCase{"userName eq \"\\ud800\"", "unpaired surrogate"},
                      InvalidCase{"userName eqa", "operator run into the value"},
                      InvalidCase{"foo:bar eq 1", "schema prefix that is not a URN"}));

TEST(FilterLimitsTest, RejectsDeepNesting) {
  std::string text;
  for (int i = 0; i < kMaxFilterDepth + 1; ++i) {
    text += "(";
  }
  text += "userName eq \"a\"";
  for (int i = 0; i < kMaxFilterDepth + 1; ++i) {
    text += ")";
  }
  Result<Filter> filter = ParseFilter(text);
  ASSERT_FALSE(filter.ok());
  EXPECT_EQ(filter.status().field(), kInvalidFilter);
}

TEST(FilterLimitsTest, AcceptsNestingAtTheLimit) {
  std::string text;
  for (int i = 0; i < kMaxFilterDepth; ++i) {
    text += "(";
  }
  text += "userName eq \"bjensen@example.com\"";
  for (int i = 0; i < kMaxFilterDepth; ++i) {
    text += ")";
  }
  Result<Filter> filter = ParseFilter(text);
  ASSERT_TRUE(filter.ok()) << filter.status().ToString();
  EXPECT_TRUE(Matches(*filter, SampleUser()));
}

TEST(FilterLimitsTest, RejectsDeepNot) {
  std::string text;
  for (int i = 0; i < 1000; ++i) {
    text += "not (";
  }
  EXPECT_EQ(ParseFilter(text).status().field(), kInvalidFilter);
}

TEST(FilterLimitsTest, RejectsTooLongInput) {
  const std::string text = "userName eq \"" + std::string(kMaxFilterBytes, 'a') + "\"";
  EXPECT_EQ(ParseFilter(text).status().field(), kInvalidFilter);
}

TEST(FilterLimitsTest, RejectsTooManyExpressions) {
  std::string text = "title pr";
  for (int i = 0; i < kMaxFilterNodes; ++i) {
    text += " or title pr";
  }
  ASSERT_LE(text.size(), kMaxFilterBytes);
  EXPECT_EQ(ParseFilter(text).status().field(), kInvalidFilter);
}

TEST(PatchPathTest, ParsesValueFilterAndSubAttribute) {
  Result<PatchPath> path = ParsePatchPath(R"(emails[type eq "work"].value)");
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(path->path.attribute, "emails");
  EXPECT_TRUE(path->has_filter);
  EXPECT_EQ(path->filtered_sub_attribute, "value");
  EXPECT_TRUE(Matches(path->filter, json{{"type", "Work"}}));
}

TEST(PatchPathTest, ParsesExtensionAttribute) {
  Result<PatchPath> path =
      ParsePatchPath("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value");
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(path->path.schema, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
  EXPECT_EQ(path->path.attribute, "manager");
  EXPECT_EQ(path->path.sub_attribute, "value");
}

TEST(PatchPathTest, RejectsMalformedPath) {
  for (const char* text : {"", "emails[", "emails[type eq \"work\"]x", "name..givenName",
                           "emails[type eq \"work\"].", "name.givenName[type eq 1]"}) {
    Result<PatchPath> path = ParsePatchPath(text);
    ASSERT_FALSE(path.ok()) << text;
    EXPECT_EQ(path.status().field(), kInvalidPath) << text;
  }
}

}  // namespace
}  // namespace custody::scim
