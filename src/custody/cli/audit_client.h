// Calls to custodyd's audit log API (GET /api/v1/audit/...), and the export that pages
// through them. Verification is left to audit::Verify and the monitor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "custody/audit/verify.h"
#include "custody/cli/api_client.h"
#include "custody/common/status.h"

namespace custody::cli {

// A signed checkpoint as the server returns it. Nothing here is verified yet.
struct AuditCheckpoint {
  std::string origin;
  uint64_t tree_size = 0;
  std::string signed_note;
  std::string created_at;
};

class AuditClient {
 public:
  // Entries and checkpoints requested per page: the API's maximum.
  static constexpr int kPageLimit = 1000;

  // The client must outlive this object.
  explicit AuditClient(ApiClient& api) : api_(api) {}

  // Returns the latest checkpoint, or the one of exactly `tree_size` records. kNotFound when
  // the log has none yet (or none of that size).
  Result<AuditCheckpoint> GetCheckpoint(std::optional<uint64_t> tree_size = std::nullopt);

  // Returns up to `limit` checkpoints larger than `after_size`, oldest first.
  Result<std::vector<AuditCheckpoint>> ListCheckpoints(uint64_t after_size, int limit);

  // Returns up to `limit` records from seq `start`, and stores the log's current size in
  // `tree_size`.
  Result<std::vector<audit::ExportEntry>> ListEntries(uint64_t start, int limit,
                                                      uint64_t* tree_size);

  // Returns the RFC 9162 consistency proof from size `from` to size `to`, as raw hashes.
  Result<std::vector<std::string>> GetConsistencyProof(uint64_t from, uint64_t to);

  // Returns the verifier keys the server lists, and stores the log's origin in `origin`.
  Result<std::vector<audit::ExportVerifierKey>> ListVerifierKeys(std::string* origin);

  // Fetches the latest checkpoint, then every record it covers, every checkpoint up to it and
  // the verifier keys, as the export bundle. Records appended meanwhile are left out, so the
  // bundle ends exactly at its latest checkpoint.
  Result<audit::ExportBundle> FetchExport();

 private:
  ApiClient& api_;
};

}  // namespace custody::cli
