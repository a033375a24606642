#include "custody/identity/user_pages.h"

#include "custody/store/page_cursor.h"

namespace custody::identity {

Result<std::vector<store::Row>> QueryUserPage(store::Transaction& tx, const UserPageQuery& query,
                                              std::string_view organization_id,
                                              std::optional<std::string_view> user_id,
                                              std::optional<std::string_view> after, int limit) {
  if (limit < 1 || limit > query.max_limit) {
    return InvalidArgument("limit must be between 1 and " + std::to_string(query.max_limit),
                           "limit");
  }
  const std::string table(query.table);
  // A NULL user filter matches every user.
  CUSTODY_ASSIGN_OR_RETURN(
      const int64_t before_seq,
      store::SeqBeforeCursor(tx, after.has_value(),
                             "SELECT seq FROM " + table +
                                 " WHERE organization_id = ?1 "
                                 "AND (?2 IS NULL OR user_id = ?2) AND id = ?3",
                             {organization_id, user_id, after.value_or("")}));
  return tx.Query("SELECT " + std::string(query.columns) + " FROM " + table +
                      " WHERE organization_id = ?1 AND (?2 IS NULL OR user_id = ?2) "
                      "AND seq < ?3 ORDER BY seq DESC LIMIT ?4",
                  {organization_id, user_id, before_seq, limit + 1});
}

}  // namespace custody::identity
