// Evidence items: what an organization keeps evidence about ("Q3 access review"), each owned by
// one entity, whose roles decide who may see and change it. Every function filters on the
// organization, so another organization's ids read as absent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/store/database.h"

namespace custody::evidence {

struct EvidenceItem {
  std::string id;  // "evd_..."
  std::string organization_id;
  std::string entity_id;
  std::string title;
  std::string description;  // "" when none was given
  SystemTime created_at;
  std::string created_by;  // user id
  int64_t seq = 0;         // paging order
};

inline constexpr int kMaxPageSize = 200;

// Inserts an item. Fails with kInvalidArgument ("/title", "/description") for a title that is
// not one line of 1 to kMaxTitleBytes or a description over kMaxDescriptionBytes. The caller
// authorizes kCreateEvidence on the entity first, which also proves the entity exists.
Result<EvidenceItem> InsertEvidenceItem(store::Transaction& tx, const Clock& clock,
                                        std::string_view organization_id,
                                        std::string_view entity_id, std::string_view title,
                                        std::string_view description, std::string_view created_by);

// Returns the item, or authz::NotFoundError() when it is not an item of the organization.
Result<EvidenceItem> GetEvidenceItem(store::Transaction& tx, std::string_view organization_id,
                                     std::string_view evidence_id);

struct EvidenceItemPage {
  std::vector<EvidenceItem> items;  // newest first
  // The id of the page's last item, to pass as `after` for the next page; empty on the last page.
  std::optional<std::string> next_after;
};

// The maximum length of a search text, in characters (Unicode code points).
inline constexpr size_t kMaxSearchCharacters = 200;

// Returns up to `limit` (1 to kMaxPageSize) items of the entity, newest first, starting after
// the item `after` (a next_after). With `search`, only items whose title or description contains
// it: ASCII letters match either case, and '%' and '_' are literal. Returns
// store::InvalidCursorError() when `after` is not an item of the entity (it need not match
// `search`), and kInvalidArgument for a search text that ValidateSearchText rejects.
Result<EvidenceItemPage> ListEvidenceItems(store::Transaction& tx, std::string_view organization_id,
                                           std::string_view entity_id,
                                           std::optional<std::string_view> after, int limit,
                                           std::optional<std::string_view> search = std::nullopt);

// 1 to kMaxSearchCharacters characters of valid UTF-8 without control characters; the error
// names the field "q".
Status ValidateSearchText(std::string_view search);

// kInvalidArgument with field "limit" unless 1 <= limit <= kMaxPageSize.
Status CheckPageLimit(int limit);

}  // namespace custody::evidence
