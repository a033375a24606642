#include "custody/evidence/items.h"

#include "custody/authz/authorize.h"
#include "custody/common/text.h"
#include "custody/evidence/validation.h"
#include "custody/store/ids.h"
#include "custody/store/page_cursor.h"

namespace custody::evidence {
namespace {

constexpr std::string_view kItemColumns =
    "seq, id, organization_id, entity_id, title, description, created_at, created_by";

EvidenceItem ItemFromRow(const store::Row& row) {
  EvidenceItem item;
  item.seq = row.Int64(0);
  item.id = row.Text(1);
  item.organization_id = row.Text(2);
  item.entity_id = row.Text(3);
  item.title = row.Text(4);
  item.description = row.Text(5);
  item.created_at = row.Time(6);
  item.created_by = row.Text(7);
  return item;
}

// Escapes LIKE's wildcards '%' and '_', and the escape character (a backslash) itself.
std::string EscapeLike(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (const char c : text) {
    if (c == '%' || c == '_' || c == '\\') {
      escaped += '\\';
    }
    escaped += c;
  }
  return escaped;
}

}  // namespace

Status CheckPageLimit(int limit) {
  if (limit < 1 || limit > kMaxPageSize) {
    return InvalidArgument("limit must be between 1 and " + std::to_string(kMaxPageSize), "limit");
  }
  return Status::Ok();
}

Result<EvidenceItem> InsertEvidenceItem(store::Transaction& tx, const Clock& clock,
                                        std::string_view organization_id,
                                        std::string_view entity_id, std::string_view title,
                                        std::string_view description, std::string_view created_by) {
  CUSTODY_RETURN_IF_ERROR(ValidateTitle(title, "title", kMaxTitleBytes));
  CUSTODY_RETURN_IF_ERROR(ValidateDescription(description, "description", kMaxDescriptionBytes));

  EvidenceItem item;
  item.id = store::NewId(store::kEvidenceIdPrefix);
  item.organization_id = std::string(organization_id);
  item.entity_id = std::string(entity_id);
  item.title = std::string(title);
  item.description = std::string(description);
  item.created_at = store::FromUnixMicros(store::ToUnixMicros(clock.Now()));
  item.created_by = std::string(created_by);
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("INSERT INTO evidence_items (id, organization_id, entity_id, title, "
                  "description, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?) "
                  "RETURNING seq",
                  {item.id, item.organization_id, item.entity_id, item.title, item.description,
                   store::ToUnixMicros(item.created_at), item.created_by}));
  item.seq = row->Int64(0);
  return item;
}

Result<EvidenceItem> GetEvidenceItem(store::Transaction& tx, std::string_view organization_id,
                                     std::string_view evidence_id) {
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT " + std::string(kItemColumns) +
                      " FROM evidence_items WHERE organization_id = ? AND id = ?",
                  {organization_id, evidence_id}));
  if (!row.has_value()) {
    return authz::NotFoundError();
  }
  return ItemFromRow(*row);
}

Status ValidateSearchText(std::string_view search) {
  size_t characters = 0;
  for (const char c : search) {
    // Count the bytes that start a UTF-8 sequence; CheckReadableText rejects invalid UTF-8.
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++characters;
    }
  }
  if (characters < 1 || characters > kMaxSearchCharacters) {
    return InvalidArgument("q must be 1 to " + std::to_string(kMaxSearchCharacters) +
                               " characters, not " + std::to_string(characters),
                           "q");
  }
  return CheckReadableText(search, "q");
}

Result<EvidenceItemPage> ListEvidenceItems(store::Transaction& tx, std::string_view organization_id,
                                           std::string_view entity_id,
                                           std::optional<std::string_view> after, int limit,
                                           std::optional<std::string_view> search) {
  CUSTODY_RETURN_IF_ERROR(CheckPageLimit(limit));
  if (search.has_value()) {
    CUSTODY_RETURN_IF_ERROR(ValidateSearchText(*search));
  }
  CUSTODY_ASSIGN_OR_RETURN(
      const int64_t before_seq,
      store::SeqBeforeCursor(tx, after.has_value(),
                             "SELECT seq FROM evidence_items WHERE organization_id = ? "
                             "AND entity_id = ? AND id = ?",
                             {organization_id, entity_id, after.value_or("")}));
  // ?5 is NULL without a search. SQLite's LIKE folds ASCII letters only.
  const std::optional<std::string> pattern =
      search.has_value() ? std::optional<std::string>("%" + EscapeLike(*search) + "%")
                         : std::nullopt;
  CUSTODY_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query("SELECT " + std::string(kItemColumns) +
                   " FROM evidence_items WHERE organization_id = ?1 AND entity_id = ?2 "
                   "AND seq < ?3 AND (?5 IS NULL OR title LIKE ?5 ESCAPE '\\' "
                   "OR description LIKE ?5 ESCAPE '\\') ORDER BY seq DESC LIMIT ?4",
               {organization_id, entity_id, before_seq, limit + 1, pattern}));

  EvidenceItemPage page;
  for (const store::Row& row : rows) {
    if (page.items.size() == static_cast<size_t>(limit)) {
      page.next_after = page.items.back().id;
      break;
    }
    page.items.push_back(ItemFromRow(row));
  }
  return page;
}

}  // namespace custody::evidence
