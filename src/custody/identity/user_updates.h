// Changes to an existing user's profile and reactivation, used by SCIM provisioning. Each
// function runs in the caller's write transaction and writes no audit record: the caller does.
#pragma once

#include <string_view>

#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/identity/users.h"
#include "custody/store/database.h"

namespace custody::identity {

// Sets the user's e-mail (canonicalized as CanonicalizeEmail does) and display name. Fails with
// kInvalidArgument ("/email", "/display_name") for invalid values, kConflict when another user
// of the organization has the e-mail, and authz::NotFoundError() when the user is absent.
Result<User> UpdateUserProfile(store::Transaction& tx, std::string_view organization_id,
                               std::string_view user_id, std::string_view email,
                               std::string_view display_name);

// Reactivates a deactivated user. Their API tokens work again from the next request; revoked
// tokens and ended sessions stay revoked. Reactivating an active user changes nothing and
// returns it. Returns authz::NotFoundError() when the user is absent.
Result<User> ReactivateUser(store::Transaction& tx, std::string_view organization_id,
                            std::string_view user_id);

}  // namespace custody::identity
