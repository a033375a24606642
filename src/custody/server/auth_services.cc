#include "custody/server/auth_services.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "custody/common/log.h"
#include "custody/crypto/encoding.h"
#include "custody/crypto/random.h"

namespace custody::server {
namespace {

constexpr size_t kSecretKeyBytes = 32;

std::string BesideDatabase(const Config& config, std::string_view name) {
  const std::filesystem::path database(config.database.path);
  return (database.parent_path() / std::string(name)).string();
}

// Reads the 64 hex digits of the secret key file, creating the file (mode 0600) with a random
// key when it is missing.
Result<Secret> LoadOrCreateSecretKey(const std::string& path) {
  struct stat info {};

  if (::stat(path.c_str(), &info) != 0) {
    if (errno != ENOENT) {
      return InvalidArgument("cannot read auth.secret_key_file " + path, "auth.secret_key_file");
    }
    const Secret key(crypto::RandomBytes(kSecretKeyBytes));
    const std::string text = crypto::HexEncode(key.Reveal()) + "\n";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      return InvalidArgument("cannot create auth.secret_key_file " + path, "auth.secret_key_file");
    }
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!written || !synced) {
      return InvalidArgument("cannot write auth.secret_key_file " + path, "auth.secret_key_file");
    }
    log::Info("created a new auth secret key file", {{"path", path}});
    return key;
  }
  if (!S_ISREG(info.st_mode) || (info.st_mode & 077) != 0) {
    return InvalidArgument("auth.secret_key_file " + path +
                               " must be a regular file readable by its owner only (chmod 600)",
                           "auth.secret_key_file");
  }
  std::ifstream file(path);
  std::string hex;
  file >> hex;
  const std::optional<std::string> bytes = crypto::HexDecode(hex);
  if (!bytes.has_value() || bytes->size() != kSecretKeyBytes) {
    return InvalidArgument("auth.secret_key_file " + path + " must contain 64 hex digits",
                           "auth.secret_key_file");
  }
  return Secret(*bytes);
}

}  // namespace

Result<std::unique_ptr<api::AuthServices>> BuildAuthServices(const Config& config,
                                                             aws::HttpTransport& transport,
                                                             const Clock& clock) {
  const AuthSection& auth = config.auth;
  const std::string signing_path = auth.signing_key_file.empty()
                                       ? BesideDatabase(config, "auth-signing.pem")
                                       : auth.signing_key_file;
  std::vector<crypto::Ed25519PrivateKey> keys;
  Result<crypto::Ed25519PrivateKey> current =
      identity::LoadOrCreateSigningKey(signing_path, /*create=*/true);
  if (!current.ok()) {
    return InvalidArgument("auth.signing_key_file: " + current.status().message(),
                           "auth.signing_key_file");
  }
  keys.push_back(std::move(current).value());
  for (const std::string& path : auth.previous_signing_key_files) {
    Result<crypto::Ed25519PrivateKey> previous =
        identity::LoadOrCreateSigningKey(path, /*create=*/false);
    if (!previous.ok()) {
      return InvalidArgument("auth.previous_signing_key_files: " + previous.status().message(),
                             "auth.previous_signing_key_files");
    }
    keys.push_back(std::move(previous).value());
  }
  const std::string secret_path = auth.secret_key_file.empty()
                                      ? BesideDatabase(config, "auth-secret.key")
                                      : auth.secret_key_file;
  CUSTODY_ASSIGN_OR_RETURN(Secret sealing_key, LoadOrCreateSecretKey(secret_path));

  api::AuthSettings settings;
  settings.public_url = config.server.public_url;
  settings.access_token_lifetime = std::chrono::minutes(auth.access_token_minutes);
  settings.session_lifetime = std::chrono::minutes(auth.session_lifetime_minutes);
  settings.step_up = std::chrono::minutes(auth.step_up_minutes);
  settings.cookie_secure = auth.cookie_secure;
  settings.allow_insecure_loopback = auth.allow_insecure_loopback;

  auto services = std::make_unique<api::AuthServices>(api::AuthServices{
      settings, keys,
      identity::AccessTokenSigner(keys, config.server.public_url, settings.access_token_lifetime),
      sealing_key, nullptr});
  identity::oidc::RelyingPartyOptions oidc;
  oidc.redirect_uri = config.server.public_url + "/auth/oidc/callback";
  oidc.allow_insecure_loopback = auth.allow_insecure_loopback;
  oidc.clock_skew = std::chrono::seconds(auth.clock_skew_seconds);
  oidc.jwks_refetch_interval = std::chrono::seconds(auth.jwks_refetch_seconds);
  oidc.sealing_key = sealing_key;
  oidc.assertion_key = &services->signing_keys.front();
  services->oidc = std::make_unique<identity::oidc::RelyingParty>(transport, clock, oidc);
  return services;
}

}  // namespace custody::server
