#include "custody/http/problem.h"

#include <gtest/gtest.h>

namespace custody::http {
namespace {

TEST(Problem, BodyWithField) {
  const Response response =
      ProblemResponse(InvalidArgument("size must be between 1 and 5368709120 bytes", "/size"));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.headers.Get("Content-Type"), "application/problem+json");
  EXPECT_EQ(response.body,
            R"({"type":"urn:custody:problem:invalid-argument",)"
            R"("title":"The request contains an invalid value","status":400,)"
            R"("detail":"size must be between 1 and 5368709120 bytes","field":"/size"})");
}

TEST(Problem, BodyWithoutField) {
  const Response response = ProblemResponse(Unavailable("database is not reachable"));
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, R"({"type":"urn:custody:problem:unavailable",)"
                           R"("title":"The service cannot complete the request now","status":503,)"
                           R"("detail":"database is not reachable"})");
}

TEST(Problem, StatusFollowsCatalog) {
  struct Case {
    Status status;
    int http_status;
  };

  const Case cases[] = {
      {Unauthenticated("x"), 401},
      {PermissionDenied("x"), 403},
      {NotFound("x"), 404},
      {Conflict("x"), 409},
      {FailedPrecondition("x"), 409},
      {Status(ErrorCode::kPayloadTooLarge, "x"), 413},
      {Status(ErrorCode::kUnsupportedMediaType, "x"), 415},
      {UpstreamFailed("x"), 502},
      {Internal("x"), 500},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ProblemResponse(c.status).status, c.http_status) << c.status.ToString();
  }
}

TEST(Problem, OkStatusBecomesInternalError) {
  EXPECT_EQ(ProblemResponse(Status::Ok()).status, 500);
}

TEST(Problem, InvalidUtf8InDetailIsReplaced) {
  const Response response = ProblemResponse(InvalidArgument("bad value \xff"));
  EXPECT_NE(response.body.find("bad value \xef\xbf\xbd"), std::string::npos);
}

TEST(Problem, NotFoundResponsesAreIdentical) {
  const Response first = NotFoundResponse();
  const Response second = NotFoundResponse();
  EXPECT_EQ(first.status, 404);
  EXPECT_EQ(first.body, second.body);
  EXPECT_EQ(first.headers.Get("Content-Type"), second.headers.Get("Content-Type"));
  EXPECT_EQ(first.headers.size(), second.headers.size());
}

TEST(ToHandler, ErrorBecomesProblem) {
  const Handler handler = ToHandler([](Request& request) -> Result<Response> {
    if (request.body.empty()) {
      return InvalidArgument("/title is required", "/title");
    }
    return TextResponse(201, "text/plain", request.body);
  });
  Request empty;
  const Response failed = handler(empty);
  EXPECT_EQ(failed.status, 400);
  EXPECT_NE(failed.body.find(R"("field":"/title")"), std::string::npos);

  Request full;
  full.body = "ok";
  const Response created = handler(full);
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(created.body, "ok");
}

}  // namespace
}  // namespace custody::http
