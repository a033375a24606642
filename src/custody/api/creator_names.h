// The names of the users who created evidence, so that clients can show "who uploaded each"
// without a user lookup that only admins may make.
#pragma once

#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "custody/common/status.h"
#include "custody/store/database.h"

namespace custody::api {

// Sets "created_by_name" on each object of `objects` (a JSON array of evidence items or
// versions), on an item's "latest_version" and on a version's "review": the creator's display name,
// else the e-mail, or null when `organization_id` has no such user. Reads the users of that
// organization only, each once, in one read transaction. Returns kUnavailable when the database
// cannot be read.
Status AddCreatorNames(store::Database& db, std::string_view organization_id,
                       nlohmann::json& objects);

}  // namespace custody::api
