// Validation of an OpenID Connect id_token's claims (OpenID Connect Core 1.0 section 3.1.3.7),
// after its signature has been verified.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/clock.h"
#include "custody/common/status.h"

namespace custody::identity::oidc {

// Failure reason codes, for audit records.
inline constexpr std::string_view kReasonIdTokenMalformed = "id_token_malformed";
inline constexpr std::string_view kReasonIdTokenIssuer = "id_token_issuer";
inline constexpr std::string_view kReasonIdTokenAudience = "id_token_audience";
inline constexpr std::string_view kReasonIdTokenAzp = "id_token_azp";
inline constexpr std::string_view kReasonIdTokenExpired = "id_token_expired";
inline constexpr std::string_view kReasonIdTokenIssuedAt = "id_token_iat";
inline constexpr std::string_view kReasonIdTokenNotYetValid = "id_token_nbf";
inline constexpr std::string_view kReasonIdTokenNonce = "id_token_nonce";

struct IdTokenExpectations {
  std::string issuer;
  std::string client_id;
  std::string nonce;
  SystemTime now;
  // Tolerated clock difference with the IdP for exp, iat and nbf.
  std::chrono::seconds clock_skew{60};
  // An id_token issued longer ago than this (plus the skew) is rejected even before exp.
  std::chrono::seconds max_age{600};
  std::string email_claim = "email";
  std::string name_claim = "name";
};

struct IdTokenClaims {
  std::string issuer;
  std::string subject;
  std::optional<std::string> email;  // only when email_verified is not false
  std::optional<std::string> name;
  std::vector<std::string> amr;
  std::optional<std::string> acr;
  std::optional<SystemTime> auth_time;
  std::optional<std::string> sid;
};

// Checks the claims of a verified id_token payload: iss equals the issuer; aud is the client
// id or an array containing it; azp, when present or when aud has several values, equals the
// client id; exp is after now - skew; iat is neither after now + skew nor older than max_age +
// skew; nbf, when present, is not after now + skew; nonce equals the expected one. Every
// failure is kUnauthenticated with `failure_reason` set to a kReasonIdToken* code.
Result<IdTokenClaims> ValidateIdTokenClaims(std::string_view payload,
                                            const IdTokenExpectations& expected,
                                            std::string* failure_reason = nullptr);

}  // namespace custody::identity::oidc
