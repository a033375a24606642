#include "custody/cli/audit.h"

#include <chrono>
#include <filesystem>
#include <optional>
#include <utility>

#include "custody/audit/checkpoint.h"
#include "custody/audit/merkle.h"
#include "custody/audit/verify.h"
#include "custody/cli/audit_client.h"
#include "custody/cli/file.h"
#include "custody/cli/terminal.h"

namespace custody::cli {
namespace {

// Bounds what verify reads into memory. An export of 10 million records is about 4 GB of JSON
// (an estimate at about 400 bytes a record).
constexpr size_t kMaxExportFileBytes = size_t{8} * 1024 * 1024 * 1024;

Result<std::vector<audit::NoteVerifier>> ParseKeys(const std::vector<std::string>& keys) {
  if (keys.empty()) {
    return InvalidArgument("at least one --key VERIFIER_KEY is required", "--key");
  }
  std::vector<audit::NoteVerifier> verifiers;
  for (const std::string& key : keys) {
    Result<audit::NoteVerifier> verifier = audit::NoteVerifier::FromVerifierKey(key);
    if (!verifier.ok()) {
      return InvalidArgument("invalid verifier key \"" + SanitizeForTerminal(key) +
                                 "\": " + verifier.status().message(),
                             "--key");
    }
    verifiers.push_back(std::move(*verifier));
  }
  return verifiers;
}

std::string Plural(uint64_t count, const char* noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

void PrintReport(const audit::VerifyReport& report, bool pinned, std::ostream& out,
                 std::ostream& err) {
  if (!report.ok()) {
    err << "verification failed: " << SanitizeForTerminal(report.problem) << "\n";
    return;
  }
  out << "verified " << SanitizeForTerminal(report.origin) << ": "
      << Plural(report.record_count, "record");
  if (report.purged_count > 0) {
    out << " (" << report.purged_count << " purged, checked by leaf hash)";
  }
  out << ", " << Plural(report.checkpoint_count, "checkpoint") << ", latest tree size "
      << report.tree_size;
  if (pinned) {
    out << ", consistent with the pinned checkpoint";
  }
  out << "\n";
  if (report.unsigned_count > 0) {
    err << "warning: " << Plural(report.unsigned_count, "record")
        << " after the latest checkpoint are not covered by a signature\n";
  }
}

// Reads the signed checkpoint saved in the monitor's state file; nullopt when there is none.
Result<std::optional<std::string>> ReadState(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return std::optional<std::string>();
  }
  CUSTODY_ASSIGN_OR_RETURN(std::string note, ReadSmallFile(path, audit::kMaxNoteSize));
  return std::optional<std::string>(std::move(note));
}

bool IsTransient(const Status& status) {
  return status.code() == ErrorCode::kUnavailable || status.code() == ErrorCode::kDeadlineExceeded;
}

enum class RoundResult {
  kConsistent,
  kInconsistent
};

// One monitor round; returns an error for failures that are not about the log's integrity.
Result<RoundResult> MonitorRound(CommandContext& context, const AuditMonitorOptions& options,
                                 std::span<const audit::NoteVerifier> keys) {
  AuditClient client(context.api);
  CUSTODY_ASSIGN_OR_RETURN(const AuditCheckpoint latest, client.GetCheckpoint());
  const std::filesystem::path state_path(options.state);
  CUSTODY_ASSIGN_OR_RETURN(const std::optional<std::string> saved, ReadState(state_path));

  // The log to follow: as configured, else as saved, else the server's on the first round.
  std::string origin = options.origin;
  std::optional<audit::Checkpoint> previous;
  if (saved) {
    Result<audit::SignedNote> note = audit::ParseSignedNote(*saved);
    Result<audit::Checkpoint> parsed =
        note.ok() ? audit::ParseCheckpoint(note->text) : Result<audit::Checkpoint>(note.status());
    if (!parsed.ok()) {
      return FailedPrecondition("the state file " + options.state +
                                " does not contain a checkpoint: " + parsed.status().message());
    }
    if (origin.empty()) {
      origin = parsed->origin;
    }
    Result<audit::Checkpoint> opened = audit::OpenCheckpoint(*saved, origin, keys);
    if (!opened.ok()) {
      return FailedPrecondition("the checkpoint in the state file " + options.state +
                                " does not verify: " + opened.status().message());
    }
    previous = std::move(*opened);
  }
  if (origin.empty()) {
    origin = latest.origin;
  }
  CUSTODY_RETURN_IF_ERROR(audit::OrganizationOfOrigin(origin).status());

  Result<audit::Checkpoint> current = audit::OpenCheckpoint(latest.signed_note, origin, keys);
  if (!current.ok()) {
    context.err << "verification failed: the server's latest checkpoint is rejected: "
                << SanitizeForTerminal(current.status().message()) << "\n";
    return RoundResult::kInconsistent;
  }

  if (previous) {
    const uint64_t old_size = previous->size;
    const uint64_t new_size = current->size;
    if (new_size < old_size) {
      context.err << "verification failed: the log shrank from " << old_size << " to " << new_size
                  << " records, so records " << new_size << "-" << old_size - 1
                  << " were removed\n";
      return RoundResult::kInconsistent;
    }
    if (new_size == old_size && current->root != previous->root) {
      context.err << "verification failed: the server signed two different roots for tree size "
                  << new_size << " (a forked log)\n";
      return RoundResult::kInconsistent;
    }
    if (new_size > old_size) {
      CUSTODY_ASSIGN_OR_RETURN(const std::vector<std::string> proof_bytes,
                               client.GetConsistencyProof(old_size, new_size));
      Result<std::vector<audit::Hash>> proof = audit::HashesFromBytes(proof_bytes);
      const Status consistent =
          proof.ok()
              ? audit::VerifyConsistency(old_size, new_size, previous->root, current->root, *proof)
              : proof.status();
      if (!consistent.ok()) {
        context.err << "verification failed: the checkpoint of tree size " << new_size
                    << " is not consistent with the saved one of size " << old_size
                    << ", so some of records 0-" << old_size - 1
                    << " were changed: " << SanitizeForTerminal(consistent.message()) << "\n";
        return RoundResult::kInconsistent;
      }
    }
  }

  if (!previous || current->size != previous->size) {
    CUSTODY_RETURN_IF_ERROR(WriteFileAtomically(state_path, latest.signed_note));
  }
  context.out << SanitizeForTerminal(origin) << ": tree size " << current->size;
  if (!previous) {
    context.out << ", first checkpoint saved";
  } else if (current->size == previous->size) {
    context.out << ", unchanged";
  } else {
    context.out << ", consistent with tree size " << previous->size;
  }
  context.out << "\n";
  return RoundResult::kConsistent;
}

}  // namespace

Status RunAuditExport(CommandContext& context, const AuditExportOptions& options) {
  AuditClient client(context.api);
  CUSTODY_ASSIGN_OR_RETURN(const audit::ExportBundle bundle, client.FetchExport());
  CUSTODY_RETURN_IF_ERROR(WriteFileAtomically(options.out, audit::SerializeExportBundle(bundle)));
  context.out << "exported " << Plural(bundle.entries.size(), "record") << " and "
              << Plural(bundle.checkpoints.size(), "checkpoint") << " of "
              << SanitizeForTerminal(bundle.origin) << " to " << options.out << "\n";
  return Status::Ok();
}

Result<bool> RunAuditVerify(std::ostream& out, std::ostream& err, ApiClient* api,
                            const AuditVerifyOptions& options) {
  audit::VerifyOptions verify_options;
  CUSTODY_ASSIGN_OR_RETURN(verify_options.trusted_keys, ParseKeys(options.keys));
  if (!options.origin.empty()) {
    CUSTODY_RETURN_IF_ERROR(audit::OrganizationOfOrigin(options.origin).status());
    verify_options.expected_origin = options.origin;
  }
  if (!options.pinned.empty()) {
    CUSTODY_ASSIGN_OR_RETURN(const std::string text,
                             ReadSmallFile(options.pinned, kMaxExportFileBytes));
    Result<audit::PinnedHistory> pinned = audit::ParsePinnedHistory(text);
    if (!pinned.ok()) {
      return InvalidArgument(
          "the pinned file " + options.pinned +
              " is neither a signed checkpoint nor an export: " + pinned.status().message(),
          "--pinned");
    }
    verify_options.pinned = std::move(*pinned);
  }

  audit::ExportBundle bundle;
  if (options.live) {
    if (api == nullptr) {
      return Internal("verifying the live log needs a server connection");
    }
    AuditClient client(*api);
    CUSTODY_ASSIGN_OR_RETURN(bundle, client.FetchExport());
  } else {
    CUSTODY_ASSIGN_OR_RETURN(const std::string text,
                             ReadSmallFile(options.file, kMaxExportFileBytes));
    Result<audit::ExportBundle> parsed = audit::ParseExportBundle(text);
    if (!parsed.ok()) {
      return InvalidArgument(options.file + ": " + parsed.status().message());
    }
    bundle = std::move(*parsed);
  }

  const audit::VerifyReport report = audit::Verify(bundle, verify_options);
  PrintReport(report, verify_options.pinned.has_value(), out, err);
  return report.ok();
}

Result<bool> RunAuditMonitor(CommandContext& context, const AuditMonitorOptions& options) {
  CUSTODY_ASSIGN_OR_RETURN(const std::vector<audit::NoteVerifier> keys, ParseKeys(options.keys));
  if (options.state.empty()) {
    return InvalidArgument("--state FILE is required", "--state");
  }
  for (int round = 1;; ++round) {
    Result<RoundResult> result = MonitorRound(context, options, keys);
    if (result.ok() && *result == RoundResult::kInconsistent) {
      return false;
    }
    if (!result.ok()) {
      if (options.once || !IsTransient(result.status())) {
        return result.status();
      }
      context.err << "warning: " << SanitizeForTerminal(result.status().message())
                  << "; retrying in " << options.interval_seconds << " s\n";
    }
    if (options.once || (options.max_rounds > 0 && round >= options.max_rounds)) {
      return true;
    }
    context.sleep(std::chrono::seconds(options.interval_seconds));
  }
}

}  // namespace custody::cli
