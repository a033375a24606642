// Router: maps a method and a path to a handler by exact segment matching.
//
//   router.Add("POST", "/api/v1/evidence/{evidence_id}/versions/{version_id}/complete",
//              [&](http::Request& request) { ... request.path_params["version_id"] ... });
//
// A pattern segment is either literal text or "{name}", which matches any one non-empty
// segment and stores it (percent-decoded) in Request::path_params. A last segment "{name...}"
// matches the rest of the path: one or more segments, which may be empty. It stores them joined
// with "/", each with "%" escaped as "%25" and "/" as "%2F", so that the handler can split them
// again without ambiguity, and every other pattern that matches a path wins over it. When
// several patterns match a path, the one with a literal segment where the others have a
// parameter wins, comparing from the left: "/users/me" beats "/users/{user_id}". Matching is
// case-sensitive; a trailing "/" is a different path. Add every route before the server starts:
// Match is safe to call from many threads, Add is not.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "custody/http/message.h"

namespace custody::http {

class Router {
 public:
  // Registers `handler` for `method` on `pattern`. Aborts on a malformed pattern or a
  // duplicate method and pattern, because both are programming errors found at start.
  void Add(std::string_view method, std::string_view pattern, Handler handler);

  enum class Outcome {
    kMatched,
    kNotFound,
    kMethodNotAllowed
  };

  struct Match {
    Outcome outcome = Outcome::kNotFound;
    const Handler* handler = nullptr;  // set when kMatched; owned by the router
    std::map<std::string, std::string> path_params;
    std::string allow;  // "GET, POST" when kMethodNotAllowed, for the Allow header
  };

  // Finds the route for decoded path segments (as http::Target::segments).
  Match Find(std::string_view method, const std::vector<std::string>& segments) const;

  // Runs the handler for the request after filling request.path_params, or returns the 404
  // or 405 problem response (405 with an Allow header). `segments` are the decoded segments.
  Response Dispatch(Request& request, const std::vector<std::string>& segments) const;

  // Runs `handler` in place of the 404 problem for a request that matches no route, which is
  // how custodyd serves the web app. A known path with another method still gets the 405.
  void SetNotFoundHandler(Handler handler) { not_found_handler_ = std::move(handler); }

 private:
  struct Segment {
    std::string text;  // literal text, or the parameter name
    bool is_parameter = false;
    bool is_rest = false;  // "{name...}": the rest of the path
  };

  struct RouteEntry {
    std::string pattern;
    std::vector<Segment> segments;
    std::map<std::string, Handler, std::less<>> handlers;  // by method
  };

  static bool Matches(const RouteEntry& route, const std::vector<std::string>& segments);
  // True when `a` should win over `b` for a path both match.
  static bool MoreSpecific(const RouteEntry& a, const RouteEntry& b);

  std::vector<std::unique_ptr<RouteEntry>> routes_;
  Handler not_found_handler_;  // empty: the 404 problem
};

}  // namespace custody::http
