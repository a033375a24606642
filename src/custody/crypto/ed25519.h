// Ed25519 signing keys and signature verification (RFC 8032, pure Ed25519) over OpenSSL 3.
// The audit log signs its checkpoints with these keys.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "custody/common/secret.h"
#include "custody/common/status.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, declared here so that the header needs no OpenSSL

namespace custody::crypto {

inline constexpr size_t kEd25519PublicKeySize = 32;
inline constexpr size_t kEd25519SeedSize = 32;
inline constexpr size_t kEd25519SignatureSize = 64;

// An Ed25519 private key. Copies share one immutable OpenSSL key, and Sign may be called from
// several threads at once.
class Ed25519PrivateKey {
 public:
  // Generates a key from the OpenSSL random generator. Aborts if the generator fails, as
  // RandomBytes does, because no caller could continue safely with a predictable key.
  static Ed25519PrivateKey Generate();

  // Loads the key from its 32-byte RFC 8032 seed (the "private key" of RFC 8032 section 5.1.5).
  static Result<Ed25519PrivateKey> FromSeed(const Secret& seed);

  // Loads an unencrypted PKCS#8 PEM key ("BEGIN PRIVATE KEY", as written by
  // `openssl genpkey -algorithm ed25519`). Encrypted PEM and other key types are rejected.
  static Result<Ed25519PrivateKey> FromPem(const Secret& pem);

  // Reads the file at `path` and loads it as FromPem does. Files over 64 KiB are rejected.
  static Result<Ed25519PrivateKey> FromPemFile(const std::string& path);

  // The 32-byte RFC 8032 encoding of the public key.
  std::string PublicKey() const;

  // The 32-byte seed, for writing the key out in another format.
  Secret Seed() const;

  // The key as unencrypted PKCS#8 PEM, the format FromPem reads.
  Secret ToPem() const;

  // Signs `message` and returns the 64-byte signature. Ed25519 is deterministic: the same key
  // and message always give the same signature.
  std::string Sign(std::string_view message) const;

 private:
  explicit Ed25519PrivateKey(std::shared_ptr<evp_pkey_st> key) : key_(std::move(key)) {}

  std::shared_ptr<evp_pkey_st> key_;
};

// Verifies an Ed25519 signature. Returns false when the public key is not 32 bytes, the
// signature is not 64 bytes, the public key is not a valid point encoding, or the signature does
// not verify. OpenSSL also rejects a signature whose scalar S is not below the group order
// (RFC 8032 section 5.1.7), so a valid signature cannot be altered into another valid one.
bool Ed25519Verify(std::string_view public_key, std::string_view message,
                   std::string_view signature);

}  // namespace custody::crypto
