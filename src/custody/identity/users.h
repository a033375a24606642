// Users of an organization. A user is identified by an id; the e-mail address is unique per
// organization after canonicalization. Users are never deleted, only deactivated, so that
// audit records keep pointing at someone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/store/database.h"

namespace custody::identity {

inline constexpr size_t kMaxDisplayNameCharacters = 200;

struct User {
  std::string id;
  std::string organization_id;
  std::string email;  // canonical form
  std::string display_name;
  bool active = true;
  SystemTime created_at;
  std::optional<SystemTime> deactivated_at;
  int64_t seq = 0;  // paging order
};

// Returns the canonical form of an e-mail address, the one used for storage, uniqueness and
// lookup: ASCII white space trimmed from both ends, ASCII letters lowercased. Rejects, with
// field "/email", anything that is not local@domain where the local part is 1 to 64 characters
// of letters, digits and !#$%&'*+-/=?^_`{|}~ in dot-separated runs, and the domain is two or
// more dot-separated labels of letters, digits and inner hyphens, 254 characters in all.
// Quoted local parts, IP-literal domains and non-ASCII addresses are not accepted.
Result<std::string> CanonicalizeEmail(std::string_view email);

// Creates an active user. Fails with kInvalidArgument ("/email", "/display_name") for invalid
// values and kConflict when the organization has a user with the same canonical e-mail.
Result<User> CreateUser(store::Transaction& tx, const Clock& clock,
                        std::string_view organization_id, std::string_view email,
                        std::string_view display_name);

// Returns the user, or authz::NotFoundError() when it is not a user of the organization.
Result<User> GetUser(store::Transaction& tx, std::string_view organization_id,
                     std::string_view user_id);

// Looks a user up by e-mail, canonicalized first. Returns authz::NotFoundError() when absent.
Result<User> FindUserByEmail(store::Transaction& tx, std::string_view organization_id,
                             std::string_view email);

struct UserPage {
  std::vector<User> users;  // newest first
  // The id of the page's last user, to pass as `after` for the next page; empty on the last
  // page.
  std::optional<std::string> next_after;
};

inline constexpr int kMaxUserPageSize = 200;

// Lists the organization's users, newest first, after the user `after` (a next_after). Returns
// store::InvalidCursorError() when `after` is not a user of the organization.
Result<UserPage> ListUsers(store::Transaction& tx, std::string_view organization_id,
                           std::optional<std::string_view> after, int limit);

// Deactivates the user and revokes their sign-in sessions; their API tokens fail from the next
// request on, because authentication reads the user's state every time. Deactivating a deactivated user changes
// nothing and returns it. Fails with kConflict for the last active admin on the organization's
// root entity, because nobody could then manage the organization.
Result<User> DeactivateUser(store::Transaction& tx, const Clock& clock,
                            std::string_view organization_id, std::string_view user_id);

}  // namespace custody::identity
