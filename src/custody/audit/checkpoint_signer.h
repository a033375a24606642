// Signed checkpoints of the per-organization audit logs, stored in audit_checkpoints.
//
// Origins and key names: the log of organization X has the checkpoint origin
// "<origin host>/audit/X" (the deployment log, X = "", has "<origin host>/audit/"), and every
// key signs as "<origin host>/audit". One key name for all logs lets a verifier pin one
// verifier key per deployment, while the origin keeps a checkpoint of one log from ever
// verifying as another's.
//
// Signing a checkpoint is not itself an audit record: that record would grow the log, which
// would call for another checkpoint, without end. The checkpoints table is the record of what
// was signed, and its rows never change.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/audit/checkpoint.h"
#include "custody/audit/merkle.h"
#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/store/database.h"

namespace custody::audit {

// Returns "<origin_host>/audit/<organization_id>".
std::string CheckpointOrigin(std::string_view origin_host, std::string_view organization_id);

// Returns "<origin_host>/audit".
std::string SigningKeyName(std::string_view origin_host);

// One row of audit_checkpoints.
struct StoredCheckpoint {
  std::string organization_id;
  std::string origin;
  uint64_t tree_size = 0;
  Hash root{};
  std::string signed_note;  // the full C2SP signed note
  std::string key_ids;      // 8 hex digits per signing key, space-separated
  SystemTime created_at;
};

// Returns the checkpoint of the log with the largest tree size, if any.
Result<std::optional<StoredCheckpoint>> LatestCheckpoint(store::Transaction& tx,
                                                         std::string_view organization_id);

// Returns the checkpoint of exactly `tree_size`, if one was signed.
Result<std::optional<StoredCheckpoint>> CheckpointAtSize(store::Transaction& tx,
                                                         std::string_view organization_id,
                                                         uint64_t tree_size);

inline constexpr int kMaxCheckpointsPerRead = 1000;

// Returns up to `limit` (1..kMaxCheckpointsPerRead) checkpoints with tree_size > after_size,
// smallest first.
Result<std::vector<StoredCheckpoint>> ListCheckpoints(store::Transaction& tx,
                                                      std::string_view organization_id,
                                                      uint64_t after_size, int limit);

struct SignOutcome {
  StoredCheckpoint checkpoint;
  bool created = false;  // false when a checkpoint of this size already existed
};

// Signs checkpoints with every configured key: the current one first, then previous keys that
// are still in their overlap period, so verifiers that pin either key accept the notes.
class CheckpointSigner {
 public:
  // Fails unless there is at least one signer and every signer is named
  // SigningKeyName(origin_host).
  static Result<CheckpointSigner> Create(std::string origin_host, std::vector<NoteSigner> signers);

  const std::string& origin_host() const { return origin_host_; }

  // The verifier keys of the configured signers, current first.
  std::vector<NoteVerifier> Verifiers() const;

  // Signs a checkpoint of the log's current size in `tx` (a write transaction), or returns the
  // stored one when that size was already signed. Before signing it checks, and returns
  // kInternal without signing when any check fails:
  // * the root recomputed from audit_nodes equals the root of the head's compact range;
  // * the leaf hash of every record appended since the previous checkpoint equals both
  //   SHA-256(0x00 || encoded) (unless purged) and the level-0 node;
  // * the stored root of the previous checkpoint is consistent with the new root, through a
  //   consistency proof built from audit_nodes and checked with VerifyConsistency.
  // Returns kNotFound when the log has no records: size 0 is never signed.
  Result<SignOutcome> SignLatest(store::Transaction& tx, std::string_view organization_id,
                                 SystemTime now) const;

 private:
  CheckpointSigner(std::string origin_host, std::vector<NoteSigner> signers)
      : origin_host_(std::move(origin_host)), signers_(std::move(signers)) {}

  std::string origin_host_;
  std::vector<NoteSigner> signers_;
};

}  // namespace custody::audit
