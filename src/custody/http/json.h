// JSON request bodies and responses for the api layer. Only api handlers include this header:
// it declares nlohmann::json (forward only), and each .cc that uses the values includes
// <nlohmann/json.hpp> itself.
//
// A handler wrapped with ToHandler (problem.h) reads a body like this:
//
//   CUSTODY_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObjectBody(request));
//   http::JsonObjectReader reader(body);
//   CUSTODY_ASSIGN_OR_RETURN(std::string title, reader.String("title"));
//   CUSTODY_ASSIGN_OR_RETURN(std::optional<std::string> description,
//                            reader.OptionalString("description"));
//   CUSTODY_RETURN_IF_ERROR(reader.RejectUnknownFields());
//
// Errors are InvalidArgument with the field as a JSON pointer ("/size") and a detail that
// starts with it ("/size must be an integer"), or UnsupportedMediaType for a body that is not
// declared as application/json.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "custody/common/status.h"
#include "custody/http/message.h"

namespace custody::http {

struct JsonParseOptions {
  // Maximum nesting of objects and arrays; the top-level value is depth 1.
  size_t max_depth = 32;
};

// Parses `text` as one JSON value. Rejects, with InvalidArgument: syntax errors (the detail
// names the byte offset), invalid UTF-8, numbers too large for a double, duplicate object
// keys (field = the key's JSON pointer), nesting deeper than options.max_depth and trailing
// content after the value.
Result<nlohmann::json> ParseJson(std::string_view text, const JsonParseOptions& options = {});

// Checks that the request declares its body as JSON. Returns InvalidArgument when the request
// has more than one Content-Type field, because the media type is then ambiguous. Returns
// UnsupportedMediaType when the field is missing, when its media type is not application/json, or
// when a charset parameter is other than utf-8 (compared without regard to case). Other parameters
// are ignored.
Status CheckJsonContentType(const Request& request);

// Checks the body of a request whose handler takes none. An empty or whitespace-only body is
// accepted with any single Content-Type or none. Any other body must pass CheckJsonContentType
// and be the empty JSON object, else the result is InvalidArgument.
Status CheckEmptyJsonBody(const Request& request);

// Checks the Content-Type with CheckJsonContentType, then parses the body with ParseJson.
Result<nlohmann::json> ParseJsonBody(const Request& request, const JsonParseOptions& options = {});

// As ParseJsonBody, and also requires the top-level value to be an object.
Result<nlohmann::json> ParseJsonObjectBody(const Request& request,
                                           const JsonParseOptions& options = {});

// Returns true when a Content-Type value is application/json, ignoring case and parameters.
bool IsJsonContentType(std::string_view content_type);

// Builds a response with Content-Type application/json. Invalid UTF-8 in strings is replaced
// with U+FFFD instead of failing.
Response JsonResponse(int status, const nlohmann::json& body);

// Escapes one key for use in a JSON pointer (RFC 6901): "~" becomes "~0" and "/" becomes "~1".
std::string EscapeJsonPointerToken(std::string_view key);

// Reads typed fields of one JSON object and remembers which keys were read, so that
// RejectUnknownFields can reject the rest. The object must outlive the reader.
class JsonObjectReader {
 public:
  // `pointer` is the JSON pointer of `object` in the request body: "" for the body itself.
  // A value that is not an object reads as one with no fields, and Check reports the type.
  explicit JsonObjectReader(const nlohmann::json& object, std::string pointer = "");

  // InvalidArgument "<pointer> must be an object" unless the value given at construction is one.
  Status Check() const;

  // Required fields: absent or null is "<pointer> is required".
  Result<std::string> String(std::string_view key);
  Result<int64_t> Int(std::string_view key);
  Result<bool> Bool(std::string_view key);
  // The field's value, of any JSON type.
  Result<const nlohmann::json*> Value(std::string_view key);
  // A nested object, read with a reader of its own (which tracks its own unknown fields).
  Result<JsonObjectReader> Object(std::string_view key);

  // Optional fields: absent or null is nullopt.
  Result<std::optional<std::string>> OptionalString(std::string_view key);
  Result<std::optional<int64_t>> OptionalInt(std::string_view key);
  Result<std::optional<bool>> OptionalBool(std::string_view key);

  // Returns InvalidArgument "<pointer> is not a known field" for the first key (in key order)
  // that no call above read.
  Status RejectUnknownFields() const;

  // The JSON pointer of a field of this object: "/versions/0" + "/size".
  std::string PointerTo(std::string_view key) const;

 private:
  // The field's value, or null when absent or JSON null. Marks the key as read.
  const nlohmann::json* Lookup(std::string_view key);

  const nlohmann::json* object_;
  std::string pointer_;
  std::set<std::string, std::less<>> read_keys_;
};

}  // namespace custody::http
