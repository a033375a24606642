// AES-256-GCM sealing of small secrets stored in the database (OIDC client secrets), over
// OpenSSL 3. A sealed value is: 1 version byte (1), a 12-byte random nonce, the ciphertext and
// the 16-byte tag. The associated data binds a sealed value to the row it belongs to, so it
// cannot be copied to another organization's row.
#pragma once

#include <string>
#include <string_view>

#include "custody/common/secret.h"
#include "custody/common/status.h"

namespace custody::crypto {

inline constexpr size_t kAeadKeySize = 32;

// Encrypts `plaintext` under the 32-byte `key` with a fresh random nonce.
Result<std::string> SealAes256Gcm(const Secret& key, const Secret& plaintext,
                                  std::string_view associated_data);

// Decrypts a value made by SealAes256Gcm. Fails with kInvalidArgument when the key, the
// associated data or any byte of `sealed` differs.
Result<Secret> OpenAes256Gcm(const Secret& key, std::string_view sealed,
                             std::string_view associated_data);

}  // namespace custody::crypto
