#include "custody/api/query_params.h"

#include <map>
#include <string>

#include <gtest/gtest.h>

namespace custody::api {
namespace {

http::Request RequestWithQuery(std::map<std::string, std::string> query) {
  http::Request request;
  request.method = "GET";
  request.path = "/api/v1/test";
  request.query = std::move(query);
  return request;
}

TEST(CountQueryParamTest, AbsentIsNullopt) {
  const Result<std::optional<uint64_t>> value = CountQueryParam(RequestWithQuery({}), "seq");
  ASSERT_TRUE(value.ok());
  EXPECT_FALSE(value->has_value());
}

TEST(CountQueryParamTest, ParsesDigits) {
  struct Case {
    std::string text;
    uint64_t value;
  };

  const Case cases[] = {
      {"0", 0}, {"7", 7}, {"007", 7}, {"999999999999999999", 999'999'999'999'999'999ULL}};
  for (const Case& test_case : cases) {
    const Result<std::optional<uint64_t>> value =
        CountQueryParam(RequestWithQuery({{"seq", test_case.text}}), "seq");
    ASSERT_TRUE(value.ok()) << test_case.text;
    EXPECT_EQ(value->value(), test_case.value) << test_case.text;
  }
}

TEST(CountQueryParamTest, RejectsNonDigits) {
  for (const std::string text : {"", "-1", "+1", " 1", "1 ", "1.0", "0x10", "ten",
                                 "1000000000000000000", "18446744073709551616"}) {
    const Result<std::optional<uint64_t>> value =
        CountQueryParam(RequestWithQuery({{"seq", text}}), "seq");
    EXPECT_EQ(value.status().code(), ErrorCode::kInvalidArgument) << "\"" << text << "\"";
    EXPECT_EQ(value.status().field(), "seq") << "\"" << text << "\"";
    EXPECT_EQ(value.status().message(), "seq must be a non-negative integer") << text;
  }
}

TEST(RequiredCountQueryParamTest, RejectsAbsence) {
  const Result<uint64_t> missing = RequiredCountQueryParam(RequestWithQuery({}), "from");
  EXPECT_EQ(missing.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(missing.status().message(), "from is required");
  EXPECT_EQ(missing.status().field(), "from");

  const Result<uint64_t> present =
      RequiredCountQueryParam(RequestWithQuery({{"from", "12"}}), "from");
  ASSERT_TRUE(present.ok());
  EXPECT_EQ(*present, 12u);
}

TEST(LimitQueryParamTest, RangeAndFallback) {
  const Result<int> fallback = LimitQueryParam(RequestWithQuery({}), 100, 25);
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ(*fallback, 25);
  for (const std::string text : {"1", "100"}) {
    const Result<int> limit = LimitQueryParam(RequestWithQuery({{"limit", text}}), 100, 25);
    ASSERT_TRUE(limit.ok()) << text;
    EXPECT_EQ(*limit, std::stoi(text));
  }
  for (const std::string text : {"0", "101", "-5", "many", "99999999999999999999"}) {
    const Result<int> limit = LimitQueryParam(RequestWithQuery({{"limit", text}}), 100, 25);
    EXPECT_EQ(limit.status().code(), ErrorCode::kInvalidArgument) << text;
    EXPECT_EQ(limit.status().field(), "limit") << text;
  }
  EXPECT_EQ(LimitQueryParam(RequestWithQuery({{"limit", "0"}}), 100, 25).status().message(),
            "limit must be an integer between 1 and 100");
}

TEST(ParseNoQueryTest, RejectsAnyParameter) {
  EXPECT_TRUE(ParseNoQuery(RequestWithQuery({})).ok());
  const Result<bool> rejected = ParseNoQuery(RequestWithQuery({{"x", "1"}}));
  EXPECT_EQ(rejected.status().code(), ErrorCode::kInvalidArgument);
}

TEST(ParseNoQueryOrBodyTest, RejectsQueryAndBody) {
  EXPECT_TRUE(ParseNoQueryOrBody(RequestWithQuery({})).ok());
  EXPECT_EQ(ParseNoQueryOrBody(RequestWithQuery({{"x", "1"}})).status().code(),
            ErrorCode::kInvalidArgument);

  http::Request with_body = RequestWithQuery({});
  with_body.method = "POST";
  with_body.headers.Set("Content-Type", "application/json");
  with_body.body = R"({"name": "x"})";
  EXPECT_FALSE(ParseNoQueryOrBody(with_body).ok());

  http::Request empty_object = RequestWithQuery({});
  empty_object.method = "POST";
  empty_object.headers.Set("Content-Type", "application/json");
  empty_object.body = "{}";
  EXPECT_TRUE(ParseNoQueryOrBody(empty_object).ok());
}

}  // namespace
}  // namespace custody::api
