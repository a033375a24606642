#include "custody/identity/saml/library.h"

#include <saml/SAMLConfig.h>
#include <xmltooling/XMLToolingConfig.h>

#include <exception>
#include <mutex>

namespace custody::identity::saml {

Status InitializeSamlLibrary() {
  static std::once_flag once;
  static Status outcome;
  std::call_once(once, [] {
    try {
      // xmltooling logs through log4shib to stderr, one line for every malformed document a
      // client sends. Custody logs and audits each rejection itself, so only critical library
      // failures are let through.
      xmltooling::XMLToolingConfig::getConfig().log_config("CRIT");
      if (!opensaml::SAMLConfig::getConfig().init()) {
        outcome = Internal("OpenSAML failed to initialize");
      }
    } catch (const std::exception& error) {
      outcome = Internal(std::string("OpenSAML failed to initialize: ") + error.what());
    }
  });
  return outcome;
}

}  // namespace custody::identity::saml

// LeakSanitizer reads this hook in sanitizer builds only. xmltooling's one-time initialization
// keeps a few allocations for the life of the process (see InitializeSamlLibrary).
extern "C" const char* __lsan_default_suppressions() {
  return "leak:xmltooling::XMLToolingInternalConfig::init\n";
}
