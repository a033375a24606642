#include "custody/scim/tokens.h"

#include "custody/authz/authorize.h"
#include "custody/authz/validation.h"
#include "custody/identity/bearer_credentials.h"
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

constexpr identity::BearerCredentialFormat kScimTokenFormat{
    kScimTokenValuePrefix, kScimTokenIdPrefix, kScimTokenSecretLength};

Status Reject(std::string_view reason, std::string* failure_reason) {
  return identity::RejectCredential("the SCIM token is missing, invalid or revoked", reason,
                                    failure_reason);
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

  identity::NewBearerCredential credential =
      identity::GenerateBearerCredential(token.id, kScimTokenFormat);
  created.value = std::move(credential.value);
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("INSERT INTO scim_tokens (id, organization_id, name, secret_hash, created_at, "
                  "created_by) VALUES (?, ?, ?, ?, ?, ?) RETURNING seq",
                  {token.id, token.organization_id, token.name,
                   store::Blob{std::move(credential.secret_hash)},
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
  const std::optional<identity::ParsedBearerCredential> parsed =
      identity::ParseBearerCredential(bearer, kScimTokenFormat);
  if (!parsed.has_value()) {
    return Reject(kReasonScimTokenMalformed, failure_reason);
  }
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT organization_id, secret_hash, revoked_at FROM scim_tokens WHERE id = ?",
                  {parsed->id}));
  // Compared for unknown ids too, so that both take the same work.
  const std::optional<std::string> stored_hash =
      row.has_value() ? std::optional<std::string>(row->Bytes(1)) : std::nullopt;
  const bool hash_matches = identity::SecretMatchesStoredHash(parsed->secret, stored_hash);
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
  return ScimPrincipal{row->Text(0), parsed->id};
}

}  // namespace custody::scim
