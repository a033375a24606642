#include "custody/cli/app.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>
#include <vector>

#include <gtest/gtest.h>

#include "custody/cli/test_support.h"

namespace custody::cli {
namespace {

using testing::FakeEnvironment;
using testing::TempDir;

ParseResult Parse(std::vector<const char*> arguments) {
  arguments.insert(arguments.begin(), "custody");
  return ParseArguments(static_cast<int>(arguments.size()), arguments.data());
}

TEST(ParseArgumentsTest, Upload) {
  const ParseResult result = Parse({"upload", "rules.csv", "--entity", "ent_1", "--evidence",
                                    "evd_1", "--title", "Rules", "--media-type", "text/csv"});
  ASSERT_TRUE(result.arguments.has_value()) << result.error;
  EXPECT_EQ(result.arguments->command, Command::kUpload);
  const UploadOptions& upload = result.arguments->upload;
  EXPECT_EQ(upload.file, "rules.csv");
  EXPECT_EQ(upload.entity_id, "ent_1");
  EXPECT_EQ(upload.evidence_id, "evd_1");
  EXPECT_EQ(upload.title, "Rules");
  EXPECT_EQ(upload.media_type, "text/csv");
}

TEST(ParseArgumentsTest, UploadWithEvidenceOnly) {
  const ParseResult result = Parse({"upload", "rules.csv", "--evidence", "evd_1"});
  ASSERT_TRUE(result.arguments.has_value()) << result.error;
}

TEST(ParseArgumentsTest, UploadNeedsEntityOrEvidence) {
  const ParseResult result = Parse({"upload", "rules.csv"});
  EXPECT_FALSE(result.arguments.has_value());
  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_NE(result.error.find("--entity"), std::string::npos) << result.error;
}

TEST(ParseArgumentsTest, UploadNeedsFile) {
  const ParseResult result = Parse({"upload", "--entity", "ent_1"});
  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_EQ(result.error.rfind("error: ", 0), 0u) << result.error;
}

TEST(ParseArgumentsTest, Download) {
  const ParseResult result =
      Parse({"download", "evd_1", "--version", "ver_2", "-o", "out.bin", "--force"});
  ASSERT_TRUE(result.arguments.has_value()) << result.error;
  const DownloadOptions& download = result.arguments->download;
  EXPECT_EQ(result.arguments->command, Command::kDownload);
  EXPECT_EQ(download.evidence_id, "evd_1");
  EXPECT_EQ(download.version_id, "ver_2");
  EXPECT_EQ(download.output, "out.bin");
  EXPECT_TRUE(download.force);
}

TEST(ParseArgumentsTest, UploadRejectsMediaTypeParameters) {
  const ParseResult result = Parse(
      {"upload", "rules.csv", "--entity", "ent_1", "--media-type", "text/csv; charset=utf-8"});
  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_NE(result.error.find("--media-type"), std::string::npos) << result.error;
}

TEST(ParseArgumentsTest, ListVariants) {
  ParseResult result = Parse({"ls"});
  ASSERT_TRUE(result.arguments.has_value()) << result.error;
  EXPECT_EQ(result.arguments->command, Command::kList);

  result = Parse({"ls", "--entity", "ent_1", "--json"});
  ASSERT_TRUE(result.arguments.has_value()) << result.error;
  EXPECT_EQ(result.arguments->list.entity_id, "ent_1");
  EXPECT_TRUE(result.arguments->list.json);

  result = Parse({"ls", "--evidence", "evd_1"});
  ASSERT_TRUE(result.arguments.has_value()) << result.error;
  EXPECT_EQ(result.arguments->list.evidence_id, "evd_1");
}

TEST(ParseArgumentsTest, ListEntityAndEvidenceExclude) {
  const ParseResult result = Parse({"ls", "--entity", "ent_1", "--evidence", "evd_1"});
  EXPECT_FALSE(result.arguments.has_value());
  EXPECT_EQ(result.exit_code, kExitUsage);
}

TEST(ParseArgumentsTest, Resume) {
  ParseResult result = Parse({"resume", "--max-attempts", "3"});
  ASSERT_TRUE(result.arguments.has_value()) << result.error;
  EXPECT_EQ(result.arguments->resume.max_attempts, 3);

  result = Parse({"resume", "--max-attempts", "0"});
  EXPECT_EQ(result.exit_code, kExitUsage);

  result = Parse({"resume", "--list", "--drop", "ver_1"});
  EXPECT_EQ(result.exit_code, kExitUsage);
}

TEST(ParseArgumentsTest, ServerFlagBeforeOrAfterCommand) {
  ParseResult result = Parse({"--server", "https://a.example", "ls"});
  ASSERT_TRUE(result.arguments.has_value()) << result.error;
  EXPECT_EQ(result.arguments->server, "https://a.example");

  result = Parse({"ls", "--server", "https://b.example"});
  ASSERT_TRUE(result.arguments.has_value()) << result.error;
  EXPECT_EQ(result.arguments->server, "https://b.example");
}

TEST(ParseArgumentsTest, RejectsUnsafeIds) {
  for (const char* id : {"../x", "evd_1/complete", "evd_1?a=b", "%2e%2e"}) {
    EXPECT_EQ(Parse({"download", id}).exit_code, kExitUsage) << id;
    EXPECT_EQ(Parse({"ls", "--entity", id}).exit_code, kExitUsage) << id;
    EXPECT_EQ(Parse({"upload", "f", "--entity", id}).exit_code, kExitUsage) << id;
  }
}

TEST(ParseArgumentsTest, HasNoTokenFlag) {
  const ParseResult result = Parse({"ls", "--token", "cst_x_y"});
  EXPECT_FALSE(result.arguments.has_value());
  EXPECT_EQ(result.exit_code, kExitUsage);
}

TEST(ParseArgumentsTest, NoCommandIsUsageError) {
  EXPECT_EQ(Parse({}).exit_code, kExitUsage);
  EXPECT_EQ(Parse({"frobnicate"}).exit_code, kExitUsage);
}

TEST(ParseArgumentsTest, HelpExplainsTokenAndExitCodes) {
  const ParseResult result = Parse({"--help"});
  EXPECT_FALSE(result.arguments.has_value());
  EXPECT_EQ(result.exit_code, kExitOk);
  EXPECT_NE(result.output.find("CUSTODY_TOKEN"), std::string::npos);
  EXPECT_NE(result.output.find("ONLY the environment variable"), std::string::npos);
  EXPECT_NE(result.output.find("Exit codes"), std::string::npos);
  EXPECT_NE(result.output.find("4  not found"), std::string::npos);
}

TEST(ExitCodeForTest, Table) {
  EXPECT_EQ(ExitCodeFor(Status::Ok()), 0);
  EXPECT_EQ(ExitCodeFor(InvalidArgument("x")), 2);
  EXPECT_EQ(ExitCodeFor(Unauthenticated("x")), 3);
  EXPECT_EQ(ExitCodeFor(PermissionDenied("x")), 3);
  EXPECT_EQ(ExitCodeFor(NotFound("x")), 4);
  EXPECT_EQ(ExitCodeFor(Conflict("x")), 1);
  EXPECT_EQ(ExitCodeFor(Unavailable("x")), 1);
  EXPECT_EQ(ExitCodeFor(Internal("x")), 1);
}

TEST(FormatErrorTest, WithAndWithoutField) {
  EXPECT_EQ(FormatError(InvalidArgument("size must be at least 1", "/size")),
            "error: size must be at least 1 (/size)");
  EXPECT_EQ(FormatError(NotFound("evidence item not found")), "error: evidence item not found");
}

class MainTest : public ::testing::Test {
 protected:
  int Run(std::vector<const char*> arguments, std::map<std::string, std::string> variables) {
    arguments.insert(arguments.begin(), "custody");
    variables["HOME"] = home_.path().string();
    return Main(static_cast<int>(arguments.size()), arguments.data(),
                FakeEnvironment(std::move(variables)), out_, err_, false);
  }

  TempDir home_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(MainTest, MissingTokenIsAuthError) {
  EXPECT_EQ(Run({"ls"}, {{"CUSTODY_SERVER", "https://custody.example"}}), kExitAuth);
  EXPECT_NE(err_.str().find("CUSTODY_TOKEN"), std::string::npos) << err_.str();
}

TEST_F(MainTest, MissingServerIsUsageError) {
  EXPECT_EQ(Run({"ls"}, {{"CUSTODY_TOKEN", "cst_a_b"}}), kExitUsage);
  EXPECT_NE(err_.str().find("no server configured"), std::string::npos) << err_.str();
}

TEST_F(MainTest, TokenInConfigFileIsRejected) {
  home_.Write(".config/custody/config.toml",
              "server = \"https://custody.example\"\ntoken = \"cst_a_b\"\n");
  EXPECT_EQ(Run({"ls"}, {{"CUSTODY_TOKEN", "cst_a_b"}}), kExitUsage);
  EXPECT_NE(err_.str().find("CUSTODY_TOKEN"), std::string::npos) << err_.str();
}

TEST_F(MainTest, UnreachableServerIsFailure) {
  // A socket bound to a loopback port but not listening: connections to it are refused, and
  // no other process can take the port while the socket stays open.
  const int socket_fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(socket_fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::bind(socket_fd, reinterpret_cast<sockaddr*>(&address), length), 0);
  ASSERT_EQ(::getsockname(socket_fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string server = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));

  const int exit_code = Run({"ls", "--server", server.c_str()}, {{"CUSTODY_TOKEN", "cst_a_b"}});
  ::close(socket_fd);
  EXPECT_EQ(exit_code, kExitFailure);
  EXPECT_EQ(err_.str().rfind("error: ", 0), 0u) << err_.str();
  EXPECT_EQ(err_.str().find("cst_a_b"), std::string::npos);
}

TEST_F(MainTest, QueueListingNeedsNoServer) {
  EXPECT_EQ(Run({"resume", "--list"}, {}), kExitOk) << err_.str();
  EXPECT_NE(out_.str().find("VERSION"), std::string::npos);
}

}  // namespace
}  // namespace custody::cli
