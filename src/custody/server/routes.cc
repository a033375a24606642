// The seam between the server and the api module: every /api/v1 route is registered here.
#include "custody/api/routes.h"

#include "custody/server/app.h"

namespace custody::server {

void RegisterRoutes(http::Router& router, Services& services) {
  api::RegisterApiRoutes(router, services.api);
  api::RegisterAuditLogRoutes(router, services.api, services.checkpoint_signer);
}

}  // namespace custody::server
