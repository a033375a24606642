// Query-parameter parsers for the parse step of api handlers (Serve in handler_support.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "custody/common/status.h"
#include "custody/http/message.h"

namespace custody::api {

// Parses a request that takes no query parameters, for a GET whose body is ignored. Returns
// true, the placeholder input of Serve<bool>.
Result<bool> ParseNoQuery(const http::Request& request);

// Parses a request that takes neither query parameters nor a body (NoQueryOrBody). Returns true.
Result<bool> ParseNoQueryOrBody(const http::Request& request);

// Parses the optional query parameter `name` as an unsigned decimal integer of 1 to 18 digits,
// so every value fits in an int64_t. Returns nullopt when it is absent, and kInvalidArgument
// naming the parameter for an empty value, more than 18 digits, or any other character.
Result<std::optional<uint64_t>> CountQueryParam(const http::Request& request,
                                                std::string_view name);

// Parses the query parameter `name` as CountQueryParam does, and rejects its absence.
Result<uint64_t> RequiredCountQueryParam(const http::Request& request, std::string_view name);

// Parses the optional "limit" query parameter: an integer from 1 to `max`, or `fallback` when
// it is absent.
Result<int> LimitQueryParam(const http::Request& request, int max, int fallback);

}  // namespace custody::api
