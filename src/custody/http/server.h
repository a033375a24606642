// Server: the HTTP/1.1 listener. Connections run as Asio C++20 coroutines on a few I/O threads;
// route handlers run on a separate worker pool because they block (SQLite, outbound HTTP).
// Keep-alive is supported, pipelining is not: the next request is read only after the current
// response is written.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "custody/common/status.h"
#include "custody/http/message.h"
#include "custody/http/metrics.h"
#include "custody/http/router.h"

namespace custody::http {

struct ServerOptions {
  std::string address = "127.0.0.1";  // an IPv4 or IPv6 literal
  uint16_t port = 8080;               // 0 picks a free port, reported by Server::port()
  size_t worker_threads = 4;          // threads that run handlers
  size_t io_threads = 1;              // threads that run sockets and parsing
  // A larger request body gets a 413 response. A Content-Length over the limit is rejected before
  // any of the body is read; a chunked body is rejected when the running total passes the limit.
  uint64_t max_body_bytes = 524288;
  // A longer request line gets a 414 response, and a request line and header fields that
  // together exceed the limit get a 431. Both responses close the connection.
  size_t max_header_bytes = 16384;
  // Connections beyond this many are closed as soon as they are accepted, so that slow
  // clients cannot use up every file descriptor. The default stays below the usual Linux soft
  // limit of 1024 open files, leaving descriptors for the database and outbound calls.
  size_t max_connections = 900;

  // Deadline for a whole request header, from accept or from its first byte on a reused
  // connection. It defeats clients that send a header slowly ("slowloris").
  std::chrono::milliseconds header_timeout{10000};
  // Deadline for a whole request body, from the end of its header.
  std::chrono::milliseconds body_timeout{30000};
  // How long a kept-alive connection may wait for its next request.
  std::chrono::milliseconds idle_timeout{60000};
  // Deadline for writing one response.
  std::chrono::milliseconds write_timeout{30000};
  // After a response that closes the connection before its request body was read (413), the
  // server discards up to linger_bytes more for up to linger_timeout before closing. Closing a
  // socket with unread data makes the kernel send a reset, which can destroy the response
  // before the client reads it. The discarded bytes count as request body bytes.
  uint64_t linger_bytes = 65536;
  std::chrono::milliseconds linger_timeout{1000};
  // How long Stop waits for requests in flight before closing their connections.
  std::chrono::milliseconds shutdown_timeout{10000};

  // A request whose path is this prefix or below it, and that has no single "Authorization:
  // Bearer <token>" field, gets 401 with "WWW-Authenticate: Bearer" before the server checks
  // its request target (query parameters included) and method. The handler still checks the
  // token itself. An empty prefix turns the check off.
  std::string bearer_token_path_prefix = "/api/v1";
  // A request with this cookie passes that check too, because browsers authenticate with a
  // session cookie instead of a bearer token. Empty: no cookie passes.
  std::string session_cookie_name;

  // Called on a worker thread for each request that the server rejects itself before any route
  // handler runs (a body over the limit, a malformed body or request target, a missing bearer
  // token), with the request
  // (headers, method and request id; no body) and the status of the rejection. The response is
  // sent after the call returns. A non-OK result replaces the rejection's response with its own
  // problem: the audit wiring returns kUnavailable when it cannot record the rejection.
  std::function<Status(const Request& request, const Status& rejection)> on_rejected;
};

class Server {
 public:
  // `router` and `metrics` must outlive the server; routes must all be added before Start.
  Server(ServerOptions options, const Router& router, Metrics& metrics);
  ~Server();  // calls Stop

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the threads. Returns InvalidArgument for an address that is not
  // an IP literal, Unavailable when the address cannot be bound, and FailedPrecondition on a
  // second call.
  Status Start();

  // Stops accepting, closes idle connections, lets requests in flight finish for up to
  // shutdown_timeout, then closes what is left and joins the threads. Idempotent.
  // NOTE: a handler that is still running after shutdown_timeout is waited for, because a
  // thread cannot be interrupted safely; handlers bound their own blocking calls.
  void Stop();

  // The bound port and address, valid after a successful Start.
  uint16_t port() const;
  std::string address() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace custody::http
