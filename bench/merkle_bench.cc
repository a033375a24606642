// Benchmarks of the audit log's Merkle tree: appends through the compact range, and proof
// generation and verification against a tree of one million leaves held in memory.
#include "custody/audit/merkle.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "custody/audit/checkpoint.h"
#include "custody/crypto/ed25519.h"

namespace custody::audit {
namespace {

constexpr uint64_t kTreeSize = 1000000;

std::vector<Hash> RandomLeafHashes(size_t count) {
  std::mt19937_64 random(42);
  std::vector<Hash> leaves;
  leaves.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    leaves.push_back(LeafHash(std::to_string(random())));
  }
  return leaves;
}

InMemoryTree BuildTree(uint64_t size) {
  InMemoryTree tree;
  for (const Hash& leaf : RandomLeafHashes(size)) {
    tree.Append(leaf);
  }
  return tree;
}

// Built once and shared by the proof benchmarks, because building it costs about two million
// hashes.
const InMemoryTree& LargeTree() {
  static const InMemoryTree tree = BuildTree(kTreeSize);
  return tree;
}

void BM_LeafHash300Bytes(benchmark::State& state) {
  const std::string record(300, 'r');
  for (auto _ : state) {
    benchmark::DoNotOptimize(LeafHash(record));
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_LeafHash300Bytes);

void BM_CompactRangeAppend(benchmark::State& state) {
  const std::vector<Hash> leaves = RandomLeafHashes(1 << 16);
  CompactRange range;
  size_t next = 0;
  for (auto _ : state) {
    range.Append(leaves[next]);
    next = (next + 1) % leaves.size();
  }
  benchmark::DoNotOptimize(range.Root());
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_CompactRangeAppend);

// Append plus root, as a writer that updates the stored tree head after every record would do.
void BM_CompactRangeAppendAndRoot(benchmark::State& state) {
  const std::vector<Hash> leaves = RandomLeafHashes(1 << 16);
  CompactRange range;
  size_t next = 0;
  for (auto _ : state) {
    range.Append(leaves[next]);
    benchmark::DoNotOptimize(range.Root());
    next = (next + 1) % leaves.size();
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_CompactRangeAppendAndRoot);

void BM_InclusionProofGenerate(benchmark::State& state) {
  const InMemoryTree& tree = LargeTree();
  std::mt19937_64 random(1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(InclusionProof(tree, random() % kTreeSize, kTreeSize));
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_InclusionProofGenerate);

void BM_InclusionProofVerify(benchmark::State& state) {
  const InMemoryTree& tree = LargeTree();
  const uint64_t size = kTreeSize;
  const Hash root = *RootFromNodes(tree, size);
  const uint64_t index = 123456;
  const Hash leaf = *tree.Node(0, index);
  const std::vector<Hash> proof = *InclusionProof(tree, index, size);
  for (auto _ : state) {
    benchmark::DoNotOptimize(VerifyInclusion(leaf, index, size, proof, root));
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_InclusionProofVerify);

void BM_ConsistencyProofGenerate(benchmark::State& state) {
  const InMemoryTree& tree = LargeTree();
  std::mt19937_64 random(2);
  for (auto _ : state) {
    benchmark::DoNotOptimize(ConsistencyProof(tree, 1 + random() % (kTreeSize - 1), kTreeSize));
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_ConsistencyProofGenerate);

void BM_ConsistencyProofVerify(benchmark::State& state) {
  const InMemoryTree& tree = LargeTree();
  const uint64_t size1 = 654321;
  const uint64_t size2 = kTreeSize;
  const Hash root1 = *RootFromNodes(tree, size1);
  const Hash root2 = *RootFromNodes(tree, size2);
  const std::vector<Hash> proof = *ConsistencyProof(tree, size1, size2);
  for (auto _ : state) {
    benchmark::DoNotOptimize(VerifyConsistency(size1, size2, root1, root2, proof));
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_ConsistencyProofVerify);

Checkpoint SampleCheckpoint() {
  Checkpoint checkpoint;
  checkpoint.origin = "custody.example.com/audit/org_4Jk0sQ9vTQm2bX7yLp1aZc";
  checkpoint.size = kTreeSize;
  checkpoint.root = LeafHash("root");
  return checkpoint;
}

void BM_CheckpointSign(benchmark::State& state) {
  const Checkpoint checkpoint = SampleCheckpoint();
  const NoteSigner signer =
      *NoteSigner::Create(checkpoint.origin, crypto::Ed25519PrivateKey::Generate());
  for (auto _ : state) {
    benchmark::DoNotOptimize(SignCheckpoint(checkpoint, signer));
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_CheckpointSign);

void BM_CheckpointOpen(benchmark::State& state) {
  const Checkpoint checkpoint = SampleCheckpoint();
  const NoteSigner signer =
      *NoteSigner::Create(checkpoint.origin, crypto::Ed25519PrivateKey::Generate());
  const std::string note = *SignCheckpoint(checkpoint, signer);
  const std::vector<NoteVerifier> verifiers = {signer.Verifier()};
  for (auto _ : state) {
    benchmark::DoNotOptimize(OpenCheckpoint(note, checkpoint.origin, verifiers));
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_CheckpointOpen);

}  // namespace
}  // namespace custody::audit
