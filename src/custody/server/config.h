// Config: custodyd's settings, read from one TOML file (docs/configuration.md lists every key)
// with secrets optionally taken from the environment instead.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/log.h"
#include "custody/common/secret.h"
#include "custody/common/status.h"

namespace custody::server {

// The web app's build output in this source tree (web/dist), the default of server.web_root.
std::string DefaultWebRoot();

struct ServerSection {
  std::string listen = "127.0.0.1:8080";             // as written in the file
  std::string listen_address = "127.0.0.1";          // the IP literal of `listen`, without brackets
  uint16_t listen_port = 8080;                       // 0 lets the kernel pick a free port
  std::string public_url = "http://127.0.0.1:8080";  // without a trailing "/"
  int worker_threads = 4;
  // 512 KiB: a multipart upload of 10000 parts declares about 350 KB of part checksums.
  int64_t max_body_bytes = 524288;
  // The folder of the web app's build output; empty serves no app.
  std::string web_root = DefaultWebRoot();
  // Origins besides the server's own that every app page may connect to (connect-src). A page
  // for a signed-in session also gets its organization's S3 origin (web_connect_sources.h).
  std::vector<std::string> web_connect_sources;
};

struct DatabaseSection {
  std::string path = "var/custody.db";
};

struct AwsSection {
  // The service's own credentials, used only to call sts:AssumeRole on customers' roles.
  // Empty when neither the file nor the environment sets them.
  Secret access_key_id;
  Secret secret_access_key;
  std::string sts_endpoint;  // empty: the regional AWS endpoint
  bool allow_insecure_loopback = false;
  int upload_url_ttl_seconds = 300;
  int download_url_ttl_seconds = 60;
  int session_duration_seconds = 3600;
};

struct AuditRetentionSection {
  int security_days = 2557;  // 7 years, and at least 365
  int operational_days = 365;
};

struct AuditSection {
  // The host part of checkpoint origins and of the signing key name. Empty in the file means
  // the host of server.public_url, or "custody.local" when that has none.
  std::string origin_host;
  // The Ed25519 key file that signs checkpoints, as `custodyd audit keygen` writes it. Required
  // by custodyd serve.
  std::string signing_key_file;
  // Keys that also sign during a rotation's overlap, and that verifier-keys lists as retired.
  std::vector<std::string> previous_signing_key_files;
  int checkpoint_every_records = 1000;
  int checkpoint_interval_seconds = 60;
  int purge_interval_seconds = 3600;
  AuditRetentionSection retention;
};

// Sign-in, sessions and access tokens (docs/sso.md).
struct AuthSection {
  // The Ed25519 PKCS#8 PEM key that signs access tokens and private_key_jwt assertions. Empty
  // means "auth-signing.pem" beside the database file. A missing file is created (mode 0600).
  std::string signing_key_file;
  // Earlier signing keys, still accepted for tokens they signed and still published in JWKS.
  std::vector<std::string> previous_signing_key_files;
  // 32 random bytes (64 hex digits) that seal OIDC client secrets in the database. Empty means
  // "auth-secret.key" beside the database file. A missing file is created (mode 0600).
  std::string secret_key_file;
  int access_token_minutes = 10;
  int session_lifetime_minutes = 480;
  // Sensitive admin actions need an MFA sign-in within this many minutes. 0 turns the check off.
  int step_up_minutes = 0;
  // False lets session cookies travel over http://, for a loopback public_url only.
  bool cookie_secure = true;
  // Allows http:// OIDC issuers on loopback addresses (tests only).
  bool allow_insecure_loopback = false;
  int clock_skew_seconds = 60;
  // Minimum time between two JWKS fetches that an unknown id_token "kid" triggers.
  int jwks_refetch_seconds = 30;
};

struct LogSection {
  log::Level level = log::Level::kInfo;
};

// [audit.worm]: the operator's S3 bucket with Object Lock that keeps a WORM copy of the audit
// logs (docs/audit-export.md). Without the section, nothing is exported.
struct AuditWormSection {
  std::string bucket;
  std::string region = "us-east-1";
  std::string endpoint;    // an S3-compatible endpoint, path-style; empty for AWS
  std::string key_prefix;  // empty or ending in '/'
  std::string kms_key_id;  // empty: the bucket's default encryption
  // CUSTODY_AUDIT_WORM_ACCESS_KEY_ID and CUSTODY_AUDIT_WORM_SECRET_ACCESS_KEY, else the [aws]
  // service keys.
  Secret access_key_id;
  Secret secret_access_key;
  int export_interval_seconds = 60;
  int reconcile_interval_seconds = 86400;
};

struct Config {
  ServerSection server;
  DatabaseSection database;
  AwsSection aws;
  AuditSection audit;
  AuthSection auth;
  LogSection log;
  std::optional<AuditWormSection> audit_worm;  // [audit.worm]
};

// Returns the value of an environment variable, or nullopt when it is not set.
using EnvironmentLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Looks variables up in the process environment.
std::optional<std::string> ProcessEnvironment(std::string_view name);

// Parses and validates a configuration file's text. Every error is InvalidArgument with the
// key as the field and a message that starts with it: "server.port is not a known key",
// "server.worker_threads must be between 1 and 256, got 0". CUSTODY_AWS_ACCESS_KEY_ID and
// CUSTODY_AWS_SECRET_ACCESS_KEY, when set and not empty, replace the file's aws keys.
// CUSTODY_AUDIT_WORM_ACCESS_KEY_ID and CUSTODY_AUDIT_WORM_SECRET_ACCESS_KEY set [audit.worm]'s
// credentials.
Result<Config> ParseConfig(std::string_view toml_text, const EnvironmentLookup& environment);

// Reads the file at `path` and parses it with the process environment. Errors start with the
// path.
Result<Config> LoadConfigFile(const std::string& path);

// Splits "HOST:PORT" or "[IPV6]:PORT" where HOST is an IP literal. Returns false when the text
// has another form.
bool ParseListenAddress(std::string_view text, std::string* address, uint16_t* port);

}  // namespace custody::server
