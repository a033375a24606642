// /api/v1/sso/oidc and /api/v1/sso/policy: an organization's OpenID Connect provider and its
// sign-in policy (user linking, MFA, just-in-time provisioning). Admins only (sso.manage), and
// changes need a recent MFA sign-in when step-up is on.
#include <nlohmann/json.hpp>

#include "custody/api/auth.h"
#include "custody/api/query_params.h"
#include "custody/api/routes.h"
#include "custody/http/json.h"
#include "custody/identity/oidc/provider.h"
#include "custody/identity/sign_in.h"

namespace custody::api {
namespace {

using authz::Action;
using identity::oidc::Provider;
using identity::oidc::ProviderSettings;

struct OidcUpdate {
  ProviderSettings settings;
  std::optional<Secret> client_secret;  // nullopt keeps the stored one
};

Result<OidcUpdate> ParseOidcUpdate(ApiContext& api, const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {}));
  CUSTODY_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObjectBody(request));
  OidcUpdate update;
  if (const auto secret = body.find("client_secret"); secret != body.end()) {
    if (!secret->is_string()) {
      return InvalidArgument("client_secret must be a string", "/client_secret");
    }
    update.client_secret = Secret(secret->get<std::string>());
    body.erase("client_secret");
  }
  CUSTODY_ASSIGN_OR_RETURN(update.settings, identity::oidc::SettingsFromJson(body.dump()));
  CUSTODY_RETURN_IF_ERROR(identity::oidc::ValidateSettings(
      update.settings, api.auth->settings.allow_insecure_loopback));
  return update;
}

nlohmann::json ProviderJson(ApiContext& api, const Provider& provider) {
  nlohmann::json json = nlohmann::json::parse(identity::oidc::SettingsToJson(provider.settings));
  const std::string& base = api.auth->settings.public_url;
  json["has_client_secret"] = provider.client_secret.has_value();
  json["redirect_uri"] = base + "/auth/oidc/callback";
  json["jwks_uri"] = base + "/.well-known/jwks.json";
  json["post_logout_redirect_uri"] = base + "/auth/signed-out";
  json["sign_in_url"] = base + "/auth/oidc/start?organization_id=" + provider.organization_id;
  json["updated_at"] = FormatRfc3339(provider.updated_at);
  return json;
}

// Runs `operation` in a transaction that also writes the request's audit record (`action` on
// `resource`), after checking that the caller may manage the organization's SSO.
template <typename T, typename Operation>
Result<T> ManageSso(ApiContext& api, const RequestContext& context, std::string_view action,
                    std::string_view resource, Operation&& operation) {
  evidence::AuditEntry entry{std::string(action), std::string(resource), ""};
  return evidence::AuditedWriteReturning<T>(
      api.db, api.clock, context, entry, [&](store::Transaction& tx) -> Result<T> {
        CUSTODY_RETURN_IF_ERROR(
            evidence::AuthorizeOrganizationAction(tx, context, Action::kManageSso, entry));
        return operation(tx);
      });
}

Result<http::Response> GetOidc(ApiContext& api, const RequestContext& context) {
  CUSTODY_ASSIGN_OR_RETURN(
      Provider provider,
      ManageSso<Provider>(api, context, "sso.oidc.read", "sso/oidc", [&](store::Transaction& tx) {
        return identity::oidc::GetProvider(tx, context.principal.organization_id,
                                           api.auth->sealing_key);
      }));
  return http::JsonResponse(200, ProviderJson(api, provider));
}

Result<http::Response> PutOidc(ApiContext& api, const RequestContext& context,
                               const OidcUpdate& update) {
  const std::string& organization_id = context.principal.organization_id;
  CUSTODY_ASSIGN_OR_RETURN(
      Provider provider,
      ManageSso<Provider>(api, context, "sso.oidc.update", "sso/oidc",
                          [&](store::Transaction& tx) -> Result<Provider> {
                            CUSTODY_RETURN_IF_ERROR(RequireStepUp(api, tx, context));
                            CUSTODY_RETURN_IF_ERROR(identity::oidc::PutProvider(
                                tx, api.clock, organization_id, update.settings,
                                update.client_secret, api.auth->sealing_key));
                            return identity::oidc::GetProvider(tx, organization_id,
                                                               api.auth->sealing_key);
                          }));
  return http::JsonResponse(200, ProviderJson(api, provider));
}

Result<http::Response> DeleteOidc(ApiContext& api, const RequestContext& context) {
  const Result<bool> deleted = ManageSso<bool>(
      api, context, "sso.oidc.delete", "sso/oidc", [&](store::Transaction& tx) -> Result<bool> {
        CUSTODY_RETURN_IF_ERROR(RequireStepUp(api, tx, context));
        CUSTODY_RETURN_IF_ERROR(
            identity::oidc::DeleteProvider(tx, context.principal.organization_id));
        return true;
      });
  if (!deleted.ok()) {
    return deleted.status();
  }
  return http::Response{204, {}, ""};
}

nlohmann::json PolicyJson(const identity::SsoPolicy& policy) {
  nlohmann::json json = nlohmann::json::object();
  json["link_by"] = policy.link_by == identity::LinkBy::kEmail ? "email" : "subject";
  json["require_mfa"] = policy.require_mfa;
  json["jit_provisioning"] = policy.jit_provisioning;
  json["mfa_amr_values"] = policy.mfa_amr_values;
  json["mfa_acr_values"] = policy.mfa_acr_values;
  json["saml_mfa_contexts"] = policy.saml_mfa_contexts;
  return json;
}

// A policy change: the fields present replace the stored ones.
struct PolicyUpdate {
  nlohmann::json body;
};

Result<std::vector<std::string>> StringList(const nlohmann::json& value, const std::string& field) {
  if (!value.is_array() || value.size() > 50) {
    return InvalidArgument(field + " must be an array of at most 50 strings", field);
  }
  std::vector<std::string> strings;
  for (const nlohmann::json& item : value) {
    if (!item.is_string()) {
      return InvalidArgument(field + " must be an array of strings", field);
    }
    strings.push_back(item.get<std::string>());
  }
  return strings;
}

Status ApplyPolicyUpdate(const nlohmann::json& body, identity::SsoPolicy& policy) {
  for (const auto& [name, value] : body.items()) {
    const std::string field = "/" + name;
    if (name == "link_by") {
      if (value != "subject" && value != "email") {
        return InvalidArgument("link_by must be subject or email", field);
      }
      policy.link_by = value == "email" ? identity::LinkBy::kEmail : identity::LinkBy::kSubject;
    } else if (name == "require_mfa" || name == "jit_provisioning") {
      if (!value.is_boolean()) {
        return InvalidArgument(name + " must be true or false", field);
      }
      (name == "require_mfa" ? policy.require_mfa : policy.jit_provisioning) = value.get<bool>();
    } else if (name == "mfa_amr_values") {
      CUSTODY_ASSIGN_OR_RETURN(policy.mfa_amr_values, StringList(value, field));
    } else if (name == "mfa_acr_values") {
      CUSTODY_ASSIGN_OR_RETURN(policy.mfa_acr_values, StringList(value, field));
    } else if (name == "saml_mfa_contexts") {
      CUSTODY_ASSIGN_OR_RETURN(policy.saml_mfa_contexts, StringList(value, field));
    } else {
      return InvalidArgument(name + " is not a known field", field);
    }
  }
  return Status::Ok();
}

Result<PolicyUpdate> ParsePolicyUpdate(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {}));
  CUSTODY_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObjectBody(request));
  identity::SsoPolicy scratch;
  CUSTODY_RETURN_IF_ERROR(ApplyPolicyUpdate(body, scratch));
  return PolicyUpdate{std::move(body)};
}

Result<http::Response> GetPolicy(ApiContext& api, const RequestContext& context) {
  CUSTODY_ASSIGN_OR_RETURN(
      identity::SsoPolicy policy,
      ManageSso<identity::SsoPolicy>(
          api, context, "sso.policy.read", "sso/policy", [&](store::Transaction& tx) {
            return identity::GetSsoPolicy(tx, context.principal.organization_id);
          }));
  return http::JsonResponse(200, PolicyJson(policy));
}

Result<http::Response> PutPolicy(ApiContext& api, const RequestContext& context,
                                 const PolicyUpdate& update) {
  CUSTODY_ASSIGN_OR_RETURN(
      identity::SsoPolicy policy,
      ManageSso<identity::SsoPolicy>(
          api, context, "sso.policy.update", "sso/policy",
          [&](store::Transaction& tx) -> Result<identity::SsoPolicy> {
            CUSTODY_RETURN_IF_ERROR(RequireStepUp(api, tx, context));
            CUSTODY_ASSIGN_OR_RETURN(identity::SsoPolicy current,
                                     identity::GetSsoPolicy(tx, context.principal.organization_id));
            CUSTODY_RETURN_IF_ERROR(ApplyPolicyUpdate(update.body, current));
            CUSTODY_RETURN_IF_ERROR(identity::PutSsoPolicy(tx, api.clock, current));
            return current;
          }));
  return http::JsonResponse(200, PolicyJson(policy));
}

}  // namespace

void RegisterSsoRoutes(http::Router& router, ApiContext& api) {
  if (api.auth == nullptr) {
    return;
  }
  router.Add("GET", "/api/v1/sso/oidc",
             Serve<bool>(api, {"sso.oidc.read", ParseNoQueryOrBody,
                               [&api](const RequestContext& context, bool&) {
                                 return GetOidc(api, context);
                               }}));
  router.Add("PUT", "/api/v1/sso/oidc",
             Serve<OidcUpdate>(api, {"sso.oidc.update",
                                     [&api](const http::Request& request) {
                                       return ParseOidcUpdate(api, request);
                                     },
                                     [&api](const RequestContext& context, OidcUpdate& update) {
                                       return PutOidc(api, context, update);
                                     }}));
  router.Add("DELETE", "/api/v1/sso/oidc",
             Serve<bool>(api, {"sso.oidc.delete", ParseNoQueryOrBody,
                               [&api](const RequestContext& context, bool&) {
                                 return DeleteOidc(api, context);
                               }}));
  router.Add("GET", "/api/v1/sso/policy",
             Serve<bool>(api, {"sso.policy.read", ParseNoQueryOrBody,
                               [&api](const RequestContext& context, bool&) {
                                 return GetPolicy(api, context);
                               }}));
  router.Add("PUT", "/api/v1/sso/policy",
             Serve<PolicyUpdate>(api, {"sso.policy.update", ParsePolicyUpdate,
                                       [&api](const RequestContext& context, PolicyUpdate& update) {
                                         return PutPolicy(api, context, update);
                                       }}));
}

}  // namespace custody::api
