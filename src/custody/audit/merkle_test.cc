#include "custody/audit/merkle.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"

namespace custody::audit {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Hex(const Hash& hash) {
  return crypto::HexEncode(hash);
}

std::vector<Hash> RandomLeafHashes(size_t count, std::mt19937_64& random) {
  std::vector<Hash> leaves;
  for (size_t i = 0; i < count; ++i) {
    std::string data(1 + random() % 40, '\0');
    for (char& c : data) {
      c = static_cast<char>(random());
    }
    leaves.push_back(LeafHash(data));
  }
  return leaves;
}

InMemoryTree TreeOf(const std::vector<Hash>& leaves) {
  InMemoryTree tree;
  for (const Hash& leaf : leaves) {
    tree.Append(leaf);
  }
  return tree;
}

// The RFC 9162 section 2.1 definitions of PATH and SUBPROOF, written recursively over the leaf
// list, as an oracle for the storage-backed generators.
uint64_t LargestPowerOfTwoBelow(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) {
    k *= 2;
  }
  return k;
}

std::vector<Hash> ReferencePath(uint64_t m, std::span<const Hash> leaves) {
  if (leaves.size() <= 1) {
    return {};
  }
  const uint64_t k = LargestPowerOfTwoBelow(leaves.size());
  std::vector<Hash> path;
  if (m < k) {
    path = ReferencePath(m, leaves.first(k));
    path.push_back(RootFromLeaves(leaves.subspan(k)));
  } else {
    path = ReferencePath(m - k, leaves.subspan(k));
    path.push_back(RootFromLeaves(leaves.first(k)));
  }
  return path;
}

std::vector<Hash> ReferenceSubproof(uint64_t m, std::span<const Hash> leaves, bool complete) {
  if (m == leaves.size()) {
    return complete ? std::vector<Hash>{} : std::vector<Hash>{RootFromLeaves(leaves)};
  }
  const uint64_t k = LargestPowerOfTwoBelow(leaves.size());
  std::vector<Hash> proof;
  if (m <= k) {
    proof = ReferenceSubproof(m, leaves.first(k), complete);
    proof.push_back(RootFromLeaves(leaves.subspan(k)));
  } else {
    proof = ReferenceSubproof(m - k, leaves.subspan(k), false);
    proof.push_back(RootFromLeaves(leaves.first(k)));
  }
  return proof;
}

// Counts the nodes that proof generation reads.
class CountingReader : public NodeReader {
 public:
  explicit CountingReader(const NodeReader& inner) : inner_(inner) {}

  Result<Hash> Node(uint64_t level, uint64_t index) const override {
    ++reads_;
    return inner_.Node(level, index);
  }

  uint64_t reads() const { return reads_; }

 private:
  const NodeReader& inner_;
  mutable uint64_t reads_ = 0;
};

TEST(MerkleTest, HashFromBytesRejectsOtherLengths) {
  for (size_t size : {0, 1, 12, 31, 33, 64}) {
    Result<Hash> hash = HashFromBytes(std::string(size, 'x'));
    ASSERT_FALSE(hash.ok()) << size;
    EXPECT_EQ(hash.status().code(), ErrorCode::kInvalidArgument);
  }
  Result<Hash> hash = HashFromBytes(std::string(32, 'x'));
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(HashBytes(*hash), std::string(32, 'x'));

  const std::vector<std::string> elements = {std::string(32, 'a'), std::string(31, 'b')};
  Result<std::vector<Hash>> hashes = HashesFromBytes(elements);
  ASSERT_FALSE(hashes.ok());
  EXPECT_NE(hashes.status().message().find("element 1"), std::string::npos)
      << hashes.status().ToString();
}

TEST(MerkleTest, KnownHashes) {
  // RFC 6962 known answers, as used by transparency-dev/merkle's rfc6962 tests.
  EXPECT_EQ(Hex(EmptyRoot()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Hex(LeafHash("")), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_EQ(Hex(LeafHash("L123456")),
            "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56");
  EXPECT_EQ(Hex(RootFromLeaves({})), Hex(EmptyRoot()));
}

TEST(MerkleTest, NodeHashIsPrefixedConcatenation) {
  const Hash left = LeafHash("left");
  const Hash right = LeafHash("right");
  const std::string input =
      std::string(1, '\x01') + std::string(HashBytes(left)) + std::string(HashBytes(right));
  EXPECT_EQ(NodeHash(left, right), crypto::Sha256(input));
  EXPECT_NE(NodeHash(left, right), NodeHash(right, left));
  // The prefixes separate the domains: a node is never the leaf hash of its children's bytes.
  EXPECT_NE(NodeHash(left, right),
            LeafHash(std::string(HashBytes(left)) + std::string(HashBytes(right))));
}

TEST(MerkleTest, CompactRangeMatchesRootFromLeaves) {
  std::mt19937_64 random(1);
  const std::vector<Hash> leaves = RandomLeafHashes(300, random);
  CompactRange range;
  EXPECT_EQ(range.Root(), EmptyRoot());
  for (size_t n = 1; n <= leaves.size(); ++n) {
    range.Append(leaves[n - 1]);
    ASSERT_EQ(range.size(), n);
    ASSERT_EQ(range.hashes().size(), static_cast<size_t>(std::popcount(n))) << n;
    ASSERT_EQ(Hex(range.Root()), Hex(RootFromLeaves(std::span(leaves).first(n)))) << n;
  }
}

TEST(MerkleTest, CompactRangeRestoresFromState) {
  std::mt19937_64 random(2);
  const std::vector<Hash> leaves = RandomLeafHashes(77, random);
  CompactRange original;
  for (size_t i = 0; i < 45; ++i) {
    original.Append(leaves[i]);
  }
  Result<CompactRange> restored = CompactRange::FromState(original.size(), original.hashes());
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  for (size_t i = 45; i < leaves.size(); ++i) {
    restored->Append(leaves[i]);
  }
  EXPECT_EQ(Hex(restored->Root()), Hex(RootFromLeaves(leaves)));

  std::vector<Hash> short_state = original.hashes();
  short_state.pop_back();
  EXPECT_FALSE(CompactRange::FromState(original.size(), short_state).ok());
  EXPECT_FALSE(CompactRange::FromState(0, {LeafHash("a")}).ok());
  EXPECT_TRUE(CompactRange::FromState(0, {}).ok());
}

TEST(MerkleTest, CompactRangeVisitorReportsEveryCompleteNode) {
  std::mt19937_64 random(3);
  const std::vector<Hash> leaves = RandomLeafHashes(100, random);
  CompactRange range;
  std::set<std::pair<uint64_t, uint64_t>> seen;
  for (const Hash& leaf : leaves) {
    range.Append(leaf, [&](uint64_t level, uint64_t index, const Hash& hash) {
      EXPECT_TRUE(seen.emplace(level, index).second) << level << "/" << index;
      const uint64_t begin = index << level;
      const uint64_t count = uint64_t{1} << level;
      ASSERT_LE(begin + count, leaves.size());
      EXPECT_EQ(Hex(hash), Hex(RootFromLeaves(std::span(leaves).subspan(begin, count))))
          << level << "/" << index;
    });
  }
  // A tree of n leaves has 2n - popcount(n) complete subtrees.
  EXPECT_EQ(seen.size(), 2 * leaves.size() - std::popcount(leaves.size()));
}

TEST(MerkleTest, RootFromNodesMatchesEveryPrefix) {
  std::mt19937_64 random(4);
  const std::vector<Hash> leaves = RandomLeafHashes(130, random);
  const InMemoryTree tree = TreeOf(leaves);
  for (size_t n = 0; n <= leaves.size(); ++n) {
    Result<Hash> root = RootFromNodes(tree, n);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    EXPECT_EQ(Hex(*root), Hex(RootFromLeaves(std::span(leaves).first(n)))) << n;
  }
  EXPECT_EQ(RootFromNodes(tree, leaves.size() + 1).status().code(), ErrorCode::kNotFound);
}

TEST(MerkleTest, ProofsMatchReferenceForAllSmallTrees) {
  std::mt19937_64 random(5);
  const std::vector<Hash> leaves = RandomLeafHashes(70, random);
  const InMemoryTree tree = TreeOf(leaves);
  for (uint64_t n = 1; n <= leaves.size(); ++n) {
    const std::span<const Hash> prefix = std::span(leaves).first(n);
    for (uint64_t m = 0; m < n; ++m) {
      Result<std::vector<Hash>> proof = InclusionProof(tree, m, n);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      ASSERT_EQ(*proof, ReferencePath(m, prefix)) << "inclusion " << m << " in " << n;
    }
    for (uint64_t m = 1; m <= n; ++m) {
      Result<std::vector<Hash>> proof = ConsistencyProof(tree, m, n);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      ASSERT_EQ(*proof, ReferenceSubproof(m, prefix, true)) << "consistency " << m << " to " << n;
    }
  }
}

TEST(MerkleTest, ProofsMatchReferenceForRandomLargeTrees) {
  std::mt19937_64 random(6);
  const std::vector<Hash> leaves = RandomLeafHashes(5000, random);
  const InMemoryTree tree = TreeOf(leaves);
  for (int i = 0; i < 100; ++i) {
    const uint64_t n = 1 + random() % leaves.size();
    const uint64_t m = random() % n;
    const std::span<const Hash> prefix = std::span(leaves).first(n);
    Result<std::vector<Hash>> inclusion = InclusionProof(tree, m, n);
    ASSERT_TRUE(inclusion.ok()) << inclusion.status().ToString();
    EXPECT_EQ(*inclusion, ReferencePath(m, prefix)) << "inclusion " << m << " in " << n;
    Result<std::vector<Hash>> consistency = ConsistencyProof(tree, m + 1, n);
    ASSERT_TRUE(consistency.ok()) << consistency.status().ToString();
    EXPECT_EQ(*consistency, ReferenceSubproof(m + 1, prefix, true))
        << "consistency " << m + 1 << " to " << n;
  }
}

Hash FlipByte(Hash hash, size_t position) {
  hash[position] ^= 0x01;
  return hash;
}

// For every tree of 1..100 random leaves: every generated proof verifies, and flipping any
// single byte of the leaf, of any proof element or of a root makes it fail.
class MerklePropertyTest : public ::testing::Test {
 protected:
  static constexpr size_t kLeaves = 100;

  void SetUp() override {
    std::mt19937_64 random(7);
    for (size_t i = 0; i < kLeaves; ++i) {
      std::string bytes(1 + random() % 40, '\0');
      for (char& c : bytes) {
        c = static_cast<char>(random());
      }
      data_.push_back(bytes);
      leaves_.push_back(LeafHash(bytes));
      tree_.Append(leaves_.back());
    }
    roots_.push_back(EmptyRoot());
    for (size_t n = 1; n <= kLeaves; ++n) {
      roots_.push_back(RootFromLeaves(std::span(leaves_).first(n)));
    }
  }

  std::vector<std::string> data_;
  std::vector<Hash> leaves_;
  std::vector<Hash> roots_;  // roots_[n] is the root of the first n leaves
  InMemoryTree tree_;
};

TEST_F(MerklePropertyTest, InclusionVerifiesAndEveryFlippedByteFails) {
  for (uint64_t n = 1; n <= kLeaves; ++n) {
    for (uint64_t m = 0; m < n; ++m) {
      Result<std::vector<Hash>> proof = InclusionProof(tree_, m, n);
      ASSERT_TRUE(proof.ok());
      ASSERT_TRUE(VerifyInclusion(leaves_[m], m, n, *proof, roots_[n]).ok()) << m << " in " << n;
      for (size_t byte = 0; byte < data_[m].size(); ++byte) {
        std::string flipped = data_[m];
        flipped[byte] ^= 0x01;
        ASSERT_FALSE(VerifyInclusion(LeafHash(flipped), m, n, *proof, roots_[n]).ok());
      }
      std::vector<Hash> tampered = *proof;
      for (size_t byte = 0; byte < kHashSize; ++byte) {
        ASSERT_FALSE(VerifyInclusion(leaves_[m], m, n, *proof, FlipByte(roots_[n], byte)).ok());
        for (size_t element = 0; element < tampered.size(); ++element) {
          tampered[element][byte] ^= 0x01;
          ASSERT_FALSE(VerifyInclusion(leaves_[m], m, n, tampered, roots_[n]).ok())
              << "element " << element << " byte " << byte << " of " << m << " in " << n;
          tampered[element][byte] ^= 0x01;
        }
      }
      tampered.push_back(leaves_[0]);
      EXPECT_FALSE(VerifyInclusion(leaves_[m], m, n, tampered, roots_[n]).ok());
      if (!proof->empty()) {
        const std::span<const Hash> shorter = std::span(*proof).first(proof->size() - 1);
        EXPECT_FALSE(VerifyInclusion(leaves_[m], m, n, shorter, roots_[n]).ok());
      }
    }
  }
}

TEST_F(MerklePropertyTest, ConsistencyVerifiesAndEveryFlippedByteFails) {
  for (uint64_t n = 1; n <= kLeaves; ++n) {
    for (uint64_t m = 1; m <= n; ++m) {
      Result<std::vector<Hash>> proof = ConsistencyProof(tree_, m, n);
      ASSERT_TRUE(proof.ok());
      ASSERT_TRUE(VerifyConsistency(m, n, roots_[m], roots_[n], *proof).ok()) << m << " to " << n;
      std::vector<Hash> tampered = *proof;
      for (size_t byte = 0; byte < kHashSize; ++byte) {
        ASSERT_FALSE(VerifyConsistency(m, n, FlipByte(roots_[m], byte), roots_[n], *proof).ok());
        ASSERT_FALSE(VerifyConsistency(m, n, roots_[m], FlipByte(roots_[n], byte), *proof).ok());
        for (size_t element = 0; element < tampered.size(); ++element) {
          tampered[element][byte] ^= 0x01;
          ASSERT_FALSE(VerifyConsistency(m, n, roots_[m], roots_[n], tampered).ok())
              << "element " << element << " byte " << byte << " of " << m << " to " << n;
          tampered[element][byte] ^= 0x01;
        }
      }
      tampered.push_back(leaves_[0]);
      EXPECT_FALSE(VerifyConsistency(m, n, roots_[m], roots_[n], tampered).ok());
      if (!proof->empty()) {
        const std::span<const Hash> shorter = std::span(*proof).first(proof->size() - 1);
        EXPECT_FALSE(VerifyConsistency(m, n, roots_[m], roots_[n], shorter).ok());
      }
    }
  }
}

TEST(MerkleTest, ProofsFailForWrongIndexOrSize) {
  std::mt19937_64 random(8);
  const std::vector<Hash> leaves = RandomLeafHashes(21, random);
  const InMemoryTree tree = TreeOf(leaves);
  const Hash root = RootFromLeaves(leaves);
  Result<std::vector<Hash>> inclusion = InclusionProof(tree, 5, 21);
  ASSERT_TRUE(inclusion.ok());
  EXPECT_TRUE(VerifyInclusion(leaves[5], 5, 21, *inclusion, root).ok());
  EXPECT_FALSE(VerifyInclusion(leaves[5], 4, 21, *inclusion, root).ok());
  EXPECT_FALSE(VerifyInclusion(leaves[5], 6, 21, *inclusion, root).ok());
  // The tree size fixes only the shape of the proof: sizes 17 to 32 give leaf 5 the same shape
  // and accept the same proof, which is why the size must come from a signed checkpoint.
  EXPECT_FALSE(VerifyInclusion(leaves[5], 5, 16, *inclusion, root).ok());
  EXPECT_FALSE(VerifyInclusion(leaves[5], 5, 33, *inclusion, root).ok());
  EXPECT_FALSE(VerifyInclusion(leaves[4], 5, 21, *inclusion, root).ok());

  const Hash root8 = RootFromLeaves(std::span(leaves).first(8));
  Result<std::vector<Hash>> consistency = ConsistencyProof(tree, 8, 21);
  ASSERT_TRUE(consistency.ok());
  EXPECT_TRUE(VerifyConsistency(8, 21, root8, root, *consistency).ok());
  EXPECT_FALSE(VerifyConsistency(7, 21, root8, root, *consistency).ok());
  EXPECT_FALSE(VerifyConsistency(9, 21, root8, root, *consistency).ok());
  EXPECT_FALSE(VerifyConsistency(8, 16, root8, root, *consistency).ok());
  EXPECT_FALSE(VerifyConsistency(8, 33, root8, root, *consistency).ok());
  EXPECT_FALSE(VerifyConsistency(8, 21, root, root8, *consistency).ok());
}

TEST(MerkleTest, EqualSizesNeedEmptyProofAndEqualRoots) {
  const Hash root = LeafHash("a");
  EXPECT_TRUE(VerifyConsistency(1, 1, root, root, {}).ok());
  EXPECT_FALSE(VerifyConsistency(1, 1, root, LeafHash("b"), {}).ok());
  const std::vector<Hash> single_element = {root};
  EXPECT_FALSE(VerifyConsistency(1, 1, root, root, single_element).ok());

  InMemoryTree tree;
  tree.Append(root);
  Result<std::vector<Hash>> proof = ConsistencyProof(tree, 1, 1);
  ASSERT_TRUE(proof.ok());
  EXPECT_TRUE(proof->empty());
}

// The size-0 policy: a consistency proof from the empty tree is rejected both ways, even
// 0 -> 0 and even with the correct empty-tree root and an empty proof.
TEST(MerkleTest, ConsistencyFromSizeZeroIsRejected) {
  InMemoryTree tree;
  tree.Append(LeafHash("a"));
  tree.Append(LeafHash("b"));
  for (uint64_t size2 : {0, 1, 2}) {
    Result<std::vector<Hash>> proof = ConsistencyProof(tree, 0, size2);
    ASSERT_FALSE(proof.ok()) << size2;
    EXPECT_EQ(proof.status().code(), ErrorCode::kInvalidArgument);

    Result<Hash> root2 = RootFromNodes(tree, size2);
    ASSERT_TRUE(root2.ok());
    const Status status = VerifyConsistency(0, size2, EmptyRoot(), *root2, {});
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument) << size2;
  }
}

TEST(MerkleTest, ProofGenerationRejectsBadArguments) {
  std::mt19937_64 random(9);
  const InMemoryTree tree = TreeOf(RandomLeafHashes(10, random));
  EXPECT_EQ(InclusionProof(tree, 10, 10).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(InclusionProof(tree, 0, 0).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(tree, 5, 4).status().code(), ErrorCode::kInvalidArgument);
  // A size beyond what the reader stores surfaces the reader's error.
  EXPECT_EQ(InclusionProof(tree, 3, 11).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(ConsistencyProof(tree, 3, 11).status().code(), ErrorCode::kNotFound);

  const Hash leaf = LeafHash("x");
  EXPECT_FALSE(VerifyInclusion(leaf, 0, 0, {}, leaf).ok());
  EXPECT_FALSE(VerifyInclusion(leaf, UINT64_MAX, 1, {}, leaf).ok());
  EXPECT_FALSE(VerifyConsistency(2, 1, leaf, leaf, {}).ok());
}

TEST(MerkleTest, ProofsReadLogarithmicallyManyNodes) {
  std::mt19937_64 random(10);
  const std::vector<Hash> leaves = RandomLeafHashes(5000, random);
  const InMemoryTree tree = TreeOf(leaves);
  for (int i = 0; i < 300; ++i) {
    const uint64_t n = 1 + random() % leaves.size();
    const uint64_t m = random() % n;
    // Each proof element is one complete subtree, except at most one right-border subtree
    // that costs one read per set bit of its size.
    const uint64_t bound = 2 * std::bit_width(n) + 1;

    CountingReader inclusion_reader(tree);
    ASSERT_TRUE(InclusionProof(inclusion_reader, m, n).ok());
    EXPECT_LE(inclusion_reader.reads(), bound) << m << " in " << n;

    CountingReader consistency_reader(tree);
    ASSERT_TRUE(ConsistencyProof(consistency_reader, m + 1, n).ok());
    EXPECT_LE(consistency_reader.reads(), bound) << m + 1 << " to " << n;
  }
}

// Conformance data from other implementations, read at run time.

fs::path ConformanceDir() {
  if (const char* dir = std::getenv("CUSTODY_CONFORMANCE_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  return CUSTODY_CONFORMANCE_DIR;
}

#define CUSTODY_REQUIRE_CONFORMANCE(path)                                             \
  if (!fs::exists(path)) {                                                            \
    GTEST_SKIP() << "conformance data not found at " << (path)                        \
                 << "; set CUSTODY_CONFORMANCE_DIR to the shared conformance folder"; \
  }

json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

std::vector<fs::path> JsonFilesUnder(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Decodes a base64 hash as a verifier receiving it would: anything that is not canonical
// base64 of exactly 32 bytes is an error.
Result<Hash> DecodeHash(const json& value) {
  std::optional<std::string> bytes = crypto::Base64Decode(value.get<std::string>());
  if (!bytes.has_value()) {
    return InvalidArgument("invalid base64");
  }
  return HashFromBytes(*bytes);
}

Result<std::vector<Hash>> DecodeProof(const json& value) {
  std::vector<Hash> proof;
  if (value.is_null()) {
    return proof;
  }
  for (const json& element : value) {
    CUSTODY_ASSIGN_OR_RETURN(Hash hash, DecodeHash(element));
    proof.push_back(hash);
  }
  return proof;
}

struct InclusionCase {
  uint64_t leaf_index = 0;
  uint64_t tree_size = 0;
  json leaf_hash;
  json proof;
  json root;
};

struct ConsistencyCase {
  uint64_t size1 = 0;
  uint64_t size2 = 0;
  json root1;
  json root2;
  json proof;
};

Status RunInclusion(const InclusionCase& c) {
  CUSTODY_ASSIGN_OR_RETURN(Hash leaf_hash, DecodeHash(c.leaf_hash));
  CUSTODY_ASSIGN_OR_RETURN(Hash root, DecodeHash(c.root));
  CUSTODY_ASSIGN_OR_RETURN(std::vector<Hash> proof, DecodeProof(c.proof));
  return VerifyInclusion(leaf_hash, c.leaf_index, c.tree_size, proof, root);
}

Status RunConsistency(const ConsistencyCase& c) {
  CUSTODY_ASSIGN_OR_RETURN(Hash root1, DecodeHash(c.root1));
  CUSTODY_ASSIGN_OR_RETURN(Hash root2, DecodeHash(c.root2));
  CUSTODY_ASSIGN_OR_RETURN(std::vector<Hash> proof, DecodeProof(c.proof));
  return VerifyConsistency(c.size1, c.size2, root1, root2, proof);
}

// The RFC 6962 reference tree of 8 leaves, over which the transparency-dev proofs are built.
struct ReferenceTree {
  std::vector<Hash> leaves;
  InMemoryTree tree;
};

ReferenceTree LoadReferenceTree() {
  const json reference = ReadJson(ConformanceDir() / "rfc6962-reference-tree.json");
  ReferenceTree result;
  for (const json& hex : reference.at("leaf_inputs_hex")) {
    const std::optional<std::string> input = crypto::HexDecode(hex.get<std::string>());
    EXPECT_TRUE(input.has_value());
    result.leaves.push_back(LeafHash(input.value_or("")));
    result.tree.Append(result.leaves.back());
  }
  return result;
}

TEST(MerkleConformanceTest, Rfc6962ReferenceTree) {
  const fs::path path = ConformanceDir() / "rfc6962-reference-tree.json";
  CUSTODY_REQUIRE_CONFORMANCE(path);
  const json reference = ReadJson(path);
  EXPECT_EQ(Hex(EmptyRoot()), reference.at("empty_root").get<std::string>());

  const json& inputs = reference.at("leaf_inputs_hex");
  const json& leaf_hashes = reference.at("leaf_hashes_hex");
  ASSERT_EQ(inputs.size(), 8u);
  std::vector<Hash> leaves;
  CompactRange range;
  InMemoryTree tree;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::optional<std::string> input = crypto::HexDecode(inputs[i].get<std::string>());
    ASSERT_TRUE(input.has_value());
    leaves.push_back(LeafHash(*input));
    EXPECT_EQ(Hex(leaves.back()), leaf_hashes[i].get<std::string>()) << "leaf " << i;
    range.Append(leaves.back());
    tree.Append(leaves.back());

    const std::string expected_root =
        reference.at("roots_by_size_hex").at(std::to_string(i + 1)).get<std::string>();
    EXPECT_EQ(Hex(RootFromLeaves(leaves)), expected_root) << "size " << i + 1;
    EXPECT_EQ(Hex(range.Root()), expected_root) << "size " << i + 1;
    Result<Hash> from_nodes = RootFromNodes(tree, i + 1);
    ASSERT_TRUE(from_nodes.ok());
    EXPECT_EQ(Hex(*from_nodes), expected_root) << "size " << i + 1;
  }

  const json& extra = reference.at("extra_known_answers");
  EXPECT_EQ(Hex(LeafHash("L123456")), extra.at("leaf('L123456')").get<std::string>());
  // The node('N123','N456') answer hashes 4-byte children, which a 32-byte Hash cannot hold, so
  // it checks the hash definition rather than NodeHash.
  EXPECT_EQ(crypto::Sha256Hex(std::string(1, '\x01') + "N123" + "N456"),
            extra.at("node('N123','N456')").get<std::string>());
}

// transparency-dev/merkle accepts equal sizes with 12-byte "don't care" roots, because it only
// compares the bytes; every hash here must be 32 bytes, so these cases are expected to fail.
const std::set<std::string> kRejectedForHashLength = {
    "consistency/additional/sizes-are-equal-one-and-proof-is-empty.json",
    "subtreeconsistency/additional/sizes-are-equal-one-and-proof-is-empty.json",
};

std::string RelativeName(const fs::path& file, const fs::path& root) {
  return fs::relative(file, root).generic_string();
}

TEST(MerkleConformanceTest, TransparencyDevInclusion) {
  const fs::path root = ConformanceDir() / "merkle-transparency-dev" / "testdata";
  CUSTODY_REQUIRE_CONFORMANCE(root);
  const ReferenceTree reference = LoadReferenceTree();
  size_t cases = 0;
  size_t generated = 0;
  for (const fs::path& file : JsonFilesUnder(root / "inclusion")) {
    const std::string name = RelativeName(file, root);
    const json c = ReadJson(file);
    const InclusionCase test_case{c.at("leafIdx").get<uint64_t>(), c.at("treeSize").get<uint64_t>(),
                                  c.at("leafHash"), c.at("proof"), c.at("root")};
    const Status status = RunInclusion(test_case);
    const bool want_error = c.at("wantErr").get<bool>();
    EXPECT_EQ(!status.ok(), want_error) << name << ": " << status.ToString();
    ++cases;

    // Valid proofs over the reference tree must also be what the generator produces.
    if (!want_error && test_case.tree_size <= reference.leaves.size()) {
      Result<Hash> case_root = DecodeHash(c.at("root"));
      ASSERT_TRUE(case_root.ok()) << name;
      if (*case_root == RootFromLeaves(std::span(reference.leaves).first(test_case.tree_size))) {
        Result<std::vector<Hash>> expected = DecodeProof(c.at("proof"));
        Result<std::vector<Hash>> proof =
            InclusionProof(reference.tree, test_case.leaf_index, test_case.tree_size);
        ASSERT_TRUE(expected.ok()) << name;
        ASSERT_TRUE(proof.ok()) << name;
        EXPECT_EQ(*proof, *expected) << name;
        ++generated;
      }
    }
  }
  EXPECT_GE(cases, 90u);
  EXPECT_GE(generated, 5u);
}

TEST(MerkleConformanceTest, TransparencyDevConsistency) {
  const fs::path root = ConformanceDir() / "merkle-transparency-dev" / "testdata";
  CUSTODY_REQUIRE_CONFORMANCE(root);
  const ReferenceTree reference = LoadReferenceTree();
  size_t cases = 0;
  size_t generated = 0;
  size_t length_exceptions = 0;
  for (const fs::path& file : JsonFilesUnder(root / "consistency")) {
    const std::string name = RelativeName(file, root);
    const json c = ReadJson(file);
    const ConsistencyCase test_case{c.at("size1").get<uint64_t>(), c.at("size2").get<uint64_t>(),
                                    c.at("root1"), c.at("root2"), c.at("proof")};
    const Status status = RunConsistency(test_case);
    bool want_error = c.at("wantErr").get<bool>();
    if (kRejectedForHashLength.count(name) != 0) {
      ASSERT_FALSE(want_error) << name << " changed upstream; review the exception";
      EXPECT_NE(status.message().find("32 bytes"), std::string::npos) << status.ToString();
      want_error = true;
      ++length_exceptions;
    }
    EXPECT_EQ(!status.ok(), want_error) << name << ": " << status.ToString();
    ++cases;

    if (!want_error && test_case.size2 <= reference.leaves.size()) {
      Result<Hash> case_root2 = DecodeHash(c.at("root2"));
      ASSERT_TRUE(case_root2.ok()) << name;
      if (*case_root2 == RootFromLeaves(std::span(reference.leaves).first(test_case.size2))) {
        Result<std::vector<Hash>> expected = DecodeProof(c.at("proof"));
        Result<std::vector<Hash>> proof =
            ConsistencyProof(reference.tree, test_case.size1, test_case.size2);
        ASSERT_TRUE(expected.ok()) << name;
        ASSERT_TRUE(proof.ok()) << name;
        EXPECT_EQ(*proof, *expected) << name;
        ++generated;
      }
    }
  }
  EXPECT_GE(cases, 90u);
  EXPECT_GE(generated, 5u);
  EXPECT_EQ(length_exceptions, 1u);
}

// The subtree proofs (tlog-proof, Merkle Tree Certificates) are not implemented. A subtree
// starting at leaf 0 is the whole tree of `end` leaves, though, so those cases are ordinary
// inclusion and consistency proofs and must give the same answers.
TEST(MerkleConformanceTest, TransparencyDevSubtreesStartingAtZero) {
  const fs::path root = ConformanceDir() / "merkle-transparency-dev" / "testdata";
  CUSTODY_REQUIRE_CONFORMANCE(root);
  size_t cases = 0;
  for (const fs::path& file : JsonFilesUnder(root / "subtreeinclusion")) {
    const json c = ReadJson(file);
    if (c.at("start").get<uint64_t>() != 0 || c.at("end").get<uint64_t>() == 0) {
      continue;
    }
    const InclusionCase test_case{c.at("leafIdx").get<uint64_t>(), c.at("end").get<uint64_t>(),
                                  c.at("leafHash"), c.at("proof"), c.at("root")};
    const Status status = RunInclusion(test_case);
    EXPECT_EQ(!status.ok(), c.at("wantErr").get<bool>())
        << RelativeName(file, root) << ": " << status.ToString();
    ++cases;
  }
  for (const fs::path& file : JsonFilesUnder(root / "subtreeconsistency")) {
    const std::string name = RelativeName(file, root);
    const json c = ReadJson(file);
    // An empty subtree (end == 0) is trivially valid under subtree semantics but is a proof
    // from size 0 here, which the size-0 policy rejects; those cases do not apply.
    if (c.at("start").get<uint64_t>() != 0 || c.at("end").get<uint64_t>() == 0) {
      continue;
    }
    const ConsistencyCase test_case{c.at("end").get<uint64_t>(), c.at("size").get<uint64_t>(),
                                    c.at("root1"), c.at("root2"), c.at("proof")};
    const Status status = RunConsistency(test_case);
    const bool want_error = c.at("wantErr").get<bool>() || kRejectedForHashLength.count(name) != 0;
    EXPECT_EQ(!status.ok(), want_error) << name << ": " << status.ToString();
    ++cases;
  }
  EXPECT_GE(cases, 100u);
}

fs::path CctvDir() {
  return ConformanceDir() / "merkle-cctv" / "merkle" / "testdata";
}

std::vector<Hash> LoadCctvLeaves() {
  std::vector<Hash> leaves;
  for (const json& entry : ReadJson(CctvDir() / "merkle_tree.json")) {
    Result<Hash> leaf = DecodeHash(entry.at("leaf_hash"));
    EXPECT_TRUE(leaf.ok());
    leaves.push_back(leaf.ok() ? *leaf : Hash{});
  }
  return leaves;
}

TEST(MerkleConformanceTest, CctvTreeHeads) {
  CUSTODY_REQUIRE_CONFORMANCE(CctvDir());
  const json heads = ReadJson(CctvDir() / "merkle_tree.json");
  ASSERT_EQ(heads.size(), 16u);
  std::vector<Hash> leaves;
  CompactRange range;
  for (size_t i = 0; i < heads.size(); ++i) {
    const Hash leaf = LeafHash(heads[i].at("leaf_data").get<std::string>());
    Result<Hash> expected_leaf = DecodeHash(heads[i].at("leaf_hash"));
    Result<Hash> expected_root = DecodeHash(heads[i].at("root_hash"));
    ASSERT_TRUE(expected_leaf.ok());
    ASSERT_TRUE(expected_root.ok());
    EXPECT_EQ(Hex(leaf), Hex(*expected_leaf)) << "leaf " << i;
    leaves.push_back(leaf);
    range.Append(leaf);
    EXPECT_EQ(Hex(RootFromLeaves(leaves)), Hex(*expected_root)) << "size " << i + 1;
    EXPECT_EQ(Hex(range.Root()), Hex(*expected_root)) << "size " << i + 1;
  }
}

TEST(MerkleConformanceTest, CctvInclusion) {
  CUSTODY_REQUIRE_CONFORMANCE(CctvDir());
  const std::vector<Hash> leaves = LoadCctvLeaves();
  const InMemoryTree tree = TreeOf(leaves);
  for (const char* file : {"inclusion-valid.json", "inclusion-invalid.json"}) {
    const bool valid = std::string(file) == "inclusion-valid.json";
    size_t index = 0;
    for (const json& c : ReadJson(CctvDir() / file)) {
      const InclusionCase test_case{c.at("leaf_index").get<uint64_t>(),
                                    c.at("tree_size").get<uint64_t>(), c.at("leaf_hash"),
                                    c.at("inclusion_path"), c.at("root_hash")};
      const Status status = RunInclusion(test_case);
      EXPECT_EQ(status.ok(), valid) << file << "[" << index << "]: " << status.ToString();
      if (valid) {
        Result<std::vector<Hash>> expected = DecodeProof(c.at("inclusion_path"));
        Result<std::vector<Hash>> proof =
            InclusionProof(tree, test_case.leaf_index, test_case.tree_size);
        ASSERT_TRUE(expected.ok());
        ASSERT_TRUE(proof.ok());
        EXPECT_EQ(*proof, *expected) << file << "[" << index << "]";
      }
      ++index;
    }
    EXPECT_GT(index, 0u) << file;
  }
}

TEST(MerkleConformanceTest, CctvConsistency) {
  CUSTODY_REQUIRE_CONFORMANCE(CctvDir());
  const std::vector<Hash> leaves = LoadCctvLeaves();
  const InMemoryTree tree = TreeOf(leaves);
  size_t size_zero_cases = 0;
  for (const char* file : {"consistency-valid.json", "consistency-invalid.json"}) {
    const bool valid_file = std::string(file) == "consistency-valid.json";
    size_t index = 0;
    for (const json& c : ReadJson(CctvDir() / file)) {
      const ConsistencyCase test_case{c.at("old_size").get<uint64_t>(),
                                      c.at("new_size").get<uint64_t>(), c.at("old_root"),
                                      c.at("new_root"), c.at("consistency_path")};
      // CCTV accepts 0 -> 0 and 0 -> 1 with an empty proof; the size-0 policy rejects them.
      bool valid = valid_file;
      if (valid_file && test_case.size1 == 0) {
        valid = false;
        ++size_zero_cases;
      }
      const Status status = RunConsistency(test_case);
      EXPECT_EQ(status.ok(), valid) << file << "[" << index << "]: " << status.ToString();
      if (valid) {
        Result<std::vector<Hash>> expected = DecodeProof(c.at("consistency_path"));
        Result<std::vector<Hash>> proof = ConsistencyProof(tree, test_case.size1, test_case.size2);
        ASSERT_TRUE(expected.ok());
        ASSERT_TRUE(proof.ok());
        EXPECT_EQ(*proof, *expected) << file << "[" << index << "]";
      }
      ++index;
    }
    EXPECT_GT(index, 0u) << file;
  }
  EXPECT_EQ(size_zero_cases, 2u);
}

}  // namespace
}  // namespace custody::audit
