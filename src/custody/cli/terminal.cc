#include "custody/cli/terminal.h"

#include "custody/aws/http_transport.h"
#include "custody/common/text.h"

namespace custody::cli {

std::string SanitizeForTerminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const auto decoded = DecodeUtf8(text);
    if (!decoded.has_value()) {
      out.push_back('?');
      text.remove_prefix(1);
      continue;
    }
    const auto [code_point, length] = *decoded;
    if (IsControlCharacter(code_point) || IsDeceptiveFormatCharacter(code_point)) {
      out.push_back('?');
    } else {
      out.append(text.substr(0, length));
    }
    text.remove_prefix(length);
  }
  return out;
}

std::string RedactUrl(std::string_view url) {
  Result<aws::Url> parsed = aws::ParseUrl(url);
  if (!parsed.ok()) {
    return "(invalid URL)";
  }
  return SanitizeForTerminal(parsed->Origin() + parsed->path);
}

}  // namespace custody::cli
