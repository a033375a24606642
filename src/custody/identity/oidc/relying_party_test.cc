#include "custody/identity/oidc/relying_party.h"

#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "custody/aws/fake_transport.h"
#include "custody/aws/sigv4.h"
#include "custody/crypto/encoding.h"
#include "custody/crypto/random.h"
#include "custody/identity/oidc/id_token.h"
#include "custody/identity/test_org.h"

namespace custody::identity::oidc {
namespace {

using aws::testing::FakeTransport;
using aws::testing::Respond;
using nlohmann::json;

constexpr std::string_view kIssuer = "http://127.0.0.1:9999";
constexpr std::string_view kRedirectUri = "http://127.0.0.1:8080/auth/oidc/callback";

// Decodes the query of `url` into a map (values are percent-decoded).
std::map<std::string, std::string> QueryOf(const std::string& url) {
  std::map<std::string, std::string> params;
  const std::string query = url.substr(url.find('?') + 1);
  size_t start = 0;
  while (start <= query.size()) {
    const size_t end = std::min(query.find('&', start), query.size());
    const std::string pair = query.substr(start, end - start);
    const size_t equals = pair.find('=');
    std::string value = pair.substr(equals + 1);
    std::string decoded;
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '%' && i + 2 < value.size()) {
        decoded += static_cast<char>(std::stoi(value.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        decoded += value[i];
      }
    }
    params[pair.substr(0, equals)] = decoded;
    start = end + 1;
  }
  return params;
}

// A fake OpenID Provider that signs id_tokens with Ed25519 keys.
class FakeIdp {
 public:
  FakeIdp() { Rotate(); }

  void Rotate() {
    signing_key_ = crypto::Ed25519PrivateKey::Generate();
    signing_kid_ = "key-" + std::to_string(++generation_);
    published_.push_back({signing_kid_, signing_key_});
  }

  std::string Sign(const json& claims, const crypto::Ed25519PrivateKey* key = nullptr,
                   std::string kid = "") const {
    const json header = {{"alg", "EdDSA"}, {"kid", kid.empty() ? signing_kid_ : kid}};
    const std::string input =
        crypto::Base64UrlEncode(header.dump()) + "." + crypto::Base64UrlEncode(claims.dump());
    const crypto::Ed25519PrivateKey& signer = key != nullptr ? *key : signing_key_;
    return input + "." + crypto::Base64UrlEncode(signer.Sign(input));
  }

  json Claims(const std::string& nonce) const {
    const int64_t now = 1'800'000'000;
    return {
        {"iss", kIssuer}, {"sub", "bob-subject"}, {"aud", "custody-client"},     {"exp", now + 300},
        {"iat", now},     {"nonce", nonce},       {"email", "bob@acme.example"}, {"amr", {"pwd"}}};
  }

  Result<aws::HttpResponse> Handle(const aws::HttpRequest& request) {
    const std::string base(kIssuer);
    if (request.url == base + "/.well-known/openid-configuration") {
      return Respond(200, json{{"issuer", discovery_issuer_.empty() ? base : discovery_issuer_},
                               {"authorization_endpoint", base + "/auth"},
                               {"token_endpoint", base + "/token"},
                               {"jwks_uri", base + "/jwks"},
                               {"end_session_endpoint", base + "/session/end"}}
                              .dump());
    }
    if (request.url == base + "/jwks") {
      ++jwks_fetches;
      json keys = json::array();
      for (const auto& [kid, key] : published_) {
        keys.push_back({{"kty", "OKP"},
                        {"crv", "Ed25519"},
                        {"kid", kid},
                        {"x", crypto::Base64UrlEncode(key.PublicKey())}});
      }
      return Respond(200, json{{"keys", keys}}.dump());
    }
    if (request.url == base + "/token") {
      last_token_request = request;
      if (!token_response.has_value()) {
        return Respond(400, R"({"error":"invalid_grant"})");
      }
      return Respond(
          200, json{{"access_token", "at"}, {"token_type", "Bearer"}, {"id_token", *token_response}}
                   .dump());
    }
    return Respond(404, "");
  }

  std::string discovery_issuer_;
  std::optional<std::string> token_response;
  std::optional<aws::HttpRequest> last_token_request;
  int jwks_fetches = 0;

 private:
  int generation_ = 0;
  crypto::Ed25519PrivateKey signing_key_ = crypto::Ed25519PrivateKey::Generate();
  std::string signing_kid_;
  std::vector<std::pair<std::string, crypto::Ed25519PrivateKey>> published_;
};

class RelyingPartyTest : public testing::OrgTest {
 protected:
  void SetUp() override {
    OrgTest::SetUp();
    ProviderSettings settings;
    settings.issuer = std::string(kIssuer);
    settings.client_id = "custody-client";
    settings.allowed_algs = {JwsAlgorithm::kEdDsa};
    settings.mfa_acr_values = "urn:test:mfa";
    ASSERT_TRUE(db().Write([&](store::Transaction& tx) {
                      return PutProvider(tx, clock_, acme_id(), settings, Secret("client-secret"),
                                         sealing_key_);
                    })
                    .ok());
  }

  RelyingPartyOptions Options() const {
    RelyingPartyOptions options;
    options.redirect_uri = std::string(kRedirectUri);
    options.allow_insecure_loopback = true;
    options.sealing_key = sealing_key_;
    return options;
  }

  // Begins a flow and returns the authorization request's parameters.
  std::map<std::string, std::string> Begin(bool request_mfa = false) {
    BeginRequest request;
    request.organization_id = acme_id();
    request.binding = binding_;
    request.return_to = "/";
    request.request_mfa = request_mfa;
    Result<std::string> url = rp_.Begin(db(), request);
    if (!url.ok()) {
      ADD_FAILURE() << url.status().ToString();
      return {};
    }
    EXPECT_TRUE(url->starts_with(std::string(kIssuer) + "/auth?"));
    return QueryOf(*url);
  }

  Result<CompletedFlow> Complete(const std::string& state, std::string* reason,
                                 std::string binding = "") {
    std::string organization;
    return rp_.Complete(db(), state, "the-code", binding.empty() ? binding_ : binding, reason,
                        &organization);
  }

  Secret sealing_key_{crypto::RandomBytes(32)};
  std::string binding_ = crypto::RandomAlphanumeric(43);
  FakeIdp idp_;
  FakeTransport transport_{[this](const aws::HttpRequest& request) {
    return idp_.Handle(request);
  }};
  RelyingParty rp_{transport_, clock_, Options()};
};

TEST_F(RelyingPartyTest, FullFlowReturnsVerifiedSignIn) {
  std::map<std::string, std::string> params = Begin();
  EXPECT_EQ(params["response_type"], "code");
  EXPECT_EQ(params["client_id"], "custody-client");
  EXPECT_EQ(params["redirect_uri"], kRedirectUri);
  EXPECT_EQ(params["scope"], "openid email profile");
  EXPECT_EQ(params["code_challenge_method"], "S256");
  EXPECT_EQ(params.count("acr_values"), 0u);
  idp_.token_response = idp_.Sign(idp_.Claims(params["nonce"]));

  std::string reason;
  Result<CompletedFlow> completed = Complete(params["state"], &reason);
  ASSERT_TRUE(completed.ok()) << reason << " " << completed.status().ToString();
  EXPECT_EQ(completed->sign_in.organization_id, acme_id());
  EXPECT_EQ(completed->sign_in.issuer, kIssuer);
  EXPECT_EQ(completed->sign_in.subject, "bob-subject");
  EXPECT_EQ(completed->sign_in.email, "bob@acme.example");
  EXPECT_EQ(completed->return_to, "/");

  // The token request proves possession of the PKCE verifier and authenticates the client.
  ASSERT_TRUE(idp_.last_token_request.has_value());
  const std::map<std::string, std::string> form = QueryOf("?" + idp_.last_token_request->body);
  EXPECT_EQ(CodeChallengeS256(form.at("code_verifier")), params["code_challenge"]);
  EXPECT_EQ(form.at("code"), "the-code");
  EXPECT_EQ(form.at("redirect_uri"), kRedirectUri);
  bool has_basic = false;
  for (const auto& [name, value] : idp_.last_token_request->headers) {
    has_basic =
        has_basic || (name == "Authorization" &&
                      value == "Basic " + crypto::Base64Encode("custody-client:client-secret"));
  }
  EXPECT_TRUE(has_basic);
}

TEST_F(RelyingPartyTest, MfaRequestAddsAcrValues) {
  std::map<std::string, std::string> params = Begin(/*request_mfa=*/true);
  EXPECT_EQ(params["acr_values"], "urn:test:mfa");
}

TEST_F(RelyingPartyTest, StateWorksOnce) {
  std::map<std::string, std::string> params = Begin();
  idp_.token_response = idp_.Sign(idp_.Claims(params["nonce"]));
  std::string reason;
  ASSERT_TRUE(Complete(params["state"], &reason).ok()) << reason;
  EXPECT_EQ(Complete(params["state"], &reason).status().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(reason, kReasonStateReplayed);
}

TEST_F(RelyingPartyTest, UnknownStateRejected) {
  std::string reason;
  EXPECT_FALSE(Complete("made-up-state", &reason).ok());
  EXPECT_EQ(reason, kReasonStateUnknown);
}

TEST_F(RelyingPartyTest, OtherBrowserRejectedAndStateSpent) {
  std::map<std::string, std::string> params = Begin();
  idp_.token_response = idp_.Sign(idp_.Claims(params["nonce"]));
  std::string reason;
  EXPECT_FALSE(Complete(params["state"], &reason, crypto::RandomAlphanumeric(43)).ok());
  EXPECT_EQ(reason, kReasonBindingMismatch);
  EXPECT_FALSE(Complete(params["state"], &reason).ok());
  EXPECT_EQ(reason, kReasonStateReplayed);
  EXPECT_FALSE(idp_.last_token_request.has_value());
}

TEST_F(RelyingPartyTest, ExpiredStateRejected) {
  std::map<std::string, std::string> params = Begin();
  clock_.Advance(std::chrono::seconds(601));
  std::string reason;
  EXPECT_FALSE(Complete(params["state"], &reason).ok());
  EXPECT_EQ(reason, kReasonStateExpired);
}

TEST_F(RelyingPartyTest, WrongNonceRejected) {
  std::map<std::string, std::string> params = Begin();
  idp_.token_response = idp_.Sign(idp_.Claims("another-nonce"));
  std::string reason;
  EXPECT_FALSE(Complete(params["state"], &reason).ok());
  EXPECT_EQ(reason, kReasonIdTokenNonce);
}

TEST_F(RelyingPartyTest, OtherKeyRejected) {
  std::map<std::string, std::string> params = Begin();
  const crypto::Ed25519PrivateKey attacker = crypto::Ed25519PrivateKey::Generate();
  idp_.token_response = idp_.Sign(idp_.Claims(params["nonce"]), &attacker, "key-1");
  std::string reason;
  EXPECT_FALSE(Complete(params["state"], &reason).ok());
  EXPECT_EQ(reason, kReasonJwsBadSignature);
}

TEST_F(RelyingPartyTest, TokenEndpointErrorRejected) {
  std::map<std::string, std::string> params = Begin();
  std::string reason;
  EXPECT_FALSE(Complete(params["state"], &reason).ok());
  EXPECT_EQ(reason, kReasonTokenRequestFailed);
}

TEST_F(RelyingPartyTest, KeyRotationRefetchesJwksOnce) {
  std::map<std::string, std::string> first = Begin();
  idp_.token_response = idp_.Sign(idp_.Claims(first["nonce"]));
  std::string reason;
  ASSERT_TRUE(Complete(first["state"], &reason).ok()) << reason;
  EXPECT_EQ(idp_.jwks_fetches, 1);

  clock_.Advance(std::chrono::seconds(31));
  idp_.Rotate();
  std::map<std::string, std::string> second = Begin();
  idp_.token_response = idp_.Sign(idp_.Claims(second["nonce"]));
  ASSERT_TRUE(Complete(second["state"], &reason).ok()) << reason;
  EXPECT_EQ(idp_.jwks_fetches, 2);

  // A token with an unknown kid right after the refetch does not fetch again.
  std::map<std::string, std::string> third = Begin();
  const crypto::Ed25519PrivateKey stranger = crypto::Ed25519PrivateKey::Generate();
  idp_.token_response = idp_.Sign(idp_.Claims(third["nonce"]), &stranger, "unknown-kid");
  EXPECT_FALSE(Complete(third["state"], &reason).ok());
  EXPECT_EQ(reason, kReasonJwsUnknownKey);
  EXPECT_EQ(idp_.jwks_fetches, 2);
}

TEST_F(RelyingPartyTest, PinnedAlgorithmRejectsOthers) {
  ProviderSettings settings;
  settings.issuer = std::string(kIssuer);
  settings.client_id = "custody-client";
  settings.allowed_algs = {JwsAlgorithm::kRs256};
  ASSERT_TRUE(db().Write([&](store::Transaction& tx) {
                    return PutProvider(tx, clock_, acme_id(), settings, std::nullopt, sealing_key_);
                  })
                  .ok());
  std::map<std::string, std::string> params = Begin();
  idp_.token_response = idp_.Sign(idp_.Claims(params["nonce"]));
  std::string reason;
  EXPECT_FALSE(Complete(params["state"], &reason).ok());
  EXPECT_EQ(reason, kReasonJwsAlgorithmRejected);
}

TEST_F(RelyingPartyTest, DiscoveryIssuerMismatchFails) {
  idp_.discovery_issuer_ = "http://127.0.0.1:9999/other";
  BeginRequest request;
  request.organization_id = acme_id();
  request.binding = binding_;
  EXPECT_EQ(rp_.Begin(db(), request).status().code(), ErrorCode::kUpstreamFailed);
}

TEST_F(RelyingPartyTest, CliCodeRedeemedOnceWithVerifier) {
  const std::string verifier = crypto::RandomAlphanumeric(64);
  BeginRequest request;
  request.organization_id = acme_id();
  request.binding = binding_;
  request.return_to = "/";
  request.cli_redirect = "http://127.0.0.1:5555/callback";
  request.cli_challenge = CodeChallengeS256(verifier);
  Result<std::string> url = rp_.Begin(db(), request);
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  std::map<std::string, std::string> params = QueryOf(*url);
  idp_.token_response = idp_.Sign(idp_.Claims(params["nonce"]));
  std::string reason;
  Result<CompletedFlow> completed = Complete(params["state"], &reason);
  ASSERT_TRUE(completed.ok()) << reason;
  EXPECT_EQ(completed->cli_redirect, "http://127.0.0.1:5555/callback");

  const Secret code(crypto::RandomAlphanumeric(43));
  ASSERT_TRUE(rp_.AttachCliCode(db(), params["state"], "ses_x", code).ok());
  // A wrong verifier spends the code, so the right one cannot follow.
  EXPECT_EQ(rp_.RedeemCliCode(db(), code.Reveal(), "wrong-verifier").status().code(),
            ErrorCode::kUnauthenticated);
  EXPECT_FALSE(rp_.RedeemCliCode(db(), code.Reveal(), verifier).ok());

  const Secret second(crypto::RandomAlphanumeric(43));
  ASSERT_TRUE(rp_.AttachCliCode(db(), params["state"], "ses_x", second).ok());
  Result<std::string> session = rp_.RedeemCliCode(db(), second.Reveal(), verifier);
  ASSERT_TRUE(session.ok());
  EXPECT_EQ(*session, "ses_x");
  EXPECT_FALSE(rp_.RedeemCliCode(db(), second.Reveal(), verifier).ok());
}

TEST_F(RelyingPartyTest, CliCodeExpiresWithRequest) {
  const std::string verifier = crypto::RandomAlphanumeric(64);
  BeginRequest request;
  request.organization_id = acme_id();
  request.binding = binding_;
  request.return_to = "/";
  request.cli_redirect = "http://127.0.0.1:5555/callback";
  request.cli_challenge = CodeChallengeS256(verifier);
  Result<std::string> url = rp_.Begin(db(), request);
  ASSERT_TRUE(url.ok());
  std::map<std::string, std::string> params = QueryOf(*url);
  const Secret code(crypto::RandomAlphanumeric(43));
  ASSERT_TRUE(rp_.AttachCliCode(db(), params["state"], "ses_x", code).ok());
  clock_.Advance(std::chrono::seconds(601));
  EXPECT_FALSE(rp_.RedeemCliCode(db(), code.Reveal(), verifier).ok());
}

TEST_F(RelyingPartyTest, EndSessionUrlNamesClient) {
  Result<Provider> provider = store::ReadReturning<Provider>(
      db(), [&](store::Transaction& tx) { return GetProvider(tx, acme_id(), sealing_key_); });
  ASSERT_TRUE(provider.ok());
  EXPECT_EQ(provider->client_secret->Reveal(), "client-secret");
  const std::optional<std::string> url =
      rp_.EndSessionUrl(*provider, "http://127.0.0.1:8080/auth/signed-out");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(*url, std::string(kIssuer) +
                      "/session/end?client_id=custody-client&post_logout_redirect_uri=" +
                      aws::sigv4::UriEncode("http://127.0.0.1:8080/auth/signed-out", true));
}

TEST(ProviderSettingsTest, JsonRoundTripAndChecks) {
  Result<ProviderSettings> settings = SettingsFromJson(
      R"({"issuer":"https://idp.example","client_id":"c","allowed_algs":["ES256","RS256"],)"
      R"("claims":{"email":"upn"},"client_auth":"private_key_jwt"})");
  ASSERT_TRUE(settings.ok()) << settings.status().ToString();
  EXPECT_EQ(settings->client_auth, ClientAuthMethod::kPrivateKeyJwt);
  EXPECT_EQ(settings->email_claim, "upn");
  Result<ProviderSettings> again = SettingsFromJson(SettingsToJson(*settings));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->allowed_algs, settings->allowed_algs);
  EXPECT_TRUE(ValidateSettings(*settings, false).ok());

  EXPECT_EQ(SettingsFromJson(R"({"issuer":"x","client_id":"c","allowed_algs":["HS256"]})")
                .status()
                .field(),
            "/allowed_algs");
  EXPECT_EQ(SettingsFromJson(R"({"issuer":"x","client_id":"c","allowed_algs":["none"]})")
                .status()
                .field(),
            "/allowed_algs");
  EXPECT_EQ(SettingsFromJson(R"({"issuer":"x","client_id":"c","extra":1})").status().field(),
            "/extra");
  ProviderSettings http = *settings;
  http.issuer = "http://idp.example";
  EXPECT_EQ(ValidateSettings(http, true).field(), "/issuer");
  http.issuer = "http://127.0.0.1:9000";
  EXPECT_TRUE(ValidateSettings(http, true).ok());
  EXPECT_FALSE(ValidateSettings(http, false).ok());
  ProviderSettings no_openid = *settings;
  no_openid.scopes = {"email"};
  EXPECT_EQ(ValidateSettings(no_openid, false).field(), "/scopes");
}

}  // namespace
}  // namespace custody::identity::oidc
