# The audit log's Merkle tree, proofs and signed checkpoints: pure functions over hashes,
# included from this folder's CMakeLists.txt.
custody_library(audit_merkle
  SOURCES merkle.cc checkpoint.cc
  DEPS custody_crypto)

custody_test(audit_merkle_test
  SOURCES merkle_test.cc checkpoint_test.cc
  DEPS custody_audit_merkle)
