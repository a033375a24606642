#include "custody/authz/entities.h"

#include "custody/authz/authorize.h"
#include "custody/authz/scope_sql.h"
#include "custody/authz/validation.h"
#include "custody/store/ids.h"
#include "custody/store/page_cursor.h"

namespace custody::authz {
namespace {

constexpr std::string_view kEntityColumns =
    "seq, id, organization_id, parent_id, kind, name, created_at";

Result<Entity> EntityFromRow(const store::Row& row) {
  Entity entity;
  entity.seq = row.Int64(0);
  entity.id = row.Text(1);
  entity.organization_id = row.Text(2);
  entity.parent_id = row.OptionalText(3);
  const std::optional<EntityKind> kind = ParseEntityKind(row.Text(4));
  if (!kind.has_value()) {
    return Internal("entity " + entity.id + " has an unknown kind: " + row.Text(4));
  }
  entity.kind = *kind;
  entity.name = row.Text(5);
  entity.created_at = row.Time(6);
  return entity;
}

Result<Entity> InsertEntity(store::Transaction& tx, const Clock& clock,
                            std::string_view organization_id, std::optional<std::string> parent_id,
                            EntityKind kind, std::string_view name) {
  Entity entity;
  entity.id = store::NewId(store::kEntityIdPrefix);
  entity.organization_id = std::string(organization_id);
  entity.parent_id = std::move(parent_id);
  entity.kind = kind;
  entity.name = std::string(name);
  entity.created_at = store::FromUnixMicros(store::ToUnixMicros(clock.Now()));
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("INSERT INTO entities (id, organization_id, parent_id, kind, name, created_at) "
                  "VALUES (?, ?, ?, ?, ?, ?) RETURNING seq",
                  {entity.id, entity.organization_id, entity.parent_id, EntityKindName(kind),
                   entity.name, store::ToUnixMicros(entity.created_at)}));
  entity.seq = row->Int64(0);
  return entity;
}

}  // namespace

std::string_view EntityKindName(EntityKind kind) {
  switch (kind) {
    case EntityKind::kBusinessUnit:
      return "business_unit";
    case EntityKind::kSubsidiary:
      return "subsidiary";
    case EntityKind::kAuditEngagement:
      return "audit_engagement";
  }
  return "";
}

std::optional<EntityKind> ParseEntityKind(std::string_view name) {
  for (EntityKind kind :
       {EntityKind::kBusinessUnit, EntityKind::kSubsidiary, EntityKind::kAuditEngagement}) {
    if (EntityKindName(kind) == name) {
      return kind;
    }
  }
  return std::nullopt;
}

Result<Entity> CreateEntity(store::Transaction& tx, const Clock& clock,
                            std::string_view organization_id, std::string_view parent_id,
                            std::string_view kind, std::string_view name) {
  const std::optional<EntityKind> parsed_kind = ParseEntityKind(kind);
  if (!parsed_kind.has_value()) {
    return InvalidArgument("kind must be business_unit, subsidiary or audit_engagement", "/kind");
  }
  CUSTODY_RETURN_IF_ERROR(ValidateName(name, "/name", kMaxEntityNameCharacters));
  CUSTODY_ASSIGN_OR_RETURN(Entity parent, GetEntity(tx, organization_id, parent_id));
  return InsertEntity(tx, clock, organization_id, parent.id, *parsed_kind, name);
}

Result<Entity> CreateRootEntity(store::Transaction& tx, const Clock& clock,
                                std::string_view organization_id, std::string_view name) {
  CUSTODY_RETURN_IF_ERROR(ValidateName(name, "/name", kMaxEntityNameCharacters));
  return InsertEntity(tx, clock, organization_id, std::nullopt, EntityKind::kBusinessUnit, name);
}

Result<Entity> GetEntity(store::Transaction& tx, std::string_view organization_id,
                         std::string_view entity_id) {
  CUSTODY_ASSIGN_OR_RETURN(std::optional<store::Row> row,
                           tx.QueryOne("SELECT " + std::string(kEntityColumns) +
                                           " FROM entities WHERE organization_id = ? AND id = ?",
                                       {organization_id, entity_id}));
  if (!row.has_value()) {
    return NotFoundError();
  }
  return EntityFromRow(*row);
}

Result<Entity> GetRootEntity(store::Transaction& tx, std::string_view organization_id) {
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT " + std::string(kEntityColumns) +
                      " FROM entities WHERE organization_id = ? AND parent_id IS NULL",
                  {organization_id}));
  if (!row.has_value()) {
    return NotFoundError();
  }
  return EntityFromRow(*row);
}

Result<EntityPage> ListEntitiesInScope(store::Transaction& tx, std::string_view organization_id,
                                       std::string_view user_id, Action action,
                                       std::optional<std::string_view> after, int limit) {
  if (limit < 1 || limit > kMaxEntityPageSize) {
    return InvalidArgument("limit must be between 1 and " + std::to_string(kMaxEntityPageSize),
                           "limit");
  }
  if (ScopeOf(action) != ActionScope::kEntity) {
    return Internal("organization action " + std::string(ActionName(action)) +
                    " has no entity scope");
  }
  const int rank = static_cast<int>(MinimumRole(action));
  CUSTODY_ASSIGN_OR_RETURN(
      const int64_t before_seq,
      store::SeqBeforeCursor(
          tx, after.has_value(),
          std::string(kScopedEntitiesCte) +
              "SELECT seq FROM entities WHERE organization_id = ?1 AND id = ?4 AND id IN "
              "(SELECT id FROM scoped GROUP BY id HAVING MAX(rank) >= ?3)",
          {organization_id, user_id, rank, after.value_or("")}));
  CUSTODY_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query(std::string(kScopedEntitiesCte) + "SELECT " + std::string(kEntityColumns) +
                   " FROM entities WHERE organization_id = ?1 AND seq < ?4 AND id IN "
                   "(SELECT id FROM scoped GROUP BY id HAVING MAX(rank) >= ?3) "
                   "ORDER BY seq DESC LIMIT ?5",
               {organization_id, user_id, rank, before_seq, limit + 1}));

  EntityPage page;
  for (const store::Row& row : rows) {
    if (page.entities.size() == static_cast<size_t>(limit)) {
      page.next_after = page.entities.back().id;
      break;
    }
    CUSTODY_ASSIGN_OR_RETURN(Entity entity, EntityFromRow(row));
    page.entities.push_back(std::move(entity));
  }
  return page;
}

}  // namespace custody::authz
