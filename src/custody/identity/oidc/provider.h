// An organization's OpenID Connect provider settings, stored in table oidc_providers.
//
// The client secret is stored sealed with AES-256-GCM (crypto/aead.h) under the server's
// secret key ([auth] secret_key_file), with the organization id as associated data. A copy of
// the database alone therefore does not reveal client secrets, and a sealed secret cannot be
// moved to another organization's row. The secret is never returned by the API.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/clock.h"
#include "custody/common/secret.h"
#include "custody/common/status.h"
#include "custody/identity/jwt.h"
#include "custody/store/database.h"

namespace custody::identity::oidc {

enum class ClientAuthMethod {
  kClientSecretBasic,  // HTTP Basic with the client secret
  kClientSecretPost,   // client_id and client_secret in the token request body
  kPrivateKeyJwt,      // a JWT signed with Custody's access token key (its JWKS is public)
};

std::string_view ClientAuthMethodName(ClientAuthMethod method);
Result<ClientAuthMethod> ParseClientAuthMethod(std::string_view name);

struct ProviderSettings {
  std::string issuer;  // exactly as the IdP's discovery document and id_tokens state it
  std::string client_id;
  ClientAuthMethod client_auth = ClientAuthMethod::kClientSecretBasic;
  // The id_token signature algorithms accepted from this issuer; others are rejected.
  std::vector<JwsAlgorithm> allowed_algs = {JwsAlgorithm::kRs256};
  std::vector<std::string> scopes = {"openid", "email", "profile"};
  std::string email_claim = "email";
  std::string name_claim = "name";
  // The acr_values sent when the organization requires MFA; empty sends none.
  std::string mfa_acr_values;
};

struct Provider {
  std::string organization_id;
  ProviderSettings settings;
  std::optional<Secret> client_secret;
  SystemTime updated_at;
};

inline constexpr size_t kMaxSettingLength = 1024;

// Checks the settings: issuer an https URL without query or fragment (http only on a loopback
// host when `allow_insecure_loopback`), client id present, at least one algorithm, scopes
// including "openid", claim names present, every value at most kMaxSettingLength bytes.
// Errors name the field as a JSON pointer ("/issuer").
Status ValidateSettings(const ProviderSettings& settings, bool allow_insecure_loopback);

// Parses and serializes the settings object of the API and of the settings column:
// {"issuer", "client_id", "client_auth", "allowed_algs", "scopes", "claims": {"email",
// "name"}, "mfa_acr_values"}. Unknown fields are rejected.
Result<ProviderSettings> SettingsFromJson(std::string_view json);
std::string SettingsToJson(const ProviderSettings& settings);

// Stores the organization's provider. A `client_secret` of nullopt keeps the stored one. The
// secret is sealed with `sealing_key` (32 bytes). kInvalidArgument ("/client_secret") when
// the method needs a client secret and none is stored or given.
Status PutProvider(store::Transaction& tx, const Clock& clock, std::string_view organization_id,
                   const ProviderSettings& settings, const std::optional<Secret>& client_secret,
                   const Secret& sealing_key);

// Returns the provider with its client secret opened, or authz::NotFoundError() when the
// organization has none. kInternal when the stored secret does not open with `sealing_key`.
Result<Provider> GetProvider(store::Transaction& tx, std::string_view organization_id,
                             const Secret& sealing_key);

// True when the organization has a provider, without opening its client secret.
Result<bool> HasProvider(store::Transaction& tx, std::string_view organization_id);

// Removes the provider. authz::NotFoundError() when there is none.
Status DeleteProvider(store::Transaction& tx, std::string_view organization_id);

}  // namespace custody::identity::oidc
