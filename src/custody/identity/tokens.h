// API tokens: bearer credentials for the CLI and automation.
//
// A token reads "cst_<22 alphanumerics>_<43 alphanumerics>". The first part is the token's id
// without its "tok_" prefix, so the row is found by id; the second part is the secret. Only
// SHA-256 of the secret is stored. A fast hash suffices, because the secret is 43 random
// characters from 62 (about 256 bits), far beyond any guess list or brute force. Slow, salted
// hashes protect human-chosen passwords; here they would add cost and no safety.
// The token value exists only in the result of CreateToken.
#pragma once

#include <cstdint>
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

inline constexpr std::string_view kTokenValuePrefix = "cst_";
inline constexpr size_t kTokenSecretLength = 43;
inline constexpr size_t kMaxTokenNameCharacters = 200;

// Reason codes of a failed authentication, for the audit record only: the caller always gets
// the same kUnauthenticated status.
inline constexpr std::string_view kReasonTokenMalformed = "token_malformed";
inline constexpr std::string_view kReasonTokenUnknown = "token_unknown";
inline constexpr std::string_view kReasonTokenMismatch = "token_mismatch";
inline constexpr std::string_view kReasonTokenRevoked = "token_revoked";
inline constexpr std::string_view kReasonUserDeactivated = "user_deactivated";

struct ApiToken {
  std::string id;  // "tok_..."
  std::string organization_id;
  std::string user_id;  // the user the token acts as
  std::string name;
  SystemTime created_at;
  std::string created_by;  // user id, or "system"
  std::optional<SystemTime> revoked_at;
  int64_t seq = 0;  // paging order
};

struct CreatedToken {
  ApiToken token;
  Secret value;  // "cst_..._...": show it once, never store or log it
};

// Creates a token for an active user of the organization. Fails with kInvalidArgument for an
// invalid name ("/name") or a user id that is not an active user of the organization
// ("/user_id"). The caller authorizes first: a token for oneself needs only authentication, a
// token for someone else needs authz::Action::kManageTokensOfOthers.
Result<CreatedToken> CreateToken(store::Transaction& tx, const Clock& clock,
                                 std::string_view organization_id, std::string_view user_id,
                                 std::string_view name, std::string_view created_by);

// Returns the token, or authz::NotFoundError().
Result<ApiToken> GetToken(store::Transaction& tx, std::string_view organization_id,
                          std::string_view token_id);

struct TokenPage {
  std::vector<ApiToken> tokens;  // newest first, revoked ones included
  // The id of the page's last token, to pass as `after` for the next page; empty on the last
  // page.
  std::optional<std::string> next_after;
};

inline constexpr int kMaxTokenPageSize = 200;

// Lists the organization's tokens, or only those of `user_id` when given, newest first, after the
// token `after` (a next_after). Returns store::InvalidCursorError() when `after` is not a token
// that this listing includes.
Result<TokenPage> ListTokens(store::Transaction& tx, std::string_view organization_id,
                             std::optional<std::string_view> user_id,
                             std::optional<std::string_view> after, int limit);

// Revokes the token; it fails authentication from the next request on. Revoking a revoked
// token changes nothing and returns it. Returns authz::NotFoundError() when absent.
Result<ApiToken> RevokeToken(store::Transaction& tx, const Clock& clock,
                             std::string_view organization_id, std::string_view token_id);

// Revokes every unrevoked token of the user (a role change does) and returns how many.
Result<int64_t> RevokeUserTokens(store::Transaction& tx, const Clock& clock,
                                 std::string_view organization_id, std::string_view user_id);

// Authenticates a bearer token value (the text after "Bearer "). Returns the principal, or
// kUnauthenticated with one message for every failure: malformed, unknown, wrong secret,
// revoked, or the user deactivated. `failure_reason`, when given, receives the reason code
// for the audit record. A database failure returns its own status (kUnavailable), which the
// caller must turn into a denial as well. Works in a read transaction.
Result<authz::Principal> AuthenticateToken(store::Transaction& tx, std::string_view bearer,
                                           std::string* failure_reason = nullptr);

}  // namespace custody::identity
