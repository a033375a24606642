#include "custody/audit/verify.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "custody/audit/record.h"
#include "custody/crypto/ed25519.h"

namespace custody::audit {
namespace {

constexpr std::string_view kKeyName = "custody.example/audit";
constexpr std::string_view kOrigin = "custody.example/audit/org_1";
constexpr std::string_view kOtherOrigin = "custody.example/audit/org_2";
constexpr uint64_t kRecords = 10;
const std::vector<uint64_t> kCheckpointSizes = {3, 6, 10};

NoteSigner MakeSigner(std::string_view name) {
  Result<NoteSigner> signer = NoteSigner::Create(name, crypto::Ed25519PrivateKey::Generate());
  EXPECT_TRUE(signer.ok()) << signer.status().ToString();
  return std::move(signer).value();
}

// The real deployment key, and one an attacker made with the same name.
const NoteSigner& RealSigner() {
  static const NoteSigner* signer = new NoteSigner(MakeSigner(kKeyName));
  return *signer;
}

const NoteSigner& AttackerSigner() {
  static const NoteSigner* signer = new NoteSigner(MakeSigner(kKeyName));
  return *signer;
}

Record MakeRecord(std::string_view organization_id, uint64_t seq, std::string_view action) {
  Record record;
  record.organization_id = std::string(organization_id);
  record.actor = "usr_" + std::to_string(seq);
  record.action = std::string(action);
  record.resource = "evidence/evd_" + std::to_string(seq);
  record.decision = std::string(kDecisionAllow);
  record.request_id = "req_" + std::to_string(seq);
  record.source = "127.0.0.1";
  record.time = FromUnixSeconds(1700000000 + static_cast<int64_t>(seq));
  return record;
}

ExportEntry MakeEntry(uint64_t seq, const Record& record) {
  ExportEntry entry;
  entry.seq = seq;
  entry.leaf = Encode(seq, record);
  entry.leaf_hash = std::string(HashBytes(LeafHash(*entry.leaf)));
  entry.event_class = "access";
  return entry;
}

std::string SignedCheckpoint(std::string_view origin, const std::vector<ExportEntry>& entries,
                             uint64_t size, const NoteSigner& signer) {
  std::vector<Hash> hashes;
  for (uint64_t i = 0; i < size; ++i) {
    hashes.push_back(*HashFromBytes(entries[i].leaf_hash));
  }
  Checkpoint checkpoint;
  checkpoint.origin = std::string(origin);
  checkpoint.size = size;
  checkpoint.root = RootFromLeaves(hashes);
  Result<std::string> note = SignCheckpoint(checkpoint, signer);
  EXPECT_TRUE(note.ok()) << note.status().ToString();
  return note.ok() ? *note : "";
}

// Re-signs every checkpoint of `bundle` over its current entries.
void Resign(ExportBundle& bundle, const NoteSigner& signer,
            const std::vector<uint64_t>& sizes = kCheckpointSizes) {
  bundle.checkpoints.clear();
  for (uint64_t size : sizes) {
    bundle.checkpoints.push_back(SignedCheckpoint(bundle.origin, bundle.entries, size, signer));
  }
}

ExportBundle MakeBundle(std::string_view origin = kOrigin, std::string_view action = "a.read") {
  ExportBundle bundle;
  bundle.origin = std::string(origin);
  bundle.verifier_keys.push_back({RealSigner().Verifier().VerifierKey(), "active"});
  const std::string organization_id = *OrganizationOfOrigin(origin);
  for (uint64_t seq = 0; seq < kRecords; ++seq) {
    bundle.entries.push_back(MakeEntry(seq, MakeRecord(organization_id, seq, action)));
  }
  Resign(bundle, RealSigner());
  return bundle;
}

VerifyOptions Trusting(const NoteSigner& signer) {
  VerifyOptions options;
  options.trusted_keys.push_back(signer.Verifier());
  options.expected_origin = std::string(kOrigin);
  return options;
}

void FlipLastByte(ExportEntry& entry) {
  entry.leaf->back() ^= 0x01;
}

TEST(VerifyTest, AcceptsIntactExport) {
  const VerifyReport report = Verify(MakeBundle(), Trusting(RealSigner()));
  EXPECT_TRUE(report.ok()) << report.problem;
  EXPECT_EQ(report.tree_size, kRecords);
  EXPECT_EQ(report.record_count, kRecords);
  EXPECT_EQ(report.checkpoint_count, kCheckpointSizes.size());
  EXPECT_EQ(report.unsigned_count, 0u);
  EXPECT_EQ(report.origin, kOrigin);
}

TEST(VerifyTest, AcceptsPurgedPayloadByLeafHash) {
  ExportBundle bundle = MakeBundle();
  bundle.entries[2].leaf.reset();
  const VerifyReport report = Verify(bundle, Trusting(RealSigner()));
  EXPECT_TRUE(report.ok()) << report.problem;
  EXPECT_EQ(report.purged_count, 1u);
}

TEST(VerifyTest, CountsRecordsAfterLatestCheckpoint) {
  ExportBundle bundle = MakeBundle();
  Resign(bundle, RealSigner(), {3, 6});
  const VerifyReport report = Verify(bundle, Trusting(RealSigner()));
  EXPECT_TRUE(report.ok()) << report.problem;
  EXPECT_EQ(report.tree_size, 6u);
  EXPECT_EQ(report.unsigned_count, 4u);
}

TEST(VerifyTest, AcceptsMatchingPinnedCheckpointAndExport) {
  const ExportBundle bundle = MakeBundle();
  ExportBundle earlier = bundle;
  earlier.entries.resize(6);
  earlier.checkpoints.pop_back();

  VerifyOptions by_checkpoint = Trusting(RealSigner());
  by_checkpoint.pinned = PinnedHistory{bundle.checkpoints[1], std::nullopt};
  const VerifyReport checkpoint_report = Verify(bundle, by_checkpoint);
  EXPECT_TRUE(checkpoint_report.ok()) << checkpoint_report.problem;

  VerifyOptions by_export = Trusting(RealSigner());
  by_export.pinned = PinnedHistory{earlier.checkpoints.back(), earlier};
  const VerifyReport export_report = Verify(bundle, by_export);
  EXPECT_TRUE(export_report.ok()) << export_report.problem;
}

struct TamperCase {
  std::string name;
  // Changes the bundle and may add a pin to the options.
  std::function<void(ExportBundle&, VerifyOptions&)> tamper;
  VerifyOutcome outcome;
  std::optional<uint64_t> seq;
  std::string problem_part;
  std::optional<std::pair<uint64_t, uint64_t>> range;
};

// A different history of the same size: record 4's action differs, and every checkpoint is
// signed again over the new records by `signer`.
void RewriteHistory(ExportBundle& bundle, const NoteSigner& signer) {
  bundle.entries[4] = MakeEntry(4, MakeRecord("org_1", 4, "a.rewritten"));
  Resign(bundle, signer);
}

const TamperCase kTamperCases[] = {
    {"FlippedByte", [](ExportBundle& bundle, VerifyOptions&) { FlipLastByte(bundle.entries[4]); },
     VerifyOutcome::kBadRecord, 4, "record 4: leaf hash mismatch", std::nullopt},
    {"FlippedByteWithRecomputedLeafHash",
     [](ExportBundle& bundle, VerifyOptions&) {
       FlipLastByte(bundle.entries[4]);
       bundle.entries[4].leaf_hash = std::string(HashBytes(LeafHash(*bundle.entries[4].leaf)));
     },
     VerifyOutcome::kRootMismatch, std::nullopt, "at least one of records 3-5 was changed",
     std::pair<uint64_t, uint64_t>{3, 6}},
    {"FlippedByteNamedByPinnedExport",
     [](ExportBundle& bundle, VerifyOptions& options) {
       options.pinned = PinnedHistory{bundle.checkpoints.back(), bundle};
       FlipLastByte(bundle.entries[4]);
       bundle.entries[4].leaf_hash = std::string(HashBytes(LeafHash(*bundle.entries[4].leaf)));
     },
     VerifyOutcome::kPinnedMismatch, 4, "record 4 differs from the pinned export", std::nullopt},
    {"FlippedLeafHashOfPurgedRecord",
     [](ExportBundle& bundle, VerifyOptions&) {
       bundle.entries[7].leaf.reset();
       bundle.entries[7].leaf_hash[0] ^= 0x01;
     },
     VerifyOutcome::kRootMismatch, std::nullopt, "records 6-9",
     std::pair<uint64_t, uint64_t>{6, 10}},
    {"DeletedRecord",
     [](ExportBundle& bundle, VerifyOptions&) { bundle.entries.erase(bundle.entries.begin() + 4); },
     VerifyOutcome::kBadRecord, 4, "record 4 is missing", std::nullopt},
    {"DeletedTwoRecords",
     [](ExportBundle& bundle, VerifyOptions&) {
       bundle.entries.erase(bundle.entries.begin() + 4, bundle.entries.begin() + 6);
     },
     VerifyOutcome::kBadRecord, 4, "records 4-5 are missing", std::nullopt},
    {"ReorderedRecords",
     [](ExportBundle& bundle, VerifyOptions&) { std::swap(bundle.entries[4], bundle.entries[5]); },
     VerifyOutcome::kBadRecord, 4, "seq 5 appears where 4 is expected", std::nullopt},
    {"SwappedLeavesUnderTheirPositions",
     [](ExportBundle& bundle, VerifyOptions&) {
       std::swap(bundle.entries[4].leaf, bundle.entries[5].leaf);
       std::swap(bundle.entries[4].leaf_hash, bundle.entries[5].leaf_hash);
     },
     VerifyOutcome::kBadRecord, 4, "record 4: its leaf contains seq 5", std::nullopt},
    {"DuplicatedRecord",
     [](ExportBundle& bundle, VerifyOptions&) {
       bundle.entries.insert(bundle.entries.begin() + 4, bundle.entries[3]);
     },
     VerifyOutcome::kBadRecord, 4, "seq 3 appears where 4 is expected", std::nullopt},
    {"TruncatedTail", [](ExportBundle& bundle, VerifyOptions&) { bundle.entries.resize(8); },
     VerifyOutcome::kBadRecord, 8, "records 8-9 are missing", std::nullopt},
    {"RecordOfAnotherOrganization",
     [](ExportBundle& bundle, VerifyOptions&) {
       bundle.entries[2] = MakeEntry(2, MakeRecord("org_2", 2, "a.read"));
       Resign(bundle, RealSigner());
     },
     VerifyOutcome::kBadRecord, 2, "belongs to organization \"org_2\"", std::nullopt},
    {"UndecodableLeaf",
     [](ExportBundle& bundle, VerifyOptions&) {
       bundle.entries[1].leaf->push_back('x');
       bundle.entries[1].leaf_hash = std::string(HashBytes(LeafHash(*bundle.entries[1].leaf)));
       Resign(bundle, RealSigner());
     },
     VerifyOutcome::kBadRecord, 1, "record 1: the leaf does not decode", std::nullopt},
    {"ShortLeafHash",
     [](ExportBundle& bundle, VerifyOptions&) { bundle.entries[0].leaf_hash.pop_back(); },
     VerifyOutcome::kBadRecord, 0, "leaf_hash is 31 bytes, not 32", std::nullopt},
    {"HistoryResignedByAttackerKey",
     [](ExportBundle& bundle, VerifyOptions&) { RewriteHistory(bundle, AttackerSigner()); },
     VerifyOutcome::kBadCheckpoint, std::nullopt, "checkpoint 1 of 3 is rejected", std::nullopt},
    {"HistoryResignedByRealKeyAgainstPinnedCheckpoint",
     [](ExportBundle& bundle, VerifyOptions& options) {
       options.pinned = PinnedHistory{bundle.checkpoints[1], std::nullopt};
       RewriteHistory(bundle, RealSigner());
     },
     VerifyOutcome::kPinnedMismatch, std::nullopt,
     "differ from the pinned checkpoint of size 6: the log was rewritten somewhere in records 0-5",
     std::pair<uint64_t, uint64_t>{0, 6}},
    {"HistoryResignedByRealKeyAgainstPinnedExport",
     [](ExportBundle& bundle, VerifyOptions& options) {
       options.pinned = PinnedHistory{bundle.checkpoints.back(), bundle};
       RewriteHistory(bundle, RealSigner());
     },
     VerifyOutcome::kPinnedMismatch, 4, "record 4 differs from the pinned export", std::nullopt},
    {"ShrunkBelowPinnedCheckpoint",
     [](ExportBundle& bundle, VerifyOptions& options) {
       options.pinned = PinnedHistory{bundle.checkpoints.back(), std::nullopt};
       bundle.entries.resize(6);
       Resign(bundle, RealSigner(), {3, 6});
     },
     VerifyOutcome::kPinnedMismatch, std::nullopt, "the log shrank, so records 6-9 are gone",
     std::nullopt},
    {"UntrustedKeyOnly",
     [](ExportBundle& bundle, VerifyOptions&) {
       Resign(bundle, MakeSigner("other.example/audit"));
     },
     VerifyOutcome::kBadCheckpoint, std::nullopt, "checkpoint 1 of 3 is rejected", std::nullopt},
    {"CheckpointsOutOfOrder",
     [](ExportBundle& bundle, VerifyOptions&) {
       std::swap(bundle.checkpoints[1], bundle.checkpoints[2]);
     },
     VerifyOutcome::kBadCheckpoint, std::nullopt, "checkpoint 3 of 3 has size 6, smaller than",
     std::nullopt},
    {"NoCheckpoint", [](ExportBundle& bundle, VerifyOptions&) { bundle.checkpoints.clear(); },
     VerifyOutcome::kNothingSigned, std::nullopt, "no signed checkpoint", std::nullopt},
    {"ExportOfAnotherOrganization",
     [](ExportBundle& bundle, VerifyOptions&) { bundle = MakeBundle(kOtherOrigin); },
     VerifyOutcome::kWrongOrigin, std::nullopt,
     "the export is of log \"custody.example/audit/org_2\"", std::nullopt},
    {"CheckpointOfAnotherOrganization",
     [](ExportBundle& bundle, VerifyOptions&) {
       bundle.checkpoints[0] = MakeBundle(kOtherOrigin).checkpoints[0];
     },
     VerifyOutcome::kWrongOrigin, std::nullopt,
     "checkpoint 1 of 3 is rejected: its origin is \"custody.example/audit/org_2\"", std::nullopt},
    {"PinnedCheckpointOfAnotherOrganization",
     [](ExportBundle&, VerifyOptions& options) {
       options.pinned = PinnedHistory{MakeBundle(kOtherOrigin).checkpoints[0], std::nullopt};
     },
     VerifyOutcome::kWrongOrigin, std::nullopt, "the pinned checkpoint is rejected", std::nullopt},
    {"PinnedCheckpointLargerThanPinnedExport",
     [](ExportBundle& bundle, VerifyOptions& options) {
       ExportBundle pinned = bundle;
       pinned.entries.resize(6);
       pinned.checkpoints.pop_back();
       options.pinned = PinnedHistory{bundle.checkpoints.back(), pinned};
     },
     VerifyOutcome::kPinnedMismatch, std::nullopt, "fewer records than its pinned checkpoint",
     std::nullopt},
    {"PinnedExportThatFails",
     [](ExportBundle& bundle, VerifyOptions& options) {
       ExportBundle pinned = bundle;
       FlipLastByte(pinned.entries[1]);
       options.pinned = PinnedHistory{pinned.checkpoints.back(), pinned};
     },
     VerifyOutcome::kPinnedMismatch, std::nullopt,
     "the pinned export does not verify: record 1: leaf hash mismatch", std::nullopt},
};

class VerifyTamperTest : public testing::TestWithParam<TamperCase> {};

TEST_P(VerifyTamperTest, DetectsAndNamesProblem) {
  const TamperCase& test_case = GetParam();
  ExportBundle bundle = MakeBundle();
  VerifyOptions options = Trusting(RealSigner());
  test_case.tamper(bundle, options);

  const VerifyReport report = Verify(bundle, options);
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.outcome, test_case.outcome) << report.problem;
  EXPECT_EQ(report.seq, test_case.seq) << report.problem;
  EXPECT_NE(report.problem.find(test_case.problem_part), std::string::npos) << report.problem;
  if (test_case.range) {
    EXPECT_EQ(report.range_begin, test_case.range->first);
    EXPECT_EQ(report.range_end, test_case.range->second);
  }
}

INSTANTIATE_TEST_SUITE_P(Tampering, VerifyTamperTest, testing::ValuesIn(kTamperCases),
                         [](const testing::TestParamInfo<TamperCase>& param_info) {
                           return param_info.param.name;
                         });

TEST(VerifyTest, UsesPinnedOriginByDefault) {
  VerifyOptions options;
  options.trusted_keys.push_back(RealSigner().Verifier());
  options.pinned = PinnedHistory{MakeBundle(kOtherOrigin).checkpoints[0], std::nullopt};
  const VerifyReport report = Verify(MakeBundle(), options);
  EXPECT_EQ(report.outcome, VerifyOutcome::kWrongOrigin) << report.problem;
  EXPECT_EQ(report.origin, kOtherOrigin);
}

TEST(VerifyTest, UsesBundleOriginAsLastResort) {
  VerifyOptions options;
  options.trusted_keys.push_back(RealSigner().Verifier());
  const VerifyReport report = Verify(MakeBundle(kOtherOrigin), options);
  EXPECT_TRUE(report.ok()) << report.problem;
  EXPECT_EQ(report.origin, kOtherOrigin);
}

TEST(ExportBundleTest, SerializeThenParseRoundTrips) {
  ExportBundle bundle = MakeBundle();
  bundle.entries[3].leaf.reset();
  Result<ExportBundle> parsed = ParseExportBundle(SerializeExportBundle(bundle));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->origin, bundle.origin);
  EXPECT_EQ(parsed->checkpoints, bundle.checkpoints);
  ASSERT_EQ(parsed->verifier_keys.size(), 1u);
  EXPECT_EQ(parsed->verifier_keys[0].verifier_key, bundle.verifier_keys[0].verifier_key);
  EXPECT_EQ(parsed->verifier_keys[0].status, "active");
  ASSERT_EQ(parsed->entries.size(), bundle.entries.size());
  for (size_t i = 0; i < bundle.entries.size(); ++i) {
    EXPECT_EQ(parsed->entries[i].seq, bundle.entries[i].seq);
    EXPECT_EQ(parsed->entries[i].leaf, bundle.entries[i].leaf);
    EXPECT_EQ(parsed->entries[i].leaf_hash, bundle.entries[i].leaf_hash);
    EXPECT_EQ(parsed->entries[i].event_class, bundle.entries[i].event_class);
  }
}

TEST(ExportBundleTest, ParseRejectsMalformedBundles) {
  const std::string valid_entry = R"({"seq": 0, "leaf": null, "leaf_hash": "AAAA"})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[]", "not a JSON object"},
      {"{", "not a JSON object"},
      {R"({"format": "other", "origin": "o", "verifier_keys": [], "checkpoints": [],
           "entries": []})",
       "format \"other\""},
      {R"({"format": "custody.audit-export.v1", "verifier_keys": [], "checkpoints": [],
           "entries": []})",
       "no string \"origin\""},
      {R"({"format": "custody.audit-export.v1", "origin": "o", "verifier_keys": [],
           "checkpoints": {}, "entries": []})",
       "must be arrays"},
      {R"({"format": "custody.audit-export.v1", "origin": "o", "verifier_keys": [],
           "checkpoints": [1], "entries": []})",
       "checkpoints[0] is not a string"},
      {R"({"format": "custody.audit-export.v1", "origin": "o", "verifier_keys": [],
           "checkpoints": [], "entries": [{"seq": -1, "leaf": null, "leaf_hash": "AAAA"}]})",
       "no unsigned integer \"seq\""},
      {R"({"format": "custody.audit-export.v1", "origin": "o", "verifier_keys": [],
           "checkpoints": [], "entries": [{"seq": 0, "leaf_hash": "AAAA"}]})",
       "no \"leaf\""},
      {R"({"format": "custody.audit-export.v1", "origin": "o", "verifier_keys": [],
           "checkpoints": [], "entries": [{"seq": 0, "leaf": "!!", "leaf_hash": "AAAA"}]})",
       "invalid base64 in \"leaf\""},
      {R"({"format": "custody.audit-export.v1", "origin": "o", "verifier_keys": [7],
           "checkpoints": [], "entries": [)" +
           valid_entry + "]}",
       "verifier_keys[0] is neither"},
  };
  for (const auto& [text, expected] : cases) {
    Result<ExportBundle> parsed = ParseExportBundle(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_NE(parsed.status().message().find(expected), std::string::npos)
        << parsed.status().message();
  }
}

TEST(OrganizationOfOriginTest, AcceptsOnlyAuditOrigins) {
  EXPECT_EQ(*OrganizationOfOrigin("custody.example/audit/org_1"), "org_1");
  EXPECT_EQ(*OrganizationOfOrigin("custody.example/audit/"), "");
  EXPECT_FALSE(OrganizationOfOrigin("custody.example/audit").ok());
  EXPECT_FALSE(OrganizationOfOrigin("/audit/org_1").ok());
  EXPECT_FALSE(OrganizationOfOrigin("custody.example/audit/org_1/x").ok());
  EXPECT_FALSE(OrganizationOfOrigin("custody.example/logs/org_1").ok());
}

TEST(PinnedHistoryTest, ParsesCheckpointOrExport) {
  const ExportBundle bundle = MakeBundle();
  Result<PinnedHistory> from_note = ParsePinnedHistory(bundle.checkpoints[0]);
  ASSERT_TRUE(from_note.ok()) << from_note.status().ToString();
  EXPECT_EQ(from_note->checkpoint, bundle.checkpoints[0]);
  EXPECT_FALSE(from_note->records.has_value());

  Result<PinnedHistory> from_export = ParsePinnedHistory(SerializeExportBundle(bundle));
  ASSERT_TRUE(from_export.ok()) << from_export.status().ToString();
  EXPECT_EQ(from_export->checkpoint, bundle.checkpoints.back());
  ASSERT_TRUE(from_export->records.has_value());
  EXPECT_EQ(from_export->records->entries.size(), kRecords);

  ExportBundle unsigned_bundle = bundle;
  unsigned_bundle.checkpoints.clear();
  EXPECT_FALSE(ParsePinnedHistory(SerializeExportBundle(unsigned_bundle)).ok());
}

}  // namespace
}  // namespace custody::audit
