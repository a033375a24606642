#include "custody/aws/http_transport.h"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <gtest/gtest.h>

namespace custody::aws {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// ---- URL parsing ----

TEST(ParseUrlTest, SplitsParts) {
  const auto url = ParseUrl("https://Bucket.S3.us-east-1.amazonaws.com:8443/a%20b/c?x=1&y");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "bucket.s3.us-east-1.amazonaws.com");
  EXPECT_EQ(url->port, 8443);
  EXPECT_TRUE(url->explicit_port);
  EXPECT_EQ(url->path, "/a%20b/c");
  EXPECT_EQ(url->query, "x=1&y");
  EXPECT_EQ(url->HostHeader(), "bucket.s3.us-east-1.amazonaws.com:8443");
  EXPECT_EQ(url->Target(), "/a%20b/c?x=1&y");
}

TEST(ParseUrlTest, DefaultsPortAndPath) {
  const auto url = ParseUrl("http://127.0.0.1");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->port, 80);
  EXPECT_FALSE(url->explicit_port);
  EXPECT_EQ(url->path, "/");
  EXPECT_EQ(url->HostHeader(), "127.0.0.1");
  EXPECT_EQ(url->Origin(), "http://127.0.0.1");
}

TEST(ParseUrlTest, Ipv6Literal) {
  const auto url = ParseUrl("http://[::1]:7480/bucket");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 7480);
  EXPECT_EQ(url->HostHeader(), "[::1]:7480");
}

TEST(ParseUrlTest, RejectsMalformed) {
  const char* const kBad[] = {
      "127.0.0.1:7480",                  // no scheme
      "ftp://example.com/",              // scheme
      "https://user:pass@example.com/",  // user information
      "https://example.com@evil.com/",   // user information that hides the host
      "https://example.com/#frag",       // fragment
      "https://example.com/a b",         // space
      "https://example.com/\x01",        // control character
      "https:///path",                   // empty host
      "https://exa_mple.com/",           // underscore
      "https://example..com/",           // empty label
      "https://example.com:0/",          // port 0
      "https://example.com:65536/",      // port too large
      "https://example.com:/",           // empty port
      "https://example.com:80x/",        // junk after port
      "https://[::1/",                   // unterminated IPv6
      "https://[]/",                     // empty IPv6
  };
  for (const char* text : kBad) {
    const auto url = ParseUrl(text);
    EXPECT_FALSE(url.ok()) << text;
    if (!url.ok()) {
      EXPECT_EQ(url.status().code(), ErrorCode::kInvalidArgument) << text;
    }
  }
}

TEST(IsLoopbackHostTest, AcceptsOnlyLoopback) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.255.3.4"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("128.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("127.0.0"));
  EXPECT_FALSE(IsLoopbackHost("127.1"));
  EXPECT_FALSE(IsLoopbackHost("0177.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("127.0.0.1.evil.com"));
  EXPECT_FALSE(IsLoopbackHost("127.0.0.256"));
  EXPECT_FALSE(IsLoopbackHost("localhost.evil.com"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("::2"));
  EXPECT_FALSE(IsLoopbackHost(""));
}

TEST(HttpResponseTest, HeaderIgnoresCase) {
  HttpResponse response;
  response.headers = {{"ETag", "\"abc\""}, {"etag", "second"}};
  EXPECT_EQ(response.Header("etag"), "\"abc\"");
  EXPECT_EQ(response.Header("missing"), std::nullopt);
}

// ---- A loopback HTTP server that answers with a handler ----

using Handler =
    std::function<http::response<http::string_body>(const http::request<http::string_body>&)>;

class TestServer {
 public:
  // `tls` is null for plain HTTP. `respond` false: accept, read, and never answer.
  explicit TestServer(Handler handler, ssl::context* tls = nullptr, bool respond = true)
      : handler_(std::move(handler)),
        tls_(tls),
        respond_(respond),
        acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Serve(); });
  }

  ~TestServer() {
    stopping_ = true;
    // Wakes the blocking accept with one last connection.
    beast::error_code ec;
    asio::io_context wake_ioc;
    tcp::socket wake(wake_ioc);
    wake.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    thread_.join();
  }

  uint16_t port() const { return port_; }

  std::string Url(std::string_view path) const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) +
           std::string(path);
  }

  http::request<http::string_body> last_request() {
    std::lock_guard lock(mutex_);
    return last_request_;
  }

 private:
  void Serve() {
    while (!stopping_) {
      tcp::socket socket(ioc_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) {
        return;
      }
      if (tls_) {
        ssl::stream<tcp::socket> stream(std::move(socket), *tls_);
        stream.handshake(ssl::stream_base::server, ec);
        if (!ec) {
          Answer(stream);
        }
      } else {
        Answer(socket);
      }
    }
  }

  template <typename Stream>
  void Answer(Stream& stream) {
    beast::flat_buffer buffer;
    http::request_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    beast::error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec) {
      return;
    }
    {
      std::lock_guard lock(mutex_);
      last_request_ = parser.get();
    }
    if (!respond_) {
      while (!stopping_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      return;
    }
    auto response = handler_(parser.get());
    if (response.find(http::field::content_length) == response.end()) {
      response.prepare_payload();
    }
    http::write(stream, response, ec);
  }

  Handler handler_;
  ssl::context* tls_;
  bool respond_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  http::request<http::string_body> last_request_;
  std::thread thread_;
};

http::response<http::string_body> Reply(http::status status, std::string body) {
  http::response<http::string_body> response(status, 11);
  response.body() = std::move(body);
  return response;
}

TransportOptions FastOptions() {
  TransportOptions options;
  options.connect_timeout = std::chrono::milliseconds(2000);
  options.io_timeout = std::chrono::milliseconds(2000);
  return options;
}

TEST(BeastTransportTest, SendsRequestAndReadsResponse) {
  TestServer server([](const auto& request) {
    auto response = Reply(http::status::created, "echo:" + request.body());
    response.set("ETag", "\"e1\"");
    return response;
  });
  auto transport = MakeBeastTransport(FastOptions());
  HttpRequest request{"PUT", server.Url("/bucket/key%20one?x=1"), {{"X-Custom", "v"}}, "hello"};
  const auto response = transport->Send(request);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "echo:hello");
  EXPECT_EQ(response->Header("etag"), "\"e1\"");

  const auto seen = server.last_request();
  EXPECT_EQ(seen.method_string(), "PUT");
  EXPECT_EQ(seen.target(), "/bucket/key%20one?x=1");
  EXPECT_EQ(seen["X-Custom"], "v");
  EXPECT_EQ(seen[http::field::host], "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(seen[http::field::content_length], "5");
}

TEST(BeastTransportTest, ErrorStatusIsAResult) {
  TestServer server([](const auto&) { return Reply(http::status::forbidden, "<Error/>"); });
  auto transport = MakeBeastTransport(FastOptions());
  const auto response = transport->Send({"GET", server.Url("/"), {}, ""});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 403);
  EXPECT_EQ(response->body, "<Error/>");
}

TEST(BeastTransportTest, HeadSkipsBody) {
  TestServer server([](const auto&) {
    http::response<http::string_body> response(http::status::ok, 11);
    response.content_length(12345);
    return response;
  });
  auto transport = MakeBeastTransport(FastOptions());
  const auto response = transport->Send({"HEAD", server.Url("/k"), {}, ""});
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->Header("Content-Length"), "12345");
  EXPECT_TRUE(response->body.empty());
}

TEST(BeastTransportTest, RejectsHeaderInjection) {
  auto transport = MakeBeastTransport(FastOptions());
  const auto response =
      transport->Send({"GET", "http://127.0.0.1:1/", {{"X-A", "v\r\nX-Evil: 1"}}, ""});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), ErrorCode::kInvalidArgument);
}

TEST(BeastTransportTest, CapsResponseBody) {
  TestServer server([](const auto&) { return Reply(http::status::ok, std::string(5000, 'x')); });
  TransportOptions options = FastOptions();
  options.max_response_body_bytes = 4096;
  auto transport = MakeBeastTransport(options);
  const auto response = transport->Send({"GET", server.Url("/"), {}, ""});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), ErrorCode::kUpstreamFailed);
}

TEST(BeastTransportTest, ConnectionRefusedIsUnavailable) {
  // Bind a port, then close it, so nothing listens there.
  uint16_t port = 0;
  {
    asio::io_context ioc;
    tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = acceptor.local_endpoint().port();
  }
  auto transport = MakeBeastTransport(FastOptions());
  const auto response =
      transport->Send({"GET", "http://127.0.0.1:" + std::to_string(port) + "/", {}, ""});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), ErrorCode::kUnavailable);
}

TEST(BeastTransportTest, SilentServerTimesOut) {
  TestServer server([](const auto&) { return Reply(http::status::ok, ""); }, nullptr,
                    /*respond=*/false);
  TransportOptions options = FastOptions();
  options.io_timeout = std::chrono::milliseconds(300);
  auto transport = MakeBeastTransport(options);
  const auto start = std::chrono::steady_clock::now();
  const auto response = transport->Send({"GET", server.Url("/"), {}, ""});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), ErrorCode::kDeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(BeastTransportTest, StreamsUploadAndDownload) {
  const std::string payload = [] {
    std::string bytes(300 * 1024 + 17, '\0');
    for (size_t i = 0; i < bytes.size(); ++i) {
      bytes[i] = static_cast<char>(i * 7 % 251);
    }
    return bytes;
  }();
  TestServer server([](const auto& request) { return Reply(http::status::ok, request.body()); });
  auto transport = MakeBeastTransport(FastOptions());

  size_t offset = 0;
  const BodySource source = [&](char* buffer, size_t capacity) -> Result<size_t> {
    const size_t count = std::min(capacity, payload.size() - offset);
    std::copy_n(payload.data() + offset, count, buffer);
    offset += count;
    return count;
  };
  std::string received;
  size_t sink_calls = 0;
  const BodySink sink = [&](std::string_view chunk) {
    received.append(chunk);
    ++sink_calls;
    return Status::Ok();
  };
  TransferProgress last;
  size_t progress_calls = 0;
  const ProgressCallback progress = [&](const TransferProgress& update) {
    EXPECT_GE(update.bytes_sent, last.bytes_sent);
    EXPECT_GE(update.bytes_received, last.bytes_received);
    last = update;
    ++progress_calls;
  };

  const auto response = transport->SendStreaming({"PUT", server.Url("/big"), {}, ""},
                                                 payload.size(), source, sink, progress);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->body.empty());
  EXPECT_EQ(received, payload);
  EXPECT_GT(sink_calls, 1u);
  EXPECT_GT(progress_calls, 2u);
  EXPECT_EQ(last.bytes_sent, payload.size());
  EXPECT_EQ(last.body_size, payload.size());
  EXPECT_EQ(last.bytes_received, payload.size());
  EXPECT_EQ(last.content_length, payload.size());
}

TEST(BeastTransportTest, StreamingKeepsErrorBodyOutOfSink) {
  TestServer server([](const auto&) { return Reply(http::status::forbidden, "denied"); });
  auto transport = MakeBeastTransport(FastOptions());
  bool sink_called = false;
  const auto response = transport->SendStreaming(
      {"GET", server.Url("/"), {}, ""}, 0, nullptr,
      [&](std::string_view) {
        sink_called = true;
        return Status::Ok();
      },
      nullptr);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 403);
  EXPECT_EQ(response->body, "denied");
  EXPECT_FALSE(sink_called);
}

TEST(BeastTransportTest, ShortSourceFails) {
  TestServer server([](const auto&) { return Reply(http::status::ok, ""); });
  auto transport = MakeBeastTransport(FastOptions());
  const BodySource empty_source = [](char*, size_t) -> Result<size_t> {
    return size_t{0};
  };
  const auto response = transport->SendStreaming({"PUT", server.Url("/"), {}, ""}, 10, empty_source,
                                                 nullptr, nullptr);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), ErrorCode::kInvalidArgument);
}

// ---- TLS ----

// Creates a self-signed certificate with the openssl command-line tool, for a loopback TLS
// server. Returns false when the tool is missing.
bool MakeCertificate(const std::filesystem::path& dir, const std::string& subject_alt_names) {
  std::filesystem::create_directories(dir);
  const std::string command =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=custody-test"
      " -addext subjectAltName=" +
      subject_alt_names + " -keyout " + (dir / "key.pem").string() + " -out " +
      (dir / "cert.pem").string() + " >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

class TlsTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("custody-tls-" + std::to_string(::getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
  }

  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<ssl::context> ServerContext(const std::string& alt_names) {
    if (!MakeCertificate(dir_, alt_names)) {
      return nullptr;
    }
    auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
    context->use_certificate_chain_file((dir_ / "cert.pem").string());
    context->use_private_key_file((dir_ / "key.pem").string(), ssl::context::pem);
    return context;
  }

  std::filesystem::path dir_;
};

TEST_F(TlsTest, UntrustedCertificateIsRejected) {
  auto context = ServerContext("IP:127.0.0.1");
  if (!context) {
    GTEST_SKIP() << "the openssl command-line tool is needed to make a test certificate";
  }
  TestServer server([](const auto&) { return Reply(http::status::ok, "secret"); }, context.get());
  auto transport = MakeBeastTransport(FastOptions());
  const auto response = transport->Send({"GET", server.Url("/"), {}, ""});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(response.status().message().find("TLS handshake"), std::string::npos)
      << response.status().message();
}

TEST_F(TlsTest, TrustedCertificateIsAccepted) {
  auto context = ServerContext("IP:127.0.0.1");
  if (!context) {
    GTEST_SKIP() << "the openssl command-line tool is needed to make a test certificate";
  }
  TestServer server([](const auto&) { return Reply(http::status::ok, "over tls"); }, context.get());
  TransportOptions options = FastOptions();
  options.ca_file = (dir_ / "cert.pem").string();
  auto transport = MakeBeastTransport(options);
  const auto response = transport->Send({"GET", server.Url("/"), {}, ""});
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->body, "over tls");
}

TEST_F(TlsTest, WrongHostNameIsRejected) {
  // Trusted, but issued for another name than the 127.0.0.1 the client connects to.
  auto context = ServerContext("DNS:s3.example.com");
  if (!context) {
    GTEST_SKIP() << "the openssl command-line tool is needed to make a test certificate";
  }
  TestServer server([](const auto&) { return Reply(http::status::ok, "secret"); }, context.get());
  TransportOptions options = FastOptions();
  options.ca_file = (dir_ / "cert.pem").string();
  auto transport = MakeBeastTransport(options);
  const auto response = transport->Send({"GET", server.Url("/"), {}, ""});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), ErrorCode::kUnavailable);
}

TEST(BeastTransportTest, MissingCaFileFailsEveryCall) {
  TransportOptions options = FastOptions();
  options.ca_file = "/nonexistent/ca.pem";
  auto transport = MakeBeastTransport(options);
  const auto response = transport->Send({"GET", "https://127.0.0.1:1/", {}, ""});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace custody::aws
