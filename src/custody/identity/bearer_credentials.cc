#include "custody/identity/bearer_credentials.h"

#include <algorithm>

#include "custody/crypto/hash.h"
#include "custody/crypto/random.h"
#include "custody/store/ids.h"

namespace custody::identity {
namespace {

bool IsAlphanumeric(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

}  // namespace

std::optional<ParsedBearerCredential> ParseBearerCredential(std::string_view value,
                                                            const BearerCredentialFormat& format) {
  constexpr size_t kIdLength = store::kIdRandomLength;
  const size_t id_start = format.value_prefix.size();
  const size_t secret_start = id_start + kIdLength + 1;
  if (value.size() != secret_start + format.secret_length ||
      !value.starts_with(format.value_prefix) || value[secret_start - 1] != '_') {
    return std::nullopt;
  }
  const std::string_view id_part = value.substr(id_start, kIdLength);
  const std::string_view secret = value.substr(secret_start);
  if (!IsAlphanumeric(id_part) || !IsAlphanumeric(secret)) {
    return std::nullopt;
  }
  return ParsedBearerCredential{std::string(format.id_prefix) + std::string(id_part), secret};
}

NewBearerCredential GenerateBearerCredential(std::string_view id,
                                             const BearerCredentialFormat& format) {
  const Secret secret(crypto::RandomAlphanumeric(format.secret_length));
  NewBearerCredential created;
  created.value = Secret(std::string(format.value_prefix) +
                         std::string(id.substr(format.id_prefix.size())) + "_" + secret.Reveal());
  created.secret_hash = HashSecret(secret.Reveal());
  return created;
}

std::string HashSecret(std::string_view secret) {
  const crypto::Sha256Digest digest = crypto::Sha256(secret);
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

bool SecretMatchesStoredHash(std::string_view secret, std::optional<std::string_view> stored_hash) {
  static const std::string kNoHash(crypto::Sha256Digest().size(), '\0');
  const bool matches =
      crypto::ConstantTimeEquals(HashSecret(secret), stored_hash.value_or(kNoHash));
  return stored_hash.has_value() && matches;
}

Status RejectCredential(std::string_view message, std::string_view reason,
                        std::string* failure_reason) {
  if (failure_reason != nullptr) {
    *failure_reason = std::string(reason);
  }
  return Unauthenticated(std::string(message));
}

}  // namespace custody::identity
