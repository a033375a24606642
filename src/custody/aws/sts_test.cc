#include "custody/aws/sts.h"

#include <gtest/gtest.h>

#include "custody/aws/fake_transport.h"
#include "custody/aws/sigv4.h"
#include "custody/crypto/hash.h"

namespace custody::aws {
namespace {

using testing::FakeTransport;
using testing::Respond;

constexpr int64_t kNow = 1796400000;  // 2026-12-04T16:00:00Z

std::string SuccessBody(std::string_view expiration = "2026-12-04T17:00:00Z") {
  return std::string(R"(<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <SourceIdentity>usr_1</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/CustodyEvidence/custody-org_1</Arn>
      <AssumedRoleId>AROA3XFRBF535PLBIFPI4:custody-org_1</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAJEXAMPLEXEG2JICEA</AccessKeyId>
      <SecretAccessKey>9drTJvcXLB89EXAMPLELB8923FB892xMFI</SecretAccessKey>
      <SessionToken>AQoXdzELDDY//////////wEaoAK1wvxJY12r2IrDFT2IvAzTCn3zHoZ7YNtpiQLF0MqZye/qwjzP2iEXAMPLE&amp;=</SessionToken>
      <Expiration>)") +
         std::string(expiration) + R"(</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>)";
}

Credentials ServiceCredentials() {
  Credentials credentials;
  credentials.access_key_id = "AKIDCUSTODYSERVICE";
  credentials.secret_access_key = Secret("service-secret");
  return credentials;
}

AssumeRoleParams Params() {
  AssumeRoleParams params;
  params.role_arn = "arn:aws:iam::123456789012:role/CustodyEvidence";
  params.external_id = "Xk3p9QwE7rT2yU5iO8aS1dF4gH6jK0lZ";
  params.role_session_name = "custody-org_1";
  params.source_identity = "usr_1";
  params.duration = std::chrono::seconds(3600);
  return params;
}

// Splits a form body into decoded name -> value.
std::map<std::string, std::string> FormOf(const std::string& body) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('&', start);
    if (end == std::string::npos) {
      end = body.size();
    }
    const std::string pair = body.substr(start, end - start);
    const size_t equals = pair.find('=');
    std::string value;
    const std::string raw = pair.substr(equals + 1);
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '%') {
        value += static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        value += raw[i];
      }
    }
    out[pair.substr(0, equals)] = value;
    start = end + 1;
  }
  return out;
}

std::string HeaderOf(const HttpRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

TEST(StsClientTest, SendsSignedFormWithExternalId) {
  FakeTransport transport([](const HttpRequest&) { return Respond(200, SuccessBody()); });
  const FixedClock clock(FromUnixSeconds(kNow));
  StsClient client(transport, ServiceCredentials(), "", "eu-west-1", clock);

  const auto credentials = client.AssumeRole(Params());
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  EXPECT_EQ(credentials->access_key_id, "ASIAJEXAMPLEXEG2JICEA");
  EXPECT_EQ(credentials->secret_access_key.Reveal(), "9drTJvcXLB89EXAMPLELB8923FB892xMFI");
  EXPECT_EQ(credentials->session_token.Reveal(),
            "AQoXdzELDDY//////////wEaoAK1wvxJY12r2IrDFT2IvAzTCn3zHoZ7YNtpiQLF0MqZye/"
            "qwjzP2iEXAMPLE&=");
  EXPECT_EQ(credentials->expiration, FromUnixSeconds(kNow + 3600));

  ASSERT_EQ(transport.calls(), 1);
  const HttpRequest sent = transport.requests().at(0);
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, "https://sts.eu-west-1.amazonaws.com");
  const auto form = FormOf(sent.body);
  EXPECT_EQ(form.at("Action"), "AssumeRole");
  EXPECT_EQ(form.at("Version"), "2011-06-15");
  EXPECT_EQ(form.at("RoleArn"), "arn:aws:iam::123456789012:role/CustodyEvidence");
  EXPECT_EQ(form.at("ExternalId"), "Xk3p9QwE7rT2yU5iO8aS1dF4gH6jK0lZ");
  EXPECT_EQ(form.at("RoleSessionName"), "custody-org_1");
  EXPECT_EQ(form.at("DurationSeconds"), "3600");
  EXPECT_EQ(form.at("SourceIdentity"), "usr_1");
  EXPECT_EQ(form.at("Tags.member.1.Key"), "custody-user");
  EXPECT_EQ(form.at("Tags.member.1.Value"), "usr_1");
  EXPECT_EQ(form.count("Policy"), 0u);
  EXPECT_EQ(HeaderOf(sent, "Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");

  // The Authorization header must verify for the sts service in the client's region.
  sigv4::RequestToSign check;
  check.method = "POST";
  check.path = "/";
  check.headers = {{"Host", "sts.eu-west-1.amazonaws.com"},
                   {"Content-Type", HeaderOf(sent, "Content-Type")},
                   {"X-Amz-Date", HeaderOf(sent, "X-Amz-Date")}};
  check.payload_hash = crypto::Sha256Hex(sent.body);
  const auto expected =
      sigv4::ComputeSignature(check, sigv4::SigningConfig::ForService("eu-west-1", "sts"),
                              ServiceCredentials(), FromUnixSeconds(kNow));
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(HeaderOf(sent, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDCUSTODYSERVICE/20261204/eu-west-1/sts/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, Signature=" +
                expected->signature);
}

TEST(StsClientTest, MissingExternalIdSendsNothing) {
  FakeTransport transport([](const HttpRequest&) { return Respond(200, SuccessBody()); });
  const FixedClock clock(FromUnixSeconds(kNow));
  StsClient client(transport, ServiceCredentials(), "", "eu-west-1", clock);
  AssumeRoleParams params = Params();
  params.external_id = "";
  const auto credentials = client.AssumeRole(params);
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(transport.calls(), 0);
}

TEST(StsClientTest, RejectsBadParamsBeforeSending) {
  FakeTransport transport([](const HttpRequest&) { return Respond(200, SuccessBody()); });
  const FixedClock clock(FromUnixSeconds(kNow));
  StsClient client(transport, ServiceCredentials(), "", "eu-west-1", clock);

  struct Case {
    const char* name;
    void (*mutate)(AssumeRoleParams*);
  };

  const Case kCases[] = {
      {"no role",
       [](AssumeRoleParams* p) {
         p->role_arn = "";
       }},
      {"short duration",
       [](AssumeRoleParams* p) {
         p->duration = std::chrono::seconds(899);
       }},
      {"long duration",
       [](AssumeRoleParams* p) {
         p->duration = std::chrono::seconds(43201);
       }},
      {"identity chars",
       [](AssumeRoleParams* p) {
         p->source_identity = "usr 1";
       }},
      {"identity short",
       [](AssumeRoleParams* p) {
         p->source_identity = "u";
       }},
  };
  for (const Case& c : kCases) {
    AssumeRoleParams params = Params();
    c.mutate(&params);
    const auto credentials = client.AssumeRole(params);
    ASSERT_FALSE(credentials.ok()) << c.name;
    EXPECT_EQ(credentials.status().code(), ErrorCode::kInvalidArgument) << c.name;
  }
  EXPECT_EQ(transport.calls(), 0);
}

TEST(StsClientTest, NoTagWhenDisabled) {
  const auto form = BuildAssumeRoleForm(Params(), /*tag_session_with_user=*/false);
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(FormOf(*form).count("Tags.member.1.Key"), 0u);
  EXPECT_EQ(FormOf(*form).at("SourceIdentity"), "usr_1");
}

TEST(StsClientTest, FormEncodesSpacesAsPercent20) {
  AssumeRoleParams params = Params();
  params.role_session_name = "custody org/1";
  const auto form = BuildAssumeRoleForm(params, true);
  ASSERT_TRUE(form.ok());
  EXPECT_NE(form->find("RoleSessionName=custody-org-1"), std::string::npos) << *form;
  EXPECT_EQ(form->find('+'), std::string::npos) << *form;
}

TEST(SanitizeRoleSessionNameTest, KeepsAllowedCharacters) {
  EXPECT_EQ(SanitizeRoleSessionName("custody-org_AbC=+,.@9"), "custody-org_AbC=+,.@9");
  EXPECT_EQ(SanitizeRoleSessionName("a b/c\xC3\xBC"), "a-b-c--");
  EXPECT_EQ(SanitizeRoleSessionName(std::string(100, 'x')), std::string(64, 'x'));
  EXPECT_EQ(SanitizeRoleSessionName(""), "--");
}

TEST(StsClientTest, HttpEndpointOnlyForAllowedLoopback) {
  FakeTransport transport([](const HttpRequest&) { return Respond(200, SuccessBody()); });
  const FixedClock clock(FromUnixSeconds(kNow));
  StsClient refused(transport, ServiceCredentials(), "http://127.0.0.1:7480", "us-east-1", clock);
  EXPECT_EQ(refused.AssumeRole(Params()).status().code(), ErrorCode::kFailedPrecondition);

  StsOptions options;
  options.allow_insecure_loopback = true;
  StsClient remote(transport, ServiceCredentials(), "http://sts.example.com", "us-east-1", clock,
                   options);
  EXPECT_EQ(remote.AssumeRole(Params()).status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(transport.calls(), 0);

  StsClient allowed(transport, ServiceCredentials(), "http://127.0.0.1:7480", "us-east-1", clock,
                    options);
  EXPECT_TRUE(allowed.AssumeRole(Params()).ok());
  EXPECT_EQ(transport.requests().at(0).url, "http://127.0.0.1:7480");
}

TEST(StsClientTest, MapsErrors) {
  struct Case {
    const char* name;
    Result<HttpResponse> response;
    ErrorCode expected;
    const char* message_part;
  };

  const Case kCases[] = {
      {"aws access denied",
       Respond(403,
               "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>"
               "Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform "
               "sts:AssumeRole</Message></Error><RequestId>x</RequestId></ErrorResponse>"),
       ErrorCode::kUpstreamFailed, "AccessDenied: not authorized"},
      {"rgw access denied",
       Respond(403,
               "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code>"
               "<RequestId>tx1</RequestId><HostId>h</HostId></Error>"),
       ErrorCode::kUpstreamFailed, "HTTP 403 AccessDenied"},
      {"rgw no such entity",
       Respond(404, "<Error><Code>NoSuchEntity</Code><Message></Message></Error>"),
       ErrorCode::kUpstreamFailed, "NoSuchEntity"},
      {"throttling",
       Respond(400,
               "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded"
               "</Message></Error></ErrorResponse>"),
       ErrorCode::kUnavailable, "Throttling"},
      {"server error", Respond(500, "oops"), ErrorCode::kUnavailable, "HTTP 500"},
      {"unreachable", Result<HttpResponse>(Unavailable("connecting failed")),
       ErrorCode::kUnavailable, "connecting failed"},
      {"timeout", Result<HttpResponse>(Status(ErrorCode::kDeadlineExceeded, "timed out")),
       ErrorCode::kDeadlineExceeded, "timed out"},
      {"empty 200", Respond(200, ""), ErrorCode::kUpstreamFailed, "missing AssumeRoleResult"},
  };
  const FixedClock clock(FromUnixSeconds(kNow));
  for (const Case& c : kCases) {
    FakeTransport transport([&c](const HttpRequest&) { return c.response; });
    StsClient client(transport, ServiceCredentials(), "", "eu-west-1", clock);
    const auto credentials = client.AssumeRole(Params());
    ASSERT_FALSE(credentials.ok()) << c.name;
    EXPECT_EQ(credentials.status().code(), c.expected) << c.name;
    EXPECT_NE(credentials.status().message().find(c.message_part), std::string::npos)
        << c.name << ": " << credentials.status().message();
  }
}

TEST(ParseAssumeRoleResponseTest, RejectsIncompleteOrAmbiguous) {
  const std::string good = SuccessBody();
  ASSERT_TRUE(ParseAssumeRoleResponse(good).ok());

  const auto without = [&good](std::string_view element) {
    const std::string open = "<" + std::string(element) + ">";
    const std::string close = "</" + std::string(element) + ">";
    const size_t start = good.find(open);
    const size_t end = good.find(close) + close.size();
    return good.substr(0, start) + good.substr(end);
  };
  for (const char* element : {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration",
                              "Credentials", "AssumeRoleResult"}) {
    const auto parsed = ParseAssumeRoleResponse(without(element));
    ASSERT_FALSE(parsed.ok()) << element;
    EXPECT_EQ(parsed.status().code(), ErrorCode::kUpstreamFailed) << element;
  }

  std::string duplicated = good;
  duplicated.insert(duplicated.find("<AccessKeyId>"), "<AccessKeyId>ASIAOTHER</AccessKeyId>");
  EXPECT_FALSE(ParseAssumeRoleResponse(duplicated).ok());

  std::string nested = good;
  nested.replace(nested.find("ASIAJEXAMPLEXEG2JICEA"), 21, "<b>x</b>");
  EXPECT_FALSE(ParseAssumeRoleResponse(nested).ok());

  std::string bad_entity = good;
  bad_entity.replace(bad_entity.find("&amp;"), 5, "&bogus;");
  EXPECT_FALSE(ParseAssumeRoleResponse(bad_entity).ok());

  EXPECT_FALSE(ParseAssumeRoleResponse(SuccessBody("tomorrow")).ok());
  EXPECT_FALSE(ParseAssumeRoleResponse(SuccessBody("")).ok());
}

}  // namespace
}  // namespace custody::aws
