// Small helpers over the Xerces-C DOM that the SAML code shares: UTF-8 conversion, whole text
// content, element names and certificate text.
#pragma once

#include <string>
#include <string_view>

#include <xercesc/dom/DOMElement.hpp>
#include <xercesc/util/XercesDefs.hpp>

namespace custody::identity::saml {

inline constexpr std::string_view kProtocolNamespace = "urn:oasis:names:tc:SAML:2.0:protocol";
inline constexpr std::string_view kAssertionNamespace = "urn:oasis:names:tc:SAML:2.0:assertion";
inline constexpr std::string_view kMetadataNamespace = "urn:oasis:names:tc:SAML:2.0:metadata";
inline constexpr std::string_view kDsigNamespace = "http://www.w3.org/2000/09/xmldsig#";

// UTF-8 of a Xerces string; "" for null.
std::string ToUtf8(const XMLCh* text);

// The text and CDATA content of `node` and all its descendants, in document order, with XML
// white space trimmed from both ends. Comments and processing instructions contribute
// nothing, so they cannot split the value.
std::string WholeText(const xercesc::DOMNode* node);

// True when `element` is non-null and has the namespace URI and local name.
bool IsElement(const xercesc::DOMElement* element, std::string_view namespace_uri,
               std::string_view local_name);

// The base64 DER of a certificate given as PEM or as bare base64 (as in <ds:X509Certificate>),
// with the PEM armour and all white space removed.
std::string CertificateBase64(std::string_view certificate);

}  // namespace custody::identity::saml
