#include "custody/identity/jwt.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"

namespace custody::identity {
namespace {

constexpr std::string_view kAccessTokenAudience = "custody";
// Bounds on what VerifyCompactJws parses, far above any id_token or access token.
constexpr size_t kMaxJwsBytes = 64 * 1024;

using nlohmann::json;

std::optional<json> ParseJsonObject(std::string_view text) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> MemberBytes(const json& object, const char* name) {
  const auto found = object.find(name);
  if (found == object.end() || !found->is_string()) {
    return std::nullopt;
  }
  return crypto::Base64UrlDecode(found->get<std::string>());
}

bool AlgorithmFitsKey(JwsAlgorithm alg, crypto::SignatureKeyType type) {
  switch (alg) {
    case JwsAlgorithm::kRs256:
      return type == crypto::SignatureKeyType::kRsa;
    case JwsAlgorithm::kEs256:
      return type == crypto::SignatureKeyType::kEcP256;
    case JwsAlgorithm::kEdDsa:
      return type == crypto::SignatureKeyType::kEd25519;
  }
  return false;
}

bool VerifyWith(const crypto::SignatureKey& key, JwsAlgorithm alg, std::string_view message,
                std::string_view signature) {
  switch (alg) {
    case JwsAlgorithm::kRs256:
      return key.VerifyRs256(message, signature);
    case JwsAlgorithm::kEs256:
      return key.VerifyEs256(message, signature);
    case JwsAlgorithm::kEdDsa:
      return key.VerifyEdDsa(message, signature);
  }
  return false;
}

Status Fail(std::string_view reason, std::string* failure_reason) {
  if (failure_reason != nullptr) {
    *failure_reason = std::string(reason);
  }
  return Unauthenticated("the token signature is invalid");
}

Result<crypto::SignatureKey> KeyFromJwk(const json& jwk) {
  const auto kty = jwk.find("kty");
  if (kty == jwk.end() || !kty->is_string()) {
    return InvalidArgument("JWK has no kty");
  }
  if (*kty == "RSA") {
    const std::optional<std::string> n = MemberBytes(jwk, "n");
    const std::optional<std::string> e = MemberBytes(jwk, "e");
    if (!n.has_value() || !e.has_value()) {
      return InvalidArgument("RSA JWK needs n and e");
    }
    return crypto::SignatureKey::Rsa(*n, *e);
  }
  if (*kty == "EC") {
    const auto crv = jwk.find("crv");
    if (crv == jwk.end() || *crv != "P-256") {
      return InvalidArgument("only the P-256 curve is supported for EC keys");
    }
    const std::optional<std::string> x = MemberBytes(jwk, "x");
    const std::optional<std::string> y = MemberBytes(jwk, "y");
    if (!x.has_value() || !y.has_value()) {
      return InvalidArgument("EC JWK needs x and y");
    }
    return crypto::SignatureKey::EcP256(*x, *y);
  }
  if (*kty == "OKP") {
    const auto crv = jwk.find("crv");
    if (crv == jwk.end() || *crv != "Ed25519") {
      return InvalidArgument("only the Ed25519 curve is supported for OKP keys");
    }
    const std::optional<std::string> x = MemberBytes(jwk, "x");
    if (!x.has_value()) {
      return InvalidArgument("OKP JWK needs x");
    }
    return crypto::SignatureKey::Ed25519(*x);
  }
  return InvalidArgument("unsupported JWK kty");
}

Result<Jwk> JwkFromJson(const json& object) {
  if (!object.is_object()) {
    return InvalidArgument("a JWK must be a JSON object");
  }
  if (const auto use = object.find("use"); use != object.end() && *use != "sig") {
    return InvalidArgument("the JWK is not for signatures");
  }
  if (const auto ops = object.find("key_ops"); ops != object.end()) {
    bool verify = false;
    if (ops->is_array()) {
      for (const json& op : *ops) {
        verify = verify || op == "verify";
      }
    }
    if (!verify) {
      return InvalidArgument("the JWK's key_ops do not include verify");
    }
  }
  std::optional<JwsAlgorithm> alg;
  if (const auto found = object.find("alg"); found != object.end()) {
    if (!found->is_string()) {
      return InvalidArgument("JWK alg must be a string");
    }
    CUSTODY_ASSIGN_OR_RETURN(alg, ParseJwsAlgorithm(found->get<std::string>()));
  }
  std::string kid;
  if (const auto found = object.find("kid"); found != object.end()) {
    if (!found->is_string()) {
      return InvalidArgument("JWK kid must be a string");
    }
    kid = found->get<std::string>();
  }
  CUSTODY_ASSIGN_OR_RETURN(crypto::SignatureKey key, KeyFromJwk(object));
  if (alg.has_value() && !AlgorithmFitsKey(*alg, key.type())) {
    return InvalidArgument("the JWK's alg does not fit its key type");
  }
  return Jwk{std::move(kid), alg, std::move(key)};
}

std::string Sha256Base64Url(std::string_view bytes) {
  const crypto::Sha256Digest digest = crypto::Sha256(bytes);
  return crypto::Base64UrlEncode(crypto::AsChars(digest));
}

int64_t UnixSeconds(SystemTime time) {
  return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

std::optional<int64_t> IntegerClaim(const json& claims, const char* name) {
  const auto found = claims.find(name);
  if (found == claims.end() || !found->is_number_integer()) {
    return std::nullopt;
  }
  return found->get<int64_t>();
}

std::optional<std::string> StringClaim(const json& claims, const char* name) {
  const auto found = claims.find(name);
  if (found == claims.end() || !found->is_string()) {
    return std::nullopt;
  }
  return found->get<std::string>();
}

}  // namespace

Result<JwsAlgorithm> ParseJwsAlgorithm(std::string_view name) {
  if (name == "RS256") {
    return JwsAlgorithm::kRs256;
  }
  if (name == "ES256") {
    return JwsAlgorithm::kEs256;
  }
  if (name == "EdDSA") {
    return JwsAlgorithm::kEdDsa;
  }
  return InvalidArgument("unsupported JWS algorithm " + std::string(name.substr(0, 20)) +
                         "; use RS256, ES256 or EdDSA");
}

std::string_view JwsAlgorithmName(JwsAlgorithm algorithm) {
  switch (algorithm) {
    case JwsAlgorithm::kRs256:
      return "RS256";
    case JwsAlgorithm::kEs256:
      return "ES256";
    case JwsAlgorithm::kEdDsa:
      return "EdDSA";
  }
  return "";
}

Result<Jwk> ParseJwk(std::string_view text) {
  const std::optional<json> object = ParseJsonObject(text);
  if (!object.has_value()) {
    return InvalidArgument("a JWK must be a JSON object");
  }
  return JwkFromJson(*object);
}

Result<std::vector<Jwk>> ParseJwkSet(std::string_view text) {
  const std::optional<json> document = ParseJsonObject(text);
  if (!document.has_value()) {
    return InvalidArgument("the JWK Set is not a JSON object");
  }
  const auto keys = document->find("keys");
  if (keys == document->end() || !keys->is_array()) {
    return InvalidArgument("the JWK Set has no keys array");
  }
  std::vector<Jwk> parsed;
  for (const json& key : *keys) {
    Result<Jwk> jwk = JwkFromJson(key);
    if (jwk.ok()) {
      parsed.push_back(std::move(jwk).value());
    }
  }
  return parsed;
}

Result<VerifiedJws> VerifyCompactJws(std::string_view jws, std::span<const Jwk> keys,
                                     std::span<const JwsAlgorithm> allowed,
                                     std::string* failure_reason) {
  if (jws.size() > kMaxJwsBytes) {
    return Fail(kReasonJwsMalformed, failure_reason);
  }
  const size_t first_dot = jws.find('.');
  const size_t second_dot =
      first_dot == std::string_view::npos ? first_dot : jws.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      jws.find('.', second_dot + 1) != std::string_view::npos) {
    return Fail(kReasonJwsMalformed, failure_reason);
  }
  const std::string_view encoded_header = jws.substr(0, first_dot);
  const std::string_view encoded_payload = jws.substr(first_dot + 1, second_dot - first_dot - 1);
  const std::string_view encoded_signature = jws.substr(second_dot + 1);
  const std::optional<std::string> header_bytes = crypto::Base64UrlDecode(encoded_header);
  const std::optional<std::string> payload = crypto::Base64UrlDecode(encoded_payload);
  const std::optional<std::string> signature = crypto::Base64UrlDecode(encoded_signature);
  if (!header_bytes.has_value() || !payload.has_value() || !signature.has_value()) {
    return Fail(kReasonJwsMalformed, failure_reason);
  }
  const std::optional<json> header = ParseJsonObject(*header_bytes);
  if (!header.has_value()) {
    return Fail(kReasonJwsMalformed, failure_reason);
  }
  // No critical extension is understood, so any "crit" makes the JWS unusable (RFC 7515
  // section 4.1.11).
  if (header->contains("crit")) {
    return Fail(kReasonJwsMalformed, failure_reason);
  }
  const std::optional<std::string> alg_name = StringClaim(*header, "alg");
  if (!alg_name.has_value()) {
    return Fail(kReasonJwsMalformed, failure_reason);
  }
  const Result<JwsAlgorithm> alg = ParseJwsAlgorithm(*alg_name);
  if (!alg.ok() || std::find(allowed.begin(), allowed.end(), *alg) == allowed.end()) {
    return Fail(kReasonJwsAlgorithmRejected, failure_reason);
  }
  std::optional<std::string> kid;
  if (header->contains("kid")) {
    kid = StringClaim(*header, "kid");
    if (!kid.has_value()) {
      return Fail(kReasonJwsMalformed, failure_reason);
    }
  }

  const std::string signing_input = std::string(jws.substr(0, second_dot));
  bool candidate_found = false;
  for (const Jwk& jwk : keys) {
    if (kid.has_value() && jwk.kid != *kid) {
      continue;
    }
    if (!AlgorithmFitsKey(*alg, jwk.key.type()) || (jwk.alg.has_value() && *jwk.alg != *alg)) {
      continue;
    }
    candidate_found = true;
    if (VerifyWith(jwk.key, *alg, signing_input, *signature)) {
      if (failure_reason != nullptr) {
        failure_reason->clear();
      }
      return VerifiedJws{*alg, kid.value_or(""), *payload};
    }
  }
  return Fail(candidate_found ? kReasonJwsBadSignature : kReasonJwsUnknownKey, failure_reason);
}

std::string Ed25519Thumbprint(std::string_view public_key) {
  // The required members in lexicographic order, without white space (RFC 7638 section 3.2).
  const std::string canonical =
      R"({"crv":"Ed25519","kty":"OKP","x":")" + crypto::Base64UrlEncode(public_key) + R"("})";
  return Sha256Base64Url(canonical);
}

AccessTokenSigner::AccessTokenSigner(std::vector<crypto::Ed25519PrivateKey> keys,
                                     std::string issuer, std::chrono::seconds lifetime)
    : keys_(std::move(keys)), issuer_(std::move(issuer)), lifetime_(lifetime) {
  for (const crypto::Ed25519PrivateKey& key : keys_) {
    const std::string public_key = key.PublicKey();
    Result<crypto::SignatureKey> verifier = crypto::SignatureKey::Ed25519(public_key);
    public_keys_.push_back(
        Jwk{Ed25519Thumbprint(public_key), JwsAlgorithm::kEdDsa, std::move(verifier).value()});
  }
}

std::string AccessTokenSigner::Issue(const authz::Principal& principal, const Clock& clock) const {
  const int64_t now = UnixSeconds(clock.Now());
  const json header = {{"alg", "EdDSA"}, {"typ", "at+jwt"}, {"kid", public_keys_.front().kid}};
  const json claims = {{"iss", issuer_},
                       {"aud", kAccessTokenAudience},
                       {"sub", principal.user_id},
                       {"org", principal.organization_id},
                       {"sid", principal.session_id},
                       {"iat", now},
                       {"exp", now + lifetime_.count()}};
  const std::string signing_input =
      crypto::Base64UrlEncode(header.dump()) + "." + crypto::Base64UrlEncode(claims.dump());
  return signing_input + "." + crypto::Base64UrlEncode(keys_.front().Sign(signing_input));
}

Result<AccessTokenClaims> AccessTokenSigner::Verify(std::string_view token,
                                                    const Clock& clock) const {
  constexpr JwsAlgorithm kAllowed[] = {JwsAlgorithm::kEdDsa};
  CUSTODY_ASSIGN_OR_RETURN(const VerifiedJws verified,
                           VerifyCompactJws(token, public_keys_, kAllowed));
  const std::optional<json> claims = ParseJsonObject(verified.payload);
  const Status invalid = Unauthenticated("the access token is invalid or expired");
  if (!claims.has_value()) {
    return invalid;
  }
  AccessTokenClaims parsed;
  const std::optional<std::string> iss = StringClaim(*claims, "iss");
  const std::optional<std::string> aud = StringClaim(*claims, "aud");
  const std::optional<std::string> sub = StringClaim(*claims, "sub");
  const std::optional<std::string> org = StringClaim(*claims, "org");
  const std::optional<std::string> sid = StringClaim(*claims, "sid");
  const std::optional<int64_t> iat = IntegerClaim(*claims, "iat");
  const std::optional<int64_t> exp = IntegerClaim(*claims, "exp");
  if (!iss || !aud || !sub || !org || !sid || !iat || !exp || *iss != issuer_ ||
      *aud != kAccessTokenAudience) {
    return invalid;
  }
  const int64_t now = UnixSeconds(clock.Now());
  if (now >= *exp || *iat > now) {
    return invalid;
  }
  parsed.issuer = *iss;
  parsed.user_id = *sub;
  parsed.organization_id = *org;
  parsed.session_id = *sid;
  parsed.issued_at = SystemTime(std::chrono::seconds(*iat));
  parsed.expires_at = SystemTime(std::chrono::seconds(*exp));
  return parsed;
}

std::string AccessTokenSigner::JwksJson() const {
  json keys = json::array();
  for (const crypto::Ed25519PrivateKey& key : keys_) {
    const std::string public_key = key.PublicKey();
    keys.push_back({{"kty", "OKP"},
                    {"crv", "Ed25519"},
                    {"x", crypto::Base64UrlEncode(public_key)},
                    {"kid", Ed25519Thumbprint(public_key)},
                    {"alg", "EdDSA"},
                    {"use", "sig"}});
  }
  return json{{"keys", keys}}.dump();
}

Result<crypto::Ed25519PrivateKey> LoadOrCreateSigningKey(const std::string& path, bool create) {
  struct stat info {};

  if (::stat(path.c_str(), &info) != 0) {
    if (errno != ENOENT || !create) {
      return InvalidArgument("cannot read the signing key file " + path);
    }
    const crypto::Ed25519PrivateKey key = crypto::Ed25519PrivateKey::Generate();
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      return InvalidArgument("cannot create the signing key file " + path);
    }
    const Secret pem = key.ToPem();
    const std::string& text = pem.Reveal();
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!written || !synced) {
      return InvalidArgument("cannot write the signing key file " + path);
    }
    return key;
  }
  if (!S_ISREG(info.st_mode)) {
    return InvalidArgument("the signing key file " + path + " is not a regular file");
  }
  if ((info.st_mode & 077) != 0) {
    return InvalidArgument("the signing key file " + path +
                           " must not be readable or writable by group or others (chmod 600)");
  }
  return crypto::Ed25519PrivateKey::FromPemFile(path);
}

}  // namespace custody::identity
