// The audit pattern of every request that acts or is denied, shared by the evidence services
// and the api handlers:
// * a change and its allow record commit in one write transaction;
// * a denial (400, 401, 403, 404, 409) rolls back whatever the operation did and gets a deny
//   record in a transaction of its own;
// * when a record cannot be written, the request fails with kUnavailable (503) and changes
//   nothing.
//
//   AuditEntry entry{"evidence.create", "entity/" + entity_id};
//   Result<EvidenceItem> item = AuditedWriteReturning<EvidenceItem>(
//       db, clock, context, entry, [&](store::Transaction& tx) -> Result<EvidenceItem> {
//         CUSTODY_RETURN_IF_ERROR(Authorize(tx, context, entity_id, action, entry));
//         ...
//         entry.resource = "evidence/" + item.id;  // the record names what was created
//         return item;
//       });
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "custody/authz/authorize.h"
#include "custody/authz/principal.h"
#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/store/database.h"

namespace custody::evidence {

// The caller of a request, for authorization and for the audit record.
struct RequestContext {
  authz::Principal principal;  // empty user_id when the caller is not authenticated
  std::string request_id;      // the request's X-Request-Id
  std::string source;          // client address
};

// The audit record an operation writes. The operation may change the resource and set the
// deny reason while it runs: a create names the new resource, a denial its reason code.
struct AuditEntry {
  std::string action;    // dotted name, e.g. "evidence.version.create"
  std::string resource;  // "<type>/<id>", or "" when none
  // The deny reason code; empty means DefaultDenyReason of the status.
  std::string reason;
};

// True for the statuses that decide a request against its caller (kInvalidArgument,
// kUnauthenticated, kPermissionDenied, kNotFound, kConflict, kFailedPrecondition,
// kPayloadTooLarge, kUnsupportedMediaType). Failures of a dependency are not denials.
bool IsDenial(const Status& status);

// The reason code recorded for a denial without a more specific one: "invalid_argument",
// "not_found", "conflict" and so on.
std::string_view DefaultDenyReason(ErrorCode code);

// The audit actor of a request: the user id, or "anonymous".
std::string ActorOf(const RequestContext& context);

// Appends the record of `entry` with `decision` ("allow" or "deny") and `reason` in the
// caller's transaction. A record that the audit log rejects as invalid is kInternal, so it
// can never pass for a denial of the request.
Status AppendRecord(store::Transaction& tx, const Clock& clock, const RequestContext& context,
                    const AuditEntry& entry, std::string_view decision, std::string_view reason);

// Writes the deny record of `denial` (reason: entry.reason, else DefaultDenyReason) in a
// transaction of its own and returns `denial`. Returns kUnavailable when the record cannot be
// written.
Status RecordDenial(store::Database& db, const Clock& clock, const RequestContext& context,
                    const AuditEntry& entry, const Status& denial);

// Runs `operation` in a write transaction and appends the allow record of `entry` to the same
// transaction. A denial from the operation rolls back and is recorded by RecordDenial; any
// other error (kUnavailable, kInternal) is returned as it is, without a record.
Status AuditedWrite(store::Database& db, const Clock& clock, const RequestContext& context,
                    AuditEntry& entry, const std::function<Status(store::Transaction&)>& operation);

// Runs `check` in a read transaction. A denial is recorded as in AuditedWrite; success writes
// no record, because the caller records the outcome of the whole request later.
Status CheckedRead(store::Database& db, const Clock& clock, const RequestContext& context,
                   AuditEntry& entry, const std::function<Status(store::Transaction&)>& check);

// Decides `action` on the entity for the caller, and on a denial sets entry.reason to the
// decision's reason code (not_found, out_of_scope, role_lacks_permission). Returns the
// effective role when allowed.
Result<authz::Role> Authorize(store::Transaction& tx, const RequestContext& context,
                              std::string_view entity_id, authz::Action action, AuditEntry& entry);

// As Authorize, for an organization action (checked on the organization's root entity).
Status AuthorizeOrganizationAction(store::Transaction& tx, const RequestContext& context,
                                   authz::Action action, AuditEntry& entry);

// AuditedWrite for an operation that returns a value.
template <typename T, typename Operation>
Result<T> AuditedWriteReturning(store::Database& db, const Clock& clock,
                                const RequestContext& context, AuditEntry& entry,
                                Operation&& operation) {
  std::optional<T> value;
  const Status status =
      AuditedWrite(db, clock, context, entry, [&](store::Transaction& tx) -> Status {
        Result<T> result = operation(tx);
        if (!result.ok()) {
          return result.status();
        }
        value = std::move(result).value();
        return Status::Ok();
      });
  if (!status.ok()) {
    return status;
  }
  return std::move(*value);
}

// CheckedRead for a check that returns a value.
template <typename T, typename Check>
Result<T> CheckedReadReturning(store::Database& db, const Clock& clock,
                               const RequestContext& context, AuditEntry& entry, Check&& check) {
  std::optional<T> value;
  const Status status =
      CheckedRead(db, clock, context, entry, [&](store::Transaction& tx) -> Status {
        Result<T> result = check(tx);
        if (!result.ok()) {
          return result.status();
        }
        value = std::move(result).value();
        return Status::Ok();
      });
  if (!status.ok()) {
    return status;
  }
  return std::move(*value);
}

}  // namespace custody::evidence
