#include "custody/identity/oidc/relying_party.h"

#include <nlohmann/json.hpp>

#include "custody/aws/sigv4.h"
#include "custody/common/log.h"
#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"
#include "custody/crypto/random.h"
#include "custody/identity/oidc/id_token.h"

namespace custody::identity::oidc {
namespace {

using nlohmann::json;

constexpr size_t kStateLength = 43;
constexpr size_t kNonceLength = 32;
constexpr size_t kCodeVerifierLength = 64;  // RFC 7636 allows 43 to 128
constexpr size_t kMaxCallbackValueLength = 2048;
constexpr std::chrono::seconds kClientAssertionLifetime{60};

std::string HashBytes(std::string_view value) {
  const crypto::Sha256Digest digest = crypto::Sha256(value);
  return std::string(crypto::AsChars(digest));
}

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string encoded;
  for (const auto& [name, value] : fields) {
    if (!encoded.empty()) {
      encoded += '&';
    }
    encoded += aws::sigv4::UriEncode(name, true) + "=" + aws::sigv4::UriEncode(value, true);
  }
  return encoded;
}

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string joined;
  for (const std::string& scope : scopes) {
    joined += (joined.empty() ? "" : " ") + scope;
  }
  return joined;
}

std::optional<std::string> StringMember(const json& object, const char* name) {
  const auto found = object.find(name);
  if (found == object.end() || !found->is_string()) {
    return std::nullopt;
  }
  return found->get<std::string>();
}

Status Refuse(std::string_view reason, std::string* failure_reason) {
  if (failure_reason != nullptr) {
    *failure_reason = std::string(reason);
  }
  return Unauthenticated("the sign-in with the identity provider failed; start again");
}

int64_t UnixSeconds(SystemTime time) {
  return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

struct Pending {
  std::string organization_id;
  std::string binding_hash;
  std::string nonce;
  std::string code_verifier;
  std::string return_to;
  std::optional<std::string> cli_redirect;
};

}  // namespace

std::string CodeChallengeS256(std::string_view verifier) {
  const crypto::Sha256Digest digest = crypto::Sha256(verifier);
  return crypto::Base64UrlEncode(crypto::AsChars(digest));
}

RelyingParty::RelyingParty(aws::HttpTransport& transport, const Clock& clock,
                           RelyingPartyOptions options)
    : transport_(transport), clock_(clock), options_(std::move(options)) {}

Status RelyingParty::CheckEndpoint(std::string_view url, std::string_view name) const {
  const Result<aws::Url> parsed = aws::ParseUrl(url);
  if (!parsed.ok()) {
    return UpstreamFailed("the identity provider's " + std::string(name) + " is not a valid URL");
  }
  const bool loopback_http = options_.allow_insecure_loopback && parsed->scheme == "http" &&
                             aws::IsLoopbackHost(parsed->host);
  if (parsed->scheme != "https" && !loopback_http) {
    return UpstreamFailed("the identity provider's " + std::string(name) + " must use https://");
  }
  return Status::Ok();
}

Result<std::string> RelyingParty::FetchJson(const std::string& url) {
  aws::HttpRequest request;
  request.method = "GET";
  request.url = url;
  request.headers = {{"Accept", "application/json"}};
  Result<aws::HttpResponse> response = transport_.Send(request);
  if (!response.ok()) {
    log::Warn("identity provider request failed",
              {{"url", url}, {"error", response.status().ToString()}});
    return Unavailable("the identity provider cannot be reached now; try again later");
  }
  if (response->status != 200) {
    log::Warn("identity provider returned an error", {{"url", url}, {"status", response->status}});
    return UpstreamFailed("the identity provider returned HTTP " +
                          std::to_string(response->status) + " for " + url);
  }
  return std::move(response->body);
}

Result<ProviderMetadata> RelyingParty::Discover(const std::string& issuer) {
  {
    std::lock_guard lock(mutex_);
    const auto cached = metadata_.find(issuer);
    if (cached != metadata_.end() &&
        clock_.Now() - cached->second.fetched_at < options_.cache_lifetime) {
      return cached->second.metadata;
    }
  }
  std::string base = issuer;
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  CUSTODY_ASSIGN_OR_RETURN(const std::string body,
                           FetchJson(base + "/.well-known/openid-configuration"));
  const json document = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) {
    return UpstreamFailed("the identity provider's discovery document is not a JSON object");
  }
  ProviderMetadata metadata;
  const std::optional<std::string> stated_issuer = StringMember(document, "issuer");
  // OpenID Connect Discovery section 4.3: the issuer must be exactly the one configured.
  if (!stated_issuer.has_value() || *stated_issuer != issuer) {
    return UpstreamFailed("the discovery document's issuer does not match the configured issuer " +
                          issuer);
  }
  metadata.issuer = *stated_issuer;
  for (auto [field, name] : {std::pair{&metadata.authorization_endpoint, "authorization_endpoint"},
                             std::pair{&metadata.token_endpoint, "token_endpoint"},
                             std::pair{&metadata.jwks_uri, "jwks_uri"}}) {
    const std::optional<std::string> value = StringMember(document, name);
    if (!value.has_value()) {
      return UpstreamFailed(std::string("the discovery document has no ") + name);
    }
    CUSTODY_RETURN_IF_ERROR(CheckEndpoint(*value, name));
    *field = *value;
  }
  if (const std::optional<std::string> end_session = StringMember(document, "end_session_endpoint");
      end_session.has_value() && CheckEndpoint(*end_session, "end_session_endpoint").ok()) {
    metadata.end_session_endpoint = end_session;
  }
  std::lock_guard lock(mutex_);
  metadata_[issuer] = CachedMetadata{metadata, clock_.Now()};
  return metadata;
}

Result<std::vector<Jwk>> RelyingParty::Keys(const std::string& jwks_uri, bool refetch) {
  {
    std::lock_guard lock(mutex_);
    const auto cached = keys_.find(jwks_uri);
    if (cached != keys_.end()) {
      const auto age = clock_.Now() - cached->second.fetched_at;
      const bool fresh = !refetch && age < options_.cache_lifetime;
      const bool rate_limited = refetch && age < options_.jwks_refetch_interval;
      if (fresh || rate_limited) {
        return cached->second.keys;
      }
    }
  }
  CUSTODY_ASSIGN_OR_RETURN(const std::string body, FetchJson(jwks_uri));
  Result<std::vector<Jwk>> keys = ParseJwkSet(body);
  if (!keys.ok()) {
    return UpstreamFailed("the identity provider's JWKS is invalid: " + keys.status().message());
  }
  std::lock_guard lock(mutex_);
  keys_[jwks_uri] = CachedKeys{*keys, clock_.Now()};
  return keys;
}

Result<std::string> RelyingParty::Begin(store::Database& db, const BeginRequest& request) {
  if (request.binding.size() < 32) {
    return Internal("the browser binding value is too short");
  }
  CUSTODY_ASSIGN_OR_RETURN(const Provider provider,
                           store::ReadReturning<Provider>(db, [&](store::Transaction& tx) {
                             return GetProvider(tx, request.organization_id, options_.sealing_key);
                           }));
  CUSTODY_ASSIGN_OR_RETURN(const ProviderMetadata metadata, Discover(provider.settings.issuer));

  const std::string state = crypto::RandomAlphanumeric(kStateLength);
  const std::string nonce = crypto::RandomAlphanumeric(kNonceLength);
  const std::string verifier = crypto::RandomAlphanumeric(kCodeVerifierLength);
  const int64_t now = store::ToUnixMicros(clock_.Now());
  const int64_t expires = store::ToUnixMicros(clock_.Now() + options_.pending_lifetime);
  const Status stored = db.Write([&](store::Transaction& tx) -> Status {
    // Expired requests can never complete, so each new one clears them away.
    CUSTODY_RETURN_IF_ERROR(
        tx.Execute("DELETE FROM oidc_pending WHERE expires_at < ?", {now}).status());
    return tx
        .Execute(
            "INSERT INTO oidc_pending (state_hash, organization_id, binding_hash, nonce, "
            "code_verifier, return_to, cli_redirect, cli_challenge, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            {store::Blob{HashBytes(state)}, request.organization_id,
             store::Blob{HashBytes(request.binding)}, nonce, verifier, request.return_to,
             request.cli_redirect, request.cli_challenge, expires})
        .status();
  });
  CUSTODY_RETURN_IF_ERROR(stored);

  std::vector<std::pair<std::string, std::string>> query = {
      {"response_type", "code"},
      {"client_id", provider.settings.client_id},
      {"redirect_uri", options_.redirect_uri},
      {"scope", JoinScopes(provider.settings.scopes)},
      {"state", state},
      {"nonce", nonce},
      {"code_challenge", CodeChallengeS256(verifier)},
      {"code_challenge_method", "S256"}};
  if (request.request_mfa && !provider.settings.mfa_acr_values.empty()) {
    query.emplace_back("acr_values", provider.settings.mfa_acr_values);
  }
  const char separator = metadata.authorization_endpoint.find('?') == std::string::npos ? '?' : '&';
  return metadata.authorization_endpoint + separator + FormEncode(query);
}

Result<std::string> RelyingParty::RequestIdToken(const Provider& provider,
                                                 const ProviderMetadata& metadata,
                                                 std::string_view code,
                                                 std::string_view code_verifier,
                                                 std::string* failure_reason) {
  std::vector<std::pair<std::string, std::string>> form = {
      {"grant_type", "authorization_code"},
      {"code", std::string(code)},
      {"redirect_uri", options_.redirect_uri},
      {"code_verifier", std::string(code_verifier)}};
  aws::HttpRequest request;
  request.method = "POST";
  request.url = metadata.token_endpoint;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"}};
  const ProviderSettings& settings = provider.settings;
  switch (settings.client_auth) {
    case ClientAuthMethod::kClientSecretBasic: {
      // RFC 6749 section 2.3.1: both parts are form-encoded before Basic encoding.
      const std::string credentials = aws::sigv4::UriEncode(settings.client_id, true) + ":" +
                                      aws::sigv4::UriEncode(provider.client_secret->Reveal(), true);
      request.headers.emplace_back("Authorization", "Basic " + crypto::Base64Encode(credentials));
      break;
    }
    case ClientAuthMethod::kClientSecretPost:
      form.emplace_back("client_id", settings.client_id);
      form.emplace_back("client_secret", provider.client_secret->Reveal());
      break;
    case ClientAuthMethod::kPrivateKeyJwt: {
      if (options_.assertion_key == nullptr) {
        return Internal("private_key_jwt needs the server's signing key");
      }
      const int64_t now = UnixSeconds(clock_.Now());
      const std::string public_key = options_.assertion_key->PublicKey();
      const json header = {{"alg", "EdDSA"}, {"kid", Ed25519Thumbprint(public_key)}};
      const json claims = {{"iss", settings.client_id},
                           {"sub", settings.client_id},
                           {"aud", metadata.token_endpoint},
                           {"jti", crypto::RandomAlphanumeric(32)},
                           {"iat", now},
                           {"exp", now + kClientAssertionLifetime.count()}};
      const std::string input =
          crypto::Base64UrlEncode(header.dump()) + "." + crypto::Base64UrlEncode(claims.dump());
      form.emplace_back("client_id", settings.client_id);
      form.emplace_back("client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
      form.emplace_back("client_assertion",
                        input + "." + crypto::Base64UrlEncode(options_.assertion_key->Sign(input)));
      break;
    }
  }
  request.body = FormEncode(form);
  Result<aws::HttpResponse> response = transport_.Send(request);
  if (!response.ok()) {
    log::Warn("OIDC token request failed",
              {{"issuer", settings.issuer}, {"error", response.status().ToString()}});
    return Unavailable("the identity provider cannot be reached now; try again later");
  }
  const json body = json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (response->status != 200 || body.is_discarded() || !body.is_object()) {
    const std::string error = body.is_object() ? StringMember(body, "error").value_or("") : "";
    log::Warn("OIDC token request rejected", {{"issuer", settings.issuer},
                                              {"status", response->status},
                                              {"error", error.substr(0, 100)}});
    return Refuse(kReasonTokenRequestFailed, failure_reason);
  }
  std::optional<std::string> id_token = StringMember(body, "id_token");
  if (!id_token.has_value()) {
    return Refuse(kReasonIdTokenMalformed, failure_reason);
  }
  return std::move(*id_token);
}

Result<VerifiedJws> RelyingParty::VerifySignature(const Provider& provider,
                                                  const ProviderMetadata& metadata,
                                                  std::string_view id_token,
                                                  std::string* failure_reason) {
  CUSTODY_ASSIGN_OR_RETURN(std::vector<Jwk> keys, Keys(metadata.jwks_uri, false));
  std::string reason;
  Result<VerifiedJws> verified =
      VerifyCompactJws(id_token, keys, provider.settings.allowed_algs, &reason);
  if (!verified.ok() && reason == kReasonJwsUnknownKey) {
    // The IdP may have rotated its keys since the JWKS was cached.
    CUSTODY_ASSIGN_OR_RETURN(keys, Keys(metadata.jwks_uri, true));
    verified = VerifyCompactJws(id_token, keys, provider.settings.allowed_algs, &reason);
  }
  if (!verified.ok()) {
    return Refuse(reason, failure_reason);
  }
  return verified;
}

Result<CompletedFlow> RelyingParty::Complete(store::Database& db, std::string_view state,
                                             std::string_view code, std::string_view binding,
                                             std::string* failure_reason,
                                             std::string* organization_id) {
  if (state.empty() || state.size() > kMaxCallbackValueLength || code.empty() ||
      code.size() > kMaxCallbackValueLength) {
    return Refuse(kReasonStateUnknown, failure_reason);
  }
  std::optional<Pending> pending;
  std::string_view refusal;
  // Consumed in a transaction of its own, so the state is spent even when a later step fails.
  const Status consumed = db.Write([&](store::Transaction& tx) -> Status {
    CUSTODY_ASSIGN_OR_RETURN(
        std::optional<store::Row> row,
        tx.QueryOne("SELECT organization_id, binding_hash, nonce, code_verifier, return_to, "
                    "cli_redirect, expires_at, used_at FROM oidc_pending WHERE state_hash = ?",
                    {store::Blob{HashBytes(state)}}));
    if (!row.has_value()) {
      refusal = kReasonStateUnknown;
      return Status::Ok();
    }
    pending = Pending{row->Text(0), row->Bytes(1), row->Text(2),
                      row->Text(3), row->Text(4),  row->OptionalText(5)};
    if (!row->IsNull(7)) {
      refusal = kReasonStateReplayed;
      return Status::Ok();
    }
    if (clock_.Now() >= row->Time(6)) {
      refusal = kReasonStateExpired;
    }
    return tx
        .Execute("UPDATE oidc_pending SET used_at = ? WHERE state_hash = ?",
                 {store::ToUnixMicros(clock_.Now()), store::Blob{HashBytes(state)}})
        .status();
  });
  CUSTODY_RETURN_IF_ERROR(consumed);
  if (pending.has_value() && organization_id != nullptr) {
    *organization_id = pending->organization_id;
  }
  if (!refusal.empty()) {
    return Refuse(refusal, failure_reason);
  }
  if (binding.empty() || !crypto::ConstantTimeEquals(HashBytes(binding), pending->binding_hash)) {
    return Refuse(kReasonBindingMismatch, failure_reason);
  }

  Result<Provider> provider = store::ReadReturning<Provider>(db, [&](store::Transaction& tx) {
    return GetProvider(tx, pending->organization_id, options_.sealing_key);
  });
  if (!provider.ok()) {
    if (provider.status().code() == ErrorCode::kNotFound) {
      return Refuse(kReasonProviderMissing, failure_reason);
    }
    return provider.status();
  }
  CUSTODY_ASSIGN_OR_RETURN(const ProviderMetadata metadata, Discover(provider->settings.issuer));
  CUSTODY_ASSIGN_OR_RETURN(
      const std::string id_token,
      RequestIdToken(*provider, metadata, code, pending->code_verifier, failure_reason));
  CUSTODY_ASSIGN_OR_RETURN(const VerifiedJws verified,
                           VerifySignature(*provider, metadata, id_token, failure_reason));

  IdTokenExpectations expected;
  expected.issuer = provider->settings.issuer;
  expected.client_id = provider->settings.client_id;
  expected.nonce = pending->nonce;
  expected.now = clock_.Now();
  expected.clock_skew = options_.clock_skew;
  expected.max_age = options_.max_id_token_age;
  expected.email_claim = provider->settings.email_claim;
  expected.name_claim = provider->settings.name_claim;
  CUSTODY_ASSIGN_OR_RETURN(IdTokenClaims claims,
                           ValidateIdTokenClaims(verified.payload, expected, failure_reason));

  CompletedFlow completed;
  VerifiedSignIn& sign_in = completed.sign_in;
  sign_in.organization_id = pending->organization_id;
  sign_in.method = std::string(kMethodOidc);
  sign_in.issuer = claims.issuer;
  sign_in.subject = claims.subject;
  sign_in.email = claims.email;
  sign_in.display_name = claims.name;
  sign_in.authn_methods = claims.amr;
  sign_in.acr = claims.acr;
  sign_in.authn_time = claims.auth_time;
  sign_in.idp_session = claims.sid;
  completed.return_to = pending->return_to;
  completed.cli_redirect = pending->cli_redirect;
  if (failure_reason != nullptr) {
    failure_reason->clear();
  }
  return completed;
}

Status RelyingParty::AttachCliCode(store::Database& db, std::string_view state,
                                   std::string_view session_id, const Secret& code) {
  return db.Write([&](store::Transaction& tx) {
    return tx
        .Execute("UPDATE oidc_pending SET cli_code_hash = ?, session_id = ? WHERE state_hash = ?",
                 {store::Blob{HashBytes(code.Reveal())}, session_id, store::Blob{HashBytes(state)}})
        .status();
  });
}

Result<std::string> RelyingParty::RedeemCliCode(store::Database& db, std::string_view code,
                                                std::string_view verifier) {
  const Status invalid = Unauthenticated("the CLI sign-in code is invalid, used or expired");
  if (code.empty() || code.size() > kMaxCallbackValueLength || verifier.empty() ||
      verifier.size() > kMaxCallbackValueLength) {
    return invalid;
  }
  std::optional<std::string> session_id;
  const Status redeemed = db.Write([&](store::Transaction& tx) -> Status {
    CUSTODY_ASSIGN_OR_RETURN(
        std::optional<store::Row> row,
        tx.QueryOne("SELECT cli_challenge, session_id, expires_at FROM oidc_pending "
                    "WHERE cli_code_hash = ?",
                    {store::Blob{HashBytes(code)}}));
    if (!row.has_value() || row->IsNull(0) || row->IsNull(1)) {
      return Status::Ok();
    }
    // Spent before the checks, so a wrong verifier cannot be retried.
    CUSTODY_RETURN_IF_ERROR(
        tx.Execute("UPDATE oidc_pending SET cli_code_hash = NULL WHERE cli_code_hash = ?",
                   {store::Blob{HashBytes(code)}})
            .status());
    const bool verifier_matches =
        crypto::ConstantTimeEquals(CodeChallengeS256(verifier), row->Text(0));
    if (verifier_matches && clock_.Now() < row->Time(2)) {
      session_id = row->Text(1);
    }
    return Status::Ok();
  });
  CUSTODY_RETURN_IF_ERROR(redeemed);
  if (!session_id.has_value()) {
    return invalid;
  }
  return std::move(*session_id);
}

std::optional<std::string> RelyingParty::EndSessionUrl(const Provider& provider,
                                                       std::string_view post_logout_redirect_uri) {
  const Result<ProviderMetadata> metadata = Discover(provider.settings.issuer);
  if (!metadata.ok() || !metadata->end_session_endpoint.has_value()) {
    return std::nullopt;
  }
  const std::string& endpoint = *metadata->end_session_endpoint;
  const char separator = endpoint.find('?') == std::string::npos ? '?' : '&';
  return endpoint + separator +
         FormEncode({{"client_id", provider.settings.client_id},
                     {"post_logout_redirect_uri", std::string(post_logout_redirect_uri)}});
}

}  // namespace custody::identity::oidc
