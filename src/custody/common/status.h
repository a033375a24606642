// Status and Result<T>: how every fallible call on the request path reports failure.
// Exceptions are not used there, because a throw that escapes an Asio handler ends the
// process. Each ErrorCode maps to one HTTP status and one problem type in error_catalog.h.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace custody {

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,   // the caller sent a value that is malformed or out of range
  kUnauthenticated,   // no credential, or one that is invalid, expired or revoked
  kPermissionDenied,  // authenticated and in scope, but the role does not allow the action
  kNotFound,          // absent, or outside the caller's scope (the two are indistinguishable)
  kConflict,          // the resource is not in a state that allows the action
  kPayloadTooLarge,   // the request body is over the configured limit
  kUnsupportedMediaType,
  kFailedPrecondition,  // the organization is not set up for this yet (no AWS connection, say)
  kUpstreamFailed,      // the customer's AWS account returned an error
  kUnavailable,         // a dependency (database, audit log, AWS) cannot be reached now
  kDeadlineExceeded,
  kInternal,
};

class Status {
 public:
  Status() = default;

  Status(ErrorCode code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == ErrorCode::kOk; }

  ErrorCode code() const { return code_; }

  const std::string& message() const { return message_; }

  // The request field or parameter the error is about, as a JSON pointer ("/size") or a
  // parameter name. Empty when the error is not about one value.
  const std::string& field() const { return field_; }

  // Prefixes the message with what the caller was doing, keeping code and field.
  Status WithContext(std::string_view context) const;

  // "NOT_FOUND: evidence item not found", for logs and test failures.
  std::string ToString() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
  std::string field_;
};

inline Status InvalidArgument(std::string message, std::string field = {}) {
  return {ErrorCode::kInvalidArgument, std::move(message), std::move(field)};
}

inline Status NotFound(std::string message) {
  return {ErrorCode::kNotFound, std::move(message)};
}

inline Status PermissionDenied(std::string message) {
  return {ErrorCode::kPermissionDenied, std::move(message)};
}

inline Status Unauthenticated(std::string message) {
  return {ErrorCode::kUnauthenticated, std::move(message)};
}

inline Status Conflict(std::string message) {
  return {ErrorCode::kConflict, std::move(message)};
}

inline Status FailedPrecondition(std::string message) {
  return {ErrorCode::kFailedPrecondition, std::move(message)};
}

inline Status Unavailable(std::string message) {
  return {ErrorCode::kUnavailable, std::move(message)};
}

inline Status UpstreamFailed(std::string message) {
  return {ErrorCode::kUpstreamFailed, std::move(message)};
}

inline Status Internal(std::string message) {
  return {ErrorCode::kInternal, std::move(message)};
}

// Result<T> contains either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor)

  Result(Status status) : state_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(state_).ok() && "Result needs a value or an error");
  }

  bool ok() const { return std::holds_alternative<T>(state_); }

  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(state_);
  }

  T& value() & { return std::get<T>(state_); }

  const T& value() const& { return std::get<T>(state_); }

  T&& value() && { return std::get<T>(std::move(state_)); }

  T& operator*() & { return value(); }

  const T& operator*() const& { return value(); }

  T* operator->() { return &value(); }

  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace custody

// Returns early from the enclosing function when `expr` (a Status) is not OK.
#define CUSTODY_RETURN_IF_ERROR(expr)           \
  do {                                          \
    ::custody::Status custody_status_ = (expr); \
    if (!custody_status_.ok()) {                \
      return custody_status_;                   \
    }                                           \
  } while (false)

#define CUSTODY_CONCAT_INNER(a, b) a##b
#define CUSTODY_CONCAT(a, b) CUSTODY_CONCAT_INNER(a, b)

// Declares `lhs` from a Result<T> expression, or returns its Status from the enclosing
// function: CUSTODY_ASSIGN_OR_RETURN(auto user, store.FindUser(id));
#define CUSTODY_ASSIGN_OR_RETURN(lhs, expr) \
  CUSTODY_ASSIGN_OR_RETURN_IMPL(CUSTODY_CONCAT(custody_result_, __LINE__), lhs, expr)
#define CUSTODY_ASSIGN_OR_RETURN_IMPL(result, lhs, expr) \
  auto result = (expr);                                  \
  if (!result.ok()) {                                    \
    return result.status();                              \
  }                                                      \
  lhs = std::move(result).value()
