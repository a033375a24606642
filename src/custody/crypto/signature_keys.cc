#include "custody/crypto/signature_keys.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "custody/crypto/ed25519.h"

namespace custody::crypto {
namespace {

constexpr size_t kP256CoordinateSize = 32;

struct BnDeleter {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};

struct ParamBuildDeleter {
  void operator()(OSSL_PARAM_BLD* bld) const { OSSL_PARAM_BLD_free(bld); }
};

struct ParamDeleter {
  void operator()(OSSL_PARAM* params) const { OSSL_PARAM_free(params); }
};

struct PkeyContextDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};

struct MdContextDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};

using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;

const unsigned char* Bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

BnPtr ToBignum(std::string_view big_endian) {
  return BnPtr(BN_bin2bn(Bytes(big_endian), static_cast<int>(big_endian.size()), nullptr));
}

// Builds a public key of `key_type` ("RSA", "EC") from parameters.
std::shared_ptr<EVP_PKEY> FromParams(const char* key_type, OSSL_PARAM_BLD* builder) {
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(builder));
  if (params == nullptr) {
    return nullptr;
  }
  std::unique_ptr<EVP_PKEY_CTX, PkeyContextDeleter> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, key_type, nullptr));
  EVP_PKEY* key = nullptr;
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

bool DigestVerify(EVP_PKEY* key, std::string_view message, std::string_view signature) {
  std::unique_ptr<EVP_MD_CTX, MdContextDeleter> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), Bytes(signature), signature.size(), Bytes(message),
                          message.size()) == 1;
}

}  // namespace

Result<SignatureKey> SignatureKey::Rsa(std::string_view modulus, std::string_view exponent) {
  if (modulus.empty() || modulus.front() == '\0' || exponent.empty() || exponent.front() == '\0') {
    return InvalidArgument("RSA key members must be minimal big-endian integers");
  }
  const size_t bits = modulus.size() * 8;
  if (bits < static_cast<size_t>(kMinRsaModulusBits) ||
      bits > static_cast<size_t>(kMaxRsaModulusBits)) {
    return InvalidArgument("RSA modulus must be " + std::to_string(kMinRsaModulusBits) + " to " +
                           std::to_string(kMaxRsaModulusBits) + " bits");
  }
  BnPtr n = ToBignum(modulus);
  BnPtr e = ToBignum(exponent);
  if (n == nullptr || e == nullptr) {
    return Internal("OpenSSL failed to allocate a big number");
  }
  if (!BN_is_odd(e.get()) || BN_is_one(e.get()) || BN_num_bits(e.get()) > 32) {
    return InvalidArgument("RSA public exponent must be odd, above 1 and at most 32 bits");
  }
  std::unique_ptr<OSSL_PARAM_BLD, ParamBuildDeleter> builder(OSSL_PARAM_BLD_new());
  if (builder == nullptr ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return Internal("OpenSSL failed to build RSA key parameters");
  }
  std::shared_ptr<EVP_PKEY> key = FromParams("RSA", builder.get());
  if (key == nullptr) {
    return InvalidArgument("invalid RSA public key");
  }
  return SignatureKey(SignatureKeyType::kRsa, std::move(key), "");
}

Result<SignatureKey> SignatureKey::EcP256(std::string_view x, std::string_view y) {
  if (x.size() != kP256CoordinateSize || y.size() != kP256CoordinateSize) {
    return InvalidArgument("P-256 coordinates must be 32 bytes each");
  }
  const std::string point = std::string(1, '\x04') + std::string(x) + std::string(y);
  std::unique_ptr<OSSL_PARAM_BLD, ParamBuildDeleter> builder(OSSL_PARAM_BLD_new());
  if (builder == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return Internal("OpenSSL failed to build EC key parameters");
  }
  std::shared_ptr<EVP_PKEY> key = FromParams("EC", builder.get());
  if (key == nullptr) {
    return InvalidArgument("invalid P-256 public key");
  }
  // EVP_PKEY_fromdata does not check that the point is on the curve; the public key check does.
  std::unique_ptr<EVP_PKEY_CTX, PkeyContextDeleter> check(
      EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    return InvalidArgument("the P-256 public key is not a point on the curve");
  }
  return SignatureKey(SignatureKeyType::kEcP256, std::move(key), "");
}

Result<SignatureKey> SignatureKey::Ed25519(std::string_view public_key) {
  if (public_key.size() != kEd25519PublicKeySize) {
    return InvalidArgument("Ed25519 public key must be 32 bytes");
  }
  EVP_PKEY* key =
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, Bytes(public_key), public_key.size());
  if (key == nullptr) {
    return InvalidArgument("invalid Ed25519 public key");
  }
  return SignatureKey(SignatureKeyType::kEd25519, std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free),
                      std::string(public_key));
}

bool SignatureKey::VerifyRs256(std::string_view message, std::string_view signature) const {
  if (type_ != SignatureKeyType::kRsa ||
      signature.size() != static_cast<size_t>(EVP_PKEY_get_size(key_.get()))) {
    return false;
  }
  return DigestVerify(key_.get(), message, signature);
}

bool SignatureKey::VerifyEs256(std::string_view message, std::string_view signature) const {
  if (type_ != SignatureKeyType::kEcP256 || signature.size() != 2 * kP256CoordinateSize) {
    return false;
  }
  std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(Bytes(signature), kP256CoordinateSize, nullptr);
  BIGNUM* s = BN_bin2bn(Bytes(signature) + kP256CoordinateSize, kP256CoordinateSize, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  unsigned char* der = nullptr;
  const int der_size = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_size <= 0) {
    return false;
  }
  const std::string der_signature(reinterpret_cast<const char*>(der), der_size);
  OPENSSL_free(der);
  return DigestVerify(key_.get(), message, der_signature);
}

bool SignatureKey::VerifyEdDsa(std::string_view message, std::string_view signature) const {
  return type_ == SignatureKeyType::kEd25519 && Ed25519Verify(raw_, message, signature);
}

}  // namespace custody::crypto
