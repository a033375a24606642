#include "custody/audit/verify.h"

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>

#include "custody/audit/record.h"
#include "custody/crypto/encoding.h"

namespace custody::audit {
namespace {

using nlohmann::json;

constexpr std::string_view kOriginMarker = "/audit/";

Status InvalidBundle(const std::string& message) {
  return InvalidArgument("invalid audit export: " + message);
}

Result<std::string> StringField(const json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) {
    return InvalidBundle(where + " has no string \"" + key + "\"");
  }
  return it->get<std::string>();
}

Result<std::string> Base64Field(const json& object, const char* key, const std::string& where) {
  CUSTODY_ASSIGN_OR_RETURN(const std::string text, StringField(object, key, where));
  std::optional<std::string> bytes = crypto::Base64Decode(text);
  if (!bytes) {
    return InvalidBundle(where + " has invalid base64 in \"" + key + "\"");
  }
  return std::move(*bytes);
}

Result<ExportEntry> ParseEntry(const json& object, size_t index) {
  const std::string where = "entries[" + std::to_string(index) + "]";
  if (!object.is_object()) {
    return InvalidBundle(where + " is not an object");
  }
  ExportEntry entry;
  const auto seq = object.find("seq");
  if (seq == object.end() || !seq->is_number_unsigned()) {
    return InvalidBundle(where + " has no unsigned integer \"seq\"");
  }
  entry.seq = seq->get<uint64_t>();
  const auto leaf = object.find("leaf");
  if (leaf == object.end()) {
    return InvalidBundle(where + " has no \"leaf\" (null when purged)");
  }
  if (!leaf->is_null()) {
    CUSTODY_ASSIGN_OR_RETURN(entry.leaf, Base64Field(object, "leaf", where));
  }
  CUSTODY_ASSIGN_OR_RETURN(entry.leaf_hash, Base64Field(object, "leaf_hash", where));
  const auto event_class = object.find("event_class");
  if (event_class != object.end() && event_class->is_string()) {
    entry.event_class = event_class->get<std::string>();
  }
  return entry;
}

Result<ExportVerifierKey> ParseVerifierKey(const json& value, size_t index) {
  const std::string where = "verifier_keys[" + std::to_string(index) + "]";
  ExportVerifierKey key;
  if (value.is_string()) {
    key.verifier_key = value.get<std::string>();
    return key;
  }
  if (!value.is_object()) {
    return InvalidBundle(where + " is neither a string nor an object");
  }
  CUSTODY_ASSIGN_OR_RETURN(key.verifier_key, StringField(value, "verifier_key", where));
  const auto status = value.find("status");
  if (status != value.end() && status->is_string()) {
    key.status = status->get<std::string>();
  }
  return key;
}

const json* ArrayField(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_array()) {
    return nullptr;
  }
  return &*it;
}

// "record 4" or "records 4-9", for the half-open range [begin, end).
std::string RecordRange(uint64_t begin, uint64_t end) {
  if (end == begin + 1) {
    return "record " + std::to_string(begin);
  }
  return "records " + std::to_string(begin) + "-" + std::to_string(end - 1);
}

VerifyReport Failure(VerifyReport report, VerifyOutcome outcome, std::string problem,
                     std::optional<uint64_t> seq = std::nullopt) {
  report.outcome = outcome;
  report.problem = std::move(problem);
  report.seq = seq;
  return report;
}

// The origin of a signed checkpoint, read without verifying anything.
Result<std::string> UnverifiedOrigin(std::string_view note) {
  CUSTODY_ASSIGN_OR_RETURN(const SignedNote parsed, ParseSignedNote(note));
  CUSTODY_ASSIGN_OR_RETURN(const Checkpoint checkpoint, ParseCheckpoint(parsed.text));
  return checkpoint.origin;
}

// Opens a checkpoint, telling a checkpoint of another log apart from a bad signature.
Result<Checkpoint> OpenFor(std::string_view note, const std::string& origin,
                           std::span<const NoteVerifier> keys, bool* wrong_origin) {
  *wrong_origin = false;
  Result<std::string> claimed = UnverifiedOrigin(note);
  if (claimed.ok() && *claimed != origin) {
    *wrong_origin = true;
    return InvalidArgument("its origin is \"" + *claimed + "\", not \"" + origin + "\"");
  }
  return OpenCheckpoint(note, origin, keys);
}

// Describes why the entry at `index` does not carry seq `index`: a gap when that seq appears
// nowhere later in the list, otherwise a reordered or duplicated record.
std::string ContiguityProblem(const std::vector<ExportEntry>& entries, size_t index) {
  const uint64_t expected = index;
  const uint64_t found = entries[index].seq;
  if (found > expected) {
    const bool appears_later =
        std::any_of(entries.begin() + static_cast<std::ptrdiff_t>(index) + 1, entries.end(),
                    [expected](const ExportEntry& entry) { return entry.seq == expected; });
    if (!appears_later) {
      return RecordRange(expected, found) + (found == expected + 1 ? " is" : " are") +
             " missing: the export continues with seq " + std::to_string(found);
    }
  }
  return "seq " + std::to_string(found) + " appears where " + std::to_string(expected) +
         " is expected";
}

// Checks one entry on its own: hash length, encoding, position, organization and leaf hash.
std::optional<std::string> RecordProblem(const ExportEntry& entry, uint64_t seq,
                                         const std::string& organization_id) {
  const std::string name = "record " + std::to_string(seq);
  if (entry.leaf_hash.size() != kHashSize) {
    return name + ": leaf_hash is " + std::to_string(entry.leaf_hash.size()) + " bytes, not 32";
  }
  if (!entry.leaf) {
    return std::nullopt;
  }
  Result<DecodedRecord> decoded = Decode(*entry.leaf);
  if (!decoded.ok()) {
    return name + ": the leaf does not decode: " + decoded.status().message();
  }
  if (decoded->seq != seq) {
    return name + ": its leaf contains seq " + std::to_string(decoded->seq);
  }
  if (decoded->record.organization_id != organization_id) {
    return name + ": its leaf belongs to organization \"" + decoded->record.organization_id +
           "\", not \"" + organization_id + "\"";
  }
  const Hash computed = LeafHash(*entry.leaf);
  if (HashBytes(computed) != entry.leaf_hash) {
    return name + ": leaf hash mismatch";
  }
  return std::nullopt;
}

// The pinned checkpoint, opened, and the leaf hashes of the pinned records when there are any.
struct OpenedPin {
  Checkpoint checkpoint;
  std::vector<std::string> leaf_hashes;
};

}  // namespace

Result<ExportBundle> ParseExportBundle(std::string_view json_text) {
  const json document = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!document.is_object()) {
    return InvalidBundle("not a JSON object");
  }
  CUSTODY_ASSIGN_OR_RETURN(const std::string format, StringField(document, "format", "the export"));
  if (format != kExportFormat) {
    return InvalidBundle("format \"" + format + "\" is not " + std::string(kExportFormat));
  }
  ExportBundle bundle;
  CUSTODY_ASSIGN_OR_RETURN(bundle.origin, StringField(document, "origin", "the export"));

  const json* keys = ArrayField(document, "verifier_keys");
  const json* checkpoints = ArrayField(document, "checkpoints");
  const json* entries = ArrayField(document, "entries");
  if (keys == nullptr || checkpoints == nullptr || entries == nullptr) {
    return InvalidBundle("\"verifier_keys\", \"checkpoints\" and \"entries\" must be arrays");
  }
  for (size_t i = 0; i < keys->size(); ++i) {
    CUSTODY_ASSIGN_OR_RETURN(ExportVerifierKey key, ParseVerifierKey((*keys)[i], i));
    bundle.verifier_keys.push_back(std::move(key));
  }
  for (size_t i = 0; i < checkpoints->size(); ++i) {
    if (!(*checkpoints)[i].is_string()) {
      return InvalidBundle("checkpoints[" + std::to_string(i) + "] is not a string");
    }
    bundle.checkpoints.push_back((*checkpoints)[i].get<std::string>());
  }
  bundle.entries.reserve(entries->size());
  for (size_t i = 0; i < entries->size(); ++i) {
    CUSTODY_ASSIGN_OR_RETURN(ExportEntry entry, ParseEntry((*entries)[i], i));
    bundle.entries.push_back(std::move(entry));
  }
  return bundle;
}

Result<ExportEntry> ParseExportEntry(std::string_view json_text) {
  const json document = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return InvalidBundle("an entry is not valid JSON");
  }
  return ParseEntry(document, 0);
}

Result<std::vector<ExportEntry>> ParseEntriesPage(std::string_view json_text, uint64_t* tree_size) {
  const json document = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!document.is_object()) {
    return InvalidBundle("the entries page is not a JSON object");
  }
  const auto size = document.find("tree_size");
  if (size == document.end() || !size->is_number_unsigned()) {
    return InvalidBundle("the entries page has no unsigned integer \"tree_size\"");
  }
  *tree_size = size->get<uint64_t>();
  const json* entries = ArrayField(document, "entries");
  if (entries == nullptr) {
    return InvalidBundle("the entries page has no \"entries\" array");
  }
  std::vector<ExportEntry> parsed;
  parsed.reserve(entries->size());
  for (size_t i = 0; i < entries->size(); ++i) {
    CUSTODY_ASSIGN_OR_RETURN(ExportEntry entry, ParseEntry((*entries)[i], i));
    parsed.push_back(std::move(entry));
  }
  return parsed;
}

std::string SerializeExportBundle(const ExportBundle& bundle) {
  json keys = json::array();
  for (const ExportVerifierKey& key : bundle.verifier_keys) {
    keys.push_back({{"verifier_key", key.verifier_key}, {"status", key.status}});
  }
  json entries = json::array();
  for (const ExportEntry& entry : bundle.entries) {
    json leaf = nullptr;
    if (entry.leaf) {
      leaf = crypto::Base64Encode(*entry.leaf);
    }
    entries.push_back({{"seq", entry.seq},
                       {"leaf", std::move(leaf)},
                       {"leaf_hash", crypto::Base64Encode(entry.leaf_hash)},
                       {"event_class", entry.event_class}});
  }
  const json document = {{"format", kExportFormat},
                         {"origin", bundle.origin},
                         {"verifier_keys", std::move(keys)},
                         {"checkpoints", bundle.checkpoints},
                         {"entries", std::move(entries)}};
  return document.dump(1) + "\n";
}

Result<std::string> OrganizationOfOrigin(std::string_view origin) {
  const size_t marker = origin.find(kOriginMarker);
  if (marker == std::string_view::npos || marker == 0) {
    return InvalidArgument("\"" + std::string(origin) +
                           "\" is not a Custody audit log origin (<host>/audit/<organization id>)");
  }
  const std::string_view organization = origin.substr(marker + kOriginMarker.size());
  if (organization.find('/') != std::string_view::npos) {
    return InvalidArgument("\"" + std::string(origin) +
                           "\" is not a Custody audit log origin (<host>/audit/<organization id>)");
  }
  return std::string(organization);
}

Result<PinnedHistory> ParsePinnedHistory(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  PinnedHistory pinned;
  if (first == std::string_view::npos || text[first] != '{') {
    pinned.checkpoint = std::string(text);
    return pinned;
  }
  CUSTODY_ASSIGN_OR_RETURN(ExportBundle bundle, ParseExportBundle(text));
  if (bundle.checkpoints.empty()) {
    return InvalidArgument("the pinned export has no checkpoint to pin");
  }
  pinned.checkpoint = bundle.checkpoints.back();
  pinned.records = std::move(bundle);
  return pinned;
}

VerifyReport Verify(const ExportBundle& bundle, const VerifyOptions& options) {
  VerifyReport report;
  report.checkpoint_count = bundle.checkpoints.size();
  report.record_count = bundle.entries.size();

  // The expected log: stated by the caller, implied by the pin, or taken from the bundle.
  std::string origin = bundle.origin;
  if (options.expected_origin) {
    origin = *options.expected_origin;
  } else if (options.pinned) {
    Result<std::string> pinned_origin = UnverifiedOrigin(options.pinned->checkpoint);
    if (!pinned_origin.ok()) {
      return Failure(report, VerifyOutcome::kBadCheckpoint,
                     "the pinned checkpoint is invalid: " + pinned_origin.status().message());
    }
    origin = *pinned_origin;
  }
  report.origin = origin;
  if (bundle.origin != origin) {
    return Failure(report, VerifyOutcome::kWrongOrigin,
                   "the export is of log \"" + bundle.origin + "\", not \"" + origin + "\"");
  }
  Result<std::string> organization_id = OrganizationOfOrigin(origin);
  if (!organization_id.ok()) {
    return Failure(report, VerifyOutcome::kWrongOrigin, organization_id.status().message());
  }

  // Signatures first: nothing else in the bundle means anything without them.
  std::vector<Checkpoint> checkpoints;
  for (size_t i = 0; i < bundle.checkpoints.size(); ++i) {
    bool wrong_origin = false;
    Result<Checkpoint> opened =
        OpenFor(bundle.checkpoints[i], origin, options.trusted_keys, &wrong_origin);
    const std::string name =
        "checkpoint " + std::to_string(i + 1) + " of " + std::to_string(bundle.checkpoints.size());
    if (!opened.ok()) {
      return Failure(report,
                     wrong_origin ? VerifyOutcome::kWrongOrigin : VerifyOutcome::kBadCheckpoint,
                     name + " is rejected: " + opened.status().message());
    }
    if (!checkpoints.empty() && opened->size < checkpoints.back().size) {
      return Failure(report, VerifyOutcome::kBadCheckpoint,
                     name + " has size " + std::to_string(opened->size) +
                         ", smaller than the size " + std::to_string(checkpoints.back().size) +
                         " of the one before: the log shrank or the list is out of order");
    }
    checkpoints.push_back(std::move(*opened));
  }
  if (checkpoints.empty()) {
    return Failure(report, VerifyOutcome::kNothingSigned,
                   "the export has no signed checkpoint, so none of its records can be verified");
  }
  const uint64_t tree_size = checkpoints.back().size;
  report.tree_size = tree_size;

  std::optional<OpenedPin> pin;
  if (options.pinned) {
    bool wrong_origin = false;
    Result<Checkpoint> opened =
        OpenFor(options.pinned->checkpoint, origin, options.trusted_keys, &wrong_origin);
    if (!opened.ok()) {
      return Failure(report,
                     wrong_origin ? VerifyOutcome::kWrongOrigin : VerifyOutcome::kBadCheckpoint,
                     "the pinned checkpoint is rejected: " + opened.status().message());
    }
    pin.emplace();
    pin->checkpoint = std::move(*opened);
    if (options.pinned->records) {
      VerifyOptions pinned_options;
      pinned_options.trusted_keys = options.trusted_keys;
      pinned_options.expected_origin = origin;
      const VerifyReport pinned_report = Verify(*options.pinned->records, pinned_options);
      if (!pinned_report.ok()) {
        return Failure(report, VerifyOutcome::kPinnedMismatch,
                       "the pinned export does not verify: " + pinned_report.problem);
      }
      if (options.pinned->records->entries.size() < pin->checkpoint.size) {
        return Failure(report, VerifyOutcome::kPinnedMismatch,
                       "the pinned export has fewer records than its pinned checkpoint covers");
      }
      for (uint64_t i = 0; i < pin->checkpoint.size; ++i) {
        pin->leaf_hashes.push_back(options.pinned->records->entries[i].leaf_hash);
      }
    }
    if (pin->checkpoint.size > tree_size) {
      return Failure(report, VerifyOutcome::kPinnedMismatch,
                     "the pinned checkpoint has size " + std::to_string(pin->checkpoint.size) +
                         " but the export's latest has size " + std::to_string(tree_size) +
                         ": the log shrank, so " + RecordRange(tree_size, pin->checkpoint.size) +
                         (pin->checkpoint.size == tree_size + 1 ? " is" : " are") + " gone");
    }
  }

  // One pass in record order, so that the first problem reported is the earliest one.
  CompactRange range;
  size_t next_checkpoint = 0;
  uint64_t verified_size = 0;  // the size of the last checkpoint whose root matched
  // ParseCheckpoint already requires the empty tree's root for size 0.
  while (next_checkpoint < checkpoints.size() && checkpoints[next_checkpoint].size == 0) {
    ++next_checkpoint;
  }
  for (size_t index = 0; index < bundle.entries.size(); ++index) {
    const ExportEntry& entry = bundle.entries[index];
    const uint64_t seq = index;
    if (entry.seq != seq) {
      return Failure(report, VerifyOutcome::kBadRecord, ContiguityProblem(bundle.entries, index),
                     seq);
    }
    if (std::optional<std::string> problem = RecordProblem(entry, seq, *organization_id)) {
      return Failure(report, VerifyOutcome::kBadRecord, *problem, seq);
    }
    if (!entry.leaf) {
      ++report.purged_count;
    }
    if (pin && seq < pin->leaf_hashes.size() && pin->leaf_hashes[seq] != entry.leaf_hash) {
      return Failure(report, VerifyOutcome::kPinnedMismatch,
                     "record " + std::to_string(seq) +
                         " differs from the pinned export: its leaf hash changed",
                     seq);
    }

    range.Append(*HashFromBytes(entry.leaf_hash));
    const uint64_t size = seq + 1;
    while (next_checkpoint < checkpoints.size() && checkpoints[next_checkpoint].size == size) {
      if (checkpoints[next_checkpoint].root != range.Root()) {
        report = Failure(report, VerifyOutcome::kRootMismatch,
                         "the signed root of checkpoint " + std::to_string(next_checkpoint + 1) +
                             " (size " + std::to_string(size) +
                             ") differs from the root of the records, so at least one of " +
                             RecordRange(verified_size, size) + " was changed");
        report.range_begin = verified_size;
        report.range_end = size;
        return report;
      }
      verified_size = size;
      ++next_checkpoint;
    }
    if (pin && pin->checkpoint.size == size && pin->checkpoint.root != range.Root()) {
      report =
          Failure(report, VerifyOutcome::kPinnedMismatch,
                  "the records differ from the pinned checkpoint of size " + std::to_string(size) +
                      ": the log was rewritten somewhere in " + RecordRange(0, size));
      report.range_begin = 0;
      report.range_end = size;
      return report;
    }
  }

  if (bundle.entries.size() < tree_size) {
    const uint64_t first_missing = bundle.entries.size();
    return Failure(report, VerifyOutcome::kBadRecord,
                   RecordRange(first_missing, tree_size) +
                       (tree_size == first_missing + 1 ? " is" : " are") +
                       " missing: the latest checkpoint covers " + std::to_string(tree_size) +
                       " records but the export ends after " + std::to_string(first_missing),
                   first_missing);
  }
  report.unsigned_count = bundle.entries.size() - tree_size;
  return report;
}

}  // namespace custody::audit
