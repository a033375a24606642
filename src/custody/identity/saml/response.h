// Validation of a SAML 2.0 <samlp:Response> received at the assertion consumer service
// (Web Browser SSO profile, HTTP-POST binding), with OpenSAML 3.
//
// The checks, in order (SAML 2.0 core and profiles, OASIS 2005):
// * the XML parses as exactly one document without a DTD, no two elements carry the same ID
//   attribute (so a signature reference cannot resolve to a planted copy), and every SAML time
//   attribute is an xs:dateTime in UTC;
// * the root is a SAML 2.0 Response whose Destination is the ACS URL, whose Issuer (when
//   present) is the IdP, and whose status is Success;
// * it contains exactly one plain Assertion (no EncryptedAssertion), issued by the IdP;
// * the Response, the Assertion or both are signed by one of the configured IdP certificates.
//   Each signature must reference its own parent element, the one that is consumed, with an
//   allowed algorithm. A signature that is present but invalid rejects the response even when
//   the other one is valid;
// * InResponseTo on the Response and on the bearer SubjectConfirmationData agree where both
//   are present and equal the request id that this browser sent. Both absent means an
//   IdP-initiated response, which is rejected unless the organization allows it;
// * a bearer SubjectConfirmation with Recipient equal to the ACS URL and NotOnOrAfter in the
//   future; Conditions NotBefore/NotOnOrAfter; an AudienceRestriction naming the SP entity id.
//   Every time comparison allows `max_clock_skew` either way;
// * the Subject NameID is read as the whole text of the element, so a comment inside it cannot
//   shorten the value that the signature covered.
//
// One-time use of the assertion id is not checked here, because it needs the database: the
// caller records ValidatedAssertion::assertion_id until replay_expires_at (RecordAssertionUse
// in settings.h).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/clock.h"
#include "custody/common/status.h"

namespace custody::identity::saml {

// Reason codes of a rejected response, for the audit record. The browser gets one generic
// message. The codes never contain the assertion or any value from it.
inline constexpr std::string_view kReasonMalformed = "saml_malformed";
inline constexpr std::string_view kReasonDoctype = "saml_doctype";
inline constexpr std::string_view kReasonDuplicateId = "saml_duplicate_id";
inline constexpr std::string_view kReasonNotResponse = "saml_not_response";
inline constexpr std::string_view kReasonVersion = "saml_version";
inline constexpr std::string_view kReasonDestination = "saml_destination";
inline constexpr std::string_view kReasonIssuer = "saml_issuer";
inline constexpr std::string_view kReasonStatus = "saml_status";
inline constexpr std::string_view kReasonAssertionCount = "saml_assertion_count";
inline constexpr std::string_view kReasonEncryptedAssertion = "saml_encrypted_assertion";
inline constexpr std::string_view kReasonUnsigned = "saml_unsigned";
inline constexpr std::string_view kReasonSignatureProfile = "saml_signature_profile";
inline constexpr std::string_view kReasonSignatureAlgorithm = "saml_signature_algorithm";
inline constexpr std::string_view kReasonSignatureInvalid = "saml_signature_invalid";
inline constexpr std::string_view kReasonUnsolicited = "saml_unsolicited";
inline constexpr std::string_view kReasonInResponseTo = "saml_in_response_to";
inline constexpr std::string_view kReasonSubjectConfirmation = "saml_subject_confirmation";
inline constexpr std::string_view kReasonRecipient = "saml_recipient";
inline constexpr std::string_view kReasonNotYetValid = "saml_not_yet_valid";
inline constexpr std::string_view kReasonExpired = "saml_expired";
inline constexpr std::string_view kReasonAudience = "saml_audience";
inline constexpr std::string_view kReasonNameId = "saml_name_id";

// Clock skew allowed by default between the IdP and Custody.
inline constexpr std::chrono::seconds kDefaultMaxClockSkew{90};

struct ResponsePolicy {
  std::string idp_entity_id;
  // The IdP's signing certificates, each as base64 DER (the text of <ds:X509Certificate>) or
  // PEM. Only these keys are trusted. A certificate inside the response's KeyInfo is ignored.
  std::vector<std::string> idp_certificates;
  std::string sp_entity_id;  // the Audience that must be present
  std::string acs_url;       // Destination and Recipient
  // The ID of the AuthnRequest that this browser started, or empty when the browser started
  // none (an IdP-initiated response).
  std::string expected_request_id;
  bool allow_idp_initiated = false;
  std::chrono::seconds max_clock_skew = kDefaultMaxClockSkew;
  // RSA-SHA1 signatures and SHA-1 digests are rejected unless this is set. SHA-1 is broken for
  // collision resistance, but a few legacy IdPs still sign with it.
  bool allow_sha1 = false;
};

struct ValidatedAssertion {
  std::string response_id;
  std::string assertion_id;  // the replay cache key, together with issuer
  std::string issuer;        // the IdP entity id
  std::string name_id;       // whole text content, surrounding white space trimmed
  std::string name_id_format;
  std::string session_index;                          // empty when the IdP sent none
  std::optional<SystemTime> authn_instant;            // of the first AuthnStatement
  std::vector<std::string> authn_context_class_refs;  // one per AuthnStatement that has one
  std::map<std::string, std::vector<std::string>> attributes;  // by Name, values in order
  std::string in_response_to;  // empty for an IdP-initiated response
  // The latest instant at which the assertion could still be accepted (the earliest of the
  // Conditions and SubjectConfirmationData NotOnOrAfter, plus the skew). The replay cache
  // keeps the assertion id until then.
  SystemTime replay_expires_at;
  bool response_signed = false;
  bool assertion_signed = false;
};

// Validates the XML of a Response (already base64-decoded) against `policy` at clock.Now().
// A rejection returns kUnauthenticated and sets `failure_reason` (when given) to one of the
// kReason codes. Returns kInternal when the SAML library cannot start or a configured
// certificate cannot be loaded.
Result<ValidatedAssertion> ValidateResponse(std::string_view xml, const ResponsePolicy& policy,
                                            const Clock& clock,
                                            std::string* failure_reason = nullptr);

}  // namespace custody::identity::saml
