#include "custody/http/json.h"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace custody::http {
namespace {

using Json = nlohmann::json;

Request JsonRequest(std::string body, std::string content_type = "application/json") {
  Request request;
  request.headers.Set("Content-Type", content_type);
  request.body = std::move(body);
  return request;
}

TEST(JsonParse, AcceptsObject) {
  Result<Json> body = ParseJsonObjectBody(JsonRequest(R"({"title":"SOC 2","size":12})"));
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(body->at("title"), "SOC 2");
  EXPECT_EQ(body->at("size"), 12);
}

TEST(JsonParse, ContentTypeVariants) {
  EXPECT_TRUE(IsJsonContentType("application/json"));
  EXPECT_TRUE(IsJsonContentType("Application/JSON"));
  EXPECT_TRUE(IsJsonContentType("application/json; charset=utf-8"));
  EXPECT_TRUE(IsJsonContentType(" application/json ;charset=UTF-8"));
  EXPECT_FALSE(IsJsonContentType("text/plain"));
  EXPECT_FALSE(IsJsonContentType("application/json-patch+json"));
  EXPECT_FALSE(IsJsonContentType("application/jsonx"));
  EXPECT_FALSE(IsJsonContentType(""));
}

TEST(JsonParse, RejectsWrongContentType) {
  for (const std::string content_type : {"text/plain", "application/x-www-form-urlencoded", ""}) {
    SCOPED_TRACE(content_type);
    Result<Json> body = ParseJsonBody(JsonRequest("{}", content_type));
    ASSERT_FALSE(body.ok());
    EXPECT_EQ(body.status().code(), ErrorCode::kUnsupportedMediaType);
  }
  Request missing;
  missing.body = "{}";
  Result<Json> body = ParseJsonBody(missing);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), ErrorCode::kUnsupportedMediaType);
}

TEST(JsonParse, CharsetMustBeUtf8) {
  struct Case {
    std::string content_type;
    bool accepted;
  };

  const std::vector<Case> cases = {
      {"application/json", true},
      {"application/json; charset=utf-8", true},
      {"application/json; charset=UTF-8", true},
      {"application/json;charset=\"utf-8\"", true},
      {"application/json; version=2", true},
      {"application/json; version=2; charset=Utf-8", true},
      {"application/json; charset=iso-8859-1", false},
      {"application/json; charset=utf-16", false},
      {"application/json; charset=utf8", false},
      {"application/json; charset=", false},
      {"application/json; charset=utf-8; charset=latin1", false},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.content_type);
    Result<Json> body = ParseJsonBody(JsonRequest("{}", test_case.content_type));
    if (test_case.accepted) {
      EXPECT_TRUE(body.ok()) << body.status().ToString();
    } else {
      ASSERT_FALSE(body.ok());
      EXPECT_EQ(body.status().code(), ErrorCode::kUnsupportedMediaType);
    }
  }
}

TEST(JsonParse, RepeatedContentTypeRejected) {
  for (const std::string second : {"application/json", "text/plain"}) {
    SCOPED_TRACE(second);
    Request request = JsonRequest("{}");
    request.headers.Add("Content-Type", second);
    Result<Json> body = ParseJsonBody(request);
    ASSERT_FALSE(body.ok());
    EXPECT_EQ(body.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(body.status().message().find("Content-Type"), std::string::npos);

    const Status empty_body = CheckEmptyJsonBody(request);
    EXPECT_EQ(empty_body.code(), ErrorCode::kInvalidArgument);
  }
}

TEST(EmptyJsonBody, AcceptsNothingOrEmptyObject) {
  Request no_body;
  EXPECT_TRUE(CheckEmptyJsonBody(no_body).ok());
  EXPECT_TRUE(CheckEmptyJsonBody(JsonRequest("", "text/plain")).ok());
  EXPECT_TRUE(CheckEmptyJsonBody(JsonRequest(" \r\n\t", "text/plain")).ok());
  EXPECT_TRUE(CheckEmptyJsonBody(JsonRequest("{}")).ok());
  EXPECT_TRUE(CheckEmptyJsonBody(JsonRequest(" { } \n", "application/json; charset=utf-8")).ok());
}

TEST(EmptyJsonBody, RejectsOtherBodies) {
  struct Case {
    std::string body;
    std::optional<std::string> content_type;
    ErrorCode expected;
  };

  const std::vector<Case> cases = {
      {"{}", std::nullopt, ErrorCode::kUnsupportedMediaType},
      {"{}", "text/plain", ErrorCode::kUnsupportedMediaType},
      {"hello", "text/plain", ErrorCode::kUnsupportedMediaType},
      {"a=1", "application/x-www-form-urlencoded", ErrorCode::kUnsupportedMediaType},
      {"{}", "application/json; charset=latin1", ErrorCode::kUnsupportedMediaType},
      {"hello", "application/json", ErrorCode::kInvalidArgument},
      {R"({"a":1})", "application/json", ErrorCode::kInvalidArgument},
      {"[]", "application/json", ErrorCode::kInvalidArgument},
      {"null", "application/json", ErrorCode::kInvalidArgument},
      {"{}{}", "application/json", ErrorCode::kInvalidArgument},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.body + " as " + test_case.content_type.value_or("(none)"));
    Request request;
    request.body = test_case.body;
    if (test_case.content_type.has_value()) {
      request.headers.Set("Content-Type", *test_case.content_type);
    }
    EXPECT_EQ(CheckEmptyJsonBody(request).code(), test_case.expected);
  }
}

TEST(JsonParse, MalformedNamesByteOffset) {
  struct Case {
    std::string text;
    std::string message;
  };

  const std::vector<Case> cases = {
      {"",
       "request body is not valid JSON at byte offset 1: syntax error while parsing value - "
       "unexpected end of input; expected '[', '{', or a literal"},
      {R"({"a":tru})",
       "request body is not valid JSON at byte offset 9: syntax error while "
       "parsing value - invalid literal"},
      {R"({"a":1,})",
       "request body is not valid JSON at byte offset 8: syntax error while "
       "parsing object key - unexpected '}'; expected string literal"},
      {R"({"a":1} x)",
       "request body is not valid JSON at byte offset 9: syntax error while "
       "parsing value - invalid literal"},
      {"{\"a\":\"\xff\"}",
       "request body is not valid JSON at byte offset 7: syntax error while "
       "parsing value - invalid string: ill-formed UTF-8 byte"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    Result<Json> body = ParseJson(c.text);
    ASSERT_FALSE(body.ok());
    EXPECT_EQ(body.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(body.status().message(), c.message);
  }
}

TEST(JsonParse, RejectsTrailingValue) {
  Result<Json> body = ParseJson(R"({"a":1}{"b":2})");
  ASSERT_FALSE(body.ok());
  EXPECT_NE(body.status().message().find("byte offset 8"), std::string::npos);
}

TEST(JsonParse, RejectsDuplicateKeys) {
  struct Case {
    std::string text;
    std::string field;
  };

  const std::vector<Case> cases = {
      {R"({"size":1,"size":2})", "/size"},
      {R"({"a":{"b":1,"b":1}})", "/a/b"},
      {R"({"list":[{"x":1},{"x":1,"x":2}]})", "/list/1/x"},
      {R"({"a/b":1,"a/b":2})", "/a~1b"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    Result<Json> body = ParseJson(c.text);
    ASSERT_FALSE(body.ok());
    EXPECT_EQ(body.status().field(), c.field);
    EXPECT_EQ(body.status().message(), c.field + " is a duplicate key");
  }
}

TEST(JsonParse, SameKeyInSiblingObjectsIsFine) {
  Result<Json> body = ParseJson(R"({"a":{"x":1},"b":{"x":2},"c":[{"x":1},{"x":2}]})");
  EXPECT_TRUE(body.ok()) << body.status().ToString();
}

TEST(JsonParse, BoundsNestingDepth) {
  const std::string at_limit = std::string(32, '[') + std::string(32, ']');
  EXPECT_TRUE(ParseJson(at_limit).ok());

  const std::string too_deep = std::string(33, '[') + std::string(33, ']');
  Result<Json> body = ParseJson(too_deep);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().message(), "request body nests objects and arrays deeper than 32 levels");

  const std::string very_deep(100000, '[');
  EXPECT_FALSE(ParseJson(very_deep).ok());

  JsonParseOptions options;
  options.max_depth = 2;
  EXPECT_TRUE(ParseJson(R"({"a":[1]})", options).ok());
  EXPECT_FALSE(ParseJson(R"({"a":{"b":{}}})", options).ok());
}

TEST(JsonParse, HugeNumbers) {
  Result<Json> overflow = ParseJson(R"({"size":1e400})");
  ASSERT_FALSE(overflow.ok());
  EXPECT_NE(overflow.status().message().find("number overflow"), std::string::npos);

  Result<Json> long_integer = ParseJson(R"({"size":123456789012345678901234567890})");
  ASSERT_TRUE(long_integer.ok());
  JsonObjectReader reader(*long_integer);
  Result<int64_t> size = reader.Int("size");
  ASSERT_FALSE(size.ok());
  EXPECT_EQ(size.status().message(), "/size must be an integer");
  EXPECT_EQ(size.status().field(), "/size");

  Result<Json> above_int64 = ParseJson(R"({"size":9223372036854775808})");
  ASSERT_TRUE(above_int64.ok());
  JsonObjectReader above_reader(*above_int64);
  Result<int64_t> above = above_reader.Int("size");
  ASSERT_FALSE(above.ok());
  EXPECT_EQ(above.status().message(), "/size is out of range");

  Result<Json> max_int64 = ParseJson(R"({"size":9223372036854775807,"low":-9223372036854775808})");
  ASSERT_TRUE(max_int64.ok());
  JsonObjectReader max_reader(*max_int64);
  Result<int64_t> max = max_reader.Int("size");
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(*max, 9223372036854775807);
  Result<int64_t> low = max_reader.Int("low");
  ASSERT_TRUE(low.ok());
  EXPECT_EQ(*low, INT64_MIN);
}

TEST(JsonParse, ObjectBodyRequiresObject) {
  Result<Json> body = ParseJsonObjectBody(JsonRequest("[1,2]"));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().message(), "request body must be a JSON object");
}

TEST(JsonReader, ReadsTypedFields) {
  const Json body =
      Json::parse(R"({"title":"t","size":5,"flag":true,"nested":{"k":"v"},"nothing":null})");
  JsonObjectReader reader(body);
  ASSERT_TRUE(reader.Check().ok());

  Result<std::string> title = reader.String("title");
  ASSERT_TRUE(title.ok());
  EXPECT_EQ(*title, "t");
  Result<int64_t> size = reader.Int("size");
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 5);
  Result<bool> flag = reader.Bool("flag");
  ASSERT_TRUE(flag.ok());
  EXPECT_TRUE(*flag);

  Result<JsonObjectReader> nested = reader.Object("nested");
  ASSERT_TRUE(nested.ok());
  Result<std::string> value = nested->String("k");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, "v");
  EXPECT_TRUE(nested->RejectUnknownFields().ok());

  Result<std::optional<std::string>> nothing = reader.OptionalString("nothing");
  ASSERT_TRUE(nothing.ok());
  EXPECT_FALSE(nothing->has_value());
  Result<std::optional<int64_t>> absent = reader.OptionalInt("absent");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());

  EXPECT_TRUE(reader.RejectUnknownFields().ok());
}

TEST(JsonReader, WrongTypesNameThePointer) {
  const Json body =
      Json::parse(R"({"size":"5","ratio":1.5,"whole":2.0,"name":7,"flag":"yes","nested":[],)"
                  R"("inner":{"count":"x"}})");

  struct Case {
    std::string key;
    std::string message;
  };

  JsonObjectReader reader(body);
  Result<int64_t> size = reader.Int("size");
  ASSERT_FALSE(size.ok());
  EXPECT_EQ(size.status().message(), "/size must be an integer");
  EXPECT_EQ(size.status().field(), "/size");

  Result<int64_t> ratio = reader.Int("ratio");
  ASSERT_FALSE(ratio.ok());
  EXPECT_EQ(ratio.status().message(), "/ratio must be an integer");

  Result<int64_t> whole = reader.Int("whole");
  ASSERT_FALSE(whole.ok());
  EXPECT_EQ(whole.status().message(), "/whole must be an integer");

  Result<std::string> name = reader.String("name");
  ASSERT_FALSE(name.ok());
  EXPECT_EQ(name.status().message(), "/name must be a string");

  Result<bool> flag = reader.Bool("flag");
  ASSERT_FALSE(flag.ok());
  EXPECT_EQ(flag.status().message(), "/flag must be a boolean");

  Result<JsonObjectReader> nested = reader.Object("nested");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().message(), "/nested must be an object");
  EXPECT_EQ(nested.status().field(), "/nested");

  Result<JsonObjectReader> inner = reader.Object("inner");
  ASSERT_TRUE(inner.ok());
  Result<int64_t> count = inner->Int("count");
  ASSERT_FALSE(count.ok());
  EXPECT_EQ(count.status().message(), "/inner/count must be an integer");
  EXPECT_EQ(count.status().field(), "/inner/count");
}

TEST(JsonReader, RequiredFieldMissingOrNull) {
  const Json body = Json::parse(R"({"title":null})");
  JsonObjectReader reader(body);
  Result<std::string> title = reader.String("title");
  ASSERT_FALSE(title.ok());
  EXPECT_EQ(title.status().message(), "/title is required");
  EXPECT_EQ(title.status().field(), "/title");
  Result<int64_t> size = reader.Int("size");
  ASSERT_FALSE(size.ok());
  EXPECT_EQ(size.status().message(), "/size is required");
}

TEST(JsonReader, RejectsUnknownFields) {
  const Json body = Json::parse(R"({"title":"t","external_id":"x","zzz":1})");
  JsonObjectReader reader(body);
  ASSERT_TRUE(reader.String("title").ok());
  const Status status = reader.RejectUnknownFields();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "/external_id is not a known field");
  EXPECT_EQ(status.field(), "/external_id");
}

TEST(JsonReader, EscapesPointerTokens) {
  EXPECT_EQ(EscapeJsonPointerToken("a/b~c"), "a~1b~0c");
  const Json body = Json::parse(R"({"a/b":1})");
  JsonObjectReader reader(body, "/outer");
  EXPECT_EQ(reader.PointerTo("a/b"), "/outer/a~1b");
}

TEST(JsonReader, NonObjectFailsCheck) {
  const Json body = Json::parse("[1]");
  JsonObjectReader reader(body);
  const Status status = reader.Check();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "request body must be an object");
}

TEST(JsonResponse, SetsContentTypeAndBody) {
  const Response response = JsonResponse(201, Json{{"id", "evd_1"}});
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.headers.Get("Content-Type"), "application/json");
  EXPECT_EQ(response.body, R"({"id":"evd_1"})");
}

TEST(JsonResponse, ReplacesInvalidUtf8) {
  const Response response = JsonResponse(200, Json{{"name", "bad \xff"}});
  EXPECT_EQ(response.body, "{\"name\":\"bad \xef\xbf\xbd\"}");
}

}  // namespace
}  // namespace custody::http
