#include "custody/evidence/audited.h"

#include "custody/audit/audit_log.h"
#include "custody/audit/record.h"
#include "custody/common/log.h"

namespace custody::evidence {

bool IsDenial(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kUnauthenticated:
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kNotFound:
    case ErrorCode::kConflict:
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kPayloadTooLarge:
    case ErrorCode::kUnsupportedMediaType:
      return true;
    default:
      return false;
  }
}

std::string_view DefaultDenyReason(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return audit::kReasonInvalidArgument;
    case ErrorCode::kUnauthenticated:
      return "unauthenticated";
    case ErrorCode::kPermissionDenied:
      return audit::kReasonRoleLacksPermission;
    case ErrorCode::kNotFound:
      return audit::kReasonNotFound;
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kFailedPrecondition:
      return "failed_precondition";
    case ErrorCode::kPayloadTooLarge:
      return "payload_too_large";
    case ErrorCode::kUnsupportedMediaType:
      return "unsupported_media_type";
    default:
      return "error";
  }
}

std::string ActorOf(const RequestContext& context) {
  return context.principal.user_id.empty() ? std::string(audit::kActorAnonymous)
                                           : context.principal.user_id;
}

Status AppendRecord(store::Transaction& tx, const Clock& clock, const RequestContext& context,
                    const AuditEntry& entry, std::string_view decision, std::string_view reason) {
  audit::Record record;
  record.organization_id = context.principal.organization_id;
  record.actor = ActorOf(context);
  record.action = entry.action;
  record.resource = entry.resource;
  record.decision = std::string(decision);
  record.reason = std::string(reason);
  record.request_id = context.request_id;
  record.source = context.source;
  record.time = clock.Now();
  const Result<uint64_t> appended = audit::Append(tx, record);
  if (appended.status().code() == ErrorCode::kInvalidArgument) {
    return Internal("the audit log rejected the record of " + entry.action + ": " +
                    appended.status().message());
  }
  return appended.status();
}

Status RecordDenial(store::Database& db, const Clock& clock, const RequestContext& context,
                    const AuditEntry& entry, const Status& denial) {
  const std::string reason =
      entry.reason.empty() ? std::string(DefaultDenyReason(denial.code())) : entry.reason;
  const Status written = db.Write([&](store::Transaction& tx) {
    return AppendRecord(tx, clock, context, entry, audit::kDecisionDeny, reason);
  });
  if (!written.ok()) {
    log::Error("audit record of a denied request not written", {{"request_id", context.request_id},
                                                                {"action", entry.action},
                                                                {"reason", reason},
                                                                {"error", written.ToString()}});
    return Unavailable("the audit log cannot be written now; nothing was changed, try again later");
  }
  return denial;
}

Status AuditedWrite(store::Database& db, const Clock& clock, const RequestContext& context,
                    AuditEntry& entry,
                    const std::function<Status(store::Transaction&)>& operation) {
  Status outcome;
  const Status written = db.Write([&](store::Transaction& tx) -> Status {
    outcome = operation(tx);
    if (!outcome.ok()) {
      return outcome;  // rolls back
    }
    return AppendRecord(tx, clock, context, entry, audit::kDecisionAllow, "");
  });
  if (!outcome.ok() && IsDenial(outcome)) {
    return RecordDenial(db, clock, context, entry, outcome);
  }
  return written;
}

Status CheckedRead(store::Database& db, const Clock& clock, const RequestContext& context,
                   AuditEntry& entry, const std::function<Status(store::Transaction&)>& check) {
  Status outcome;
  const Status read = db.Read([&](store::Transaction& tx) -> Status {
    outcome = check(tx);
    return outcome;
  });
  if (!outcome.ok() && IsDenial(outcome)) {
    return RecordDenial(db, clock, context, entry, outcome);
  }
  return read;
}

Result<authz::Role> Authorize(store::Transaction& tx, const RequestContext& context,
                              std::string_view entity_id, authz::Action action, AuditEntry& entry) {
  authz::Decision decision = authz::Decide(tx, context.principal, entity_id, action);
  if (!decision.allowed()) {
    entry.reason = decision.reason;
    return decision.status;
  }
  return *decision.role;
}

Status AuthorizeOrganizationAction(store::Transaction& tx, const RequestContext& context,
                                   authz::Action action, AuditEntry& entry) {
  authz::Decision decision = authz::DecideOrganizationAction(tx, context.principal, action);
  if (!decision.allowed()) {
    entry.reason = decision.reason;
  }
  return decision.status;
}

}  // namespace custody::evidence
