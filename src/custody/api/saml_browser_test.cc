#include "custody/api/saml_browser.h"

#include <gtest/gtest.h>

namespace custody::api {
namespace {

struct PathCase {
  std::string path;
  bool local;
};

class LocalPathTest : public testing::TestWithParam<PathCase> {};

// A return path must never send the browser to another origin after sign-in.
TEST_P(LocalPathTest, ClassifiesPath) {
  EXPECT_EQ(IsLocalPath(GetParam().path), GetParam().local) << GetParam().path;
}

INSTANTIATE_TEST_SUITE_P(
    Paths, LocalPathTest,
    testing::Values(PathCase{"/", true}, PathCase{"/evidence?page=2", true},
                    PathCase{"/a/b#c", true}, PathCase{"", false}, PathCase{"evidence", false},
                    PathCase{"//evil.example/", false}, PathCase{"/\\evil.example/", false},
                    PathCase{"/\\/evil.example", false}, PathCase{"https://evil.example/", false},
                    PathCase{"/a\r\nSet-Cookie: x=y", false}, PathCase{"/a\tb", false},
                    PathCase{"/a\x7f", false}, PathCase{"/" + std::string(2048, 'a'), false}));

TEST(BrowserErrorPageTest, StatusAndNoStore) {
  const http::Response page = BrowserErrorPage(Unauthenticated("rejected"));
  EXPECT_EQ(page.status, 401);
  EXPECT_EQ(page.headers.Get("Cache-Control"), "no-store");
  EXPECT_NE(page.body.find("Sign-in failed"), std::string::npos);
  EXPECT_EQ(page.body.find("rejected"), std::string::npos);
}

TEST(BrowserErrorPageTest, MfaPageLinksEscapedRetry) {
  const http::Response page =
      BrowserErrorPage(PermissionDenied("mfa"), "mfa_required",
                       "https://custody.example/sso/saml/org_A/login?a=1&b=\"");
  EXPECT_EQ(page.status, 403);
  EXPECT_NE(page.body.find("Multi-factor authentication required"), std::string::npos);
  EXPECT_NE(
      page.body.find("href=\"https://custody.example/sso/saml/org_A/login?a=1&amp;b=&quot;\""),
      std::string::npos);
}

TEST(BrowserErrorPageTest, UnavailableAndNotFound) {
  EXPECT_EQ(BrowserErrorPage(Unavailable("database")).status, 503);
  EXPECT_EQ(BrowserErrorPage(NotFound("no such organization")).status, 404);
}

}  // namespace
}  // namespace custody::api
