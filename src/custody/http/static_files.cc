#include "custody/http/static_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

#include "custody/common/log.h"
#include "custody/http/middleware.h"
#include "custody/http/problem.h"

namespace custody::http {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kIndexFile = "index.html";
// Vite writes content-hashed names below assets/, so a changed file gets a new name.
constexpr std::string_view kImmutablePrefix = "assets/";

bool IsSafeSource(std::string_view source) {
  if (source.empty()) {
    return false;
  }
  for (const char c : source) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7F || c == ';' || c == ',' || c == '\'' || c == '"') {
      return false;
    }
  }
  return true;
}

std::string JoinSources(const std::vector<std::string>& sources) {
  std::string joined;
  for (const std::string& source : sources) {
    joined += ' ';
    joined += source;
  }
  return joined;
}

bool IsServerPath(std::string_view path) {
  for (const std::string_view prefix : kServerPathPrefixes) {
    if (IsPathUnderPrefix(path, prefix)) {
      return true;
    }
  }
  return false;
}

// Splits the decoded path into the file's path relative to the root. Returns false for a
// segment that could leave the root or name a hidden file. "/" gives "".
bool RelativeFilePath(std::string_view path, std::string* relative) {
  if (path.empty() || path.front() != '/') {
    return false;
  }
  path.remove_prefix(1);
  relative->clear();
  while (!path.empty()) {
    const size_t end = std::min(path.find('/'), path.size());
    const std::string_view segment = path.substr(0, end);
    if (segment.empty() || segment.front() == '.' ||
        segment.find_first_of(std::string_view("\\\0", 2)) != std::string_view::npos) {
      return false;
    }
    if (!relative->empty()) {
      *relative += '/';
    }
    *relative += segment;
    path.remove_prefix(end);
    if (!path.empty()) {
      path.remove_prefix(1);
      if (path.empty()) {
        return false;  // a trailing "/" after a name
      }
    }
  }
  return true;
}

// True when the last segment has a file extension, as asset names do and app routes do not.
bool HasExtension(std::string_view relative) {
  const size_t slash = relative.rfind('/');
  const std::string_view name =
      slash == std::string_view::npos ? relative : relative.substr(slash + 1);
  return name.find('.') != std::string_view::npos;
}

}  // namespace

std::string_view ContentTypeForFileName(std::string_view file_name) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".webp", "image/webp"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
  };
  for (const auto& [extension, type] : kTypes) {
    if (file_name.size() > extension.size() && file_name.ends_with(extension)) {
      return type;
    }
  }
  return "application/octet-stream";
}

StaticFiles::StaticFiles(std::string root, std::string content_security_policy,
                         size_t connect_sources_end, RequestConnectSources request_connect_sources,
                         std::vector<std::string> connect_sources, bool hsts)
    : root_(std::move(root)),
      content_security_policy_(std::move(content_security_policy)),
      connect_sources_end_(connect_sources_end),
      request_connect_sources_(std::move(request_connect_sources)),
      connect_sources_(std::move(connect_sources)),
      strict_transport_security_(hsts) {}

Result<std::unique_ptr<StaticFiles>> StaticFiles::Open(StaticFilesOptions options) {
  for (const auto* sources : {&options.connect_sources, &options.form_action_sources}) {
    for (const std::string& source : *sources) {
      if (!IsSafeSource(source)) {
        return InvalidArgument("invalid Content-Security-Policy source \"" + source +
                               "\": it must be one origin without spaces, quotes, \";\" or \",\"");
      }
    }
  }
  std::error_code error;
  const fs::path root = fs::canonical(options.root, error);
  if (error || !fs::is_directory(root, error)) {
    return NotFound("web root \"" + options.root + "\" is not a folder");
  }
  if (!fs::is_regular_file(root / kIndexFile, error)) {
    return NotFound("web root \"" + options.root + "\" has no index.html; run npm run build");
  }

  // No inline script or style: the build emits only external files.
  std::string policy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'";
  policy += "; connect-src 'self'" + JoinSources(options.connect_sources);
  const size_t connect_sources_end = policy.size();
  policy += "; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
  policy += "; form-action 'self'" + JoinSources(options.form_action_sources);
  return std::unique_ptr<StaticFiles>(
      new StaticFiles(root.string(), std::move(policy), connect_sources_end,
                      std::move(options.request_connect_sources),
                      std::move(options.connect_sources), options.strict_transport_security));
}

void StaticFiles::AddHeaders(Response& response, bool immutable) const {
  response.headers.Set("Content-Security-Policy", content_security_policy_);
  response.headers.Set("X-Frame-Options", "DENY");
  response.headers.Set("Cross-Origin-Opener-Policy", "same-origin");
  response.headers.Set("Cache-Control",
                       immutable ? "public, max-age=31536000, immutable" : "no-cache");
  if (strict_transport_security_) {
    response.headers.Set("Strict-Transport-Security", "max-age=31536000");
  }
}

void StaticFiles::AddRequestConnectSources(const Request& request, Response& response) const {
  if (!request_connect_sources_) {
    return;
  }
  // The policy now depends on the session cookie, so a shared cache must not reuse it. Some
  // shared caches ignore Vary: Cookie, so the page is also private.
  response.headers.Set("Vary", "Cookie");
  response.headers.Set("Cache-Control", "private, no-cache");
  std::vector<std::string> added;
  for (std::string& source : request_connect_sources_(request)) {
    if (!IsSafeSource(source)) {
      log::Warn("dropped an invalid connect-src source of the request",
                {{"source", source}, {"path", request.path}});
      continue;
    }
    if (std::find(connect_sources_.begin(), connect_sources_.end(), source) !=
            connect_sources_.end() ||
        std::find(added.begin(), added.end(), source) != added.end()) {
      continue;
    }
    added.push_back(std::move(source));
  }
  if (added.empty()) {
    return;
  }
  std::string policy = content_security_policy_;
  policy.insert(connect_sources_end_, JoinSources(added));
  response.headers.Set("Content-Security-Policy", policy);
}

Result<Response> StaticFiles::ReadFile(const std::string& relative) const {
  std::error_code error;
  // canonical follows symbolic links, so a link that points out of the root is caught below.
  const fs::path file = fs::canonical(fs::path(root_) / relative, error);
  if (error) {
    return NotFound("no such file");
  }
  const std::string resolved = file.string();
  if (!resolved.starts_with(root_) || resolved.size() <= root_.size() ||
      resolved[root_.size()] != '/' || !fs::is_regular_file(file, error)) {
    return NotFound("not a file inside the web root");
  }
  std::ifstream input(file, std::ios::binary);
  if (!input) {
    return NotFound("unreadable file");
  }
  std::string body((std::istreambuf_iterator<char>(input)), std::istreambuf_iterator<char>());
  if (input.bad()) {
    return NotFound("unreadable file");
  }
  Response response = TextResponse(200, ContentTypeForFileName(resolved), std::move(body));
  AddHeaders(response, relative.starts_with(kImmutablePrefix));
  return response;
}

Response StaticFiles::Serve(const Request& request) const {
  if ((request.method != "GET" && request.method != "HEAD") || IsServerPath(request.path)) {
    return NotFoundResponse();
  }
  std::string relative;
  if (!RelativeFilePath(request.path, &relative)) {
    return NotFoundResponse();
  }
  if (!relative.empty()) {
    Result<Response> file = ReadFile(relative);
    if (file.ok()) {
      if (relative == kIndexFile) {
        AddRequestConnectSources(request, *file);
      }
      return std::move(*file);
    }
    if (HasExtension(relative)) {
      return NotFoundResponse();
    }
  }
  // "/" and the app's routes: the app reads the path and shows the page.
  Result<Response> index = ReadFile(std::string(kIndexFile));
  if (!index.ok()) {
    return NotFoundResponse();
  }
  AddRequestConnectSources(request, *index);
  return std::move(*index);
}

}  // namespace custody::http
