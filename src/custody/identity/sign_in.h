// Sign-in completion for the OIDC and SAML relying parties, which runs after the IdP protocol
// has verified its response.
//
// Contract with the protocol modules (identity/oidc, identity/saml):
// 1. Verify the IdP's response completely (signature, issuer, audience, time, replay).
// 2. Fill a VerifiedSignIn from the verified data only.
// 3. Load the organization's policy with GetSsoPolicy and call CompleteSignIn. It writes every
//    audit record of the sign-in itself (the success and each rejection), so the caller writes
//    none.
// 4. On success, pass the NewSession to api::StartBrowserSession (api/auth.h), which mints the
//    access token and sets the session and CSRF cookies. When `failure_reason` is
//    kReasonMfaRequired, show the page that explains the MFA requirement, or redirect the user
//    to the IdP with a request for MFA (OIDC acr_values, SAML RequestedAuthnContext).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/identity/sessions.h"
#include "custody/store/database.h"

namespace custody::identity {

inline constexpr std::string_view kMethodOidc = "oidc";
inline constexpr std::string_view kMethodSaml = "saml";

// Sign-in failure reason codes, written to the deny record and returned to the caller.
inline constexpr std::string_view kReasonUserUnknown = "user_unknown";
inline constexpr std::string_view kReasonSignInUserDeactivated = "user_deactivated";
inline constexpr std::string_view kReasonMfaRequired = "mfa_required";
inline constexpr std::string_view kReasonIdentityConflict = "identity_conflict";
inline constexpr std::string_view kReasonEmailMissing = "email_missing";

// How a sign-in finds its user.
enum class LinkBy {
  // The IdP's stable subject (issuer + OIDC sub or SAML persistent NameID), bound to a user
  // by an earlier sign-in or by SCIM. The default.
  kSubject,
  // The e-mail claim, matched against the user's canonical e-mail on the first sign-in only.
  // That sign-in binds issuer + subject to the user, and later sign-ins must present the same
  // subject, so a changed e-mail at the IdP cannot take over another account.
  kEmail,
};

// Default accepted MFA values. OIDC "amr" values (RFC 8176): Okta sends "mfa" with "otp",
// "hwk", "swk", "sms" or "pop" for the factor; Entra ID sends "mfa". Google Workspace sends no
// amr or acr, so its organizations cannot require MFA through OIDC claims.
std::vector<std::string> DefaultMfaAmrValues();
// OIDC "acr" values that mean MFA: the OpenID PAPE multi-factor URI and REFEDS MFA.
std::vector<std::string> DefaultMfaAcrValues();
// SAML AuthnContextClassRef values that mean MFA: REFEDS MFA and Entra ID's
// "http://schemas.microsoft.com/claims/multipleauthn".
std::vector<std::string> DefaultSamlMfaContexts();

// An organization's sign-in policy (table sso_policies; defaults when it has no row).
struct SsoPolicy {
  std::string organization_id;
  LinkBy link_by = LinkBy::kSubject;
  bool require_mfa = false;
  // Just-in-time provisioning: an unknown user who signs in with an e-mail claim is created
  // without roles, which an admin grants later. Off by default.
  bool jit_provisioning = false;
  std::vector<std::string> mfa_amr_values = DefaultMfaAmrValues();
  std::vector<std::string> mfa_acr_values = DefaultMfaAcrValues();
  std::vector<std::string> saml_mfa_contexts = DefaultSamlMfaContexts();
  // Lifetime of the Custody session (not of the access tokens). The server sets it from
  // [auth] session_lifetime_minutes.
  std::chrono::minutes session_lifetime{480};
};

// Returns the organization's policy, or the defaults when none is stored.
Result<SsoPolicy> GetSsoPolicy(store::Transaction& tx, std::string_view organization_id);

// Stores the policy (the session lifetime is not stored).
Status PutSsoPolicy(store::Transaction& tx, const Clock& clock, const SsoPolicy& policy);

// What an IdP protocol proved, after all of its checks.
struct VerifiedSignIn {
  std::string organization_id;
  std::string method;   // kMethodOidc or kMethodSaml
  std::string issuer;   // OIDC iss or SAML IdP entity id
  std::string subject;  // OIDC sub or SAML NameID (persistent)
  std::optional<std::string> email;
  std::optional<std::string> display_name;
  std::vector<std::string> authn_methods;  // OIDC amr values or SAML AuthnContextClassRef
  std::optional<std::string> acr;
  std::optional<SystemTime> authn_time;
  std::optional<std::string> idp_session;  // SAML SessionIndex or OIDC sid, for sign-out
};

// The request a sign-in arrives on, for the audit records.
struct RequestInfo {
  std::string request_id;
  std::string source;  // client address
};

// True when the sign-in proves MFA under the policy: for OIDC an amr value in mfa_amr_values
// or the acr in mfa_acr_values, for SAML an AuthnContextClassRef in saml_mfa_contexts.
bool ProvesMfa(const SsoPolicy& policy, const VerifiedSignIn& sign_in);

// Links the sign-in to an active user of the organization (LinkBy) and applies the MFA policy.
// When the policy allows, it provisions an unknown user just in time. It then creates a session
// and writes the audit records "auth.sign_in" (allow, or deny with the reason code) and
// "session.create". A rejected sign-in returns kUnauthenticated, or kPermissionDenied for
// kReasonMfaRequired, and sets `failure_reason`. A database failure returns kUnavailable.
Result<NewSession> CompleteSignIn(store::Database& db, const SsoPolicy& policy,
                                  const VerifiedSignIn& sign_in, const RequestInfo& request,
                                  const Clock& clock, std::string* failure_reason = nullptr);

}  // namespace custody::identity
