// The per-session part of the web app's connect-src: the S3 origin of the signed-in user's
// organization, so that a deployment need not list every customer's S3 endpoint in
// server.web_connect_src.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "custody/api/handler_support.h"
#include "custody/aws/connection.h"
#include "custody/http/message.h"

namespace custody::server {

// Returns the origin of the presigned URLs for `connection`, such as
// "https://b.s3.eu-west-1.amazonaws.com" or "http://127.0.0.1:7480". Returns nullopt when its
// bucket URL does not parse.
std::optional<std::string> PresignedUrlOrigin(const aws::AwsConnection& connection);

// Returns the presigned URL origin of the organization whose live session the request's
// session cookie (an access token) or refresh cookie names. Returns an empty list for a
// request without such a cookie, for an invalid, expired or revoked session, and for an
// organization without an AWS connection. It also returns an empty list when the database
// cannot be read, so the page fails closed to the configured sources. Writes no audit record,
// because the page carries no evidence data, only the origin of the organization's bucket.
std::vector<std::string> SessionConnectSources(api::ApiContext& api, const http::Request& request);

}  // namespace custody::server
