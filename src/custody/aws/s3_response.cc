#include "custody/aws/s3_response.h"

#include <ctime>

#include "custody/aws/xml.h"

namespace custody::aws::internal {
namespace {

constexpr size_t kMaxErrorText = 256;

}  // namespace

Status S3ErrorStatus(std::string_view operation, const HttpResponse& response,
                     bool not_found_on_405) {
  std::string_view error = response.body;
  std::string_view inner;
  if (xml::FindElement(response.body, "Error", &inner) == xml::Lookup::kFound) {
    error = inner;
  }
  const std::string code = xml::TextOrEmpty(error, "Code", kMaxErrorText);
  const std::string message = xml::TextOrEmpty(error, "Message", kMaxErrorText);
  std::string text =
      std::string(operation) + " failed with HTTP " + std::to_string(response.status);
  if (!code.empty()) {
    text += " " + code;
  }
  if (!message.empty()) {
    text += ": " + message;
  }
  if (response.status == 404 || (not_found_on_405 && response.status == 405)) {
    return NotFound(text);
  }
  if (response.status >= 500 || code == "SlowDown") {
    return Unavailable(text);
  }
  return UpstreamFailed(text);
}

std::string Unquote(std::string value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    return value.substr(1, value.size() - 2);
  }
  return value;
}

std::string Iso8601(SystemTime time) {
  const std::time_t seconds = static_cast<std::time_t>(ToUnixSeconds(time));
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace custody::aws::internal
