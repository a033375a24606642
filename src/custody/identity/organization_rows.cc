#include "custody/identity/organization_rows.h"

#include <optional>
#include <string>

#include "custody/authz/authorize.h"

namespace custody::identity {

Result<store::Row> GetOrganizationRow(store::Transaction& tx, std::string_view table,
                                      std::string_view columns, std::string_view organization_id,
                                      std::string_view id) {
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT " + std::string(columns) + " FROM " + std::string(table) +
                      " WHERE organization_id = ? AND id = ?",
                  {organization_id, id}));
  if (!row.has_value()) {
    return authz::NotFoundError();
  }
  return std::move(*row);
}

}  // namespace custody::identity
