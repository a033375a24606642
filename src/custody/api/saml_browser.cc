#include "custody/api/saml_browser.h"

#include <fmt/format.h>

#include "custody/api/auth.h"
#include "custody/common/error_catalog.h"
#include "custody/identity/saml/authn_request.h"
#include "custody/identity/saml/service.h"

namespace custody::api {
namespace {

// Secure cookies follow the sign-in settings when the server has them, else the public URL.
bool UseSecureCookies(const ApiContext& api) {
  if (api.auth != nullptr) {
    return api.auth->settings.cookie_secure;
  }
  return api.public_url.starts_with("https://");
}

std::string PageHtml(std::string_view title, std::string_view message,
                     std::string_view retry_url = {}) {
  std::string retry;
  if (!retry_url.empty()) {
    retry = fmt::format("<p><a href=\"{}\">Sign in again</a></p>",
                        identity::saml::XmlEscape(retry_url));
  }
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0}</title>"
      "</head><body><h1>{0}</h1><p>{1}</p>{2}</body></html>\n",
      identity::saml::XmlEscape(title), identity::saml::XmlEscape(message), retry);
}

}  // namespace

std::string BrowserCookie(const ApiContext& api, std::string_view name, std::string_view value,
                          std::string_view path, std::chrono::seconds max_age,
                          CrossSite cross_site) {
  std::string cookie =
      fmt::format("{}={}; Path={}; Max-Age={}; HttpOnly", name, value, path, max_age.count());
  if (UseSecureCookies(api)) {
    cookie +=
        cross_site == CrossSite::kAllowPost ? "; Secure; SameSite=None" : "; Secure; SameSite=Lax";
  }
  return cookie;
}

std::string ExpiredCookie(const ApiContext& api, std::string_view name, std::string_view path) {
  return BrowserCookie(api, name, "", path, std::chrono::seconds(0), CrossSite::kLax);
}

http::Response BrowserErrorPage(const Status& status, std::string_view reason,
                                std::string_view retry_url) {
  const int code = DescribeError(status.code()).http_status;
  std::string body;
  if (reason == identity::kReasonMfaRequired) {
    body = PageHtml("Multi-factor authentication required",
                    "Your organization requires multi-factor authentication. Sign in again and "
                    "confirm with a second factor at your identity provider.",
                    retry_url);
  } else if (status.code() == ErrorCode::kNotFound) {
    body = PageHtml("Not found", "This sign-in address does not exist or is not set up.");
  } else if (code >= 500) {
    body = PageHtml("Sign-in unavailable",
                    "Sign-in is unavailable right now. Try again in a few minutes.");
  } else {
    body = PageHtml("Sign-in failed",
                    "Your identity provider's response could not be accepted. Start the "
                    "sign-in again; if it keeps failing, contact your administrator.");
  }
  http::Response response = http::TextResponse(code, "text/html; charset=utf-8", body);
  response.headers.Set("Cache-Control", "no-store");
  return response;
}

bool IsLocalPath(std::string_view path) {
  if (path.empty() || path.front() != '/' || path.size() > 2048) {
    return false;
  }
  if (path.size() > 1 && (path[1] == '/' || path[1] == '\\')) {
    return false;
  }
  for (unsigned char c : path) {
    if (c < 0x20 || c == 0x7F || c == '\\') {
      return false;
    }
  }
  return true;
}

http::Response FinishSignIn(ApiContext& api, const http::Request& request,
                            const identity::VerifiedSignIn& sign_in, std::string_view return_to) {
  Result<identity::SsoPolicy> policy = store::ReadReturning<identity::SsoPolicy>(
      api.db,
      [&](store::Transaction& tx) { return identity::GetSsoPolicy(tx, sign_in.organization_id); });
  if (!policy.ok()) {
    LogRequestFailure(request, "auth.sign_in", policy.status());
    return BrowserErrorPage(policy.status());
  }
  std::string reason;
  const identity::RequestInfo info{request.request_id, request.remote_address};
  Result<identity::NewSession> session =
      identity::CompleteSignIn(api.db, *policy, sign_in, info, api.clock, &reason);
  if (!session.ok()) {
    if (!evidence::IsDenial(session.status())) {
      LogRequestFailure(request, "auth.sign_in", session.status());
    }
    // The retry starts a new AuthnRequest, which lists the MFA classes because the policy
    // requires MFA.
    const std::string login_url =
        identity::saml::ServiceProviderFor(api.public_url, sign_in.organization_id).login_url;
    return BrowserErrorPage(session.status(), reason, login_url);
  }
  const std::string target = IsLocalPath(return_to) ? std::string(return_to) : "/";
  if (api.auth == nullptr) {
    // A server built without sign-in services (tests of other modules) issues no cookies.
    http::Response response{303, {}, ""};
    response.headers.Set("Location", target);
    response.headers.Set("Cache-Control", "no-store");
    return response;
  }
  Result<http::Response> started = StartBrowserSession(api, *session, target);
  if (!started.ok()) {
    LogRequestFailure(request, "auth.sign_in", started.status());
    return BrowserErrorPage(started.status());
  }
  started->headers.Set("Cache-Control", "no-store");
  return std::move(started).value();
}

}  // namespace custody::api
