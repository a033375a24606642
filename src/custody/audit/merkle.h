// RFC 9162 Merkle tree hashing, compact ranges, and inclusion and consistency proofs for the
// audit log. Pure functions over hashes: no storage, no clock, no network.
//
// Tree shape and hashes (RFC 9162 section 2.1.1): leaf hash = SHA-256(0x00 || leaf bytes),
// interior node = SHA-256(0x01 || left || right), the empty tree's root = SHA-256(""). A tree
// of n > 1 leaves splits at k, the largest power of two below n, so every complete subtree is
// aligned: the node at (level, index) covers leaves [index * 2^level, (index + 1) * 2^level).
//
// Hashes are exactly 32 bytes by type. Bytes from outside (a JSON proof, a checkpoint line)
// become a Hash only through HashFromBytes, which rejects every other length, so a truncated,
// empty or padded hash can never reach a verifier.
//
// Consistency from size 0 is rejected, both when generating and when verifying, including
// 0 -> 0. RFC 9162 section 2.1.4.2 defines verification only for 0 < first < second, and
// transparency-dev/merkle (commit 417fb0c) rejects size 0 too. Every tree extends the empty
// tree, so such a proof carries no information, and a caller that passes size 0 would get a
// success that verified nothing. A verifier with no earlier checkpoint has no root to compare
// and must handle that case itself. SignCheckpoint (checkpoint.h) never signs size 0. The
// proposed CCTV vectors accept 0 -> 0 and 0 -> 1 with an empty proof, and the tests expect
// rejection for exactly those cases.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/status.h"

namespace custody::audit {

inline constexpr size_t kHashSize = 32;

using Hash = std::array<uint8_t, kHashSize>;

// Returns the hash in `bytes`, or InvalidArgument unless `bytes` is exactly 32 bytes long.
Result<Hash> HashFromBytes(std::string_view bytes);

// Converts each element as HashFromBytes does; the error names the first bad element.
Result<std::vector<Hash>> HashesFromBytes(std::span<const std::string> elements);

std::string_view HashBytes(const Hash& hash);

// SHA-256(0x00 || leaf_bytes).
Hash LeafHash(std::string_view leaf_bytes);

// SHA-256(0x01 || left || right).
Hash NodeHash(const Hash& left, const Hash& right);

// SHA-256 of the empty string: the root of the tree with no leaves.
Hash EmptyRoot();

// Computes the root of the tree whose leaves have the given leaf hashes, in order.
Hash RootFromLeaves(std::span<const Hash> leaf_hashes);

// The roots of the perfect subtrees that make up a tree of `size` leaves: one per set bit of
// `size`, largest (leftmost) first. That is O(log n) hashes, enough to append the next leaf
// and compute the root without reading the tree again (the "right border" of the tree).
class CompactRange {
 public:
  // Called once for each node that an append completes: first the leaf itself (level 0), then
  // each interior node that the leaf finishes, bottom up. A node table or tile store writes
  // these, and never needs to change them again.
  using NodeVisitor = std::function<void(uint64_t level, uint64_t index, const Hash& hash)>;

  CompactRange() = default;

  // Restores a range saved from hashes() and size(). Fails unless there is exactly one hash
  // per set bit of `size`.
  static Result<CompactRange> FromState(uint64_t size, std::vector<Hash> hashes);

  void Append(const Hash& leaf_hash, const NodeVisitor& visitor = nullptr);

  // Computes the root of the tree so far: EmptyRoot() when it has no leaves.
  Hash Root() const;

  uint64_t size() const { return size_; }

  const std::vector<Hash>& hashes() const { return hashes_; }

 private:
  CompactRange(uint64_t size, std::vector<Hash> hashes) : size_(size), hashes_(std::move(hashes)) {}

  uint64_t size_ = 0;
  std::vector<Hash> hashes_;
};

// Read access to the complete subtrees of a log, as stored by a node table or a tile store.
// Proof generation reads O(log n) nodes through it and never reads a leaf's data.
class NodeReader {
 public:
  virtual ~NodeReader() = default;

  // Returns the root of the complete subtree at `level` (its height: 0 for a leaf hash) and
  // `index` (its position among the subtrees of that level, from 0). Fails when the subtree
  // is not complete or not stored.
  virtual Result<Hash> Node(uint64_t level, uint64_t index) const = 0;
};

// Computes the root of the first `tree_size` leaves from complete subtrees: at most one read
// per set bit of `tree_size`.
Result<Hash> RootFromNodes(const NodeReader& reader, uint64_t tree_size);

// Generates the RFC 9162 section 2.1.3.1 inclusion proof (audit path) for the leaf at
// `leaf_index` in the tree of `tree_size` leaves, lowest sibling first.
// InvalidArgument unless leaf_index < tree_size.
Result<std::vector<Hash>> InclusionProof(const NodeReader& reader, uint64_t leaf_index,
                                         uint64_t tree_size);

// Generates the RFC 9162 section 2.1.4.1 consistency proof from the tree of `size1` leaves
// to the tree of `size2` leaves. Empty when size1 == size2. InvalidArgument unless
// 0 < size1 <= size2 (see the header comment for size 0).
Result<std::vector<Hash>> ConsistencyProof(const NodeReader& reader, uint64_t size1,
                                           uint64_t size2);

// Verifies an inclusion proof with the RFC 9162 section 2.1.3.2 algorithm. Returns
// InvalidArgument, with the reason, when leaf_index >= tree_size, the proof has the wrong
// number of elements, or the computed root differs from `root`.
Status VerifyInclusion(const Hash& leaf_hash, uint64_t leaf_index, uint64_t tree_size,
                       std::span<const Hash> proof, const Hash& root);

// Verifies a consistency proof with the RFC 9162 section 2.1.4.2 algorithm. When
// size1 == size2, the proof must be empty and the roots equal. Returns InvalidArgument when
// size1 == 0, size1 > size2, the proof has the wrong number of elements, or either computed
// root differs.
Status VerifyConsistency(uint64_t size1, uint64_t size2, const Hash& root1, const Hash& root2,
                         std::span<const Hash> proof);

// A NodeReader over a tree held in memory, for tests, benchmarks and offline verification
// of an exported log. Stores every complete node: about 2n hashes (64 bytes per leaf).
class InMemoryTree : public NodeReader {
 public:
  void Append(const Hash& leaf_hash);

  Result<Hash> Node(uint64_t level, uint64_t index) const override;

  uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }

  Hash Root() const { return range_.Root(); }

 private:
  std::vector<std::vector<Hash>> levels_;  // levels_[level][index]
  CompactRange range_;
};

}  // namespace custody::audit
