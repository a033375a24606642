#include "custody/identity/sessions.h"

#include "custody/authz/authorize.h"
#include "custody/identity/bearer_credentials.h"
#include "custody/identity/organization_rows.h"
#include "custody/identity/tokens.h"
#include "custody/identity/user_pages.h"
#include "custody/store/ids.h"

namespace custody::identity {
namespace {

constexpr std::string_view kSessionColumns =
    "seq, id, organization_id, user_id, method, issuer, mfa, mfa_at, created_at, expires_at, "
    "revoked_at, revoked_reason, idp_session";
constexpr std::string_view kQualifiedSessionColumns =
    "s.seq, s.id, s.organization_id, s.user_id, s.method, s.issuer, s.mfa, s.mfa_at, "
    "s.created_at, s.expires_at, s.revoked_at, s.revoked_reason, s.idp_session";

Session SessionFromRow(const store::Row& row) {
  Session session;
  session.seq = row.Int64(0);
  session.id = row.Text(1);
  session.organization_id = row.Text(2);
  session.user_id = row.Text(3);
  session.method = row.Text(4);
  session.issuer = row.Text(5);
  session.mfa = row.Int64(6) != 0;
  session.mfa_at = row.OptionalTime(7);
  session.created_at = row.Time(8);
  session.expires_at = row.Time(9);
  session.revoked_at = row.OptionalTime(10);
  session.revoked_reason = row.Text(11);
  session.idp_session = row.OptionalText(12);
  return session;
}

constexpr BearerCredentialFormat kRefreshFormat{kRefreshValuePrefix, kSessionIdPrefix,
                                                kTokenSecretLength};

SystemTime Truncated(SystemTime time) {
  return store::FromUnixMicros(store::ToUnixMicros(time));
}

Status Reject(std::string_view reason, std::string* failure_reason) {
  return RejectCredential("the session is missing, expired or revoked; sign in again", reason,
                          failure_reason);
}

// Checks the columns revoked_at, expires_at and the user's active flag, in that order.
Status CheckLive(const Clock& clock, const store::Row& row, size_t revoked_column,
                 size_t expires_column, size_t active_column, std::string* failure_reason) {
  if (!row.IsNull(revoked_column)) {
    return Reject(kReasonSessionRevoked, failure_reason);
  }
  if (clock.Now() >= row.Time(expires_column)) {
    return Reject(kReasonSessionExpired, failure_reason);
  }
  if (row.Int64(active_column) == 0) {
    return Reject(kReasonUserDeactivated, failure_reason);
  }
  if (failure_reason != nullptr) {
    failure_reason->clear();
  }
  return Status::Ok();
}

}  // namespace

Result<NewSession> CreateSession(store::Transaction& tx, const Clock& clock,
                                 const SessionSpec& spec) {
  if (spec.lifetime <= std::chrono::minutes(0)) {
    return InvalidArgument("the session lifetime must be positive");
  }
  NewSession created;
  Session& session = created.session;
  session.id = store::NewId(kSessionIdPrefix);
  session.organization_id = spec.organization_id;
  session.user_id = spec.user_id;
  session.method = spec.method;
  session.issuer = spec.issuer;
  session.mfa = spec.mfa;
  if (spec.mfa_at.has_value()) {
    session.mfa_at = Truncated(*spec.mfa_at);
  }
  session.created_at = Truncated(clock.Now());
  session.expires_at = session.created_at + spec.lifetime;
  session.idp_session = spec.idp_session;

  NewBearerCredential refresh = GenerateBearerCredential(session.id, kRefreshFormat);
  created.refresh_credential = std::move(refresh.value);
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne(
          "INSERT INTO sessions (id, organization_id, user_id, method, issuer, mfa, "
          "mfa_at, created_at, expires_at, idp_session, refresh_hash) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
          {session.id, session.organization_id, session.user_id, session.method, session.issuer,
           session.mfa ? 1 : 0,
           session.mfa_at.has_value() ? std::optional<int64_t>(store::ToUnixMicros(*session.mfa_at))
                                      : std::nullopt,
           store::ToUnixMicros(session.created_at), store::ToUnixMicros(session.expires_at),
           session.idp_session, store::Blob{std::move(refresh.secret_hash)}}));
  session.seq = row->Int64(0);
  return created;
}

Result<Session> GetSession(store::Transaction& tx, std::string_view organization_id,
                           std::string_view session_id) {
  CUSTODY_ASSIGN_OR_RETURN(const store::Row row, GetOrganizationRow(tx, "sessions", kSessionColumns,
                                                                    organization_id, session_id));
  return SessionFromRow(row);
}

Result<SessionPage> ListSessions(store::Transaction& tx, std::string_view organization_id,
                                 std::optional<std::string_view> user_id,
                                 std::optional<std::string_view> after, int limit) {
  CUSTODY_ASSIGN_OR_RETURN(const std::vector<store::Row> rows,
                           QueryUserPage(tx, {"sessions", kSessionColumns, kMaxSessionPageSize},
                                         organization_id, user_id, after, limit));
  SessionPage page;
  CUSTODY_ASSIGN_OR_RETURN(page.next_after,
                           AppendPageItems(rows, limit, SessionFromRow, page.sessions));
  return page;
}

Result<Session> RevokeSession(store::Transaction& tx, const Clock& clock,
                              std::string_view organization_id, std::string_view session_id,
                              std::string_view reason) {
  CUSTODY_ASSIGN_OR_RETURN(Session session, GetSession(tx, organization_id, session_id));
  if (session.revoked_at.has_value()) {
    return session;
  }
  session.revoked_at = Truncated(clock.Now());
  session.revoked_reason = std::string(reason);
  CUSTODY_RETURN_IF_ERROR(
      tx.Execute("UPDATE sessions SET revoked_at = ?, revoked_reason = ? "
                 "WHERE organization_id = ? AND id = ?",
                 {store::ToUnixMicros(*session.revoked_at), reason, organization_id, session_id})
          .status());
  return session;
}

Result<int64_t> RevokeUserSessions(store::Transaction& tx, const Clock& clock,
                                   std::string_view organization_id, std::string_view user_id,
                                   std::string_view reason) {
  return tx.Execute(
      "UPDATE sessions SET revoked_at = ?, revoked_reason = ? "
      "WHERE organization_id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > ?",
      {store::ToUnixMicros(clock.Now()), reason, organization_id, user_id,
       store::ToUnixMicros(clock.Now())});
}

Result<authz::Principal> AuthenticateSession(store::Transaction& tx, const Clock& clock,
                                             std::string_view organization_id,
                                             std::string_view session_id,
                                             std::string* failure_reason) {
  // Joined with the user so that deactivation is seen on the very next request.
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT s.user_id, s.revoked_at, s.expires_at, u.active "
                  "FROM sessions s JOIN users u "
                  "ON u.organization_id = s.organization_id AND u.id = s.user_id "
                  "WHERE s.organization_id = ? AND s.id = ?",
                  {organization_id, session_id}));
  if (!row.has_value()) {
    return Reject(kReasonSessionUnknown, failure_reason);
  }
  CUSTODY_RETURN_IF_ERROR(CheckLive(clock, *row, 1, 2, 3, failure_reason));
  authz::Principal principal;
  principal.organization_id = std::string(organization_id);
  principal.user_id = row->Text(0);
  principal.session_id = std::string(session_id);
  return principal;
}

Status SetSessionCsrfToken(store::Transaction& tx, std::string_view organization_id,
                           std::string_view session_id, const Secret& token) {
  return tx
      .Execute("UPDATE sessions SET csrf_hash = ? WHERE organization_id = ? AND id = ?",
               {store::Blob{HashSecret(token.Reveal())}, organization_id, session_id})
      .status();
}

Result<bool> SessionCsrfTokenMatches(store::Transaction& tx, std::string_view organization_id,
                                     std::string_view session_id, std::string_view token) {
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT csrf_hash FROM sessions WHERE organization_id = ? AND id = ?",
                  {organization_id, session_id}));
  if (!row.has_value() || row->IsNull(0) || token.empty()) {
    return false;
  }
  return SecretMatchesStoredHash(token, row->Bytes(0));
}

Result<Secret> RotateRefreshCredential(store::Transaction& tx, const Session& session) {
  NewBearerCredential refresh = GenerateBearerCredential(session.id, kRefreshFormat);
  CUSTODY_RETURN_IF_ERROR(
      tx.Execute("UPDATE sessions SET refresh_hash = ? WHERE organization_id = ? AND id = ?",
                 {store::Blob{std::move(refresh.secret_hash)}, session.organization_id, session.id})
          .status());
  return std::move(refresh.value);
}

Result<Session> AuthenticateRefreshCredential(store::Transaction& tx, const Clock& clock,
                                              std::string_view credential,
                                              std::string* failure_reason) {
  const std::optional<ParsedBearerCredential> parsed =
      ParseBearerCredential(credential, kRefreshFormat);
  if (!parsed.has_value()) {
    return Reject(kReasonTokenMalformed, failure_reason);
  }
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT " + std::string(kQualifiedSessionColumns) +
                      ", s.refresh_hash, u.active FROM sessions s JOIN users u "
                      "ON u.organization_id = s.organization_id AND u.id = s.user_id "
                      "WHERE s.id = ?",
                  {parsed->id}));
  // Compared for unknown ids too, so that both take the same work.
  const std::optional<std::string> stored_hash =
      row.has_value() ? std::optional<std::string>(row->Bytes(13)) : std::nullopt;
  const bool hash_matches = SecretMatchesStoredHash(parsed->secret, stored_hash);
  if (!row.has_value()) {
    return Reject(kReasonSessionUnknown, failure_reason);
  }
  if (!hash_matches) {
    return Reject(kReasonRefreshMismatch, failure_reason);
  }
  CUSTODY_RETURN_IF_ERROR(CheckLive(clock, *row, 10, 9, 14, failure_reason));
  return SessionFromRow(*row);
}

}  // namespace custody::identity
