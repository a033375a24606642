#include "custody/audit/merkle.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "custody/crypto/hash.h"

namespace custody::audit {
namespace {

constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kNodePrefix = 0x01;

// The largest power of two strictly below n, where the RFC 9162 tree of n leaves splits.
// Requires n >= 2.
uint64_t SplitPoint(uint64_t n) {
  return std::bit_floor(n - 1);
}

// Computes the root of the leaves [begin, end), which must be a node of the tree: a complete
// subtree, or the right border of a tree that ends at `end`. Such a range starts at a multiple
// of every power of two up to its size, so it splits into one complete subtree per set bit
// of end - begin, largest first.
Result<Hash> RangeRoot(const NodeReader& reader, uint64_t begin, uint64_t end) {
  if (end <= begin) {
    return Internal("empty leaf range [" + std::to_string(begin) + ", " + std::to_string(end) +
                    ") has no root");
  }
  std::vector<Hash> nodes;
  const uint64_t width = end - begin;
  uint64_t position = begin;
  for (int level = 63; level >= 0; --level) {
    const uint64_t subtree_size = uint64_t{1} << level;
    if ((width & subtree_size) == 0) {
      continue;
    }
    if ((position & (subtree_size - 1)) != 0) {
      return Internal("leaf range [" + std::to_string(begin) + ", " + std::to_string(end) +
                      ") is not a node of the tree");
    }
    CUSTODY_ASSIGN_OR_RETURN(Hash node,
                             reader.Node(static_cast<uint64_t>(level), position >> level));
    nodes.push_back(node);
    position += subtree_size;
  }
  Hash root = nodes.back();
  for (size_t i = nodes.size() - 1; i > 0; --i) {
    root = NodeHash(nodes[i - 1], root);
  }
  return root;
}

// Shifts both indexes right until fn is odd or zero: the RFC 9162 step that skips the levels
// where the node on the right border has no sibling.
void SkipLevelsWithoutSibling(uint64_t& fn, uint64_t& sn) {
  while ((fn & 1) == 0 && fn != 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

}  // namespace

Result<Hash> HashFromBytes(std::string_view bytes) {
  if (bytes.size() != kHashSize) {
    return InvalidArgument("hash must be 32 bytes, got " + std::to_string(bytes.size()));
  }
  Hash hash;
  std::memcpy(hash.data(), bytes.data(), kHashSize);
  return hash;
}

Result<std::vector<Hash>> HashesFromBytes(std::span<const std::string> elements) {
  std::vector<Hash> hashes;
  hashes.reserve(elements.size());
  for (size_t i = 0; i < elements.size(); ++i) {
    Result<Hash> hash = HashFromBytes(elements[i]);
    if (!hash.ok()) {
      return hash.status().WithContext("element " + std::to_string(i));
    }
    hashes.push_back(*hash);
  }
  return hashes;
}

std::string_view HashBytes(const Hash& hash) {
  return {reinterpret_cast<const char*>(hash.data()), hash.size()};
}

Hash LeafHash(std::string_view leaf_bytes) {
  std::string input;
  input.reserve(1 + leaf_bytes.size());
  input.push_back(static_cast<char>(kLeafPrefix));
  input.append(leaf_bytes);
  return crypto::Sha256(input);
}

Hash NodeHash(const Hash& left, const Hash& right) {
  std::array<char, 1 + 2 * kHashSize> input;
  input[0] = static_cast<char>(kNodePrefix);
  std::memcpy(input.data() + 1, left.data(), kHashSize);
  std::memcpy(input.data() + 1 + kHashSize, right.data(), kHashSize);
  return crypto::Sha256(std::string_view(input.data(), input.size()));
}

Hash EmptyRoot() {
  return crypto::Sha256("");
}

Hash RootFromLeaves(std::span<const Hash> leaf_hashes) {
  if (leaf_hashes.empty()) {
    return EmptyRoot();
  }
  if (leaf_hashes.size() == 1) {
    return leaf_hashes[0];
  }
  const size_t split = SplitPoint(leaf_hashes.size());
  return NodeHash(RootFromLeaves(leaf_hashes.first(split)),
                  RootFromLeaves(leaf_hashes.subspan(split)));
}

Result<CompactRange> CompactRange::FromState(uint64_t size, std::vector<Hash> hashes) {
  const auto expected = static_cast<size_t>(std::popcount(size));
  if (hashes.size() != expected) {
    return InvalidArgument("compact range of size " + std::to_string(size) + " needs " +
                           std::to_string(expected) + " hashes, got " +
                           std::to_string(hashes.size()));
  }
  return CompactRange(size, std::move(hashes));
}

void CompactRange::Append(const Hash& leaf_hash, const NodeVisitor& visitor) {
  if (visitor) {
    visitor(0, size_, leaf_hash);
  }
  // Each set low bit of size_ is a perfect subtree of that height waiting for a right sibling
  // of the same height: merge until the first clear bit.
  Hash node = leaf_hash;
  uint64_t index = size_;
  uint64_t level = 0;
  while (level < 64 && ((size_ >> level) & 1) != 0) {
    node = NodeHash(hashes_.back(), node);
    hashes_.pop_back();
    ++level;
    index >>= 1;
    if (visitor) {
      visitor(level, index, node);
    }
  }
  hashes_.push_back(node);
  ++size_;
}

Hash CompactRange::Root() const {
  if (hashes_.empty()) {
    return EmptyRoot();
  }
  Hash root = hashes_.back();
  for (size_t i = hashes_.size() - 1; i > 0; --i) {
    root = NodeHash(hashes_[i - 1], root);
  }
  return root;
}

Result<Hash> RootFromNodes(const NodeReader& reader, uint64_t tree_size) {
  if (tree_size == 0) {
    return EmptyRoot();
  }
  return RangeRoot(reader, 0, tree_size);
}

Result<std::vector<Hash>> InclusionProof(const NodeReader& reader, uint64_t leaf_index,
                                         uint64_t tree_size) {
  if (leaf_index >= tree_size) {
    return InvalidArgument("leaf index " + std::to_string(leaf_index) +
                           " is not below the tree size " + std::to_string(tree_size));
  }
  // Walks RFC 9162 PATH(m, D[begin:end]) from the root down. Each step records the root of the
  // half that does not contain the leaf; the proof lists them from the leaf up.
  std::vector<Hash> proof;
  uint64_t begin = 0;
  uint64_t end = tree_size;
  while (end - begin > 1) {
    const uint64_t split = begin + SplitPoint(end - begin);
    if (leaf_index < split) {
      CUSTODY_ASSIGN_OR_RETURN(Hash sibling, RangeRoot(reader, split, end));
      proof.push_back(sibling);
      end = split;
    } else {
      CUSTODY_ASSIGN_OR_RETURN(Hash sibling, RangeRoot(reader, begin, split));
      proof.push_back(sibling);
      begin = split;
    }
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

Result<std::vector<Hash>> ConsistencyProof(const NodeReader& reader, uint64_t size1,
                                           uint64_t size2) {
  if (size1 == 0) {
    return InvalidArgument("consistency proof from an empty tree is not defined");
  }
  if (size1 > size2) {
    return InvalidArgument("consistency proof needs size1 <= size2, got " + std::to_string(size1) +
                           " > " + std::to_string(size2));
  }
  // Walks RFC 9162 SUBPROOF(m, D[begin:end], b) from the root down. `old_is_complete` is b: it
  // stays true while the old tree is a complete left subtree of the current range, whose root
  // the verifier already holds.
  std::vector<Hash> top_down;
  uint64_t begin = 0;
  uint64_t end = size2;
  bool old_is_complete = true;
  std::vector<Hash> proof;
  while (end != size1) {
    const uint64_t split = begin + SplitPoint(end - begin);
    if (size1 <= split) {
      CUSTODY_ASSIGN_OR_RETURN(Hash right, RangeRoot(reader, split, end));
      top_down.push_back(right);
      end = split;
    } else {
      CUSTODY_ASSIGN_OR_RETURN(Hash left, RangeRoot(reader, begin, split));
      top_down.push_back(left);
      begin = split;
      old_is_complete = false;
    }
  }
  if (!old_is_complete) {
    CUSTODY_ASSIGN_OR_RETURN(Hash old_subtree, RangeRoot(reader, begin, end));
    proof.push_back(old_subtree);
  }
  proof.insert(proof.end(), top_down.rbegin(), top_down.rend());
  return proof;
}

Status VerifyInclusion(const Hash& leaf_hash, uint64_t leaf_index, uint64_t tree_size,
                       std::span<const Hash> proof, const Hash& root) {
  if (leaf_index >= tree_size) {
    return InvalidArgument("leaf index " + std::to_string(leaf_index) +
                           " is not below the tree size " + std::to_string(tree_size));
  }
  uint64_t fn = leaf_index;
  uint64_t sn = tree_size - 1;
  Hash computed = leaf_hash;
  for (const Hash& sibling : proof) {
    if (sn == 0) {
      return InvalidArgument("inclusion proof has more elements than the tree size allows");
    }
    if ((fn & 1) != 0 || fn == sn) {
      computed = NodeHash(sibling, computed);
      SkipLevelsWithoutSibling(fn, sn);
    } else {
      computed = NodeHash(computed, sibling);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return InvalidArgument("inclusion proof has fewer elements than the tree size needs");
  }
  if (computed != root) {
    return InvalidArgument("inclusion proof does not lead to the expected root");
  }
  return Status::Ok();
}

Status VerifyConsistency(uint64_t size1, uint64_t size2, const Hash& root1, const Hash& root2,
                         std::span<const Hash> proof) {
  if (size1 == 0) {
    return InvalidArgument("consistency proof from an empty tree is not defined");
  }
  if (size1 > size2) {
    return InvalidArgument("consistency proof needs size1 <= size2, got " + std::to_string(size1) +
                           " > " + std::to_string(size2));
  }
  if (size1 == size2) {
    if (!proof.empty()) {
      return InvalidArgument("consistency proof between equal sizes must be empty");
    }
    if (root1 != root2) {
      return InvalidArgument("roots differ for the same tree size");
    }
    return Status::Ok();
  }
  if (proof.empty()) {
    return InvalidArgument("consistency proof is empty but the sizes differ");
  }

  // When size1 is a power of two the old tree is a complete subtree, the proof omits its root,
  // and root1 starts the path instead.
  const bool old_is_complete = std::has_single_bit(size1);
  const Hash& first = old_is_complete ? root1 : proof[0];
  const std::span<const Hash> rest = old_is_complete ? proof : proof.subspan(1);

  uint64_t fn = size1 - 1;
  uint64_t sn = size2 - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash old_root = first;
  Hash new_root = first;
  for (const Hash& node : rest) {
    if (sn == 0) {
      return InvalidArgument("consistency proof has more elements than the sizes allow");
    }
    if ((fn & 1) != 0 || fn == sn) {
      old_root = NodeHash(node, old_root);
      new_root = NodeHash(node, new_root);
      SkipLevelsWithoutSibling(fn, sn);
    } else {
      new_root = NodeHash(new_root, node);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return InvalidArgument("consistency proof has fewer elements than the sizes need");
  }
  if (old_root != root1) {
    return InvalidArgument("consistency proof does not lead to the old root");
  }
  if (new_root != root2) {
    return InvalidArgument("consistency proof does not lead to the new root");
  }
  return Status::Ok();
}

void InMemoryTree::Append(const Hash& leaf_hash) {
  range_.Append(leaf_hash, [this](uint64_t level, uint64_t /*index*/, const Hash& hash) {
    if (levels_.size() <= level) {
      levels_.resize(level + 1);
    }
    levels_[level].push_back(hash);
  });
}

Result<Hash> InMemoryTree::Node(uint64_t level, uint64_t index) const {
  if (level >= levels_.size() || index >= levels_[level].size()) {
    return NotFound("node at level " + std::to_string(level) + ", index " + std::to_string(index) +
                    " is not a complete subtree of the tree of size " + std::to_string(size()));
  }
  return levels_[level][index];
}

}  // namespace custody::audit
