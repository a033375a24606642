// The first setup of an organization, for `custodyd init`.
#pragma once

#include <string_view>

#include "custody/authz/entities.h"
#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/identity/organizations.h"
#include "custody/identity/role_assignments.h"
#include "custody/identity/tokens.h"
#include "custody/identity/users.h"
#include "custody/store/database.h"

namespace custody::identity {

struct BootstrapResult {
  Organization organization;
  authz::Entity root_entity;
  User admin;
  RoleAssignment admin_role;  // admin on the root entity
  CreatedToken token;         // the admin's first API token; print it once
};

// Creates the organization, its root entity (a business unit named after the organization),
// the admin user, the admin role on the root entity and an API token for the admin. Each gets
// an audit record (actor "system", source "local"). All of it happens in one transaction, so
// either everything is created or nothing is. An empty `admin_display_name` takes the
// canonical e-mail address.
Result<BootstrapResult> Bootstrap(store::Database& db, const Clock& clock,
                                  std::string_view organization_name, std::string_view admin_email,
                                  std::string_view admin_display_name);

}  // namespace custody::identity
