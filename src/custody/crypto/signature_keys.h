// Public keys for verifying JWS signatures from identity providers: RSASSA-PKCS1-v1_5 with
// SHA-256 (RS256), ECDSA on P-256 with SHA-256 (ES256) and Ed25519 (EdDSA), over OpenSSL 3.
// Keys are built from the raw JWK members (RFC 7518 section 6), already base64url-decoded.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "custody/common/status.h"

struct evp_pkey_st;

namespace custody::crypto {

// Bounds on the RSA modulus size. 2048 bits is the usual minimum for signatures today.
inline constexpr int kMinRsaModulusBits = 2048;
inline constexpr int kMaxRsaModulusBits = 8192;

enum class SignatureKeyType {
  kRsa,
  kEcP256,
  kEd25519
};

// A public key. Copies share one immutable OpenSSL key, so Verify* may run on several threads.
class SignatureKey {
 public:
  // From the modulus and public exponent as unsigned big-endian bytes. Rejects a modulus
  // outside kMinRsaModulusBits..kMaxRsaModulusBits, a leading zero byte, and an even or
  // too small exponent.
  static Result<SignatureKey> Rsa(std::string_view modulus, std::string_view exponent);
  // From the affine coordinates, each exactly 32 big-endian bytes. Rejects a point that is not
  // on the curve.
  static Result<SignatureKey> EcP256(std::string_view x, std::string_view y);
  // From the 32-byte RFC 8032 public key.
  static Result<SignatureKey> Ed25519(std::string_view public_key);

  SignatureKeyType type() const { return type_; }

  // RSASSA-PKCS1-v1_5 with SHA-256. False unless this is an RSA key, the signature is exactly
  // the modulus size and it verifies.
  bool VerifyRs256(std::string_view message, std::string_view signature) const;
  // ECDSA P-256 with SHA-256 and the JWS signature format (r || s, 32 bytes each). False unless
  // this is a P-256 key and it verifies. DER signatures are rejected.
  bool VerifyEs256(std::string_view message, std::string_view signature) const;
  // Ed25519. False unless this is an Ed25519 key and it verifies.
  bool VerifyEdDsa(std::string_view message, std::string_view signature) const;

 private:
  SignatureKey(SignatureKeyType type, std::shared_ptr<evp_pkey_st> key, std::string raw)
      : type_(type), key_(std::move(key)), raw_(std::move(raw)) {}

  SignatureKeyType type_;
  std::shared_ptr<evp_pkey_st> key_;
  std::string raw_;  // the Ed25519 public key bytes; empty for other types
};

}  // namespace custody::crypto
