// Keyset pagination by a public id. A list's next_cursor names the last item of a page by its id
// and never by its seq, because seq is a counter shared by every organization and would reveal
// how many rows the other organizations created.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "custody/common/status.h"
#include "custody/store/database.h"

namespace custody::store {

// The error of a list request whose `after` does not name an item of the same list for the same
// caller. Malformed cursors and the ids of other organizations or scopes share it, so that a
// caller cannot tell them apart.
inline Status InvalidCursorError() {
  return InvalidArgument("after must be the next_cursor of a previous page of this list", "after");
}

// Returns the seq below which a newest-first page starts: INT64_MAX without a cursor, else the
// seq of the item that the cursor names. `lookup_sql` selects that seq as column 0, restricted to
// the list's own organization and filter, with the cursor's id among `params`. Returns
// InvalidCursorError() when the lookup finds no row.
inline Result<int64_t> SeqBeforeCursor(Transaction& tx, bool has_cursor,
                                       std::string_view lookup_sql,
                                       const std::vector<Param>& params) {
  if (!has_cursor) {
    return INT64_MAX;
  }
  CUSTODY_ASSIGN_OR_RETURN(std::optional<Row> row, tx.QueryOne(lookup_sql, params));
  if (!row.has_value()) {
    return InvalidCursorError();
  }
  return row->Int64(0);
}

}  // namespace custody::store
