#include "custody/api/saml_browser.h"

#include <fmt/format.h>

#include "custody/common/error_catalog.h"
#include "custody/identity/saml/authn_request.h"

namespace custody::api {
namespace {

bool IsHttps(const ApiContext& api) {
  return api.public_url.starts_with("https://");
}

std::string PageHtml(std::string_view title, std::string_view message) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0}</title>"
      "</head><body><h1>{0}</h1><p>{1}</p></body></html>\n",
      identity::saml::XmlEscape(title), identity::saml::XmlEscape(message));
}

}  // namespace

std::string BrowserCookie(const ApiContext& api, std::string_view name, std::string_view value,
                          std::string_view path, std::chrono::seconds max_age,
                          CrossSite cross_site) {
  std::string cookie =
      fmt::format("{}={}; Path={}; Max-Age={}; HttpOnly", name, value, path, max_age.count());
  if (IsHttps(api)) {
    cookie +=
        cross_site == CrossSite::kAllowPost ? "; Secure; SameSite=None" : "; Secure; SameSite=Lax";
  }
  return cookie;
}

std::string ExpiredCookie(const ApiContext& api, std::string_view name, std::string_view path) {
  return BrowserCookie(api, name, "", path, std::chrono::seconds(0), CrossSite::kLax);
}

std::optional<std::string> ReadCookie(const http::Request& request, std::string_view name) {
  for (const auto& [field, value] : request.headers) {
    if (!http::EqualsIgnoreCase(field, "Cookie")) {
      continue;
    }
    std::string_view rest = value;
    while (!rest.empty()) {
      const size_t end = rest.find(';');
      std::string_view pair = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      while (!pair.empty() && pair.front() == ' ') {
        pair.remove_prefix(1);
      }
      const size_t equals = pair.find('=');
      if (equals != std::string_view::npos && pair.substr(0, equals) == name) {
        return std::string(pair.substr(equals + 1));
      }
    }
  }
  return std::nullopt;
}

http::Response BrowserErrorPage(const Status& status, std::string_view reason) {
  const int code = DescribeError(status.code()).http_status;
  std::string body;
  if (reason == identity::kReasonMfaRequired) {
    body = PageHtml("Multi-factor authentication required",
                    "Your organization requires multi-factor authentication. Sign in again at "
                    "your identity provider with a second factor.");
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
    return BrowserErrorPage(session.status(), reason);
  }
  // TODO: hand the session to api::StartBrowserSession (api/auth.h, not written yet). Until
  // then the browser gets no session cookie, and the session exists only in the database.
  http::Response response{303, {}, ""};
  response.headers.Set("Location", IsLocalPath(return_to) ? std::string(return_to) : "/");
  response.headers.Set("Cache-Control", "no-store");
  return response;
}

}  // namespace custody::api
