#include "custody/identity/saml/metadata.h"

#include <xmltooling/XMLToolingConfig.h>
#include <xmltooling/util/ParserPool.h>

#include <exception>
#include <sstream>

#include <xercesc/dom/DOM.hpp>

#include "custody/identity/saml/authn_request.h"
#include "custody/identity/saml/library.h"
#include "custody/identity/saml/xml_util.h"

namespace custody::identity::saml {
namespace {

constexpr std::string_view kRedirectBinding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
constexpr std::string_view kField = "/idp_metadata_xml";

Status Invalid(std::string message) {
  return InvalidArgument(std::move(message), std::string(kField));
}

std::string Attribute(const xercesc::DOMElement& element, std::string_view name) {
  const std::u16string wide(name.begin(), name.end());
  return ToUtf8(element.getAttribute(reinterpret_cast<const XMLCh*>(wide.c_str())));
}

// The child elements of `parent` with the namespace and local name.
std::vector<const xercesc::DOMElement*> Children(const xercesc::DOMElement& parent,
                                                 std::string_view namespace_uri,
                                                 std::string_view local_name) {
  std::vector<const xercesc::DOMElement*> children;
  for (const xercesc::DOMElement* child = parent.getFirstElementChild(); child != nullptr;
       child = child->getNextElementSibling()) {
    if (IsElement(child, namespace_uri, local_name)) {
      children.push_back(child);
    }
  }
  return children;
}

// The base64 certificates of one KeyDescriptor: KeyInfo/X509Data/X509Certificate.
std::vector<std::string> KeyDescriptorCertificates(const xercesc::DOMElement& descriptor) {
  std::vector<std::string> certificates;
  for (const xercesc::DOMElement* key_info : Children(descriptor, kDsigNamespace, "KeyInfo")) {
    for (const xercesc::DOMElement* data : Children(*key_info, kDsigNamespace, "X509Data")) {
      for (const xercesc::DOMElement* certificate :
           Children(*data, kDsigNamespace, "X509Certificate")) {
        const std::string base64 = CertificateBase64(WholeText(certificate));
        if (!base64.empty()) {
          certificates.push_back(base64);
        }
      }
    }
  }
  return certificates;
}

Result<IdpMetadata> ReadEntityDescriptor(const xercesc::DOMElement& root) {
  if (!IsElement(&root, kMetadataNamespace, "EntityDescriptor")) {
    return Invalid("the metadata root is not an md:EntityDescriptor");
  }
  IdpMetadata metadata;
  metadata.entity_id = Attribute(root, "entityID");
  if (metadata.entity_id.empty()) {
    return Invalid("the EntityDescriptor has no entityID");
  }

  const auto descriptors = Children(root, kMetadataNamespace, "IDPSSODescriptor");
  if (descriptors.empty()) {
    return Invalid("the metadata has no IDPSSODescriptor");
  }
  const xercesc::DOMElement& idp = *descriptors.front();
  for (const xercesc::DOMElement* service :
       Children(idp, kMetadataNamespace, "SingleSignOnService")) {
    if (Attribute(*service, "Binding") == kRedirectBinding) {
      metadata.sso_url = Attribute(*service, "Location");
      break;
    }
  }
  if (metadata.sso_url.empty()) {
    return Invalid("the IDPSSODescriptor has no HTTP-Redirect SingleSignOnService");
  }

  for (const xercesc::DOMElement* descriptor : Children(idp, kMetadataNamespace, "KeyDescriptor")) {
    const std::string use = Attribute(*descriptor, "use");
    if (use.empty() || use == "signing") {
      for (std::string& certificate : KeyDescriptorCertificates(*descriptor)) {
        metadata.signing_certificates.push_back(std::move(certificate));
      }
    }
  }
  if (metadata.signing_certificates.empty()) {
    return Invalid("the IDPSSODescriptor has no signing certificate");
  }
  return metadata;
}

}  // namespace

Result<IdpMetadata> ParseIdpMetadata(std::string_view xml) {
  CUSTODY_RETURN_IF_ERROR(InitializeSamlLibrary());
  if (xml.find("<!DOCTYPE") != std::string_view::npos) {
    return Invalid("the metadata contains a document type declaration");
  }
  std::istringstream stream{std::string(xml)};
  xercesc::DOMDocument* document = nullptr;
  try {
    document = xmltooling::XMLToolingConfig::getConfig().getParser().parse(stream);
  } catch (const std::exception& error) {
    return Invalid(std::string("the metadata is not well-formed XML: ") + error.what());
  }
  Result<IdpMetadata> metadata = Invalid("the metadata has no root element");
  if (document->getDocumentElement() != nullptr) {
    metadata = ReadEntityDescriptor(*document->getDocumentElement());
  }
  document->release();
  return metadata;
}

std::string BuildSpMetadata(const SpMetadataSpec& spec) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"" +
         XmlEscape(spec.entity_id) +
         "\">\n"
         "  <md:SPSSODescriptor AuthnRequestsSigned=\"false\" WantAssertionsSigned=\"true\" "
         "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\n"
         "    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
         "</md:NameIDFormat>\n"
         "    <md:AssertionConsumerService "
         "Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"" +
         XmlEscape(spec.acs_url) +
         "\" index=\"0\" isDefault=\"true\"/>\n"
         "  </md:SPSSODescriptor>\n"
         "</md:EntityDescriptor>\n";
}

}  // namespace custody::identity::saml
