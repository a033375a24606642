// SAML 2.0 metadata (OASIS saml-metadata-2.0-os): reading an IdP's <md:EntityDescriptor> and
// writing the SP's own.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "custody/common/status.h"

namespace custody::identity::saml {

struct IdpMetadata {
  std::string entity_id;
  std::string sso_url;  // the SingleSignOnService Location for the HTTP-Redirect binding
  // The signing certificates as base64 DER: every KeyDescriptor with use="signing" or no use.
  std::vector<std::string> signing_certificates;
};

// Reads the first IDPSSODescriptor of an EntityDescriptor root. Fails with kInvalidArgument
// (field "/idp_metadata_xml") when the XML is malformed, has a DOCTYPE, is not an
// EntityDescriptor, or lacks an HTTP-Redirect SingleSignOnService or a signing certificate.
Result<IdpMetadata> ParseIdpMetadata(std::string_view xml);

struct SpMetadataSpec {
  std::string entity_id;
  std::string acs_url;
};

// The SP's EntityDescriptor: one HTTP-POST AssertionConsumerService, unsigned requests, and
// WantAssertionsSigned="true" (a response signed only at the Response level is also accepted).
std::string BuildSpMetadata(const SpMetadataSpec& spec);

}  // namespace custody::identity::saml
