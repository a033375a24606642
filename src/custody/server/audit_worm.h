// custodyd's side of the audit log's WORM export (docs/audit-export.md): the target and
// schedule from [audit.worm], and `custodyd audit reconcile`.
#pragma once

#include <optional>

#include "custody/audit/worm_export.h"
#include "custody/audit/worm_job.h"
#include "custody/server/config.h"

namespace custody::server {

// Returns the bucket and credentials of [audit.worm], or nullopt when the section is absent.
std::optional<audit::WormTarget> MakeWormTarget(const Config& config);

audit::WormSchedule MakeWormSchedule(const AuditWormSection& worm);

// Runs `custodyd audit reconcile`: checks every exported object once, as the server's job
// does, alarming on each problem, and prints {"checked", "skipped", "problems": [...]}.
// Returns 0 when every object is intact and matches the database, 1 when a problem was found
// or the check could not finish, and 2 when [audit.worm] is not configured.
int RunAuditReconcile(const Config& config);

}  // namespace custody::server
