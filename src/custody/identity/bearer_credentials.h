// Bearer credentials in the form "<value prefix><22 alphanumerics>_<secret>": API tokens
// ("cst_"), SCIM tokens ("scim_") and the refresh credentials of sessions ("csr_").
//
// The 22 characters are the random part of the row's id, so the row is found by id. The secret
// is random alphanumerics, and only its SHA-256 is stored: tokens.h explains why a fast hash
// suffices for about 256 random bits.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "custody/common/secret.h"
#include "custody/common/status.h"

namespace custody::identity {

struct BearerCredentialFormat {
  std::string_view value_prefix;  // "cst_"
  std::string_view id_prefix;     // "tok_": the row id is this prefix and the 22 characters
  size_t secret_length = 0;       // alphanumerics after the "_"
};

struct ParsedBearerCredential {
  std::string id;           // the row id, with the format's id_prefix
  std::string_view secret;  // points into the parsed value
};

// Splits `value` into the row id and the secret. Returns nullopt when its length, prefix or
// "_" separator does not fit `format`, or when the id or the secret has a character outside
// [A-Za-z0-9].
std::optional<ParsedBearerCredential> ParseBearerCredential(std::string_view value,
                                                            const BearerCredentialFormat& format);

struct NewBearerCredential {
  Secret value;             // the whole credential: hand it to the client once, never log it
  std::string secret_hash;  // HashSecret of the secret part, for the database
};

// Generates a random secret for the row `id`, which must start with format.id_prefix, and
// returns the credential's value and the hash to store.
NewBearerCredential GenerateBearerCredential(std::string_view id,
                                             const BearerCredentialFormat& format);

// Returns the SHA-256 of `secret` as 32 raw bytes, the form that the *_hash columns store.
std::string HashSecret(std::string_view secret);

// True when the SHA-256 of `secret` equals `stored_hash`, compared in constant time. Without a
// stored hash, because the id names no row, the secret is still hashed and compared, so an
// unknown id takes the same work as a wrong secret. The result is then false.
bool SecretMatchesStoredHash(std::string_view secret, std::optional<std::string_view> stored_hash);

// Stores `reason` in `*failure_reason` when it is not null, for the audit record, and returns
// kUnauthenticated with `message`, which is the same for every reason.
Status RejectCredential(std::string_view message, std::string_view reason,
                        std::string* failure_reason);

}  // namespace custody::identity
