#include "custody/api/query_params.h"

#include <string>

#include "custody/api/handler_support.h"

namespace custody::api {
namespace {

// 18 decimal digits stay below 2^63.
constexpr size_t kMaxCountDigits = 18;

}  // namespace

Result<bool> ParseNoQuery(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {}));
  return true;
}

Result<bool> ParseNoQueryOrBody(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(NoQueryOrBody(request));
  return true;
}

Result<std::optional<uint64_t>> CountQueryParam(const http::Request& request,
                                                std::string_view name) {
  const std::optional<std::string> text = request.QueryParam(name);
  if (!text.has_value()) {
    return std::optional<uint64_t>();
  }
  if (text->empty() || text->size() > kMaxCountDigits ||
      text->find_first_not_of("0123456789") != std::string::npos) {
    return InvalidArgument(std::string(name) + " must be a non-negative integer",
                           std::string(name));
  }
  return std::optional<uint64_t>(std::stoull(*text));
}

Result<uint64_t> RequiredCountQueryParam(const http::Request& request, std::string_view name) {
  CUSTODY_ASSIGN_OR_RETURN(std::optional<uint64_t> value, CountQueryParam(request, name));
  if (!value.has_value()) {
    return InvalidArgument(std::string(name) + " is required", std::string(name));
  }
  return *value;
}

Result<int> LimitQueryParam(const http::Request& request, int max, int fallback) {
  CUSTODY_ASSIGN_OR_RETURN(std::optional<uint64_t> value, CountQueryParam(request, "limit"));
  if (!value.has_value()) {
    return fallback;
  }
  if (*value < 1 || *value > static_cast<uint64_t>(max)) {
    return InvalidArgument("limit must be an integer between 1 and " + std::to_string(max),
                           "limit");
  }
  return static_cast<int>(*value);
}

}  // namespace custody::api
