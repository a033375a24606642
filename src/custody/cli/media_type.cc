#include "custody/cli/media_type.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace custody::cli {
namespace {

// Types registered with IANA for the file formats evidence usually comes in: documents,
// spreadsheets, exports, screenshots, archives and e-mail.
constexpr std::array<std::pair<std::string_view, std::string_view>, 35> kMediaTypes{{
    {"7z", "application/x-7z-compressed"},
    {"csv", "text/csv"},
    {"doc", "application/msword"},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"eml", "message/rfc822"},
    {"gif", "image/gif"},
    {"gz", "application/gzip"},
    {"htm", "text/html"},
    {"html", "text/html"},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"json", "application/json"},
    {"log", "text/plain"},
    {"md", "text/markdown"},
    {"mov", "video/quicktime"},
    {"mp4", "video/mp4"},
    {"msg", "application/vnd.ms-outlook"},
    {"odt", "application/vnd.oasis.opendocument.text"},
    {"pdf", "application/pdf"},
    {"png", "image/png"},
    {"ppt", "application/vnd.ms-powerpoint"},
    {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    {"rtf", "application/rtf"},
    {"svg", "image/svg+xml"},
    {"tar", "application/x-tar"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"txt", "text/plain"},
    {"webp", "image/webp"},
    {"xls", "application/vnd.ms-excel"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"xml", "application/xml"},
    {"yaml", "application/yaml"},
    {"yml", "application/yaml"},
    {"zip", "application/zip"},
}};

bool IsRestrictedName(std::string_view name) {
  if (name.empty() || name.size() > 127 || !std::isalnum(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$&-^_.+").find(c) != std::string_view::npos;
  });
}

}  // namespace

bool IsValidMediaType(std::string_view media_type) {
  const size_t slash = media_type.find('/');
  if (slash == std::string_view::npos) {
    return false;
  }
  return IsRestrictedName(media_type.substr(0, slash)) &&
         IsRestrictedName(media_type.substr(slash + 1));
}

std::string GuessMediaType(std::string_view file_name) {
  const size_t dot = file_name.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == file_name.size()) {
    return std::string(kDefaultMediaType);
  }
  std::string extension(file_name.substr(dot + 1));
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& [known, media_type] : kMediaTypes) {
    if (known == extension) {
      return std::string(media_type);
    }
  }
  return std::string(kDefaultMediaType);
}

}  // namespace custody::cli
