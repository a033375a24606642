#include "custody/audit/checkpoint_signer.h"

#include <span>

#include "custody/audit/tree_store.h"
#include "custody/crypto/encoding.h"

namespace custody::audit {
namespace {

constexpr int kLeafCheckBatch = 1000;

// The origin is not stored: it is the first line of the note text, which is what verifiers read.
std::string OriginFromNote(std::string_view note) {
  return std::string(note.substr(0, note.find('\n')));
}

Result<StoredCheckpoint> CheckpointFromRow(const store::Row& row) {
  StoredCheckpoint checkpoint;
  checkpoint.organization_id = row.Text(0);
  checkpoint.tree_size = static_cast<uint64_t>(row.Int64(1));
  Result<Hash> root = HashFromBytes(row.Bytes(2));
  if (!root.ok()) {
    return Internal("audit checkpoint of size " + std::to_string(checkpoint.tree_size) +
                    " has a damaged root");
  }
  checkpoint.root = *root;
  checkpoint.signed_note = row.Text(3);
  checkpoint.key_ids = row.Text(4);
  checkpoint.created_at = row.Time(5);
  checkpoint.origin = OriginFromNote(checkpoint.signed_note);
  return checkpoint;
}

Result<std::optional<StoredCheckpoint>> QueryOneCheckpoint(
    store::Transaction& tx, std::string_view sql, std::initializer_list<store::Param> params) {
  CUSTODY_ASSIGN_OR_RETURN(std::optional<store::Row> row, tx.QueryOne(sql, params));
  if (!row.has_value()) {
    return std::optional<StoredCheckpoint>();
  }
  CUSTODY_ASSIGN_OR_RETURN(StoredCheckpoint checkpoint, CheckpointFromRow(*row));
  return std::optional<StoredCheckpoint>(std::move(checkpoint));
}

// Checks the leaves [first, end) of the log against their records' payloads and level-0 nodes.
Status CheckLeaves(store::Transaction& tx, std::string_view organization_id, uint64_t first,
                   uint64_t end) {
  uint64_t next = first;
  while (next < end) {
    CUSTODY_ASSIGN_OR_RETURN(
        std::vector<store::Row> rows,
        tx.Query("SELECT r.seq, r.leaf_hash, r.encoded, n.hash FROM audit_records r "
                 "LEFT JOIN audit_nodes n ON n.organization_id = r.organization_id "
                 "AND n.level = 0 AND n.idx = r.seq "
                 "WHERE r.organization_id = ? AND r.seq >= ? AND r.seq < ? ORDER BY r.seq LIMIT ?",
                 {organization_id, static_cast<int64_t>(next), static_cast<int64_t>(end),
                  kLeafCheckBatch}));
    if (rows.empty()) {
      return Internal("audit log '" + std::string(organization_id) + "' is missing record " +
                      std::to_string(next));
    }
    for (const store::Row& row : rows) {
      const auto seq = static_cast<uint64_t>(row.Int64(0));
      if (seq != next) {
        return Internal("audit log '" + std::string(organization_id) + "' is missing record " +
                        std::to_string(next));
      }
      const std::string leaf_hash = row.Bytes(1);
      if (row.IsNull(3) || row.Bytes(3) != leaf_hash) {
        return Internal("audit record " + std::to_string(seq) + " of log '" +
                        std::string(organization_id) + "' does not match its tree leaf");
      }
      if (!row.IsNull(2) && HashBytes(LeafHash(row.Bytes(2))) != leaf_hash) {
        return Internal("audit record " + std::to_string(seq) + " of log '" +
                        std::string(organization_id) + "' does not match its leaf hash");
      }
      ++next;
    }
  }
  return Status::Ok();
}

std::string KeyIds(std::span<const NoteSigner> signers) {
  std::string ids;
  for (const NoteSigner& signer : signers) {
    if (!ids.empty()) {
      ids += ' ';
    }
    const uint32_t id = signer.key_id();
    const std::string big_endian = {static_cast<char>(id >> 24), static_cast<char>(id >> 16),
                                    static_cast<char>(id >> 8), static_cast<char>(id)};
    ids += crypto::HexEncode(big_endian);
  }
  return ids;
}

}  // namespace

std::string CheckpointOrigin(std::string_view origin_host, std::string_view organization_id) {
  return std::string(origin_host) + "/audit/" + std::string(organization_id);
}

std::string SigningKeyName(std::string_view origin_host) {
  return std::string(origin_host) + "/audit";
}

Result<std::optional<StoredCheckpoint>> LatestCheckpoint(store::Transaction& tx,
                                                         std::string_view organization_id) {
  return QueryOneCheckpoint(tx,
                            "SELECT organization_id, tree_size, root_hash, signed_note, key_ids, "
                            "created_at FROM audit_checkpoints WHERE organization_id = ? "
                            "ORDER BY tree_size DESC LIMIT 1",
                            {organization_id});
}

Result<std::optional<StoredCheckpoint>> CheckpointAtSize(store::Transaction& tx,
                                                         std::string_view organization_id,
                                                         uint64_t tree_size) {
  if (tree_size > static_cast<uint64_t>(INT64_MAX)) {
    return std::optional<StoredCheckpoint>();
  }
  return QueryOneCheckpoint(tx,
                            "SELECT organization_id, tree_size, root_hash, signed_note, key_ids, "
                            "created_at FROM audit_checkpoints WHERE organization_id = ? "
                            "AND tree_size = ?",
                            {organization_id, static_cast<int64_t>(tree_size)});
}

Result<std::vector<StoredCheckpoint>> ListCheckpoints(store::Transaction& tx,
                                                      std::string_view organization_id,
                                                      uint64_t after_size, int limit) {
  if (limit < 1 || limit > kMaxCheckpointsPerRead) {
    return InvalidArgument("limit must be between 1 and " + std::to_string(kMaxCheckpointsPerRead),
                           "limit");
  }
  std::vector<StoredCheckpoint> checkpoints;
  if (after_size >= static_cast<uint64_t>(INT64_MAX)) {
    return checkpoints;
  }
  CUSTODY_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query("SELECT organization_id, tree_size, root_hash, signed_note, key_ids, created_at "
               "FROM audit_checkpoints WHERE organization_id = ? AND tree_size > ? "
               "ORDER BY tree_size LIMIT ?",
               {organization_id, static_cast<int64_t>(after_size), limit}));
  for (const store::Row& row : rows) {
    CUSTODY_ASSIGN_OR_RETURN(StoredCheckpoint checkpoint, CheckpointFromRow(row));
    checkpoints.push_back(std::move(checkpoint));
  }
  return checkpoints;
}

Result<CheckpointSigner> CheckpointSigner::Create(std::string origin_host,
                                                  std::vector<NoteSigner> signers) {
  if (origin_host.empty()) {
    return InvalidArgument("the audit origin host is empty", "audit.origin_host");
  }
  if (signers.empty()) {
    return InvalidArgument("no audit signing key is configured", "audit.signing_key_file");
  }
  const std::string expected_name = SigningKeyName(origin_host);
  for (const NoteSigner& signer : signers) {
    if (signer.name() != expected_name) {
      return InvalidArgument("audit signing key '" + signer.name() + "' must be named '" +
                                 expected_name + "', after audit.origin_host",
                             "audit.signing_key_file");
    }
  }
  for (size_t i = 0; i < signers.size(); ++i) {
    for (size_t j = i + 1; j < signers.size(); ++j) {
      if (signers[i].key_id() == signers[j].key_id()) {
        return InvalidArgument("the same audit signing key is configured twice",
                               "audit.previous_signing_key_files");
      }
    }
  }
  return CheckpointSigner(std::move(origin_host), std::move(signers));
}

std::vector<NoteVerifier> CheckpointSigner::Verifiers() const {
  std::vector<NoteVerifier> verifiers;
  verifiers.reserve(signers_.size());
  for (const NoteSigner& signer : signers_) {
    verifiers.push_back(signer.Verifier());
  }
  return verifiers;
}

Result<SignOutcome> CheckpointSigner::SignLatest(store::Transaction& tx,
                                                 std::string_view organization_id,
                                                 SystemTime now) const {
  if (tx.read_only()) {
    return Internal("checkpoints can only be signed in a write transaction");
  }
  CUSTODY_ASSIGN_OR_RETURN(const CompactRange head, ReadHead(tx, organization_id));
  const uint64_t size = head.size();
  if (size == 0) {
    return NotFound("the audit log has no records to sign");
  }
  CUSTODY_ASSIGN_OR_RETURN(std::optional<StoredCheckpoint> existing,
                           CheckpointAtSize(tx, organization_id, size));
  if (existing.has_value()) {
    return SignOutcome{std::move(*existing), false};
  }

  const std::string log_name = "audit log '" + std::string(organization_id) + "'";
  const StoredNodeReader reader(tx, std::string(organization_id));
  Result<Hash> root_from_nodes = RootFromNodes(reader, size);
  if (!root_from_nodes.ok()) {
    return Internal("not signing " + log_name + " at size " + std::to_string(size) +
                    ": its tree cannot be read: " + root_from_nodes.status().message());
  }
  const Hash root = head.Root();
  if (*root_from_nodes != root) {
    return Internal("not signing " + log_name + " at size " + std::to_string(size) +
                    ": the root from audit_nodes differs from the head's compact range");
  }

  CUSTODY_ASSIGN_OR_RETURN(std::optional<StoredCheckpoint> previous,
                           LatestCheckpoint(tx, organization_id));
  // NOTE: a log's first checkpoint checks every leaf inside this write transaction, so a log
  // that grew large before it was ever signed holds the write lock for that whole read.
  const uint64_t first_unchecked = previous.has_value() ? previous->tree_size : 0;
  const Status leaves = CheckLeaves(tx, organization_id, first_unchecked, size);
  if (!leaves.ok()) {
    return Internal("not signing " + log_name + " at size " + std::to_string(size) + ": " +
                    leaves.message());
  }
  if (previous.has_value()) {
    // LatestCheckpoint returned the largest size, and size was not signed, so previous < size
    // unless the head shrank, which the triggers forbid.
    if (previous->tree_size > size) {
      return Internal("not signing " + log_name + ": the log has " + std::to_string(size) +
                      " records but was checkpointed at " + std::to_string(previous->tree_size));
    }
    Result<std::vector<Hash>> proof = ConsistencyProof(reader, previous->tree_size, size);
    Status consistent =
        proof.ok() ? VerifyConsistency(previous->tree_size, size, previous->root, root, *proof)
                   : proof.status();
    if (!consistent.ok()) {
      return Internal("not signing " + log_name + " at size " + std::to_string(size) +
                      ": it is not consistent with the checkpoint of size " +
                      std::to_string(previous->tree_size) + ": " + consistent.message());
    }
  }

  Checkpoint checkpoint;
  checkpoint.origin = CheckpointOrigin(origin_host_, organization_id);
  checkpoint.size = size;
  checkpoint.root = root;
  CUSTODY_ASSIGN_OR_RETURN(const std::string text, FormatCheckpoint(checkpoint));
  CUSTODY_ASSIGN_OR_RETURN(std::string note, SignNote(text, signers_));

  StoredCheckpoint stored;
  stored.organization_id = std::string(organization_id);
  stored.origin = checkpoint.origin;
  stored.tree_size = size;
  stored.root = root;
  stored.signed_note = std::move(note);
  stored.key_ids = KeyIds(signers_);
  stored.created_at = now;
  // The no-replace trigger and the primary key (organization_id, tree_size) are the last line
  // against two roots for one size: a second INSERT of the same size fails here.
  CUSTODY_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO audit_checkpoints (organization_id, tree_size, root_hash, "
                 "signed_note, key_ids, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                 {stored.organization_id, static_cast<int64_t>(size),
                  store::Blob{std::string(HashBytes(root))}, stored.signed_note, stored.key_ids,
                  store::ToUnixMicros(now)})
          .status());
  return SignOutcome{std::move(stored), true};
}

}  // namespace custody::audit
