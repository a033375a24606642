#include "custody/http/target.h"

namespace custody::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

bool HasControlCharacter(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      return true;
    }
  }
  return false;
}

Status ParseQuery(std::string_view query, std::map<std::string, std::string>* out) {
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) {
      end = query.size();
    }
    const std::string_view pair = query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) {
      continue;
    }

    const size_t equals = pair.find('=');
    const std::string_view raw_name = pair.substr(0, equals);
    const std::string_view raw_value =
        equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
    CUSTODY_ASSIGN_OR_RETURN(std::string name, PercentDecode(raw_name, /*plus_is_space=*/true));
    CUSTODY_ASSIGN_OR_RETURN(std::string value, PercentDecode(raw_value, /*plus_is_space=*/true));
    if (name.empty()) {
      return InvalidArgument("query parameter name is empty");
    }
    if (out->count(name) != 0) {
      return InvalidArgument("query parameter " + name + " is repeated", name);
    }
    out->emplace(std::move(name), std::move(value));
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string decoded;
  decoded.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' && plus_is_space) {
      decoded.push_back(' ');
      continue;
    }
    if (c != '%') {
      decoded.push_back(c);
      continue;
    }
    const int high = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
    const int low = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return InvalidArgument("invalid percent-encoding in the request target");
    }
    decoded.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return decoded;
}

Result<Target> ParseTarget(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return InvalidArgument("request target must be a path starting with /");
  }
  if (target.find('#') != std::string_view::npos) {
    return InvalidArgument("request target must not contain a fragment");
  }

  Target parsed;
  const size_t question = target.find('?');
  const std::string_view raw_path = target.substr(0, question);
  if (question != std::string_view::npos) {
    CUSTODY_RETURN_IF_ERROR(ParseQuery(target.substr(question + 1), &parsed.query));
  }

  if (raw_path.size() > 1) {
    size_t start = 1;
    while (start <= raw_path.size()) {
      size_t end = raw_path.find('/', start);
      if (end == std::string_view::npos) {
        end = raw_path.size();
      }
      CUSTODY_ASSIGN_OR_RETURN(
          std::string segment,
          PercentDecode(raw_path.substr(start, end - start), /*plus_is_space=*/false));
      if (HasControlCharacter(segment)) {
        return InvalidArgument("request path must not contain control characters");
      }
      parsed.segments.push_back(std::move(segment));
      start = end + 1;
    }
  }

  parsed.path = "/";
  for (size_t i = 0; i < parsed.segments.size(); ++i) {
    if (i > 0) {
      parsed.path += '/';
    }
    parsed.path += parsed.segments[i];
  }
  return parsed;
}

}  // namespace custody::http
