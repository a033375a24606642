// The SAML service provider's two steps, between the HTTP handlers and the protocol code:
// StartLogin sends the browser to the IdP, ConsumeResponse turns the IdP's POST into a
// VerifiedSignIn for identity::CompleteSignIn.
//
// Per organization the SP's URLs derive from server.public_url:
//   entity id and metadata   {public_url}/sso/saml/{organization_id}/metadata
//   assertion consumer (ACS) {public_url}/sso/saml/{organization_id}/acs
//   sign-in start            {public_url}/sso/saml/{organization_id}/login
#pragma once

#include <string>
#include <string_view>

#include "custody/common/clock.h"
#include "custody/common/secret.h"
#include "custody/common/status.h"
#include "custody/identity/sign_in.h"
#include "custody/store/database.h"

namespace custody::identity::saml {

// Reason codes of this layer, besides those of response.h.
inline constexpr std::string_view kReasonNotConfigured = "saml_not_configured";
inline constexpr std::string_view kReasonEncoding = "saml_encoding";
inline constexpr std::string_view kReasonReplayed = "saml_replayed";
inline constexpr std::string_view kReasonTransientNameId = "saml_transient_name_id";

// Maximum size of the base64 SAMLResponse form field; real responses are a few KiB.
inline constexpr size_t kMaxEncodedResponseBytes = 256 * 1024;

struct ServiceProvider {
  std::string entity_id;
  std::string metadata_url;
  std::string acs_url;
  std::string login_url;
};

ServiceProvider ServiceProviderFor(std::string_view public_url, std::string_view organization_id);

struct LoginStart {
  std::string redirect_url;  // the IdP's SSO URL with the deflated AuthnRequest
  std::string request_id;
  // The value of the browser cookie that binds the request to this browser.
  Secret browser_secret;
};

// Builds an AuthnRequest for the organization and stores it as pending, with the local path
// `return_to` to open after sign-in. When the organization's policy requires MFA, the request
// lists its SAML MFA classes as RequestedAuthnContext. Returns authz::NotFoundError() when the
// organization has no SAML settings.
Result<LoginStart> StartLogin(store::Database& db, const Clock& clock, std::string_view public_url,
                              std::string_view organization_id, std::string_view return_to);

struct ConsumedResponse {
  VerifiedSignIn sign_in;
  std::string return_to;  // of the pending request, or "/" for an IdP-initiated response
};

// Validates the base64 SAMLResponse of an ACS POST for the organization: consumes the pending
// request bound to `browser_secret` (empty when the browser sent no cookie), validates the
// response, and records the assertion id in the replay cache. Each step commits before the
// next, so a request or an assertion is never usable twice, even after a failure.
//
// A rejection returns kUnauthenticated and sets `failure_reason` to a kReason code;
// kNotFound when the organization has no SAML settings; kUnavailable when the database fails.
Result<ConsumedResponse> ConsumeResponse(store::Database& db, const Clock& clock,
                                         std::string_view public_url,
                                         std::string_view organization_id,
                                         std::string_view encoded_response,
                                         std::string_view browser_secret,
                                         std::string* failure_reason);

}  // namespace custody::identity::saml
