// Configuration of the CLI: the server URL, the API token and the locations of its files.
//
// The server URL comes from, in order: --server, the environment variable CUSTODY_SERVER, and
// `server` in $XDG_CONFIG_HOME/custody/config.toml (default ~/.config/custody/config.toml).
// The API token comes only from the environment variable CUSTODY_TOKEN, never from a flag
// (which would land in shell history and in `ps` output) or from the config file.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "custody/common/secret.h"
#include "custody/common/status.h"

namespace custody::cli {

// Returns the value of an environment variable, or nullopt when it is unset or empty.
using EnvironmentLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Reads the process environment.
EnvironmentLookup ProcessEnvironment();

inline constexpr std::string_view kServerVariable = "CUSTODY_SERVER";
inline constexpr std::string_view kTokenVariable = "CUSTODY_TOKEN";
inline constexpr std::string_view kCaFileVariable = "CUSTODY_CA_FILE";

// The settings of config.toml. Every key is optional; an absent file is an empty one.
struct ConfigFile {
  std::filesystem::path path;
  std::optional<std::string> server;
  std::optional<std::string> ca_file;  // PEM file of extra trusted CA certificates
};

// $XDG_CONFIG_HOME/custody/config.toml, or $HOME/.config/custody/config.toml when
// XDG_CONFIG_HOME is unset or not absolute (the XDG base directory rule).
Result<std::filesystem::path> ConfigFilePath(const EnvironmentLookup& environment);

// $XDG_STATE_HOME/custody/queue, or $HOME/.local/state/custody/queue, for resume records.
Result<std::filesystem::path> QueueDirectory(const EnvironmentLookup& environment);

// Parses config.toml. Accepts `server` and `ca_file`; rejects any other key, and names `token`
// specifically, because a token in a file is one more copy to leak.
Result<ConfigFile> ParseConfigFile(std::string_view text, const std::filesystem::path& path);

// Reads and parses the file at `path`; a missing file gives an empty ConfigFile.
Result<ConfigFile> LoadConfigFile(const std::filesystem::path& path);

struct ResolvedServer {
  std::string url;  // normalized by NormalizeServerUrl
  std::string
      source;  // where it came from, for error messages: "--server", "CUSTODY_SERVER", a path
};

// Picks the server URL from the flag, the environment and the config file, in that order.
Result<ResolvedServer> ResolveServer(const std::optional<std::string>& flag,
                                     const EnvironmentLookup& environment,
                                     const ConfigFile& config_file);

// Parses a server URL and returns "scheme://host[:port][/path]" without a trailing '/'.
// Requires https://, except http:// on a loopback address (127.0.0.0/8, ::1, localhost), so
// that the token never crosses a network unencrypted. Rejects a query, user information and a
// fragment.
Result<std::string> NormalizeServerUrl(std::string_view text);

// True when a URL with this scheme and host may carry a token or evidence bytes: https, or
// http to a loopback address.
bool IsAllowedTransport(std::string_view scheme, std::string_view host);

// Reads CUSTODY_TOKEN. The value must be printable ASCII without spaces.
Result<Secret> ResolveToken(const EnvironmentLookup& environment);

// CUSTODY_CA_FILE, else ca_file from the config file, else empty (the system CA store only).
std::string ResolveCaFile(const EnvironmentLookup& environment, const ConfigFile& config_file);

}  // namespace custody::cli
