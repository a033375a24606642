// SCIM bearer tokens: organization-scoped credentials of an IdP's provisioning client.
//
// A token reads "scim_<22 alphanumerics>_<43 alphanumerics>". The first part is the token's id
// without its "sct_" prefix; the second part is the secret, of which only SHA-256 is stored.
// As for API tokens (identity/tokens.h), a fast hash suffices because the secret is about 256
// random bits. An organization may have several active tokens, so that a new one can be put
// into the IdP before the old one is revoked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/clock.h"
#include "custody/common/secret.h"
#include "custody/common/status.h"
#include "custody/store/database.h"

namespace custody::scim {

inline constexpr std::string_view kScimTokenIdPrefix = "sct_";
inline constexpr std::string_view kScimTokenValuePrefix = "scim_";
inline constexpr size_t kScimTokenSecretLength = 43;
inline constexpr size_t kMaxScimTokenNameCharacters = 200;

struct ScimToken {
  std::string id;  // "sct_..."
  std::string organization_id;
  std::string name;
  SystemTime created_at;
  std::string created_by;  // user id
  std::optional<SystemTime> revoked_at;
  int64_t seq = 0;
};

struct CreatedScimToken {
  ScimToken token;
  Secret value;  // "scim_..._...": shown once, never stored or logged
};

Result<CreatedScimToken> CreateScimToken(store::Transaction& tx, const Clock& clock,
                                         std::string_view organization_id, std::string_view name,
                                         std::string_view created_by);

// Returns the token, or authz::NotFoundError().
Result<ScimToken> GetScimToken(store::Transaction& tx, std::string_view organization_id,
                               std::string_view token_id);

inline constexpr int kMaxScimTokenPageSize = 200;

// Lists the organization's tokens, newest first, revoked ones included; at most `limit`.
Result<std::vector<ScimToken>> ListScimTokens(store::Transaction& tx,
                                              std::string_view organization_id, int limit);

// Revokes the token: it fails from the next request on. Revoking twice changes nothing.
Result<ScimToken> RevokeScimToken(store::Transaction& tx, const Clock& clock,
                                  std::string_view organization_id, std::string_view token_id);

// The organization and token of an authenticated SCIM request.
struct ScimPrincipal {
  std::string organization_id;
  std::string token_id;
};

// Reason codes of a failed authentication, for the audit record only.
inline constexpr std::string_view kReasonScimTokenMissing = "token_missing";
inline constexpr std::string_view kReasonScimTokenMalformed = "token_malformed";
inline constexpr std::string_view kReasonScimTokenUnknown = "token_unknown";
inline constexpr std::string_view kReasonScimTokenMismatch = "token_mismatch";
inline constexpr std::string_view kReasonScimTokenRevoked = "token_revoked";

// Authenticates a SCIM bearer token value. Every failure is kUnauthenticated with one message;
// `failure_reason` receives the reason code. API tokens ("cst_...") are not SCIM tokens and
// fail as malformed. Works in a read transaction.
Result<ScimPrincipal> AuthenticateScimToken(store::Transaction& tx, std::string_view bearer,
                                            std::string* failure_reason = nullptr);

}  // namespace custody::scim
