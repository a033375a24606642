// The entity tree of an organization: business units, subsidiaries and audit engagements. Roles
// are granted on entities and cover their descendants. Every function takes the organization
// id and filters on it, so another organization's entity ids read as absent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/authz/permissions.h"
#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/store/database.h"

namespace custody::authz {

inline constexpr size_t kMaxEntityNameCharacters = 200;

enum class EntityKind {
  kBusinessUnit,
  kSubsidiary,
  kAuditEngagement,
};

// "business_unit", "subsidiary" or "audit_engagement".
std::string_view EntityKindName(EntityKind kind);
std::optional<EntityKind> ParseEntityKind(std::string_view name);

struct Entity {
  std::string id;
  std::string organization_id;
  std::optional<std::string> parent_id;  // empty only for the organization's root
  EntityKind kind = EntityKind::kBusinessUnit;
  std::string name;
  SystemTime created_at;
  int64_t seq = 0;  // paging order
};

// Creates a child of `parent_id`. Fails with kInvalidArgument (field "/kind" or "/name") for an
// unknown kind or an invalid name, and with NotFoundError() when the parent is not an entity of
// the organization. The caller authorizes kCreateEntity on the parent first.
Result<Entity> CreateEntity(store::Transaction& tx, const Clock& clock,
                            std::string_view organization_id, std::string_view parent_id,
                            std::string_view kind, std::string_view name);

// Creates the organization's root entity (a business unit without a parent). Used only when the
// organization itself is created, in the same transaction; a second root is kConflict.
Result<Entity> CreateRootEntity(store::Transaction& tx, const Clock& clock,
                                std::string_view organization_id, std::string_view name);

// Returns the entity, or NotFoundError() when it is not an entity of the organization.
Result<Entity> GetEntity(store::Transaction& tx, std::string_view organization_id,
                         std::string_view entity_id);

Result<Entity> GetRootEntity(store::Transaction& tx, std::string_view organization_id);

struct EntityPage {
  std::vector<Entity> entities;  // newest first
  // The id of the page's last entity, to pass as `after` for the next page; empty on the last
  // page.
  std::optional<std::string> next_after;
};

inline constexpr int kMaxEntityPageSize = 200;

// Returns up to `limit` (1 to kMaxEntityPageSize) entities on which the user's effective role
// allows `action`, newest first, starting after the entity `after` (a next_after). Returns
// store::InvalidCursorError() when `after` is not such an entity of the organization.
Result<EntityPage> ListEntitiesInScope(store::Transaction& tx, std::string_view organization_id,
                                       std::string_view user_id, Action action,
                                       std::optional<std::string_view> after, int limit);

}  // namespace custody::authz
