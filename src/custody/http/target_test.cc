#include "custody/http/target.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace custody::http {
namespace {

TEST(Target, SplitsAndDecodesPath) {
  Result<Target> target = ParseTarget("/api/v1/evidence/a%20b/c%2Fd");
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(target->segments, (std::vector<std::string>{"api", "v1", "evidence", "a b", "c/d"}));
  EXPECT_EQ(target->path, "/api/v1/evidence/a b/c/d");
  EXPECT_TRUE(target->query.empty());
}

TEST(Target, RootAndEmptySegments) {
  Result<Target> root = ParseTarget("/");
  ASSERT_TRUE(root.ok());
  EXPECT_TRUE(root->segments.empty());
  EXPECT_EQ(root->path, "/");

  Result<Target> empty = ParseTarget("/a//b/");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->segments, (std::vector<std::string>{"a", "", "b", ""}));
  EXPECT_EQ(empty->path, "/a//b/");
}

TEST(Target, ParsesQuery) {
  Result<Target> target = ParseTarget("/x?limit=10&after=abc%3D&q=a+b&flag&&empty=");
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(target->path, "/x");
  EXPECT_EQ(target->query.size(), 5u);
  EXPECT_EQ(target->query.at("limit"), "10");
  EXPECT_EQ(target->query.at("after"), "abc=");
  EXPECT_EQ(target->query.at("q"), "a b");
  EXPECT_EQ(target->query.at("flag"), "");
  EXPECT_EQ(target->query.at("empty"), "");
}

TEST(Target, PlusInPathIsLiteral) {
  Result<Target> target = ParseTarget("/a+b");
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(target->segments.at(0), "a+b");
}

TEST(Target, RejectsInvalidTargets) {
  struct Case {
    std::string target;
    std::string message;
    std::string field;
  };

  const std::vector<Case> cases = {
      {"", "request target must be a path starting with /", ""},
      {"http://example.test/x", "request target must be a path starting with /", ""},
      {"*", "request target must be a path starting with /", ""},
      {"/x#frag", "request target must not contain a fragment", ""},
      {"/a%2", "invalid percent-encoding in the request target", ""},
      {"/a%zz", "invalid percent-encoding in the request target", ""},
      {"/a%0a", "request path must not contain control characters", ""},
      {"/a%00b", "request path must not contain control characters", ""},
      {"/x?limit=1&limit=2", "query parameter limit is repeated", "limit"},
      {"/x?a=1&%61=2", "query parameter a is repeated", "a"},
      {"/x?=v", "query parameter name is empty", ""},
      {"/x?a=%g0", "invalid percent-encoding in the request target", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.target);
    Result<Target> target = ParseTarget(c.target);
    ASSERT_FALSE(target.ok());
    EXPECT_EQ(target.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(target.status().message(), c.message);
    EXPECT_EQ(target.status().field(), c.field);
  }
}

}  // namespace
}  // namespace custody::http
