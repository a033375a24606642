#include "custody/http/server.h"

// Asio's coroutine support in Boost 1.74 uses std::exchange without including <utility>.
#include <atomic>
#include <condition_variable>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "custody/common/log.h"
#include "custody/http/middleware.h"
#include "custody/http/problem.h"
#include "custody/http/request_id.h"
#include "custody/http/target.h"

namespace custody::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

using Parser = bhttp::request_parser<bhttp::string_body>;

constexpr size_t kReadChunkBytes = 16384;

enum class ReadOutcome {
  kOk,
  kClosed,     // end of stream, timeout, cancellation or socket error: no response can be sent
  kMalformed,  // the bytes are not a valid HTTP/1.1 request
  kTooLarge,   // the body passed max_body_bytes
  kRequestLineTooLong,  // the request line exceeds max_header_bytes
  kHeaderTooLarge,      // request line and header fields together exceed it
};

// A client connection. `waiting_for_request` is read and written only on the connection's
// strand.
struct Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}

  beast::tcp_stream stream;
  std::string remote;
  bool waiting_for_request = true;
};

std::string FormatEndpoint(const tcp::endpoint& endpoint) {
  const asio::ip::address address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

// The per-request state shared by the steps of ServeRequest.
struct Exchange {
  Request request;
  std::vector<std::string> segments;
  Response response;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  uint64_t request_body_bytes = 0;
  bool close_after = false;  // close the connection after the response
  bool linger = false;       // discard unread body bytes before closing
};

void CopyHeader(const Parser& parser, Request* request) {
  const auto& message = parser.get();
  request->method = std::string(message.method_string());
  for (const auto& field : message) {
    request->headers.Add(field.name_string(), field.value());
  }
}

bool ExpectsContinue(const Parser& parser) {
  const auto& message = parser.get();
  const auto expect = message.find(bhttp::field::expect);
  return message.version() >= 11 && expect != message.end() &&
         EqualsIgnoreCase(expect->value(), "100-continue");
}

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, const Router& router, Metrics& metrics)
      : options_(std::move(options)), router_(router), metrics_(metrics) {}

  ~Impl() {
    Stop();
    // Handlers still queued or running refer to coroutine frames that the io_context owns,
    // so the pool goes first, then the sockets, then the io_context.
    pool_.reset();
    {
      std::lock_guard lock(mutex_);
      connections_.clear();
    }
    acceptor_.reset();
    io_context_.reset();
  }

  Status Start();
  void Stop();

  uint16_t port() const { return bound_.port(); }

  std::string address() const { return bound_.address().to_string(); }

 private:
  asio::awaitable<void> AcceptLoop();
  void StartConnection(tcp::socket socket);
  asio::awaitable<void> RunConnection(std::shared_ptr<Connection> connection, uint64_t id);
  asio::awaitable<bool> ServeRequest(Connection& connection, beast::flat_buffer& buffer,
                                     bool first_request);
  asio::awaitable<ReadOutcome> ReadHeader(Connection& connection, beast::flat_buffer& buffer,
                                          Parser& parser, bool first_request);
  asio::awaitable<ReadOutcome> ReadBody(Connection& connection, beast::flat_buffer& buffer,
                                        Parser& parser, uint64_t* body_bytes);
  asio::awaitable<Response> RunHandler(Request& request, const std::vector<std::string>& segments);
  asio::awaitable<Status> ReportRejection(const Request& request, const Status& rejection);
  Status CallRejectionHook(const Request& request, const Status& rejection) noexcept;
  asio::awaitable<bool> WriteResponse(Connection& connection, Exchange& exchange);
  asio::awaitable<bool> WriteContinue(Connection& connection);
  asio::awaitable<uint64_t> DiscardUnreadBytes(Connection& connection, beast::flat_buffer& buffer);
  bool RequiresBearerToken(std::string_view raw_target, const Result<Target>& target) const;
  bool HasRoomForConnection();
  void LogExchange(const Connection& connection, const Exchange& exchange);
  void Unregister(uint64_t id);

  ServerOptions options_;
  const Router& router_;
  Metrics& metrics_;

  std::unique_ptr<asio::io_context> io_context_;
  std::optional<tcp::acceptor> acceptor_;
  std::unique_ptr<asio::thread_pool> pool_;
  std::vector<std::thread> io_threads_;
  tcp::endpoint bound_;
  std::atomic<bool> stopping_{false};
  bool rejecting_ = false;  // only touched by AcceptLoop

  std::mutex stop_mutex_;  // serializes Start and Stop
  bool started_ = false;
  bool stopped_ = false;

  std::mutex mutex_;
  std::condition_variable connections_changed_;
  std::map<uint64_t, std::shared_ptr<Connection>> connections_;  // guarded by mutex_
  uint64_t next_connection_id_ = 0;                              // guarded by mutex_
};

Status Server::Impl::Start() {
  std::lock_guard stop_lock(stop_mutex_);
  if (started_) {
    return FailedPrecondition("server already started");
  }
  started_ = true;

  beast::error_code error;
  const asio::ip::address address = asio::ip::make_address(options_.address, error);
  if (error) {
    stopped_ = true;
    return InvalidArgument("listen address " + options_.address + " is not an IP address");
  }
  const tcp::endpoint endpoint(address, options_.port);
  const std::string where = FormatEndpoint(endpoint);

  io_context_ = std::make_unique<asio::io_context>(static_cast<int>(options_.io_threads));
  acceptor_.emplace(asio::make_strand(*io_context_));
  acceptor_->open(endpoint.protocol(), error);
  if (!error) {
    acceptor_->set_option(asio::socket_base::reuse_address(true), error);
  }
  if (!error) {
    acceptor_->bind(endpoint, error);
  }
  if (!error) {
    acceptor_->listen(asio::socket_base::max_listen_connections, error);
  }
  if (!error) {
    bound_ = acceptor_->local_endpoint(error);
  }
  if (error) {
    stopped_ = true;
    return Unavailable("cannot listen on " + where + ": " + error.message());
  }

  pool_ = std::make_unique<asio::thread_pool>(std::max<size_t>(options_.worker_threads, 1));
  auto on_accept_loop_end = [](std::exception_ptr failure) {
    if (failure) {
      log::Error("accept loop ended with an exception");
    }
  };
  asio::co_spawn(acceptor_->get_executor(), AcceptLoop(), on_accept_loop_end);
  for (size_t i = 0; i < std::max<size_t>(options_.io_threads, 1); ++i) {
    io_threads_.emplace_back([this] {
      for (;;) {
        try {
          io_context_->run();
          return;
        } catch (const std::exception& failure) {
          log::Error("I/O thread caught an exception", {{"error", failure.what()}});
        }
      }
    });
  }
  return Status::Ok();
}

void Server::Impl::Stop() {
  std::lock_guard stop_lock(stop_mutex_);
  if (!started_ || stopped_) {
    return;
  }
  stopped_ = true;
  stopping_ = true;

  auto close_acceptor = [this] {
    beast::error_code ignored;
    acceptor_->close(ignored);
  };
  asio::post(acceptor_->get_executor(), close_acceptor);

  size_t in_flight = 0;
  {
    std::lock_guard lock(mutex_);
    in_flight = connections_.size();
    for (const auto& entry : connections_) {
      std::shared_ptr<Connection> connection = entry.second;
      auto close_if_idle = [connection] {
        if (connection->waiting_for_request) {
          connection->stream.cancel();
        }
      };
      asio::post(connection->stream.get_executor(), close_if_idle);
    }
  }
  log::Info("server stopping", {{"connections", in_flight}});

  bool drained = false;
  {
    std::unique_lock lock(mutex_);
    drained = connections_changed_.wait_for(lock, options_.shutdown_timeout,
                                            [this] { return connections_.empty(); });
    if (!drained) {
      log::Warn("shutdown timeout passed, closing connections with requests in flight",
                {{"connections", connections_.size()}});
    }
  }
  io_context_->stop();
  for (std::thread& thread : io_threads_) {
    thread.join();
  }
  io_threads_.clear();
  pool_->join();
}

asio::awaitable<void> Server::Impl::AcceptLoop() {
  for (;;) {
    beast::error_code error;
    auto token = asio::redirect_error(asio::use_awaitable, error);
    auto connection_executor = asio::make_strand(*io_context_);
    auto accepted = co_await acceptor_->async_accept(connection_executor, token);
    if (stopping_ || error == asio::error::operation_aborted) {
      co_return;
    }
    if (error) {
      // Typically EMFILE: pause instead of spinning on an error that persists.
      log::Warn("accept failed", {{"error", error.message()}});
      asio::steady_timer pause(acceptor_->get_executor(), std::chrono::milliseconds(100));
      auto pause_token = asio::redirect_error(asio::use_awaitable, error);
      co_await pause.async_wait(pause_token);
      continue;
    }
    tcp::socket socket(std::move(accepted));
    if (!HasRoomForConnection()) {
      // Logged once per run of rejections; the metric counts each one.
      metrics_.ConnectionRejected();
      if (!rejecting_) {
        log::Warn("connection limit reached, closing new connections",
                  {{"max_connections", options_.max_connections}});
        rejecting_ = true;
      }
      socket.close(error);
      continue;
    }
    rejecting_ = false;
    StartConnection(std::move(socket));
  }
}

bool Server::Impl::HasRoomForConnection() {
  std::lock_guard lock(mutex_);
  return connections_.size() < options_.max_connections;
}

void Server::Impl::StartConnection(tcp::socket socket) {
  auto connection = std::make_shared<Connection>(std::move(socket));
  beast::error_code error;
  const tcp::endpoint remote = connection->stream.socket().remote_endpoint(error);
  connection->remote = error ? std::string("unknown") : FormatEndpoint(remote);
  uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    id = next_connection_id_++;
    connections_.emplace(id, connection);
  }
  metrics_.ConnectionOpened();
  auto on_connection_end = [](std::exception_ptr failure) {
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& exception) {
        log::Error("connection ended with an exception", {{"error", exception.what()}});
      } catch (...) {
        log::Error("connection ended with an exception");
      }
    }
  };
  asio::co_spawn(connection->stream.get_executor(), RunConnection(connection, id),
                 on_connection_end);
}

void Server::Impl::LogExchange(const Connection& connection, const Exchange& exchange) {
  LogAccess({.request_id = exchange.request.request_id,
             .method = exchange.request.method,
             .path = exchange.request.path,
             .remote = connection.remote,
             .status = exchange.response.status,
             .duration = std::chrono::steady_clock::now() - exchange.start,
             .request_body_bytes = exchange.request_body_bytes,
             .response_body_bytes = exchange.response.body.size()});
}

void Server::Impl::Unregister(uint64_t id) {
  metrics_.ConnectionClosed();
  std::lock_guard lock(mutex_);
  connections_.erase(id);
  connections_changed_.notify_all();
}

asio::awaitable<void> Server::Impl::RunConnection(std::shared_ptr<Connection> connection,
                                                  uint64_t id) {
  // Unregisters on every exit, including an exception.
  struct Registration {
    Impl* server;
    uint64_t id;

    ~Registration() { server->Unregister(id); }
  } registration{this, id};

  beast::flat_buffer buffer;
  bool first_request = true;
  for (;;) {
    const bool keep_alive = co_await ServeRequest(*connection, buffer, first_request);
    if (!keep_alive) {
      break;
    }
    first_request = false;
  }
  beast::error_code ignored;
  connection->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  connection->stream.close();
}

asio::awaitable<bool> Server::Impl::ServeRequest(Connection& connection, beast::flat_buffer& buffer,
                                                 bool first_request) {
  Parser parser;
  parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
  // The declared length is checked after the header, so that a 413 can carry the request id.
  // Not boost::none: Beast 1.74 compares the Content-Length with the optional limit, and
  // any number compares greater than an empty optional.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());

  const ReadOutcome header = co_await ReadHeader(connection, buffer, parser, first_request);
  if (header == ReadOutcome::kClosed) {
    co_return false;
  }

  Exchange exchange;
  exchange.request.remote_address = connection.remote;
  if (header != ReadOutcome::kOk) {
    exchange.request.request_id = GenerateRequestId();
    if (header == ReadOutcome::kRequestLineTooLong) {
      exchange.response = UriTooLongResponse(options_.max_header_bytes);
    } else if (header == ReadOutcome::kHeaderTooLarge) {
      exchange.response = HeaderFieldsTooLargeResponse(options_.max_header_bytes);
    } else {
      exchange.response = ProblemResponse(InvalidArgument("malformed HTTP request header"));
    }
    exchange.close_after = true;
    const bool written = co_await WriteResponse(connection, exchange);
    if (written) {
      // Not counted as body bytes: these bytes never got past the header.
      co_await DiscardUnreadBytes(connection, buffer);
    }
    LogExchange(connection, exchange);
    co_return false;
  }

  CopyHeader(parser, &exchange.request);
  exchange.request.request_id = ChooseRequestId(exchange.request.headers.Find("X-Request-Id"));
  Result<Target> target = ParseTarget(parser.get().target());
  if (target.ok()) {
    exchange.request.path = target->path;
    exchange.request.query = std::move(target->query);
    exchange.segments = std::move(target->segments);
  }

  // The status of a rejection by the server itself, reported to options_.on_rejected.
  std::optional<Status> rejection;
  const Status too_large(ErrorCode::kPayloadTooLarge, "request body is larger than the limit of " +
                                                          std::to_string(options_.max_body_bytes) +
                                                          " bytes");
  const boost::optional<std::uint64_t> declared_length = parser.content_length();
  if (declared_length.has_value() && *declared_length > options_.max_body_bytes) {
    rejection = too_large;
    exchange.response = ProblemResponse(too_large);
    exchange.close_after = true;
    exchange.linger = true;
  } else if (!parser.is_done()) {
    parser.body_limit(options_.max_body_bytes);
    if (ExpectsContinue(parser)) {
      const bool continued = co_await WriteContinue(connection);
      if (!continued) {
        co_return false;
      }
    }
    const ReadOutcome body =
        co_await ReadBody(connection, buffer, parser, &exchange.request_body_bytes);
    // Counted before the response is sent, so a client that reads /metrics after its
    // response sees its own bytes.
    metrics_.AddRequestBodyBytes(exchange.request_body_bytes);
    if (body == ReadOutcome::kClosed) {
      metrics_.AddRequestBodyBytes(buffer.size());
      exchange.request_body_bytes += buffer.size();
      log::Warn("request body not received",
                {{"request_id", exchange.request.request_id}, {"remote", connection.remote}});
      co_return false;
    }
    if (body == ReadOutcome::kTooLarge) {
      rejection = too_large;
      exchange.response = ProblemResponse(too_large);
      exchange.close_after = true;
      exchange.linger = true;
    } else if (body == ReadOutcome::kMalformed) {
      rejection = InvalidArgument("malformed HTTP request body");
      exchange.response = ProblemResponse(*rejection);
      exchange.close_after = true;
      exchange.linger = true;
    }
  }

  const bool rejected = exchange.close_after;
  if (!rejected && RequiresBearerToken(parser.get().target(), target) &&
      !HasBearerAuthorization(exchange.request) &&
      !HasCookie(exchange.request, options_.session_cookie_name)) {
    rejection = Unauthenticated("request has no bearer token");
    exchange.response = BearerTokenRequiredResponse();
  } else if (!rejected && !target.ok()) {
    rejection = target.status();
    exchange.response = ProblemResponse(target.status());
  } else if (!rejected) {
    exchange.request.body = std::move(parser.get().body());
    exchange.response = co_await RunHandler(exchange.request, exchange.segments);
  }
  if (rejection.has_value() && options_.on_rejected) {
    const Status reported = co_await ReportRejection(exchange.request, *rejection);
    if (!reported.ok()) {
      exchange.response = ProblemResponse(reported);
    }
  }
  if (!parser.get().keep_alive() || stopping_) {
    exchange.close_after = true;
  }
  const bool written = co_await WriteResponse(connection, exchange);

  // Bytes read after the request's body was rejected count too: they may be part of it.
  uint64_t unread_body_bytes = 0;
  if (exchange.linger && written) {
    unread_body_bytes = co_await DiscardUnreadBytes(connection, buffer);
  } else if (exchange.linger) {
    unread_body_bytes = buffer.size();
  }
  metrics_.AddRequestBodyBytes(unread_body_bytes);
  exchange.request_body_bytes += unread_body_bytes;
  LogExchange(connection, exchange);
  co_return written && !exchange.close_after;
}

bool Server::Impl::RequiresBearerToken(std::string_view raw_target,
                                       const Result<Target>& target) const {
  // Both forms count, so that neither percent-encoding the path nor making the rest of the
  // target invalid moves a request out from under the prefix.
  const std::string_view raw_path = raw_target.substr(0, raw_target.find_first_of("?#"));
  if (IsPathUnderPrefix(raw_path, options_.bearer_token_path_prefix)) {
    return true;
  }
  return target.ok() && IsPathUnderPrefix(target->path, options_.bearer_token_path_prefix);
}

asio::awaitable<ReadOutcome> Server::Impl::ReadHeader(Connection& connection,
                                                      beast::flat_buffer& buffer, Parser& parser,
                                                      bool first_request) {
  bool started = buffer.size() > 0;
  size_t header_bytes = 0;  // request line and header fields consumed by the parser
  if (!started && stopping_) {
    co_return ReadOutcome::kClosed;
  }
  connection.waiting_for_request = !started;
  connection.stream.expires_after(started || first_request ? options_.header_timeout
                                                           : options_.idle_timeout);
  for (;;) {
    if (buffer.size() > 0) {
      if (!started) {
        started = true;
        connection.waiting_for_request = false;
        connection.stream.expires_after(options_.header_timeout);
      }
      beast::error_code error;
      const size_t used = parser.put(buffer.data(), error);
      buffer.consume(used);
      header_bytes += used;
      if (error == bhttp::error::header_limit) {
        // The parser stores the target when it finishes the request line.
        co_return parser.get().target().empty() ? ReadOutcome::kRequestLineTooLong
                                                : ReadOutcome::kHeaderTooLarge;
      }
      if (parser.is_header_done()) {
        // Beast applies header_limit to the request line and to the header fields separately.
        co_return header_bytes > options_.max_header_bytes ? ReadOutcome::kHeaderTooLarge
                                                           : ReadOutcome::kOk;
      }
      if (error && error != bhttp::error::need_more) {
        log::Debug("malformed request header",
                   {{"remote", connection.remote}, {"error", error.message()}});
        co_return ReadOutcome::kMalformed;
      }
    }

    beast::error_code error;
    auto token = asio::redirect_error(asio::use_awaitable, error);
    const size_t received =
        co_await connection.stream.async_read_some(buffer.prepare(kReadChunkBytes), token);
    buffer.commit(received);
    if (error) {
      connection.waiting_for_request = false;
      if (started && error == beast::error::timeout) {
        log::Info("request header timed out", {{"remote", connection.remote}});
      }
      co_return ReadOutcome::kClosed;
    }
  }
}

asio::awaitable<ReadOutcome> Server::Impl::ReadBody(Connection& connection,
                                                    beast::flat_buffer& buffer, Parser& parser,
                                                    uint64_t* body_bytes) {
  connection.stream.expires_after(options_.body_timeout);
  parser.eager(true);
  while (!parser.is_done()) {
    if (buffer.size() > 0) {
      beast::error_code error;
      const size_t used = parser.put(buffer.data(), error);
      buffer.consume(used);
      *body_bytes += used;
      if (error == bhttp::error::body_limit) {
        co_return ReadOutcome::kTooLarge;
      }
      if (error && error != bhttp::error::need_more) {
        co_return ReadOutcome::kMalformed;
      }
      if (parser.is_done()) {
        break;
      }
      if (used > 0 && buffer.size() > 0) {
        continue;
      }
    }

    beast::error_code error;
    auto token = asio::redirect_error(asio::use_awaitable, error);
    const size_t received =
        co_await connection.stream.async_read_some(buffer.prepare(kReadChunkBytes), token);
    buffer.commit(received);
    if (error) {
      if (error == beast::error::timeout) {
        log::Info("request body timed out", {{"remote", connection.remote}});
      }
      co_return ReadOutcome::kClosed;
    }
  }
  co_return ReadOutcome::kOk;
}

asio::awaitable<Response> Server::Impl::RunHandler(Request& request,
                                                   const std::vector<std::string>& segments) {
  // Runs the handler on the worker pool, then resumes this coroutine on its own executor (the
  // connection's strand). The tracked executor keeps the io_context running meanwhile.
  auto initiation = [this, &request, &segments](auto completion) {
    auto resume_executor = asio::prefer(asio::get_associated_executor(completion),
                                        asio::execution::outstanding_work.tracked);
    auto task = [this, &request, &segments, completion = std::move(completion),
                 resume_executor]() mutable {
      Response response = InvokeHandler(router_, request, segments);
      auto resume = [completion = std::move(completion), response = std::move(response)]() mutable {
        completion(std::move(response));
      };
      asio::post(resume_executor, std::move(resume));
    };
    asio::post(*pool_, std::move(task));
  };
  Response response = co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(Response)>(
      initiation, asio::use_awaitable);
  co_return response;
}

Status Server::Impl::CallRejectionHook(const Request& request, const Status& rejection) noexcept {
  try {
    return options_.on_rejected(request, rejection);
  } catch (const std::exception& exception) {
    log::Error("rejection hook threw an exception",
               {{"request_id", request.request_id}, {"error", exception.what()}});
  } catch (...) {
    log::Error("rejection hook threw an exception", {{"request_id", request.request_id}});
  }
  return Internal("the rejected request could not be reported");
}

asio::awaitable<Status> Server::Impl::ReportRejection(const Request& request,
                                                      const Status& rejection) {
  // Runs the hook on the worker pool, because it may block, then resumes on the connection's
  // strand, as RunHandler does.
  auto initiation = [this, &request, &rejection](auto completion) {
    auto resume_executor = asio::prefer(asio::get_associated_executor(completion),
                                        asio::execution::outstanding_work.tracked);
    auto task = [this, &request, &rejection, completion = std::move(completion),
                 resume_executor]() mutable {
      Status reported = CallRejectionHook(request, rejection);
      auto resume = [completion = std::move(completion), reported = std::move(reported)]() mutable {
        completion(std::move(reported));
      };
      asio::post(resume_executor, std::move(resume));
    };
    asio::post(*pool_, std::move(task));
  };
  Status reported = co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(Status)>(
      initiation, asio::use_awaitable);
  co_return reported;
}

asio::awaitable<bool> Server::Impl::WriteContinue(Connection& connection) {
  bhttp::response<bhttp::empty_body> interim(bhttp::status::continue_, 11);
  beast::error_code error;
  auto token = asio::redirect_error(asio::use_awaitable, error);
  connection.stream.expires_after(options_.write_timeout);
  co_await bhttp::async_write(connection.stream, interim, token);
  connection.stream.expires_after(options_.body_timeout);
  co_return !error;
}

asio::awaitable<bool> Server::Impl::WriteResponse(Connection& connection, Exchange& exchange) {
  Response& response = exchange.response;
  FinalizeResponse(response, exchange.request.request_id);
  if (response.status < 200 || response.status == 204 || response.status == 304) {
    response.body.clear();
  }
  metrics_.CountResponse(response.status, response.body.size());

  bhttp::response<bhttp::string_body> message;
  message.version(11);
  message.result(static_cast<unsigned>(response.status));
  for (const auto& [name, value] : response.headers) {
    message.insert(name, value);
  }
  message.body() = response.body;
  message.keep_alive(!exchange.close_after);
  message.prepare_payload();
  if (exchange.request.method == "HEAD") {
    // Content-Length stays as computed: the length a GET would have returned.
    message.body().clear();
  }

  beast::error_code error;
  auto token = asio::redirect_error(asio::use_awaitable, error);
  connection.stream.expires_after(options_.write_timeout);
  co_await bhttp::async_write(connection.stream, message, token);
  if (error) {
    log::Info("response not sent", {{"request_id", exchange.request.request_id},
                                    {"remote", connection.remote},
                                    {"error", error.message()}});
    co_return false;
  }
  co_return true;
}

asio::awaitable<uint64_t> Server::Impl::DiscardUnreadBytes(Connection& connection,
                                                           beast::flat_buffer& buffer) {
  uint64_t discarded = buffer.size();
  buffer.consume(buffer.size());
  beast::error_code error;
  connection.stream.socket().shutdown(tcp::socket::shutdown_send, error);
  connection.stream.expires_after(options_.linger_timeout);
  while (!error && discarded < options_.linger_bytes) {
    auto token = asio::redirect_error(asio::use_awaitable, error);
    const size_t received =
        co_await connection.stream.async_read_some(buffer.prepare(kReadChunkBytes), token);
    buffer.commit(received);
    discarded += received;
    buffer.consume(buffer.size());
  }
  co_return discarded;
}

Server::Server(ServerOptions options, const Router& router, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics)) {}

Server::~Server() = default;

Status Server::Start() {
  return impl_->Start();
}

void Server::Stop() {
  impl_->Stop();
}

uint16_t Server::port() const {
  return impl_->port();
}

std::string Server::address() const {
  return impl_->address();
}

}  // namespace custody::http
