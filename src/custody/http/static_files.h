// StaticFiles: serves the web app's build output (web/dist) for every GET or HEAD that matches
// no route. A path without a file extension that names no file gets index.html, so the app's own
// routes ("/evidence/evd_...") load the app. Paths under the API prefixes never do: they keep
// the one 404 problem of an unknown route.
//
// Every path segment is checked before the file system is asked: empty segments, ".", "..",
// names starting with "." and backslashes get a 404. The resolved file must still lie inside
// the root after symbolic links are followed, and must be a regular file, so a directory is
// never listed.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/status.h"
#include "custody/http/message.h"

namespace custody::http {

// Returns the origins that the app page served for `request` may connect to besides the
// configured ones, such as the S3 endpoint of the signed-in user's organization. Returns an
// empty list for an anonymous request, and when it cannot check the request's session.
using RequestConnectSources = std::function<std::vector<std::string>(const Request& request)>;

struct StaticFilesOptions {
  std::string root;  // the folder that contains index.html
  // Origins that scripts may connect to besides the app's own, for connect-src: the S3
  // endpoints that receive presigned PUTs ("https://*.amazonaws.com", "http://127.0.0.1:7481").
  std::vector<std::string> connect_sources;
  // Called for each app page (index.html, also for the app's routes), never for other files.
  // Its origins are added to connect-src of that one response, which then varies by Cookie and
  // is Cache-Control: private.
  // A returned source that could change the policy is dropped with a warning.
  RequestConnectSources request_connect_sources;
  // Origins that forms may submit to besides the app's own, for form-action.
  std::vector<std::string> form_action_sources;
  // Adds Strict-Transport-Security, for a server reached over https://.
  bool strict_transport_security = false;
};

// Paths of the server's own endpoints. Serve returns the 404 problem for them and below them.
inline constexpr std::string_view kServerPathPrefixes[] = {
    "/api", "/auth", "/scim", "/sso", "/.well-known", "/healthz", "/readyz", "/metrics"};

class StaticFiles {
 public:
  // Checks the options and builds the Content-Security-Policy. Returns NotFound when the root is
  // not a folder with an index.html, and InvalidArgument for a source that could change the policy
  // (it contains whitespace, ";",
  // "," or a quote).
  static Result<std::unique_ptr<StaticFiles>> Open(StaticFilesOptions options);

  // Serves a request that matched no route: the file, index.html for an app route, or the 404
  // problem. Reads the file on every request, so a rebuilt app is served without a restart.
  Response Serve(const Request& request) const;

  // The policy of every response without the sources of request_connect_sources.
  const std::string& content_security_policy() const { return content_security_policy_; }

  const std::string& root() const { return root_; }

 private:
  StaticFiles(std::string root, std::string content_security_policy, size_t connect_sources_end,
              RequestConnectSources request_connect_sources,
              std::vector<std::string> connect_sources, bool hsts);

  // Reads `relative` ("assets/index-1a2b.js") below the root into a 200 response, or returns
  // NotFound when it is missing, not a regular file, or outside the root.
  Result<Response> ReadFile(const std::string& relative) const;
  void AddHeaders(Response& response, bool immutable) const;
  // Replaces the policy of an app page with one that adds the request's own connect sources.
  void AddRequestConnectSources(const Request& request, Response& response) const;

  std::string root_;  // canonical, without a trailing "/"
  std::string content_security_policy_;
  // The offset in content_security_policy_ just after the last connect-src source.
  size_t connect_sources_end_ = 0;
  RequestConnectSources request_connect_sources_;
  std::vector<std::string> connect_sources_;  // the configured ones
  bool strict_transport_security_ = false;
};

// The Content-Type for a file name, by its extension: "text/javascript; charset=utf-8" for
// "app.js", and "application/octet-stream" for an unknown one.
std::string_view ContentTypeForFileName(std::string_view file_name);

}  // namespace custody::http
