// Reviews of stored evidence versions. A manager approves or rejects what another user
// uploaded. Reviews are appended and never change, and a version's review state is its latest
// review (none before the first).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/evidence/versions.h"
#include "custody/store/database.h"

namespace custody::evidence {

inline constexpr std::string_view kDecisionApproved = "approved";
inline constexpr std::string_view kDecisionRejected = "rejected";

// Audit reason of a review of one's own upload.
inline constexpr std::string_view kReasonOwnUpload = "own_upload";

struct VersionReview {
  std::string id;  // "rev_..."
  std::string version_id;
  std::string decision;  // kDecisionApproved or kDecisionRejected
  std::string comment;   // may be empty
  std::string reviewer;  // user id
  SystemTime created_at;
};

// Checks a decision and its comment. The error names the field ("/decision" or "/comment").
Status ValidateReview(std::string_view decision, std::string_view comment);

// Appends a review of a stored version. The caller validates and authorizes first.
Result<VersionReview> InsertReview(store::Transaction& tx, const Clock& clock,
                                   const EvidenceVersion& version, std::string_view decision,
                                   std::string_view comment, std::string_view reviewer);

// Returns the latest review of each version of `version_ids` that has one, by version id.
Result<std::map<std::string, VersionReview>> LatestReviews(
    store::Transaction& tx, std::string_view organization_id,
    const std::vector<std::string>& version_ids);

}  // namespace custody::evidence
