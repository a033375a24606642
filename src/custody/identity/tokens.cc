#include "custody/identity/tokens.h"

#include "custody/authz/authorize.h"
#include "custody/authz/validation.h"
#include "custody/identity/bearer_credentials.h"
#include "custody/identity/organization_rows.h"
#include "custody/identity/user_pages.h"
#include "custody/store/ids.h"

namespace custody::identity {
namespace {

constexpr std::string_view kTokenColumns =
    "seq, id, organization_id, user_id, name, created_at, created_by, revoked_at";

ApiToken TokenFromRow(const store::Row& row) {
  ApiToken token;
  token.seq = row.Int64(0);
  token.id = row.Text(1);
  token.organization_id = row.Text(2);
  token.user_id = row.Text(3);
  token.name = row.Text(4);
  token.created_at = row.Time(5);
  token.created_by = row.Text(6);
  token.revoked_at = row.OptionalTime(7);
  return token;
}

constexpr BearerCredentialFormat kTokenFormat{kTokenValuePrefix, store::kTokenIdPrefix,
                                              kTokenSecretLength};

Status RejectToken(std::string_view reason, std::string* failure_reason) {
  return RejectCredential("the API token is missing, invalid or revoked", reason, failure_reason);
}

}  // namespace

Result<CreatedToken> CreateToken(store::Transaction& tx, const Clock& clock,
                                 std::string_view organization_id, std::string_view user_id,
                                 std::string_view name, std::string_view created_by) {
  CUSTODY_RETURN_IF_ERROR(authz::ValidateName(name, "/name", kMaxTokenNameCharacters));
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> user,
      tx.QueryOne("SELECT active FROM users WHERE organization_id = ? AND id = ?",
                  {organization_id, user_id}));
  if (!user.has_value() || user->Int64(0) == 0) {
    return InvalidArgument("user_id must name an active user of the organization", "/user_id");
  }

  CreatedToken created;
  ApiToken& token = created.token;
  token.id = store::NewId(store::kTokenIdPrefix);
  token.organization_id = std::string(organization_id);
  token.user_id = std::string(user_id);
  token.name = std::string(name);
  token.created_at = store::FromUnixMicros(store::ToUnixMicros(clock.Now()));
  token.created_by = std::string(created_by);

  NewBearerCredential credential = GenerateBearerCredential(token.id, kTokenFormat);
  created.value = std::move(credential.value);
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("INSERT INTO api_tokens (id, organization_id, user_id, name, secret_hash, "
                  "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
                  {token.id, token.organization_id, token.user_id, token.name,
                   store::Blob{std::move(credential.secret_hash)},
                   store::ToUnixMicros(token.created_at), token.created_by}));
  token.seq = row->Int64(0);
  return created;
}

Result<ApiToken> GetToken(store::Transaction& tx, std::string_view organization_id,
                          std::string_view token_id) {
  CUSTODY_ASSIGN_OR_RETURN(const store::Row row, GetOrganizationRow(tx, "api_tokens", kTokenColumns,
                                                                    organization_id, token_id));
  return TokenFromRow(row);
}

Result<TokenPage> ListTokens(store::Transaction& tx, std::string_view organization_id,
                             std::optional<std::string_view> user_id,
                             std::optional<std::string_view> after, int limit) {
  CUSTODY_ASSIGN_OR_RETURN(const std::vector<store::Row> rows,
                           QueryUserPage(tx, {"api_tokens", kTokenColumns, kMaxTokenPageSize},
                                         organization_id, user_id, after, limit));
  TokenPage page;
  CUSTODY_ASSIGN_OR_RETURN(page.next_after,
                           AppendPageItems(rows, limit, TokenFromRow, page.tokens));
  return page;
}

Result<ApiToken> RevokeToken(store::Transaction& tx, const Clock& clock,
                             std::string_view organization_id, std::string_view token_id) {
  CUSTODY_ASSIGN_OR_RETURN(ApiToken token, GetToken(tx, organization_id, token_id));
  if (token.revoked_at.has_value()) {
    return token;
  }
  token.revoked_at = store::FromUnixMicros(store::ToUnixMicros(clock.Now()));
  CUSTODY_RETURN_IF_ERROR(
      tx.Execute("UPDATE api_tokens SET revoked_at = ? WHERE organization_id = ? AND id = ?",
                 {store::ToUnixMicros(*token.revoked_at), organization_id, token_id})
          .status());
  return token;
}

Result<int64_t> RevokeUserTokens(store::Transaction& tx, const Clock& clock,
                                 std::string_view organization_id, std::string_view user_id) {
  return tx.Execute(
      "UPDATE api_tokens SET revoked_at = ? "
      "WHERE organization_id = ? AND user_id = ? AND revoked_at IS NULL",
      {store::ToUnixMicros(clock.Now()), organization_id, user_id});
}

Result<authz::Principal> AuthenticateToken(store::Transaction& tx, std::string_view bearer,
                                           std::string* failure_reason) {
  const std::optional<ParsedBearerCredential> parsed = ParseBearerCredential(bearer, kTokenFormat);
  if (!parsed.has_value()) {
    return RejectToken(kReasonTokenMalformed, failure_reason);
  }

  // Joined with the user so that deactivation is seen on the very next request.
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT t.organization_id, t.user_id, t.secret_hash, t.revoked_at, u.active "
                  "FROM api_tokens t JOIN users u "
                  "ON u.organization_id = t.organization_id AND u.id = t.user_id "
                  "WHERE t.id = ?",
                  {parsed->id}));

  // Compared for unknown ids too, so that both take the same work.
  const std::optional<std::string> stored_hash =
      row.has_value() ? std::optional<std::string>(row->Bytes(2)) : std::nullopt;
  const bool hash_matches = SecretMatchesStoredHash(parsed->secret, stored_hash);
  if (!row.has_value()) {
    return RejectToken(kReasonTokenUnknown, failure_reason);
  }
  if (!hash_matches) {
    return RejectToken(kReasonTokenMismatch, failure_reason);
  }
  if (!row->IsNull(3)) {
    return RejectToken(kReasonTokenRevoked, failure_reason);
  }
  if (row->Int64(4) == 0) {
    return RejectToken(kReasonUserDeactivated, failure_reason);
  }
  if (failure_reason != nullptr) {
    failure_reason->clear();
  }
  return authz::Principal{row->Text(0), row->Text(1), parsed->id, ""};
}

}  // namespace custody::identity
