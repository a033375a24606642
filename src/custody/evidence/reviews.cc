#include "custody/evidence/reviews.h"

#include "custody/common/text.h"
#include "custody/store/ids.h"

namespace custody::evidence {
namespace {

constexpr size_t kMaxCommentBytes = 2000;
constexpr std::string_view kReviewIdPrefix = "rev_";

}  // namespace

Status ValidateReview(std::string_view decision, std::string_view comment) {
  if (decision != kDecisionApproved && decision != kDecisionRejected) {
    return InvalidArgument("decision must be \"approved\" or \"rejected\"", "/decision");
  }
  if (comment.size() > kMaxCommentBytes) {
    return InvalidArgument("comment must be at most 2000 bytes", "/comment");
  }
  return CheckReadableText(comment, "/comment", {.allow_newlines = true});
}

Result<VersionReview> InsertReview(store::Transaction& tx, const Clock& clock,
                                   const EvidenceVersion& version, std::string_view decision,
                                   std::string_view comment, std::string_view reviewer) {
  VersionReview review{store::NewId(kReviewIdPrefix), version.id,
                       std::string(decision),         std::string(comment),
                       std::string(reviewer),         clock.Now()};
  CUSTODY_RETURN_IF_ERROR(
      tx.Execute(
            "INSERT INTO evidence_reviews (id, organization_id, evidence_id, version_id, "
            "decision, comment, reviewer, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            {review.id, version.organization_id, version.evidence_id, version.id, review.decision,
             review.comment, review.reviewer, store::ToUnixMicros(review.created_at)})
          .status());
  return review;
}

Result<std::map<std::string, VersionReview>> LatestReviews(
    store::Transaction& tx, std::string_view organization_id,
    const std::vector<std::string>& version_ids) {
  std::map<std::string, VersionReview> latest;
  for (const std::string& version_id : version_ids) {
    CUSTODY_ASSIGN_OR_RETURN(
        std::optional<store::Row> row,
        tx.QueryOne("SELECT id, decision, comment, reviewer, created_at FROM evidence_reviews "
                    "WHERE organization_id = ? AND version_id = ? ORDER BY seq DESC LIMIT 1",
                    {organization_id, version_id}));
    if (row.has_value()) {
      latest.emplace(version_id, VersionReview{row->Text(0), version_id, row->Text(1), row->Text(2),
                                               row->Text(3), store::FromUnixMicros(row->Int64(4))});
    }
  }
  return latest;
}

}  // namespace custody::evidence
