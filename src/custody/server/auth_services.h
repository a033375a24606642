// Builds the sign-in services of the [auth] section: key files, access token signer and the
// OIDC relying party.
#pragma once

#include <memory>

#include "custody/api/auth.h"
#include "custody/aws/http_transport.h"
#include "custody/common/clock.h"
#include "custody/server/config.h"

namespace custody::server {

// Loads (or creates, mode 0600) the signing and secret key files and builds the services.
// Errors name the configuration key.
Result<std::unique_ptr<api::AuthServices>> BuildAuthServices(const Config& config,
                                                             aws::HttpTransport& transport,
                                                             const Clock& clock);

}  // namespace custody::server
