// The seam between the server and the api module: every /api/v1 route is registered here.
#include "custody/server/app.h"

namespace custody::server {

void RegisterRoutes(http::Router& /*router*/, Services& /*services*/) {
  // TODO: register the api module's handlers (docs/api.md) once custody_api exists.
}

}  // namespace custody::server
