// One page of a per-organization list that may be narrowed to one user: API tokens, sessions
// and role assignments. Pages run newest first (seq DESC) and are chained by the id of the last
// item (store/page_cursor.h).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "custody/common/status.h"
#include "custody/store/database.h"

namespace custody::identity {

struct UserPageQuery {
  std::string_view table;    // "api_tokens": a table with seq, id, organization_id and user_id
  std::string_view columns;  // the SELECT list that the caller's row reader expects
  int max_limit = 0;         // the largest page size a caller may request
};

// Reads the rows of one page: at most `limit` + 1, the extra row telling that another page
// follows. Only `user_id`'s rows when given. `after` is the id of the last item of the previous
// page. Returns kInvalidArgument for a limit outside 1 to query.max_limit, and
// store::InvalidCursorError() when `after` names no row of the same list.
Result<std::vector<store::Row>> QueryUserPage(store::Transaction& tx, const UserPageQuery& query,
                                              std::string_view organization_id,
                                              std::optional<std::string_view> user_id,
                                              std::optional<std::string_view> after, int limit);

// Appends the first `limit` of `rows` to `items`, each converted by `from_row` (which returns
// Item or Result<Item>), and returns the id of the last item when another row follows: the
// cursor of the next page.
template <typename Item, typename FromRow>
Result<std::optional<std::string>> AppendPageItems(const std::vector<store::Row>& rows, int limit,
                                                   FromRow&& from_row, std::vector<Item>& items) {
  for (const store::Row& row : rows) {
    if (items.size() == static_cast<size_t>(limit)) {
      return std::optional<std::string>(items.back().id);
    }
    Result<Item> item = from_row(row);
    CUSTODY_RETURN_IF_ERROR(item.status());
    items.push_back(std::move(item).value());
  }
  return std::optional<std::string>();
}

}  // namespace custody::identity
