// `custodyd audit keygen` and `custodyd audit purge`: operator commands for the audit log.
#pragma once

#include <string>

#include "custody/server/config.h"

namespace custody::server {

// Returns the checkpoint origin host of `config`: audit.origin_host, or "custody.local" when
// it is empty (a Config built in code rather than parsed).
std::string AuditOriginHost(const Config& config);

// Creates a new checkpoint signing key at `out` (mode 0600, never overwriting a file), named
// "<origin host>/audit", and prints its verifier key on standard output. Returns 0 on success
// and 1 on failure.
int RunAuditKeygen(const Config& config, const std::string& out);

// Creates the key at audit.signing_key_file when that is set and no file exists there yet, so
// that `custodyd init` leaves a server that can start. Returns false after logging an error.
bool EnsureAuditSigningKey(const Config& config);

// Purges the payloads whose retention has ended, as the server's purge job does, and prints
// {"records": N, "logs": M}. Returns 0 on success and 1 on failure.
int RunAuditPurge(const Config& config);

}  // namespace custody::server
