// Counters of the HTTP layer, updated lock-free from any thread and exported as Prometheus text
// at /metrics.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace custody::http {

class Metrics {
 public:
  // Counts one response by status class (1xx to 5xx) and its body bytes.
  void CountResponse(int status, uint64_t body_bytes);

  // Counts request body bytes read from a socket, including those of rejected requests.
  void AddRequestBodyBytes(uint64_t bytes) { request_body_bytes_.fetch_add(bytes); }

  void ConnectionOpened() { open_connections_.fetch_add(1); }

  void ConnectionClosed() { open_connections_.fetch_sub(1); }

  void ConnectionRejected() { rejected_connections_.fetch_add(1); }

  uint64_t requests(int status_class) const;  // status_class 1 to 5

  uint64_t request_body_bytes() const { return request_body_bytes_.load(); }

  uint64_t response_body_bytes() const { return response_body_bytes_.load(); }

  int64_t open_connections() const { return open_connections_.load(); }

  uint64_t rejected_connections() const { return rejected_connections_.load(); }

  // Adds the metrics of another module, rendered by `render` in the same text format, to the
  // end of RenderPrometheus. Call before the server starts: sources are not locked.
  void AddSource(std::function<std::string()> render) { sources_.push_back(std::move(render)); }

  // Returns the counters in the Prometheus text exposition format (version 0.0.4).
  std::string RenderPrometheus() const;

 private:
  std::array<std::atomic<uint64_t>, 5> requests_by_class_{};
  std::atomic<uint64_t> request_body_bytes_{0};
  std::atomic<uint64_t> response_body_bytes_{0};
  std::atomic<int64_t> open_connections_{0};
  std::atomic<uint64_t> rejected_connections_{0};
  std::vector<std::function<std::string()>> sources_;
};

}  // namespace custody::http
