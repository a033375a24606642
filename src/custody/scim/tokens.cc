#include "custody/scim/tokens.h"

#include "custody/authz/authorize.h"
#include "custody/authz/validation.h"
#include "custody/crypto/hash.h"
#include "custody/crypto/random.h"
#include "custody/store/ids.h"

namespace custody::scim {
namespace {

constexpr std::string_view kColumns =
    "seq, id, organization_id, name, created_at, created_by, revoked_at";

ScimToken TokenFromRow(const store::Row& row) {
  ScimToken token;
  token.seq = row.Int64(0);
  token.id = row.Text(1);
  token.organization_id = row.Text(2);
  token.name = row.Text(3);
  token.created_at = row.Time(4);
  token.created_by = row.Text(5);
  token.revoked_at = row.OptionalTime(6);
  return token;
}

std::string HashSecret(std::string_view secret) {
  const crypto::Sha256Digest digest = crypto::Sha256(secret);
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

bool IsAlphanumeric(std::string_view text) {
  for (char c : text) {
    const bool alphanumeric =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alphanumeric) {
      return false;
    }
  }
  return true;
}

struct ParsedToken {
  std::string token_id;
  std::string_view secret;
};

std::optional<ParsedToken> ParseTokenValue(std::string_view value) {
  constexpr size_t kIdLength = store::kIdRandomLength;
  constexpr size_t kLength = kScimTokenValuePrefix.size() + kIdLength + 1 + kScimTokenSecretLength;
  if (value.size() != kLength || !value.starts_with(kScimTokenValuePrefix)) {
    return std::nullopt;
  }
  const std::string_view id_part = value.substr(kScimTokenValuePrefix.size(), kIdLength);
  const std::string_view separator = value.substr(kScimTokenValuePrefix.size() + kIdLength, 1);
  const std::string_view secret = value.substr(kScimTokenValuePrefix.size() + kIdLength + 1);
  if (separator != "_" || !IsAlphanumeric(id_part) || !IsAlphanumeric(secret)) {
    return std::nullopt;
  }
  return ParsedToken{std::string(kScimTokenIdPrefix) + std::string(id_part), secret};
}

Status Reject(std::string_view reason, std::string* failure_reason) {
  if (failure_reason != nullptr) {
    *failure_reason = std::string(reason);
  }
  return Unauthenticated("the SCIM token is missing, invalid or revoked");
}

}  // namespace

Result<CreatedScimToken> CreateScimToken(store::Transaction& tx, const Clock& clock,
                                         std::string_view organization_id, std::string_view name,
                                         std::string_view created_by) {
  CUSTODY_RETURN_IF_ERROR(authz::ValidateName(name, "/name", kMaxScimTokenNameCharacters));
  CreatedScimToken created;
  ScimToken& token = created.token;
  token.id = store::NewId(kScimTokenIdPrefix);
  token.organization_id = std::string(organization_id);
  token.name = std::string(name);
  token.created_at = store::FromUnixMicros(store::ToUnixMicros(clock.Now()));
  token.created_by = std::string(created_by);

  const Secret secret(crypto::RandomAlphanumeric(kScimTokenSecretLength));
  created.value = Secret(std::string(kScimTokenValuePrefix) +
                         token.id.substr(kScimTokenIdPrefix.size()) + "_" + secret.Reveal());
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne(
          "INSERT INTO scim_tokens (id, organization_id, name, secret_hash, created_at, "
          "created_by) VALUES (?, ?, ?, ?, ?, ?) RETURNING seq",
          {token.id, token.organization_id, token.name, store::Blob{HashSecret(secret.Reveal())},
           store::ToUnixMicros(token.created_at), token.created_by}));
  token.seq = row->Int64(0);
  return created;
}

Result<ScimToken> GetScimToken(store::Transaction& tx, std::string_view organization_id,
                               std::string_view token_id) {
  CUSTODY_ASSIGN_OR_RETURN(std::optional<store::Row> row,
                           tx.QueryOne("SELECT " + std::string(kColumns) +
                                           " FROM scim_tokens WHERE organization_id = ? AND id = ?",
                                       {organization_id, token_id}));
  if (!row.has_value()) {
    return authz::NotFoundError();
  }
  return TokenFromRow(*row);
}

Result<std::vector<ScimToken>> ListScimTokens(store::Transaction& tx,
                                              std::string_view organization_id, int limit) {
  if (limit < 1 || limit > kMaxScimTokenPageSize) {
    return InvalidArgument("limit must be between 1 and " + std::to_string(kMaxScimTokenPageSize),
                           "limit");
  }
  CUSTODY_ASSIGN_OR_RETURN(std::vector<store::Row> rows,
                           tx.Query("SELECT " + std::string(kColumns) +
                                        " FROM scim_tokens WHERE organization_id = ? "
                                        "ORDER BY seq DESC LIMIT ?",
                                    {organization_id, limit}));
  std::vector<ScimToken> tokens;
  for (const store::Row& row : rows) {
    tokens.push_back(TokenFromRow(row));
  }
  return tokens;
}

Result<ScimToken> RevokeScimToken(store::Transaction& tx, const Clock& clock,
                                  std::string_view organization_id, std::string_view token_id) {
  CUSTODY_ASSIGN_OR_RETURN(ScimToken token, GetScimToken(tx, organization_id, token_id));
  if (token.revoked_at.has_value()) {
    return token;
  }
  token.revoked_at = store::FromUnixMicros(store::ToUnixMicros(clock.Now()));
  CUSTODY_RETURN_IF_ERROR(
      tx.Execute("UPDATE scim_tokens SET revoked_at = ? WHERE organization_id = ? AND id = ?",
                 {store::ToUnixMicros(*token.revoked_at), organization_id, token_id})
          .status());
  return token;
}

Result<ScimPrincipal> AuthenticateScimToken(store::Transaction& tx, std::string_view bearer,
                                            std::string* failure_reason) {
  const std::optional<ParsedToken> parsed = ParseTokenValue(bearer);
  if (!parsed.has_value()) {
    return Reject(kReasonScimTokenMalformed, failure_reason);
  }
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT organization_id, secret_hash, revoked_at FROM scim_tokens WHERE id = ?",
                  {parsed->token_id}));
  // Hashed and compared for unknown ids too, so that both take the same work.
  const std::string presented_hash = HashSecret(parsed->secret);
  const std::string stored_hash = row.has_value() ? row->Bytes(1) : std::string(32, '\0');
  const bool hash_matches = crypto::ConstantTimeEquals(presented_hash, stored_hash);
  if (!row.has_value()) {
    return Reject(kReasonScimTokenUnknown, failure_reason);
  }
  if (!hash_matches) {
    return Reject(kReasonScimTokenMismatch, failure_reason);
  }
  if (!row->IsNull(2)) {
    return Reject(kReasonScimTokenRevoked, failure_reason);
  }
  if (failure_reason != nullptr) {
    failure_reason->clear();
  }
  return ScimPrincipal{row->Text(0), parsed->token_id};
}

}  // namespace custody::scim
