#include "custody/identity/oidc/id_token.h"

#include <nlohmann/json.hpp>

#include "custody/crypto/hash.h"

namespace custody::identity::oidc {
namespace {

using nlohmann::json;

constexpr size_t kMaxSubjectLength = 255;  // OpenID Connect Core section 2

Status Reject(std::string_view reason, std::string* failure_reason) {
  if (failure_reason != nullptr) {
    *failure_reason = std::string(reason);
  }
  return Unauthenticated("the identity provider's id_token is invalid");
}

std::optional<std::string> OptionalString(const json& claims, const std::string& name) {
  const auto found = claims.find(name);
  if (found == claims.end() || !found->is_string()) {
    return std::nullopt;
  }
  return found->get<std::string>();
}

// NumericDate claims may be fractional (RFC 7519 section 2); fractions are truncated.
std::optional<int64_t> NumericDate(const json& claims, const char* name) {
  const auto found = claims.find(name);
  if (found == claims.end() || !found->is_number()) {
    return std::nullopt;
  }
  const double value = found->get<double>();
  if (value < 0 || value > 1e12) {
    return std::nullopt;
  }
  return static_cast<int64_t>(value);
}

int64_t UnixSeconds(SystemTime time) {
  return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

}  // namespace

Result<IdTokenClaims> ValidateIdTokenClaims(std::string_view payload,
                                            const IdTokenExpectations& expected,
                                            std::string* failure_reason) {
  const json claims = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (claims.is_discarded() || !claims.is_object()) {
    return Reject(kReasonIdTokenMalformed, failure_reason);
  }
  IdTokenClaims parsed;
  const std::optional<std::string> iss = OptionalString(claims, "iss");
  if (!iss.has_value() || *iss != expected.issuer) {
    return Reject(kReasonIdTokenIssuer, failure_reason);
  }
  parsed.issuer = *iss;

  const auto aud = claims.find("aud");
  std::vector<std::string> audiences;
  if (aud != claims.end() && aud->is_string()) {
    audiences.push_back(aud->get<std::string>());
  } else if (aud != claims.end() && aud->is_array()) {
    for (const json& value : *aud) {
      if (!value.is_string()) {
        return Reject(kReasonIdTokenAudience, failure_reason);
      }
      audiences.push_back(value.get<std::string>());
    }
  }
  if (std::find(audiences.begin(), audiences.end(), expected.client_id) == audiences.end()) {
    return Reject(kReasonIdTokenAudience, failure_reason);
  }
  const std::optional<std::string> azp = OptionalString(claims, "azp");
  if (claims.contains("azp") && (!azp.has_value() || *azp != expected.client_id)) {
    return Reject(kReasonIdTokenAzp, failure_reason);
  }
  if (audiences.size() > 1 && !azp.has_value()) {
    return Reject(kReasonIdTokenAzp, failure_reason);
  }

  const int64_t now = UnixSeconds(expected.now);
  const int64_t skew = expected.clock_skew.count();
  const std::optional<int64_t> exp = NumericDate(claims, "exp");
  if (!exp.has_value() || *exp <= now - skew) {
    return Reject(kReasonIdTokenExpired, failure_reason);
  }
  const std::optional<int64_t> iat = NumericDate(claims, "iat");
  if (!iat.has_value() || *iat > now + skew || *iat < now - skew - expected.max_age.count()) {
    return Reject(kReasonIdTokenIssuedAt, failure_reason);
  }
  if (claims.contains("nbf")) {
    const std::optional<int64_t> nbf = NumericDate(claims, "nbf");
    if (!nbf.has_value() || *nbf > now + skew) {
      return Reject(kReasonIdTokenNotYetValid, failure_reason);
    }
  }
  const std::optional<std::string> nonce = OptionalString(claims, "nonce");
  if (!nonce.has_value() || expected.nonce.empty() ||
      !crypto::ConstantTimeEquals(*nonce, expected.nonce)) {
    return Reject(kReasonIdTokenNonce, failure_reason);
  }

  const std::optional<std::string> sub = OptionalString(claims, "sub");
  if (!sub.has_value() || sub->empty() || sub->size() > kMaxSubjectLength) {
    return Reject(kReasonIdTokenMalformed, failure_reason);
  }
  parsed.subject = *sub;
  const auto email_verified = claims.find("email_verified");
  const bool email_unverified = email_verified != claims.end() && *email_verified == false;
  if (!email_unverified) {
    parsed.email = OptionalString(claims, expected.email_claim);
  }
  parsed.name = OptionalString(claims, expected.name_claim);
  if (const auto amr = claims.find("amr"); amr != claims.end()) {
    if (!amr->is_array()) {
      return Reject(kReasonIdTokenMalformed, failure_reason);
    }
    for (const json& value : *amr) {
      if (value.is_string()) {
        parsed.amr.push_back(value.get<std::string>());
      }
    }
  }
  parsed.acr = OptionalString(claims, "acr");
  if (const std::optional<int64_t> auth_time = NumericDate(claims, "auth_time")) {
    parsed.auth_time = SystemTime(std::chrono::seconds(*auth_time));
  }
  parsed.sid = OptionalString(claims, "sid");
  if (failure_reason != nullptr) {
    failure_reason->clear();
  }
  return parsed;
}

}  // namespace custody::identity::oidc
