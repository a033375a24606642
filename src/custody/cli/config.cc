#include "custody/cli/config.h"

#include <cstdlib>
#include <string>
#include <utility>

#include <toml++/toml.h>

#include "custody/aws/http_transport.h"
#include "custody/cli/file.h"

namespace custody::cli {
namespace {

constexpr size_t kMaxConfigFileBytes = 64 * 1024;

// The base directory named by `variable` when it is an absolute path, else $HOME/`fallback`.
Result<std::filesystem::path> XdgDirectory(const EnvironmentLookup& environment,
                                           std::string_view variable, std::string_view fallback) {
  if (std::optional<std::string> value = environment(variable)) {
    std::filesystem::path path(*value);
    if (path.is_absolute()) {
      return path;
    }
  }
  std::optional<std::string> home = environment("HOME");
  if (!home || !std::filesystem::path(*home).is_absolute()) {
    return FailedPrecondition("neither " + std::string(variable) +
                              " nor HOME is set to an absolute path; set one of them");
  }
  return std::filesystem::path(*home) / fallback;
}

Result<std::string> ReadString(const toml::node& node, std::string_view key,
                               const std::filesystem::path& path) {
  const std::optional<std::string> value = node.value<std::string>();
  if (!value || node.type() != toml::node_type::string) {
    return InvalidArgument(path.string() + ": " + std::string(key) + " must be a string",
                           std::string(key));
  }
  if (value->empty()) {
    return InvalidArgument(path.string() + ": " + std::string(key) + " must not be empty",
                           std::string(key));
  }
  return *value;
}

}  // namespace

EnvironmentLookup ProcessEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr || *value == '\0') {
      return std::nullopt;
    }
    return std::string(value);
  };
}

Result<std::filesystem::path> ConfigFilePath(const EnvironmentLookup& environment) {
  CUSTODY_ASSIGN_OR_RETURN(std::filesystem::path base,
                           XdgDirectory(environment, "XDG_CONFIG_HOME", ".config"));
  return base / "custody" / "config.toml";
}

Result<std::filesystem::path> QueueDirectory(const EnvironmentLookup& environment) {
  CUSTODY_ASSIGN_OR_RETURN(std::filesystem::path base,
                           XdgDirectory(environment, "XDG_STATE_HOME", ".local/state"));
  return base / "custody" / "queue";
}

Result<ConfigFile> ParseConfigFile(std::string_view text, const std::filesystem::path& path) {
  toml::table root;
  try {
    root = toml::parse(text, path.string());
  } catch (const toml::parse_error& error) {
    const auto& where = error.source().begin;
    return InvalidArgument(path.string() + ":" + std::to_string(where.line) + ":" +
                           std::to_string(where.column) + ": " + std::string(error.description()));
  }

  ConfigFile config;
  config.path = path;
  for (const auto& [key, node] : root) {
    const std::string_view name = key.str();
    if (name == "token" || name == "api_token") {
      return InvalidArgument(path.string() + " contains " + std::string(name) +
                                 ": the CLI reads the API token only from the environment "
                                 "variable CUSTODY_TOKEN; remove it from the file",
                             std::string(name));
    }
    if (name == "server") {
      CUSTODY_ASSIGN_OR_RETURN(config.server, ReadString(node, name, path));
    } else if (name == "ca_file") {
      CUSTODY_ASSIGN_OR_RETURN(config.ca_file, ReadString(node, name, path));
    } else {
      return InvalidArgument(
          path.string() + ": unknown key " + std::string(name) + " (known keys: server, ca_file)",
          std::string(name));
    }
  }
  return config;
}

Result<ConfigFile> LoadConfigFile(const std::filesystem::path& path) {
  Result<std::string> text = ReadSmallFile(path, kMaxConfigFileBytes);
  if (!text.ok()) {
    if (text.status().code() == ErrorCode::kNotFound) {
      ConfigFile empty;
      empty.path = path;
      return empty;
    }
    return text.status();
  }
  return ParseConfigFile(*text, path);
}

bool IsAllowedTransport(std::string_view scheme, std::string_view host) {
  return scheme == "https" || (scheme == "http" && aws::IsLoopbackHost(host));
}

Result<std::string> NormalizeServerUrl(std::string_view text) {
  Result<aws::Url> url = aws::ParseUrl(text);
  if (!url.ok()) {
    return InvalidArgument("invalid server URL \"" + std::string(text) +
                           "\": " + url.status().message());
  }
  if (url->has_query) {
    return InvalidArgument("server URL \"" + std::string(text) + "\" must not have a query");
  }
  if (!IsAllowedTransport(url->scheme, url->host)) {
    return InvalidArgument("server URL \"" + std::string(text) +
                           "\" must start with https:// (http:// is accepted only for a loopback "
                           "address, because the API token would cross the network unencrypted)");
  }
  std::string path = url->path;
  while (!path.empty() && path.back() == '/') {
    path.pop_back();
  }
  return url->Origin() + path;
}

Result<ResolvedServer> ResolveServer(const std::optional<std::string>& flag,
                                     const EnvironmentLookup& environment,
                                     const ConfigFile& config_file) {
  std::string value;
  std::string source;
  if (flag && !flag->empty()) {
    value = *flag;
    source = "--server";
  } else if (std::optional<std::string> from_environment = environment(kServerVariable)) {
    value = *from_environment;
    source = std::string(kServerVariable);
  } else if (config_file.server) {
    value = *config_file.server;
    source = config_file.path.string();
  } else {
    return InvalidArgument(
        "no server configured: pass --server URL, set CUSTODY_SERVER, or put "
        "server = \"https://...\" in " +
        config_file.path.string());
  }
  Result<std::string> url = NormalizeServerUrl(value);
  if (!url.ok()) {
    return url.status().WithContext(source);
  }
  return ResolvedServer{std::move(url).value(), std::move(source)};
}

Result<Secret> ResolveToken(const EnvironmentLookup& environment) {
  std::optional<std::string> value = environment(kTokenVariable);
  if (!value) {
    return Unauthenticated(
        "CUSTODY_TOKEN is not set: export it with your API token (the CLI reads the token only "
        "from this variable)");
  }
  Secret token(std::move(*value));
  for (const char c : token.Reveal()) {
    if (c <= ' ' || c >= 0x7f) {
      return Unauthenticated(
          "CUSTODY_TOKEN contains a space, a line break or a non-ASCII character; set it to the "
          "token alone");
    }
  }
  return token;
}

std::string ResolveCaFile(const EnvironmentLookup& environment, const ConfigFile& config_file) {
  if (std::optional<std::string> value = environment(kCaFileVariable)) {
    return *value;
  }
  return config_file.ca_file.value_or("");
}

}  // namespace custody::cli
