#include <array>
#include <charconv>

#include "custody/aws/http_transport.h"

namespace custody::aws {
namespace {

char LowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool IsHostNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

bool IsIpv6Char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.';
}

// Dotted-decimal IPv4 only: four parts of 1 to 3 digits, no leading zeros, each <= 255, so
// "127.1" and "0177.0.0.1" are not taken for loopback addresses.
bool ParseIpv4(std::string_view text, uint8_t* first_octet) {
  std::array<std::string_view, 4> parts;
  size_t count = 0;
  size_t start = 0;
  while (true) {
    if (count == parts.size()) {
      return false;
    }
    const size_t end = text.find('.', start);
    parts[count++] = text.substr(start, end == std::string_view::npos ? end : end - start);
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
  }
  if (count != parts.size()) {
    return false;
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string_view part = parts[i];
    if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0')) {
      return false;
    }
    unsigned value = 0;
    const auto [ptr, error] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (error != std::errc() || ptr != part.data() + part.size() || value > 255) {
      return false;
    }
    if (i == 0) {
      *first_octet = static_cast<uint8_t>(value);
    }
  }
  return true;
}

Status UrlError(std::string_view what, std::string_view url) {
  return InvalidArgument("invalid URL \"" + std::string(url) + "\": " + std::string(what));
}

}  // namespace

std::string Url::HostHeader() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const uint16_t default_port = scheme == "https" ? 443 : 80;
  if (port != default_port) {
    out += ':' + std::to_string(port);
  }
  return out;
}

std::string Url::Target() const {
  return has_query ? path + "?" + query : path;
}

std::string Url::Origin() const {
  return scheme + "://" + HostHeader();
}

Result<Url> ParseUrl(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) {
      return UrlError("contains whitespace, a control character or a non-ASCII byte", text);
    }
  }

  Url url;
  const size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    return UrlError("missing scheme (expected http:// or https://)", text);
  }
  for (char c : text.substr(0, scheme_end)) {
    url.scheme += LowerAscii(c);
  }
  if (url.scheme != "http" && url.scheme != "https") {
    return UrlError("scheme must be http or https", text);
  }

  const std::string_view rest = text.substr(scheme_end + 3);
  const size_t authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return UrlError("must not contain user information", text);
  }

  std::string_view host;
  std::string_view port;
  bool has_port_separator = false;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return UrlError("unterminated IPv6 address", text);
    }
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        return UrlError("unexpected characters after the IPv6 address", text);
      }
      has_port_separator = true;
      port = after.substr(1);
    }
    if (host.empty()) {
      return UrlError("empty IPv6 address", text);
    }
    for (char c : host) {
      if (!IsIpv6Char(LowerAscii(c))) {
        return UrlError("invalid IPv6 address", text);
      }
    }
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port_separator = true;
      port = authority.substr(colon + 1);
    }
    for (char c : host) {
      if (!IsHostNameChar(LowerAscii(c))) {
        return UrlError("invalid character in host name", text);
      }
    }
    if (host.empty() || host.front() == '.' || host.back() == '.' ||
        host.find("..") != std::string_view::npos) {
      return UrlError("missing or malformed host", text);
    }
  }
  for (char c : host) {
    url.host += LowerAscii(c);
  }

  url.port = url.scheme == "https" ? 443 : 80;
  if (has_port_separator) {
    unsigned value = 0;
    const auto [ptr, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || port.size() > 5 || error != std::errc() ||
        ptr != port.data() + port.size() || value < 1 || value > 65535) {
      return UrlError("port must be a number from 1 to 65535", text);
    }
    url.port = static_cast<uint16_t>(value);
    url.explicit_port = true;
  }

  if (authority_end == std::string_view::npos) {
    url.path = "/";
    return url;
  }
  std::string_view tail = rest.substr(authority_end);
  if (tail.find('#') != std::string_view::npos) {
    return UrlError("must not contain a fragment", text);
  }
  const size_t question = tail.find('?');
  url.path = std::string(tail.substr(0, question));
  if (url.path.empty()) {
    url.path = "/";
  }
  if (question != std::string_view::npos) {
    url.has_query = true;
    url.query = std::string(tail.substr(question + 1));
  }
  return url;
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1") {
    return true;
  }
  uint8_t first_octet = 0;
  return ParseIpv4(host, &first_octet) && first_octet == 127;
}

}  // namespace custody::aws
