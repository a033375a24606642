#include "custody/aws/xml.h"

namespace custody::aws::xml {
namespace {

bool IsDigits(std::string_view text, bool hex) {
  if (text.empty() || text.size() > 6) {
    return false;
  }
  for (char c : text) {
    const bool digit = c >= '0' && c <= '9';
    const bool hex_letter = (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!digit && !(hex && hex_letter)) {
      return false;
    }
  }
  return true;
}

}  // namespace

Lookup FindElement(std::string_view document, std::string_view name, std::string_view* content) {
  const std::string open = "<" + std::string(name);
  const std::string close = "</" + std::string(name) + ">";
  size_t start = std::string_view::npos;
  size_t search = 0;
  while (true) {
    const size_t at = document.find(open, search);
    if (at == std::string_view::npos) {
      break;
    }
    const size_t after = at + open.size();
    if (after < document.size() && (document[after] == '>' || document[after] == ' ')) {
      if (start != std::string_view::npos) {
        return Lookup::kMalformed;
      }
      start = at;
    }
    search = after;
  }
  if (start == std::string_view::npos) {
    return Lookup::kMissing;
  }
  const size_t content_start = document.find('>', start);
  const size_t content_end = document.find(close, start);
  if (content_start == std::string_view::npos || content_end == std::string_view::npos ||
      content_end < content_start) {
    return Lookup::kMalformed;
  }
  *content = document.substr(content_start + 1, content_end - content_start - 1);
  return Lookup::kFound;
}

bool FindElements(std::string_view document, std::string_view name,
                  std::vector<std::string_view>* contents) {
  contents->clear();
  const std::string open = "<" + std::string(name);
  const std::string close = "</" + std::string(name) + ">";
  size_t search = 0;
  while (true) {
    const size_t at = document.find(open, search);
    if (at == std::string_view::npos) {
      return true;
    }
    const size_t after = at + open.size();
    if (after >= document.size() || (document[after] != '>' && document[after] != ' ')) {
      search = after;
      continue;
    }
    const size_t content_start = document.find('>', after);
    const size_t content_end = document.find(close, after);
    if (content_start == std::string_view::npos || content_end == std::string_view::npos ||
        content_end < content_start) {
      return false;
    }
    contents->push_back(document.substr(content_start + 1, content_end - content_start - 1));
    search = content_end + close.size();
  }
}

bool DecodeText(std::string_view text, std::string* out) {
  out->clear();
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<') {
      return false;
    }
    if (text[i] != '&') {
      out->push_back(text[i]);
      continue;
    }
    const size_t end = text.find(';', i);
    if (end == std::string_view::npos) {
      return false;
    }
    const std::string_view entity = text.substr(i + 1, end - i - 1);
    if (entity == "amp") {
      out->push_back('&');
    } else if (entity == "lt") {
      out->push_back('<');
    } else if (entity == "gt") {
      out->push_back('>');
    } else if (entity == "quot") {
      out->push_back('"');
    } else if (entity == "apos") {
      out->push_back('\'');
    } else if (entity.size() >= 2 && entity[0] == '#') {
      const bool hex = entity[1] == 'x';
      const std::string_view digits = entity.substr(hex ? 2 : 1);
      if (!IsDigits(digits, hex)) {
        return false;
      }
      const long code = std::stol(std::string(digits), nullptr, hex ? 16 : 10);
      if (code < 0x20 || code >= 0x80) {
        return false;
      }
      out->push_back(static_cast<char>(code));
    } else {
      return false;
    }
    i = end;
  }
  return true;
}

std::string TextOrEmpty(std::string_view document, std::string_view name, size_t max_size) {
  std::string_view content;
  std::string text;
  if (FindElement(document, name, &content) != Lookup::kFound || !DecodeText(content, &text)) {
    return {};
  }
  if (text.size() > max_size) {
    text.resize(max_size);
  }
  return text;
}

}  // namespace custody::aws::xml
