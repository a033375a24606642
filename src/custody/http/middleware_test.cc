#include "custody/http/middleware.h"

#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace custody::http {
namespace {

TEST(FinalizeResponse, AddsSecurityHeadersAndRequestId) {
  Response response;
  response.headers.Set("Date", "Fri, 04 Dec 2026 16:00:00 GMT");
  response.headers.Set("Content-Length", "99");
  response.headers.Set("X-Request-Id", "spoofed");
  FinalizeResponse(response, "req-1");
  EXPECT_EQ(response.headers.Get("X-Request-Id"), "req-1");
  EXPECT_EQ(response.headers.Count("X-Request-Id"), 1u);
  EXPECT_EQ(response.headers.Get("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(response.headers.Get("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(response.headers.Get("Cache-Control"), "no-store");
  EXPECT_FALSE(response.headers.Has("Date"));
  EXPECT_FALSE(response.headers.Has("Content-Length"));
}

TEST(FinalizeResponse, KeepsHandlerCacheControl) {
  Response response;
  response.headers.Set("Cache-Control", "public, max-age=60");
  FinalizeResponse(response, "req-1");
  EXPECT_EQ(response.headers.Get("Cache-Control"), "public, max-age=60");
}

TEST(FinalizeResponse, RejectsHeaderInjection) {
  Response response;
  response.headers.Set("Location", "/x\r\nSet-Cookie: stolen=1");
  FinalizeResponse(response, "req-1");
  EXPECT_EQ(response.status, 500);
  EXPECT_FALSE(response.headers.Has("Location"));
  EXPECT_FALSE(response.headers.Has("Set-Cookie"));
  EXPECT_EQ(response.headers.Get("X-Request-Id"), "req-1");
}

TEST(FinalizeResponse, RejectsInvalidHeaderNameAndStatus) {
  Response bad_name;
  bad_name.headers.Set("Bad Name", "x");
  FinalizeResponse(bad_name, "r");
  EXPECT_EQ(bad_name.status, 500);

  Response bad_status;
  bad_status.status = 1000;
  FinalizeResponse(bad_status, "r");
  EXPECT_EQ(bad_status.status, 500);
}

TEST(InvokeHandler, ExceptionBecomesInternalError) {
  Router router;
  router.Add("GET", "/boom", [](Request&) -> Response { throw std::runtime_error("boom"); });
  router.Add("GET", "/int", [](Request&) -> Response { throw 42; });
  Request request;
  request.method = "GET";
  const Response thrown = InvokeHandler(router, request, {"boom"});
  EXPECT_EQ(thrown.status, 500);
  EXPECT_EQ(thrown.headers.Get("Content-Type"), "application/problem+json");
  EXPECT_EQ(thrown.body.find("boom"), std::string::npos);
  EXPECT_EQ(InvokeHandler(router, request, {"int"}).status, 500);
}

TEST(IsPathUnderPrefix, MatchesWholeSegments) {
  EXPECT_TRUE(IsPathUnderPrefix("/api/v1", "/api/v1"));
  EXPECT_TRUE(IsPathUnderPrefix("/api/v1/", "/api/v1"));
  EXPECT_TRUE(IsPathUnderPrefix("/api/v1/me", "/api/v1"));
  EXPECT_FALSE(IsPathUnderPrefix("/api/v10", "/api/v1"));
  EXPECT_FALSE(IsPathUnderPrefix("/api", "/api/v1"));
  EXPECT_FALSE(IsPathUnderPrefix("/healthz", "/api/v1"));
  EXPECT_FALSE(IsPathUnderPrefix("/api/v1/me", ""));
}

TEST(HasBearerAuthorization, RequiresOneBearerField) {
  struct Case {
    std::vector<std::string> values;
    bool expected;
  };

  const std::vector<Case> cases = {
      {{"Bearer cst_abc"}, true},
      {{"bearer cst_abc"}, true},
      {{"BEARER  cst_abc"}, true},
      {{"Bearer invalid-but-present"}, true},
      {{}, false},
      {{"Bearer"}, false},
      {{"Bearer "}, false},
      {{"Bearer    "}, false},
      {{"Bearercst_abc"}, false},
      {{"Basic dXNlcjpwdw=="}, false},
      {{"Bearer a", "Bearer b"}, false},
  };
  for (const Case& test_case : cases) {
    Request request;
    std::string trace;
    for (const std::string& value : test_case.values) {
      request.headers.Add("Authorization", value);
      trace += "[" + value + "]";
    }
    SCOPED_TRACE(trace);
    EXPECT_EQ(HasBearerAuthorization(request), test_case.expected);
  }
}

TEST(HasCookie, FindsNamedCookieOnly) {
  struct Case {
    std::vector<std::string> values;
    bool expected;
  };

  const std::vector<Case> cases = {
      {{"s=abc"}, true},        {{"a=1; s=abc"}, true}, {{"a=1;s=abc;b=2"}, true},
      {{"a=1", "s=abc"}, true}, {{"s="}, false},        {{"ss=abc"}, false},
      {{"a=s=abc"}, false},     {{"S=abc"}, false},     {{}, false},
  };
  for (const Case& test_case : cases) {
    Request request;
    std::string trace;
    for (const std::string& value : test_case.values) {
      request.headers.Add("Cookie", value);
      trace += "[" + value + "]";
    }
    SCOPED_TRACE(trace);
    EXPECT_EQ(HasCookie(request, "s"), test_case.expected);
  }
  Request request;
  request.headers.Add("Cookie", "=abc");
  EXPECT_FALSE(HasCookie(request, ""));
}

TEST(BearerTokenRequiredResponse, ChallengesWithBearer) {
  const Response response = BearerTokenRequiredResponse();
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.headers.Get("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(response.headers.Get("Content-Type"), "application/problem+json");
}

}  // namespace
}  // namespace custody::http
