#include "custody/http/metrics.h"

namespace custody::http {

void Metrics::CountResponse(int status, uint64_t body_bytes) {
  const int status_class = status / 100;
  if (status_class >= 1 && status_class <= 5) {
    requests_by_class_[static_cast<size_t>(status_class - 1)].fetch_add(1);
  }
  response_body_bytes_.fetch_add(body_bytes);
}

uint64_t Metrics::requests(int status_class) const {
  if (status_class < 1 || status_class > 5) {
    return 0;
  }
  return requests_by_class_[static_cast<size_t>(status_class - 1)].load();
}

std::string Metrics::RenderPrometheus() const {
  std::string text;
  text += "# HELP custody_http_requests_total HTTP responses sent, by status class.\n";
  text += "# TYPE custody_http_requests_total counter\n";
  for (int status_class = 1; status_class <= 5; ++status_class) {
    text += "custody_http_requests_total{class=\"" + std::to_string(status_class) + "xx\"} " +
            std::to_string(requests(status_class)) + "\n";
  }
  text +=
      "# HELP custody_http_request_body_bytes_total Request body bytes read from client "
      "sockets, including bodies of rejected requests.\n";
  text += "# TYPE custody_http_request_body_bytes_total counter\n";
  text += "custody_http_request_body_bytes_total " + std::to_string(request_body_bytes()) + "\n";
  text += "# HELP custody_http_response_body_bytes_total Response body bytes sent.\n";
  text += "# TYPE custody_http_response_body_bytes_total counter\n";
  text += "custody_http_response_body_bytes_total " + std::to_string(response_body_bytes()) + "\n";
  text += "# HELP custody_http_open_connections Client connections currently open.\n";
  text += "# TYPE custody_http_open_connections gauge\n";
  text += "custody_http_open_connections " + std::to_string(open_connections()) + "\n";
  text +=
      "# HELP custody_http_rejected_connections_total Connections closed at accept because "
      "the server had its maximum number open.\n";
  text += "# TYPE custody_http_rejected_connections_total counter\n";
  text +=
      "custody_http_rejected_connections_total " + std::to_string(rejected_connections()) + "\n";
  for (const std::function<std::string()>& render : sources_) {
    text += render();
  }
  return text;
}

}  // namespace custody::http
