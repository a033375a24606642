#include "custody/server/init.h"

#include "custody/common/log.h"

namespace custody::server {

int RunInit(const Config& /*config*/, const InitOptions& options) {
  // TODO: open the database at config.database.path and create the organization, root entity,
  // admin user and API token through the identity module, in one audited transaction.
  log::Error("custodyd init is not implemented yet",
             {{"organization", options.organization_name}, {"admin_email", options.admin_email}});
  return 1;
}

}  // namespace custody::server
