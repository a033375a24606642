// Browser and CLI sign-in on top of identity/: Custody's access tokens, the session, refresh
// and CSRF cookies, OIDC sign-in routes, sign-out, and the step-up check for sensitive admin
// actions.
//
// Cookies (names with the __Host- prefix when `cookie_secure`, which also requires Secure,
// Path=/ and no Domain):
// * custody-session: the access token (a JWT), HttpOnly, SameSite=Lax, for browser requests;
// * custody-refresh: the session's refresh credential, HttpOnly, SameSite=Strict;
// * custody-csrf: the CSRF token, readable by scripts, which must echo it in an X-CSRF-Token
//   header on every unsafe request (anything but GET, HEAD, OPTIONS) that a cookie
//   authenticates. Its SHA-256 is stored on the session (synchronizer token).
// * custody-oidc: the pre-authentication value that binds an OIDC state to the browser.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/api/handler_support.h"
#include "custody/aws/http_transport.h"
#include "custody/common/secret.h"
#include "custody/crypto/ed25519.h"
#include "custody/http/message.h"
#include "custody/http/router.h"
#include "custody/identity/jwt.h"
#include "custody/identity/oidc/relying_party.h"
#include "custody/identity/sessions.h"
#include "custody/identity/sign_in.h"

namespace custody::api {

inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";
// The problem type of a 403 that a recent MFA sign-in would lift.
inline constexpr std::string_view kStepUpProblemType = "urn:custody:problem:step-up-required";
// The Status field that marks a kPermissionDenied as a step-up denial (see ErrorResponse).
inline constexpr std::string_view kStepUpField = "step_up";

struct AuthSettings {
  std::string public_url;  // server.public_url, without a trailing "/"
  std::chrono::minutes access_token_lifetime{10};
  std::chrono::minutes session_lifetime{480};
  // Sensitive admin actions require an MFA sign-in within this many minutes; 0 turns the
  // check off.
  std::chrono::minutes step_up{0};
  bool cookie_secure = true;
  // Permits http:// OIDC issuers on loopback addresses (tests only).
  bool allow_insecure_loopback = false;
};

// The sign-in services, built once by the server.
struct AuthServices {
  AuthSettings settings;
  std::vector<crypto::Ed25519PrivateKey> signing_keys;  // the first signs
  identity::AccessTokenSigner signer;
  Secret sealing_key;  // seals OIDC client secrets ([auth] secret_key_file)
  std::unique_ptr<identity::oidc::RelyingParty> oidc;
};

// The cookie names for the settings.
std::string SessionCookieName(const AuthSettings& settings);
std::string RefreshCookieName(const AuthSettings& settings);
std::string CsrfCookieName(const AuthSettings& settings);
std::string OidcBindingCookieName(const AuthSettings& settings);

// Returns the value of cookie `name` in the request's Cookie headers, or nullopt.
std::optional<std::string> CookieValue(const http::Request& request, std::string_view name);

// Authenticates a Custody access token (from "Authorization: Bearer" or, when
// `from_cookie`, the session cookie): signature, expiry, then the session row and the user,
// so a revoked session fails at once. A cookie-authenticated unsafe request must also carry
// the session's CSRF token in X-CSRF-Token, else kPermissionDenied (reason csrf_mismatch).
Result<authz::Principal> AuthenticateAccessToken(ApiContext& api, const http::Request& request,
                                                 std::string_view token, bool from_cookie,
                                                 std::string* failure_reason);

// Mints the access token of a new session, stores a CSRF token on it, and returns a response
// that sets the session, refresh and CSRF cookies and redirects (303) to `return_to`.
Result<http::Response> StartBrowserSession(ApiContext& api, const identity::NewSession& session,
                                           std::string_view return_to);

// Returns OK when the caller may perform a step-up protected action now: step-up is off, the
// caller authenticated with an API token, or the request's session proved MFA within
// AuthSettings::step_up. The denial is kPermissionDenied with field kStepUpField.
Status RequireStepUp(ApiContext& api, store::Transaction& tx, const RequestContext& context);

// Registers /.well-known/jwks.json and the /auth routes (docs/sso.md).
void RegisterAuthRoutes(http::Router& router, ApiContext& api);

}  // namespace custody::api
