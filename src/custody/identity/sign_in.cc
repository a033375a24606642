#include "custody/identity/sign_in.h"

#include <algorithm>
#include <sstream>

#include "custody/audit/audit_log.h"
#include "custody/audit/record.h"
#include "custody/common/log.h"
#include "custody/identity/users.h"

namespace custody::identity {
namespace {

std::string JoinValues(const std::vector<std::string>& values) {
  std::string joined;
  for (const std::string& value : values) {
    if (!joined.empty()) {
      joined += ' ';
    }
    joined += value;
  }
  return joined;
}

std::vector<std::string> SplitValues(std::string_view joined) {
  std::vector<std::string> values;
  std::istringstream stream{std::string(joined)};
  std::string value;
  while (stream >> value) {
    values.push_back(value);
  }
  return values;
}

bool Contains(const std::vector<std::string>& values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// A refusal of the sign-in: its status and reason code, and the user when one was found.
struct Refusal {
  Status status;
  std::string reason;
  std::string user_id;
};

Refusal Refuse(std::string_view reason, std::string user_id = {}) {
  if (reason == kReasonMfaRequired) {
    return {PermissionDenied("the organization requires multi-factor authentication; sign in "
                             "at your identity provider with a second factor"),
            std::string(reason), std::move(user_id)};
  }
  return {Unauthenticated("sign-in failed: no active user of this organization matches the "
                          "identity provider's account"),
          std::string(reason), std::move(user_id)};
}

Status AppendSignInRecord(store::Transaction& tx, const Clock& clock, const RequestInfo& request,
                          std::string_view organization_id, std::string_view actor,
                          std::string_view action, std::string_view resource,
                          std::string_view decision, std::string_view reason) {
  audit::Record record;
  record.organization_id = std::string(organization_id);
  record.actor = actor.empty() ? std::string(audit::kActorAnonymous) : std::string(actor);
  record.action = std::string(action);
  record.resource = std::string(resource);
  record.decision = std::string(decision);
  record.reason = std::string(reason);
  record.request_id = request.request_id;
  record.source = request.source;
  record.time = clock.Now();
  const Result<uint64_t> appended = audit::Append(tx, record);
  if (appended.status().code() == ErrorCode::kInvalidArgument) {
    return Internal("the audit log rejected the record of " + std::string(action) + ": " +
                    appended.status().message());
  }
  return appended.status();
}

Status BindIdentity(store::Transaction& tx, const Clock& clock, const VerifiedSignIn& sign_in,
                    std::string_view user_id) {
  return tx
      .Execute(
          "INSERT INTO user_identities (organization_id, issuer, subject, user_id, "
          "created_at) VALUES (?, ?, ?, ?, ?)",
          {sign_in.organization_id, sign_in.issuer, sign_in.subject, user_id,
           store::ToUnixMicros(clock.Now())})
      .status();
}

// Finds the user of the sign-in, binding or provisioning it as the policy allows. Sets
// `refusal` and returns an empty id when the sign-in matches no user it may use.
Result<std::string> LinkUser(store::Transaction& tx, const Clock& clock, const SsoPolicy& policy,
                             const VerifiedSignIn& sign_in, const RequestInfo& request,
                             std::optional<Refusal>& refusal) {
  CUSTODY_ASSIGN_OR_RETURN(std::optional<store::Row> bound,
                           tx.QueryOne("SELECT user_id FROM user_identities "
                                       "WHERE organization_id = ? AND issuer = ? AND subject = ?",
                                       {sign_in.organization_id, sign_in.issuer, sign_in.subject}));
  if (bound.has_value()) {
    return bound->Text(0);
  }
  if (!sign_in.email.has_value()) {
    refusal = Refuse(policy.jit_provisioning ? kReasonEmailMissing : kReasonUserUnknown);
    return std::string();
  }
  Result<User> by_email = FindUserByEmail(tx, sign_in.organization_id, *sign_in.email);
  if (!by_email.ok() && by_email.status().code() != ErrorCode::kNotFound) {
    return by_email.status();
  }
  if (by_email.ok()) {
    if (policy.link_by != LinkBy::kEmail) {
      // The e-mail alone never binds an identity under LinkBy::kSubject, and a new user with
      // the same e-mail cannot be provisioned either.
      refusal = Refuse(policy.jit_provisioning ? kReasonIdentityConflict : kReasonUserUnknown);
      return std::string();
    }
    CUSTODY_ASSIGN_OR_RETURN(std::optional<store::Row> other,
                             tx.QueryOne("SELECT subject FROM user_identities "
                                         "WHERE organization_id = ? AND issuer = ? AND user_id = ?",
                                         {sign_in.organization_id, sign_in.issuer, by_email->id}));
    if (other.has_value()) {
      // The user is already bound to another account of this IdP.
      refusal = Refuse(kReasonIdentityConflict, by_email->id);
      return std::string();
    }
    CUSTODY_RETURN_IF_ERROR(BindIdentity(tx, clock, sign_in, by_email->id));
    CUSTODY_RETURN_IF_ERROR(AppendSignInRecord(tx, clock, request, sign_in.organization_id,
                                               by_email->id, "user.identity.bind",
                                               "user/" + by_email->id, audit::kDecisionAllow, ""));
    return by_email->id;
  }
  if (!policy.jit_provisioning) {
    refusal = Refuse(kReasonUserUnknown);
    return std::string();
  }
  const std::string display_name = sign_in.display_name.value_or(*sign_in.email);
  Result<User> created =
      CreateUser(tx, clock, sign_in.organization_id, *sign_in.email, display_name);
  if (!created.ok() && created.status().code() == ErrorCode::kInvalidArgument) {
    // A display name that Custody does not accept falls back to the e-mail address.
    created = CreateUser(tx, clock, sign_in.organization_id, *sign_in.email, *sign_in.email);
  }
  if (!created.ok()) {
    if (created.status().code() == ErrorCode::kInvalidArgument) {
      refusal = Refuse(kReasonEmailMissing);
      return std::string();
    }
    return created.status();
  }
  CUSTODY_RETURN_IF_ERROR(BindIdentity(tx, clock, sign_in, created->id));
  CUSTODY_RETURN_IF_ERROR(AppendSignInRecord(tx, clock, request, sign_in.organization_id,
                                             audit::kActorSystem, "user.provision",
                                             "user/" + created->id, audit::kDecisionAllow, ""));
  return created->id;
}

}  // namespace

std::vector<std::string> DefaultMfaAmrValues() {
  return {"mfa", "otp", "hwk", "swk", "sms", "pop", "sc"};
}

std::vector<std::string> DefaultMfaAcrValues() {
  return {"http://schemas.openid.net/pape/policies/2007/06/multi-factor",
          "https://refeds.org/profile/mfa"};
}

std::vector<std::string> DefaultSamlMfaContexts() {
  return {"https://refeds.org/profile/mfa", "http://schemas.microsoft.com/claims/multipleauthn"};
}

Result<SsoPolicy> GetSsoPolicy(store::Transaction& tx, std::string_view organization_id) {
  SsoPolicy policy;
  policy.organization_id = std::string(organization_id);
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT link_by, require_mfa, jit_provisioning, mfa_amr_values, "
                  "mfa_acr_values, saml_mfa_contexts FROM sso_policies WHERE organization_id = ?",
                  {organization_id}));
  if (!row.has_value()) {
    return policy;
  }
  policy.link_by = row->Text(0) == "email" ? LinkBy::kEmail : LinkBy::kSubject;
  policy.require_mfa = row->Int64(1) != 0;
  policy.jit_provisioning = row->Int64(2) != 0;
  policy.mfa_amr_values = SplitValues(row->Text(3));
  policy.mfa_acr_values = SplitValues(row->Text(4));
  policy.saml_mfa_contexts = SplitValues(row->Text(5));
  return policy;
}

Status PutSsoPolicy(store::Transaction& tx, const Clock& clock, const SsoPolicy& policy) {
  for (const std::vector<std::string>* values :
       {&policy.mfa_amr_values, &policy.mfa_acr_values, &policy.saml_mfa_contexts}) {
    for (const std::string& value : *values) {
      const bool has_space = value.find_first_of(" \t\r\n") != std::string::npos;
      if (value.empty() || has_space || value.size() > 200) {
        return InvalidArgument("an MFA value must be 1 to 200 characters without white space");
      }
    }
  }
  return tx
      .Execute(
          "INSERT INTO sso_policies (organization_id, link_by, require_mfa, jit_provisioning, "
          "mfa_amr_values, mfa_acr_values, saml_mfa_contexts, updated_at) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (organization_id) DO UPDATE SET "
          "link_by = ?2, require_mfa = ?3, jit_provisioning = ?4, mfa_amr_values = ?5, "
          "mfa_acr_values = ?6, saml_mfa_contexts = ?7, updated_at = ?8",
          {policy.organization_id, policy.link_by == LinkBy::kEmail ? "email" : "subject",
           policy.require_mfa ? 1 : 0, policy.jit_provisioning ? 1 : 0,
           JoinValues(policy.mfa_amr_values), JoinValues(policy.mfa_acr_values),
           JoinValues(policy.saml_mfa_contexts), store::ToUnixMicros(clock.Now())})
      .status();
}

bool ProvesMfa(const SsoPolicy& policy, const VerifiedSignIn& sign_in) {
  if (sign_in.method == kMethodSaml) {
    for (const std::string& context : sign_in.authn_methods) {
      if (Contains(policy.saml_mfa_contexts, context)) {
        return true;
      }
    }
    return sign_in.acr.has_value() && Contains(policy.saml_mfa_contexts, *sign_in.acr);
  }
  for (const std::string& amr : sign_in.authn_methods) {
    if (Contains(policy.mfa_amr_values, amr)) {
      return true;
    }
  }
  return sign_in.acr.has_value() && Contains(policy.mfa_acr_values, *sign_in.acr);
}

Result<NewSession> CompleteSignIn(store::Database& db, const SsoPolicy& policy,
                                  const VerifiedSignIn& sign_in, const RequestInfo& request,
                                  const Clock& clock, std::string* failure_reason) {
  if (sign_in.organization_id.empty() || sign_in.organization_id != policy.organization_id) {
    return Internal("the sign-in policy belongs to another organization");
  }
  if (sign_in.method != kMethodOidc && sign_in.method != kMethodSaml) {
    return Internal("unknown sign-in method " + sign_in.method);
  }
  if (sign_in.issuer.empty() || sign_in.subject.empty()) {
    return Internal("a verified sign-in needs an issuer and a subject");
  }
  const bool mfa = ProvesMfa(policy, sign_in);

  std::optional<Refusal> refusal;
  std::optional<NewSession> created;
  const Status written = db.Write([&](store::Transaction& tx) -> Status {
    CUSTODY_ASSIGN_OR_RETURN(const std::string user_id,
                             LinkUser(tx, clock, policy, sign_in, request, refusal));
    if (refusal.has_value()) {
      return refusal->status;  // rolls back a binding or provisioning
    }
    CUSTODY_ASSIGN_OR_RETURN(const User user, GetUser(tx, sign_in.organization_id, user_id));
    if (!user.active) {
      refusal = Refuse(kReasonSignInUserDeactivated, user_id);
      return refusal->status;
    }
    if (policy.require_mfa && !mfa) {
      refusal = Refuse(kReasonMfaRequired, user_id);
      return refusal->status;
    }
    SessionSpec spec;
    spec.organization_id = sign_in.organization_id;
    spec.user_id = user_id;
    spec.method = sign_in.method;
    spec.issuer = sign_in.issuer;
    spec.mfa = mfa;
    if (mfa) {
      spec.mfa_at = sign_in.authn_time.value_or(clock.Now());
    }
    spec.idp_session = sign_in.idp_session;
    spec.lifetime = policy.session_lifetime;
    CUSTODY_ASSIGN_OR_RETURN(NewSession session, CreateSession(tx, clock, spec));
    CUSTODY_RETURN_IF_ERROR(AppendSignInRecord(tx, clock, request, sign_in.organization_id, user_id,
                                               "auth.sign_in." + sign_in.method, "user/" + user_id,
                                               audit::kDecisionAllow, ""));
    CUSTODY_RETURN_IF_ERROR(AppendSignInRecord(tx, clock, request, sign_in.organization_id, user_id,
                                               "session.create", "session/" + session.session.id,
                                               audit::kDecisionAllow, ""));
    created = std::move(session);
    return Status::Ok();
  });
  if (written.ok()) {
    if (failure_reason != nullptr) {
      failure_reason->clear();
    }
    return std::move(*created);
  }
  if (!refusal.has_value()) {
    log::Error("sign-in failed on the database",
               {{"request_id", request.request_id}, {"error", written.ToString()}});
    return Unavailable("the service cannot complete the sign-in now; try again later");
  }
  if (failure_reason != nullptr) {
    *failure_reason = refusal->reason;
  }
  const std::string resource = refusal->user_id.empty() ? "" : "user/" + refusal->user_id;
  const Status recorded = db.Write([&](store::Transaction& tx) {
    return AppendSignInRecord(tx, clock, request, sign_in.organization_id, refusal->user_id,
                              "auth.sign_in." + sign_in.method, resource, audit::kDecisionDeny,
                              refusal->reason);
  });
  if (!recorded.ok()) {
    log::Error("audit record of a refused sign-in not written", {{"request_id", request.request_id},
                                                                 {"reason", refusal->reason},
                                                                 {"error", recorded.ToString()}});
    return Unavailable("the audit log cannot be written now; try again later");
  }
  return refusal->status;
}

}  // namespace custody::identity
