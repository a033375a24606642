// The one catalog of error codes: HTTP status, RFC 9457 problem type and title for each
// ErrorCode. The API's problem+json bodies and the docs are generated from this table.
#pragma once

#include <string_view>

#include "custody/common/status.h"

namespace custody {

struct ErrorInfo {
  ErrorCode code;
  int http_status;
  std::string_view name;   // stable machine name, e.g. "NOT_FOUND"
  std::string_view type;   // RFC 9457 "type" URI, e.g. "urn:custody:problem:not-found"
  std::string_view title;  // RFC 9457 "title": the same for every occurrence of the code
};

const ErrorInfo& DescribeError(ErrorCode code);

}  // namespace custody
