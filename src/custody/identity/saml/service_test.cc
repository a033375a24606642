// The SP's stored state and its two sign-in steps, on a database with the fixture
// organization that testdata/simplesamlphp_response.xml was issued to.
#include "custody/identity/saml/service.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "custody/crypto/encoding.h"
#include "custody/identity/saml/authn_request.h"
#include "custody/identity/saml/response.h"
#include "custody/identity/saml/settings.h"
#include "custody/store/testing.h"

namespace custody::identity::saml {
namespace {

const std::string kTestData =
    std::string(CUSTODY_SOURCE_DIR) + "/src/custody/identity/saml/testdata/";

constexpr std::string_view kOrganizationId = "org_FixtureFixtureFixture0";
constexpr std::string_view kPublicUrl = "https://custody.example";
constexpr std::string_view kIdpEntityId =
    "http://127.0.0.1:49815/simplesaml/saml2/idp/metadata.php";
constexpr std::string_view kRequestId = "_fixture0123456789abcdef012345678";
constexpr int64_t kIssueInstant = 1796412208;  // 2026-12-04T19:23:28Z

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// The query parameter `name` of `url`, percent-decoded.
std::string QueryParameter(const std::string& url, const std::string& name) {
  const size_t start = url.find(name + "=");
  if (start == std::string::npos) {
    return "";
  }
  std::string value = url.substr(start + name.size() + 1);
  value = value.substr(0, value.find('&'));
  std::string decoded;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '%' && i + 2 < value.size()) {
      decoded += static_cast<char>(std::stoi(value.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      decoded += value[i];
    }
  }
  return decoded;
}

class ServiceTest : public testing::Test {
 protected:
  void SetUp() override {
    // The fixture's organization id is fixed, so it is inserted directly instead of through
    // CreateOrganization, which draws a random one.
    const Status created = db().Write([](store::Transaction& tx) -> Status {
      CUSTODY_RETURN_IF_ERROR(
          tx.Execute("INSERT INTO organizations (id, name, created_at, root_entity_id) "
                     "VALUES (?, 'Fixture', 0, 'ent_FixtureFixtureFixture0')",
                     {kOrganizationId})
              .status());
      return tx
          .Execute(
              "INSERT INTO entities (id, organization_id, parent_id, kind, name, created_at) "
              "VALUES ('ent_FixtureFixtureFixture0', ?, NULL, 'business_unit', 'Fixture', 0)",
              {kOrganizationId})
          .status();
    });
    ASSERT_TRUE(created.ok()) << created.ToString();
    response_base64_ = crypto::Base64Encode(ReadFile(kTestData + "simplesamlphp_response.xml"));
  }

  store::Database& db() { return temp_.db(); }

  SamlSettings FixtureSettings() {
    SamlSettings settings;
    settings.organization_id = std::string(kOrganizationId);
    settings.idp_entity_id = std::string(kIdpEntityId);
    settings.idp_sso_url = "http://127.0.0.1:49815/simplesaml/saml2/idp/SSOService.php";
    settings.idp_certificates = {ReadFile(kTestData + "simplesamlphp_idp.crt")};
    settings.updated_by = "usr_FixtureFixtureFixture0";
    return settings;
  }

  void Configure(const SamlSettings& settings) {
    const Status stored =
        db().Write([&](store::Transaction& tx) { return PutSamlSettings(tx, clock_, settings); });
    ASSERT_TRUE(stored.ok()) << stored.ToString();
  }

  // Stores a pending request with the fixture's request id, as StartLogin would have.
  Secret SavePending(const Clock& clock) {
    Result<Secret> secret = store::WriteReturning<Secret>(db(), [&](store::Transaction& tx) {
      return SavePendingRequest(tx, clock, kOrganizationId, kRequestId, "/evidence");
    });
    EXPECT_TRUE(secret.ok()) << secret.status().ToString();
    return secret.ok() ? std::move(secret).value() : Secret();
  }

  Result<ConsumedResponse> Consume(std::string_view browser_secret, std::string* reason) {
    return ConsumeResponse(db(), clock_, kPublicUrl, kOrganizationId, response_base64_,
                           browser_secret, reason);
  }

  FixedClock clock_{FromUnixSeconds(kIssueInstant + 10)};
  store::TempDatabase temp_;
  std::string response_base64_;
};

TEST_F(ServiceTest, ServiceProviderUrls) {
  const ServiceProvider provider = ServiceProviderFor("https://custody.example/", "org_A");
  EXPECT_EQ(provider.entity_id, "https://custody.example/sso/saml/org_A/metadata");
  EXPECT_EQ(provider.metadata_url, provider.entity_id);
  EXPECT_EQ(provider.acs_url, "https://custody.example/sso/saml/org_A/acs");
  EXPECT_EQ(provider.login_url, "https://custody.example/sso/saml/org_A/login");
}

TEST_F(ServiceTest, SettingsRoundTrip) {
  SamlSettings settings = FixtureSettings();
  settings.email_attribute = "mail";
  settings.allow_idp_initiated = true;
  Configure(settings);
  const Result<SamlSettings> stored = store::ReadReturning<SamlSettings>(
      db(), [](store::Transaction& tx) { return GetSamlSettings(tx, kOrganizationId); });
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->idp_entity_id, kIdpEntityId);
  ASSERT_EQ(stored->idp_certificates.size(), 1u);
  EXPECT_FALSE(stored->idp_certificates[0].starts_with("-----BEGIN"));
  EXPECT_EQ(stored->email_attribute, "mail");
  EXPECT_TRUE(stored->allow_idp_initiated);
  EXPECT_FALSE(stored->allow_sha1);
  EXPECT_EQ(stored->updated_at, clock_.Now());
}

TEST_F(ServiceTest, InvalidSettingsRejected) {
  SamlSettings settings = FixtureSettings();
  settings.idp_sso_url = "http://idp.example.test/sso";
  EXPECT_EQ(CheckSamlSettings(settings).field(), "/idp_sso_url");
  settings = FixtureSettings();
  settings.idp_certificates = {};
  EXPECT_EQ(CheckSamlSettings(settings).field(), "/idp_certificates");
  settings.idp_certificates = {"not base64!"};
  EXPECT_EQ(CheckSamlSettings(settings).field(), "/idp_certificates");
  settings = FixtureSettings();
  settings.idp_entity_id = "";
  EXPECT_EQ(CheckSamlSettings(settings).field(), "/idp_entity_id");
}

TEST_F(ServiceTest, StartLoginWithoutSettingsNotFound) {
  const Result<LoginStart> login = StartLogin(db(), clock_, kPublicUrl, kOrganizationId, "/");
  ASSERT_FALSE(login.ok());
  EXPECT_EQ(login.status().code(), ErrorCode::kNotFound);
}

TEST_F(ServiceTest, StartLoginRedirectsWithRequest) {
  Configure(FixtureSettings());
  const Result<LoginStart> login = StartLogin(db(), clock_, kPublicUrl, kOrganizationId, "/");
  ASSERT_TRUE(login.ok()) << login.status().ToString();
  EXPECT_TRUE(login->redirect_url.starts_with(
      "http://127.0.0.1:49815/simplesaml/saml2/idp/SSOService.php?SAMLRequest="));
  EXPECT_EQ(login->browser_secret.Reveal().size(), 43u);

  const std::optional<std::string> deflated =
      crypto::Base64Decode(QueryParameter(login->redirect_url, "SAMLRequest"));
  ASSERT_TRUE(deflated.has_value());
  const Result<std::string> xml = Inflate(*deflated, 65536);
  ASSERT_TRUE(xml.ok()) << xml.status().ToString();
  EXPECT_NE(xml->find("ID=\"" + login->request_id + "\""), std::string::npos);
  EXPECT_NE(xml->find("AssertionConsumerServiceURL=\"https://custody.example/sso/saml/"
                      "org_FixtureFixtureFixture0/acs\""),
            std::string::npos);
  EXPECT_EQ(xml->find("RequestedAuthnContext"), std::string::npos);
}

TEST_F(ServiceTest, MfaPolicyRequestsMfaContext) {
  Configure(FixtureSettings());
  SsoPolicy policy;
  policy.organization_id = std::string(kOrganizationId);
  policy.require_mfa = true;
  ASSERT_TRUE(
      db().Write([&](store::Transaction& tx) { return PutSsoPolicy(tx, clock_, policy); }).ok());
  const Result<LoginStart> login = StartLogin(db(), clock_, kPublicUrl, kOrganizationId, "/");
  ASSERT_TRUE(login.ok()) << login.status().ToString();
  const std::optional<std::string> deflated =
      crypto::Base64Decode(QueryParameter(login->redirect_url, "SAMLRequest"));
  ASSERT_TRUE(deflated.has_value());
  const Result<std::string> xml = Inflate(*deflated, 65536);
  ASSERT_TRUE(xml.ok());
  EXPECT_NE(xml->find("<samlp:RequestedAuthnContext Comparison=\"exact\">"), std::string::npos);
  EXPECT_NE(xml->find(">https://refeds.org/profile/mfa<"), std::string::npos);
  EXPECT_NE(xml->find(">http://schemas.microsoft.com/claims/multipleauthn<"), std::string::npos);
}

TEST_F(ServiceTest, ConsumesValidResponse) {
  Configure(FixtureSettings());
  const Secret secret = SavePending(clock_);
  std::string reason;
  const Result<ConsumedResponse> consumed = Consume(secret.Reveal(), &reason);
  ASSERT_TRUE(consumed.ok()) << consumed.status().ToString() << " " << reason;
  EXPECT_EQ(consumed->return_to, "/evidence");
  const VerifiedSignIn* sign_in = &consumed->sign_in;
  EXPECT_EQ(sign_in->organization_id, kOrganizationId);
  EXPECT_EQ(sign_in->method, kMethodSaml);
  EXPECT_EQ(sign_in->issuer, kIdpEntityId);
  EXPECT_EQ(sign_in->subject, "alice@example.test");
  EXPECT_EQ(sign_in->email, "alice@example.test");
  EXPECT_EQ(sign_in->display_name, "Alice Admin");
  EXPECT_EQ(sign_in->authn_methods, std::vector<std::string>{"https://refeds.org/profile/mfa"});
  EXPECT_EQ(sign_in->idp_session, "_25a3f29358f62a53a44c3bec2424149844e7672161");
  ASSERT_TRUE(sign_in->authn_time.has_value());
  EXPECT_EQ(ToUnixSeconds(*sign_in->authn_time), kIssueInstant);
}

TEST_F(ServiceTest, MappedAttributesUsed) {
  SamlSettings settings = FixtureSettings();
  settings.display_name_attribute = "uid";
  Configure(settings);
  const Secret secret = SavePending(clock_);
  const Result<ConsumedResponse> consumed = Consume(secret.Reveal(), nullptr);
  ASSERT_TRUE(consumed.ok()) << consumed.status().ToString();
  EXPECT_EQ(consumed->sign_in.display_name, "alice");
}

TEST_F(ServiceTest, ReplayedAssertionRejected) {
  Configure(FixtureSettings());
  const Secret first = SavePending(clock_);
  ASSERT_TRUE(Consume(first.Reveal(), nullptr).ok());
  // Even with a pending request of the same id again, the assertion id is spent.
  const Secret second = SavePending(clock_);
  std::string reason;
  const Result<ConsumedResponse> replay = Consume(second.Reveal(), &reason);
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.status().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(reason, kReasonReplayed);
}

TEST_F(ServiceTest, PendingRequestUsableOnce) {
  Configure(FixtureSettings());
  const Secret secret = SavePending(clock_);
  ASSERT_TRUE(Consume(secret.Reveal(), nullptr).ok());
  std::string reason;
  const Result<ConsumedResponse> again = Consume(secret.Reveal(), &reason);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(reason, kReasonInResponseTo);
}

TEST_F(ServiceTest, MissingCookieRejected) {
  Configure(FixtureSettings());
  SavePending(clock_);
  std::string reason;
  const Result<ConsumedResponse> sign_in = Consume("", &reason);
  ASSERT_FALSE(sign_in.ok());
  EXPECT_EQ(reason, kReasonInResponseTo);
}

TEST_F(ServiceTest, OtherBrowserRejected) {
  Configure(FixtureSettings());
  SavePending(clock_);
  std::string reason;
  const Result<ConsumedResponse> sign_in =
      Consume("AnotherBrowserAnotherBrowserAnotherBrowser0", &reason);
  ASSERT_FALSE(sign_in.ok());
  EXPECT_EQ(reason, kReasonInResponseTo);
}

TEST_F(ServiceTest, ExpiredPendingRequestRejected) {
  Configure(FixtureSettings());
  const FixedClock earlier(clock_.Now() - kRequestLifetime - std::chrono::seconds(1));
  const Secret secret = SavePending(earlier);
  std::string reason;
  const Result<ConsumedResponse> sign_in = Consume(secret.Reveal(), &reason);
  ASSERT_FALSE(sign_in.ok());
  EXPECT_EQ(reason, kReasonInResponseTo);
}

TEST_F(ServiceTest, InvalidBase64Rejected) {
  Configure(FixtureSettings());
  const Secret secret = SavePending(clock_);
  std::string reason;
  const Result<ConsumedResponse> sign_in = ConsumeResponse(
      db(), clock_, kPublicUrl, kOrganizationId, "%%%not base64", secret.Reveal(), &reason);
  ASSERT_FALSE(sign_in.ok());
  EXPECT_EQ(reason, kReasonEncoding);
}

TEST_F(ServiceTest, UnconfiguredOrganizationNotFound) {
  std::string reason;
  const Result<ConsumedResponse> sign_in = Consume("", &reason);
  ASSERT_FALSE(sign_in.ok());
  EXPECT_EQ(sign_in.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(reason, kReasonNotConfigured);
}

TEST_F(ServiceTest, OtherOrganizationsAcsRejected) {
  Configure(FixtureSettings());
  const Secret secret = SavePending(clock_);
  std::string reason;
  // The same response posted to another public URL's ACS: Destination no longer matches.
  const Result<ConsumedResponse> sign_in =
      ConsumeResponse(db(), clock_, "https://other.example", kOrganizationId, response_base64_,
                      secret.Reveal(), &reason);
  ASSERT_FALSE(sign_in.ok());
  EXPECT_EQ(reason, kReasonDestination);
}

TEST(DeflateTest, RoundTrip) {
  const std::string text(5000, 'x');
  const Result<std::string> deflated = Deflate(text);
  ASSERT_TRUE(deflated.ok());
  EXPECT_LT(deflated->size(), text.size());
  const Result<std::string> inflated = Inflate(*deflated, 10000);
  ASSERT_TRUE(inflated.ok());
  EXPECT_EQ(*inflated, text);
  EXPECT_FALSE(Inflate(*deflated, 100).ok());
  EXPECT_FALSE(Inflate("garbage", 100).ok());
}

TEST(XmlEscapeTest, EscapesSpecialCharacters) {
  EXPECT_EQ(XmlEscape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
}

}  // namespace
}  // namespace custody::identity::saml
