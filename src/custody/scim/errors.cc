#include "custody/scim/errors.h"

#include <nlohmann/json.hpp>

#include "custody/common/error_catalog.h"
#include "custody/scim/schemas.h"

namespace custody::scim {
namespace {

// Statuses from other modules carry a JSON pointer in field(), not a scimType.
bool IsScimType(std::string_view field) {
  for (std::string_view type : {kInvalidFilter, kTooMany, kUniqueness, kMutability, kInvalidSyntax,
                                kInvalidPath, kNoTarget, kInvalidValue, kInvalidVersion}) {
    if (field == type) {
      return true;
    }
  }
  return false;
}

}  // namespace

ScimError ToScimError(const Status& status) {
  ScimError error;
  error.detail = status.message();
  switch (status.code()) {
    case ErrorCode::kInvalidArgument:
      error.http_status = 400;
      error.scim_type = IsScimType(status.field()) ? status.field() : std::string(kInvalidValue);
      break;
    case ErrorCode::kConflict:
      error.http_status = 409;
      if (status.field() == kUniqueness) {
        error.scim_type = status.field();
      }
      break;
    case ErrorCode::kFailedPrecondition:
      error.http_status = status.field() == kVersionMismatch ? 412 : 409;
      break;
    default:
      error.http_status = DescribeError(status.code()).http_status;
      break;
  }
  if (error.http_status >= 500) {
    // Internal details stay in the log.
    error.detail = status.code() == ErrorCode::kUnavailable ? status.message() : "internal error";
  }
  return error;
}

nlohmann::json ScimErrorJson(const ScimError& error) {
  nlohmann::json body = {{"schemas", nlohmann::json::array({kErrorSchema})},
                         {"status", std::to_string(error.http_status)},
                         {"detail", error.detail}};
  if (!error.scim_type.empty()) {
    body["scimType"] = error.scim_type;
  }
  return body;
}

}  // namespace custody::scim
