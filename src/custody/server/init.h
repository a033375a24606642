// `custodyd init`: creates the first organization, its root entity, its first admin and an API
// token for that admin.
#pragma once

#include <optional>
#include <string>

#include "custody/server/config.h"

namespace custody::server {

struct InitOptions {
  std::string organization_name;
  std::string admin_email;
  std::optional<std::string> admin_name;
};

// Runs the init command and prints its result as one JSON object on standard output:
// {"organization_id": "org_...", "root_entity_id": "ent_...", "admin_user_id": "usr_...",
//  "token": "cst_..."}. The token appears only there. Returns the process exit code: 0 on
// success, 2 for an invalid organization name or e-mail address, 1 for any other failure.
int RunInit(const Config& config, const InitOptions& options);

}  // namespace custody::server
