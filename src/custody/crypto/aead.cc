#include "custody/crypto/aead.h"

#include <memory>

#include <openssl/evp.h>

#include "custody/crypto/random.h"

namespace custody::crypto {
namespace {

constexpr char kVersion = 1;
constexpr int kNonceSize = 12;
constexpr int kTagSize = 16;

struct CipherContextDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};

using CipherContextPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherContextDeleter>;

unsigned char* Mutable(std::string& text) {
  return reinterpret_cast<unsigned char*>(text.data());
}

const unsigned char* Bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

}  // namespace

Result<std::string> SealAes256Gcm(const Secret& key, const Secret& plaintext,
                                  std::string_view associated_data) {
  if (key.Reveal().size() != kAeadKeySize) {
    return InvalidArgument("the sealing key must be 32 bytes");
  }
  std::string nonce = RandomBytes(kNonceSize);
  const std::string& input = plaintext.Reveal();
  std::string sealed(1 + kNonceSize + input.size() + kTagSize, '\0');
  sealed[0] = kVersion;
  sealed.replace(1, kNonceSize, nonce);
  CipherContextPtr ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  if (ctx == nullptr ||
      EVP_EncryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), Bytes(key.Reveal()), Bytes(nonce),
                          nullptr) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &length, Bytes(associated_data),
                        static_cast<int>(associated_data.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), Mutable(sealed) + 1 + kNonceSize, &length, Bytes(input),
                        static_cast<int>(input.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), Mutable(sealed) + 1 + kNonceSize + length, &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize,
                          Mutable(sealed) + 1 + kNonceSize + input.size()) != 1) {
    return Internal("OpenSSL failed to seal a value");
  }
  return sealed;
}

Result<Secret> OpenAes256Gcm(const Secret& key, std::string_view sealed,
                             std::string_view associated_data) {
  if (key.Reveal().size() != kAeadKeySize) {
    return InvalidArgument("the sealing key must be 32 bytes");
  }
  if (sealed.size() < 1 + kNonceSize + kTagSize || sealed[0] != kVersion) {
    return InvalidArgument("the sealed value is malformed");
  }
  const std::string_view nonce = sealed.substr(1, kNonceSize);
  const std::string_view ciphertext =
      sealed.substr(1 + kNonceSize, sealed.size() - 1 - kNonceSize - kTagSize);
  std::string tag(sealed.substr(sealed.size() - kTagSize));
  std::string plaintext(ciphertext.size(), '\0');
  CipherContextPtr ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  if (ctx == nullptr ||
      EVP_DecryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), Bytes(key.Reveal()), Bytes(nonce),
                          nullptr) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &length, Bytes(associated_data),
                        static_cast<int>(associated_data.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), Mutable(plaintext), &length, Bytes(ciphertext),
                        static_cast<int>(ciphertext.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, Mutable(tag)) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), Mutable(plaintext) + length, &length) != 1) {
    return InvalidArgument("the sealed value does not open with this key");
  }
  return Secret(std::move(plaintext));
}

}  // namespace custody::crypto
