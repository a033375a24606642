#include "custody/server/config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <boost/asio/ip/address.hpp>
#include <toml++/toml.h>

#include "custody/aws/connection.h"

namespace custody::server {

std::string DefaultWebRoot() {
  return CUSTODY_DEFAULT_WEB_ROOT;
}

namespace {

// The keys each table accepts. Any other key is rejected by name, so a misspelled key cannot
// silently leave a default in place.
const std::map<std::string, std::set<std::string>, std::less<>>& KnownKeys() {
  static const auto* const kKeys = new std::map<std::string, std::set<std::string>, std::less<>>{
      {"server",
       {"listen", "public_url", "worker_threads", "max_body_bytes", "web_root", "web_connect_src"}},
      {"database", {"path"}},
      {"aws",
       {"access_key_id", "secret_access_key", "sts_endpoint", "allow_insecure_loopback",
        "upload_url_ttl_seconds", "download_url_ttl_seconds", "session_duration_seconds"}},
      {"audit",
       {"origin_host", "signing_key_file", "previous_signing_key_files", "checkpoint_every_records",
        "checkpoint_interval_seconds", "purge_interval_seconds", "retention", "worm"}},
      {"auth",
       {"signing_key_file", "previous_signing_key_files", "secret_key_file",
        "access_token_minutes", "session_lifetime_minutes", "step_up_minutes", "cookie_secure",
        "allow_insecure_loopback", "clock_skew_seconds", "jwks_refetch_seconds"}},
      {"log", {"level"}},
  };
  return *kKeys;
}

Status KeyError(const std::string& key, const std::string& problem) {
  return InvalidArgument(key + " " + problem, key);
}

std::string Quote(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

// Reads typed values from one table, naming keys as "table.key" in errors.
class TableReader {
 public:
  TableReader(const toml::table* table, std::string name) : table_(table), name_(std::move(name)) {}

  Status String(std::string_view key, std::string* out) const {
    const toml::node* node = Find(key);
    if (node == nullptr) {
      return Status::Ok();
    }
    if (!node->is_string()) {
      return KeyError(Name(key), "must be a string");
    }
    *out = node->as_string()->get();
    return Status::Ok();
  }

  Status Bool(std::string_view key, bool* out) const {
    const toml::node* node = Find(key);
    if (node == nullptr) {
      return Status::Ok();
    }
    if (!node->is_boolean()) {
      return KeyError(Name(key), "must be a boolean (true or false)");
    }
    *out = node->as_boolean()->get();
    return Status::Ok();
  }

  // Reads an integer and checks it is within [min, max].
  template <typename T>
  Status Integer(std::string_view key, int64_t min, int64_t max, T* out) const {
    const toml::node* node = Find(key);
    if (node == nullptr) {
      return Status::Ok();
    }
    if (!node->is_integer()) {
      return KeyError(Name(key), "must be an integer");
    }
    const int64_t value = node->as_integer()->get();
    if (value < min || value > max) {
      return KeyError(Name(key), "must be between " + std::to_string(min) + " and " +
                                     std::to_string(max) + ", got " + std::to_string(value));
    }
    *out = static_cast<T>(value);
    return Status::Ok();
  }

  std::string Name(std::string_view key) const { return name_ + "." + std::string(key); }

 private:
  const toml::node* Find(std::string_view key) const {
    return table_ == nullptr ? nullptr : table_->get(key);
  }

  const toml::table* table_;
  std::string name_;
};

Status CheckKnownKeys(const toml::table& root) {
  for (const auto& [key, node] : root) {
    const std::string name(key.str());
    const auto known = KnownKeys().find(name);
    if (known == KnownKeys().end()) {
      return KeyError(name, "is not a known key");
    }
    if (!node.is_table()) {
      return KeyError(name, "must be a table");
    }
    for (const auto& [inner_key, inner_node] : *node.as_table()) {
      const std::string inner_name(inner_key.str());
      if (known->second.count(inner_name) == 0) {
        return KeyError(name + "." + inner_name, "is not a known key");
      }
    }
  }
  return Status::Ok();
}

const toml::table* Section(const toml::table& root, std::string_view name) {
  const toml::node* node = root.get(name);
  return node == nullptr ? nullptr : node->as_table();
}

bool IsLoopbackHost(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code error;
  const boost::asio::ip::address address = boost::asio::ip::make_address(std::string(host), error);
  return !error && address.is_loopback();
}

// Splits "scheme://host[:port][/path]" into scheme and host (brackets kept for IPv6).
// Returns false unless the scheme is http or https and the host is not empty.
bool SplitHttpUrl(std::string_view url, std::string* scheme, std::string* host) {
  const size_t separator = url.find("://");
  if (separator == std::string_view::npos) {
    return false;
  }
  *scheme = std::string(url.substr(0, separator));
  if (*scheme != "http" && *scheme != "https") {
    return false;
  }
  std::string_view rest = url.substr(separator + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (rest.find('@') != std::string_view::npos) {
    return false;
  }
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      return false;
    }
    *host = std::string(rest.substr(0, close + 1));
  } else {
    *host = std::string(rest.substr(0, rest.find(':')));
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) {
      return false;
    }
  }
  return !host->empty();
}

// An origin for connect-src: a scheme, "://" and a host with an optional port, where the host
// may start with "*." ("https://*.amazonaws.com"). Anything else could change the policy.
bool IsValidConnectSource(std::string_view source) {
  const size_t scheme_end = source.find("://");
  if (scheme_end == std::string_view::npos ||
      (source.substr(0, scheme_end) != "https" && source.substr(0, scheme_end) != "http")) {
    return false;
  }
  const std::string_view host = source.substr(scheme_end + 3);
  if (host.empty()) {
    return false;
  }
  for (const char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' &&
        c != '*' && c != '[' && c != ']') {
      return false;
    }
  }
  return host.find('*') == std::string_view::npos ||
         (host.starts_with("*.") && host.find('*', 1) == std::string_view::npos);
}

Status ReadWebConnectSources(const toml::table* table, ServerSection* server) {
  const toml::node* node = table == nullptr ? nullptr : table->get("web_connect_src");
  if (node == nullptr) {
    return Status::Ok();
  }
  const toml::array* sources = node->as_array();
  if (sources == nullptr) {
    return KeyError("server.web_connect_src", "must be an array of origins");
  }
  server->web_connect_sources.clear();
  for (const toml::node& source : *sources) {
    if (!source.is_string() || !IsValidConnectSource(source.as_string()->get())) {
      return KeyError("server.web_connect_src",
                      "must contain only origins such as \"https://*.amazonaws.com\" or "
                      "\"http://127.0.0.1:7480\"");
    }
    server->web_connect_sources.push_back(source.as_string()->get());
  }
  return Status::Ok();
}

Status ReadServer(const toml::table& root, ServerSection* server) {
  const TableReader reader(Section(root, "server"), "server");
  CUSTODY_RETURN_IF_ERROR(reader.String("listen", &server->listen));
  if (!ParseListenAddress(server->listen, &server->listen_address, &server->listen_port)) {
    return KeyError("server.listen",
                    "must be IP:PORT (for example \"127.0.0.1:8080\" or "
                    "\"[::1]:8080\"), got " +
                        Quote(server->listen));
  }

  CUSTODY_RETURN_IF_ERROR(reader.String("public_url", &server->public_url));
  std::string scheme;
  std::string host;
  if (!SplitHttpUrl(server->public_url, &scheme, &host) ||
      server->public_url.find_first_of("?#") != std::string::npos) {
    return KeyError("server.public_url",
                    "must be an http:// or https:// URL without query or fragment, got " +
                        Quote(server->public_url));
  }
  while (server->public_url.back() == '/') {
    server->public_url.pop_back();
  }

  CUSTODY_RETURN_IF_ERROR(reader.Integer("worker_threads", 1, 256, &server->worker_threads));
  CUSTODY_RETURN_IF_ERROR(
      reader.Integer("max_body_bytes", 1024, 16 * 1024 * 1024, &server->max_body_bytes));
  CUSTODY_RETURN_IF_ERROR(reader.String("web_root", &server->web_root));
  return ReadWebConnectSources(Section(root, "server"), server);
}

Status ReadDatabase(const toml::table& root, DatabaseSection* database) {
  const TableReader reader(Section(root, "database"), "database");
  CUSTODY_RETURN_IF_ERROR(reader.String("path", &database->path));
  if (database->path.empty()) {
    return KeyError("database.path", "must not be empty");
  }
  return Status::Ok();
}

Status ReadAws(const toml::table& root, const EnvironmentLookup& environment, AwsSection* aws) {
  const TableReader reader(Section(root, "aws"), "aws");
  std::string access_key_id;
  std::string secret_access_key;
  CUSTODY_RETURN_IF_ERROR(reader.String("access_key_id", &access_key_id));
  CUSTODY_RETURN_IF_ERROR(reader.String("secret_access_key", &secret_access_key));
  if (std::optional<std::string> value = environment("CUSTODY_AWS_ACCESS_KEY_ID");
      value.has_value() && !value->empty()) {
    access_key_id = std::move(*value);
  }
  if (std::optional<std::string> value = environment("CUSTODY_AWS_SECRET_ACCESS_KEY");
      value.has_value() && !value->empty()) {
    secret_access_key = std::move(*value);
  }
  if (access_key_id.empty() != secret_access_key.empty()) {
    const std::string missing =
        access_key_id.empty() ? "aws.access_key_id" : "aws.secret_access_key";
    return KeyError(missing,
                    "is required when the other AWS credential is set (in the file or in "
                    "CUSTODY_AWS_ACCESS_KEY_ID / CUSTODY_AWS_SECRET_ACCESS_KEY)");
  }
  aws->access_key_id = Secret(std::move(access_key_id));
  aws->secret_access_key = Secret(std::move(secret_access_key));

  CUSTODY_RETURN_IF_ERROR(reader.Bool("allow_insecure_loopback", &aws->allow_insecure_loopback));
  CUSTODY_RETURN_IF_ERROR(reader.String("sts_endpoint", &aws->sts_endpoint));
  if (!aws->sts_endpoint.empty()) {
    std::string scheme;
    std::string host;
    if (!SplitHttpUrl(aws->sts_endpoint, &scheme, &host)) {
      return KeyError("aws.sts_endpoint",
                      "must be empty or an https:// URL, got " + Quote(aws->sts_endpoint));
    }
    if (scheme == "http" && !(aws->allow_insecure_loopback && IsLoopbackHost(host))) {
      return KeyError("aws.sts_endpoint",
                      "must use https://, unless it is on a loopback address and "
                      "aws.allow_insecure_loopback is true, got " +
                          Quote(aws->sts_endpoint));
    }
  }

  CUSTODY_RETURN_IF_ERROR(
      reader.Integer("upload_url_ttl_seconds", 60, 3600, &aws->upload_url_ttl_seconds));
  CUSTODY_RETURN_IF_ERROR(
      reader.Integer("download_url_ttl_seconds", 10, 3600, &aws->download_url_ttl_seconds));
  CUSTODY_RETURN_IF_ERROR(
      reader.Integer("session_duration_seconds", 900, 43200, &aws->session_duration_seconds));
  return Status::Ok();
}

// A checkpoint origin host becomes part of a signed-note key name, which may not contain
// spaces or '+', and of the origin line, which the audit paths also put in URLs.
bool IsValidOriginHost(std::string_view host) {
  if (host.empty() || host.size() > 253) {
    return false;
  }
  for (const char c : host) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':' || c == '[' ||
                         c == ']';
    if (!allowed) {
      return false;
    }
  }
  return true;
}

Status ReadAuditRetention(const toml::table* audit_table, AuditRetentionSection* retention) {
  const toml::node* node = audit_table == nullptr ? nullptr : audit_table->get("retention");
  if (node == nullptr) {
    return Status::Ok();
  }
  if (!node->is_table()) {
    return KeyError("audit.retention", "must be a table");
  }
  for (const auto& [key, value] : *node->as_table()) {
    if (key.str() != "security_days" && key.str() != "operational_days") {
      return KeyError("audit.retention." + std::string(key.str()), "is not a known key");
    }
  }
  const TableReader reader(node->as_table(), "audit.retention");
  // Security records are kept at least a year, whatever the file sets.
  CUSTODY_RETURN_IF_ERROR(reader.Integer("security_days", 365, 36525, &retention->security_days));
  CUSTODY_RETURN_IF_ERROR(
      reader.Integer("operational_days", 1, 36525, &retention->operational_days));
  return Status::Ok();
}

Status ReadAudit(const toml::table& root, const ServerSection& server, AuditSection* audit) {
  const toml::table* table = Section(root, "audit");
  const TableReader reader(table, "audit");
  CUSTODY_RETURN_IF_ERROR(reader.String("origin_host", &audit->origin_host));
  if (audit->origin_host.empty()) {
    std::string scheme;
    std::string host;
    audit->origin_host = SplitHttpUrl(server.public_url, &scheme, &host) && !host.empty()
                             ? host
                             : std::string("custody.local");
  }
  if (!IsValidOriginHost(audit->origin_host)) {
    return KeyError("audit.origin_host",
                    "must be a host name of letters, digits, '.', '-', ':', '[' and ']', got " +
                        Quote(audit->origin_host));
  }
  CUSTODY_RETURN_IF_ERROR(reader.String("signing_key_file", &audit->signing_key_file));
  if (const toml::node* node =
          table == nullptr ? nullptr : table->get("previous_signing_key_files");
      node != nullptr) {
    const toml::array* files = node->as_array();
    if (files == nullptr) {
      return KeyError("audit.previous_signing_key_files", "must be an array of paths");
    }
    for (const toml::node& file : *files) {
      if (!file.is_string() || file.as_string()->get().empty()) {
        return KeyError("audit.previous_signing_key_files", "must contain only non-empty paths");
      }
      audit->previous_signing_key_files.push_back(file.as_string()->get());
    }
  }
  CUSTODY_RETURN_IF_ERROR(
      reader.Integer("checkpoint_every_records", 1, 1'000'000, &audit->checkpoint_every_records));
  CUSTODY_RETURN_IF_ERROR(reader.Integer("checkpoint_interval_seconds", 1, 86'400,
                                         &audit->checkpoint_interval_seconds));
  CUSTODY_RETURN_IF_ERROR(
      reader.Integer("purge_interval_seconds", 60, 604'800, &audit->purge_interval_seconds));
  return ReadAuditRetention(table, &audit->retention);
}

Status ReadAuth(const toml::table& root, const ServerSection& server, AuthSection* auth) {
  const toml::table* table = Section(root, "auth");
  const TableReader reader(table, "auth");
  CUSTODY_RETURN_IF_ERROR(reader.String("signing_key_file", &auth->signing_key_file));
  CUSTODY_RETURN_IF_ERROR(reader.String("secret_key_file", &auth->secret_key_file));
  if (const toml::node* node =
          table == nullptr ? nullptr : table->get("previous_signing_key_files");
      node != nullptr) {
    const toml::array* files = node->as_array();
    if (files == nullptr) {
      return KeyError("auth.previous_signing_key_files", "must be an array of paths");
    }
    for (const toml::node& file : *files) {
      if (!file.is_string() || file.as_string()->get().empty()) {
        return KeyError("auth.previous_signing_key_files", "must contain only non-empty paths");
      }
      auth->previous_signing_key_files.push_back(file.as_string()->get());
    }
  }
  CUSTODY_RETURN_IF_ERROR(
      reader.Integer("access_token_minutes", 1, 60, &auth->access_token_minutes));
  CUSTODY_RETURN_IF_ERROR(
      reader.Integer("session_lifetime_minutes", 5, 43'200, &auth->session_lifetime_minutes));
  CUSTODY_RETURN_IF_ERROR(reader.Integer("step_up_minutes", 0, 1'440, &auth->step_up_minutes));
  CUSTODY_RETURN_IF_ERROR(reader.Bool("cookie_secure", &auth->cookie_secure));
  CUSTODY_RETURN_IF_ERROR(reader.Bool("allow_insecure_loopback", &auth->allow_insecure_loopback));
  CUSTODY_RETURN_IF_ERROR(reader.Integer("clock_skew_seconds", 0, 300, &auth->clock_skew_seconds));
  CUSTODY_RETURN_IF_ERROR(
      reader.Integer("jwks_refetch_seconds", 0, 3600, &auth->jwks_refetch_seconds));
  std::string scheme;
  std::string host;
  const bool loopback_http = SplitHttpUrl(server.public_url, &scheme, &host) &&
                             scheme == "http" &&
                             (host == "127.0.0.1" || host == "[::1]" || host == "localhost");
  if (!auth->cookie_secure && !loopback_http) {
    return KeyError("auth.cookie_secure",
                    "may be false only when server.public_url is http:// on a loopback address, "
                    "got " + Quote(server.public_url));
  }
  return Status::Ok();
}

Status ReadLog(const toml::table& root, LogSection* log_section) {
  const TableReader reader(Section(root, "log"), "log");
  std::string level = "info";
  CUSTODY_RETURN_IF_ERROR(reader.String("level", &level));
  if (!log::ParseLevel(level, &log_section->level)) {
    return KeyError("log.level",
                    "must be one of trace, debug, info, warn, error, got " + Quote(level));
  }
  return Status::Ok();
}

// The keys [audit.worm] accepts.
const std::set<std::string, std::less<>>& AuditWormKeys() {
  static const auto* const kKeys =
      new std::set<std::string, std::less<>>{"bucket",
                                             "region",
                                             "endpoint",
                                             "key_prefix",
                                             "kms_key_id",
                                             "export_interval_seconds",
                                             "reconcile_interval_seconds"};
  return *kKeys;
}

// S3 bucket names: 3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a
// letter or digit.
bool IsValidBucketName(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) {
    return false;
  }
  const auto alphanumeric = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (!alphanumeric(name.front()) || !alphanumeric(name.back())) {
    return false;
  }
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return alphanumeric(c) || c == '.' || c == '-'; });
}

Status ReadAuditWorm(const toml::table& root, const EnvironmentLookup& environment,
                     const AwsSection& aws, std::optional<AuditWormSection>* out) {
  const toml::table* audit_table = Section(root, "audit");
  const toml::node* node = audit_table == nullptr ? nullptr : audit_table->get("worm");
  if (node == nullptr) {
    return Status::Ok();
  }
  if (!node->is_table()) {
    return KeyError("audit.worm", "must be a table");
  }
  for (const auto& [key, value] : *node->as_table()) {
    if (AuditWormKeys().count(key.str()) == 0) {
      return KeyError("audit.worm." + std::string(key.str()), "is not a known key");
    }
  }

  const TableReader reader(node->as_table(), "audit.worm");
  AuditWormSection worm;
  CUSTODY_RETURN_IF_ERROR(reader.String("bucket", &worm.bucket));
  if (!IsValidBucketName(worm.bucket)) {
    return KeyError("audit.worm.bucket",
                    "must be an S3 bucket name (3 to 63 lowercase letters, digits, '.' and '-'), "
                    "got " +
                        Quote(worm.bucket));
  }
  CUSTODY_RETURN_IF_ERROR(reader.String("region", &worm.region));
  if (worm.region.empty()) {
    return KeyError("audit.worm.region", "must not be empty");
  }
  CUSTODY_RETURN_IF_ERROR(reader.String("endpoint", &worm.endpoint));
  if (!worm.endpoint.empty()) {
    const Status endpoint = aws::ValidateEndpoint(worm.endpoint, aws.allow_insecure_loopback);
    if (!endpoint.ok()) {
      return KeyError("audit.worm.endpoint", "is not usable: " + endpoint.message());
    }
  }
  CUSTODY_RETURN_IF_ERROR(reader.String("key_prefix", &worm.key_prefix));
  if (!worm.key_prefix.empty() && worm.key_prefix.back() != '/') {
    return KeyError("audit.worm.key_prefix",
                    "must be empty or end in '/', got " + Quote(worm.key_prefix));
  }
  CUSTODY_RETURN_IF_ERROR(reader.String("kms_key_id", &worm.kms_key_id));
  CUSTODY_RETURN_IF_ERROR(
      reader.Integer("export_interval_seconds", 1, 86'400, &worm.export_interval_seconds));
  CUSTODY_RETURN_IF_ERROR(reader.Integer("reconcile_interval_seconds", 60, 2'592'000,
                                         &worm.reconcile_interval_seconds));

  // The bucket is the operator's, so its own keys come first and the service's keys serve
  // when there are none.
  std::string access_key_id = environment("CUSTODY_AUDIT_WORM_ACCESS_KEY_ID").value_or("");
  std::string secret_access_key = environment("CUSTODY_AUDIT_WORM_SECRET_ACCESS_KEY").value_or("");
  if (access_key_id.empty() != secret_access_key.empty()) {
    return KeyError("audit.worm",
                    "needs both CUSTODY_AUDIT_WORM_ACCESS_KEY_ID and "
                    "CUSTODY_AUDIT_WORM_SECRET_ACCESS_KEY, or neither");
  }
  if (access_key_id.empty()) {
    access_key_id = aws.access_key_id.Reveal();
    secret_access_key = aws.secret_access_key.Reveal();
  }
  if (access_key_id.empty()) {
    return KeyError("audit.worm",
                    "needs credentials: set CUSTODY_AUDIT_WORM_ACCESS_KEY_ID and "
                    "CUSTODY_AUDIT_WORM_SECRET_ACCESS_KEY, or the aws keys");
  }
  worm.access_key_id = Secret(std::move(access_key_id));
  worm.secret_access_key = Secret(std::move(secret_access_key));
  *out = std::move(worm);
  return Status::Ok();
}

}  // namespace

std::optional<std::string> ProcessEnvironment(std::string_view name) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read once at start, before other threads exist.
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr) {
    return std::nullopt;
  }
  return std::string(value);
}

bool ParseListenAddress(std::string_view text, std::string* address, uint16_t* port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == text.size() || text.size() - colon > 6) {
    return false;
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view digits = text.substr(colon + 1);
  uint32_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value > 65535) {
    return false;
  }

  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code error;
  const boost::asio::ip::address parsed = boost::asio::ip::make_address(std::string(host), error);
  if (error || parsed.is_v6() != bracketed) {
    return false;
  }
  *address = std::string(host);
  *port = static_cast<uint16_t>(value);
  return true;
}

Result<Config> ParseConfig(std::string_view toml_text, const EnvironmentLookup& environment) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& error) {
    const auto& begin = error.source().begin;
    return InvalidArgument("invalid TOML at line " + std::to_string(begin.line) + ", column " +
                           std::to_string(begin.column) + ": " + std::string(error.description()));
  }

  CUSTODY_RETURN_IF_ERROR(CheckKnownKeys(root));
  Config config;
  CUSTODY_RETURN_IF_ERROR(ReadServer(root, &config.server));
  CUSTODY_RETURN_IF_ERROR(ReadDatabase(root, &config.database));
  CUSTODY_RETURN_IF_ERROR(ReadAws(root, environment, &config.aws));
  CUSTODY_RETURN_IF_ERROR(ReadAudit(root, config.server, &config.audit));
  CUSTODY_RETURN_IF_ERROR(ReadAuth(root, config.server, &config.auth));
  CUSTODY_RETURN_IF_ERROR(ReadAuditWorm(root, environment, config.aws, &config.audit_worm));
  CUSTODY_RETURN_IF_ERROR(ReadLog(root, &config.log));
  return config;
}

Result<Config> LoadConfigFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return InvalidArgument("cannot read configuration file " + path);
  }
  std::ostringstream text;
  text << file.rdbuf();
  Result<Config> config = ParseConfig(text.str(), ProcessEnvironment);
  if (!config.ok()) {
    return config.status().WithContext(path);
  }
  return config;
}

}  // namespace custody::server
