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
// {"organization": {...}, "root_entity": {...}, "admin": {...}, "token": "cst_..."}.
// The token appears only there. Returns the process exit code.
int RunInit(const Config& config, const InitOptions& options);

}  // namespace custody::server
