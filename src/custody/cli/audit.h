// The `custody audit` commands: export an organization's audit trail, verify an export or the
// live log offline against trusted verifier keys, and monitor the log's checkpoints.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "custody/cli/api_client.h"
#include "custody/cli/commands.h"
#include "custody/common/status.h"

namespace custody::cli {

struct AuditExportOptions {
  std::string out;  // the bundle file to write
};

struct AuditVerifyOptions {
  std::string file;               // the export bundle; empty when `live`
  bool live = false;              // fetch the trail from the server instead (--server)
  std::string live_server_url;    // the URL given to --server; empty for the configured one
  std::vector<std::string> keys;  // trusted verifier keys, "<name>+<hex id>+<base64 key>"
  std::string pinned;             // file with a signed checkpoint or an earlier export
  std::string origin;             // the expected log; empty: the pinned one's, else the export's
};

struct AuditMonitorOptions {
  std::string state;  // file with the last checkpoint verified, as signed note text
  std::vector<std::string> keys;
  std::string origin;  // the expected log; empty: the state file's, else the server's
  int interval_seconds = 300;
  bool once = false;
  int max_rounds = 0;  // stop after this many rounds; 0 for no limit (tests set it)
};

// Fetches the latest checkpoint, the records and checkpoints it covers and the verifier keys,
// and writes them as one export bundle to options.out through a temporary file and rename.
// Prints a one-line summary on `context.out`. The export is not verified here.
Status RunAuditExport(CommandContext& context, const AuditExportOptions& options);

// Verifies an export bundle, or (with options.live) the trail fetched from the server through
// `api`, which may be null otherwise. Prints a summary on `out` and returns true when the
// trail verifies. Prints "verification failed: ..." on `err`, naming the first bad record,
// and returns false when it does not. Returns an error for unusable arguments, files or
// server responses.
Result<bool> RunAuditVerify(std::ostream& out, std::ostream& err, ApiClient* api,
                            const AuditVerifyOptions& options);

// Checks the server's latest checkpoint against the one in the state file each round: a
// valid signature from a trusted key, a size that never shrinks, one root per size and a
// consistency proof that verifies. Saves each newly verified checkpoint into the state file.
// Returns false, after printing why on `err`, at the first failed check. Network failures are
// retried at the next round unless options.once is set.
Result<bool> RunAuditMonitor(CommandContext& context, const AuditMonitorOptions& options);

}  // namespace custody::cli
