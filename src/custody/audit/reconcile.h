// The WORM reconciler: reads back every object that WormExporter wrote, by the version id it
// recorded, and compares it with its recorded checksum and with the database. A missing or
// altered object means someone bypassed Object Lock (or the bucket lacks it). An intact object
// that disagrees with the database means the database was changed after the export.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "custody/audit/worm_export.h"
#include "custody/aws/s3.h"
#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/store/database.h"

namespace custody::audit {

enum class WormFinding {
  kMissing,          // S3 has no such key or version, or the version is a delete marker
  kAltered,          // the bytes differ from the recorded size or SHA-256
  kDatabaseDiffers,  // the object is intact but the database's records or checkpoint differ
};

std::string_view WormFindingName(WormFinding finding);  // "missing", "altered", ...

struct WormProblem {
  WormObject object;
  WormFinding finding = WormFinding::kMissing;
  std::string detail;  // one sentence, naming the first differing record when there is one
};

struct ReconcileSummary {
  uint64_t checked = 0;
  uint64_t skipped = 0;  // objects whose retention has ended, which S3 may have removed
  std::vector<WormProblem> problems;
};

class WormReconciler {
 public:
  // All references must outlive the reconciler.
  WormReconciler(store::Database& db, aws::S3Client& s3, const Clock& clock, WormTarget target,
                 WormMetrics& metrics);

  // Checks every exported object whose retention has not ended. For each problem that this
  // reconciler has not reported before: logs the error "audit export mismatch" with the
  // object's key, version and finding, counts it in metrics.mismatches, and appends an
  // "audit_log.export_check" deny record to the object's log. A problem seen again in a later
  // run is logged as a warning only. Returns an error, and stops, only when S3 or the database
  // cannot be reached or returns an unexpected error, so that a later run can check the rest.
  Result<ReconcileSummary> ReconcileAll();

  // Checks one object without alarming; nullopt when it is intact and matches the database.
  Result<std::optional<WormProblem>> Check(const WormObject& object);

 private:
  Result<std::optional<std::string>> CompareWithDatabase(const WormObject& object,
                                                         const std::string& body);
  Status Alarm(const WormProblem& problem);

  store::Database& db_;
  aws::S3Client& s3_;
  const Clock& clock_;
  WormTarget target_;
  WormMetrics& metrics_;
  std::set<std::string> reported_;  // "<key> <version id> <finding>" of problems already alarmed
};

}  // namespace custody::audit
