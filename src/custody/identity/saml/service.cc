#include "custody/identity/saml/service.h"

#include "custody/authz/authorize.h"
#include "custody/crypto/encoding.h"
#include "custody/identity/saml/authn_request.h"
#include "custody/identity/saml/response.h"
#include "custody/identity/saml/settings.h"

namespace custody::identity::saml {
namespace {

constexpr std::string_view kTransientFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";

Status Reject(std::string_view reason, std::string message, std::string* failure_reason) {
  if (failure_reason != nullptr) {
    *failure_reason = std::string(reason);
  }
  return Unauthenticated(std::move(message));
}

// The first value of the first attribute in `names` that the assertion carries.
std::optional<std::string> FirstAttribute(const ValidatedAssertion& assertion,
                                          const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    const auto found = assertion.attributes.find(name);
    if (found != assertion.attributes.end() && !found->second.empty() &&
        !found->second.front().empty()) {
      return found->second.front();
    }
  }
  return std::nullopt;
}

std::vector<std::string> NamesOrDefault(const std::string& configured,
                                        std::vector<std::string> defaults) {
  if (configured.empty()) {
    return defaults;
  }
  return {configured};
}

VerifiedSignIn ToVerifiedSignIn(const SamlSettings& settings, const ValidatedAssertion& assertion) {
  VerifiedSignIn sign_in;
  sign_in.organization_id = settings.organization_id;
  sign_in.method = std::string(kMethodSaml);
  sign_in.issuer = assertion.issuer;
  sign_in.subject = assertion.name_id;
  sign_in.email =
      FirstAttribute(assertion, NamesOrDefault(settings.email_attribute, DefaultEmailAttributes()));
  sign_in.display_name = FirstAttribute(
      assertion, NamesOrDefault(settings.display_name_attribute, DefaultDisplayNameAttributes()));
  sign_in.authn_methods = assertion.authn_context_class_refs;
  sign_in.authn_time = assertion.authn_instant;
  if (!assertion.session_index.empty()) {
    sign_in.idp_session = assertion.session_index;
  }
  return sign_in;
}

}  // namespace

ServiceProvider ServiceProviderFor(std::string_view public_url, std::string_view organization_id) {
  std::string base(public_url);
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  base += "/sso/saml/";
  base += organization_id;
  ServiceProvider provider;
  provider.metadata_url = base + "/metadata";
  provider.entity_id = provider.metadata_url;
  provider.acs_url = base + "/acs";
  provider.login_url = base + "/login";
  return provider;
}

Result<LoginStart> StartLogin(store::Database& db, const Clock& clock, std::string_view public_url,
                              std::string_view organization_id, std::string_view return_to) {
  const ServiceProvider provider = ServiceProviderFor(public_url, organization_id);
  return store::WriteReturning<LoginStart>(db, [&](store::Transaction& tx) -> Result<LoginStart> {
    CUSTODY_ASSIGN_OR_RETURN(const SamlSettings settings, GetSamlSettings(tx, organization_id));
    CUSTODY_ASSIGN_OR_RETURN(const SsoPolicy policy, GetSsoPolicy(tx, organization_id));
    AuthnRequestSpec spec;
    spec.sp_entity_id = provider.entity_id;
    spec.acs_url = provider.acs_url;
    spec.idp_sso_url = settings.idp_sso_url;
    if (policy.require_mfa) {
      spec.requested_contexts = policy.saml_mfa_contexts;
    }
    CUSTODY_ASSIGN_OR_RETURN(AuthnRequest request, BuildAuthnRequest(spec, clock));
    CUSTODY_ASSIGN_OR_RETURN(Secret secret,
                             SavePendingRequest(tx, clock, organization_id, request.id, return_to));
    return LoginStart{std::move(request.redirect_url), std::move(request.id), std::move(secret)};
  });
}

Result<ConsumedResponse> ConsumeResponse(store::Database& db, const Clock& clock,
                                         std::string_view public_url,
                                         std::string_view organization_id,
                                         std::string_view encoded_response,
                                         std::string_view browser_secret,
                                         std::string* failure_reason) {
  // Step 1, committed on its own: take the pending request, so that it is gone whatever the
  // outcome of this response.
  PendingRequest pending;
  Result<SamlSettings> settings = authz::NotFoundError();
  CUSTODY_RETURN_IF_ERROR(db.Write([&](store::Transaction& tx) -> Status {
    CUSTODY_ASSIGN_OR_RETURN(pending,
                             TakePendingRequest(tx, clock, organization_id, browser_secret));
    settings = GetSamlSettings(tx, organization_id);
    if (!settings.ok() && settings.status().code() != ErrorCode::kNotFound) {
      return settings.status();
    }
    return Status::Ok();
  }));
  if (!settings.ok()) {
    if (failure_reason != nullptr) {
      *failure_reason = std::string(kReasonNotConfigured);
    }
    return settings.status();
  }

  // Step 2: decode and validate.
  if (encoded_response.empty() || encoded_response.size() > kMaxEncodedResponseBytes) {
    return Reject(kReasonEncoding, "SAMLResponse is missing or too large", failure_reason);
  }
  std::string compact;
  for (char c : encoded_response) {
    if (c != '\r' && c != '\n' && c != ' ' && c != '\t') {
      compact += c;
    }
  }
  const std::optional<std::string> xml = crypto::Base64Decode(compact);
  if (!xml.has_value()) {
    return Reject(kReasonEncoding, "SAMLResponse is not valid base64", failure_reason);
  }
  const ServiceProvider provider = ServiceProviderFor(public_url, organization_id);
  ResponsePolicy policy;
  policy.idp_entity_id = settings->idp_entity_id;
  policy.idp_certificates = settings->idp_certificates;
  policy.sp_entity_id = provider.entity_id;
  policy.acs_url = provider.acs_url;
  policy.expected_request_id = pending.request_id;
  policy.allow_idp_initiated = settings->allow_idp_initiated;
  policy.allow_sha1 = settings->allow_sha1;
  CUSTODY_ASSIGN_OR_RETURN(const ValidatedAssertion assertion,
                           ValidateResponse(*xml, policy, clock, failure_reason));
  if (assertion.name_id_format == kTransientFormat) {
    // A transient NameID changes on every sign-in, so it cannot identify a user.
    return Reject(kReasonTransientNameId, "a transient NameID cannot identify a user",
                  failure_reason);
  }

  // Step 3: one-time use. The id stays in the cache until the assertion could no longer be
  // accepted anyway.
  const Status recorded = db.Write([&](store::Transaction& tx) -> Status {
    return RecordAssertionUse(tx, clock, organization_id, assertion.issuer, assertion.assertion_id,
                              assertion.replay_expires_at);
  });
  if (recorded.code() == ErrorCode::kConflict) {
    return Reject(kReasonReplayed, "the assertion was already used", failure_reason);
  }
  CUSTODY_RETURN_IF_ERROR(recorded);
  ConsumedResponse consumed{ToVerifiedSignIn(*settings, assertion), "/"};
  if (!assertion.in_response_to.empty()) {
    consumed.return_to = pending.return_to;
  }
  return consumed;
}

}  // namespace custody::identity::saml
