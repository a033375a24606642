// Process-wide set-up of OpenSAML 3 (and with it xmltooling, Xerces-C and xml-security-c).
#pragma once

#include "custody/common/status.h"

namespace custody::identity::saml {

// Initializes the SAML libraries once per process, and returns the outcome of that first call
// every time. The functions of this module that parse XML call it, so callers need not. Returns
// kInternal when the libraries cannot start. They stay initialized until the process exits,
// because terminating Xerces-C while another thread parses would be undefined behaviour.
Status InitializeSamlLibrary();

}  // namespace custody::identity::saml
