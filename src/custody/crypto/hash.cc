#include "custody/crypto/hash.h"

#include <cstdlib>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace custody::crypto {
namespace {

// OpenSSL failing on a digest of in-memory data means a broken library or out of memory;
// no caller can recover, and going on would produce wrong hashes silently.
void Check(int ok) {
  if (ok != 1) {
    std::abort();
  }
}

template <size_t N>
std::array<uint8_t, N> Digest(const EVP_MD* md, std::string_view data) {
  std::array<uint8_t, N> out{};
  unsigned int length = 0;
  Check(EVP_Digest(data.data(), data.size(), out.data(), &length, md, nullptr));
  return out;
}

const EVP_MD* Sha256Md() {
  static EVP_MD* const kMd = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return kMd;
}

const EVP_MD* Md5Md() {
  static EVP_MD* const kMd = EVP_MD_fetch(nullptr, "MD5", nullptr);
  return kMd;
}

struct MacContext {
  MacContext() {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    Check(EVP_MAC_CTX_set_params(ctx, params));
  }

  MacContext(const MacContext&) = delete;
  MacContext& operator=(const MacContext&) = delete;

  ~MacContext() { EVP_MAC_CTX_free(ctx); }

  EVP_MAC_CTX* ctx = nullptr;
};

}  // namespace

Sha256Digest Sha256(std::string_view data) {
  return Digest<32>(Sha256Md(), data);
}

std::string Sha256Hex(std::string_view data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const Sha256Digest digest = Sha256(data);
  std::string hex(64, '0');
  for (size_t i = 0; i < digest.size(); ++i) {
    hex[2 * i] = kDigits[digest[i] >> 4];
    hex[2 * i + 1] = kDigits[digest[i] & 0x0f];
  }
  return hex;
}

Md5Digest Md5(std::string_view data) {
  return Digest<16>(Md5Md(), data);
}

Sha256Digest HmacSha256(std::string_view key, std::string_view data) {
  thread_local MacContext context;
  Sha256Digest out{};
  size_t length = 0;
  Check(EVP_MAC_init(context.ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                     nullptr));
  Check(EVP_MAC_update(context.ctx, reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()));
  Check(EVP_MAC_final(context.ctx, out.data(), &length, out.size()));
  return out;
}

struct StreamingHash::Impl {
  EVP_MD_CTX* ctx = nullptr;

  ~Impl() { EVP_MD_CTX_free(ctx); }
};

StreamingHash::StreamingHash(Algorithm algorithm) : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  Check(EVP_DigestInit_ex(impl_->ctx, algorithm == Algorithm::kSha256 ? Sha256Md() : Md5Md(),
                          nullptr));
}

StreamingHash::StreamingHash(StreamingHash&&) noexcept = default;
StreamingHash& StreamingHash::operator=(StreamingHash&&) noexcept = default;
StreamingHash::~StreamingHash() = default;

void StreamingHash::Update(std::string_view data) {
  Check(EVP_DigestUpdate(impl_->ctx, data.data(), data.size()));
}

std::string StreamingHash::Finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  Check(EVP_DigestFinal_ex(impl_->ctx, out, &length));
  return {reinterpret_cast<const char*>(out), length};
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace custody::crypto
