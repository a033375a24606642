// The browser side of SAML sign-in, outside /api/v1 because browsers reach it without a
// bearer token:
//   GET  /sso/saml/{organization_id}/metadata  the SP metadata, to give to the IdP's admin
//   GET  /sso/saml/{organization_id}/login     redirects to the IdP with an AuthnRequest
//   POST /sso/saml/{organization_id}/acs       the assertion consumer service (HTTP-POST)
//
// Every rejected response is audited as "auth.sign_in.saml" with a saml_* reason code and
// never with the response itself; identity::CompleteSignIn audits what follows a valid one.
#include <map>
#include <string>
#include <string_view>

#include "custody/api/auth.h"
#include "custody/api/routes.h"
#include "custody/api/saml_browser.h"
#include "custody/common/log.h"
#include "custody/http/target.h"
#include "custody/identity/organizations.h"
#include "custody/identity/saml/metadata.h"
#include "custody/identity/saml/response.h"
#include "custody/identity/saml/service.h"
#include "custody/identity/saml/settings.h"
#include "custody/identity/sign_in.h"
#include "custody/store/ids.h"

namespace custody::api {
namespace {

namespace saml = identity::saml;

constexpr std::string_view kSignInAction = "auth.sign_in.saml";
constexpr std::string_view kRequestCookie = "custody_saml_request";

std::string CookiePath(std::string_view organization_id) {
  return "/sso/saml/" + std::string(organization_id) + "/";
}

// Returns the organization id of the path when it names an existing organization, or the
// 404 page. A malformed id and an unknown one look the same.
Result<std::string> PathOrganization(ApiContext& api, const http::Request& request) {
  const std::string organization_id = request.PathParam("organization_id");
  if (!store::IsWellFormedId(organization_id, store::kOrganizationIdPrefix)) {
    return authz::NotFoundError();
  }
  CUSTODY_RETURN_IF_ERROR(
      store::ReadReturning<identity::Organization>(api.db, [&](store::Transaction& tx) {
        return identity::GetOrganization(tx, organization_id);
      }).status());
  return organization_id;
}

http::Response MetadataResponse(ApiContext& api, http::Request& request) {
  const Result<std::string> organization_id = PathOrganization(api, request);
  if (!organization_id.ok()) {
    return BrowserErrorPage(organization_id.status());
  }
  const saml::ServiceProvider provider = saml::ServiceProviderFor(api.public_url, *organization_id);
  http::Response response =
      http::TextResponse(200, "application/samlmetadata+xml",
                         saml::BuildSpMetadata({provider.entity_id, provider.acs_url}));
  return response;
}

http::Response StartLogin(ApiContext& api, http::Request& request) {
  const Result<std::string> organization_id = PathOrganization(api, request);
  if (!organization_id.ok()) {
    return BrowserErrorPage(organization_id.status());
  }
  std::string return_to = request.QueryParam("return_to").value_or("/");
  if (!IsLocalPath(return_to)) {
    return_to = "/";
  }
  Result<saml::LoginStart> login =
      saml::StartLogin(api.db, api.clock, api.public_url, *organization_id, return_to);
  if (!login.ok()) {
    if (login.status().code() != ErrorCode::kNotFound) {
      LogRequestFailure(request, kSignInAction, login.status());
    }
    return BrowserErrorPage(login.status());
  }
  http::Response response{302, {}, ""};
  response.headers.Set("Location", login->redirect_url);
  response.headers.Set("Cache-Control", "no-store");
  response.headers.Add(
      "Set-Cookie",
      BrowserCookie(api, kRequestCookie, login->browser_secret.Reveal(),
                    CookiePath(*organization_id), saml::kRequestLifetime, CrossSite::kAllowPost));
  return response;
}

// Decodes an application/x-www-form-urlencoded body. A repeated field is rejected, so that a second
// SAMLResponse cannot take the place of the first.
Result<std::map<std::string, std::string>> ParseForm(const http::Request& request) {
  const std::string content_type = request.headers.Get("Content-Type");
  const std::string_view media_type =
      std::string_view(content_type).substr(0, content_type.find(';'));
  if (!http::EqualsIgnoreCase(media_type, "application/x-www-form-urlencoded")) {
    return Status(ErrorCode::kUnsupportedMediaType,
                  "the ACS accepts only application/x-www-form-urlencoded");
  }
  std::map<std::string, std::string> fields;
  std::string_view body = request.body;
  while (!body.empty()) {
    const size_t end = body.find('&');
    const std::string_view pair = body.substr(0, end);
    body = end == std::string_view::npos ? std::string_view() : body.substr(end + 1);
    if (pair.empty()) {
      continue;
    }
    const size_t equals = pair.find('=');
    CUSTODY_ASSIGN_OR_RETURN(std::string name, http::PercentDecode(pair.substr(0, equals), true));
    CUSTODY_ASSIGN_OR_RETURN(
        std::string value,
        http::PercentDecode(equals == std::string_view::npos ? "" : pair.substr(equals + 1), true));
    if (!fields.emplace(std::move(name), std::move(value)).second) {
      return InvalidArgument("a form field is repeated");
    }
  }
  return fields;
}

// Writes the deny record of a rejected response and returns the page for the browser.
http::Response RejectSignIn(ApiContext& api, const http::Request& request,
                            std::string_view organization_id, const Status& status,
                            std::string_view reason) {
  RequestContext context;
  context.principal.organization_id = std::string(organization_id);
  context.request_id = request.request_id;
  context.source = request.remote_address;
  evidence::AuditEntry entry{std::string(kSignInAction), "", std::string(reason)};
  if (!evidence::IsDenial(status)) {
    LogRequestFailure(request, kSignInAction, status);
    return BrowserErrorPage(status);
  }
  log::Info("saml sign-in rejected", {{"request_id", request.request_id},
                                      {"organization_id", std::string(organization_id)},
                                      {"reason", std::string(reason)}});
  return BrowserErrorPage(evidence::RecordDenial(api.db, api.clock, context, entry, status));
}

http::Response ConsumeAssertion(ApiContext& api, http::Request& request) {
  const Result<std::string> organization_id = PathOrganization(api, request);
  if (!organization_id.ok()) {
    return BrowserErrorPage(organization_id.status());
  }
  Result<std::map<std::string, std::string>> form = ParseForm(request);
  if (!form.ok()) {
    return RejectSignIn(api, request, *organization_id, form.status(), saml::kReasonEncoding);
  }
  const std::string browser_secret = CookieValue(request, kRequestCookie).value_or(std::string());

  std::string reason;
  const Result<saml::ConsumedResponse> consumed =
      saml::ConsumeResponse(api.db, api.clock, api.public_url, *organization_id,
                            (*form)["SAMLResponse"], browser_secret, &reason);
  if (!consumed.ok()) {
    http::Response page =
        RejectSignIn(api, request, *organization_id, consumed.status(),
                     reason.empty() ? std::string(saml::kReasonMalformed) : reason);
    page.headers.Add("Set-Cookie",
                     ExpiredCookie(api, kRequestCookie, CookiePath(*organization_id)));
    return page;
  }

  http::Response response = FinishSignIn(api, request, consumed->sign_in, consumed->return_to);
  response.headers.Add("Set-Cookie",
                       ExpiredCookie(api, kRequestCookie, CookiePath(*organization_id)));
  return response;
}

}  // namespace

void RegisterSamlSignInRoutes(http::Router& router, ApiContext& api) {
  router.Add("GET", "/sso/saml/{organization_id}/metadata",
             [&api](http::Request& request) { return MetadataResponse(api, request); });
  router.Add("GET", "/sso/saml/{organization_id}/login",
             [&api](http::Request& request) { return StartLogin(api, request); });
  router.Add("POST", "/sso/saml/{organization_id}/acs",
             [&api](http::Request& request) { return ConsumeAssertion(api, request); });
}

}  // namespace custody::api
