// Test double for HttpTransport. It records every request and returns what a handler builds.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "custody/aws/http_transport.h"

namespace custody::aws::testing {

class FakeTransport final : public HttpTransport {
 public:
  using Handler = std::function<Result<HttpResponse>(const HttpRequest&)>;

  explicit FakeTransport(Handler handler) : handler_(std::move(handler)) {}

  Result<HttpResponse> Send(const HttpRequest& request) override {
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    ++calls_;
    return handler_(request);
  }

  int calls() const { return calls_.load(); }

  std::vector<HttpRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  Handler handler_;
  std::atomic<int> calls_{0};
  mutable std::mutex mutex_;
  std::vector<HttpRequest> requests_;
};

inline HttpResponse Respond(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

}  // namespace custody::aws::testing
