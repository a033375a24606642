// /api/v1/sso/saml: the organization's SAML identity provider, managed by admins.
#include <nlohmann/json.hpp>

#include "custody/api/auth.h"
#include "custody/api/routes.h"
#include "custody/http/json.h"
#include "custody/identity/saml/metadata.h"
#include "custody/identity/saml/service.h"
#include "custody/identity/saml/settings.h"

namespace custody::api {
namespace {

using authz::Action;
namespace saml = identity::saml;

std::string SettingsResource(const RequestContext& context) {
  return "saml_settings/" + context.principal.organization_id;
}

Result<std::vector<std::string>> ReadCertificates(http::JsonObjectReader& reader) {
  CUSTODY_ASSIGN_OR_RETURN(const nlohmann::json* value, reader.Value("idp_certificates"));
  if (!value->is_array()) {
    return InvalidArgument("idp_certificates must be an array of strings", "/idp_certificates");
  }
  std::vector<std::string> certificates;
  for (const nlohmann::json& item : *value) {
    if (!item.is_string()) {
      return InvalidArgument("idp_certificates must be an array of strings", "/idp_certificates");
    }
    certificates.push_back(item.get<std::string>());
  }
  return certificates;
}

// Reads the IdP either from its metadata document or from the three explicit fields.
Status ReadIdentityProvider(const nlohmann::json& body, http::JsonObjectReader& reader,
                            saml::SamlSettings& settings) {
  const bool explicit_fields = body.contains("idp_entity_id") || body.contains("idp_sso_url") ||
                               body.contains("idp_certificates");
  CUSTODY_ASSIGN_OR_RETURN(std::optional<std::string> metadata_xml,
                           reader.OptionalString("idp_metadata_xml"));
  if (metadata_xml.has_value()) {
    if (explicit_fields) {
      return InvalidArgument(
          "send either idp_metadata_xml or idp_entity_id, idp_sso_url and idp_certificates",
          "/idp_metadata_xml");
    }
    CUSTODY_ASSIGN_OR_RETURN(saml::IdpMetadata metadata, saml::ParseIdpMetadata(*metadata_xml));
    settings.idp_entity_id = std::move(metadata.entity_id);
    settings.idp_sso_url = std::move(metadata.sso_url);
    settings.idp_certificates = std::move(metadata.signing_certificates);
    if (settings.idp_certificates.size() > saml::kMaxCertificates) {
      settings.idp_certificates.resize(saml::kMaxCertificates);
    }
    return Status::Ok();
  }
  CUSTODY_ASSIGN_OR_RETURN(settings.idp_entity_id, reader.String("idp_entity_id"));
  CUSTODY_ASSIGN_OR_RETURN(settings.idp_sso_url, reader.String("idp_sso_url"));
  CUSTODY_ASSIGN_OR_RETURN(settings.idp_certificates, ReadCertificates(reader));
  return Status::Ok();
}

Result<saml::SamlSettings> ParseSettings(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {}));
  CUSTODY_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObjectBody(request));
  http::JsonObjectReader reader(body);
  saml::SamlSettings settings;
  CUSTODY_RETURN_IF_ERROR(ReadIdentityProvider(body, reader, settings));

  if (body.contains("attribute_mapping") && !body["attribute_mapping"].is_null()) {
    CUSTODY_ASSIGN_OR_RETURN(http::JsonObjectReader mapping, reader.Object("attribute_mapping"));
    CUSTODY_ASSIGN_OR_RETURN(std::optional<std::string> email, mapping.OptionalString("email"));
    CUSTODY_ASSIGN_OR_RETURN(std::optional<std::string> display_name,
                             mapping.OptionalString("display_name"));
    CUSTODY_RETURN_IF_ERROR(mapping.RejectUnknownFields());
    settings.email_attribute = email.value_or("");
    settings.display_name_attribute = display_name.value_or("");
  } else {
    // Marks an explicit null as read, so that RejectUnknownFields accepts it.
    CUSTODY_RETURN_IF_ERROR(reader.OptionalString("attribute_mapping").status());
  }
  CUSTODY_ASSIGN_OR_RETURN(std::optional<bool> allow_idp_initiated,
                           reader.OptionalBool("allow_idp_initiated"));
  CUSTODY_ASSIGN_OR_RETURN(std::optional<bool> allow_sha1, reader.OptionalBool("allow_sha1"));
  CUSTODY_RETURN_IF_ERROR(reader.RejectUnknownFields());
  settings.allow_idp_initiated = allow_idp_initiated.value_or(false);
  settings.allow_sha1 = allow_sha1.value_or(false);
  CUSTODY_RETURN_IF_ERROR(saml::CheckSamlSettings(settings));
  return settings;
}

nlohmann::json SettingsJson(const saml::SamlSettings& settings, const std::string& public_url) {
  const saml::ServiceProvider provider =
      saml::ServiceProviderFor(public_url, settings.organization_id);
  nlohmann::json mapping = nlohmann::json::object();
  mapping["email"] = settings.email_attribute.empty() ? nlohmann::json(nullptr)
                                                      : nlohmann::json(settings.email_attribute);
  mapping["display_name"] = settings.display_name_attribute.empty()
                                ? nlohmann::json(nullptr)
                                : nlohmann::json(settings.display_name_attribute);
  return {
      {"idp_entity_id", settings.idp_entity_id},
      {"idp_sso_url", settings.idp_sso_url},
      {"idp_certificates", settings.idp_certificates},
      {"attribute_mapping", mapping},
      {"allow_idp_initiated", settings.allow_idp_initiated},
      {"allow_sha1", settings.allow_sha1},
      {"sp_entity_id", provider.entity_id},
      {"acs_url", provider.acs_url},
      {"metadata_url", provider.metadata_url},
      {"login_url", provider.login_url},
      {"updated_at", FormatRfc3339(settings.updated_at)},
      {"updated_by", settings.updated_by},
  };
}

Result<http::Response> PutSettings(ApiContext& api, const RequestContext& context,
                                   saml::SamlSettings& settings) {
  evidence::AuditEntry entry{"sso.saml.update", SettingsResource(context), ""};
  settings.organization_id = context.principal.organization_id;
  settings.updated_by = context.principal.user_id;
  CUSTODY_ASSIGN_OR_RETURN(
      saml::SamlSettings stored,
      evidence::AuditedWriteReturning<saml::SamlSettings>(
          api.db, api.clock, context, entry,
          [&](store::Transaction& tx) -> Result<saml::SamlSettings> {
            CUSTODY_RETURN_IF_ERROR(
                evidence::AuthorizeOrganizationAction(tx, context, Action::kManageSso, entry));
            CUSTODY_RETURN_IF_ERROR(RequireStepUp(api, tx, context));
            CUSTODY_RETURN_IF_ERROR(saml::PutSamlSettings(tx, api.clock, settings));
            return saml::GetSamlSettings(tx, settings.organization_id);
          }));
  return http::JsonResponse(200, SettingsJson(stored, api.public_url));
}

Result<http::Response> GetSettings(ApiContext& api, const RequestContext& context) {
  evidence::AuditEntry entry{"sso.saml.read", SettingsResource(context), ""};
  CUSTODY_ASSIGN_OR_RETURN(
      saml::SamlSettings stored,
      evidence::AuditedWriteReturning<saml::SamlSettings>(
          api.db, api.clock, context, entry,
          [&](store::Transaction& tx) -> Result<saml::SamlSettings> {
            CUSTODY_RETURN_IF_ERROR(
                evidence::AuthorizeOrganizationAction(tx, context, Action::kManageSso, entry));
            return saml::GetSamlSettings(tx, context.principal.organization_id);
          }));
  return http::JsonResponse(200, SettingsJson(stored, api.public_url));
}

Result<http::Response> DeleteSettings(ApiContext& api, const RequestContext& context) {
  evidence::AuditEntry entry{"sso.saml.delete", SettingsResource(context), ""};
  const Status deleted = evidence::AuditedWrite(
      api.db, api.clock, context, entry, [&](store::Transaction& tx) -> Status {
        CUSTODY_RETURN_IF_ERROR(
            evidence::AuthorizeOrganizationAction(tx, context, Action::kManageSso, entry));
        CUSTODY_RETURN_IF_ERROR(RequireStepUp(api, tx, context));
        return saml::DeleteSamlSettings(tx, context.principal.organization_id);
      });
  if (!deleted.ok()) {
    return deleted;
  }
  return http::Response{204, {}, ""};
}

struct NoInput {};

Result<NoInput> ParseNoInput(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(NoQueryOrBody(request));
  return NoInput{};
}

}  // namespace

void RegisterSamlSettingsRoutes(http::Router& router, ApiContext& api) {
  router.Add("PUT", "/api/v1/sso/saml",
             Serve<saml::SamlSettings>(
                 api, {"sso.saml.update", ParseSettings,
                       [&api](const RequestContext& context, saml::SamlSettings& settings) {
                         return PutSettings(api, context, settings);
                       }}));
  router.Add("GET", "/api/v1/sso/saml",
             Serve<NoInput>(api, {"sso.saml.read", ParseNoInput,
                                  [&api](const RequestContext& context, NoInput&) {
                                    return GetSettings(api, context);
                                  }}));
  router.Add("DELETE", "/api/v1/sso/saml",
             Serve<NoInput>(api, {"sso.saml.delete", ParseNoInput,
                                  [&api](const RequestContext& context, NoInput&) {
                                    return DeleteSettings(api, context);
                                  }}));
}

}  // namespace custody::api
