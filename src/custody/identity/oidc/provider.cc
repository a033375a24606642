#include "custody/identity/oidc/provider.h"

#include <nlohmann/json.hpp>

#include "custody/authz/authorize.h"
#include "custody/aws/http_transport.h"
#include "custody/crypto/aead.h"

namespace custody::identity::oidc {
namespace {

using nlohmann::json;

bool NeedsClientSecret(ClientAuthMethod method) {
  return method != ClientAuthMethod::kPrivateKeyJwt;
}

Status CheckLength(std::string_view value, std::string_view field) {
  if (value.empty() || value.size() > kMaxSettingLength) {
    return InvalidArgument(
        std::string(field) + " must be 1 to " + std::to_string(kMaxSettingLength) + " characters",
        std::string(field));
  }
  return Status::Ok();
}

Result<std::vector<std::string>> StringArray(const json& value, std::string_view field) {
  if (!value.is_array()) {
    return InvalidArgument(std::string(field) + " must be an array of strings", std::string(field));
  }
  std::vector<std::string> strings;
  for (const json& item : value) {
    if (!item.is_string()) {
      return InvalidArgument(std::string(field) + " must be an array of strings",
                             std::string(field));
    }
    strings.push_back(item.get<std::string>());
  }
  return strings;
}

Result<std::string> StringField(const json& value, std::string_view field) {
  if (!value.is_string()) {
    return InvalidArgument(std::string(field) + " must be a string", std::string(field));
  }
  return value.get<std::string>();
}

}  // namespace

std::string_view ClientAuthMethodName(ClientAuthMethod method) {
  switch (method) {
    case ClientAuthMethod::kClientSecretBasic:
      return "client_secret_basic";
    case ClientAuthMethod::kClientSecretPost:
      return "client_secret_post";
    case ClientAuthMethod::kPrivateKeyJwt:
      return "private_key_jwt";
  }
  return "";
}

Result<ClientAuthMethod> ParseClientAuthMethod(std::string_view name) {
  for (ClientAuthMethod method :
       {ClientAuthMethod::kClientSecretBasic, ClientAuthMethod::kClientSecretPost,
        ClientAuthMethod::kPrivateKeyJwt}) {
    if (ClientAuthMethodName(method) == name) {
      return method;
    }
  }
  return InvalidArgument(
      "client_auth must be client_secret_basic, client_secret_post or private_key_jwt",
      "/client_auth");
}

Status ValidateSettings(const ProviderSettings& settings, bool allow_insecure_loopback) {
  CUSTODY_RETURN_IF_ERROR(CheckLength(settings.issuer, "/issuer"));
  const Result<aws::Url> issuer = aws::ParseUrl(settings.issuer);
  if (!issuer.ok() || issuer->has_query) {
    return InvalidArgument("issuer must be an absolute URL without query or fragment", "/issuer");
  }
  const bool loopback_http =
      allow_insecure_loopback && issuer->scheme == "http" && aws::IsLoopbackHost(issuer->host);
  if (issuer->scheme != "https" && !loopback_http) {
    return InvalidArgument("issuer must use https://", "/issuer");
  }
  CUSTODY_RETURN_IF_ERROR(CheckLength(settings.client_id, "/client_id"));
  if (settings.allowed_algs.empty()) {
    return InvalidArgument("allowed_algs must name at least one algorithm", "/allowed_algs");
  }
  bool has_openid = false;
  for (const std::string& scope : settings.scopes) {
    CUSTODY_RETURN_IF_ERROR(CheckLength(scope, "/scopes"));
    if (scope.find_first_of(" \t\r\n\"") != std::string::npos) {
      return InvalidArgument("a scope must not contain white space or quotes", "/scopes");
    }
    has_openid = has_openid || scope == "openid";
  }
  if (!has_openid) {
    return InvalidArgument("scopes must include openid", "/scopes");
  }
  CUSTODY_RETURN_IF_ERROR(CheckLength(settings.email_claim, "/claims/email"));
  CUSTODY_RETURN_IF_ERROR(CheckLength(settings.name_claim, "/claims/name"));
  if (settings.mfa_acr_values.size() > kMaxSettingLength) {
    return InvalidArgument("mfa_acr_values is too long", "/mfa_acr_values");
  }
  return Status::Ok();
}

Result<ProviderSettings> SettingsFromJson(std::string_view text) {
  const json object = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded() || !object.is_object()) {
    return InvalidArgument("the OIDC settings must be a JSON object");
  }
  ProviderSettings settings;
  bool has_issuer = false;
  bool has_client_id = false;
  for (const auto& [name, value] : object.items()) {
    const std::string field = "/" + name;
    if (name == "issuer") {
      CUSTODY_ASSIGN_OR_RETURN(settings.issuer, StringField(value, field));
      has_issuer = true;
    } else if (name == "client_id") {
      CUSTODY_ASSIGN_OR_RETURN(settings.client_id, StringField(value, field));
      has_client_id = true;
    } else if (name == "client_auth") {
      CUSTODY_ASSIGN_OR_RETURN(const std::string method, StringField(value, field));
      CUSTODY_ASSIGN_OR_RETURN(settings.client_auth, ParseClientAuthMethod(method));
    } else if (name == "allowed_algs") {
      CUSTODY_ASSIGN_OR_RETURN(const std::vector<std::string> names, StringArray(value, field));
      settings.allowed_algs.clear();
      for (const std::string& alg : names) {
        Result<JwsAlgorithm> parsed = ParseJwsAlgorithm(alg);
        if (!parsed.ok()) {
          return InvalidArgument("allowed_algs may contain only RS256, ES256 and EdDSA; " +
                                     alg.substr(0, 20) + " is not accepted",
                                 field);
        }
        settings.allowed_algs.push_back(*parsed);
      }
    } else if (name == "scopes") {
      CUSTODY_ASSIGN_OR_RETURN(settings.scopes, StringArray(value, field));
    } else if (name == "claims") {
      if (!value.is_object()) {
        return InvalidArgument("claims must be an object", field);
      }
      for (const auto& [claim, mapped] : value.items()) {
        const std::string claim_field = field + "/" + claim;
        if (claim == "email") {
          CUSTODY_ASSIGN_OR_RETURN(settings.email_claim, StringField(mapped, claim_field));
        } else if (claim == "name") {
          CUSTODY_ASSIGN_OR_RETURN(settings.name_claim, StringField(mapped, claim_field));
        } else {
          return InvalidArgument(claim_field + " is not a known claim mapping", claim_field);
        }
      }
    } else if (name == "mfa_acr_values") {
      CUSTODY_ASSIGN_OR_RETURN(settings.mfa_acr_values, StringField(value, field));
    } else {
      return InvalidArgument(field + " is not a known field", field);
    }
  }
  if (!has_issuer) {
    return InvalidArgument("issuer is missing", "/issuer");
  }
  if (!has_client_id) {
    return InvalidArgument("client_id is missing", "/client_id");
  }
  return settings;
}

std::string SettingsToJson(const ProviderSettings& settings) {
  json algs = json::array();
  for (JwsAlgorithm alg : settings.allowed_algs) {
    algs.push_back(JwsAlgorithmName(alg));
  }
  const json object = {{"issuer", settings.issuer},
                       {"client_id", settings.client_id},
                       {"client_auth", ClientAuthMethodName(settings.client_auth)},
                       {"allowed_algs", algs},
                       {"scopes", settings.scopes},
                       {"claims", {{"email", settings.email_claim}, {"name", settings.name_claim}}},
                       {"mfa_acr_values", settings.mfa_acr_values}};
  return object.dump();
}

Status PutProvider(store::Transaction& tx, const Clock& clock, std::string_view organization_id,
                   const ProviderSettings& settings, const std::optional<Secret>& client_secret,
                   const Secret& sealing_key) {
  std::optional<std::string> sealed;
  if (client_secret.has_value()) {
    if (client_secret->empty() || client_secret->Reveal().size() > kMaxSettingLength) {
      return InvalidArgument("client_secret must be 1 to 1024 characters", "/client_secret");
    }
    CUSTODY_ASSIGN_OR_RETURN(sealed,
                             crypto::SealAes256Gcm(sealing_key, *client_secret, organization_id));
  } else {
    CUSTODY_ASSIGN_OR_RETURN(
        std::optional<store::Row> row,
        tx.QueryOne("SELECT client_secret_sealed FROM oidc_providers WHERE organization_id = ?",
                    {organization_id}));
    if (row.has_value() && !row->IsNull(0)) {
      sealed = row->Bytes(0);
    }
  }
  if (NeedsClientSecret(settings.client_auth) && !sealed.has_value()) {
    return InvalidArgument(
        "client_secret is required for " + std::string(ClientAuthMethodName(settings.client_auth)),
        "/client_secret");
  }
  std::optional<store::Blob> sealed_blob;
  if (sealed.has_value()) {
    sealed_blob = store::Blob{*sealed};
  }
  return tx
      .Execute(
          "INSERT INTO oidc_providers (organization_id, settings, client_secret_sealed, "
          "updated_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (organization_id) DO UPDATE SET "
          "settings = ?2, client_secret_sealed = ?3, updated_at = ?4",
          {organization_id, SettingsToJson(settings), sealed_blob,
           store::ToUnixMicros(clock.Now())})
      .status();
}

Result<bool> HasProvider(store::Transaction& tx, std::string_view organization_id) {
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT 1 FROM oidc_providers WHERE organization_id = ?", {organization_id}));
  return row.has_value();
}

Result<Provider> GetProvider(store::Transaction& tx, std::string_view organization_id,
                             const Secret& sealing_key) {
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT settings, client_secret_sealed, updated_at FROM oidc_providers "
                  "WHERE organization_id = ?",
                  {organization_id}));
  if (!row.has_value()) {
    return authz::NotFoundError();
  }
  Provider provider;
  provider.organization_id = std::string(organization_id);
  Result<ProviderSettings> settings = SettingsFromJson(row->Text(0));
  if (!settings.ok()) {
    return Internal("stored OIDC settings are invalid: " + settings.status().message());
  }
  provider.settings = std::move(settings).value();
  if (!row->IsNull(1)) {
    Result<Secret> secret = crypto::OpenAes256Gcm(sealing_key, row->Bytes(1), organization_id);
    if (!secret.ok()) {
      return Internal("the stored OIDC client secret does not open with auth.secret_key_file");
    }
    provider.client_secret = std::move(secret).value();
  }
  provider.updated_at = row->Time(2);
  return provider;
}

Status DeleteProvider(store::Transaction& tx, std::string_view organization_id) {
  CUSTODY_ASSIGN_OR_RETURN(
      const int64_t changed,
      tx.Execute("DELETE FROM oidc_providers WHERE organization_id = ?", {organization_id}));
  return changed == 0 ? authz::NotFoundError() : Status::Ok();
}

}  // namespace custody::identity::oidc
