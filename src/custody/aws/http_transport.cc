#include "custody/aws/http_transport.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <exception>
#include <limits>
#include <utility>  // before Asio, which needs std::exchange (g++ 12 with Boost 1.74)

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace custody::aws {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr size_t kChunkSize = 64 * 1024;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool HasLineBreakOrNul(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// Starts one asynchronous operation through `start` and runs `ioc` until it completes, so the
// stream's expiry timer bounds it. Returns the operation's error code.
template <typename Start>
beast::error_code RunOperation(asio::io_context& ioc, Start&& start) {
  beast::error_code result;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

Status NetworkError(std::string_view step, const Url& url, const beast::error_code& ec) {
  const std::string message = std::string(step) + " " + url.Origin() + " failed: " + ec.message();
  if (ec == beast::error::timeout) {
    return {ErrorCode::kDeadlineExceeded, std::string(step) + " " + url.Origin() + " timed out"};
  }
  return Unavailable(message);
}

struct Exchange {
  const HttpRequest& request;
  const Url& url;
  uint64_t body_size;
  const BodySource& source;
  const BodySink& sink;
  const ProgressCallback& progress;
  const TransportOptions& options;
};

// One request and response over an open stream (beast::tcp_stream or an SSL stream over one).
template <typename Stream>
Result<HttpResponse> WriteAndRead(asio::io_context& ioc, Stream& stream, beast::tcp_stream& lowest,
                                  const Exchange& exchange) {
  http::request<http::empty_body> header;
  header.method_string(exchange.request.method);
  header.target(exchange.url.Target());
  header.version(11);
  bool has_host = false;
  for (const auto& [name, value] : exchange.request.headers) {
    if (EqualsIgnoreCase(name, "content-length") || EqualsIgnoreCase(name, "transfer-encoding")) {
      continue;  // set below from the body size
    }
    has_host = has_host || EqualsIgnoreCase(name, "host");
    header.insert(name, value);
  }
  if (!has_host) {
    header.set(http::field::host, exchange.url.HostHeader());
  }
  if (header.find(http::field::user_agent) == header.end()) {
    header.set(http::field::user_agent, exchange.options.user_agent);
  }
  header.set(http::field::connection, "close");
  const bool is_head = EqualsIgnoreCase(exchange.request.method, "HEAD");
  if (exchange.body_size > 0 || !(is_head || EqualsIgnoreCase(exchange.request.method, "GET"))) {
    header.content_length(exchange.body_size);
  }

  TransferProgress progress;
  progress.body_size = exchange.body_size;

  http::request_serializer<http::empty_body> serializer(header);
  lowest.expires_after(exchange.options.io_timeout);
  beast::error_code ec = RunOperation(
      ioc, [&](auto handler) { http::async_write_header(stream, serializer, std::move(handler)); });
  if (ec) {
    return NetworkError("sending the request to", exchange.url, ec);
  }

  std::array<char, kChunkSize> chunk{};
  while (progress.bytes_sent < exchange.body_size) {
    const size_t wanted = static_cast<size_t>(
        std::min<uint64_t>(chunk.size(), exchange.body_size - progress.bytes_sent));
    CUSTODY_ASSIGN_OR_RETURN(const size_t count, exchange.source(chunk.data(), wanted));
    if (count == 0 || count > wanted) {
      return InvalidArgument("request body ended after " + std::to_string(progress.bytes_sent) +
                             " of " + std::to_string(exchange.body_size) + " bytes");
    }
    lowest.expires_after(exchange.options.io_timeout);
    ec = RunOperation(ioc, [&](auto handler) {
      asio::async_write(stream, asio::buffer(chunk.data(), count), std::move(handler));
    });
    if (ec) {
      return NetworkError("sending the request body to", exchange.url, ec);
    }
    progress.bytes_sent += count;
    if (exchange.progress) {
      exchange.progress(progress);
    }
  }

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  // Bounded below, or streamed to the sink. Not boost::none: Boost 1.74 compares the
  // Content-Length with the empty optional and then rejects every body.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  parser.skip(is_head);
  lowest.expires_after(exchange.options.io_timeout);
  ec = RunOperation(ioc, [&](auto handler) {
    http::async_read_header(stream, buffer, parser, std::move(handler));
  });
  if (ec) {
    return NetworkError("reading the response from", exchange.url, ec);
  }

  HttpResponse response;
  response.status = static_cast<int>(parser.get().result_int());
  for (const auto& field : parser.get()) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  if (parser.content_length()) {
    progress.content_length = *parser.content_length();
  }
  const bool to_sink = exchange.sink && response.status >= 200 && response.status < 300;

  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    lowest.expires_after(exchange.options.io_timeout);
    ec = RunOperation(
        ioc, [&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); });
    if (ec == http::error::need_buffer) {
      ec = {};
    }
    if (ec) {
      return NetworkError("reading the response body from", exchange.url, ec);
    }
    const size_t count = chunk.size() - parser.get().body().size;
    if (count == 0) {
      continue;
    }
    progress.bytes_received += count;
    if (to_sink) {
      CUSTODY_RETURN_IF_ERROR(exchange.sink(std::string_view(chunk.data(), count)));
    } else {
      if (response.body.size() + count > exchange.options.max_response_body_bytes) {
        return UpstreamFailed("response body from " + exchange.url.Origin() + " exceeds " +
                              std::to_string(exchange.options.max_response_body_bytes) + " bytes");
      }
      response.body.append(chunk.data(), count);
    }
    if (exchange.progress) {
      exchange.progress(progress);
    }
  }
  return response;
}

class BeastTransport final : public HttpTransport {
 public:
  explicit BeastTransport(TransportOptions options)
      : options_(std::move(options)), tls_(ssl::context::tls_client) {
    try {
      tls_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
      tls_.set_default_verify_paths();
      if (!options_.ca_file.empty()) {
        tls_.load_verify_file(options_.ca_file);
      }
      tls_.set_verify_mode(ssl::verify_peer);
    } catch (const std::exception& error) {
      setup_error_ =
          Status(ErrorCode::kFailedPrecondition,
                 "cannot set up TLS (CA file \"" + options_.ca_file + "\"): " + error.what());
    }
  }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    size_t offset = 0;
    const BodySource source = [&request, &offset](char* buffer, size_t capacity) -> Result<size_t> {
      const size_t count = std::min(capacity, request.body.size() - offset);
      std::copy_n(request.body.data() + offset, count, buffer);
      offset += count;
      return count;
    };
    return Run(request, request.body.size(), source, nullptr, nullptr);
  }

  Result<HttpResponse> SendStreaming(const HttpRequest& request, uint64_t body_size,
                                     const BodySource& source, const BodySink& sink,
                                     const ProgressCallback& progress) override {
    if (!request.body.empty()) {
      return InvalidArgument("SendStreaming takes its body from the source, not request.body");
    }
    if (body_size > 0 && !source) {
      return InvalidArgument("SendStreaming needs a body source for a non-empty body");
    }
    return Run(request, body_size, source, sink, progress);
  }

 private:
  Result<HttpResponse> Run(const HttpRequest& request, uint64_t body_size, const BodySource& source,
                           const BodySink& sink, const ProgressCallback& progress) {
    CUSTODY_RETURN_IF_ERROR(setup_error_);
    CUSTODY_ASSIGN_OR_RETURN(const Url url, ParseUrl(request.url));
    for (const auto& [name, value] : request.headers) {
      if (name.empty() || HasLineBreakOrNul(name) || HasLineBreakOrNul(value)) {
        return InvalidArgument("HTTP header has an empty name or a line break: " + name);
      }
    }
    const Exchange exchange{request, url, body_size, source, sink, progress, options_};
    // Beast and Asio report some failures (allocation, OpenSSL setup) by throwing.
    try {
      return Connect(exchange);
    } catch (const std::exception& error) {
      return Internal("HTTP request to " + url.Origin() + " failed: " + error.what());
    }
  }

  Result<HttpResponse> Connect(const Exchange& exchange) {
    const Url& url = exchange.url;
    asio::io_context ioc;

    // The resolver has no expiry of its own, so a timer cancels it.
    tcp::resolver resolver(ioc);
    tcp::resolver::results_type endpoints;
    asio::steady_timer resolve_timer(ioc, options_.connect_timeout);
    bool resolve_timed_out = false;
    resolve_timer.async_wait([&](const beast::error_code& ec) {
      if (!ec) {
        resolve_timed_out = true;
        resolver.cancel();
      }
    });
    beast::error_code ec;
    resolver.async_resolve(
        url.host, std::to_string(url.port),
        [&](const beast::error_code& resolve_ec, tcp::resolver::results_type results) {
          ec = resolve_ec;
          endpoints = std::move(results);
          resolve_timer.cancel();
        });
    ioc.run();
    if (resolve_timed_out) {
      return Status(ErrorCode::kDeadlineExceeded, "resolving " + url.host + " timed out");
    }
    if (ec) {
      return Unavailable("resolving " + url.host + " failed: " + ec.message());
    }

    if (url.scheme == "http") {
      beast::tcp_stream stream(ioc);
      CUSTODY_RETURN_IF_ERROR(ConnectTcp(ioc, stream, endpoints, url));
      return WriteAndRead(ioc, stream, stream, exchange);
    }

    beast::ssl_stream<beast::tcp_stream> stream(ioc, tls_);
    CUSTODY_RETURN_IF_ERROR(ConnectTcp(ioc, beast::get_lowest_layer(stream), endpoints, url));
    const bool is_ip_literal = url.host.find_first_not_of("0123456789.") == std::string::npos ||
                               url.host.find(':') != std::string::npos;
    // SNI carries host names only (RFC 6066 section 3). Asio has no wrapper for it, so this is
    // the one direct OpenSSL call outside the crypto module.
    if (!is_ip_literal && !SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
      return Internal("cannot set TLS server name " + url.host);
    }
    stream.set_verify_mode(ssl::verify_peer);
    stream.set_verify_callback(ssl::host_name_verification(url.host));
    beast::get_lowest_layer(stream).expires_after(options_.connect_timeout);
    ec = RunOperation(ioc, [&](auto handler) {
      stream.async_handshake(ssl::stream_base::client, std::move(handler));
    });
    if (ec) {
      return NetworkError("TLS handshake with", url, ec);
    }
    return WriteAndRead(ioc, stream, beast::get_lowest_layer(stream), exchange);
  }

  Status ConnectTcp(asio::io_context& ioc, beast::tcp_stream& stream,
                    const tcp::resolver::results_type& endpoints, const Url& url) {
    stream.expires_after(options_.connect_timeout);
    const beast::error_code ec = RunOperation(
        ioc, [&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
    if (ec) {
      return NetworkError("connecting to", url, ec);
    }
    return Status::Ok();
  }

  TransportOptions options_;
  ssl::context tls_;
  Status setup_error_;
};

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) {
      return value;
    }
  }
  return std::nullopt;
}

HttpTransport::~HttpTransport() = default;

Result<HttpResponse> HttpTransport::SendStreaming(const HttpRequest& request, uint64_t body_size,
                                                  const BodySource& source, const BodySink& sink,
                                                  const ProgressCallback& progress) {
  HttpRequest buffered = request;
  buffered.body.clear();
  std::array<char, kChunkSize> chunk{};
  while (buffered.body.size() < body_size) {
    const size_t wanted =
        static_cast<size_t>(std::min<uint64_t>(chunk.size(), body_size - buffered.body.size()));
    CUSTODY_ASSIGN_OR_RETURN(const size_t count, source(chunk.data(), wanted));
    if (count == 0 || count > wanted) {
      return InvalidArgument("request body ended after " + std::to_string(buffered.body.size()) +
                             " of " + std::to_string(body_size) + " bytes");
    }
    buffered.body.append(chunk.data(), count);
  }
  CUSTODY_ASSIGN_OR_RETURN(HttpResponse response, Send(buffered));
  if (progress) {
    TransferProgress done;
    done.bytes_sent = body_size;
    done.body_size = body_size;
    done.bytes_received = response.body.size();
    done.content_length = response.body.size();
    progress(done);
  }
  if (sink && response.status >= 200 && response.status < 300) {
    CUSTODY_RETURN_IF_ERROR(sink(response.body));
    response.body.clear();
  }
  return response;
}

std::unique_ptr<HttpTransport> MakeBeastTransport(TransportOptions options) {
  return std::make_unique<BeastTransport>(std::move(options));
}

}  // namespace custody::aws
