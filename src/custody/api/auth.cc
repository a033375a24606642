// /.well-known/jwks.json and /auth: OIDC sign-in, token refresh, the CLI code exchange and
// sign-out. These routes live outside /api/v1 because their callers have no access token yet.
#include "custody/api/auth.h"

#include <nlohmann/json.hpp>

#include "custody/audit/record.h"
#include "custody/common/log.h"
#include "custody/crypto/encoding.h"
#include "custody/crypto/random.h"
#include "custody/http/json.h"
#include "custody/http/problem.h"
#include "custody/identity/oidc/provider.h"
#include "custody/identity/saml/authn_request.h"
#include "custody/identity/saml/settings.h"
#include "custody/identity/tokens.h"
#include "custody/store/ids.h"

namespace custody::api {
namespace {

constexpr size_t kBindingLength = 43;
constexpr size_t kCsrfTokenLength = 43;
constexpr size_t kCliCodeLength = 43;
constexpr std::chrono::seconds kBindingCookieLifetime{600};
constexpr std::string_view kReasonCsrfMismatch = "csrf_mismatch";

bool IsSafeMethod(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

std::string CookieName(const AuthSettings& settings, std::string_view base) {
  return (settings.cookie_secure ? "__Host-" : "") + std::string(base);
}

// Builds a Set-Cookie value. Every Custody cookie is Path=/ and HttpOnly unless `script_readable`.
std::string SetCookie(const AuthSettings& settings, std::string_view name, std::string_view value,
                      std::chrono::seconds max_age, std::string_view same_site,
                      bool script_readable = false) {
  std::string cookie = std::string(name) + "=" + std::string(value) +
                       "; Path=/; Max-Age=" + std::to_string(max_age.count()) +
                       "; SameSite=" + std::string(same_site);
  if (!script_readable) {
    cookie += "; HttpOnly";
  }
  if (settings.cookie_secure) {
    cookie += "; Secure";
  }
  return cookie;
}

std::string ClearCookie(const AuthSettings& settings, std::string_view name) {
  return SetCookie(settings, name, "", std::chrono::seconds(0), "Lax");
}

// XML escaping also serves HTML text and quoted attribute values, because HTML5 reads &apos;.
std::string EscapeHtml(std::string_view text) {
  return identity::saml::XmlEscape(text);
}

bool WantsHtml(const http::Request& request) {
  return request.headers.Get("Accept").find("text/html") != std::string::npos;
}

// Builds the sign-in failure page for browsers, or the problem response for API clients. The
// page links to `retry_url` when it is set.
http::Response SignInFailure(const http::Request& request, const Status& status,
                             std::string_view title, std::string_view explanation,
                             const std::optional<std::string>& retry_url) {
  if (!WantsHtml(request)) {
    return ErrorResponse(status);
  }
  std::string body = "<!doctype html><meta charset=\"utf-8\"><title>" + EscapeHtml(title) +
                     "</title><h1>" + EscapeHtml(title) + "</h1><p>" + EscapeHtml(explanation) +
                     "</p>";
  if (retry_url.has_value()) {
    body += "<p><a href=\"" + EscapeHtml(*retry_url) + "\">Sign in again</a></p>";
  }
  body += "<p>Request id: " + EscapeHtml(request.request_id) + "</p>";
  const int status_code = status.code() == ErrorCode::kPermissionDenied  ? 403
                          : status.code() == ErrorCode::kUnauthenticated ? 401
                                                                         : 503;
  http::Response response = http::TextResponse(status_code, "text/html; charset=utf-8", body);
  response.headers.Set("Content-Security-Policy", "default-src 'none'");
  return response;
}

// True when `path` is a path on this server to return to after sign-in. It starts with "/" but
// not "//" or "/\", so that it cannot name another host. It has at most 2048 characters, no
// backslash and no control character.
bool IsLocalPath(std::string_view path) {
  if (path.empty() || path.size() > 2048 || path.front() != '/') {
    return false;
  }
  if (path.size() > 1 && (path[1] == '/' || path[1] == '\\')) {
    return false;
  }
  for (char c : path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '\\' || c == 0x7F) {
      return false;
    }
  }
  return true;
}

// True when `url` is a native app's loopback redirect (RFC 8252 section 7.3): http:// on
// 127.0.0.1 or [::1], with an explicit port and without a query.
bool IsLoopbackRedirect(std::string_view url) {
  const Result<aws::Url> parsed = aws::ParseUrl(url);
  return parsed.ok() && parsed->scheme == "http" && parsed->explicit_port &&
         (parsed->host == "127.0.0.1" || parsed->host == "::1") && !parsed->has_query;
}

identity::RequestInfo InfoOf(const http::Request& request) {
  return identity::RequestInfo{request.request_id, request.remote_address};
}

RequestContext ContextOf(const http::Request& request, authz::Principal principal = {}) {
  RequestContext context;
  context.principal = std::move(principal);
  context.request_id = request.request_id;
  context.source = request.remote_address;
  return context;
}

// Writes a deny record for a sign-in step that failed before CompleteSignIn.
Status RecordAuthDenial(ApiContext& api, const http::Request& request,
                        std::string_view organization_id, std::string_view action,
                        std::string_view reason) {
  authz::Principal principal;
  principal.organization_id = std::string(organization_id);
  const evidence::AuditEntry entry{std::string(action), "", std::string(reason)};
  return evidence::RecordDenial(api.db, api.clock, ContextOf(request, principal), entry,
                                Unauthenticated(std::string(reason)));
}

std::string AccessTokenFor(ApiContext& api, const identity::Session& session) {
  authz::Principal principal;
  principal.organization_id = session.organization_id;
  principal.user_id = session.user_id;
  principal.session_id = session.id;
  return api.auth->signer.Issue(principal, api.clock);
}

nlohmann::json TokenJson(ApiContext& api, const identity::Session& session) {
  nlohmann::json body = nlohmann::json::object();
  body["access_token"] = AccessTokenFor(api, session);
  body["token_type"] = "Bearer";
  body["expires_in"] =
      std::chrono::duration_cast<std::chrono::seconds>(api.auth->settings.access_token_lifetime)
          .count();
  body["session_id"] = session.id;
  body["organization_id"] = session.organization_id;
  return body;
}

http::Response JwksResponse(ApiContext& api) {
  http::Response response =
      http::TextResponse(200, "application/jwk-set+json", api.auth->signer.JwksJson());
  response.headers.Set("Cache-Control", "public, max-age=300");
  return response;
}

http::Response StartOidc(ApiContext& api, const http::Request& request) {
  const std::string organization_id = request.QueryParam("organization_id").value_or("");
  if (!store::IsWellFormedId(organization_id, store::kOrganizationIdPrefix)) {
    return ErrorResponse(InvalidArgument(
        "organization_id must be an organization id (org_ followed by 22 letters or digits)",
        "organization_id"));
  }
  identity::oidc::BeginRequest begin;
  begin.organization_id = organization_id;
  begin.binding = crypto::RandomAlphanumeric(kBindingLength);
  begin.return_to = request.QueryParam("return_to").value_or("/");
  if (!IsLocalPath(begin.return_to)) {
    return ErrorResponse(InvalidArgument("return_to must be a path on this server", "return_to"));
  }
  begin.request_mfa = request.QueryParam("mfa").value_or("") == "1";
  if (const std::optional<std::string> cli = request.QueryParam("cli_redirect")) {
    const std::string challenge = request.QueryParam("cli_challenge").value_or("");
    if (!IsLoopbackRedirect(*cli) || challenge.size() != 43) {
      return ErrorResponse(InvalidArgument(
          "cli_redirect must be http://127.0.0.1:PORT/PATH or http://[::1]:PORT/PATH, with a "
          "43-character S256 cli_challenge",
          "cli_redirect"));
    }
    begin.cli_redirect = *cli;
    begin.cli_challenge = challenge;
  }
  Result<std::string> url = api.auth->oidc->Begin(api.db, begin);
  if (!url.ok()) {
    if (url.status().code() != ErrorCode::kNotFound) {
      log::Warn("OIDC sign-in could not start", {{"request_id", request.request_id},
                                                 {"organization_id", organization_id},
                                                 {"error", url.status().ToString()}});
    }
    return ErrorResponse(url.status());
  }
  http::Response response;
  response.status = 302;
  response.headers.Set("Location", *url);
  response.headers.Add("Set-Cookie",
                       SetCookie(api.auth->settings, OidcBindingCookieName(api.auth->settings),
                                 begin.binding, kBindingCookieLifetime, "Lax"));
  return response;
}

// Redirects the browser to the organization's single sign-on: its OIDC provider when it has
// one, else its SAML IdP. An organization with neither, or an unknown one, goes to the OIDC
// start, which responds to both in the same way. The web app's sign-in form uses this
// redirect, so the form does not need the protocol.
http::Response StartSso(ApiContext& api, const http::Request& request) {
  const std::string organization_id = request.QueryParam("organization_id").value_or("");
  if (!store::IsWellFormedId(organization_id, store::kOrganizationIdPrefix)) {
    return ErrorResponse(InvalidArgument(
        "organization_id must be an organization id (org_ followed by 22 letters or digits)",
        "organization_id"));
  }
  const std::string return_to = request.QueryParam("return_to").value_or("/");
  if (!IsLocalPath(return_to)) {
    return ErrorResponse(InvalidArgument("return_to must be a path on this server", "return_to"));
  }

  bool use_saml = false;
  const Status read = api.db.Read([&](store::Transaction& tx) -> Status {
    CUSTODY_ASSIGN_OR_RETURN(const bool has_oidc, identity::oidc::HasProvider(tx, organization_id));
    if (has_oidc) {
      return Status::Ok();
    }
    const Result<identity::saml::SamlSettings> saml =
        identity::saml::GetSamlSettings(tx, organization_id);
    if (saml.ok()) {
      use_saml = true;
      return Status::Ok();
    }
    return saml.status().code() == ErrorCode::kNotFound ? Status::Ok() : saml.status();
  });
  if (!read.ok()) {
    log::Warn("single sign-on could not start", {{"request_id", request.request_id},
                                                 {"organization_id", organization_id},
                                                 {"error", read.ToString()}});
    return ErrorResponse(Unavailable("the sign-in settings cannot be read; try again later"));
  }

  const std::string encoded_return = identity::saml::UrlEncode(return_to);
  http::Response response;
  response.status = 302;
  response.headers.Set(
      "Location", use_saml ? "/sso/saml/" + organization_id + "/login?return_to=" + encoded_return
                           : "/auth/oidc/start?organization_id=" + organization_id +
                                 "&return_to=" + encoded_return);
  return response;
}

std::string RetryUrl(const std::string& organization_id, bool mfa) {
  return "/auth/oidc/start?organization_id=" + organization_id + (mfa ? "&mfa=1" : "");
}

http::Response OidcCallback(ApiContext& api, http::Request& request) {
  const AuthSettings& settings = api.auth->settings;
  const std::string binding = CookieValue(request, OidcBindingCookieName(settings)).value_or("");
  const std::string state = request.QueryParam("state").value_or("");
  std::string reason;
  std::string organization_id;
  Result<identity::oidc::CompletedFlow> completed = Unauthenticated("sign-in failed");
  if (request.QueryParam("error").has_value()) {
    reason = std::string(identity::oidc::kReasonProviderError);
  } else {
    completed = api.auth->oidc->Complete(api.db, state, request.QueryParam("code").value_or(""),
                                         binding, &reason, &organization_id);
  }
  if (!completed.ok()) {
    if (completed.status().code() != ErrorCode::kUnauthenticated) {
      log::Warn("OIDC sign-in failed", {{"request_id", request.request_id},
                                        {"organization_id", organization_id},
                                        {"error", completed.status().ToString()}});
      return SignInFailure(request, completed.status(), "Sign-in unavailable",
                           "The identity provider or the database cannot be reached now. Try "
                           "again later.",
                           std::nullopt);
    }
    const Status recorded =
        RecordAuthDenial(api, request, organization_id, "auth.sign_in.oidc", reason);
    if (recorded.code() == ErrorCode::kUnavailable) {
      return ErrorResponse(recorded);
    }
    return SignInFailure(
        request, completed.status(), "Sign-in failed",
        "The identity provider's response could not be accepted (" + reason +
            "). Start the sign-in again.",
        organization_id.empty() ? std::nullopt : std::optional(RetryUrl(organization_id, false)));
  }

  Result<identity::SsoPolicy> policy =
      store::ReadReturning<identity::SsoPolicy>(api.db, [&](store::Transaction& tx) {
        return identity::GetSsoPolicy(tx, completed->sign_in.organization_id);
      });
  if (!policy.ok()) {
    return ErrorResponse(Unavailable("the service cannot complete the sign-in now"));
  }
  policy->session_lifetime = settings.session_lifetime;
  Result<identity::NewSession> session = identity::CompleteSignIn(
      api.db, *policy, completed->sign_in, InfoOf(request), api.clock, &reason);
  if (!session.ok()) {
    const std::string& org = completed->sign_in.organization_id;
    if (reason == identity::kReasonMfaRequired) {
      return SignInFailure(request, session.status(), "Multi-factor authentication required",
                           "Your organization requires multi-factor authentication, and the "
                           "identity provider reported a sign-in without it. Sign in again and "
                           "complete a second factor.",
                           RetryUrl(org, true));
    }
    return SignInFailure(request, session.status(), "Sign-in failed",
                         "No active user of this organization matches your identity provider "
                         "account (" +
                             reason + "). Ask your administrator.",
                         std::nullopt);
  }

  if (completed->cli_redirect.has_value()) {
    const Secret code(crypto::RandomAlphanumeric(kCliCodeLength));
    const Status attached = api.auth->oidc->AttachCliCode(api.db, state, session->session.id, code);
    if (!attached.ok()) {
      return ErrorResponse(Unavailable("the service cannot complete the sign-in now"));
    }
    http::Response response;
    response.status = 303;
    response.headers.Set("Location", *completed->cli_redirect + "?code=" + code.Reveal());
    response.headers.Add("Set-Cookie", ClearCookie(settings, OidcBindingCookieName(settings)));
    return response;
  }
  Result<http::Response> started = StartBrowserSession(api, *session, completed->return_to);
  if (!started.ok()) {
    return ErrorResponse(started.status());
  }
  started->headers.Add("Set-Cookie", ClearCookie(settings, OidcBindingCookieName(settings)));
  return std::move(started).value();
}

// Redeems a CLI code with its verifier. Returns the live session and sets `new_refresh` to the
// session's new refresh credential, which only the CLI receives.
Result<identity::Session> RedeemCliGrant(ApiContext& api, const nlohmann::json& body,
                                         std::optional<Secret>& new_refresh, std::string* reason) {
  const Result<std::string> session_id = api.auth->oidc->RedeemCliCode(
      api.db, body.value("code", ""), body.value("code_verifier", ""));
  if (!session_id.ok()) {
    *reason = "cli_code_invalid";
    return session_id.status();
  }
  return store::WriteReturning<identity::Session>(
      api.db, [&](store::Transaction& tx) -> Result<identity::Session> {
        CUSTODY_ASSIGN_OR_RETURN(
            std::optional<store::Row> row,
            tx.QueryOne("SELECT organization_id FROM sessions WHERE id = ?", {*session_id}));
        if (!row.has_value()) {
          *reason = "cli_code_invalid";
          return Unauthenticated("the CLI sign-in code is invalid");
        }
        const std::string organization_id = row->Text(0);
        CUSTODY_RETURN_IF_ERROR(
            identity::AuthenticateSession(tx, api.clock, organization_id, *session_id, reason)
                .status());
        CUSTODY_ASSIGN_OR_RETURN(identity::Session found,
                                 identity::GetSession(tx, organization_id, *session_id));
        CUSTODY_ASSIGN_OR_RETURN(new_refresh, identity::RotateRefreshCredential(tx, found));
        return found;
      });
}

// Authenticates the refresh credential of the body, else of the refresh cookie, which also
// needs the session's CSRF token in X-CSRF-Token. Sets `from_cookie` for the second case.
Result<identity::Session> RefreshGrant(ApiContext& api, const http::Request& request,
                                       const nlohmann::json& body, bool& from_cookie,
                                       std::string* reason) {
  std::string credential = body.value("refresh_token", "");
  if (credential.empty()) {
    credential = CookieValue(request, RefreshCookieName(api.auth->settings)).value_or("");
    from_cookie = true;
  }
  CUSTODY_ASSIGN_OR_RETURN(
      identity::Session session,
      store::ReadReturning<identity::Session>(api.db, [&](store::Transaction& tx) {
        return identity::AuthenticateRefreshCredential(tx, api.clock, credential, reason);
      }));
  if (!from_cookie) {
    return session;
  }
  Result<bool> csrf_ok = store::ReadReturning<bool>(api.db, [&](store::Transaction& tx) {
    return identity::SessionCsrfTokenMatches(tx, session.organization_id, session.id,
                                             request.headers.Get(kCsrfHeader));
  });
  CUSTODY_RETURN_IF_ERROR(csrf_ok.status());
  if (!*csrf_ok) {
    *reason = std::string(kReasonCsrfMismatch);
    return PermissionDenied("missing or invalid X-CSRF-Token header");
  }
  return session;
}

// POST /auth/token: exchanges a refresh credential (grant_type=refresh_token) or a CLI code
// (grant_type=cli_code with code and code_verifier) for an access token. Browsers send no
// body and authenticate with the refresh cookie and the CSRF header.
http::Response TokenEndpoint(ApiContext& api, const http::Request& request) {
  const AuthSettings& settings = api.auth->settings;
  nlohmann::json body = nlohmann::json::object();
  if (!request.body.empty()) {
    Result<nlohmann::json> parsed = http::ParseJsonObjectBody(request);
    if (!parsed.ok()) {
      return ErrorResponse(parsed.status());
    }
    body = std::move(parsed).value();
  }
  for (const char* field : {"grant_type", "refresh_token", "code", "code_verifier"}) {
    if (body.contains(field) && !body[field].is_string()) {
      return ErrorResponse(
          InvalidArgument(std::string(field) + " must be a string", "/" + std::string(field)));
    }
  }

  const std::string grant_type = body.value("grant_type", "refresh_token");
  std::string reason;
  bool from_cookie = false;
  std::optional<Secret> new_refresh;
  Result<identity::Session> session = Unauthenticated("the refresh credential is invalid");
  if (grant_type == "cli_code") {
    session = RedeemCliGrant(api, body, new_refresh, &reason);
  } else if (grant_type == "refresh_token") {
    session = RefreshGrant(api, request, body, from_cookie, &reason);
  } else {
    return ErrorResponse(
        InvalidArgument("grant_type must be refresh_token or cli_code", "/grant_type"));
  }
  if (!session.ok()) {
    if (!evidence::IsDenial(session.status())) {
      log::Error("token request failed",
                 {{"request_id", request.request_id}, {"error", session.status().ToString()}});
      return ErrorResponse(Unavailable("the service cannot check credentials now"));
    }
    const Status recorded = RecordAuthDenial(api, request, "", "auth.token", reason);
    return ErrorResponse(recorded.code() == ErrorCode::kUnavailable ? recorded : session.status());
  }

  nlohmann::json token = TokenJson(api, *session);
  if (new_refresh.has_value()) {
    token["refresh_token"] = new_refresh->Reveal();  // shown in this response only
  }
  http::Response response = http::JsonResponse(200, token);
  if (from_cookie) {
    response.headers.Add("Set-Cookie", SetCookie(settings, SessionCookieName(settings),
                                                 token["access_token"].get<std::string>(),
                                                 settings.access_token_lifetime, "Lax"));
  }
  return response;
}

// POST /auth/sign-out: ends the caller's session (from the session cookie with the CSRF header,
// a Bearer access token, or a refresh_token in the body) and clears the cookies. Returns the
// IdP's logout URL when the IdP has one.
http::Response SignOut(ApiContext& api, const http::Request& request) {
  const AuthSettings& settings = api.auth->settings;
  std::string reason;
  Result<authz::Principal> principal = Unauthenticated("no session");
  const std::string authorization = request.headers.Get("Authorization");
  if (authorization.starts_with("Bearer ")) {
    principal = AuthenticateAccessToken(api, request, authorization.substr(7), false, &reason);
  } else if (const std::optional<std::string> cookie =
                 CookieValue(request, SessionCookieName(settings))) {
    principal = AuthenticateAccessToken(api, request, *cookie, true, &reason);
  } else if (!request.body.empty()) {
    Result<nlohmann::json> body = http::ParseJsonObjectBody(request);
    if (body.ok() && body->contains("refresh_token") && (*body)["refresh_token"].is_string()) {
      const std::string credential = (*body)["refresh_token"].get<std::string>();
      Result<identity::Session> session =
          store::ReadReturning<identity::Session>(api.db, [&](store::Transaction& tx) {
            return identity::AuthenticateRefreshCredential(tx, api.clock, credential, &reason);
          });
      if (session.ok()) {
        authz::Principal from_refresh;
        from_refresh.organization_id = session->organization_id;
        from_refresh.user_id = session->user_id;
        from_refresh.session_id = session->id;
        principal = from_refresh;
      } else {
        principal = session.status();
      }
    }
  }
  if (!principal.ok() || principal->session_id.empty()) {
    if (principal.ok() || evidence::IsDenial(principal.status())) {
      const Status recorded = RecordAuthDenial(api, request, "", "auth.sign_out",
                                               reason.empty() ? "session_missing" : reason);
      if (recorded.code() == ErrorCode::kUnavailable) {
        return ErrorResponse(recorded);
      }
      return ErrorResponse(principal.ok() ? Unauthenticated("sign-out needs a sign-in session")
                                          : principal.status());
    }
    return ErrorResponse(Unavailable("the service cannot check credentials now"));
  }
  const RequestContext context = ContextOf(request, *principal);
  evidence::AuditEntry entry{"auth.sign_out", "session/" + principal->session_id, ""};
  Result<identity::Session> revoked = evidence::AuditedWriteReturning<identity::Session>(
      api.db, api.clock, context, entry, [&](store::Transaction& tx) {
        return identity::RevokeSession(tx, api.clock, principal->organization_id,
                                       principal->session_id, identity::kRevokedSignOut);
      });
  if (!revoked.ok()) {
    return ErrorResponse(revoked.status());
  }
  nlohmann::json body = nlohmann::json::object();
  body["end_session_url"] = nullptr;
  if (revoked->method == identity::kMethodOidc) {
    Result<identity::oidc::Provider> provider =
        store::ReadReturning<identity::oidc::Provider>(api.db, [&](store::Transaction& tx) {
          return identity::oidc::GetProvider(tx, revoked->organization_id, api.auth->sealing_key);
        });
    if (provider.ok() && provider->settings.issuer == revoked->issuer) {
      if (std::optional<std::string> url =
              api.auth->oidc->EndSessionUrl(*provider, settings.public_url + "/auth/signed-out")) {
        body["end_session_url"] = *url;
      }
    }
  }
  http::Response response = http::JsonResponse(200, body);
  for (const std::string& name :
       {SessionCookieName(settings), RefreshCookieName(settings), CsrfCookieName(settings)}) {
    response.headers.Add("Set-Cookie", ClearCookie(settings, name));
  }
  return response;
}

http::Response SignedOutPage() {
  http::Response response = http::TextResponse(
      200, "text/html; charset=utf-8",
      "<!doctype html><meta charset=\"utf-8\"><title>Signed out</title><h1>Signed out</h1>"
      "<p>Your Custody session has ended.</p>");
  response.headers.Set("Content-Security-Policy", "default-src 'none'");
  return response;
}

}  // namespace

std::string SessionCookieName(const AuthSettings& settings) {
  return CookieName(settings, "custody-session");
}

std::string RefreshCookieName(const AuthSettings& settings) {
  return CookieName(settings, "custody-refresh");
}

std::string CsrfCookieName(const AuthSettings& settings) {
  return CookieName(settings, "custody-csrf");
}

std::string OidcBindingCookieName(const AuthSettings& settings) {
  return CookieName(settings, "custody-oidc");
}

std::optional<std::string> CookieValue(const http::Request& request, std::string_view name) {
  for (const auto& [field, value] : request.headers) {
    if (!http::EqualsIgnoreCase(field, "Cookie")) {
      continue;
    }
    std::string_view rest = value;
    while (!rest.empty()) {
      const size_t end = std::min(rest.find(';'), rest.size());
      std::string_view pair = rest.substr(0, end);
      rest.remove_prefix(std::min(end + 1, rest.size()));
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

Result<authz::Principal> AuthenticateAccessToken(ApiContext& api, const http::Request& request,
                                                 std::string_view token, bool from_cookie,
                                                 std::string* failure_reason) {
  // NOTE: every request verifies the Ed25519 signature again. A cache of verified tokens keyed
  // by their hash would save that work under load, but the session row is read either way.
  Result<identity::AccessTokenClaims> claims = api.auth->signer.Verify(token, api.clock);
  if (!claims.ok()) {
    *failure_reason = "access_token_invalid";
    return Unauthenticated("the access token is missing, invalid or expired");
  }
  return store::ReadReturning<authz::Principal>(
      api.db, [&](store::Transaction& tx) -> Result<authz::Principal> {
        CUSTODY_ASSIGN_OR_RETURN(
            authz::Principal principal,
            identity::AuthenticateSession(tx, api.clock, claims->organization_id,
                                          claims->session_id, failure_reason));
        if (principal.user_id != claims->user_id) {
          *failure_reason = "access_token_invalid";
          return Unauthenticated("the access token is missing, invalid or expired");
        }
        if (from_cookie && !IsSafeMethod(request.method)) {
          CUSTODY_ASSIGN_OR_RETURN(
              const bool matches,
              identity::SessionCsrfTokenMatches(tx, principal.organization_id, principal.session_id,
                                                request.headers.Get(kCsrfHeader)));
          if (!matches) {
            *failure_reason = std::string(kReasonCsrfMismatch);
            return PermissionDenied("missing or invalid X-CSRF-Token header");
          }
        }
        return principal;
      });
}

Result<http::Response> StartBrowserSession(ApiContext& api, const identity::NewSession& session,
                                           std::string_view return_to) {
  const AuthSettings& settings = api.auth->settings;
  const Secret csrf(crypto::RandomAlphanumeric(kCsrfTokenLength));
  CUSTODY_RETURN_IF_ERROR(api.db.Write([&](store::Transaction& tx) {
    return identity::SetSessionCsrfToken(tx, session.session.organization_id, session.session.id,
                                         csrf);
  }));
  const auto session_seconds = std::chrono::duration_cast<std::chrono::seconds>(
      session.session.expires_at - api.clock.Now());
  http::Response response;
  response.status = 303;
  response.headers.Set("Location", IsLocalPath(return_to) ? std::string(return_to) : "/");
  response.headers.Add("Set-Cookie", SetCookie(settings, SessionCookieName(settings),
                                               AccessTokenFor(api, session.session),
                                               settings.access_token_lifetime, "Lax"));
  response.headers.Add("Set-Cookie",
                       SetCookie(settings, RefreshCookieName(settings),
                                 session.refresh_credential.Reveal(), session_seconds, "Strict"));
  response.headers.Add("Set-Cookie", SetCookie(settings, CsrfCookieName(settings), csrf.Reveal(),
                                               session_seconds, "Strict", true));
  return response;
}

Status RequireStepUp(ApiContext& api, store::Transaction& tx, const RequestContext& context) {
  if (api.auth == nullptr || api.auth->settings.step_up.count() == 0) {
    return Status::Ok();
  }
  const Status denied(ErrorCode::kPermissionDenied,
                      "this action needs a sign-in with multi-factor authentication within the "
                      "last " +
                          std::to_string(api.auth->settings.step_up.count()) +
                          " minutes; sign in again with MFA",
                      std::string(kStepUpField));
  if (context.principal.session_id.empty()) {
    // An API token: a deliberate, revocable credential for automation. Minting one from a
    // session needs step-up itself (POST /api/v1/tokens), so a session without MFA cannot use
    // a token to get around this check.
    return Status::Ok();
  }
  CUSTODY_ASSIGN_OR_RETURN(
      const identity::Session session,
      identity::GetSession(tx, context.principal.organization_id, context.principal.session_id));
  if (!session.mfa_at.has_value() ||
      api.clock.Now() - *session.mfa_at > api.auth->settings.step_up) {
    return denied;
  }
  return Status::Ok();
}

void RegisterAuthRoutes(http::Router& router, ApiContext& api) {
  if (api.auth == nullptr) {
    return;
  }
  router.Add("GET", "/.well-known/jwks.json", [&api](http::Request&) { return JwksResponse(api); });
  router.Add("GET", "/auth/start",
             [&api](http::Request& request) { return StartSso(api, request); });
  router.Add("GET", "/auth/oidc/start",
             [&api](http::Request& request) { return StartOidc(api, request); });
  router.Add("GET", "/auth/oidc/callback",
             [&api](http::Request& request) { return OidcCallback(api, request); });
  router.Add("POST", "/auth/token",
             [&api](http::Request& request) { return TokenEndpoint(api, request); });
  router.Add("POST", "/auth/sign-out",
             [&api](http::Request& request) { return SignOut(api, request); });
  router.Add("GET", "/auth/signed-out", [](http::Request&) { return SignedOutPage(); });
}

}  // namespace custody::api
