// Reads one row of a per-organization identity table by its public id.
#pragma once

#include <string_view>

#include "custody/common/status.h"
#include "custody/store/database.h"

namespace custody::identity {

// Returns the row of `table` whose organization_id and id match, with the `columns` selected
// (a SELECT list the caller's row reader expects). Returns authz::NotFoundError() when the
// organization has no such row, so an id of another organization reads as unknown.
Result<store::Row> GetOrganizationRow(store::Transaction& tx, std::string_view table,
                                      std::string_view columns, std::string_view organization_id,
                                      std::string_view id);

}  // namespace custody::identity
