// SP-initiated sign-in: the <samlp:AuthnRequest> and its HTTP-Redirect binding URL (SAML 2.0
// bindings section 3.4: raw DEFLATE, then base64, then URL encoding).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "custody/common/clock.h"
#include "custody/common/status.h"

namespace custody::identity::saml {

struct AuthnRequestSpec {
  std::string sp_entity_id;  // the Issuer
  std::string acs_url;       // AssertionConsumerServiceURL, HTTP-POST binding
  std::string idp_sso_url;   // the Destination and the base of the redirect URL
  // AuthnContextClassRef values to request with Comparison="exact" (any one of them), or
  // none for no RequestedAuthnContext. An organization that requires MFA lists its MFA classes.
  std::vector<std::string> requested_contexts;
};

struct AuthnRequest {
  std::string id;   // "_" and 32 random hex digits: the InResponseTo the response must carry
  std::string xml;  // the request document, unsigned
  std::string redirect_url;  // idp_sso_url with SAMLRequest appended
};

// Builds a new request with a fresh random ID, issued at clock.Now().
// NOTE: requests are not signed (AuthnRequestsSigned="false" in the SP metadata); IdPs that
// insist on signed requests cannot be connected yet.
Result<AuthnRequest> BuildAuthnRequest(const AuthnRequestSpec& spec, const Clock& clock);

// Escapes the five XML special characters for use in text and attribute values.
std::string XmlEscape(std::string_view text);

// Percent-encodes everything except RFC 3986 unreserved characters.
std::string UrlEncode(std::string_view text);

// Raw DEFLATE (RFC 1951, no zlib header) and its inverse, as the HTTP-Redirect binding uses.
// Inflate stops with kInvalidArgument past `max_output` bytes.
Result<std::string> Deflate(std::string_view data);
Result<std::string> Inflate(std::string_view data, size_t max_output);

}  // namespace custody::identity::saml
