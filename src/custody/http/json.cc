#include "custody/http/json.h"

#include <limits>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace custody::http {
namespace {

using Json = nlohmann::json;

// A SAX handler that builds the document with nlohmann's own DOM builder and adds the checks
// nlohmann does not make: duplicate keys and nesting depth. It tracks the JSON pointer of the
// value being parsed so that a duplicate key error can name it.
class CheckingSax {
 public:
  CheckingSax(Json* result, size_t max_depth) : builder_(*result, false), max_depth_(max_depth) {}

  bool null() { return BeforeValue() && builder_.null(); }

  bool boolean(bool value) { return BeforeValue() && builder_.boolean(value); }

  bool number_integer(Json::number_integer_t value) {
    return BeforeValue() && builder_.number_integer(value);
  }

  bool number_unsigned(Json::number_unsigned_t value) {
    return BeforeValue() && builder_.number_unsigned(value);
  }

  bool number_float(Json::number_float_t value, const Json::string_t& text) {
    return BeforeValue() && builder_.number_float(value, text);
  }

  bool string(Json::string_t& value) { return BeforeValue() && builder_.string(value); }

  bool binary(Json::binary_t& value) { return BeforeValue() && builder_.binary(value); }

  bool start_object(std::size_t size) {
    if (!BeforeValue() || !Enter(/*is_array=*/false)) {
      return false;
    }
    return builder_.start_object(size);
  }

  bool key(Json::string_t& name) {
    Frame& frame = frames_.back();
    if (!frame.keys.insert(name).second) {
      const std::string pointer = CurrentPointer() + "/" + EscapeJsonPointerToken(name);
      error_ = InvalidArgument(pointer + " is a duplicate key", pointer);
      return false;
    }
    frame.key = name;
    return builder_.key(name);
  }

  bool end_object() {
    frames_.pop_back();
    return builder_.end_object();
  }

  bool start_array(std::size_t size) {
    if (!BeforeValue() || !Enter(/*is_array=*/true)) {
      return false;
    }
    return builder_.start_array(size);
  }

  bool end_array() {
    frames_.pop_back();
    return builder_.end_array();
  }

  template <class Exception>
  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const Exception& exception) {
    error_ = InvalidArgument("request body is not valid JSON at byte offset " +
                             std::to_string(position) + ": " + Describe(exception.what()));
    return false;
  }

  const Status& error() const { return error_; }

 private:
  struct Frame {
    bool is_array = false;
    size_t next_index = 0;  // arrays: index of the next element
    std::string key;        // objects: the key of the current member
    std::set<std::string, std::less<>> keys;
  };

  // Advances the array index when a value starts inside an array.
  bool BeforeValue() {
    if (!frames_.empty() && frames_.back().is_array) {
      frames_.back().key = std::to_string(frames_.back().next_index++);
    }
    return true;
  }

  bool Enter(bool is_array) {
    if (frames_.size() + 1 > max_depth_) {
      error_ = InvalidArgument("request body nests objects and arrays deeper than " +
                               std::to_string(max_depth_) + " levels");
      return false;
    }
    Frame frame;
    frame.is_array = is_array;
    frames_.push_back(std::move(frame));
    return true;
  }

  // The pointer of the innermost open object or array.
  std::string CurrentPointer() const {
    std::string pointer;
    for (size_t i = 0; i + 1 < frames_.size(); ++i) {
      pointer += "/" + EscapeJsonPointerToken(frames_[i].key);
    }
    return pointer;
  }

  // Keeps the reason from nlohmann's message and drops its prefix ("[json.exception...]
  // parse error at line 1, column 5: ") and its echo of the input ("; last read: ...").
  static std::string Describe(std::string_view message) {
    if (message.starts_with('[')) {
      const size_t bracket = message.find("] ");
      if (bracket != std::string_view::npos) {
        message.remove_prefix(bracket + 2);
      }
    }
    if (message.starts_with("parse error")) {
      const size_t colon = message.find(": ");
      if (colon != std::string_view::npos) {
        message.remove_prefix(colon + 2);
      }
    }
    const size_t last_read = message.find("; last read");
    if (last_read != std::string_view::npos) {
      message = message.substr(0, last_read);
    }
    return std::string(message);
  }

  nlohmann::detail::json_sax_dom_parser<Json> builder_;
  size_t max_depth_;
  std::vector<Frame> frames_;
  Status error_;
};

std::string_view TrimWhitespace(std::string_view text) {
  constexpr std::string_view kWhitespace = " \t\r\n";
  const size_t first = text.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) {
    return {};
  }
  const size_t last = text.find_last_not_of(kWhitespace);
  return text.substr(first, last - first + 1);
}

// Returns the values of every parameter `name` (compared without regard to case) of a media
// type such as "application/json; charset=utf-8", without the quotes of a quoted string.
std::vector<std::string_view> MediaTypeParameterValues(std::string_view media_type,
                                                       std::string_view name) {
  std::vector<std::string_view> values;
  size_t semicolon = media_type.find(';');
  while (semicolon != std::string_view::npos) {
    const size_t next = media_type.find(';', semicolon + 1);
    const std::string_view parameter = media_type.substr(semicolon + 1, next - semicolon - 1);
    semicolon = next;
    const size_t equals = parameter.find('=');
    if (equals == std::string_view::npos ||
        !EqualsIgnoreCase(TrimWhitespace(parameter.substr(0, equals)), name)) {
      continue;
    }
    std::string_view value = TrimWhitespace(parameter.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    values.push_back(value);
  }
  return values;
}

Status RejectRepeatedContentType(const Request& request) {
  const size_t count = request.headers.Count("Content-Type");
  if (count > 1) {
    return InvalidArgument("request has " + std::to_string(count) +
                           " Content-Type fields, but the media type must be sent once");
  }
  return Status::Ok();
}

std::string TypeError(const std::string& pointer, std::string_view expected) {
  return pointer + " must be " + std::string(expected);
}

}  // namespace

Result<Json> ParseJson(std::string_view text, const JsonParseOptions& options) {
  Json result;
  CheckingSax sax(&result, options.max_depth);
  const bool ok =
      Json::sax_parse(text.begin(), text.end(), &sax, nlohmann::detail::input_format_t::json,
                      /*strict=*/true);
  if (!ok) {
    if (!sax.error().ok()) {
      return sax.error();
    }
    return InvalidArgument("request body is not valid JSON");
  }
  return result;
}

bool IsJsonContentType(std::string_view content_type) {
  const size_t semicolon = content_type.find(';');
  std::string_view media_type = content_type.substr(0, semicolon);
  while (!media_type.empty() && (media_type.front() == ' ' || media_type.front() == '\t')) {
    media_type.remove_prefix(1);
  }
  while (!media_type.empty() && (media_type.back() == ' ' || media_type.back() == '\t')) {
    media_type.remove_suffix(1);
  }
  return EqualsIgnoreCase(media_type, "application/json");
}

Status CheckJsonContentType(const Request& request) {
  CUSTODY_RETURN_IF_ERROR(RejectRepeatedContentType(request));
  const std::string* content_type = request.headers.Find("Content-Type");
  if (content_type == nullptr || !IsJsonContentType(*content_type)) {
    return Status(ErrorCode::kUnsupportedMediaType,
                  "request body must be sent with Content-Type: application/json");
  }
  for (std::string_view charset : MediaTypeParameterValues(*content_type, "charset")) {
    if (!EqualsIgnoreCase(charset, "utf-8")) {
      return Status(
          ErrorCode::kUnsupportedMediaType,
          "request body must be UTF-8, but Content-Type declares charset " + std::string(charset));
    }
  }
  return Status::Ok();
}

Status CheckEmptyJsonBody(const Request& request) {
  CUSTODY_RETURN_IF_ERROR(RejectRepeatedContentType(request));
  if (TrimWhitespace(request.body).empty()) {
    return Status::Ok();
  }
  CUSTODY_RETURN_IF_ERROR(CheckJsonContentType(request));
  const Result<Json> body = ParseJson(request.body);
  if (!body.ok() || !body->is_object() || !body->empty()) {
    return InvalidArgument("this request takes no body; send none or {}");
  }
  return Status::Ok();
}

Result<Json> ParseJsonBody(const Request& request, const JsonParseOptions& options) {
  CUSTODY_RETURN_IF_ERROR(CheckJsonContentType(request));
  return ParseJson(request.body, options);
}

Result<Json> ParseJsonObjectBody(const Request& request, const JsonParseOptions& options) {
  CUSTODY_ASSIGN_OR_RETURN(Json body, ParseJsonBody(request, options));
  if (!body.is_object()) {
    return InvalidArgument("request body must be a JSON object");
  }
  return body;
}

Response JsonResponse(int status, const Json& body) {
  return TextResponse(status, "application/json",
                      body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

std::string EscapeJsonPointerToken(std::string_view key) {
  std::string escaped;
  escaped.reserve(key.size());
  for (char c : key) {
    if (c == '~') {
      escaped += "~0";
    } else if (c == '/') {
      escaped += "~1";
    } else {
      escaped.push_back(c);
    }
  }
  return escaped;
}

JsonObjectReader::JsonObjectReader(const Json& object, std::string pointer)
    : object_(&object), pointer_(std::move(pointer)) {}

Status JsonObjectReader::Check() const {
  if (!object_->is_object()) {
    const std::string name = pointer_.empty() ? "request body" : pointer_;
    return InvalidArgument(name + " must be an object", pointer_);
  }
  return Status::Ok();
}

std::string JsonObjectReader::PointerTo(std::string_view key) const {
  return pointer_ + "/" + EscapeJsonPointerToken(key);
}

const Json* JsonObjectReader::Lookup(std::string_view key) {
  read_keys_.emplace(key);
  if (!object_->is_object()) {
    return nullptr;
  }
  const auto it = object_->find(key);
  if (it == object_->end() || it->is_null()) {
    return nullptr;
  }
  return &*it;
}

Result<const Json*> JsonObjectReader::Value(std::string_view key) {
  const Json* value = Lookup(key);
  if (value == nullptr) {
    const std::string pointer = PointerTo(key);
    return InvalidArgument(pointer + " is required", pointer);
  }
  return value;
}

Result<std::string> JsonObjectReader::String(std::string_view key) {
  CUSTODY_ASSIGN_OR_RETURN(std::optional<std::string> value, OptionalString(key));
  if (!value.has_value()) {
    const std::string pointer = PointerTo(key);
    return InvalidArgument(pointer + " is required", pointer);
  }
  return std::move(*value);
}

Result<int64_t> JsonObjectReader::Int(std::string_view key) {
  CUSTODY_ASSIGN_OR_RETURN(std::optional<int64_t> value, OptionalInt(key));
  if (!value.has_value()) {
    const std::string pointer = PointerTo(key);
    return InvalidArgument(pointer + " is required", pointer);
  }
  return *value;
}

Result<bool> JsonObjectReader::Bool(std::string_view key) {
  CUSTODY_ASSIGN_OR_RETURN(std::optional<bool> value, OptionalBool(key));
  if (!value.has_value()) {
    const std::string pointer = PointerTo(key);
    return InvalidArgument(pointer + " is required", pointer);
  }
  return *value;
}

Result<JsonObjectReader> JsonObjectReader::Object(std::string_view key) {
  CUSTODY_ASSIGN_OR_RETURN(const Json* value, Value(key));
  JsonObjectReader nested(*value, PointerTo(key));
  CUSTODY_RETURN_IF_ERROR(nested.Check());
  return nested;
}

Result<std::optional<std::string>> JsonObjectReader::OptionalString(std::string_view key) {
  const Json* value = Lookup(key);
  if (value == nullptr) {
    return std::optional<std::string>();
  }
  if (!value->is_string()) {
    const std::string pointer = PointerTo(key);
    return InvalidArgument(TypeError(pointer, "a string"), pointer);
  }
  return std::optional<std::string>(value->get<std::string>());
}

Result<std::optional<int64_t>> JsonObjectReader::OptionalInt(std::string_view key) {
  const Json* value = Lookup(key);
  if (value == nullptr) {
    return std::optional<int64_t>();
  }
  const std::string pointer = PointerTo(key);
  if (value->is_number_unsigned()) {
    const auto unsigned_value = value->get<uint64_t>();
    if (unsigned_value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return InvalidArgument(pointer + " is out of range", pointer);
    }
    return std::optional<int64_t>(static_cast<int64_t>(unsigned_value));
  }
  if (!value->is_number_integer()) {
    // Includes 1.0 and 1e3, and integers too long for 64 bits (nlohmann stores those as
    // doubles).
    return InvalidArgument(TypeError(pointer, "an integer"), pointer);
  }
  return std::optional<int64_t>(value->get<int64_t>());
}

Result<std::optional<bool>> JsonObjectReader::OptionalBool(std::string_view key) {
  const Json* value = Lookup(key);
  if (value == nullptr) {
    return std::optional<bool>();
  }
  if (!value->is_boolean()) {
    const std::string pointer = PointerTo(key);
    return InvalidArgument(TypeError(pointer, "a boolean"), pointer);
  }
  return std::optional<bool>(value->get<bool>());
}

Status JsonObjectReader::RejectUnknownFields() const {
  if (!object_->is_object()) {
    return Status::Ok();
  }
  for (const auto& item : object_->items()) {
    if (read_keys_.find(item.key()) == read_keys_.end()) {
      const std::string pointer = PointerTo(item.key());
      return InvalidArgument(pointer + " is not a known field", pointer);
    }
  }
  return Status::Ok();
}

}  // namespace custody::http
