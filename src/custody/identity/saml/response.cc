#include "custody/identity/saml/response.h"

#include <saml/saml2/core/Assertions.h>
#include <saml/saml2/core/Protocols.h>
#include <saml/signature/SignatureProfileValidator.h>
#include <xmltooling/XMLObjectBuilder.h>
#include <xmltooling/XMLToolingConfig.h>
#include <xmltooling/exceptions.h>
#include <xmltooling/signature/Signature.h>
#include <xmltooling/signature/SignatureValidator.h>
#include <xmltooling/util/ParserPool.h>

#include <algorithm>
#include <array>
#include <exception>
#include <memory>
#include <set>
#include <span>
#include <sstream>
#include <utility>

#include <xercesc/dom/DOM.hpp>
#include <xsec/dsig/DSIGReference.hpp>
#include <xsec/dsig/DSIGReferenceList.hpp>
#include <xsec/dsig/DSIGSignature.hpp>
#include <xsec/enc/OpenSSL/OpenSSLCryptoX509.hpp>
#include <xsec/enc/XSECCryptoException.hpp>
#include <xsec/enc/XSECCryptoKey.hpp>

#include "custody/identity/saml/library.h"
#include "custody/identity/saml/xml_util.h"

namespace custody::identity::saml {
namespace {

namespace saml2 = opensaml::saml2;
namespace saml2p = opensaml::saml2p;

constexpr std::string_view kSuccessStatus = "urn:oasis:names:tc:SAML:2.0:status:Success";
constexpr std::string_view kBearerMethod = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

// XML-DSig algorithm URIs (RFC 6931 and the XML Signature 1.1 recommendation).
constexpr std::string_view kRsaSha1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
constexpr std::string_view kSha1 = "http://www.w3.org/2000/09/xmldsig#sha1";
constexpr std::array<std::string_view, 6> kStrongSignatureAlgorithms = {
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
};
constexpr std::array<std::string_view, 3> kStrongDigestAlgorithms = {
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
};

// A rejection: the audit reason code and a message for logs and tests.
class Rejection {
 public:
  Rejection(std::string_view reason, std::string message)
      : reason_(reason), message_(std::move(message)) {}

  std::string_view reason() const { return reason_; }

  const std::string& message() const { return message_; }

 private:
  std::string_view reason_;
  std::string message_;
};

using Check = std::optional<Rejection>;

bool Contains(std::span<const std::string_view> values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// Owns a parsed document until an XMLObject takes it over.
struct DocumentDeleter {
  void operator()(xercesc::DOMDocument* document) const { document->release(); }
};

using DocumentPtr = std::unique_ptr<xercesc::DOMDocument, DocumentDeleter>;

bool AttributeIsUtcTime(const xercesc::DOMAttr& attribute) {
  SystemTime ignored;
  const std::string value = ToUtf8(attribute.getValue());
  return value.ends_with('Z') && ParseRfc3339(value, &ignored);
}

// Walks every element once, before OpenSAML unmarshals anything, and rejects:
// * two elements that carry the same value in an ID-typed SAML or XML-DSig attribute. A
//   signature reference "#x" resolves through the document's ID map, so with two elements of
//   ID "x" the signature could cover one while the code reads the other;
// * a SAML time attribute that is not an xs:dateTime in UTC, which SAML 2.0 core section 1.3.3
//   requires. OpenSAML 3.2 leaks the parsed value when it rejects such an attribute, so it must
//   never see one.
Check CheckIdsAndTimes(const xercesc::DOMDocument& document) {
  static const std::array<std::u16string_view, 3> kIdNames = {u"ID", u"Id", u"AssertionID"};
  static const std::array<std::u16string_view, 5> kTimeNames = {
      u"IssueInstant", u"NotBefore", u"NotOnOrAfter", u"AuthnInstant", u"SessionNotOnOrAfter"};
  std::set<std::string> seen;
  std::vector<const xercesc::DOMElement*> pending = {document.getDocumentElement()};
  while (!pending.empty()) {
    const xercesc::DOMElement* element = pending.back();
    pending.pop_back();
    for (std::u16string_view name : kIdNames) {
      const xercesc::DOMAttr* id =
          element->getAttributeNode(reinterpret_cast<const XMLCh*>(name.data()));
      if (id == nullptr) {
        continue;
      }
      if (!seen.insert(ToUtf8(id->getValue())).second) {
        return Rejection(kReasonDuplicateId, "two elements share one ID attribute value");
      }
    }
    for (std::u16string_view name : kTimeNames) {
      const xercesc::DOMAttr* time =
          element->getAttributeNode(reinterpret_cast<const XMLCh*>(name.data()));
      if (time != nullptr && !AttributeIsUtcTime(*time)) {
        return Rejection(kReasonMalformed, "a time attribute is not an xs:dateTime in UTC");
      }
    }
    for (const xercesc::DOMElement* child = element->getFirstElementChild(); child != nullptr;
         child = child->getNextElementSibling()) {
      pending.push_back(child);
    }
  }
  return std::nullopt;
}

// Parses one document with xmltooling's hardened parser pool (no network, no external
// entities) and rejects a DOCTYPE outright, because SAML never needs one and it is how entity
// expansion and ID attributes declared by DTD get in.
Result<DocumentPtr> ParseDocument(std::string_view xml, std::optional<Rejection>* rejection) {
  if (xml.find("<!DOCTYPE") != std::string_view::npos ||
      xml.find("<!ENTITY") != std::string_view::npos) {
    *rejection = Rejection(kReasonDoctype, "the XML contains a document type declaration");
    return Unauthenticated("rejected");
  }
  std::istringstream stream{std::string(xml)};
  DocumentPtr document;
  try {
    document.reset(xmltooling::XMLToolingConfig::getConfig().getParser().parse(stream));
  } catch (const std::exception& error) {
    *rejection = Rejection(kReasonMalformed, std::string("the XML is malformed: ") + error.what());
    return Unauthenticated("rejected");
  }
  if (document == nullptr || document->getDocumentElement() == nullptr) {
    *rejection = Rejection(kReasonMalformed, "the XML has no root element");
    return Unauthenticated("rejected");
  }
  if (document->getDoctype() != nullptr) {
    *rejection = Rejection(kReasonDoctype, "the XML contains a document type declaration");
    return Unauthenticated("rejected");
  }
  if (Check invalid = CheckIdsAndTimes(*document)) {
    *rejection = std::move(invalid);
    return Unauthenticated("rejected");
  }
  return document;
}

// The public keys of the configured IdP certificates.
class TrustedKeys {
 public:
  static Result<TrustedKeys> Load(const std::vector<std::string>& certificates) {
    TrustedKeys keys;
    for (const std::string& certificate : certificates) {
      const std::string base64 = CertificateBase64(certificate);
      try {
        OpenSSLCryptoX509 x509;
        x509.loadX509Base64Bin(base64.data(), static_cast<unsigned int>(base64.size()));
        keys.keys_.emplace_back(x509.clonePublicKey());
      } catch (const std::exception& error) {
        return Internal(std::string("a configured IdP certificate cannot be loaded: ") +
                        error.what());
      } catch (const XSECCryptoException& error) {
        return Internal(std::string("a configured IdP certificate cannot be loaded: ") +
                        error.getMsg());
      }
    }
    if (keys.keys_.empty()) {
      return FailedPrecondition("no IdP signing certificate is configured");
    }
    return keys;
  }

  // True when one of the keys verifies `signature`.
  bool Verify(const xmlsignature::Signature& signature) const {
    for (const std::unique_ptr<XSECCryptoKey>& key : keys_) {
      try {
        xmlsignature::SignatureValidator validator(key.get());
        validator.validate(&signature);
        return true;
      } catch (const xmltooling::ValidationException&) {
        // Try the next key: an IdP rolling its key over publishes both for a while.
      }
    }
    return false;
  }

 private:
  std::vector<std::unique_ptr<XSECCryptoKey>> keys_;
};

// Checks that `signature`, a child of `signed_element`, is an enveloped signature over
// exactly that element with allowed algorithms, and that a trusted key verifies it.
Check CheckSignature(const xmlsignature::Signature& signature,
                     const xercesc::DOMElement& signed_element, const XMLCh* signed_id,
                     const TrustedKeys& keys, const ResponsePolicy& policy) {
  try {
    // One Reference, to the parent's ID or "", with only the enveloped and exclusive
    // canonicalization transforms.
    opensaml::SignatureProfileValidator().validateSignature(signature);
  } catch (const xmltooling::ValidationException& error) {
    return Rejection(
        kReasonSignatureProfile,
        std::string("the signature does not follow the SAML profile: ") + error.what());
  }

  const std::string algorithm = ToUtf8(signature.getSignatureAlgorithm());
  const bool sha1_allowed = policy.allow_sha1 && algorithm == kRsaSha1;
  if (!Contains(kStrongSignatureAlgorithms, algorithm) && !sha1_allowed) {
    return Rejection(kReasonSignatureAlgorithm,
                     "the signature algorithm " + algorithm + " is not allowed");
  }

  DSIGSignature* xml_signature = signature.getXMLSignature();
  if (xml_signature == nullptr || xml_signature->getReferenceList() == nullptr ||
      xml_signature->getReferenceList()->getSize() != 1) {
    return Rejection(kReasonSignatureProfile, "the signature must have exactly one reference");
  }
  const DSIGReference* reference = xml_signature->getReferenceList()->item(0);
  const std::string digest = ToUtf8(reference->getAlgorithmURI());
  const bool sha1_digest_allowed = policy.allow_sha1 && digest == kSha1;
  if (!Contains(kStrongDigestAlgorithms, digest) && !sha1_digest_allowed) {
    return Rejection(kReasonSignatureAlgorithm,
                     "the digest algorithm " + digest + " is not allowed");
  }

  // The reference must name the consumed element by its ID, and that ID must resolve to this
  // very node. CheckIdsAndTimes already made IDs unique, so this states the invariant where
  // it is relied on.
  const std::string uri = ToUtf8(reference->getURI());
  if (signed_id == nullptr || uri != "#" + ToUtf8(signed_id) ||
      signed_element.getOwnerDocument()->getElementById(signed_id) != &signed_element) {
    return Rejection(kReasonSignatureProfile,
                     "the signature reference does not resolve to the signed element");
  }

  if (!keys.Verify(signature)) {
    return Rejection(kReasonSignatureInvalid,
                     "the signature does not verify with a configured IdP certificate");
  }
  return std::nullopt;
}

// Compares an instant with a bound, allowing the skew in the caller's favour.
bool IsBefore(SystemTime now, time_t bound, std::chrono::seconds skew) {
  return now - skew < FromUnixSeconds(bound);
}

bool IsAtOrAfter(SystemTime now, time_t bound, std::chrono::seconds skew) {
  return now + skew >= FromUnixSeconds(bound);
}

// Checks the InResponseTo values of the Response (outside the assertion, and unsigned when
// only the assertion is signed) and of the bearer confirmation (inside the assertion). When
// both are present they must agree; the value present must be the request this browser
// started. With neither, the response is IdP-initiated. Returns the value that applies.
Check CheckInResponseTo(const std::string& response_value, const std::string& confirmation_value,
                        const ResponsePolicy& policy, std::string* in_response_to) {
  if (!response_value.empty() && !confirmation_value.empty() &&
      response_value != confirmation_value) {
    return Rejection(kReasonInResponseTo,
                     "InResponseTo of the confirmation differs from the response's");
  }
  *in_response_to = response_value.empty() ? confirmation_value : response_value;
  if (in_response_to->empty()) {
    if (!policy.allow_idp_initiated) {
      return Rejection(kReasonUnsolicited,
                       "the response answers no request and IdP-initiated sign-in is off");
    }
    return std::nullopt;
  }
  if (policy.expected_request_id.empty() || *in_response_to != policy.expected_request_id) {
    return Rejection(kReasonInResponseTo,
                     "InResponseTo does not match the request this browser started");
  }
  return std::nullopt;
}

// Finds a bearer SubjectConfirmation that passes every check (SAML 2.0 profiles section
// 4.1.4.2), and returns the earliest NotOnOrAfter that applies.
Check CheckSubjectConfirmation(const saml2::Subject& subject,
                               const std::string& response_in_response_to,
                               const ResponsePolicy& policy, SystemTime now,
                               time_t* not_on_or_after, std::string* in_response_to) {
  Check first_failure =
      Rejection(kReasonSubjectConfirmation, "the assertion has no bearer SubjectConfirmation");
  bool failure_is_specific = false;
  for (const saml2::SubjectConfirmation* confirmation : subject.getSubjectConfirmations()) {
    auto remember = [&](Rejection rejection) {
      if (!failure_is_specific) {
        first_failure = std::move(rejection);
        failure_is_specific = true;
      }
    };
    if (ToUtf8(confirmation->getMethod()) != kBearerMethod) {
      continue;
    }
    const auto* data = dynamic_cast<const saml2::SubjectConfirmationData*>(
        confirmation->getSubjectConfirmationData());
    if (data == nullptr) {
      remember(Rejection(kReasonSubjectConfirmation,
                         "the bearer confirmation has no SubjectConfirmationData"));
      continue;
    }
    if (data->getRecipient() == nullptr || ToUtf8(data->getRecipient()) != policy.acs_url) {
      remember(Rejection(kReasonRecipient, "Recipient is not this organization's ACS URL"));
      continue;
    }
    if (data->getNotOnOrAfter() == nullptr) {
      remember(
          Rejection(kReasonSubjectConfirmation, "the bearer confirmation has no NotOnOrAfter"));
      continue;
    }
    if (!IsBefore(now, data->getNotOnOrAfterEpoch(), policy.max_clock_skew)) {
      remember(Rejection(kReasonExpired, "the bearer confirmation has expired"));
      continue;
    }
    if (data->getNotBefore() != nullptr &&
        !IsAtOrAfter(now, data->getNotBeforeEpoch(), policy.max_clock_skew)) {
      remember(Rejection(kReasonNotYetValid, "the bearer confirmation is not yet valid"));
      continue;
    }
    if (Check rejected = CheckInResponseTo(response_in_response_to, ToUtf8(data->getInResponseTo()),
                                           policy, in_response_to)) {
      remember(std::move(*rejected));
      continue;
    }
    *not_on_or_after = data->getNotOnOrAfterEpoch();
    return std::nullopt;
  }
  return first_failure;
}

// Checks the Conditions element: the validity window and every AudienceRestriction.
Check CheckConditions(const saml2::Conditions* conditions, const ResponsePolicy& policy,
                      SystemTime now, time_t* not_on_or_after) {
  if (conditions == nullptr) {
    return Rejection(kReasonAudience, "the assertion has no Conditions and so no audience");
  }
  if (conditions->getNotBefore() != nullptr &&
      !IsAtOrAfter(now, conditions->getNotBeforeEpoch(), policy.max_clock_skew)) {
    return Rejection(kReasonNotYetValid, "the assertion is not yet valid");
  }
  if (conditions->getNotOnOrAfter() != nullptr) {
    if (!IsBefore(now, conditions->getNotOnOrAfterEpoch(), policy.max_clock_skew)) {
      return Rejection(kReasonExpired, "the assertion has expired");
    }
    *not_on_or_after = std::min(*not_on_or_after, conditions->getNotOnOrAfterEpoch());
  }
  const auto& restrictions = conditions->getAudienceRestrictions();
  if (restrictions.empty()) {
    return Rejection(kReasonAudience, "the assertion has no AudienceRestriction");
  }
  // Every AudienceRestriction must name this SP (core section 2.5.1.4).
  for (const saml2::AudienceRestriction* restriction : restrictions) {
    bool named = false;
    for (const saml2::Audience* audience : restriction->getAudiences()) {
      named = named || WholeText(audience->getDOM()) == policy.sp_entity_id;
    }
    if (!named) {
      return Rejection(kReasonAudience, "the assertion is for another audience");
    }
  }
  return std::nullopt;
}

void ReadStatements(const saml2::Assertion& assertion, ValidatedAssertion* out) {
  for (const saml2::AuthnStatement* statement : assertion.getAuthnStatements()) {
    if (out->session_index.empty() && statement->getSessionIndex() != nullptr) {
      out->session_index = ToUtf8(statement->getSessionIndex());
    }
    if (!out->authn_instant.has_value() && statement->getAuthnInstant() != nullptr) {
      out->authn_instant = FromUnixSeconds(statement->getAuthnInstantEpoch());
    }
    const saml2::AuthnContext* context = statement->getAuthnContext();
    if (context != nullptr && context->getAuthnContextClassRef() != nullptr) {
      out->authn_context_class_refs.push_back(
          WholeText(context->getAuthnContextClassRef()->getDOM()));
    }
  }
  for (const saml2::AttributeStatement* statement : assertion.getAttributeStatements()) {
    for (const saml2::Attribute* attribute : statement->getAttributes()) {
      std::vector<std::string>& values = out->attributes[ToUtf8(attribute->getName())];
      for (const xmltooling::XMLObject* value : attribute->getAttributeValues()) {
        values.push_back(WholeText(value->getDOM()));
      }
    }
  }
}

// Validates the consumed assertion. `covered_by_response_signature` is true when a valid
// Response signature already covers it.
Check CheckAssertion(const saml2::Assertion& assertion, const std::string& response_in_response_to,
                     bool covered_by_response_signature, const TrustedKeys& keys,
                     const ResponsePolicy& policy, SystemTime now, ValidatedAssertion* out) {
  if (ToUtf8(assertion.getVersion()) != "2.0") {
    return Rejection(kReasonVersion, "the assertion is not SAML 2.0");
  }
  if (assertion.getIssuer() == nullptr ||
      WholeText(assertion.getIssuer()->getDOM()) != policy.idp_entity_id) {
    return Rejection(kReasonIssuer, "the assertion's Issuer is not the configured IdP");
  }
  if (assertion.getSignature() != nullptr) {
    if (Check rejected = CheckSignature(*assertion.getSignature(), *assertion.getDOM(),
                                        assertion.getID(), keys, policy)) {
      return rejected;
    }
    out->assertion_signed = true;
  } else if (!covered_by_response_signature) {
    return Rejection(kReasonUnsigned, "neither the response nor the assertion is signed");
  }

  const saml2::Subject* subject = assertion.getSubject();
  if (subject == nullptr || subject->getNameID() == nullptr) {
    return Rejection(kReasonNameId, "the assertion has no Subject NameID");
  }
  time_t not_on_or_after = 0;
  std::string in_response_to;
  if (Check rejected = CheckSubjectConfirmation(*subject, response_in_response_to, policy, now,
                                                &not_on_or_after, &in_response_to)) {
    return rejected;
  }
  if (Check rejected = CheckConditions(assertion.getConditions(), policy, now, &not_on_or_after)) {
    return rejected;
  }
  if (assertion.getAuthnStatements().empty()) {
    return Rejection(kReasonMalformed, "the assertion has no AuthnStatement");
  }

  // The whole text, not the first text node: exclusive canonicalization drops comments, so
  // "alice@example.com<!---->.evil.test" carries a valid signature for the longer value.
  out->name_id = WholeText(subject->getNameID()->getDOM());
  if (out->name_id.empty()) {
    return Rejection(kReasonNameId, "the NameID is empty");
  }
  out->name_id_format = ToUtf8(subject->getNameID()->getFormat());
  out->assertion_id = ToUtf8(assertion.getID());
  out->issuer = policy.idp_entity_id;
  out->in_response_to = in_response_to;
  out->replay_expires_at = FromUnixSeconds(not_on_or_after) + policy.max_clock_skew;
  ReadStatements(assertion, out);
  return std::nullopt;
}

// Checks the Response envelope and returns the one assertion to consume.
Check CheckResponse(const saml2p::Response& response, const TrustedKeys& keys,
                    const ResponsePolicy& policy, SystemTime now, ValidatedAssertion* out) {
  if (ToUtf8(response.getVersion()) != "2.0") {
    return Rejection(kReasonVersion, "the response is not SAML 2.0");
  }
  // Required for a signed response by the HTTP-POST binding (bindings section 3.5.5.2), and
  // required here for every response so that one meant for another SP is never consumed.
  if (response.getDestination() == nullptr || ToUtf8(response.getDestination()) != policy.acs_url) {
    return Rejection(kReasonDestination, "Destination is not this organization's ACS URL");
  }
  if (response.getIssuer() != nullptr &&
      WholeText(response.getIssuer()->getDOM()) != policy.idp_entity_id) {
    return Rejection(kReasonIssuer, "the response's Issuer is not the configured IdP");
  }
  const saml2p::Status* status = response.getStatus();
  if (status == nullptr || status->getStatusCode() == nullptr ||
      ToUtf8(status->getStatusCode()->getValue()) != kSuccessStatus) {
    return Rejection(kReasonStatus, "the IdP did not report success");
  }
  if (!response.getEncryptedAssertions().empty()) {
    // NOTE: encrypted assertions are not supported; TLS protects the POST and no SP key
    // pair is configured for decryption.
    return Rejection(kReasonEncryptedAssertion, "encrypted assertions are not supported");
  }
  if (response.getAssertions().size() != 1) {
    return Rejection(kReasonAssertionCount, "the response must contain exactly one assertion");
  }

  bool response_signed = false;
  if (response.getSignature() != nullptr) {
    if (Check rejected = CheckSignature(*response.getSignature(), *response.getDOM(),
                                        response.getID(), keys, policy)) {
      return rejected;
    }
    response_signed = true;
  }

  const std::string in_response_to = ToUtf8(response.getInResponseTo());
  const saml2::Assertion& assertion = *response.getAssertions().front();
  if (Check rejected =
          CheckAssertion(assertion, in_response_to, response_signed, keys, policy, now, out)) {
    return rejected;
  }
  out->response_id = ToUtf8(response.getID());
  out->response_signed = response_signed;
  return std::nullopt;
}

Status Reject(const Rejection& rejection, std::string* failure_reason) {
  if (failure_reason != nullptr) {
    *failure_reason = std::string(rejection.reason());
  }
  return Unauthenticated("SAML response rejected: " + rejection.message());
}

}  // namespace

Result<ValidatedAssertion> ValidateResponse(std::string_view xml, const ResponsePolicy& policy,
                                            const Clock& clock, std::string* failure_reason) {
  CUSTODY_RETURN_IF_ERROR(InitializeSamlLibrary());
  CUSTODY_ASSIGN_OR_RETURN(const TrustedKeys keys, TrustedKeys::Load(policy.idp_certificates));

  std::optional<Rejection> rejection;
  Result<DocumentPtr> document = ParseDocument(xml, &rejection);
  if (!document.ok()) {
    return Reject(*rejection, failure_reason);
  }

  try {
    const xercesc::DOMElement* root = (*document)->getDocumentElement();
    if (!IsElement(root, kProtocolNamespace, "Response")) {
      return Reject(Rejection(kReasonNotResponse, "the root element is not a SAML 2.0 Response"),
                    failure_reason);
    }
    // The object takes over the document (bindDocument) and keeps its DOM, which the checks
    // read for whole text content and ID resolution.
    std::unique_ptr<xmltooling::XMLObject> object(xmltooling::XMLObjectBuilder::buildOneFromElement(
        const_cast<xercesc::DOMElement*>(root), true));
    (void)document->release();
    const auto* response = dynamic_cast<const saml2p::Response*>(object.get());
    if (response == nullptr) {
      return Reject(Rejection(kReasonNotResponse, "the root element is not a SAML 2.0 Response"),
                    failure_reason);
    }
    ValidatedAssertion validated;
    if (Check rejected = CheckResponse(*response, keys, policy, clock.Now(), &validated)) {
      return Reject(*rejected, failure_reason);
    }
    return validated;
  } catch (const xmltooling::XMLToolingException& error) {
    return Reject(
        Rejection(kReasonMalformed, std::string("the response is malformed: ") + error.what()),
        failure_reason);
  } catch (const std::exception& error) {
    return Reject(
        Rejection(kReasonMalformed, std::string("the response is malformed: ") + error.what()),
        failure_reason);
  }
}

}  // namespace custody::identity::saml
