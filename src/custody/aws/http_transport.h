// A small synchronous HTTP/1.1 client for AWS calls (STS, S3) and for the CLI's uploads and
// downloads, behind an interface so tests can capture the requests Custody builds.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "custody/common/status.h"

namespace custody::aws {

// An absolute http:// or https:// URL, split for a request line and a Host header.
struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // lowercase name, dotted IPv4, or IPv6 without brackets
  uint16_t port = 0;   // the explicit port, or 80 / 443
  bool explicit_port = false;
  std::string path;        // percent-encoded as given; "/" when the URL has none
  std::string query;       // without the '?'
  bool has_query = false;  // true for "...?" with an empty query too

  // host, "[v6]", with ":port" unless the port is the scheme's default.
  std::string HostHeader() const;
  // path, plus "?query" when there is one.
  std::string Target() const;
  // scheme://HostHeader()
  std::string Origin() const;
};

// Parses an absolute URL strictly: scheme http or https, no user information, no fragment,
// no whitespace or control characters, a port from 1 to 65535.
Result<Url> ParseUrl(std::string_view text);

// True for 127.0.0.0/8 in dotted-decimal form, "::1" and exactly "localhost".
bool IsLoopbackHost(std::string_view host);

struct HttpRequest {
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first header of that name, compared without regard to case.
  std::optional<std::string> Header(std::string_view name) const;
};

// Fills `buffer` with up to `capacity` bytes of a request body; returns the count, 0 at the end.
using BodySource = std::function<Result<size_t>(char* buffer, size_t capacity)>;
// Receives the next chunk of a successful (2xx) response body.
using BodySink = std::function<Status(std::string_view chunk)>;

struct TransferProgress {
  uint64_t bytes_sent = 0;                 // request body bytes written so far
  uint64_t body_size = 0;                  // request body size
  uint64_t bytes_received = 0;             // response body bytes read so far
  std::optional<uint64_t> content_length;  // of the response, when the server sent it
};

using ProgressCallback = std::function<void(const TransferProgress&)>;

class HttpTransport {
 public:
  virtual ~HttpTransport();

  // Sends one request and reads the whole response. Connection failures return kUnavailable,
  // timeouts kDeadlineExceeded. An HTTP error status is a successful result.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;

  // Sends `request` (whose body must be empty) with a body of `body_size` bytes read from
  // `source`, and passes a 2xx response body to `sink` in chunks instead of keeping it; any
  // other response body stays in the returned response. `source` may be empty when body_size
  // is 0, `sink` and `progress` may be empty. This default buffers both bodies in memory and
  // calls Send, which is enough for test fakes; the Beast transport streams.
  virtual Result<HttpResponse> SendStreaming(const HttpRequest& request, uint64_t body_size,
                                             const BodySource& source, const BodySink& sink,
                                             const ProgressCallback& progress);
};

struct TransportOptions {
  std::chrono::milliseconds connect_timeout{10000};  // name resolution, TCP connect, TLS
  std::chrono::milliseconds io_timeout{30000};       // each single read or write
  // Cap on a response body that Send keeps in memory (the error body in SendStreaming).
  size_t max_response_body_bytes = 4 * 1024 * 1024;
  // A PEM file of extra trusted CA certificates, beside the system store; empty for none.
  std::string ca_file;
  std::string user_agent = "custody";
};

// Returns a transport for http:// and https:// over Boost.Beast. TLS verifies the server's
// certificate chain against the system CA store (plus options.ca_file) and its name against
// the URL's host, and sends SNI; verification cannot be turned off. Each call opens its own
// connection, so the transport may be shared between threads. If options.ca_file cannot be
// loaded, every call returns kFailedPrecondition saying why.
std::unique_ptr<HttpTransport> MakeBeastTransport(TransportOptions options = {});

}  // namespace custody::aws
