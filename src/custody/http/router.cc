#include "custody/http/router.h"

#include <cstdio>
#include <cstdlib>
#include <set>

#include "custody/http/problem.h"

namespace custody::http {
namespace {

[[noreturn]] void AbortBadRoute(std::string_view pattern, std::string_view reason) {
  std::fprintf(stderr, "invalid route %.*s: %.*s\n", static_cast<int>(pattern.size()),
               pattern.data(), static_cast<int>(reason.size()), reason.data());
  std::abort();
}

// The segments from `first` on, each with "%" and "/" escaped, joined with "/".
std::string JoinRest(const std::vector<std::string>& segments, size_t first) {
  std::string joined;
  for (size_t i = first; i < segments.size(); ++i) {
    if (i > first) {
      joined += '/';
    }
    for (const char c : segments[i]) {
      if (c == '%') {
        joined += "%25";
      } else if (c == '/') {
        joined += "%2F";
      } else {
        joined += c;
      }
    }
  }
  return joined;
}

}  // namespace

void Router::Add(std::string_view method, std::string_view pattern, Handler handler) {
  if (method.empty() || !handler) {
    AbortBadRoute(pattern, "empty method or handler");
  }
  if (pattern.empty() || pattern.front() != '/') {
    AbortBadRoute(pattern, "pattern must start with /");
  }

  std::vector<Segment> segments;
  std::set<std::string, std::less<>> parameter_names;
  if (pattern.size() > 1) {
    size_t start = 1;
    while (start <= pattern.size()) {
      size_t end = pattern.find('/', start);
      if (end == std::string_view::npos) {
        end = pattern.size();
      }
      const std::string_view text = pattern.substr(start, end - start);
      start = end + 1;
      if (text.empty()) {
        AbortBadRoute(pattern, "empty segment");
      }
      Segment segment;
      if (text.front() == '{') {
        if (text.size() < 3 || text.back() != '}') {
          AbortBadRoute(pattern, "parameter segment must be {name}");
        }
        segment.text = std::string(text.substr(1, text.size() - 2));
        segment.is_parameter = true;
        if (segment.text.ends_with("...")) {
          if (end != pattern.size()) {
            AbortBadRoute(pattern, "{name...} must be the last segment");
          }
          segment.text.resize(segment.text.size() - 3);
          segment.is_rest = true;
          if (segment.text.empty()) {
            AbortBadRoute(pattern, "parameter segment must be {name...}");
          }
        }
        if (!parameter_names.insert(segment.text).second) {
          AbortBadRoute(pattern, "repeated parameter name");
        }
      } else {
        if (text.find_first_of("{}") != std::string_view::npos) {
          AbortBadRoute(pattern, "braces inside a literal segment");
        }
        segment.text = std::string(text);
      }
      segments.push_back(std::move(segment));
    }
  }

  for (const auto& route : routes_) {
    if (route->pattern == pattern) {
      if (!route->handlers.emplace(std::string(method), std::move(handler)).second) {
        AbortBadRoute(pattern, "method registered twice");
      }
      return;
    }
  }
  auto route = std::make_unique<RouteEntry>();
  route->pattern = std::string(pattern);
  route->segments = std::move(segments);
  route->handlers.emplace(std::string(method), std::move(handler));
  routes_.push_back(std::move(route));
}

bool Router::Matches(const RouteEntry& route, const std::vector<std::string>& segments) {
  const bool has_rest = !route.segments.empty() && route.segments.back().is_rest;
  if (has_rest ? segments.size() < route.segments.size()
               : route.segments.size() != segments.size()) {
    return false;
  }
  for (size_t i = 0; i < route.segments.size(); ++i) {
    const Segment& expected = route.segments[i];
    if (expected.is_rest) {
      return true;
    }
    if (expected.is_parameter ? segments[i].empty() : expected.text != segments[i]) {
      return false;
    }
  }
  return true;
}

bool Router::MoreSpecific(const RouteEntry& a, const RouteEntry& b) {
  const bool a_rest = !a.segments.empty() && a.segments.back().is_rest;
  const bool b_rest = !b.segments.empty() && b.segments.back().is_rest;
  if (a_rest != b_rest) {
    return b_rest;
  }
  for (size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
    if (a.segments[i].is_parameter != b.segments[i].is_parameter) {
      return !a.segments[i].is_parameter;
    }
  }
  return false;
}

Router::Match Router::Find(std::string_view method,
                           const std::vector<std::string>& segments) const {
  const RouteEntry* best = nullptr;
  std::set<std::string> allowed;
  for (const auto& route : routes_) {
    if (!Matches(*route, segments)) {
      continue;
    }
    for (const auto& entry : route->handlers) {
      allowed.insert(entry.first);
    }
    if (route->handlers.find(method) == route->handlers.end()) {
      continue;
    }
    if (best == nullptr || MoreSpecific(*route, *best)) {
      best = route.get();
    }
  }

  Match match;
  if (best != nullptr) {
    match.outcome = Outcome::kMatched;
    match.handler = &best->handlers.find(method)->second;
    for (size_t i = 0; i < best->segments.size(); ++i) {
      const Segment& segment = best->segments[i];
      if (segment.is_rest) {
        match.path_params.emplace(segment.text, JoinRest(segments, i));
      } else if (segment.is_parameter) {
        match.path_params.emplace(segment.text, segments[i]);
      }
    }
    return match;
  }
  if (allowed.empty()) {
    match.outcome = Outcome::kNotFound;
    return match;
  }
  match.outcome = Outcome::kMethodNotAllowed;
  for (const std::string& name : allowed) {
    if (!match.allow.empty()) {
      match.allow += ", ";
    }
    match.allow += name;
  }
  return match;
}

Response Router::Dispatch(Request& request, const std::vector<std::string>& segments) const {
  Match match = Find(request.method, segments);
  switch (match.outcome) {
    case Outcome::kMatched:
      request.path_params = std::move(match.path_params);
      return (*match.handler)(request);
    case Outcome::kMethodNotAllowed: {
      Response response = MethodNotAllowedResponse(request.method);
      response.headers.Set("Allow", match.allow);
      return response;
    }
    case Outcome::kNotFound:
      break;
  }
  if (not_found_handler_) {
    return not_found_handler_(request);
  }
  return NotFoundResponse();
}

}  // namespace custody::http
