// JSON Web Signatures (RFC 7515, compact serialization only) and JSON Web Keys (RFC 7517):
// verification of IdP id_tokens, and Custody's own Ed25519-signed access tokens.
//
// Accepted algorithms are RS256, ES256 and EdDSA (Ed25519). "none", the HMAC algorithms and
// everything else are rejected before any key is looked at, so a public key can never be used
// as an HMAC secret. A key is used only for the algorithm its type fits, and only when its
// "alg" (if present) equals the header's, its "use" (if present) is "sig" and its "key_ops"
// (if present) include "verify".
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "custody/authz/principal.h"
#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/crypto/ed25519.h"
#include "custody/crypto/signature_keys.h"

namespace custody::identity {

enum class JwsAlgorithm {
  kRs256,
  kEs256,
  kEdDsa
};

// Parses "RS256", "ES256" or "EdDSA". Any other name is kInvalidArgument.
Result<JwsAlgorithm> ParseJwsAlgorithm(std::string_view name);
std::string_view JwsAlgorithmName(JwsAlgorithm algorithm);

struct Jwk {
  std::string kid;                  // "" when the key has none
  std::optional<JwsAlgorithm> alg;  // the key's "alg" member, when present
  crypto::SignatureKey key;
};

// Parses one JWK (a JSON object). Rejects keys that cannot verify RS256, ES256 or EdDSA
// signatures (kty "oct", other curves, "use" other than "sig", "key_ops" without "verify", an
// "alg" outside the three) with kInvalidArgument.
Result<Jwk> ParseJwk(std::string_view json);

// Parses a JWK Set ({"keys": [...]}). Keys that ParseJwk rejects are skipped, because a set may
// publish encryption keys and algorithms Custody does not use. Fails when the document is not
// a JWK Set.
Result<std::vector<Jwk>> ParseJwkSet(std::string_view json);

// Failure reason codes of VerifyCompactJws, for audit records.
inline constexpr std::string_view kReasonJwsMalformed = "jws_malformed";
inline constexpr std::string_view kReasonJwsAlgorithmRejected = "jws_algorithm_rejected";
inline constexpr std::string_view kReasonJwsUnknownKey = "jws_unknown_key";
inline constexpr std::string_view kReasonJwsBadSignature = "jws_bad_signature";

struct VerifiedJws {
  JwsAlgorithm alg;
  std::string kid;      // the header's kid, "" when absent
  std::string payload;  // the decoded payload bytes
};

// Verifies a compact JWS against `keys` with the header's algorithm, which must be in
// `allowed`. With a "kid" in the header only keys of that kid are tried; without one, every
// key that fits the algorithm is. Rejects unknown "crit" extensions and JSON serialization.
// Every failure is kUnauthenticated, and `failure_reason` receives one of the kReasonJws*
// codes: kReasonJwsUnknownKey means no key matched, so the caller may refetch the JWKS.
Result<VerifiedJws> VerifyCompactJws(std::string_view jws, std::span<const Jwk> keys,
                                     std::span<const JwsAlgorithm> allowed,
                                     std::string* failure_reason = nullptr);

// The claims of a Custody access token.
struct AccessTokenClaims {
  std::string issuer;           // iss: Custody's public URL
  std::string user_id;          // sub
  std::string organization_id;  // org
  std::string session_id;       // sid
  SystemTime issued_at;         // iat
  SystemTime expires_at;        // exp
};

// Signs and verifies Custody's access tokens: EdDSA JWTs whose "kid" is the RFC 7638
// thumbprint of the public key. The first key signs and every key verifies. After a rotation,
// keeping the old key as a previous key keeps the tokens it signed valid until they expire.
class AccessTokenSigner {
 public:
  // `keys` must not be empty; `lifetime` is the access token lifetime.
  AccessTokenSigner(std::vector<crypto::Ed25519PrivateKey> keys, std::string issuer,
                    std::chrono::seconds lifetime);

  // Returns a signed token for the session of `principal`, valid from clock.Now() for the
  // lifetime.
  std::string Issue(const authz::Principal& principal, const Clock& clock) const;

  // Checks signature, issuer, audience and time (no skew: Custody both issues and checks).
  // Does not check the session: the caller does, on every request. kUnauthenticated on any
  // failure.
  Result<AccessTokenClaims> Verify(std::string_view token, const Clock& clock) const;

  // The public keys as a JWK Set document, for /.well-known/jwks.json.
  std::string JwksJson() const;

  std::chrono::seconds lifetime() const { return lifetime_; }

  const std::string& issuer() const { return issuer_; }

 private:
  std::vector<crypto::Ed25519PrivateKey> keys_;
  std::vector<Jwk> public_keys_;
  std::string issuer_;
  std::chrono::seconds lifetime_;
};

// The RFC 7638 JWK thumbprint (base64url SHA-256) of an Ed25519 public key.
std::string Ed25519Thumbprint(std::string_view public_key);

// Loads the Ed25519 key in the PKCS#8 PEM file at `path`. When the file does not exist and
// `create` is true, generates a key and writes it with mode 0600 first. Fails with
// kInvalidArgument when the file is not a regular file or its mode lets group or others read
// or write it.
Result<crypto::Ed25519PrivateKey> LoadOrCreateSigningKey(const std::string& path, bool create);

}  // namespace custody::identity
