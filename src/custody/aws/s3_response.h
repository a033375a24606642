// Helpers that the S3Client source files share for reading S3 responses. Internal to the aws
// module.
#pragma once

#include <string>
#include <string_view>

#include "custody/aws/http_transport.h"
#include "custody/common/clock.h"
#include "custody/common/status.h"

namespace custody::aws::internal {

// Maps an S3 error response to a Status with S3's error code and message: 404 (and 405 when
// `not_found_on_405`) is kNotFound, 5xx and SlowDown are kUnavailable, and every other status
// is kUpstreamFailed. S3 returns 405 for a GET of a delete marker's version id.
Status S3ErrorStatus(std::string_view operation, const HttpResponse& response,
                     bool not_found_on_405 = false);

// Removes one pair of surrounding double quotes, as S3 sends ETags.
std::string Unquote(std::string value);

// "2026-12-04T16:00:00Z"
std::string Iso8601(SystemTime time);

// Escapes &, <, > and " for XML text and attribute values.
std::string XmlEscape(std::string_view text);

}  // namespace custody::aws::internal
