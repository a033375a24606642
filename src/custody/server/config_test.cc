#include "custody/server/config.h"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace custody::server {
namespace {

EnvironmentLookup FakeEnvironment(std::map<std::string, std::string> variables) {
  return [variables](std::string_view name) -> std::optional<std::string> {
    const auto it = variables.find(std::string(name));
    if (it == variables.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

const EnvironmentLookup kNoEnvironment = FakeEnvironment({});

TEST(Config, EmptyFileGivesDocumentedDefaults) {
  Result<Config> config = ParseConfig("", kNoEnvironment);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server.listen, "127.0.0.1:8080");
  EXPECT_EQ(config->server.listen_address, "127.0.0.1");
  EXPECT_EQ(config->server.listen_port, 8080);
  EXPECT_EQ(config->server.public_url, "http://127.0.0.1:8080");
  EXPECT_EQ(config->server.worker_threads, 4);
  EXPECT_EQ(config->server.max_body_bytes, 524288);
  EXPECT_EQ(config->database.path, "var/custody.db");
  EXPECT_TRUE(config->aws.access_key_id.empty());
  EXPECT_TRUE(config->aws.secret_access_key.empty());
  EXPECT_EQ(config->aws.sts_endpoint, "");
  EXPECT_FALSE(config->aws.allow_insecure_loopback);
  EXPECT_EQ(config->aws.upload_url_ttl_seconds, 300);
  EXPECT_EQ(config->aws.download_url_ttl_seconds, 60);
  EXPECT_EQ(config->aws.session_duration_seconds, 3600);
  EXPECT_EQ(config->log.level, log::Level::kInfo);
}

TEST(Config, ReadsEveryKey) {
  const std::string text = R"(
[server]
listen = "[::1]:0"
public_url = "https://custody.example.test/"
worker_threads = 8
max_body_bytes = 131072

[database]
path = "/tmp/custody-test.db"

[aws]
access_key_id = "AKIDFILE"
secret_access_key = "file-secret"
sts_endpoint = "http://127.0.0.1:7480"
allow_insecure_loopback = true
upload_url_ttl_seconds = 600
download_url_ttl_seconds = 30
session_duration_seconds = 900

[log]
level = "debug"
)";
  Result<Config> config = ParseConfig(text, kNoEnvironment);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server.listen_address, "::1");
  EXPECT_EQ(config->server.listen_port, 0);
  EXPECT_EQ(config->server.public_url, "https://custody.example.test");
  EXPECT_EQ(config->server.worker_threads, 8);
  EXPECT_EQ(config->server.max_body_bytes, 131072);
  EXPECT_EQ(config->database.path, "/tmp/custody-test.db");
  EXPECT_EQ(config->aws.access_key_id.Reveal(), "AKIDFILE");
  EXPECT_EQ(config->aws.secret_access_key.Reveal(), "file-secret");
  EXPECT_EQ(config->aws.sts_endpoint, "http://127.0.0.1:7480");
  EXPECT_TRUE(config->aws.allow_insecure_loopback);
  EXPECT_EQ(config->aws.upload_url_ttl_seconds, 600);
  EXPECT_EQ(config->aws.download_url_ttl_seconds, 30);
  EXPECT_EQ(config->aws.session_duration_seconds, 900);
  EXPECT_EQ(config->log.level, log::Level::kDebug);
}

TEST(Config, EnvironmentOverridesSecrets) {
  const std::string text = R"(
[aws]
access_key_id = "AKIDFILE"
secret_access_key = "file-secret"
)";
  Result<Config> config =
      ParseConfig(text, FakeEnvironment({{"CUSTODY_AWS_ACCESS_KEY_ID", "AKIDENV"},
                                         {"CUSTODY_AWS_SECRET_ACCESS_KEY", "env-secret"}}));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->aws.access_key_id.Reveal(), "AKIDENV");
  EXPECT_EQ(config->aws.secret_access_key.Reveal(), "env-secret");
}

TEST(Config, EnvironmentAloneSuppliesSecrets) {
  Result<Config> config =
      ParseConfig("", FakeEnvironment({{"CUSTODY_AWS_ACCESS_KEY_ID", "AKIDENV"},
                                       {"CUSTODY_AWS_SECRET_ACCESS_KEY", "env-secret"}}));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->aws.access_key_id.Reveal(), "AKIDENV");
  EXPECT_EQ(config->aws.secret_access_key.Reveal(), "env-secret");
}

TEST(Config, EmptyEnvironmentVariableIsIgnored) {
  const std::string text = R"(
[aws]
access_key_id = "AKIDFILE"
secret_access_key = "file-secret"
)";
  Result<Config> config =
      ParseConfig(text, FakeEnvironment({{"CUSTODY_AWS_SECRET_ACCESS_KEY", ""}}));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->aws.secret_access_key.Reveal(), "file-secret");
}

TEST(Config, SecretNeverInErrors) {
  const std::string text = R"(
[aws]
secret_access_key = "do-not-print-me"
)";
  Result<Config> config = ParseConfig(text, kNoEnvironment);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message().find("do-not-print-me"), std::string::npos);
}

struct BadConfig {
  std::string text;
  std::string field;
  std::string message;
};

TEST(Config, RejectsBadConfigs) {
  const std::vector<BadConfig> cases = {
      {"[server]\nport = 8080\n", "server.port", "server.port is not a known key"},
      {"[servr]\nlisten = \"127.0.0.1:1\"\n", "servr", "servr is not a known key"},
      {"listen = \"127.0.0.1:1\"\n", "listen", "listen is not a known key"},
      {"server = 1\n", "server", "server must be a table"},
      {"[aws]\nexternal_id = \"x\"\n", "aws.external_id", "aws.external_id is not a known key"},
      {"[server]\nlisten = 8080\n", "server.listen", "server.listen must be a string"},
      {"[server]\nlisten = \"localhost:8080\"\n", "server.listen",
       "server.listen must be IP:PORT (for example \"127.0.0.1:8080\" or \"[::1]:8080\"), got "
       "\"localhost:8080\""},
      {"[server]\nlisten = \"127.0.0.1\"\n", "server.listen",
       "server.listen must be IP:PORT (for example \"127.0.0.1:8080\" or \"[::1]:8080\"), got "
       "\"127.0.0.1\""},
      {"[server]\nlisten = \"127.0.0.1:65536\"\n", "server.listen",
       "server.listen must be IP:PORT (for example \"127.0.0.1:8080\" or \"[::1]:8080\"), got "
       "\"127.0.0.1:65536\""},
      {"[server]\nlisten = \"::1:8080\"\n", "server.listen",
       "server.listen must be IP:PORT (for example \"127.0.0.1:8080\" or \"[::1]:8080\"), got "
       "\"::1:8080\""},
      {"[server]\nlisten = \"127.0.0.1:-1\"\n", "server.listen",
       "server.listen must be IP:PORT (for example \"127.0.0.1:8080\" or \"[::1]:8080\"), got "
       "\"127.0.0.1:-1\""},
      {"[server]\npublic_url = \"ftp://x\"\n", "server.public_url",
       "server.public_url must be an http:// or https:// URL without query or fragment, got "
       "\"ftp://x\""},
      {"[server]\npublic_url = \"https://x/?a=b\"\n", "server.public_url",
       "server.public_url must be an http:// or https:// URL without query or fragment, got "
       "\"https://x/?a=b\""},
      {"[server]\nworker_threads = 0\n", "server.worker_threads",
       "server.worker_threads must be between 1 and 256, got 0"},
      {"[server]\nworker_threads = 257\n", "server.worker_threads",
       "server.worker_threads must be between 1 and 256, got 257"},
      {"[server]\nworker_threads = \"4\"\n", "server.worker_threads",
       "server.worker_threads must be an integer"},
      {"[server]\nworker_threads = 4.0\n", "server.worker_threads",
       "server.worker_threads must be an integer"},
      {"[server]\nmax_body_bytes = 1023\n", "server.max_body_bytes",
       "server.max_body_bytes must be between 1024 and 16777216, got 1023"},
      {"[database]\npath = \"\"\n", "database.path", "database.path must not be empty"},
      {"[aws]\naccess_key_id = \"AKID\"\n", "aws.secret_access_key",
       "aws.secret_access_key is required when the other AWS credential is set (in the file or "
       "in CUSTODY_AWS_ACCESS_KEY_ID / CUSTODY_AWS_SECRET_ACCESS_KEY)"},
      {"[aws]\nallow_insecure_loopback = \"yes\"\n", "aws.allow_insecure_loopback",
       "aws.allow_insecure_loopback must be a boolean (true or false)"},
      {"[aws]\nsts_endpoint = \"sts.amazonaws.com\"\n", "aws.sts_endpoint",
       "aws.sts_endpoint must be empty or an https:// URL, got \"sts.amazonaws.com\""},
      {"[aws]\nsts_endpoint = \"http://127.0.0.1:7480\"\n", "aws.sts_endpoint",
       "aws.sts_endpoint must use https://, unless it is on a loopback address and "
       "aws.allow_insecure_loopback is true, got \"http://127.0.0.1:7480\""},
      {"[aws]\nallow_insecure_loopback = true\nsts_endpoint = \"http://10.0.0.1:7480\"\n",
       "aws.sts_endpoint",
       "aws.sts_endpoint must use https://, unless it is on a loopback address and "
       "aws.allow_insecure_loopback is true, got \"http://10.0.0.1:7480\""},
      {"[aws]\nallow_insecure_loopback = true\nsts_endpoint = \"http://127.0.0.1.evil.test/\"\n",
       "aws.sts_endpoint",
       "aws.sts_endpoint must use https://, unless it is on a loopback address and "
       "aws.allow_insecure_loopback is true, got \"http://127.0.0.1.evil.test/\""},
      {"[aws]\nupload_url_ttl_seconds = 59\n", "aws.upload_url_ttl_seconds",
       "aws.upload_url_ttl_seconds must be between 60 and 3600, got 59"},
      {"[aws]\nupload_url_ttl_seconds = 3601\n", "aws.upload_url_ttl_seconds",
       "aws.upload_url_ttl_seconds must be between 60 and 3600, got 3601"},
      {"[aws]\ndownload_url_ttl_seconds = 9\n", "aws.download_url_ttl_seconds",
       "aws.download_url_ttl_seconds must be between 10 and 3600, got 9"},
      {"[aws]\nsession_duration_seconds = 899\n", "aws.session_duration_seconds",
       "aws.session_duration_seconds must be between 900 and 43200, got 899"},
      {"[aws]\nsession_duration_seconds = 43201\n", "aws.session_duration_seconds",
       "aws.session_duration_seconds must be between 900 and 43200, got 43201"},
      {"[log]\nlevel = \"verbose\"\n", "log.level",
       "log.level must be one of trace, debug, info, warn, error, got \"verbose\""},
      {"[audit]\norigin_host = \"a b\"\n", "audit.origin_host",
       "audit.origin_host must be a host name of letters, digits, '.', '-', ':', '[' and ']', "
       "got \"a b\""},
      {"[audit]\norigin_host = \"x+y\"\n", "audit.origin_host",
       "audit.origin_host must be a host name of letters, digits, '.', '-', ':', '[' and ']', "
       "got \"x+y\""},
      {"[audit]\nprevious_signing_key_files = \"a.key\"\n", "audit.previous_signing_key_files",
       "audit.previous_signing_key_files must be an array of paths"},
      {"[audit]\nprevious_signing_key_files = [\"\"]\n", "audit.previous_signing_key_files",
       "audit.previous_signing_key_files must contain only non-empty paths"},
      {"[audit]\ncheckpoint_every_records = 0\n", "audit.checkpoint_every_records",
       "audit.checkpoint_every_records must be between 1 and 1000000, got 0"},
      {"[audit]\ncheckpoint_interval_seconds = 0\n", "audit.checkpoint_interval_seconds",
       "audit.checkpoint_interval_seconds must be between 1 and 86400, got 0"},
      {"[audit]\npurge_interval_seconds = 59\n", "audit.purge_interval_seconds",
       "audit.purge_interval_seconds must be between 60 and 604800, got 59"},
      {"[audit.retention]\nsecurity_days = 364\n", "audit.retention.security_days",
       "audit.retention.security_days must be between 365 and 36525, got 364"},
      {"[audit.retention]\noperational_days = 0\n", "audit.retention.operational_days",
       "audit.retention.operational_days must be between 1 and 36525, got 0"},
      {"[audit.retention]\ndebug_days = 3\n", "audit.retention.debug_days",
       "audit.retention.debug_days is not a known key"},
      {"[audit]\nretention = 3\n", "audit.retention", "audit.retention must be a table"},
  };
  for (const BadConfig& c : cases) {
    SCOPED_TRACE(c.text);
    Result<Config> config = ParseConfig(c.text, kNoEnvironment);
    ASSERT_FALSE(config.ok());
    EXPECT_EQ(config.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(config.status().field(), c.field);
    EXPECT_EQ(config.status().message(), c.message);
  }
}

TEST(Config, AuditDefaultsAndEveryKey) {
  Result<Config> defaults = ParseConfig("", kNoEnvironment);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->audit.origin_host, "127.0.0.1");
  EXPECT_EQ(defaults->audit.signing_key_file, "");
  EXPECT_TRUE(defaults->audit.previous_signing_key_files.empty());
  EXPECT_EQ(defaults->audit.checkpoint_every_records, 1000);
  EXPECT_EQ(defaults->audit.checkpoint_interval_seconds, 60);
  EXPECT_EQ(defaults->audit.purge_interval_seconds, 3600);
  EXPECT_EQ(defaults->audit.retention.security_days, 2557);
  EXPECT_EQ(defaults->audit.retention.operational_days, 365);

  Result<Config> from_url = ParseConfig(
      "[server]\npublic_url = \"https://custody.example.test:8443/app\"\n", kNoEnvironment);
  ASSERT_TRUE(from_url.ok());
  EXPECT_EQ(from_url->audit.origin_host, "custody.example.test");

  const std::string text = R"(
[audit]
origin_host = "audit.example.test"
signing_key_file = "/etc/custody/audit.key"
previous_signing_key_files = ["/etc/custody/old1.key", "/etc/custody/old2.key"]
checkpoint_every_records = 10
checkpoint_interval_seconds = 5
purge_interval_seconds = 600

[audit.retention]
security_days = 3650
operational_days = 90
)";
  Result<Config> config = ParseConfig(text, kNoEnvironment);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->audit.origin_host, "audit.example.test");
  EXPECT_EQ(config->audit.signing_key_file, "/etc/custody/audit.key");
  EXPECT_EQ(config->audit.previous_signing_key_files,
            (std::vector<std::string>{"/etc/custody/old1.key", "/etc/custody/old2.key"}));
  EXPECT_EQ(config->audit.checkpoint_every_records, 10);
  EXPECT_EQ(config->audit.checkpoint_interval_seconds, 5);
  EXPECT_EQ(config->audit.purge_interval_seconds, 600);
  EXPECT_EQ(config->audit.retention.security_days, 3650);
  EXPECT_EQ(config->audit.retention.operational_days, 90);
}

TEST(Config, LoopbackStsEndpointsAllowedWhenEnabled) {
  for (const std::string endpoint :
       {"http://127.0.0.1:7480", "http://127.1.2.3/", "http://[::1]:7480"}) {
    SCOPED_TRACE(endpoint);
    Result<Config> config =
        ParseConfig("[aws]\nallow_insecure_loopback = true\nsts_endpoint = \"" + endpoint + "\"\n",
                    kNoEnvironment);
    EXPECT_TRUE(config.ok()) << config.status().ToString();
  }
  Result<Config> https =
      ParseConfig("[aws]\nsts_endpoint = \"https://sts.example.test\"\n", kNoEnvironment);
  EXPECT_TRUE(https.ok()) << https.status().ToString();
}

TEST(Config, TomlSyntaxErrorNamesLine) {
  Result<Config> config = ParseConfig("[server]\nlisten = \n", kNoEnvironment);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message().rfind("invalid TOML at line 2, column ", 0), 0u)
      << config.status().message();
}

TEST(Config, DuplicateKeyIsSyntaxError) {
  Result<Config> config =
      ParseConfig("[server]\nworker_threads = 2\nworker_threads = 3\n", kNoEnvironment);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message().rfind("invalid TOML at line 3", 0), 0u)
      << config.status().message();
}

TEST(Config, MissingFileNamesPath) {
  Result<Config> config = LoadConfigFile("/nonexistent/custody.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(), "cannot read configuration file /nonexistent/custody.toml");
}

TEST(ListenAddress, Forms) {
  std::string address;
  uint16_t port = 0;
  EXPECT_TRUE(ParseListenAddress("0.0.0.0:443", &address, &port));
  EXPECT_EQ(address, "0.0.0.0");
  EXPECT_EQ(port, 443);
  EXPECT_TRUE(ParseListenAddress("[::]:8080", &address, &port));
  EXPECT_EQ(address, "::");
  EXPECT_FALSE(ParseListenAddress("[127.0.0.1]:80", &address, &port));
  EXPECT_FALSE(ParseListenAddress(":80", &address, &port));
  EXPECT_FALSE(ParseListenAddress("127.0.0.1:", &address, &port));
  EXPECT_FALSE(ParseListenAddress("127.0.0.1:0080000", &address, &port));
}

TEST(Config, AuditWormAbsentByDefault) {
  Result<Config> config = ParseConfig("", kNoEnvironment);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_FALSE(config->audit_worm.has_value());
}

TEST(Config, AuditWormReadsEveryKey) {
  const std::string text = R"(
[aws]
allow_insecure_loopback = true
[audit.worm]
bucket = "custody-audit-worm"
region = "eu-central-1"
endpoint = "http://127.0.0.1:7480"
key_prefix = "prod/"
kms_key_id = "alias/audit"
export_interval_seconds = 30
reconcile_interval_seconds = 3600
)";
  Result<Config> config =
      ParseConfig(text, FakeEnvironment({{"CUSTODY_AUDIT_WORM_ACCESS_KEY_ID", "AKIDWORM"},
                                         {"CUSTODY_AUDIT_WORM_SECRET_ACCESS_KEY", "worm-secret"},
                                         {"CUSTODY_AWS_ACCESS_KEY_ID", "AKIDSERVICE"},
                                         {"CUSTODY_AWS_SECRET_ACCESS_KEY", "service-secret"}}));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_TRUE(config->audit_worm.has_value());
  const AuditWormSection& worm = *config->audit_worm;
  EXPECT_EQ(worm.bucket, "custody-audit-worm");
  EXPECT_EQ(worm.region, "eu-central-1");
  EXPECT_EQ(worm.endpoint, "http://127.0.0.1:7480");
  EXPECT_EQ(worm.key_prefix, "prod/");
  EXPECT_EQ(worm.kms_key_id, "alias/audit");
  EXPECT_EQ(worm.export_interval_seconds, 30);
  EXPECT_EQ(worm.reconcile_interval_seconds, 3600);
  EXPECT_EQ(worm.access_key_id.Reveal(), "AKIDWORM");
  EXPECT_EQ(worm.secret_access_key.Reveal(), "worm-secret");
}

TEST(Config, AuditWormFallsBackToServiceKeys) {
  Result<Config> config =
      ParseConfig("[audit.worm]\nbucket = \"audit-worm\"\n",
                  FakeEnvironment({{"CUSTODY_AWS_ACCESS_KEY_ID", "AKIDSERVICE"},
                                   {"CUSTODY_AWS_SECRET_ACCESS_KEY", "service-secret"}}));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_TRUE(config->audit_worm.has_value());
  EXPECT_EQ(config->audit_worm->access_key_id.Reveal(), "AKIDSERVICE");
  EXPECT_EQ(config->audit_worm->region, "us-east-1");
  EXPECT_EQ(config->audit_worm->export_interval_seconds, 60);
  EXPECT_EQ(config->audit_worm->reconcile_interval_seconds, 86400);
}

TEST(Config, AuditWormRejectsInvalidValues) {
  const EnvironmentLookup keys =
      FakeEnvironment({{"CUSTODY_AUDIT_WORM_ACCESS_KEY_ID", "AKIDWORM"},
                       {"CUSTODY_AUDIT_WORM_SECRET_ACCESS_KEY", "worm-secret"}});
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[audit.worm]\n", "audit.worm.bucket"},
      {"[audit.worm]\nbucket = \"Audit_Worm\"\n", "audit.worm.bucket"},
      {"[audit.worm]\nbucket = \"ab\"\n", "audit.worm.bucket"},
      {"[audit.worm]\nbucket = \"audit-worm\"\nregion = \"\"\n", "audit.worm.region"},
      {"[audit.worm]\nbucket = \"audit-worm\"\nkey_prefix = \"prod\"\n", "audit.worm.key_prefix"},
      {"[audit.worm]\nbucket = \"audit-worm\"\nendpoint = \"http://127.0.0.1:7480\"\n",
       "audit.worm.endpoint"},
      {"[audit.worm]\nbucket = \"audit-worm\"\nexport_interval_seconds = 0\n",
       "audit.worm.export_interval_seconds"},
      {"[audit.worm]\nbucket = \"audit-worm\"\nreconcile_interval_seconds = 59\n",
       "audit.worm.reconcile_interval_seconds"},
      {"[audit.worm]\nbucket = \"audit-worm\"\nobject_lock_mode = \"GOVERNANCE\"\n",
       "audit.worm.object_lock_mode"},
      {"[audit]\nworm = 1\n", "audit.worm"},
  };
  for (const auto& [text, field] : cases) {
    Result<Config> config = ParseConfig(text, keys);
    ASSERT_FALSE(config.ok()) << text;
    EXPECT_EQ(config.status().field(), field) << config.status().message();
  }
}

TEST(Config, AuditWormNeedsCredentials) {
  const std::string text = "[audit.worm]\nbucket = \"audit-worm\"\n";
  Result<Config> none = ParseConfig(text, kNoEnvironment);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().field(), "audit.worm");
  EXPECT_NE(none.status().message().find("CUSTODY_AUDIT_WORM_ACCESS_KEY_ID"), std::string::npos);

  Result<Config> half =
      ParseConfig(text, FakeEnvironment({{"CUSTODY_AUDIT_WORM_ACCESS_KEY_ID", "AKIDWORM"}}));
  ASSERT_FALSE(half.ok());
  EXPECT_EQ(half.status().field(), "audit.worm");
}

}  // namespace
}  // namespace custody::server

namespace custody::server {
namespace {

TEST(Config, WebAppKeys) {
  Result<Config> defaults = ParseConfig("", kNoEnvironment);
  ASSERT_TRUE(defaults.ok()) << defaults.status().message();
  EXPECT_EQ(defaults->server.web_root, DefaultWebRoot());
  EXPECT_TRUE(defaults->server.web_connect_sources.empty());

  Result<Config> set = ParseConfig(
      "[server]\nweb_root = \"/srv/custody-web\"\n"
      "web_connect_src = [\"http://127.0.0.1:7481\", \"https://*.r2.example\"]\n",
      kNoEnvironment);
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_EQ(set->server.web_root, "/srv/custody-web");
  EXPECT_EQ(set->server.web_connect_sources,
            (std::vector<std::string>{"http://127.0.0.1:7481", "https://*.r2.example"}));

  for (const std::string source :
       {"https://a.example; script-src *", "'unsafe-inline'", "*", "ftp://a.example", "https://",
        "https://a.*.example", "https://a b"}) {
    Result<Config> bad =
        ParseConfig("[server]\nweb_connect_src = [\"" + source + "\"]\n", kNoEnvironment);
    ASSERT_FALSE(bad.ok()) << source;
    EXPECT_EQ(bad.status().field(), "server.web_connect_src") << source;
  }
}

}  // namespace
}  // namespace custody::server
