// The /api/v1 routes of docs/api.md, one Register function per resource file.
#pragma once

#include "custody/api/handler_support.h"
#include "custody/audit/checkpoint_signer.h"
#include "custody/http/router.h"

namespace custody::api {

// Registers every /api/v1 route. `api` must outlive the router.
void RegisterApiRoutes(http::Router& router, ApiContext& api);

void RegisterMeRoutes(http::Router& router, ApiContext& api);
void RegisterEntityRoutes(http::Router& router, ApiContext& api);
void RegisterUserRoutes(http::Router& router, ApiContext& api);
void RegisterRoleAssignmentRoutes(http::Router& router, ApiContext& api);
void RegisterTokenRoutes(http::Router& router, ApiContext& api);
void RegisterAwsConnectionRoutes(http::Router& router, ApiContext& api);
void RegisterEvidenceRoutes(http::Router& router, ApiContext& api);
void RegisterVersionRoutes(http::Router& router, ApiContext& api);
void RegisterAuditRecordRoutes(http::Router& router, ApiContext& api);
void RegisterSessionRoutes(http::Router& router, ApiContext& api);
void RegisterSsoRoutes(http::Router& router, ApiContext& api);
// /scim/v2, authenticated by SCIM tokens (scim.cc), and the admin API under /api/v1/scim.
void RegisterScimRoutes(http::Router& router, ApiContext& api);
void RegisterScimAdminRoutes(http::Router& router, ApiContext& api);
// The /api/v1/audit routes: checkpoints, proofs, entries and verifier keys. `signer` must
// outlive the router. The server registers these, since they need its signing keys.
void RegisterAuditLogRoutes(http::Router& router, ApiContext& api,
                            const audit::CheckpointSigner& signer);
void RegisterSamlSettingsRoutes(http::Router& router, ApiContext& api);
// The browser endpoints of SAML sign-in, under /sso/saml rather than /api/v1.
void RegisterSamlSignInRoutes(http::Router& router, ApiContext& api);

}  // namespace custody::api
