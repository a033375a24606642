// Helpers for the browser-facing sign-in endpoints: cookies, HTML error pages, and the step
// from a verified IdP response to a Custody session.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "custody/api/handler_support.h"
#include "custody/identity/sign_in.h"

namespace custody::api {

enum class CrossSite {
  // SameSite=Lax: sent on top-level navigations only.
  kLax,
  // SameSite=None: also sent on the IdP's cross-site form POST to the ACS. Browsers accept
  // that only with Secure, so it needs an https public_url.
  kAllowPost,
};

// A Set-Cookie value: HttpOnly, Path, Max-Age, and Secure with the SameSite attribute when
// cookies are secure ([auth] cookie_secure, or an https public_url on a server without sign-in
// services). Otherwise, on plain http for loopback development and tests, both are left out,
// because browsers drop Secure cookies there and SameSite=None requires Secure.
std::string BrowserCookie(const ApiContext& api, std::string_view name, std::string_view value,
                          std::string_view path, std::chrono::seconds max_age,
                          CrossSite cross_site);

// A Set-Cookie value that deletes the cookie.
std::string ExpiredCookie(const ApiContext& api, std::string_view name, std::string_view path);

// A small HTML page for a browser that cannot be sent on: the status's HTTP code with a
// message that names no internal value. kPermissionDenied with a reason of
// identity::kReasonMfaRequired gets the MFA page, with a link to `retry_url` when given.
http::Response BrowserErrorPage(const Status& status, std::string_view reason = {},
                                std::string_view retry_url = {});

// True for a path on this server: it starts with "/", its second character is not "/", and
// it has no backslash or control character, so that a redirect to it stays on this origin.
bool IsLocalPath(std::string_view path);

// Completes a sign-in that an IdP protocol verified. It loads the organization's policy and
// calls identity::CompleteSignIn, which writes the audit records and creates the session.
// StartBrowserSession (auth.h) then returns a 303 to `return_to` (a local path) that sets the
// session, refresh and CSRF cookies. Returns the error page on failure.
http::Response FinishSignIn(ApiContext& api, const http::Request& request,
                            const identity::VerifiedSignIn& sign_in, std::string_view return_to);

}  // namespace custody::api
