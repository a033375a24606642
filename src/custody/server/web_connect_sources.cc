#include "custody/server/web_connect_sources.h"

#include <utility>

#include "custody/api/auth.h"
#include "custody/aws/http_transport.h"
#include "custody/common/log.h"
#include "custody/evidence/aws_connections.h"
#include "custody/identity/sessions.h"
#include "custody/store/database.h"

namespace custody::server {
namespace {

// Returns the organization of the live session that the request's cookies name, or
// kUnauthenticated.
Result<std::string> SessionOrganization(api::ApiContext& api, const http::Request& request) {
  const api::AuthSettings& settings = api.auth->settings;
  std::string reason;
  if (const std::optional<std::string> token =
          api::CookieValue(request, api::SessionCookieName(settings))) {
    Result<authz::Principal> principal =
        api::AuthenticateAccessToken(api, request, *token, /*from_cookie=*/true, &reason);
    if (principal.ok()) {
      return principal->organization_id;
    }
    if (principal.status().code() != ErrorCode::kUnauthenticated) {
      return principal.status();
    }
  }
  // The access token lives minutes and the session hours, so a page loaded after the token
  // expired still names the session through the refresh cookie.
  const std::optional<std::string> credential =
      api::CookieValue(request, api::RefreshCookieName(settings));
  if (!credential) {
    return Unauthenticated("no session cookie");
  }
  CUSTODY_ASSIGN_OR_RETURN(
      const identity::Session session,
      store::ReadReturning<identity::Session>(api.db, [&](store::Transaction& tx) {
        return identity::AuthenticateRefreshCredential(tx, api.clock, *credential, &reason);
      }));
  return session.organization_id;
}

}  // namespace

std::optional<std::string> PresignedUrlOrigin(const aws::AwsConnection& connection) {
  // Presigning builds every URL from aws::ObjectUrl, which starts with aws::BucketUrl, and
  // sends the request to that URL's origin.
  const Result<aws::Url> url = aws::ParseUrl(aws::BucketUrl(connection));
  if (!url.ok()) {
    return std::nullopt;
  }
  return url->Origin();
}

std::vector<std::string> SessionConnectSources(api::ApiContext& api, const http::Request& request) {
  if (api.auth == nullptr) {
    return {};
  }
  Result<std::string> organization_id = SessionOrganization(api, request);
  if (!organization_id.ok()) {
    if (organization_id.status().code() != ErrorCode::kUnauthenticated) {
      log::Warn(
          "checking the session of a web app page failed, so it gets the configured connect-src",
          {{"path", request.path}, {"error", organization_id.status().ToString()}});
    }
    return {};
  }
  Result<std::optional<evidence::StoredAwsConnection>> stored =
      store::ReadReturning<std::optional<evidence::StoredAwsConnection>>(
          api.db, [&](store::Transaction& tx) {
            return evidence::FindAwsConnection(tx, *organization_id);
          });
  if (!stored.ok()) {
    log::Warn(
        "reading the AWS connection for a web app page failed, so it gets the configured "
        "connect-src",
        {{"organization_id", *organization_id}, {"error", stored.status().ToString()}});
    return {};
  }
  if (!stored->has_value()) {
    return {};
  }
  std::optional<std::string> origin = PresignedUrlOrigin((*stored)->connection);
  if (!origin) {
    log::Warn(
        "the bucket URL of the AWS connection is invalid, so the web app page gets the "
        "configured connect-src",
        {{"organization_id", *organization_id}});
    return {};
  }
  return {std::move(*origin)};
}

}  // namespace custody::server
