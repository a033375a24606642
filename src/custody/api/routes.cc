#include "custody/api/routes.h"

#include "custody/api/auth.h"

namespace custody::api {

void RegisterApiRoutes(http::Router& router, ApiContext& api) {
  RegisterMeRoutes(router, api);
  RegisterEntityRoutes(router, api);
  RegisterUserRoutes(router, api);
  RegisterRoleAssignmentRoutes(router, api);
  RegisterTokenRoutes(router, api);
  RegisterAwsConnectionRoutes(router, api);
  RegisterEvidenceRoutes(router, api);
  RegisterVersionRoutes(router, api);
  RegisterAuditRecordRoutes(router, api);
  RegisterSessionRoutes(router, api);
  RegisterSsoRoutes(router, api);
  RegisterAuthRoutes(router, api);
  RegisterScimRoutes(router, api);
  RegisterScimAdminRoutes(router, api);
  RegisterSamlSettingsRoutes(router, api);
  RegisterSamlSignInRoutes(router, api);
}

}  // namespace custody::api
