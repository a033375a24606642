// Server-side sign-in sessions and their refresh credentials.
//
// A session is created by a completed sign-in (CompleteSignIn in sign_in.h). Custody's JWT
// access tokens name it in their "sid" claim. Every authenticated request reads the session row
// and the user's row, so a revoked or expired session, or a deactivated user, fails on the
// very next request on every node that shares the database.
//
// A refresh credential reads "csr_<22 alphanumerics>_<43 alphanumerics>": the session id
// without its "ses_" prefix, then a secret of about 256 bits, stored only as its SHA-256 (the
// reasoning of tokens.h applies). It exchanges for a new access token while the session lives.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/authz/principal.h"
#include "custody/common/clock.h"
#include "custody/common/secret.h"
#include "custody/common/status.h"
#include "custody/store/database.h"

namespace custody::identity {

inline constexpr std::string_view kSessionIdPrefix = "ses_";
inline constexpr std::string_view kRefreshValuePrefix = "csr_";

// Revocation reasons, stored on the session.
inline constexpr std::string_view kRevokedSignOut = "sign_out";
inline constexpr std::string_view kRevokedByAdmin = "admin";
inline constexpr std::string_view kRevokedUserDeactivated = "user_deactivated";
inline constexpr std::string_view kRevokedRoleChanged = "role_changed";

// Authentication failure reason codes of a session, for the audit record only.
inline constexpr std::string_view kReasonSessionUnknown = "session_unknown";
inline constexpr std::string_view kReasonSessionExpired = "session_expired";
inline constexpr std::string_view kReasonSessionRevoked = "session_revoked";
inline constexpr std::string_view kReasonRefreshMismatch = "refresh_mismatch";

struct Session {
  std::string id;  // "ses_..."
  std::string organization_id;
  std::string user_id;
  std::string method;  // "oidc" or "saml"
  std::string issuer;  // the IdP that signed the user in
  bool mfa = false;    // the sign-in proved multi-factor authentication
  SystemTime created_at;
  std::optional<SystemTime> mfa_at;  // when that MFA sign-in happened
  SystemTime expires_at;
  std::optional<SystemTime> revoked_at;
  std::string revoked_reason;              // one of kRevoked*, empty while live
  std::optional<std::string> idp_session;  // SAML SessionIndex or OIDC sid, for sign-out
  int64_t seq = 0;                         // paging order
};

struct NewSession {
  Session session;
  Secret refresh_credential;  // "csr_..._...": hand it to the client once, never log it
};

struct SessionSpec {
  std::string organization_id;
  std::string user_id;
  std::string method;
  std::string issuer;
  bool mfa = false;
  std::optional<SystemTime> mfa_at;
  std::optional<std::string> idp_session;
  std::chrono::minutes lifetime{480};
};

// Inserts a live session and its refresh credential. Writes no audit record: the caller does.
Result<NewSession> CreateSession(store::Transaction& tx, const Clock& clock,
                                 const SessionSpec& spec);

// Returns the session, or authz::NotFoundError() when it is not one of the organization's.
Result<Session> GetSession(store::Transaction& tx, std::string_view organization_id,
                           std::string_view session_id);

inline constexpr int kMaxSessionPageSize = 200;

struct SessionPage {
  std::vector<Session> sessions;  // newest first
  std::optional<std::string> next_after;
};

// Lists the organization's sessions (only `user_id`'s when given), newest first, revoked and
// expired ones included.
Result<SessionPage> ListSessions(store::Transaction& tx, std::string_view organization_id,
                                 std::optional<std::string_view> user_id,
                                 std::optional<std::string_view> after, int limit);

// Revokes one session. Revoking a revoked session changes nothing and returns it.
Result<Session> RevokeSession(store::Transaction& tx, const Clock& clock,
                              std::string_view organization_id, std::string_view session_id,
                              std::string_view reason);

// Revokes every live session of the user and returns how many it revoked.
Result<int64_t> RevokeUserSessions(store::Transaction& tx, const Clock& clock,
                                   std::string_view organization_id, std::string_view user_id,
                                   std::string_view reason);

// Checks that the session is live (not revoked, not expired at clock.Now()) and that its user
// is active, and returns the principal. Every failure is kUnauthenticated with one message;
// `failure_reason` receives the reason code. Works in a read transaction.
Result<authz::Principal> AuthenticateSession(store::Transaction& tx, const Clock& clock,
                                             std::string_view organization_id,
                                             std::string_view session_id,
                                             std::string* failure_reason = nullptr);

// Stores the SHA-256 of `token` as the session's CSRF token, replacing any earlier one.
Status SetSessionCsrfToken(store::Transaction& tx, std::string_view organization_id,
                           std::string_view session_id, const Secret& token);

// True when `token` is the session's CSRF token (compared in constant time).
Result<bool> SessionCsrfTokenMatches(store::Transaction& tx, std::string_view organization_id,
                                     std::string_view session_id, std::string_view token);

// Replaces the session's refresh credential with a new one and returns it. The old credential
// stops working.
Result<Secret> RotateRefreshCredential(store::Transaction& tx, const Session& session);

// Looks up the session of a refresh credential and checks it as AuthenticateSession does.
Result<Session> AuthenticateRefreshCredential(store::Transaction& tx, const Clock& clock,
                                              std::string_view credential,
                                              std::string* failure_reason = nullptr);

}  // namespace custody::identity
