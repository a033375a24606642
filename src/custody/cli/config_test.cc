#include "custody/cli/config.h"

#include <gtest/gtest.h>

#include "custody/cli/test_support.h"

namespace custody::cli {
namespace {

using testing::FakeEnvironment;
using testing::TempDir;

TEST(ConfigPathsTest, UsesAbsoluteXdgConfigHome) {
  const auto environment = FakeEnvironment({{"XDG_CONFIG_HOME", "/x/config"}, {"HOME", "/h"}});
  Result<std::filesystem::path> path = ConfigFilePath(environment);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, "/x/config/custody/config.toml");
}

TEST(ConfigPathsTest, IgnoresRelativeXdgConfigHome) {
  const auto environment = FakeEnvironment({{"XDG_CONFIG_HOME", "relative"}, {"HOME", "/h"}});
  Result<std::filesystem::path> path = ConfigFilePath(environment);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, "/h/.config/custody/config.toml");
}

TEST(ConfigPathsTest, QueueDefaultsUnderHome) {
  Result<std::filesystem::path> path = QueueDirectory(FakeEnvironment({{"HOME", "/h"}}));
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, "/h/.local/state/custody/queue");
}

TEST(ConfigPathsTest, QueueUsesXdgStateHome) {
  Result<std::filesystem::path> path =
      QueueDirectory(FakeEnvironment({{"XDG_STATE_HOME", "/s"}, {"HOME", "/h"}}));
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, "/s/custody/queue");
}

TEST(ConfigPathsTest, NoHomeIsAnError) {
  Result<std::filesystem::path> path = ConfigFilePath(FakeEnvironment({}));
  ASSERT_FALSE(path.ok());
  EXPECT_NE(path.status().message().find("HOME"), std::string::npos);
}

TEST(ConfigFileTest, ReadsServerAndCaFile) {
  Result<ConfigFile> config =
      ParseConfigFile("server = \"https://custody.example\"\nca_file = \"/etc/ca.pem\"\n", "c");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server, "https://custody.example");
  EXPECT_EQ(config->ca_file, "/etc/ca.pem");
}

TEST(ConfigFileTest, RejectsUnknownServerSpelling) {
  Result<ConfigFile> config = ParseConfigFile("server_url = \"http://127.0.0.1:8080\"\n", "c");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().field(), "server_url");
}

TEST(ConfigFileTest, RejectsTokenKey) {
  Result<ConfigFile> config = ParseConfigFile("token = \"cst_abc_def\"\n", "/c/config.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().field(), "token");
  EXPECT_NE(config.status().message().find("CUSTODY_TOKEN"), std::string::npos);
  EXPECT_EQ(config.status().message().find("cst_abc_def"), std::string::npos)
      << "the error must not repeat the token";
}

TEST(ConfigFileTest, RejectsUnknownKey) {
  Result<ConfigFile> config = ParseConfigFile("sever = \"https://a.example\"\n", "c");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().field(), "sever");
}

TEST(ConfigFileTest, RejectsNonStringServer) {
  Result<ConfigFile> config = ParseConfigFile("server = 8080\n", "c");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().field(), "server");
}

TEST(ConfigFileTest, ReportsSyntaxErrorLine) {
  Result<ConfigFile> config = ParseConfigFile("\nserver = \"unterminated\n", "/c/config.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("/c/config.toml:2:"), std::string::npos)
      << config.status().message();
}

TEST(ConfigFileTest, MissingFileIsEmpty) {
  TempDir directory;
  Result<ConfigFile> config = LoadConfigFile(directory.path() / "absent.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_FALSE(config->server.has_value());
}

TEST(ConfigFileTest, LoadsFileFromDisk) {
  TempDir directory;
  const auto path = directory.Write("config.toml", "server = \"https://disk.example/\"\n");
  Result<ConfigFile> config = LoadConfigFile(path);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server, "https://disk.example/");
}

TEST(ResolveServerTest, FlagWinsOverEnvironmentAndFile) {
  ConfigFile file;
  file.server = "https://file.example";
  const auto environment = FakeEnvironment({{"CUSTODY_SERVER", "https://env.example"}});
  Result<ResolvedServer> server =
      ResolveServer(std::string("https://flag.example"), environment, file);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  EXPECT_EQ(server->url, "https://flag.example");
  EXPECT_EQ(server->source, "--server");
}

TEST(ResolveServerTest, EnvironmentWinsOverFile) {
  ConfigFile file;
  file.server = "https://file.example";
  const auto environment = FakeEnvironment({{"CUSTODY_SERVER", "https://env.example"}});
  Result<ResolvedServer> server = ResolveServer(std::nullopt, environment, file);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  EXPECT_EQ(server->url, "https://env.example");
  EXPECT_EQ(server->source, "CUSTODY_SERVER");
}

TEST(ResolveServerTest, FileIsTheLastResort) {
  ConfigFile file;
  file.path = "/c/config.toml";
  file.server = "https://file.example/";
  Result<ResolvedServer> server = ResolveServer(std::nullopt, FakeEnvironment({}), file);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  EXPECT_EQ(server->url, "https://file.example");
  EXPECT_EQ(server->source, "/c/config.toml");
}

TEST(ResolveServerTest, NoneConfiguredNamesTheOptions) {
  ConfigFile file;
  file.path = "/c/config.toml";
  Result<ResolvedServer> server = ResolveServer(std::nullopt, FakeEnvironment({}), file);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("--server"), std::string::npos);
  EXPECT_NE(server.status().message().find("CUSTODY_SERVER"), std::string::npos);
  EXPECT_NE(server.status().message().find("/c/config.toml"), std::string::npos);
}

TEST(ResolveServerTest, InvalidValueNamesItsSource) {
  const auto environment = FakeEnvironment({{"CUSTODY_SERVER", "http://custody.example"}});
  Result<ResolvedServer> server = ResolveServer(std::nullopt, environment, ConfigFile{});
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().message().rfind("CUSTODY_SERVER: ", 0), 0u)
      << server.status().message();
}

TEST(NormalizeServerUrlTest, Table) {
  struct Case {
    std::string input;
    std::string expected;  // empty: rejected
  };

  const Case cases[] = {
      {"https://custody.example", "https://custody.example"},
      {"https://custody.example/", "https://custody.example"},
      {"https://custody.example:8443/custody/", "https://custody.example:8443/custody"},
      {"HTTPS://Custody.Example", "https://custody.example"},
      {"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
      {"http://localhost:8080/", "http://localhost:8080"},
      {"http://[::1]:8080", "http://[::1]:8080"},
      {"http://custody.example", ""},
      {"http://10.0.0.1", ""},
      {"https://custody.example/?x=1", ""},
      {"https://user@custody.example", ""},
      {"ftp://custody.example", ""},
      {"custody.example", ""},
  };
  for (const Case& c : cases) {
    Result<std::string> url = NormalizeServerUrl(c.input);
    if (c.expected.empty()) {
      EXPECT_FALSE(url.ok()) << c.input;
    } else {
      ASSERT_TRUE(url.ok()) << c.input << ": " << url.status().ToString();
      EXPECT_EQ(*url, c.expected) << c.input;
    }
  }
}

TEST(ResolveTokenTest, ReadsEnvironment) {
  Result<Secret> token = ResolveToken(FakeEnvironment({{"CUSTODY_TOKEN", "cst_a_b"}}));
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(token->Reveal(), "cst_a_b");
}

TEST(ResolveTokenTest, MissingIsUnauthenticated) {
  Result<Secret> token = ResolveToken(FakeEnvironment({}));
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(token.status().message().find("CUSTODY_TOKEN"), std::string::npos);
}

TEST(ResolveTokenTest, RejectsLineBreakWithoutEchoingIt) {
  Result<Secret> token =
      ResolveToken(FakeEnvironment({{"CUSTODY_TOKEN", "cst_secretpart\r\nX-Injected: 1"}}));
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().message().find("secretpart"), std::string::npos);
}

TEST(ResolveCaFileTest, EnvironmentWinsOverFile) {
  ConfigFile file;
  file.ca_file = "/file/ca.pem";
  EXPECT_EQ(ResolveCaFile(FakeEnvironment({{"CUSTODY_CA_FILE", "/env/ca.pem"}}), file),
            "/env/ca.pem");
  EXPECT_EQ(ResolveCaFile(FakeEnvironment({}), file), "/file/ca.pem");
  EXPECT_EQ(ResolveCaFile(FakeEnvironment({}), ConfigFile{}), "");
}

}  // namespace
}  // namespace custody::cli
