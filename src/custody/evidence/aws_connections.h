// The stored AWS connection of each organization (at most one), which tells Custody how to reach
// the bucket that contains the organization's evidence. The ExternalId is generated here when
// the connection is first created and kept for its lifetime. A client never chooses it.
#pragma once

#include <optional>
#include <string_view>

#include "custody/aws/connection.h"
#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/store/database.h"

namespace custody::evidence {

struct StoredAwsConnection {
  aws::AwsConnection connection;
  SystemTime created_at;
  SystemTime updated_at;
};

// Returns the organization's connection, or nothing when it has none yet.
Result<std::optional<StoredAwsConnection>> FindAwsConnection(store::Transaction& tx,
                                                             std::string_view organization_id);

// Returns the organization's connection, or kFailedPrecondition saying that an admin must set
// it up first.
Result<StoredAwsConnection> RequireAwsConnection(store::Transaction& tx,
                                                 std::string_view organization_id);

// Creates or replaces the organization's connection with `settings`. The ExternalId of
// `settings` is ignored: a new connection gets aws::GenerateExternalId(), an existing one
// keeps its own. Fails with kInvalidArgument (aws::ValidateConnection, the field named) for
// invalid settings.
Result<StoredAwsConnection> PutAwsConnection(store::Transaction& tx, const Clock& clock,
                                             std::string_view organization_id,
                                             const aws::AwsConnection& settings,
                                             bool allow_insecure_loopback);

}  // namespace custody::evidence
