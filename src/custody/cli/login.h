// `custody login` and `custody logout`: sign-in through the browser with the organization's
// identity provider, and the refresh credential that later commands use instead of
// CUSTODY_TOKEN.
//
// login opens a loopback listener on 127.0.0.1, sends the browser to the server's OIDC start
// URL with that listener as cli_redirect and the S256 challenge of a random verifier, and
// waits for the one-time code. It redeems the code with the verifier at POST /auth/token and
// stores the refresh credential in $XDG_CONFIG_HOME/custody/credentials.json (mode 0600, in a
// 0700 folder). The credential never passes through the browser.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include "custody/aws/http_transport.h"
#include "custody/cli/config.h"
#include "custody/common/secret.h"
#include "custody/common/status.h"

namespace custody::cli {

struct LoginOptions {
  std::string organization_id;
  bool open_browser = true;  // run xdg-open on the URL; it is printed either way
  std::chrono::seconds timeout{300};
};

struct StoredCredential {
  std::string server;  // the normalized server URL the credential belongs to
  std::string organization_id;
  Secret refresh_token;  // "csr_..."
};

// $XDG_CONFIG_HOME/custody/credentials.json (default ~/.config/custody/credentials.json).
Result<std::filesystem::path> CredentialFilePath(const EnvironmentLookup& environment);

// Reads the credential file; nullopt when it does not exist. Fails when the file may be read
// or written by group or others, or is not valid.
Result<std::optional<StoredCredential>> LoadCredential(const std::filesystem::path& path);

// Writes the credential file with mode 0600 (its folder 0700), replacing it atomically.
Status SaveCredential(const std::filesystem::path& path, const StoredCredential& credential);

// Runs the browser sign-in against `server_url` and saves the credential. Progress and the URL
// to open go to `err`.
Status RunLogin(aws::HttpTransport& transport, const std::string& server_url,
                const LoginOptions& options, const std::filesystem::path& credential_path,
                std::ostream& err);

// Ends the stored session at the server and removes the credential file. A credential that the
// server no longer accepts is removed too.
Status RunLogout(aws::HttpTransport& transport, const std::filesystem::path& credential_path,
                 std::ostream& err);

// Exchanges the stored refresh credential for an access token. kUnauthenticated when the
// session has ended (sign in again).
Result<Secret> AccessTokenFromCredential(aws::HttpTransport& transport,
                                         const StoredCredential& credential);

}  // namespace custody::cli
