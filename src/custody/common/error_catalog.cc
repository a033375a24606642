#include "custody/common/error_catalog.h"

#include <array>

namespace custody {
namespace {

constexpr std::array kCatalog = {
    ErrorInfo{ErrorCode::kOk, 200, "OK", "about:blank", "OK"},
    ErrorInfo{ErrorCode::kInvalidArgument, 400, "INVALID_ARGUMENT",
              "urn:custody:problem:invalid-argument", "The request contains an invalid value"},
    ErrorInfo{ErrorCode::kUnauthenticated, 401, "UNAUTHENTICATED",
              "urn:custody:problem:unauthenticated", "Authentication is required"},
    ErrorInfo{ErrorCode::kPermissionDenied, 403, "PERMISSION_DENIED",
              "urn:custody:problem:permission-denied", "Your role does not allow this action"},
    ErrorInfo{ErrorCode::kNotFound, 404, "NOT_FOUND", "urn:custody:problem:not-found",
              "Resource not found"},
    ErrorInfo{ErrorCode::kConflict, 409, "CONFLICT", "urn:custody:problem:conflict",
              "The resource is not in a state that allows this action"},
    ErrorInfo{ErrorCode::kPayloadTooLarge, 413, "PAYLOAD_TOO_LARGE",
              "urn:custody:problem:payload-too-large", "The request body is too large"},
    ErrorInfo{ErrorCode::kUnsupportedMediaType, 415, "UNSUPPORTED_MEDIA_TYPE",
              "urn:custody:problem:unsupported-media-type",
              "The request body must be application/json"},
    ErrorInfo{ErrorCode::kFailedPrecondition, 409, "FAILED_PRECONDITION",
              "urn:custody:problem:failed-precondition",
              "The organization is not set up for this action"},
    ErrorInfo{ErrorCode::kUpstreamFailed, 502, "UPSTREAM_FAILED",
              "urn:custody:problem:upstream-failed",
              "The customer's AWS account returned an error"},
    ErrorInfo{ErrorCode::kUnavailable, 503, "UNAVAILABLE", "urn:custody:problem:unavailable",
              "The service cannot complete the request now"},
    ErrorInfo{ErrorCode::kDeadlineExceeded, 504, "DEADLINE_EXCEEDED",
              "urn:custody:problem:deadline-exceeded", "A dependency did not answer in time"},
    ErrorInfo{ErrorCode::kInternal, 500, "INTERNAL", "urn:custody:problem:internal",
              "Internal error"},
};

}  // namespace

const ErrorInfo& DescribeError(ErrorCode code) {
  for (const ErrorInfo& info : kCatalog) {
    if (info.code == code) {
      return info;
    }
  }
  return kCatalog.back();
}

}  // namespace custody
