#include "custody/crypto/ed25519.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace custody::crypto {
namespace {

constexpr size_t kMaxPemFileSize = 64 * 1024;

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};

struct MdContextDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using MdContextPtr = std::unique_ptr<EVP_MD_CTX, MdContextDeleter>;

std::shared_ptr<EVP_PKEY> WrapKey(EVP_PKEY* key) {
  return {key, EVP_PKEY_free};
}

// Returns no passphrase, so OpenSSL fails on an encrypted PEM file instead of prompting on the
// terminal for one.
int NoPassphrase(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) {
  return -1;
}

}  // namespace

Ed25519PrivateKey Ed25519PrivateKey::Generate() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key == nullptr) {
    std::abort();
  }
  return Ed25519PrivateKey(WrapKey(key));
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::FromSeed(const Secret& seed) {
  const std::string& bytes = seed.Reveal();
  if (bytes.size() != kEd25519SeedSize) {
    return InvalidArgument("Ed25519 seed must be 32 bytes, got " + std::to_string(bytes.size()));
  }
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                               reinterpret_cast<const unsigned char*>(bytes.data()),
                                               bytes.size());
  if (key == nullptr) {
    return Internal("OpenSSL failed to load an Ed25519 seed");
  }
  return Ed25519PrivateKey(WrapKey(key));
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::FromPem(const Secret& pem) {
  const std::string& text = pem.Reveal();
  if (text.size() > kMaxPemFileSize) {
    return InvalidArgument("Ed25519 PEM key is larger than 64 KiB");
  }
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (bio == nullptr) {
    return Internal("OpenSSL failed to allocate a memory BIO");
  }
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr);
  if (key == nullptr) {
    return InvalidArgument(
        "invalid Ed25519 private key: expected an unencrypted PKCS#8 PEM block "
        "(BEGIN PRIVATE KEY)");
  }
  std::shared_ptr<EVP_PKEY> owned = WrapKey(key);
  if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    return InvalidArgument("PEM private key is not an Ed25519 key");
  }
  return Ed25519PrivateKey(std::move(owned));
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::FromPemFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return NotFound("cannot open Ed25519 key file " + path);
  }
  std::string contents;
  contents.resize(kMaxPemFileSize + 1);
  file.read(contents.data(), static_cast<std::streamsize>(contents.size()));
  if (file.bad()) {
    return Internal("failed to read Ed25519 key file " + path);
  }
  contents.resize(static_cast<size_t>(file.gcount()));
  Secret pem(std::move(contents));
  if (pem.Reveal().size() > kMaxPemFileSize) {
    return InvalidArgument("Ed25519 key file " + path + " is larger than 64 KiB");
  }
  Result<Ed25519PrivateKey> key = FromPem(pem);
  if (!key.ok()) {
    return key.status().WithContext("key file " + path);
  }
  return key;
}

std::string Ed25519PrivateKey::PublicKey() const {
  std::string out(kEd25519PublicKeySize, '\0');
  size_t length = out.size();
  if (EVP_PKEY_get_raw_public_key(key_.get(), reinterpret_cast<unsigned char*>(out.data()),
                                  &length) != 1 ||
      length != kEd25519PublicKeySize) {
    std::abort();
  }
  return out;
}

Secret Ed25519PrivateKey::Seed() const {
  std::string out(kEd25519SeedSize, '\0');
  size_t length = out.size();
  if (EVP_PKEY_get_raw_private_key(key_.get(), reinterpret_cast<unsigned char*>(out.data()),
                                   &length) != 1 ||
      length != kEd25519SeedSize) {
    std::abort();
  }
  return Secret(std::move(out));
}

Secret Ed25519PrivateKey::ToPem() const {
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    std::abort();
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return Secret(std::string(data, static_cast<size_t>(length)));
}

std::string Ed25519PrivateKey::Sign(std::string_view message) const {
  MdContextPtr ctx(EVP_MD_CTX_new());
  std::string signature(kEd25519SignatureSize, '\0');
  size_t length = signature.size();
  // Pure Ed25519 hashes the message itself, so no digest is named and the one-shot
  // EVP_DigestSign is the only call allowed after the init.
  if (ctx == nullptr ||
      EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key_.get(), nullptr) !=
          1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      length != kEd25519SignatureSize) {
    std::abort();
  }
  return signature;
}

bool Ed25519Verify(std::string_view public_key, std::string_view message,
                   std::string_view signature) {
  if (public_key.size() != kEd25519PublicKeySize || signature.size() != kEd25519SignatureSize) {
    return false;
  }
  std::shared_ptr<EVP_PKEY> key = WrapKey(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(public_key.data()),
      public_key.size()));
  if (key == nullptr) {
    return false;
  }
  MdContextPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr || EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr,
                                                key.get(), nullptr) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

}  // namespace custody::crypto
