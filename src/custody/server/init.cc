#include "custody/server/init.h"

#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "custody/common/log.h"
#include "custody/identity/bootstrap.h"
#include "custody/store/database.h"

namespace custody::server {

int RunInit(const Config& config, const InitOptions& options) {
  Result<std::unique_ptr<store::Database>> database = store::Database::Open(config.database.path);
  if (!database.ok()) {
    log::Error("custodyd init cannot open the database",
               {{"path", config.database.path}, {"error", database.status().ToString()}});
    return 1;
  }

  Result<identity::BootstrapResult> created =
      identity::Bootstrap(**database, SystemClock::Instance(), options.organization_name,
                          options.admin_email, options.admin_name.value_or(""));
  if (!created.ok()) {
    log::Error("custodyd init failed; nothing was created",
               {{"organization", options.organization_name},
                {"admin_email", options.admin_email},
                {"field", created.status().field()},
                {"error", created.status().ToString()}});
    return created.status().code() == ErrorCode::kInvalidArgument ? 2 : 1;
  }

  nlohmann::ordered_json output;
  output["organization_id"] = created->organization.id;
  output["root_entity_id"] = created->root_entity.id;
  output["admin_user_id"] = created->admin.id;
  // The one place the admin's first token is shown; it is not stored in clear anywhere.
  output["token"] = created->token.value.Reveal();
  std::cout << output.dump() << std::endl;
  log::Info("custodyd init created an organization", {{"organization_id", created->organization.id},
                                                      {"admin_user_id", created->admin.id},
                                                      {"token_id", created->token.token.id}});
  return 0;
}

}  // namespace custody::server
