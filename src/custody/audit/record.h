// Audit records and their binary encoding, version 1. docs/audit-log-format.md specifies the
// bytes; the encoding is deterministic, so the same record always yields the same bytes, and
// those bytes are meant to become the leaves of an RFC 9162 Merkle log.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "custody/common/clock.h"
#include "custody/common/status.h"

namespace custody::audit {

inline constexpr uint8_t kEncodingVersion = 1;
// Each text field of a record is at most this many bytes.
inline constexpr size_t kMaxFieldBytes = 1024;

inline constexpr std::string_view kActorSystem = "system";
inline constexpr std::string_view kActorAnonymous = "anonymous";

inline constexpr std::string_view kDecisionAllow = "allow";
inline constexpr std::string_view kDecisionDeny = "deny";

// Reason codes shared by several modules. A module may add its own short snake_case codes.
inline constexpr std::string_view kReasonNotFound = "not_found";
inline constexpr std::string_view kReasonOutOfScope = "out_of_scope";
inline constexpr std::string_view kReasonRoleLacksPermission = "role_lacks_permission";
inline constexpr std::string_view kReasonInvalidArgument = "invalid_argument";

// One audited event: who did what to which resource, and whether it was allowed.
struct Record {
  std::string organization_id;  // "" when no organization is known (an unknown token)
  std::string actor;            // a user id, kActorSystem or kActorAnonymous
  std::string action;           // dotted name, e.g. "evidence.version.create"
  std::string resource;         // "<type>/<id>", e.g. "evidence/evd_..."; "" when none
  std::string decision;         // kDecisionAllow or kDecisionDeny
  std::string reason;           // short machine code such as kReasonOutOfScope; "" when allowed
  std::string request_id;       // the request's X-Request-Id
  std::string source;           // client address
  SystemTime time;              // stored with microsecond precision

  bool operator==(const Record&) const = default;
};

// Checks what Append and Encode require: a non-empty actor and action, a decision of "allow"
// or "deny", and every field at most kMaxFieldBytes.
Status ValidateRecord(const Record& record);

// Returns the version 1 encoding of `record` at position `seq`. The record must be valid.
std::string Encode(uint64_t seq, const Record& record);

struct DecodedRecord {
  uint64_t seq = 0;
  Record record;
};

// Parses bytes made by Encode. Rejects another version, truncation, trailing bytes and an
// invalid record, so that Encode(Decode(bytes)) == bytes for every accepted input.
Result<DecodedRecord> Decode(std::string_view bytes);

}  // namespace custody::audit
