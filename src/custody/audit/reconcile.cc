#include "custody/audit/reconcile.h"

#include <utility>

#include "custody/audit/audit_log.h"
#include "custody/audit/record.h"
#include "custody/common/log.h"
#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"

namespace custody::audit {
namespace {

// Rows read per database transaction while walking audit_worm_objects.
constexpr int kObjectsPerPage = 200;

std::string ReasonCode(WormFinding finding) {
  return "worm_object_" + std::string(WormFindingName(finding));
}

}  // namespace

std::string_view WormFindingName(WormFinding finding) {
  switch (finding) {
    case WormFinding::kMissing:
      return "missing";
    case WormFinding::kAltered:
      return "altered";
    case WormFinding::kDatabaseDiffers:
      return "database_differs";
  }
  return "unknown";
}

WormReconciler::WormReconciler(store::Database& db, aws::S3Client& s3, const Clock& clock,
                               WormTarget target, WormMetrics& metrics)
    : db_(db), s3_(s3), clock_(clock), target_(std::move(target)), metrics_(metrics) {}

Result<ReconcileSummary> WormReconciler::ReconcileAll() {
  ReconcileSummary summary;
  std::optional<WormObject> last;
  while (true) {
    std::vector<WormObject> page;
    CUSTODY_RETURN_IF_ERROR(db_.Read([&](store::Transaction& tx) -> Status {
      CUSTODY_ASSIGN_OR_RETURN(page, ListWormObjects(tx, last ? &*last : nullptr, kObjectsPerPage));
      return Status::Ok();
    }));
    if (page.empty()) {
      metrics_.mismatched_objects.store(summary.problems.size());
      return summary;
    }
    for (const WormObject& object : page) {
      if (object.retain_until <= clock_.Now()) {
        ++summary.skipped;
        continue;
      }
      Result<std::optional<WormProblem>> problem = Check(object);
      if (!problem.ok()) {
        metrics_.reconcile_failures.fetch_add(1);
        log::Error("audit export check failed", {{"object_key", object.object_key},
                                                 {"version_id", object.version_id.value_or("")},
                                                 {"error", problem.status().ToString()}});
        return problem.status();
      }
      ++summary.checked;
      metrics_.objects_checked.fetch_add(1);
      if (*problem) {
        CUSTODY_RETURN_IF_ERROR(Alarm(**problem));
        summary.problems.push_back(std::move(**problem));
      }
    }
    last = page.back();
  }
}

Result<std::optional<WormProblem>> WormReconciler::Check(const WormObject& object) {
  const auto problem = [&object](WormFinding finding, std::string detail) {
    return std::optional<WormProblem>(WormProblem{object, finding, std::move(detail)});
  };

  Result<aws::GetObjectResult> read =
      s3_.GetObject(target_.bucket, target_.credentials, object.object_key, object.version_id);
  if (!read.ok() && read.status().code() == ErrorCode::kNotFound) {
    return problem(WormFinding::kMissing, read.status().message());
  }
  if (!read.ok()) {
    return read.status();
  }
  const crypto::Sha256Digest digest = crypto::Sha256(read->body);
  const std::string sha256(crypto::AsChars(std::span<const uint8_t>(digest)));
  if (read->body.size() != object.size || sha256 != object.sha256) {
    return problem(WormFinding::kAltered, "the object has " + std::to_string(read->body.size()) +
                                              " bytes with SHA-256 " +
                                              crypto::Sha256Hex(read->body) + ", but " +
                                              std::to_string(object.size) + " bytes were exported");
  }

  CUSTODY_ASSIGN_OR_RETURN(const std::optional<std::string> difference,
                           CompareWithDatabase(object, read->body));
  if (difference) {
    return problem(WormFinding::kDatabaseDiffers, *difference);
  }
  return std::optional<WormProblem>();
}

Result<std::optional<std::string>> WormReconciler::CompareWithDatabase(const WormObject& object,
                                                                       const std::string& body) {
  std::optional<std::string> difference;
  if (object.kind == kWormKindCheckpoint) {
    CUSTODY_RETURN_IF_ERROR(db_.Read([&](store::Transaction& tx) -> Status {
      CUSTODY_ASSIGN_OR_RETURN(
          const std::optional<store::Row> row,
          tx.QueryOne("SELECT signed_note FROM audit_checkpoints WHERE organization_id = ? AND "
                      "tree_size = ?",
                      {object.organization_id, static_cast<int64_t>(object.end_seq)}));
      if (!row) {
        difference =
            "the database has no checkpoint of tree size " + std::to_string(object.end_seq);
      } else if (row->Bytes(0) != body) {
        difference = "the database's checkpoint of tree size " + std::to_string(object.end_seq) +
                     " differs from the exported one";
      }
      return Status::Ok();
    }));
    return difference;
  }

  // The bytes matched the export's checksum, so a parse failure here means the exporter wrote
  // a file it cannot read back: an internal error, not tampering.
  Result<WormRecords> records = ParseWormRecords(body);
  if (!records.ok()) {
    return Internal(object.object_key + ": " + records.status().message());
  }
  CUSTODY_RETURN_IF_ERROR(db_.Read([&](store::Transaction& tx) -> Status {
    CUSTODY_ASSIGN_OR_RETURN(
        const std::vector<store::Row> rows,
        tx.Query("SELECT seq, leaf_hash, encoded FROM audit_records WHERE organization_id = ? "
                 "AND seq >= ? AND seq < ? ORDER BY seq",
                 {object.organization_id, static_cast<int64_t>(object.first_seq),
                  static_cast<int64_t>(object.end_seq)}));
    for (size_t i = 0; i < records->entries.size(); ++i) {
      const ExportEntry& exported = records->entries[i];
      const std::string name = "record " + std::to_string(exported.seq);
      if (i >= rows.size() || static_cast<uint64_t>(rows[i].Int64(0)) != exported.seq) {
        difference = name + " is missing from the database";
        return Status::Ok();
      }
      if (rows[i].Bytes(1) != exported.leaf_hash) {
        difference = name + ": the database's leaf hash differs from the exported one";
        return Status::Ok();
      }
      // A payload purged since the export is expected; a changed one is not.
      if (!rows[i].IsNull(2) && exported.leaf && rows[i].Bytes(2) != *exported.leaf) {
        difference = name + ": the database's encoding differs from the exported one";
        return Status::Ok();
      }
    }
    return Status::Ok();
  }));
  return difference;
}

Status WormReconciler::Alarm(const WormProblem& problem) {
  const WormObject& object = problem.object;
  const std::string report_key = object.object_key + " " + object.version_id.value_or("") + " " +
                                 std::string(WormFindingName(problem.finding));
  if (!reported_.insert(report_key).second) {
    log::Warn("audit export mismatch persists", {{"organization_id", object.organization_id},
                                                 {"object_key", object.object_key},
                                                 {"version_id", object.version_id.value_or("")},
                                                 {"finding", WormFindingName(problem.finding)}});
    return Status::Ok();
  }
  metrics_.mismatches.fetch_add(1);
  log::Error("audit export mismatch", {{"organization_id", object.organization_id},
                                       {"object_key", object.object_key},
                                       {"version_id", object.version_id.value_or("")},
                                       {"finding", WormFindingName(problem.finding)},
                                       {"detail", problem.detail}});

  Record record;
  record.organization_id = object.organization_id;
  record.actor = std::string(kActorSystem);
  record.action = "audit_log.export_check";
  record.resource = "audit_worm_objects/" + object.kind + "/" + std::to_string(object.end_seq);
  record.decision = std::string(kDecisionDeny);
  record.reason = ReasonCode(problem.finding);
  record.time = clock_.Now();
  return db_.Write([&](store::Transaction& tx) -> Status { return Append(tx, record).status(); });
}

}  // namespace custody::audit
