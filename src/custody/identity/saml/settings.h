// The stored state of the SAML service provider: each organization's IdP settings, the
// pending AuthnRequests bound to browsers, and the replay cache of consumed assertion ids.
// Tables saml_settings, saml_requests and saml_replay_cache (docs/data-model.md).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/clock.h"
#include "custody/common/secret.h"
#include "custody/common/status.h"
#include "custody/store/database.h"

namespace custody::identity::saml {

// How long a browser may take between the redirect to the IdP and the POST back.
inline constexpr std::chrono::minutes kRequestLifetime{10};

inline constexpr size_t kMaxCertificates = 4;

// Attribute names tried in order when an organization maps none: Okta and SimpleSAMLphp
// send "email", Entra ID and ADFS the WS-Federation claim URI, LDAP-style IdPs "mail" or its
// OID.
std::vector<std::string> DefaultEmailAttributes();
std::vector<std::string> DefaultDisplayNameAttributes();

struct SamlSettings {
  std::string organization_id;
  std::string idp_entity_id;
  std::string idp_sso_url;                    // HTTP-Redirect SingleSignOnService
  std::vector<std::string> idp_certificates;  // base64 DER, 1 to kMaxCertificates
  // Attribute names that carry the e-mail address and the display name; empty means the
  // defaults above.
  std::string email_attribute;
  std::string display_name_attribute;
  bool allow_idp_initiated = false;
  // Accept RSA-SHA1 signatures, for legacy IdPs only.
  bool allow_sha1 = false;
  SystemTime updated_at;
  std::string updated_by;
};

// Checks the settings a caller sent: an entity id, an https (or loopback http) SSO URL and
// certificates that are base64 DER. Fails with kInvalidArgument naming the field.
Status CheckSamlSettings(const SamlSettings& settings);

// Returns the organization's settings, or authz::NotFoundError() when SAML is not set up.
Result<SamlSettings> GetSamlSettings(store::Transaction& tx, std::string_view organization_id);

// Creates or replaces the organization's settings (after CheckSamlSettings).
Status PutSamlSettings(store::Transaction& tx, const Clock& clock, const SamlSettings& settings);

// Removes the organization's settings, so SAML sign-in stops. Returns authz::NotFoundError()
// when none are stored.
Status DeleteSamlSettings(store::Transaction& tx, std::string_view organization_id);

// Stores a pending AuthnRequest bound to a new random browser secret, which the caller sets as
// a cookie. Only SHA-256 of the secret is stored. `return_to` is the local path to open after
// sign-in.
Result<Secret> SavePendingRequest(store::Transaction& tx, const Clock& clock,
                                  std::string_view organization_id, std::string_view request_id,
                                  std::string_view return_to);

struct PendingRequest {
  std::string request_id;  // empty when no request is pending for the browser
  std::string return_to = "/";
};

// Removes and returns the request bound to `browser_secret` for the organization, or an empty
// request_id when there is none or it has expired. A request is consumed by the first response that
// arrives with its cookie, valid or not, so that it cannot be used twice.
Result<PendingRequest> TakePendingRequest(store::Transaction& tx, const Clock& clock,
                                          std::string_view organization_id,
                                          std::string_view browser_secret);

// Records the use of an assertion id until `expires_at`. Returns kConflict when the id of that
// issuer was already used for the organization and has not expired (a replay). Also deletes
// expired entries and pending requests.
Status RecordAssertionUse(store::Transaction& tx, const Clock& clock,
                          std::string_view organization_id, std::string_view issuer,
                          std::string_view assertion_id, SystemTime expires_at);

}  // namespace custody::identity::saml
