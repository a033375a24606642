// Tests of the listener over real loopback sockets, with a small blocking client written
// against the socket API so that the client side shares no code with the server.
#include "custody/http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "custody/common/log.h"
#include "custody/http/message.h"
#include "custody/http/metrics.h"
#include "custody/http/router.h"

namespace custody::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

struct ParsedResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool complete = false;
};

std::string ToLower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return text;
}

// A blocking client connection with a receive timeout.
class Client {
 public:
  explicit Client(uint16_t port, milliseconds timeout = milliseconds(5000)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  }

  ~Client() { ::close(fd_); }

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  bool Send(const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        return false;
      }
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  // Reads one response framed by Content-Length, or only its header when `has_body` is false
  // (the response to HEAD). `complete` is false on timeout or close.
  ParsedResponse Read(bool has_body = true) {
    ParsedResponse response;
    size_t header_end = std::string::npos;
    while ((header_end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) {
        return response;
      }
    }
    const std::string head = pending_.substr(0, header_end);
    pending_.erase(0, header_end + 4);

    size_t line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    response.status = std::stoi(status_line.substr(9, 3));
    while (line_end != std::string::npos) {
      const size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line = head.substr(start, line_end - start);
      const size_t colon = line.find(':');
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') {
        value.erase(0, 1);
      }
      response.headers[ToLower(line.substr(0, colon))] = value;
    }
    if (response.status == 100) {
      response.complete = true;
      return response;
    }
    const size_t length = has_body && response.headers.count("content-length") != 0
                              ? std::stoul(response.headers["content-length"])
                              : 0;
    while (pending_.size() < length) {
      if (!Fill()) {
        return response;
      }
    }
    response.body = pending_.substr(0, length);
    pending_.erase(0, length);
    response.complete = true;
    return response;
  }

  // Returns true when the server closes the connection (or resets it) before `timeout`.
  bool WaitForClose(milliseconds timeout) {
    const auto deadline = steady_clock::now() + timeout;
    while (steady_clock::now() < deadline) {
      char byte = 0;
      const ssize_t n = ::recv(fd_, &byte, 1, 0);
      if (n == 0) {
        return true;
      }
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        return true;
      }
    }
    return false;
  }

 private:
  bool Fill() {
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      return false;
    }
    pending_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;
};

std::string Get(const std::string& target, const std::string& extra_headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: test\r\n" + extra_headers + "\r\n";
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("GET", "/hello", [](Request&) { return TextResponse(200, "text/plain", "hi"); });
    router_.Add("POST", "/echo", [](Request& request) {
      return TextResponse(200, "application/octet-stream", request.body);
    });
    router_.Add("GET", "/items/{item_id}", [](Request& request) {
      return TextResponse(
          200, "text/plain",
          request.PathParam("item_id") + "|" + request.QueryParam("q").value_or(""));
    });
    router_.Add("GET", "/throw",
                [](Request&) -> Response { throw std::runtime_error("handler failure"); });
    router_.Add("GET", "/slow", [this](Request&) {
      slow_started_ = true;
      std::this_thread::sleep_for(milliseconds(slow_ms_));
      return TextResponse(200, "text/plain", "done");
    });
    options_.address = "127.0.0.1";
    options_.port = 0;
    options_.worker_threads = 4;
    options_.max_body_bytes = 1024;
    options_.header_timeout = milliseconds(500);
    options_.body_timeout = milliseconds(1000);
    options_.idle_timeout = milliseconds(2000);
    options_.shutdown_timeout = milliseconds(3000);
  }

  void StartServer() {
    server_ = std::make_unique<Server>(options_, router_, metrics_);
    const Status status = server_->Start();
    ASSERT_TRUE(status.ok()) << status.ToString();
    ASSERT_NE(server_->port(), 0);
  }

  void TearDown() override {
    if (server_) {
      server_->Stop();
    }
  }

  Router router_;
  Metrics metrics_;
  ServerOptions options_;
  std::unique_ptr<Server> server_;
  std::atomic<bool> slow_started_{false};
  int slow_ms_ = 300;
};

TEST_F(ServerTest, ServesRequestWithSecurityHeaders) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(Get("/hello")));
  ParsedResponse response = client.Read();
  ASSERT_TRUE(response.complete);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hi");
  EXPECT_EQ(response.headers.count("date"), 0u);
  EXPECT_EQ(response.headers["x-content-type-options"], "nosniff");
  EXPECT_EQ(response.headers["referrer-policy"], "no-referrer");
  EXPECT_EQ(response.headers["cache-control"], "no-store");
  EXPECT_EQ(response.headers["x-request-id"].size(), 22u);
}

TEST_F(ServerTest, EchoesValidRequestIdOnly) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send(Get("/hello", "X-Request-Id: trace-123.abc_Z\r\n")));
  ParsedResponse valid = client.Read();
  ASSERT_TRUE(valid.complete);
  EXPECT_EQ(valid.headers["x-request-id"], "trace-123.abc_Z");

  ASSERT_TRUE(client.Send(Get("/nowhere", "X-Request-Id: trace-123.abc_Z\r\n")));
  ParsedResponse not_found = client.Read();
  ASSERT_TRUE(not_found.complete);
  EXPECT_EQ(not_found.status, 404);
  EXPECT_EQ(not_found.headers["x-request-id"], "trace-123.abc_Z");

  ASSERT_TRUE(client.Send(Get("/hello", "X-Request-Id: bad id with spaces\r\n")));
  ParsedResponse invalid = client.Read();
  ASSERT_TRUE(invalid.complete);
  EXPECT_NE(invalid.headers["x-request-id"], "bad id with spaces");
  EXPECT_EQ(invalid.headers["x-request-id"].size(), 22u);

  ASSERT_TRUE(client.Send(Get("/hello", "X-Request-Id: " + std::string(65, 'a') + "\r\n")));
  ParsedResponse too_long = client.Read();
  ASSERT_TRUE(too_long.complete);
  EXPECT_EQ(too_long.headers["x-request-id"].size(), 22u);
}

TEST_F(ServerTest, NotFoundResponsesAreByteIdentical) {
  StartServer();
  Client client(server_->port());
  const std::string headers = "X-Request-Id: same\r\nAuthorization: Bearer token\r\n";
  ASSERT_TRUE(client.Send(Get("/api/v1/evidence/evd_a", headers)));
  ParsedResponse first = client.Read();
  ASSERT_TRUE(client.Send(Get("/other/path", headers)));
  ParsedResponse second = client.Read();
  ASSERT_TRUE(first.complete);
  ASSERT_TRUE(second.complete);
  EXPECT_EQ(first.status, 404);
  EXPECT_EQ(first.headers, second.headers);
  EXPECT_EQ(first.body, second.body);
}

TEST_F(ServerTest, MethodNotAllowedCarriesAllow) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send("DELETE /hello HTTP/1.1\r\nHost: t\r\n\r\n"));
  ParsedResponse response = client.Read();
  ASSERT_TRUE(response.complete);
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers["allow"], "GET");
  EXPECT_EQ(response.headers["content-type"], "application/problem+json");
}

TEST_F(ServerTest, MissingBearerTokenGets401First) {
  std::mutex mutex;
  std::vector<ErrorCode> reported;
  options_.on_rejected = [&](const Request&, const Status& rejection) {
    std::lock_guard lock(mutex);
    reported.push_back(rejection.code());
    return Status::Ok();
  };
  router_.Add("GET", "/api/v1/things",
              [](Request&) { return TextResponse(200, "text/plain", ""); });
  StartServer();

  struct Case {
    std::string name;
    std::string request;
  };

  const std::vector<Case> cases = {
      {"repeated query parameter", Get("/api/v1/things?a=1&a=2")},
      {"wrong method", "DELETE /api/v1/things HTTP/1.1\r\nHost: t\r\n\r\n"},
      {"percent-encoded path", "DELETE /api/v1/%74hings HTTP/1.1\r\nHost: t\r\n\r\n"},
      {"invalid percent-encoding", Get("/api/v1/things%zz")},
      {"unknown path", Get("/api/v1/nowhere")},
      {"prefix itself", Get("/api/v1?a=1&a=2")},
      {"Basic scheme", Get("/api/v1/things?a=1&a=2", "Authorization: Basic dXNlcjpwdw==\r\n")},
      {"scheme without token", Get("/api/v1/things?a=1&a=2", "Authorization: Bearer  \r\n")},
      {"two Authorization fields",
       Get("/api/v1/things?a=1&a=2", "Authorization: Bearer a\r\nAuthorization: Bearer b\r\n")},
  };
  Client client(server_->port());
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    ASSERT_TRUE(client.Send(test_case.request));
    ParsedResponse response = client.Read();
    ASSERT_TRUE(response.complete);
    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(response.headers["www-authenticate"], "Bearer");
    EXPECT_EQ(response.headers["content-type"], "application/problem+json");
  }
  std::lock_guard lock(mutex);
  EXPECT_EQ(reported, std::vector<ErrorCode>(cases.size(), ErrorCode::kUnauthenticated));
}

TEST_F(ServerTest, BearerTokenLetsOtherChecksRun) {
  router_.Add("GET", "/api/v1/things",
              [](Request&) { return TextResponse(200, "text/plain", ""); });
  StartServer();
  Client client(server_->port());
  const std::string token = "Authorization: bearer not-checked-here\r\n";
  ASSERT_TRUE(client.Send(Get("/api/v1/things?a=1&a=2", token)));
  ParsedResponse repeated = client.Read();
  ASSERT_TRUE(repeated.complete);
  EXPECT_EQ(repeated.status, 400);

  ASSERT_TRUE(client.Send("DELETE /api/v1/things HTTP/1.1\r\nHost: t\r\n" + token + "\r\n"));
  ParsedResponse wrong_method = client.Read();
  ASSERT_TRUE(wrong_method.complete);
  EXPECT_EQ(wrong_method.status, 405);

  ASSERT_TRUE(client.Send(Get("/api/v1/things", token)));
  ParsedResponse routed = client.Read();
  ASSERT_TRUE(routed.complete);
  EXPECT_EQ(routed.status, 200);
}

TEST_F(ServerTest, PathsOutsidePrefixNeedNoToken) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send(Get("/hello")));
  EXPECT_EQ(client.Read().status, 200);
  ASSERT_TRUE(client.Send("DELETE /hello HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_EQ(client.Read().status, 405);
  ASSERT_TRUE(client.Send(Get("/api/v10/things")));
  EXPECT_EQ(client.Read().status, 404);
  ASSERT_TRUE(client.Send(Get("/items/1?q=a&q=b")));
  EXPECT_EQ(client.Read().status, 400);
}

TEST_F(ServerTest, EmptyPrefixTurnsTokenCheckOff) {
  options_.bearer_token_path_prefix = "";
  router_.Add("GET", "/api/v1/things",
              [](Request&) { return TextResponse(200, "text/plain", ""); });
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send("DELETE /api/v1/things HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_EQ(client.Read().status, 405);
  ASSERT_TRUE(client.Send(Get("/api/v1/things")));
  EXPECT_EQ(client.Read().status, 200);
}

TEST_F(ServerTest, PathParamsAndQuery) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send(Get("/items/a%2Fb?q=x%20y")));
  ParsedResponse response = client.Read();
  ASSERT_TRUE(response.complete);
  EXPECT_EQ(response.body, "a/b|x y");

  ASSERT_TRUE(client.Send(Get("/items/1?q=a&q=b")));
  ParsedResponse repeated = client.Read();
  ASSERT_TRUE(repeated.complete);
  EXPECT_EQ(repeated.status, 400);
  EXPECT_NE(repeated.body.find(R"("field":"q")"), std::string::npos);
}

TEST_F(ServerTest, KeepAliveServesManyRequests) {
  StartServer();
  Client client(server_->port());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(client.Send(Get("/hello")));
    ParsedResponse response = client.Read();
    ASSERT_TRUE(response.complete);
    EXPECT_EQ(response.status, 200);
  }
}

TEST_F(ServerTest, EchoesBodyAndCountsBytes) {
  StartServer();
  Client client(server_->port());
  const std::string body(1000, 'x');
  ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + body));
  ParsedResponse response = client.Read();
  ASSERT_TRUE(response.complete);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, body);

  ASSERT_TRUE(
      client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  ParsedResponse chunked = client.Read();
  ASSERT_TRUE(chunked.complete);
  EXPECT_EQ(chunked.body, "hello world");
  EXPECT_GE(metrics_.request_body_bytes(), 1011u);
  EXPECT_EQ(metrics_.response_body_bytes(), 1011u);
  EXPECT_EQ(metrics_.requests(2), 2u);
}

TEST_F(ServerTest, ExpectContinue) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  ParsedResponse interim = client.Read();
  ASSERT_TRUE(interim.complete);
  EXPECT_EQ(interim.status, 100);
  ASSERT_TRUE(client.Send("data"));
  ParsedResponse response = client.Read();
  ASSERT_TRUE(response.complete);
  EXPECT_EQ(response.body, "data");
}

TEST_F(ServerTest, HugeContentLengthRejectedWithoutReadingBody) {
  StartServer();
  const uint64_t before = metrics_.request_body_bytes();
  Client client(server_->port());
  const auto start = steady_clock::now();
  ASSERT_TRUE(client.Send(
      "PUT /echo HTTP/1.1\r\nHost: t\r\nX-Request-Id: big-1\r\nContent-Length: 104857600\r\n\r\n" +
      std::string(2000, 'z')));
  ParsedResponse response = client.Read();
  const auto elapsed = steady_clock::now() - start;
  ASSERT_TRUE(response.complete);
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(response.headers["content-type"], "application/problem+json");
  EXPECT_EQ(response.headers["x-request-id"], "big-1");
  EXPECT_EQ(response.headers["connection"], "close");
  EXPECT_LT(elapsed, milliseconds(2000));
  EXPECT_TRUE(client.WaitForClose(milliseconds(3000)));

  // The server read only the bytes the client sent, not the declared 100 MB.
  const uint64_t read = metrics_.request_body_bytes() - before;
  EXPECT_LE(read, 2000u);
  EXPECT_EQ(metrics_.requests(4), 1u);
}

TEST_F(ServerTest, ChunkedBodyOverLimitRejected) {
  StartServer();
  Client client(server_->port());
  std::string request = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) {
    request += "200\r\n" + std::string(512, 'c') + "\r\n";
  }
  ASSERT_TRUE(client.Send(request));
  ParsedResponse response = client.Read();
  ASSERT_TRUE(response.complete);
  EXPECT_EQ(response.status, 413);
  EXPECT_GE(metrics_.request_body_bytes(), 1024u);
}

TEST_F(ServerTest, RejectionReportedBeforeResponse) {
  std::mutex mutex;
  std::vector<std::pair<std::string, ErrorCode>> reported;  // request id, rejection code
  options_.on_rejected = [&](const Request& request, const Status& rejection) {
    std::lock_guard lock(mutex);
    reported.emplace_back(request.request_id, rejection.code());
    EXPECT_EQ(request.headers.Get("Authorization"), "Bearer token");
    EXPECT_TRUE(request.body.empty());
    return Status::Ok();
  };
  StartServer();

  Client large(server_->port());
  ASSERT_TRUE(large.Send(
      "PUT /echo HTTP/1.1\r\nHost: t\r\nX-Request-Id: big-2\r\nAuthorization: Bearer token\r\n"
      "Content-Length: 104857600\r\n\r\n"));
  ASSERT_EQ(large.Read().status, 413);
  Client bad_target(server_->port());
  ASSERT_TRUE(bad_target.Send(
      Get("/items/%00x", "X-Request-Id: nul-1\r\nAuthorization: Bearer token\r\n")));
  ASSERT_EQ(bad_target.Read().status, 400);
  Client routed(server_->port());
  ASSERT_TRUE(routed.Send(Get("/hello", "Authorization: Bearer token\r\n")));
  ASSERT_EQ(routed.Read().status, 200);

  std::lock_guard lock(mutex);
  ASSERT_EQ(reported.size(), 2u);
  EXPECT_EQ(reported[0], std::make_pair(std::string("big-2"), ErrorCode::kPayloadTooLarge));
  EXPECT_EQ(reported[1], std::make_pair(std::string("nul-1"), ErrorCode::kInvalidArgument));
}

TEST_F(ServerTest, FailedRejectionReportReplacesResponse) {
  options_.on_rejected = [](const Request&, const Status&) {
    return Unavailable("the audit log cannot be written");
  };
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n"));
  const ParsedResponse response = client.Read();
  ASSERT_TRUE(response.complete);
  EXPECT_EQ(response.status, 503);
  EXPECT_NE(response.body.find("audit log"), std::string::npos) << response.body;
}

TEST_F(ServerTest, MalformedRequestGets400) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send("NOT A REQUEST\r\n\r\n"));
  ParsedResponse response = client.Read();
  ASSERT_TRUE(response.complete);
  EXPECT_EQ(response.status, 400);
  EXPECT_TRUE(client.WaitForClose(milliseconds(3000)));
}

TEST_F(ServerTest, ContentLengthWithChunkedRejected) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n0\r\n\r\n"));
  ParsedResponse response = client.Read();
  ASSERT_TRUE(response.complete);
  EXPECT_EQ(response.status, 400);
}

TEST_F(ServerTest, OversizedHeaderGets431) {
  options_.max_header_bytes = 1024;
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send(Get("/hello", "X-Filler: " + std::string(4000, 'f') + "\r\n")));
  ParsedResponse response = client.Read();
  ASSERT_TRUE(response.complete);
  EXPECT_EQ(response.status, 431);
  EXPECT_EQ(response.headers["content-type"], "application/problem+json");
  EXPECT_NE(response.body.find("urn:custody:problem:header-fields-too-large"), std::string::npos)
      << response.body;
  EXPECT_NE(response.body.find("limit of 1024 bytes"), std::string::npos) << response.body;
  EXPECT_EQ(response.body.find("\"field\""), std::string::npos) << response.body;
  EXPECT_TRUE(client.WaitForClose(milliseconds(3000)));
}

TEST_F(ServerTest, HeaderLimitCoversRequestLineAndFields) {
  options_.max_header_bytes = 1024;
  StartServer();
  // Each part fits the limit alone; together they do not.
  const std::string target = "/items/" + std::string(600, 'a');
  Client client(server_->port());
  ASSERT_TRUE(client.Send(Get(target, "X-Filler: " + std::string(600, 'f') + "\r\n")));
  ParsedResponse response = client.Read();
  ASSERT_TRUE(response.complete);
  EXPECT_EQ(response.status, 431);

  Client small(server_->port());
  ASSERT_TRUE(small.Send(Get(target, "X-Filler: " + std::string(200, 'f') + "\r\n")));
  ParsedResponse fits = small.Read();
  ASSERT_TRUE(fits.complete);
  EXPECT_EQ(fits.status, 200);
}

TEST_F(ServerTest, LongRequestTargetGets414) {
  options_.max_header_bytes = 1024;
  StartServer();
  for (const size_t length : {size_t{1100}, size_t{4000}, size_t{40000}}) {
    SCOPED_TRACE(length);
    Client client(server_->port());
    ASSERT_TRUE(client.Send(Get("/items/" + std::string(length, 'a'))));
    ParsedResponse response = client.Read();
    ASSERT_TRUE(response.complete);
    EXPECT_EQ(response.status, 414);
    EXPECT_EQ(response.headers["content-type"], "application/problem+json");
    EXPECT_NE(response.body.find("urn:custody:problem:uri-too-long"), std::string::npos)
        << response.body;
    EXPECT_NE(response.body.find("limit of 1024 bytes"), std::string::npos) << response.body;
    EXPECT_EQ(response.headers["x-request-id"].size(), 22u);
    EXPECT_TRUE(client.WaitForClose(milliseconds(3000)));
  }
}

TEST_F(ServerTest, SlowHeaderTimesOut) {
  StartServer();
  Client client(server_->port());
  const auto start = steady_clock::now();
  ASSERT_TRUE(client.Send("GET /hello HTTP/1.1\r\n"));
  // Keep sending a header byte every 100 ms: each byte arrives well within any per-read
  // timeout, so only a deadline for the whole header closes the connection.
  bool closed = false;
  for (int i = 0; i < 30 && !closed; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    closed = !client.Send("X");
  }
  if (!closed) {
    closed = client.WaitForClose(milliseconds(2000));
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(steady_clock::now() - start, milliseconds(2500));
}

TEST_F(ServerTest, SlowBodyTimesOut) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nab"));
  EXPECT_TRUE(client.WaitForClose(milliseconds(3000)));
}

TEST_F(ServerTest, HandlerExceptionGives500AndServerSurvives) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send(Get("/throw")));
  ParsedResponse failed = client.Read();
  ASSERT_TRUE(failed.complete);
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(failed.body.find("handler failure"), std::string::npos);

  ASSERT_TRUE(client.Send(Get("/hello")));
  ParsedResponse after = client.Read();
  ASSERT_TRUE(after.complete);
  EXPECT_EQ(after.status, 200);

  Client other(server_->port());
  ASSERT_TRUE(other.Send(Get("/hello")));
  EXPECT_EQ(other.Read().status, 200);
}

TEST_F(ServerTest, ConcurrentRequests) {
  // Each handler waits until all four are running at once, which only happens when the
  // workers run them side by side; run one after another, each would give up after 5 s.
  constexpr int kClients = 4;
  std::atomic<int> arrived{0};
  router_.Add("GET", "/rendezvous", [&arrived](Request&) {
    ++arrived;
    const auto deadline = steady_clock::now() + milliseconds(5000);
    while (arrived.load() < kClients && steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    return TextResponse(arrived.load() >= kClients ? 200 : 503, "text/plain", "");
  });
  StartServer();
  std::vector<std::thread> threads;
  std::atomic<int> successes{0};
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&] {
      Client client(server_->port());
      if (client.Send(Get("/rendezvous")) && client.Read().status == 200) {
        ++successes;
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(successes.load(), kClients);
}

TEST_F(ServerTest, ManyConcurrentClients) {
  StartServer();
  constexpr int kThreads = 8;
  constexpr int kRequestsEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> successes{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      Client client(server_->port());
      for (int j = 0; j < kRequestsEach; ++j) {
        if (client.Send(Get("/hello")) && client.Read().status == 200) {
          ++successes;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(successes.load(), kThreads * kRequestsEach);
}

TEST_F(ServerTest, StopFinishesRequestInFlight) {
  slow_ms_ = 500;
  StartServer();
  Client idle(server_->port());
  ASSERT_TRUE(idle.Send(Get("/hello")));
  ASSERT_EQ(idle.Read().status, 200);

  Client busy(server_->port());
  ASSERT_TRUE(busy.Send(Get("/slow")));
  while (!slow_started_) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  const auto start = steady_clock::now();
  std::thread stopper([this] { server_->Stop(); });

  ParsedResponse response = busy.Read();
  ASSERT_TRUE(response.complete);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "done");
  EXPECT_EQ(response.headers["connection"], "close");
  stopper.join();
  // Stop waited for the handler, not for the idle connection's keep-alive timeout.
  EXPECT_LT(steady_clock::now() - start, milliseconds(2000));
  EXPECT_TRUE(idle.WaitForClose(milliseconds(1000)));

  Client late(server_->port(), milliseconds(500));
  EXPECT_FALSE(late.connected());
}

TEST_F(ServerTest, StopBoundedWhenClientStalls) {
  options_.shutdown_timeout = milliseconds(300);
  options_.body_timeout = milliseconds(10000);
  StartServer();
  Client stalled(server_->port());
  ASSERT_TRUE(stalled.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nab"));
  std::this_thread::sleep_for(milliseconds(100));
  const auto start = steady_clock::now();
  server_->Stop();
  EXPECT_LT(steady_clock::now() - start, milliseconds(2000));
}

TEST_F(ServerTest, BindFailureReported) {
  StartServer();
  ServerOptions same = options_;
  same.port = server_->port();
  Server second(same, router_, metrics_);
  const Status status = second.Start();
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable);
  EXPECT_NE(status.message().find("cannot listen on 127.0.0.1:"), std::string::npos);
}

TEST_F(ServerTest, InvalidAddressReported) {
  options_.address = "localhost";
  Server server(options_, router_, metrics_);
  const Status status = server.Start();
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace custody::http

namespace custody::http {
namespace {

TEST_F(ServerTest, ConnectionLimitClosesExtraConnections) {
  options_.max_connections = 2;
  StartServer();
  auto first = std::make_unique<Client>(server_->port());
  Client second(server_->port());
  ASSERT_TRUE(first->Send(Get("/hello")));
  ASSERT_EQ(first->Read().status, 200);
  ASSERT_TRUE(second.Send(Get("/hello")));
  ASSERT_EQ(second.Read().status, 200);

  Client third(server_->port());
  EXPECT_TRUE(third.WaitForClose(milliseconds(2000)));
  EXPECT_EQ(metrics_.rejected_connections(), 1u);

  // Once a connection closes, there is room again.
  first.reset();
  bool served = false;
  const auto deadline = steady_clock::now() + milliseconds(3000);
  while (!served && steady_clock::now() < deadline) {
    Client fourth(server_->port());
    served = fourth.Send(Get("/hello")) && fourth.Read().status == 200;
    if (!served) {
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  EXPECT_TRUE(served);
}

TEST_F(ServerTest, IdleKeepAliveConnectionCloses) {
  options_.idle_timeout = milliseconds(300);
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send(Get("/hello")));
  ASSERT_EQ(client.Read().status, 200);
  const auto start = steady_clock::now();
  EXPECT_TRUE(client.WaitForClose(milliseconds(3000)));
  EXPECT_LT(steady_clock::now() - start, milliseconds(2000));
}

TEST_F(ServerTest, Http10ClosesAfterResponse) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send("GET /hello HTTP/1.0\r\n\r\n"));
  ParsedResponse response = client.Read();
  ASSERT_TRUE(response.complete);
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(client.WaitForClose(milliseconds(2000)));
}

TEST_F(ServerTest, HeadResponseHasNoBody) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n"));
  ParsedResponse head = client.Read(/*has_body=*/false);
  ASSERT_TRUE(head.complete);
  EXPECT_EQ(head.status, 405);
  EXPECT_NE(head.headers["content-length"], "0");
  // The next response starts right after the header, so no body bytes were sent.
  ASSERT_TRUE(client.Send(Get("/hello")));
  ParsedResponse next = client.Read();
  ASSERT_TRUE(next.complete);
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body, "hi");
}

TEST_F(ServerTest, ConflictingContentLengthsRejected) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(
      client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
                  "hello!"));
  ParsedResponse response = client.Read();
  ASSERT_TRUE(response.complete);
  EXPECT_EQ(response.status, 400);
}

TEST_F(ServerTest, LogsOmitQueryCredentialsAndBodies) {
  std::ostringstream captured;
  log::Init(log::Level::kTrace, &captured);
  StartServer();
  {
    Client client(server_->port());
    ASSERT_TRUE(
        client.Send("POST /echo?X-Amz-Signature=query-secret HTTP/1.1\r\nHost: t\r\n"
                    "Authorization: Bearer cst_token-secret\r\nCookie: session=cookie-secret\r\n"
                    "Content-Length: 11\r\n\r\nbody-secret"));
    ParsedResponse response = client.Read();
    ASSERT_TRUE(response.complete);
    EXPECT_EQ(response.body, "body-secret");
  }
  server_->Stop();
  log::Init(log::Level::kInfo);

  const std::string text = captured.str();
  EXPECT_NE(text.find(R"("path":"/echo")"), std::string::npos) << text;
  for (const std::string secret :
       {"query-secret", "X-Amz-Signature", "token-secret", "cookie-secret", "body-secret"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " leaked into:\n" << text;
  }
}

}  // namespace
}  // namespace custody::http
