#include "custody/identity/saml/metadata.h"

#include <gtest/gtest.h>

namespace custody::identity::saml {
namespace {

constexpr std::string_view kCertificate = "MIIBszCCAVmgAwIBAgIUQ2VydGlmaWNhdGVGb3JUZXN0cw==";

std::string IdpMetadataXml(std::string_view descriptor_body) {
  return "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
         "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" "
         "entityID=\"https://idp.example.test/metadata\">"
         "<md:IDPSSODescriptor "
         "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">" +
         std::string(descriptor_body) + "</md:IDPSSODescriptor></md:EntityDescriptor>";
}

std::string KeyDescriptor(std::string_view use, std::string_view certificate) {
  std::string attribute = use.empty() ? "" : " use=\"" + std::string(use) + "\"";
  return "<md:KeyDescriptor" + attribute + "><ds:KeyInfo><ds:X509Data><ds:X509Certificate>\n" +
         std::string(certificate) +
         "\n</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
         "</md:KeyDescriptor>";
}

constexpr std::string_view kRedirectService =
    "<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" "
    "Location=\"https://idp.example.test/post\"/>"
    "<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" "
    "Location=\"https://idp.example.test/redirect\"/>";

TEST(IdpMetadataTest, ReadsEntitySsoAndSigningKeys) {
  const std::string xml = IdpMetadataXml(
      KeyDescriptor("signing", kCertificate) + KeyDescriptor("encryption", "ZW5jcnlwdGlvbg==") +
      KeyDescriptor("", "bm8gdXNl") + std::string(kRedirectService));
  const Result<IdpMetadata> metadata = ParseIdpMetadata(xml);
  ASSERT_TRUE(metadata.ok()) << metadata.status().ToString();
  EXPECT_EQ(metadata->entity_id, "https://idp.example.test/metadata");
  EXPECT_EQ(metadata->sso_url, "https://idp.example.test/redirect");
  EXPECT_EQ(metadata->signing_certificates,
            (std::vector<std::string>{std::string(kCertificate), "bm8gdXNl"}));
}

TEST(IdpMetadataTest, RejectsIncompleteMetadata) {
  const std::string no_redirect = IdpMetadataXml(KeyDescriptor("signing", kCertificate));
  EXPECT_EQ(ParseIdpMetadata(no_redirect).status().code(), ErrorCode::kInvalidArgument);
  const std::string no_key = IdpMetadataXml(kRedirectService);
  EXPECT_EQ(ParseIdpMetadata(no_key).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseIdpMetadata("<x/>").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseIdpMetadata("not xml").status().field(), "/idp_metadata_xml");
}

TEST(IdpMetadataTest, RejectsDoctype) {
  const std::string xml =
      "<!DOCTYPE md:EntityDescriptor [<!ENTITY x \"y\">]>" +
      IdpMetadataXml(KeyDescriptor("signing", kCertificate) + std::string(kRedirectService));
  EXPECT_EQ(ParseIdpMetadata(xml).status().code(), ErrorCode::kInvalidArgument);
}

// Elements without the SAML metadata namespace (a prefix declared but not used) are not
// metadata, even when their local names match.
TEST(IdpMetadataTest, RejectsElementsOutsideNamespace) {
  const std::string xml =
      "<EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"x\">"
      "<IDPSSODescriptor/></EntityDescriptor>";
  EXPECT_EQ(ParseIdpMetadata(xml).status().code(), ErrorCode::kInvalidArgument);
}

TEST(SpMetadataTest, NamesEntityAndAcs) {
  const std::string xml = BuildSpMetadata(
      {"https://custody.example/sso/saml/org_A/metadata", "https://custody.example/a&b/acs"});
  EXPECT_NE(xml.find("entityID=\"https://custody.example/sso/saml/org_A/metadata\""),
            std::string::npos);
  EXPECT_NE(xml.find("Location=\"https://custody.example/a&amp;b/acs\""), std::string::npos);
  EXPECT_NE(xml.find("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"), std::string::npos);
}

}  // namespace
}  // namespace custody::identity::saml
