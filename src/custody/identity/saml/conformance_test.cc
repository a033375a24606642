// The published SAML attack suite of boxyhq/saml20 (MIT), copied under
// conformance/saml-attacks-boxyhq: every attack is rejected and the signed valid responses
// are accepted. The files date from 2014 to 2024, so the clock is fixed inside their validity
// window, and they are signed with RSA-SHA1, so the policy allows SHA-1 for them.
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "custody/identity/saml/response.h"

namespace custody::identity::saml {
namespace {

const std::string kAssets =
    std::string(CUSTODY_CONFORMANCE_DIR) + "/saml-attacks-boxyhq/test/assets/";

// The certificate that signs the OneLogin sample responses (saml20.validResponse.xml and the
// wrapping attacks built from it), and the one of the kidozen sample tokens.
constexpr std::string_view kOneLoginCertificate =
    "MIICajCCAdOgAwIBAgIBADANBgkqhkiG9w0BAQ0FADBSMQswCQYDVQQGEwJ1czETMBEGA1UECAwKQ2FsaWZvcm5pYTEV"
    "MBMGA1UECgwMT25lbG9naW4gSW5jMRcwFQYDVQQDDA5zcC5leGFtcGxlLmNvbTAeFw0xNDA3MTcxNDEyNTZaFw0xNTA3"
    "MTcxNDEyNTZaMFIxCzAJBgNVBAYTAnVzMRMwEQYDVQQIDApDYWxpZm9ybmlhMRUwEwYDVQQKDAxPbmVsb2dpbiBJbmMx"
    "FzAVBgNVBAMMDnNwLmV4YW1wbGUuY29tMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDZx+ON4IUoIWxgukTb1tOi"
    "X3bMYzYQiwWPUNMp+Fq82xoNogso2bykZG0yiJm5o8zv/sd6pGouayMgkx/2FSOdc36T0jGbCHuRSbtia0PEzNIRtmVi"
    "Mrt3AeoWBidRXmZsxCNLwgIV6dn2WpuE5Az0bHgpZnQxTKFek0BMKU/d8wIDAQABo1AwTjAdBgNVHQ4EFgQUGHxYqZYy"
    "X7cTxKVODVgZwSTdCnwwHwYDVR0jBBgwFoAUGHxYqZYyX7cTxKVODVgZwSTdCnwwDAYDVR0TBAUwAwEB/zANBgkqhkiG"
    "9w0BAQ0FAAOBgQByFOl+hMFICbd3DJfnp2Rgd/dqttsZG/tyhILWvErbio/DEe98mXpowhTkC04ENprOyXi7ZbUqiicF"
    "89uAGyt1oqgTUCD1VsLahqIcmrzgumNyTwLGWo17WDAa1/usDhetWAMhgzF/Cnf5ek0nK00m0YZGyc4LzgD0CROMASTW"
    "Ng==";

std::string ReadAsset(const std::string& name) {
  std::ifstream file(kAssets + name, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// The SP that the OneLogin samples were issued to.
ResponsePolicy OneLoginPolicy() {
  ResponsePolicy policy;
  policy.idp_entity_id = "http://idp.example.com/metadata.php";
  policy.idp_certificates = {std::string(kOneLoginCertificate)};
  policy.sp_entity_id = "http://sp.example.com/demo1/metadata.php";
  policy.acs_url = "http://sp.example.com/demo1/index.php?acs";
  policy.expected_request_id = "ONELOGIN_4fee3b046395c4e751011e97f8900b5273d56685";
  policy.allow_sha1 = true;
  return policy;
}

// 2020-01-01T00:00:00Z: inside every OneLogin sample's NotBefore/NotOnOrAfter window.
FixedClock SampleClock() {
  return FixedClock(FromUnixSeconds(1577836800));
}

struct Case {
  std::string file;
  bool accepted;
  std::string expected_reason;  // for rejections
  std::string why;
};

void PrintTo(const Case& test_case, std::ostream* out) {
  *out << test_case.file;
}

class SamlConformance : public testing::TestWithParam<Case> {};

TEST_P(SamlConformance, MatchesExpectation) {
  const Case& test_case = GetParam();
  const std::string xml = ReadAsset(test_case.file);
  ASSERT_FALSE(xml.empty()) << "cannot read " << kAssets << test_case.file;
  const FixedClock clock = SampleClock();
  std::string reason;
  const Result<ValidatedAssertion> result = ValidateResponse(xml, OneLoginPolicy(), clock, &reason);
  if (test_case.accepted) {
    ASSERT_TRUE(result.ok()) << test_case.why << ": " << result.status().ToString();
    EXPECT_EQ(result->name_id, "_ce3d2948b4cf20146dee0a0b3dd6f69b6cf86f62d7");
    EXPECT_EQ(result->issuer, "http://idp.example.com/metadata.php");
    return;
  }
  ASSERT_FALSE(result.ok()) << test_case.why;
  EXPECT_EQ(result.status().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(reason, test_case.expected_reason)
      << test_case.why << ": " << result.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(
    BoxyHq, SamlConformance,
    testing::Values(
        // Valid controls.
        Case{"saml20.validResponse.xml", true, "", "signed assertion"},
        Case{"saml20.validResponseSignedMessage.xml", true, "", "signed response"},
        Case{"saml20.validResponseSignedMessage-unsanitized.xml", true, "",
             "signed response, certificate split by character references"},
        Case{"saml20.validResponse-noirt.xml", true, "",
             "InResponseTo only inside the signed assertion"},
        // Signature wrapping. OpenSAML's unmarshalling rejects an element where the SAML
        // schema allows none; the other layouts fail the ID, count or reference checks.
        Case{"attacks/wrapping/saml20.wrapped.invalidResponse1.xml", false,
             std::string(kReasonSignatureProfile),
             "evil response wraps the valid response inside its Signature"},
        Case{"attacks/wrapping/saml20.wrapped.invalidResponse2.xml", false,
             std::string(kReasonMalformed), "evil response wraps the valid response"},
        Case{"attacks/wrapping/saml20.wrapped.invalidAssertion1.xml", false,
             std::string(kReasonAssertionCount), "evil assertion beside the valid assertion"},
        Case{"attacks/wrapping/saml20.wrapped.invalidAssertion2.xml", false,
             std::string(kReasonMalformed), "evil assertion wraps the valid assertion"},
        Case{"attacks/wrapping/saml20.wrapped.invalidAssertion3.xml", false,
             std::string(kReasonMalformed), "signed evil assertion wraps the valid one"},
        Case{"attacks/wrapping/saml20.wrapped.invalidExtensions1.xml", false,
             std::string(kReasonDuplicateId), "evil assertion hidden in Extensions"},
        Case{"attacks/wrapping/saml20.wrapped.invalidExtensions2.xml", false,
             std::string(kReasonDuplicateId), "signed evil assertion hidden in Extensions"},
        Case{"attacks/saml20.response.multipleRootElements.xml", false,
             std::string(kReasonMalformed), "several root elements"},
        Case{"saml20.validResponse-unsanitized.xml", false, std::string(kReasonMalformed),
             "'&#Xd;' is not a well-formed character reference"},
        // Bare assertions are not a Response, which is all that the ACS consumes.
        Case{"saml20.invalidWrappedToken.xml", false, std::string(kReasonNotResponse),
             "bare assertion wrapping a signed one"},
        Case{"saml20.validToken.xml", false, std::string(kReasonNotResponse),
             "bare WS-Federation style token"},
        Case{"saml20.invalidToken.xml", false, std::string(kReasonNotResponse),
             "bare token with a bad signature"},
        Case{"saml20.validAssertion.xml", false, std::string(kReasonNotResponse),
             "unsigned assertion outside the SAML namespace"},
        // Other responses of the suite, each failing one of the envelope checks.
        Case{"saml20.validResponseSignedMessageInvalidStatusCode.xml", false,
             std::string(kReasonStatus), "status is not Success"},
        Case{"saml20.errorResponse.xml", false, std::string(kReasonDestination),
             "an error response for another SP"},
        Case{"saml20.noIssuerResponse.xml", false, std::string(kReasonDestination),
             "no issuer, for another SP"},
        Case{"saml20.validResponseSigned-noX509.xml", false, std::string(kReasonDestination),
             "a response for another SP"},
        Case{"logout-response.xml", false, std::string(kReasonNotResponse),
             "a LogoutResponse is not a Response"}),
    [](const testing::TestParamInfo<Case>& param_info) {
      std::string name;
      for (char c : param_info.param.file) {
        name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      }
      return name;
    });

TEST(SamlConformanceExtra, OtherRequestIdRejected) {
  ResponsePolicy policy = OneLoginPolicy();
  policy.expected_request_id = "_another_request";
  const FixedClock clock = SampleClock();
  std::string reason;
  const Result<ValidatedAssertion> result =
      ValidateResponse(ReadAsset("saml20.validResponse.xml"), policy, clock, &reason);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(reason, kReasonInResponseTo);
}

// The DigestValue contains a comment with the real digest followed by another digest. Even with
// the certificate of the file trusted and every other value matching, the signature fails.
TEST(SamlConformanceExtra, CommentInDigestValueRejected) {
  const std::string xml = ReadAsset("digestValueComment.xml");
  const size_t begin = xml.find("<ds:X509Certificate>");
  const size_t end = xml.find("</ds:X509Certificate>");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  ResponsePolicy policy;
  policy.idp_entity_id = "https://poc.securesaml.com";
  policy.idp_certificates = {xml.substr(begin + 20, end - begin - 20)};
  policy.sp_entity_id = "https://poc.securesaml.com/sp/acs";
  policy.acs_url = "https://poc.securesaml.com/sp/acs";
  policy.allow_idp_initiated = true;
  const FixedClock clock(FromUnixSeconds(1733651000));  // 2024-12-08T09:43:20Z
  std::string reason;
  const Result<ValidatedAssertion> result = ValidateResponse(xml, policy, clock, &reason);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(reason, kReasonSignatureInvalid) << result.status().ToString();
}

TEST(SamlConformanceExtra, Sha1RejectedByDefault) {
  ResponsePolicy policy = OneLoginPolicy();
  policy.allow_sha1 = false;
  const FixedClock clock = SampleClock();
  std::string reason;
  const Result<ValidatedAssertion> result =
      ValidateResponse(ReadAsset("saml20.validResponse.xml"), policy, clock, &reason);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(reason, kReasonSignatureAlgorithm);
}

TEST(SamlConformanceExtra, ExpiredAfterWindow) {
  const FixedClock clock(FromUnixSeconds(1800000000));  // 2027
  std::string reason;
  const Result<ValidatedAssertion> result =
      ValidateResponse(ReadAsset("saml20.validResponse.xml"), OneLoginPolicy(), clock, &reason);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(reason, kReasonExpired);
}

}  // namespace
}  // namespace custody::identity::saml
