#include "custody/http/router.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "custody/http/target.h"

namespace custody::http {
namespace {

Handler Named(std::string name) {
  return [name](Request&) {
    Response response;
    response.body = name;
    return response;
  };
}

Router MakeRouter() {
  Router router;
  router.Add("GET", "/healthz", Named("healthz"));
  router.Add("GET", "/api/v1/users", Named("list users"));
  router.Add("POST", "/api/v1/users", Named("create user"));
  router.Add("GET", "/api/v1/users/{user_id}", Named("get user"));
  router.Add("GET", "/api/v1/users/me", Named("get me"));
  router.Add("POST", "/api/v1/users/{user_id}/deactivate", Named("deactivate"));
  router.Add("POST", "/api/v1/evidence/{evidence_id}/versions/{version_id}/complete",
             Named("complete"));
  router.Add("DELETE", "/api/v1/tokens/{token_id}", Named("delete token"));
  router.Add("GET", "/", Named("root"));
  return router;
}

struct Case {
  std::string method;
  std::string target;
  int status;
  std::string body;  // handler name when matched
  std::string allow;
};

TEST(Router, MatchesTable) {
  const Router router = MakeRouter();
  const std::vector<Case> cases = {
      {"GET", "/healthz", 200, "healthz", ""},
      {"GET", "/", 200, "root", ""},
      {"GET", "/api/v1/users", 200, "list users", ""},
      {"POST", "/api/v1/users", 200, "create user", ""},
      {"GET", "/api/v1/users/usr_1", 200, "get user", ""},
      {"GET", "/api/v1/users/me", 200, "get me", ""},
      {"POST", "/api/v1/users/usr_1/deactivate", 200, "deactivate", ""},
      {"POST", "/api/v1/evidence/evd_1/versions/ver_2/complete", 200, "complete", ""},
      {"GET", "/healthz/", 404, "", ""},
      {"GET", "/HEALTHZ", 404, "", ""},
      {"GET", "/api/v1/users//deactivate", 404, "", ""},
      {"GET", "/api/v1/nothing", 404, "", ""},
      {"GET", "/api/v1/evidence/evd_1/versions/ver_2/complete/extra", 404, "", ""},
      {"GET", "/api/v1/evidence/evd_1/versions/ver_2", 404, "", ""},
      {"DELETE", "/api/v1/users", 405, "", "GET, POST"},
      {"PUT", "/api/v1/users/usr_1", 405, "", "GET"},
      {"GET", "/api/v1/evidence/evd_1/versions/ver_2/complete", 405, "", "POST"},
      {"get", "/healthz", 405, "", "GET"},
      {"HEAD", "/healthz", 405, "", "GET"},
      {"GET", "/api/v1/tokens/tok_1", 405, "", "DELETE"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.method + " " + c.target);
    Result<Target> target = ParseTarget(c.target);
    ASSERT_TRUE(target.ok());
    Request request;
    request.method = c.method;
    request.path = target->path;
    const Response response = router.Dispatch(request, target->segments);
    EXPECT_EQ(response.status, c.status);
    if (c.status == 200) {
      EXPECT_EQ(response.body, c.body);
    }
    EXPECT_EQ(response.headers.Get("Allow"), c.allow);
  }
}

TEST(Router, ExtractsPathParameters) {
  const Router router = MakeRouter();
  Result<Target> target = ParseTarget("/api/v1/evidence/evd_a%2Fb/versions/ver_2/complete");
  ASSERT_TRUE(target.ok());
  const Router::Match match = router.Find("POST", target->segments);
  ASSERT_EQ(match.outcome, Router::Outcome::kMatched);
  ASSERT_EQ(match.path_params.size(), 2u);
  EXPECT_EQ(match.path_params.at("evidence_id"), "evd_a/b");
  EXPECT_EQ(match.path_params.at("version_id"), "ver_2");
}

TEST(Router, FillsRequestPathParams) {
  Router router;
  router.Add("GET", "/items/{item_id}", [](Request& request) {
    Response response;
    response.body = request.PathParam("item_id");
    return response;
  });
  Request request;
  request.method = "GET";
  const Response response = router.Dispatch(request, {"items", "itm_9"});
  EXPECT_EQ(response.body, "itm_9");
  EXPECT_EQ(request.path_params.at("item_id"), "itm_9");
}

TEST(Router, RestParameterMatchesRemainingSegments) {
  Router router;
  router.Add("GET", "/scim/v2/{path...}", Named("scim"));
  router.Add("GET", "/scim/v2/{resource}", Named("one segment"));
  router.Add("GET", "/scim/v2/Users", Named("literal"));

  const Router::Match deep = router.Find("GET", {"scim", "v2", "Users", "a/b%c", ""});
  ASSERT_EQ(deep.outcome, Router::Outcome::kMatched);
  EXPECT_EQ(deep.path_params.at("path"), "Users/a%2Fb%25c/");

  Request request;
  request.method = "GET";
  EXPECT_EQ(router.Dispatch(request, {"scim", "v2", "Users"}).body, "literal");
  EXPECT_EQ(router.Dispatch(request, {"scim", "v2", "Groups"}).body, "one segment");
  EXPECT_EQ(router.Dispatch(request, {"scim", "v2", "Groups", "x"}).body, "scim");
  EXPECT_EQ(router.Dispatch(request, {"scim", "v2", ""}).body, "scim");
  EXPECT_EQ(router.Find("GET", {"scim", "v2"}).outcome, Router::Outcome::kNotFound);
  EXPECT_EQ(router.Find("GET", {"scim"}).outcome, Router::Outcome::kNotFound);
}

TEST(Router, LiteralBeatsParameterRegardlessOfOrder) {
  Router router;
  router.Add("GET", "/a/{x}/c", Named("param first"));
  router.Add("GET", "/a/b/{y}", Named("literal first"));
  Request request;
  request.method = "GET";
  EXPECT_EQ(router.Dispatch(request, {"a", "b", "c"}).body, "literal first");
  EXPECT_EQ(router.Dispatch(request, {"a", "z", "c"}).body, "param first");
}

TEST(Router, MethodOfLessSpecificRouteStillMatches) {
  Router router;
  router.Add("GET", "/users/me", Named("me"));
  router.Add("DELETE", "/users/{user_id}", Named("delete"));
  Request request;
  request.method = "DELETE";
  EXPECT_EQ(router.Dispatch(request, {"users", "me"}).body, "delete");
  request.method = "POST";
  const Response response = router.Dispatch(request, {"users", "me"});
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers.Get("Allow"), "DELETE, GET");
}

TEST(Router, NotFoundIsProblem) {
  const Router router = MakeRouter();
  Request request;
  request.method = "GET";
  const Response response = router.Dispatch(request, {"nowhere"});
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.headers.Get("Content-Type"), "application/problem+json");
  EXPECT_EQ(response.body,
            R"({"type":"urn:custody:problem:not-found","title":"Resource not found",)"
            R"("status":404,"detail":"resource not found"})");
}

TEST(Router, MethodNotAllowedIsProblem) {
  const Router router = MakeRouter();
  Request request;
  request.method = "PATCH";
  const Response response = router.Dispatch(request, {"healthz"});
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers.Get("Content-Type"), "application/problem+json");
  EXPECT_NE(response.body.find(R"("status":405)"), std::string::npos);
}

TEST(RouterDeathTest, RejectsBadPatterns) {
  EXPECT_DEATH(
      {
        Router router;
        router.Add("GET", "no-slash", Named("x"));
      },
      "must start with /");
  EXPECT_DEATH(
      {
        Router router;
        router.Add("GET", "/a//b", Named("x"));
      },
      "empty segment");
  EXPECT_DEATH(
      {
        Router router;
        router.Add("GET", "/a/{id}/b/{id}", Named("x"));
      },
      "repeated parameter");
  EXPECT_DEATH(
      {
        Router router;
        router.Add("GET", "/a/{id", Named("x"));
      },
      "parameter segment");
  EXPECT_DEATH(
      {
        Router router;
        router.Add("GET", "/a", Named("x"));
        router.Add("GET", "/a", Named("y"));
      },
      "registered twice");
}

}  // namespace
}  // namespace custody::http
