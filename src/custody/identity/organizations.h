// Organizations: the tenants. Each has exactly one root entity, created with it.
#pragma once

#include <string>
#include <string_view>

#include "custody/authz/entities.h"
#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/store/database.h"

namespace custody::identity {

inline constexpr size_t kMaxOrganizationNameCharacters = 200;

struct Organization {
  std::string id;
  std::string name;
  SystemTime created_at;
  std::string root_entity_id;
};

struct CreatedOrganization {
  Organization organization;
  authz::Entity root_entity;  // a business unit named after the organization
};

// Creates the organization and its root entity in the caller's transaction. An invalid name is
// kInvalidArgument with field "/name".
Result<CreatedOrganization> CreateOrganization(store::Transaction& tx, const Clock& clock,
                                               std::string_view name);

// Returns the organization, or authz::NotFoundError().
Result<Organization> GetOrganization(store::Transaction& tx, std::string_view organization_id);

}  // namespace custody::identity
