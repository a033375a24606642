// ValidateResponse on a real SimpleSAMLphp 1.19 response (testdata/), signed at the Response
// and at the Assertion with RSA-SHA256, and on copies of it that an attacker could make.
#include "custody/identity/saml/response.h"

#include <atomic>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace custody::identity::saml {
namespace {

const std::string kTestData =
    std::string(CUSTODY_SOURCE_DIR) + "/src/custody/identity/saml/testdata/";

// Values of testdata/simplesamlphp_response.xml.
constexpr std::string_view kIdpEntityId =
    "http://127.0.0.1:49815/simplesaml/saml2/idp/metadata.php";
constexpr std::string_view kSpEntityId =
    "https://custody.example/sso/saml/org_FixtureFixtureFixture0/metadata";
constexpr std::string_view kAcsUrl =
    "https://custody.example/sso/saml/org_FixtureFixtureFixture0/acs";
constexpr std::string_view kRequestId = "_fixture0123456789abcdef012345678";
constexpr int64_t kIssueInstant = 1796412208;  // 2026-12-04T19:23:28Z
constexpr int64_t kNotOnOrAfter = kIssueInstant + 300;
constexpr int64_t kNotBefore = kIssueInstant - 30;

// The OneLogin sample certificate: a valid certificate of another IdP.
constexpr std::string_view kOtherCertificate =
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

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// Replaces the first occurrence of `from`, failing the test when there is none.
std::string ReplaceOnce(std::string text, std::string_view from, std::string_view to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "the fixture does not contain " << from;
  if (at != std::string::npos) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The text from the first `begin` to the end of the first `end` after it.
std::string Slice(const std::string& text, std::string_view begin, std::string_view end) {
  const size_t from = text.find(begin);
  const size_t to = text.find(end, from);
  EXPECT_NE(from, std::string::npos);
  EXPECT_NE(to, std::string::npos);
  return text.substr(from, to + end.size() - from);
}

std::string RemoveFirst(const std::string& text, std::string_view begin, std::string_view end) {
  return ReplaceOnce(text, Slice(text, begin, end), "");
}

class ResponseTest : public testing::Test {
 protected:
  void SetUp() override {
    xml_ = ReadFile(kTestData + "simplesamlphp_response.xml");
    ASSERT_FALSE(xml_.empty());
    policy_.idp_entity_id = std::string(kIdpEntityId);
    policy_.idp_certificates = {ReadFile(kTestData + "simplesamlphp_idp.crt")};
    policy_.sp_entity_id = std::string(kSpEntityId);
    policy_.acs_url = std::string(kAcsUrl);
    policy_.expected_request_id = std::string(kRequestId);
  }

  // Validates `xml` and returns the reason code, or "" when it was accepted.
  std::string RejectionOf(const std::string& xml) {
    std::string reason;
    const Result<ValidatedAssertion> result = ValidateResponse(xml, policy_, clock_, &reason);
    if (result.ok()) {
      return "";
    }
    EXPECT_EQ(result.status().code(), ErrorCode::kUnauthenticated) << result.status().ToString();
    EXPECT_FALSE(reason.empty()) << result.status().ToString();
    return reason;
  }

  std::string xml_;
  ResponsePolicy policy_;
  FixedClock clock_{FromUnixSeconds(kIssueInstant + 10)};
};

TEST_F(ResponseTest, AcceptsSimpleSamlPhpResponse) {
  const Result<ValidatedAssertion> result = ValidateResponse(xml_, policy_, clock_);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->issuer, kIdpEntityId);
  EXPECT_EQ(result->name_id, "alice@example.test");
  EXPECT_EQ(result->name_id_format, "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress");
  EXPECT_EQ(result->in_response_to, kRequestId);
  EXPECT_EQ(result->session_index, "_25a3f29358f62a53a44c3bec2424149844e7672161");
  ASSERT_EQ(result->authn_context_class_refs.size(), 1u);
  EXPECT_EQ(result->authn_context_class_refs[0], "https://refeds.org/profile/mfa");
  ASSERT_TRUE(result->authn_instant.has_value());
  EXPECT_EQ(ToUnixSeconds(*result->authn_instant), kIssueInstant);
  EXPECT_EQ(result->attributes.at("email"), std::vector<std::string>{"alice@example.test"});
  EXPECT_EQ(result->attributes.at("groups"), (std::vector<std::string>{"admins", "staff"}));
  EXPECT_TRUE(result->response_signed);
  EXPECT_TRUE(result->assertion_signed);
  EXPECT_FALSE(result->assertion_id.empty());
  EXPECT_EQ(ToUnixSeconds(result->replay_expires_at), kNotOnOrAfter + 90);
}

TEST_F(ResponseTest, ChangedAttributeRejected) {
  const std::string changed =
      ReplaceOnce(xml_, "<saml:AttributeValue xsi:type=\"xs:string\">alice<",
                  "<saml:AttributeValue xsi:type=\"xs:string\">mallory<");
  EXPECT_EQ(RejectionOf(changed), kReasonSignatureInvalid);
}

TEST_F(ResponseTest, ChangedAuthnContextRejected) {
  const std::string changed = ReplaceOnce(xml_, "https://refeds.org/profile/mfa",
                                          "http://schemas.microsoft.com/claims/multipleauthn");
  EXPECT_EQ(RejectionOf(changed), kReasonSignatureInvalid);
}

TEST_F(ResponseTest, BothSignaturesRemovedRejected) {
  std::string stripped = RemoveFirst(xml_, "<ds:Signature", "</ds:Signature>");
  stripped = RemoveFirst(stripped, "<ds:Signature", "</ds:Signature>");
  EXPECT_EQ(RejectionOf(stripped), kReasonUnsigned);
}

TEST_F(ResponseTest, AssertionSignatureAloneSuffices) {
  const std::string stripped = RemoveFirst(xml_, "<ds:Signature", "</ds:Signature>");
  const Result<ValidatedAssertion> result = ValidateResponse(stripped, policy_, clock_);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_FALSE(result->response_signed);
  EXPECT_TRUE(result->assertion_signed);
}

TEST_F(ResponseTest, RemovedAssertionSignatureBreaksResponseSignature) {
  const size_t assertion = xml_.find("<saml:Assertion");
  const std::string head = xml_.substr(0, assertion);
  const std::string tail = RemoveFirst(xml_.substr(assertion), "<ds:Signature", "</ds:Signature>");
  EXPECT_EQ(RejectionOf(head + tail), kReasonSignatureInvalid);
}

TEST_F(ResponseTest, OtherIdpKeyRejected) {
  policy_.idp_certificates = {std::string(kOtherCertificate)};
  EXPECT_EQ(RejectionOf(xml_), kReasonSignatureInvalid);
}

TEST_F(ResponseTest, SecondCertificateAccepted) {
  policy_.idp_certificates.insert(policy_.idp_certificates.begin(), std::string(kOtherCertificate));
  EXPECT_EQ(RejectionOf(xml_), "");
}

TEST_F(ResponseTest, OtherAudienceRejected) {
  policy_.sp_entity_id = "https://custody.example/sso/saml/org_OtherOtherOtherOther00/metadata";
  EXPECT_EQ(RejectionOf(xml_), kReasonAudience);
}

TEST_F(ResponseTest, OtherAcsRejected) {
  policy_.acs_url = "https://custody.example/sso/saml/org_OtherOtherOtherOther00/acs";
  EXPECT_EQ(RejectionOf(xml_), kReasonDestination);
}

TEST_F(ResponseTest, OtherIssuerRejected) {
  policy_.idp_entity_id = "https://idp.example.test/metadata";
  EXPECT_EQ(RejectionOf(xml_), kReasonIssuer);
}

TEST_F(ResponseTest, OtherRequestRejected) {
  policy_.expected_request_id = "_0123456789abcdef0123456789abcdef";
  EXPECT_EQ(RejectionOf(xml_), kReasonInResponseTo);
}

TEST_F(ResponseTest, NoPendingRequestRejected) {
  policy_.expected_request_id = "";
  EXPECT_EQ(RejectionOf(xml_), kReasonInResponseTo);
}

TEST_F(ResponseTest, SolicitedWithoutPendingRejected) {
  policy_.expected_request_id = "";
  policy_.allow_idp_initiated = true;
  EXPECT_EQ(RejectionOf(xml_), kReasonInResponseTo);
}

TEST_F(ResponseTest, ExpiryHonoursSkew) {
  // NotOnOrAfter is exclusive (core section 2.5.1.2), and the skew is 90 s.
  clock_.Set(FromUnixSeconds(kNotOnOrAfter + 89));
  EXPECT_EQ(RejectionOf(xml_), "");
  clock_.Set(FromUnixSeconds(kNotOnOrAfter + 90));
  EXPECT_EQ(RejectionOf(xml_), kReasonExpired);
  clock_.Set(FromUnixSeconds(kNotOnOrAfter + 3600));
  EXPECT_EQ(RejectionOf(xml_), kReasonExpired);
}

TEST_F(ResponseTest, NotYetValidHonoursSkew) {
  clock_.Set(FromUnixSeconds(kNotBefore - 90));
  EXPECT_EQ(RejectionOf(xml_), "");
  clock_.Set(FromUnixSeconds(kNotBefore - 91));
  EXPECT_EQ(RejectionOf(xml_), kReasonNotYetValid);
}

TEST_F(ResponseTest, SmallerSkewApplies) {
  policy_.max_clock_skew = std::chrono::seconds(0);
  clock_.Set(FromUnixSeconds(kNotOnOrAfter));
  EXPECT_EQ(RejectionOf(xml_), kReasonExpired);
}

// A comment inside NameID does not change the canonical form that the signature covers, so
// the signature still verifies. A reader of the first text node alone would see "alice".
TEST_F(ResponseTest, CommentInsideNameIdKeepsWholeValue) {
  const std::string commented = ReplaceOnce(xml_, ">alice@example.test</saml:NameID>",
                                            ">alice<!---->@example.test</saml:NameID>");
  const Result<ValidatedAssertion> result = ValidateResponse(commented, policy_, clock_);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->name_id, "alice@example.test");
}

TEST_F(ResponseTest, CommentInsideAttributeKeepsWholeValue) {
  const std::string commented =
      ReplaceOnce(xml_, ">alice@example.test</saml:AttributeValue>",
                  ">alice@example<!-- split -->.test</saml:AttributeValue>");
  const Result<ValidatedAssertion> result = ValidateResponse(commented, policy_, clock_);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->attributes.at("email"), std::vector<std::string>{"alice@example.test"});
}

// Signature wrapping: an evil copy of the signed assertion with the same ID, placed where a
// careless consumer would read it first.
TEST_F(ResponseTest, EvilAssertionCopyWithSameIdRejected) {
  const std::string assertion = Slice(xml_, "<saml:Assertion", "</saml:Assertion>");
  const std::string evil = ReplaceOnce(assertion, ">alice@example.test</saml:NameID>",
                                       ">mallory@example.test</saml:NameID>");
  const std::string in_extensions = ReplaceOnce(
      xml_, "<samlp:Status>", "<samlp:Extensions>" + evil + "</samlp:Extensions><samlp:Status>");
  EXPECT_EQ(RejectionOf(in_extensions), kReasonDuplicateId);
  const std::string beside = ReplaceOnce(xml_, "<saml:Assertion", evil + "<saml:Assertion");
  EXPECT_EQ(RejectionOf(beside), kReasonDuplicateId);
}

TEST_F(ResponseTest, SecondAssertionRejected) {
  const std::string assertion = Slice(xml_, "<saml:Assertion", "</saml:Assertion>");
  std::string second = ReplaceOnce(assertion, "ID=\"_", "ID=\"_evil");
  second = RemoveFirst(second, "<ds:Signature", "</ds:Signature>");
  const std::string doubled = ReplaceOnce(xml_, "</samlp:Response>", second + "</samlp:Response>");
  EXPECT_EQ(RejectionOf(doubled), kReasonAssertionCount);
}

TEST_F(ResponseTest, DoctypeRejected) {
  const std::string with_doctype =
      "<?xml version=\"1.0\"?><!DOCTYPE samlp:Response [<!ENTITY a \"aaaa\">]>" + xml_;
  EXPECT_EQ(RejectionOf(with_doctype), kReasonDoctype);
}

TEST_F(ResponseTest, MalformedXmlRejected) {
  EXPECT_EQ(RejectionOf("not xml"), kReasonMalformed);
  EXPECT_EQ(RejectionOf(""), kReasonMalformed);
  EXPECT_EQ(RejectionOf(xml_.substr(0, xml_.size() / 2)), kReasonMalformed);
  EXPECT_EQ(RejectionOf(xml_ + xml_), kReasonMalformed);
}

TEST_F(ResponseTest, AssertionRootRejected) {
  EXPECT_EQ(RejectionOf(Slice(xml_, "<saml:Assertion", "</saml:Assertion>")), kReasonMalformed);
}

TEST_F(ResponseTest, NonUtcTimeRejected) {
  const std::string offset = ReplaceOnce(xml_, "NotOnOrAfter=\"2026-12-04T19:28:28Z\"",
                                         "NotOnOrAfter=\"2026-12-04T20:28:28+01:00\"");
  EXPECT_EQ(RejectionOf(offset), kReasonMalformed);
  const std::string garbage =
      ReplaceOnce(xml_, "NotOnOrAfter=\"2026-12-04T19:28:28Z\"", "NotOnOrAfter=\"tomorrow\"");
  EXPECT_EQ(RejectionOf(garbage), kReasonMalformed);
}

TEST_F(ResponseTest, FailureStatusRejected) {
  const std::string failed = ReplaceOnce(xml_, "urn:oasis:names:tc:SAML:2.0:status:Success",
                                         "urn:oasis:names:tc:SAML:2.0:status:Responder");
  EXPECT_EQ(RejectionOf(failed), kReasonStatus);
}

TEST_F(ResponseTest, UnloadableCertificateIsInternal) {
  policy_.idp_certificates = {"bm90IGEgY2VydGlmaWNhdGU="};
  const Result<ValidatedAssertion> result = ValidateResponse(xml_, policy_, clock_);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kInternal);
}

// Changes one byte at a time across the whole response. A changed response may still be
// accepted when the change is outside what the signatures cover or is invisible after
// canonicalization (white space inside a tag), but then every value read from it must equal
// the original's.
TEST_F(ResponseTest, SingleByteChangesNeverAlterAcceptedValues) {
  const Result<ValidatedAssertion> original = ValidateResponse(xml_, policy_, clock_);
  ASSERT_TRUE(original.ok()) << original.status().ToString();
  int accepted = 0;
  int rejected = 0;
  // Every 11th byte keeps the run to a few seconds under the sanitizers.
  for (size_t at = 0; at < xml_.size(); at += 11) {
    std::string changed = xml_;
    changed[at] = changed[at] == 'A' ? 'B' : 'A';
    const Result<ValidatedAssertion> result = ValidateResponse(changed, policy_, clock_);
    if (!result.ok()) {
      ++rejected;
      continue;
    }
    ++accepted;
    EXPECT_EQ(result->name_id, original->name_id) << "byte " << at;
    EXPECT_EQ(result->issuer, original->issuer) << "byte " << at;
    EXPECT_EQ(result->assertion_id, original->assertion_id) << "byte " << at;
    EXPECT_EQ(result->in_response_to, original->in_response_to) << "byte " << at;
    EXPECT_EQ(result->session_index, original->session_index) << "byte " << at;
    EXPECT_EQ(result->authn_context_class_refs, original->authn_context_class_refs)
        << "byte " << at;
    EXPECT_EQ(result->attributes, original->attributes) << "byte " << at;
    EXPECT_EQ(result->replay_expires_at, original->replay_expires_at) << "byte " << at;
  }
  EXPECT_GT(rejected, accepted);
}

// Request handlers validate on several worker threads at once.
TEST_F(ResponseTest, ConcurrentValidations) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 10;
  std::atomic<int> accepted = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < kRounds; ++round) {
        if (ValidateResponse(xml_, policy_, clock_).ok()) {
          ++accepted;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(accepted.load(), kThreads * kRounds);
}

}  // namespace
}  // namespace custody::identity::saml
