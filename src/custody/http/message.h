// Request and Response: the plain values that route handlers take and return. Handlers are
// synchronous and run on a worker thread, so they may block on SQLite or outbound HTTP.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace custody::http {

// An ordered list of header fields with case-insensitive name lookup. Names keep the case
// they were added with.
class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  // Replaces every field called `name` with one field.
  void Set(std::string_view name, std::string_view value);
  // Appends a field, keeping any existing field of the same name.
  void Add(std::string_view name, std::string_view value);
  void Remove(std::string_view name);

  // The first field called `name`, or null.
  const std::string* Find(std::string_view name) const;
  // The first field called `name`, or the empty string.
  std::string Get(std::string_view name) const;

  bool Has(std::string_view name) const { return Find(name) != nullptr; }

  // How many fields are called `name`: lets a handler reject a repeated credential header.
  size_t Count(std::string_view name) const;

  std::vector<Field>::const_iterator begin() const { return fields_.begin(); }

  std::vector<Field>::const_iterator end() const { return fields_.end(); }

  size_t size() const { return fields_.size(); }

  bool empty() const { return fields_.empty(); }

 private:
  std::vector<Field> fields_;
};

// Compares ASCII strings ignoring case, as HTTP field names and tokens are compared.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

struct Request {
  std::string method;  // "GET", "POST", ... exactly as sent
  // The path with each segment percent-decoded, without the query. For logs and messages.
  // The router splits the path before decoding, so an encoded "/" never splits a segment.
  std::string path;
  // Query parameters, percent-decoded ("+" is a space). A request that repeats a parameter
  // name is rejected with 400 before it reaches a handler, so each name maps to one value.
  std::map<std::string, std::string> query;
  Headers headers;
  std::string body;
  std::string remote_address;  // "127.0.0.1:51234"
  // The client's X-Request-Id when valid (1 to 64 of [A-Za-z0-9._-]), otherwise generated.
  // Echoed on the response; the audit log records it.
  std::string request_id;
  // The {name} segments of the matched route, percent-decoded but not validated: a handler
  // checks the id format itself.
  std::map<std::string, std::string> path_params;

  // The value of a path parameter of the matched route, or the empty string.
  std::string PathParam(std::string_view name) const;
  // The value of a query parameter, or nullopt when absent.
  std::optional<std::string> QueryParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
};

// A route handler. It runs on a worker thread, may block, and should report failures as a
// problem response (ProblemResponse in problem.h). An exception it throws becomes a 500
// problem and an error log line; the server keeps running.
using Handler = std::function<Response(Request&)>;

// Builds a response with a body and its Content-Type.
Response TextResponse(int status, std::string_view content_type, std::string body);

}  // namespace custody::http
