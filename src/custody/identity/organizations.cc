#include "custody/identity/organizations.h"

#include "custody/authz/authorize.h"
#include "custody/authz/validation.h"
#include "custody/store/ids.h"

namespace custody::identity {

Result<CreatedOrganization> CreateOrganization(store::Transaction& tx, const Clock& clock,
                                               std::string_view name) {
  CUSTODY_RETURN_IF_ERROR(authz::ValidateName(name, "/name", kMaxOrganizationNameCharacters));

  CreatedOrganization created;
  Organization& organization = created.organization;
  organization.id = store::NewId(store::kOrganizationIdPrefix);
  organization.name = std::string(name);
  organization.created_at = store::FromUnixMicros(store::ToUnixMicros(clock.Now()));

  // The root entity's foreign key to the organization and the organization's to its root are
  // both checked at COMMIT, so the order of the two inserts does not matter.
  CUSTODY_ASSIGN_OR_RETURN(created.root_entity,
                           authz::CreateRootEntity(tx, clock, organization.id, name));
  organization.root_entity_id = created.root_entity.id;
  CUSTODY_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO organizations (id, name, created_at, root_entity_id) "
                 "VALUES (?, ?, ?, ?)",
                 {organization.id, organization.name, store::ToUnixMicros(organization.created_at),
                  organization.root_entity_id})
          .status());
  return created;
}

Result<Organization> GetOrganization(store::Transaction& tx, std::string_view organization_id) {
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT id, name, created_at, root_entity_id FROM organizations WHERE id = ?",
                  {organization_id}));
  if (!row.has_value()) {
    return authz::NotFoundError();
  }
  return Organization{row->Text(0), row->Text(1), row->Time(2), row->Text(3)};
}

}  // namespace custody::identity
