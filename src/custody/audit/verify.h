// Offline verification of an organization's exported audit trail: the export bundle that
// `custody audit export` writes (docs/audit-export.md), checked against verifier keys the
// caller trusts and, optionally, a checkpoint or an earlier export pinned from before. Pure
// functions: no network, no clock, no database.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "custody/audit/checkpoint.h"
#include "custody/audit/merkle.h"
#include "custody/common/status.h"

namespace custody::audit {

inline constexpr std::string_view kExportFormat = "custody.audit-export.v1";

// One record of the log as GET /api/v1/audit/entries returns it, with base64 decoded.
struct ExportEntry {
  uint64_t seq = 0;
  std::optional<std::string> leaf;  // the version 1 encoding; nullopt once the payload is purged
  std::string leaf_hash;            // raw bytes as sent; Verify checks that there are 32
  std::string event_class;
};

// A verifier key listed by the server. Informational only: Verify trusts only the keys that
// its caller passes.
struct ExportVerifierKey {
  std::string verifier_key;
  std::string status;  // "active" or "retired"
};

struct ExportBundle {
  std::string origin;
  std::vector<ExportVerifierKey> verifier_keys;
  std::vector<std::string> checkpoints;  // signed note texts, oldest first
  std::vector<ExportEntry> entries;
};

// Parses the JSON export bundle. Rejects a format other than kExportFormat, a missing or
// mistyped field, and base64 that does not decode. Contiguity, hashes and signatures are left
// to Verify, so that it can name the first bad record.
Result<ExportBundle> ParseExportBundle(std::string_view json_text);

// Parses one entry, a JSON object in the shape of the entries of GET /api/v1/audit/entries.
Result<ExportEntry> ParseExportEntry(std::string_view json_text);

// Parses the body of GET /api/v1/audit/entries: {"tree_size", "entries": [...]}, each entry
// as in the bundle. Stores the server's tree size in `tree_size`.
Result<std::vector<ExportEntry>> ParseEntriesPage(std::string_view json_text, uint64_t* tree_size);

// Serializes `bundle` as the JSON that ParseExportBundle reads.
std::string SerializeExportBundle(const ExportBundle& bundle);

// Returns the organization id of an audit log origin "<host>/audit/<organization id>", which
// is "" for the deployment log "<host>/audit/". Returns InvalidArgument for any other shape.
Result<std::string> OrganizationOfOrigin(std::string_view origin);

// A caller's trusted view of the log from earlier: a signed checkpoint and, when the caller
// kept a whole earlier export, that export's records too.
struct PinnedHistory {
  std::string checkpoint;               // signed note text
  std::optional<ExportBundle> records;  // an earlier export whose latest checkpoint is `checkpoint`
};

// Returns the pinned history in `text`: an export bundle (JSON, its latest checkpoint becomes
// the pin) or a signed checkpoint note. An export without a checkpoint is rejected.
Result<PinnedHistory> ParsePinnedHistory(std::string_view text);

struct VerifyOptions {
  std::vector<NoteVerifier> trusted_keys;
  // The log the caller means to verify. Unset: the pinned checkpoint's origin, else the
  // bundle's own origin, which then proves only that the bundle is self-consistent.
  std::optional<std::string> expected_origin;
  std::optional<PinnedHistory> pinned;
};

enum class VerifyOutcome {
  kOk,
  kWrongOrigin,     // the bundle or a checkpoint belongs to another log
  kBadCheckpoint,   // a checkpoint is malformed or lacks a valid signature from a trusted key
  kBadRecord,       // a record fails its own checks; `seq` names it
  kRootMismatch,    // a signed root differs from the root of the records; `range_*` set
  kPinnedMismatch,  // the records disagree with the pinned history; `seq` set when known
  kNothingSigned,   // the bundle has no checkpoint, so nothing in it is authenticated
};

struct VerifyReport {
  VerifyOutcome outcome = VerifyOutcome::kOk;
  // One sentence naming what failed, e.g. "record 7: leaf hash mismatch". Empty when ok.
  std::string problem;
  std::optional<uint64_t> seq;  // the first bad record, when one can be named
  // The records [range_begin, range_end) that a mismatching root covers; the bad record lies
  // among them.
  std::optional<uint64_t> range_begin;
  std::optional<uint64_t> range_end;

  std::string origin;
  uint64_t tree_size = 0;  // the latest checkpoint's size
  uint64_t checkpoint_count = 0;
  uint64_t record_count = 0;
  uint64_t purged_count = 0;  // records whose payload is purged, checked by leaf hash only
  // Records after the latest checkpoint: decoded and checked, but no signature covers them.
  uint64_t unsigned_count = 0;

  bool ok() const { return outcome == VerifyOutcome::kOk; }
};

// Verifies the bundle, stopping at the first problem in record order:
// * every checkpoint opens with OpenCheckpoint for the expected origin and the trusted keys,
//   and no checkpoint is smaller than the one before it;
// * the entries are contiguous from seq 0, without gaps, duplicates or reordering;
// * each present leaf decodes (Decode) to a record whose seq is its position and whose
//   organization is the origin's, and LeafHash(leaf) equals its leaf_hash;
// * each checkpoint's root equals the root of its first tree_size leaf hashes, which also
//   makes consecutive checkpoints consistent, because all of them describe one list of leaves;
// * the pinned checkpoint's root equals the root of the records up to its size, and with
//   pinned records, each leaf hash equals the pinned one, which names the first changed record.
VerifyReport Verify(const ExportBundle& bundle, const VerifyOptions& options);

}  // namespace custody::audit
