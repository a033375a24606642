#include "custody/identity/saml/xml_util.h"

#include <xmltooling/unicode.h>

#include <vector>

#include <xercesc/dom/DOMNode.hpp>

namespace custody::identity::saml {
namespace {

bool IsXmlSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string Trim(std::string text) {
  size_t begin = 0;
  while (begin < text.size() && IsXmlSpace(text[begin])) {
    ++begin;
  }
  size_t end = text.size();
  while (end > begin && IsXmlSpace(text[end - 1])) {
    --end;
  }
  return text.substr(begin, end - begin);
}

}  // namespace

std::string ToUtf8(const XMLCh* text) {
  if (text == nullptr) {
    return "";
  }
  char* converted = xmltooling::toUTF8(text);
  std::string result = converted == nullptr ? "" : converted;
  delete[] converted;
  return result;
}

std::string WholeText(const xercesc::DOMNode* node) {
  if (node == nullptr) {
    return "";
  }
  std::string text;
  // Iterative pre-order walk: a deeply nested value must not exhaust the stack.
  std::vector<const xercesc::DOMNode*> pending = {node};
  while (!pending.empty()) {
    const xercesc::DOMNode* current = pending.back();
    pending.pop_back();
    const auto type = current->getNodeType();
    if (type == xercesc::DOMNode::TEXT_NODE || type == xercesc::DOMNode::CDATA_SECTION_NODE) {
      text += ToUtf8(current->getNodeValue());
      continue;
    }
    if (type != xercesc::DOMNode::ELEMENT_NODE && current != node) {
      continue;
    }
    std::vector<const xercesc::DOMNode*> children;
    for (const xercesc::DOMNode* child = current->getFirstChild(); child != nullptr;
         child = child->getNextSibling()) {
      children.push_back(child);
    }
    pending.insert(pending.end(), children.rbegin(), children.rend());
  }
  return Trim(std::move(text));
}

bool IsElement(const xercesc::DOMElement* element, std::string_view namespace_uri,
               std::string_view local_name) {
  return element != nullptr && ToUtf8(element->getNamespaceURI()) == namespace_uri &&
         ToUtf8(element->getLocalName()) == local_name;
}

std::string CertificateBase64(std::string_view certificate) {
  std::string_view body = certificate;
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  const size_t begin = body.find(kBegin);
  if (begin != std::string_view::npos) {
    body.remove_prefix(begin + kBegin.size());
    const size_t end = body.find(kEnd);
    body = body.substr(0, end);
  }
  std::string base64;
  for (char c : body) {
    if (!IsXmlSpace(c)) {
      base64 += c;
    }
  }
  return base64;
}

}  // namespace custody::identity::saml
