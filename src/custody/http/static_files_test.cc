#include "custody/http/static_files.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "custody/http/router.h"

namespace custody::http {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() /
            ("custody-static-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    root_ = base_ / "dist";
    fs::create_directories(root_ / "assets");
    Write(root_ / "index.html", "<!doctype html><title>Custody</title>");
    Write(root_ / "assets" / "index-abc123.js", "console.log(1);");
    Write(root_ / "assets" / "index-abc123.css", "body{}");
    Write(root_ / ".env", "SECRET=1");
    Write(base_ / "outside.txt", "outside the root");
    fs::create_symlink(base_ / "outside.txt", root_ / "link.txt");
    fs::create_directories(root_ / "docs");
    Write(root_ / "docs" / "page.txt", "text");
  }

  void TearDown() override { fs::remove_all(base_); }

  static void Write(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }

  std::unique_ptr<StaticFiles> OpenFiles(StaticFilesOptions options = {}) {
    options.root = root_.string();
    Result<std::unique_ptr<StaticFiles>> files = StaticFiles::Open(std::move(options));
    EXPECT_TRUE(files.ok()) << files.status().message();
    return files.ok() ? std::move(*files) : nullptr;
  }

  static Response Get(const StaticFiles& files, const std::string& path,
                      const std::string& method = "GET") {
    Request request;
    request.method = method;
    request.path = path;
    return files.Serve(request);
  }

  fs::path base_;
  fs::path root_;
};

TEST_F(StaticFilesTest, ServesFilesWithContentTypes) {
  auto files = OpenFiles();
  ASSERT_NE(files, nullptr);

  struct Case {
    std::string path;
    std::string content_type;
    std::string body;
  };

  const Case cases[] = {
      {"/", "text/html; charset=utf-8", "<!doctype html><title>Custody</title>"},
      {"/index.html", "text/html; charset=utf-8", "<!doctype html><title>Custody</title>"},
      {"/assets/index-abc123.js", "text/javascript; charset=utf-8", "console.log(1);"},
      {"/assets/index-abc123.css", "text/css; charset=utf-8", "body{}"},
      {"/docs/page.txt", "text/plain; charset=utf-8", "text"},
  };
  for (const Case& test_case : cases) {
    const Response response = Get(*files, test_case.path);
    EXPECT_EQ(response.status, 200) << test_case.path;
    EXPECT_EQ(response.headers.Get("Content-Type"), test_case.content_type) << test_case.path;
    EXPECT_EQ(response.body, test_case.body) << test_case.path;
  }
}

TEST_F(StaticFilesTest, AppRoutesGetIndex) {
  auto files = OpenFiles();
  ASSERT_NE(files, nullptr);
  for (const std::string path : {"/evidence/evd_123", "/entities/ent_1", "/sign-in", "/docs"}) {
    const Response response = Get(*files, path);
    EXPECT_EQ(response.status, 200) << path;
    EXPECT_EQ(response.body, "<!doctype html><title>Custody</title>") << path;
  }
}

TEST_F(StaticFilesTest, ServerPathsNeverGetIndex) {
  auto files = OpenFiles();
  ASSERT_NE(files, nullptr);
  for (const std::string path : {"/api", "/api/v1/unknown", "/auth/x", "/scim/v2/Users",
                                 "/sso/saml/x", "/.well-known/x", "/metrics", "/healthz"}) {
    const Response response = Get(*files, path);
    EXPECT_EQ(response.status, 404) << path;
    EXPECT_EQ(response.headers.Get("Content-Type"), "application/problem+json") << path;
  }
}

TEST_F(StaticFilesTest, PathTraversalIsRejected) {
  auto files = OpenFiles();
  ASSERT_NE(files, nullptr);
  // The server decodes the target before this handler runs, so "%2e%2e" arrives as "..".
  const std::vector<std::string> paths = {"/../outside.txt",
                                          "/assets/../../outside.txt",
                                          "/./index.html",
                                          "/.env",
                                          "/link.txt",
                                          "/assets/..",
                                          "//etc/passwd",
                                          "/assets\\..\\..\\outside.txt",
                                          "/assets/missing.js",
                                          "/index.html/",
                                          std::string("/index.html\0.js", 15)};
  for (const std::string& path : paths) {
    const Response response = Get(*files, path);
    EXPECT_EQ(response.status, 404) << path;
    EXPECT_EQ(response.body.find("outside the root"), std::string::npos) << path;
    EXPECT_EQ(response.body.find("SECRET"), std::string::npos) << path;
  }
}

TEST_F(StaticFilesTest, DirectoryIsNotListed) {
  auto files = OpenFiles();
  ASSERT_NE(files, nullptr);
  // A folder without an extension is an app route: index.html, never a listing.
  const Response response = Get(*files, "/assets");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.find("index-abc123"), std::string::npos);
}

TEST_F(StaticFilesTest, OnlyGetAndHeadAreServed) {
  auto files = OpenFiles();
  ASSERT_NE(files, nullptr);
  EXPECT_EQ(Get(*files, "/", "HEAD").status, 200);
  for (const std::string method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
    EXPECT_EQ(Get(*files, "/", method).status, 404) << method;
  }
}

TEST_F(StaticFilesTest, SecurityHeaders) {
  StaticFilesOptions options;
  options.connect_sources = {"http://127.0.0.1:7481"};
  options.form_action_sources = {"https://idp.example"};
  options.strict_transport_security = true;
  auto files = OpenFiles(options);
  ASSERT_NE(files, nullptr);
  const Response page = Get(*files, "/evidence/evd_1");
  const std::string policy = page.headers.Get("Content-Security-Policy");
  EXPECT_NE(policy.find("default-src 'self'"), std::string::npos);
  EXPECT_NE(policy.find("script-src 'self';"), std::string::npos);
  EXPECT_NE(policy.find("style-src 'self';"), std::string::npos);
  EXPECT_NE(policy.find("connect-src 'self' http://127.0.0.1:7481;"), std::string::npos);
  EXPECT_NE(policy.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_NE(policy.find("base-uri 'none'"), std::string::npos);
  EXPECT_NE(policy.find("form-action 'self' https://idp.example"), std::string::npos);
  EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(page.headers.Get("Strict-Transport-Security"), "max-age=31536000");
  EXPECT_EQ(page.headers.Get("X-Frame-Options"), "DENY");
  EXPECT_EQ(page.headers.Get("Cache-Control"), "no-cache");

  const Response asset = Get(*files, "/assets/index-abc123.js");
  EXPECT_EQ(asset.headers.Get("Cache-Control"), "public, max-age=31536000, immutable");
}

TEST_F(StaticFilesTest, NoHstsWithoutTls) {
  auto files = OpenFiles();
  ASSERT_NE(files, nullptr);
  EXPECT_FALSE(Get(*files, "/").headers.Has("Strict-Transport-Security"));
}

TEST_F(StaticFilesTest, OpenRejectsBadOptions) {
  StaticFilesOptions missing;
  missing.root = (base_ / "nothing").string();
  EXPECT_EQ(StaticFiles::Open(missing).status().code(), ErrorCode::kNotFound);

  StaticFilesOptions no_index;
  no_index.root = (root_ / "assets").string();
  EXPECT_EQ(StaticFiles::Open(no_index).status().code(), ErrorCode::kNotFound);

  for (const std::string source :
       {"https://a.example; script-src *", "'unsafe-inline'", "a b", "https://a,b", ""}) {
    StaticFilesOptions injected;
    injected.root = root_.string();
    injected.connect_sources = {source};
    EXPECT_EQ(StaticFiles::Open(injected).status().code(), ErrorCode::kInvalidArgument) << source;
  }
}

// Returns the sources for the request's Cookie header: "session=org-a" and "session=org-b" are
// the sessions of two organizations, and any other value is an anonymous request.
std::vector<std::string> SourcesForCookie(const Request& request) {
  const std::string cookie = request.headers.Get("Cookie");
  if (cookie == "session=org-a") {
    return {"https://org-a.s3.eu-west-1.amazonaws.com"};
  }
  if (cookie == "session=org-b") {
    return {"http://127.0.0.1:9000"};
  }
  return {};
}

Response GetWithCookie(const StaticFiles& files, const std::string& path, const std::string& cookie,
                       const std::string& method = "GET") {
  Request request;
  request.method = method;
  request.path = path;
  if (!cookie.empty()) {
    request.headers.Set("Cookie", cookie);
  }
  return files.Serve(request);
}

TEST_F(StaticFilesTest, RequestSourcesOnAppPages) {
  StaticFilesOptions options;
  options.connect_sources = {"http://127.0.0.1:7481"};
  options.request_connect_sources = SourcesForCookie;
  auto files = OpenFiles(options);
  ASSERT_NE(files, nullptr);

  for (const std::string path : {"/", "/index.html", "/evidence/evd_1"}) {
    for (const std::string method : {"GET", "HEAD"}) {
      const Response page = GetWithCookie(*files, path, "session=org-a", method);
      const std::string policy = page.headers.Get("Content-Security-Policy");
      EXPECT_EQ(page.status, 200) << method << " " << path;
      EXPECT_NE(policy.find("; connect-src 'self' http://127.0.0.1:7481 "
                            "https://org-a.s3.eu-west-1.amazonaws.com; frame-ancestors 'none';"),
                std::string::npos)
          << method << " " << path << ": " << policy;
      EXPECT_EQ(page.headers.Get("Vary"), "Cookie") << method << " " << path;
      // A shared cache that ignores Vary must not hand this page to another session.
      EXPECT_EQ(page.headers.Get("Cache-Control"), "private, no-cache") << method << " " << path;
    }
  }
}

TEST_F(StaticFilesTest, RequestSourcesPerSession) {
  StaticFilesOptions options;
  options.request_connect_sources = SourcesForCookie;
  auto files = OpenFiles(options);
  ASSERT_NE(files, nullptr);

  const std::string org_a =
      GetWithCookie(*files, "/", "session=org-a").headers.Get("Content-Security-Policy");
  const std::string org_b =
      GetWithCookie(*files, "/", "session=org-b").headers.Get("Content-Security-Policy");
  EXPECT_NE(org_a.find("connect-src 'self' https://org-a.s3.eu-west-1.amazonaws.com;"),
            std::string::npos)
      << org_a;
  EXPECT_EQ(org_a.find("127.0.0.1:9000"), std::string::npos) << org_a;
  EXPECT_NE(org_b.find("connect-src 'self' http://127.0.0.1:9000;"), std::string::npos) << org_b;
  EXPECT_EQ(org_b.find("amazonaws.com"), std::string::npos) << org_b;

  for (const std::string cookie : {"", "session=unknown"}) {
    const Response anonymous = GetWithCookie(*files, "/", cookie);
    EXPECT_EQ(anonymous.headers.Get("Content-Security-Policy"), files->content_security_policy())
        << cookie;
    EXPECT_EQ(anonymous.headers.Get("Vary"), "Cookie") << cookie;
    EXPECT_EQ(anonymous.headers.Get("Cache-Control"), "private, no-cache") << cookie;
  }
}

TEST_F(StaticFilesTest, RequestSourcesNotOnOtherFiles) {
  int calls = 0;
  StaticFilesOptions options;
  options.request_connect_sources = [&calls](const Request& request) {
    ++calls;
    return SourcesForCookie(request);
  };
  auto files = OpenFiles(options);
  ASSERT_NE(files, nullptr);

  for (const std::string path : {"/assets/index-abc123.js", "/docs/page.txt", "/assets/none.js",
                                 "/api/v1/me", "/../index.html"}) {
    const Response response = GetWithCookie(*files, path, "session=org-a");
    if (response.status == 200) {
      EXPECT_EQ(response.headers.Get("Content-Security-Policy"), files->content_security_policy())
          << path;
      EXPECT_FALSE(response.headers.Has("Vary")) << path;
    }
  }
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(GetWithCookie(*files, "/", "session=org-a", "POST").status, 404);
  EXPECT_EQ(calls, 0);
}

TEST_F(StaticFilesTest, RequestSourcesAreChecked) {
  StaticFilesOptions options;
  options.connect_sources = {"http://127.0.0.1:7481"};
  options.request_connect_sources = [](const Request&) {
    return std::vector<std::string>{"https://a.example; script-src *",
                                    "'unsafe-inline'",
                                    "a b",
                                    "",
                                    "http://127.0.0.1:7481",
                                    "https://s3.example",
                                    "https://s3.example"};
  };
  auto files = OpenFiles(options);
  ASSERT_NE(files, nullptr);

  const std::string policy = Get(*files, "/").headers.Get("Content-Security-Policy");
  EXPECT_NE(policy.find("; connect-src 'self' http://127.0.0.1:7481 https://s3.example; "),
            std::string::npos)
      << policy;
  EXPECT_EQ(policy.find("script-src *"), std::string::npos) << policy;
  EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos) << policy;
  EXPECT_EQ(policy.find("a.example"), std::string::npos) << policy;
}

TEST_F(StaticFilesTest, NoVaryWithoutRequestSources) {
  auto files = OpenFiles();
  ASSERT_NE(files, nullptr);
  const Response page = GetWithCookie(*files, "/", "session=org-a");
  EXPECT_EQ(page.headers.Get("Content-Security-Policy"), files->content_security_policy());
  EXPECT_FALSE(page.headers.Has("Vary"));
}

TEST_F(StaticFilesTest, RouterFallbackKeepsRoutesAnd405) {
  auto files = OpenFiles();
  ASSERT_NE(files, nullptr);
  Router router;
  router.Add("GET", "/api/v1/me", [](Request&) { return TextResponse(200, "text/plain", "me"); });
  router.SetNotFoundHandler([&files](Request& request) { return files->Serve(request); });

  struct Case {
    std::string method;
    std::vector<std::string> segments;
    int status;
    std::string body_start;
  };

  const Case cases[] = {
      {"GET", {"api", "v1", "me"}, 200, "me"},     {"POST", {"api", "v1", "me"}, 405, "{"},
      {"GET", {"api", "v1", "nothing"}, 404, "{"}, {"GET", {"evidence", "evd_1"}, 200, "<!doctype"},
      {"POST", {"evidence", "evd_1"}, 404, "{"},
  };
  for (const Case& test_case : cases) {
    Request request;
    request.method = test_case.method;
    request.path = "";
    for (const std::string& segment : test_case.segments) {
      request.path += "/" + segment;
    }
    const Response response = router.Dispatch(request, test_case.segments);
    EXPECT_EQ(response.status, test_case.status) << request.method << " " << request.path;
    EXPECT_TRUE(response.body.starts_with(test_case.body_start))
        << request.method << " " << request.path;
  }
}

TEST(ContentTypeForFileNameTest, KnownAndUnknown) {
  EXPECT_EQ(ContentTypeForFileName("a.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeForFileName("a.woff2"), "font/woff2");
  EXPECT_EQ(ContentTypeForFileName("a.exe"), "application/octet-stream");
  EXPECT_EQ(ContentTypeForFileName(".js"), "application/octet-stream");
  EXPECT_EQ(ContentTypeForFileName("noextension"), "application/octet-stream");
}

}  // namespace
}  // namespace custody::http
