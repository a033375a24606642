// The OpenID Connect relying party: authorization code flow with PKCE (S256), discovery,
// the token request and id_token validation, for every organization's provider.
//
// Begin stores a pending request (table oidc_pending) under the SHA-256 of a random `state`,
// with the nonce, the PKCE verifier and the SHA-256 of a browser binding value that the caller
// puts in a pre-authentication cookie. Complete accepts a callback only with the same binding
// value, consumes the pending request before the code is exchanged, so a state works once, and
// rejects requests older than RelyingPartyOptions::pending_lifetime.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/aws/http_transport.h"
#include "custody/common/clock.h"
#include "custody/common/secret.h"
#include "custody/common/status.h"
#include "custody/crypto/ed25519.h"
#include "custody/identity/jwt.h"
#include "custody/identity/oidc/provider.h"
#include "custody/identity/sign_in.h"
#include "custody/store/database.h"

namespace custody::identity::oidc {

// Failure reason codes of Complete, beside the kReasonIdToken* and kReasonJws* codes.
inline constexpr std::string_view kReasonStateUnknown = "oidc_state_unknown";
inline constexpr std::string_view kReasonStateReplayed = "oidc_state_replayed";
inline constexpr std::string_view kReasonStateExpired = "oidc_state_expired";
inline constexpr std::string_view kReasonBindingMismatch = "oidc_binding_mismatch";
inline constexpr std::string_view kReasonProviderError = "oidc_provider_error";
inline constexpr std::string_view kReasonProviderMissing = "oidc_provider_missing";
inline constexpr std::string_view kReasonTokenRequestFailed = "oidc_token_request_failed";

struct RelyingPartyOptions {
  // The redirect URI registered at every IdP: <server.public_url>/auth/oidc/callback.
  std::string redirect_uri;
  // Permits http:// issuers and endpoints on loopback addresses (tests only).
  bool allow_insecure_loopback = false;
  std::chrono::seconds clock_skew{60};
  std::chrono::seconds pending_lifetime{600};
  std::chrono::seconds max_id_token_age{600};
  // Discovery documents and JWKS are fetched again after this long.
  std::chrono::seconds cache_lifetime{3600};
  // An id_token with an unknown kid makes Complete fetch the JWKS again, at most once per this
  // interval, so a stream of forged tokens costs the IdP one request per interval.
  std::chrono::seconds jwks_refetch_interval{30};
  // Seals the stored client secrets (32 bytes).
  Secret sealing_key;
  // Signs private_key_jwt client assertions; may be null when no provider uses that method.
  const crypto::Ed25519PrivateKey* assertion_key = nullptr;
};

// The discovery document's fields that Custody uses.
struct ProviderMetadata {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  std::optional<std::string> end_session_endpoint;
};

struct BeginRequest {
  std::string organization_id;
  std::string binding;    // the pre-authentication cookie value
  std::string return_to;  // a path on Custody to go to after sign-in
  // Set for a CLI sign-in: the loopback URL that receives the one-time CLI code, and the
  // PKCE S256 challenge of the verifier that the CLI keeps to redeem it.
  std::optional<std::string> cli_redirect;
  std::optional<std::string> cli_challenge;
  bool request_mfa = false;  // adds the provider's mfa_acr_values
};

struct CompletedFlow {
  VerifiedSignIn sign_in;
  std::string return_to;
  std::optional<std::string> cli_redirect;
};

class RelyingParty {
 public:
  RelyingParty(aws::HttpTransport& transport, const Clock& clock, RelyingPartyOptions options);

  // Stores a pending request for the organization's provider and returns the IdP's
  // authorization URL to redirect the browser to. kNotFound when the organization has no OIDC
  // provider; kUnavailable or kUpstreamFailed when discovery fails.
  Result<std::string> Begin(store::Database& db, const BeginRequest& request);

  // Handles the redirect back from the IdP: consumes the pending request of `state`, checks
  // the binding, exchanges `code` at the token endpoint and validates the id_token. Every
  // refusal is kUnauthenticated with `failure_reason` set; `organization_id` receives the
  // organization of the pending request when it was found, for the audit record.
  Result<CompletedFlow> Complete(store::Database& db, std::string_view state, std::string_view code,
                                 std::string_view binding, std::string* failure_reason,
                                 std::string* organization_id);

  // Attaches a one-time CLI code (stored as its SHA-256) and the new session to the completed
  // request of `state`, for RedeemCliCode.
  Status AttachCliCode(store::Database& db, std::string_view state, std::string_view session_id,
                       const Secret& code);

  // Redeems a CLI code once: checks that `verifier` matches the request's cli_challenge and that
  // the request has not expired, and returns the session id. kUnauthenticated otherwise.
  Result<std::string> RedeemCliCode(store::Database& db, std::string_view code,
                                    std::string_view verifier);

  // Returns the IdP's end_session_endpoint URL for RP-initiated logout with client_id and
  // post_logout_redirect_uri, or nullopt when the IdP has none or discovery fails.
  std::optional<std::string> EndSessionUrl(const Provider& provider,
                                           std::string_view post_logout_redirect_uri);

  // Fetches (or returns the cached) discovery document of `issuer`.
  Result<ProviderMetadata> Discover(const std::string& issuer);

 private:
  struct CachedKeys {
    std::vector<Jwk> keys;
    SystemTime fetched_at;
  };

  struct CachedMetadata {
    ProviderMetadata metadata;
    SystemTime fetched_at;
  };

  Status CheckEndpoint(std::string_view url, std::string_view name) const;
  Result<std::string> FetchJson(const std::string& url);
  Result<std::vector<Jwk>> Keys(const std::string& jwks_uri, bool refetch);
  Result<std::string> RequestIdToken(const Provider& provider, const ProviderMetadata& metadata,
                                     std::string_view code, std::string_view code_verifier,
                                     std::string* failure_reason);
  Result<VerifiedJws> VerifySignature(const Provider& provider, const ProviderMetadata& metadata,
                                      std::string_view id_token, std::string* failure_reason);

  aws::HttpTransport& transport_;
  const Clock& clock_;
  RelyingPartyOptions options_;
  std::mutex mutex_;  // guards the caches
  std::map<std::string, CachedMetadata> metadata_;
  std::map<std::string, CachedKeys> keys_;
};

// The PKCE S256 code challenge of `verifier` (RFC 7636 section 4.2).
std::string CodeChallengeS256(std::string_view verifier);

}  // namespace custody::identity::oidc
