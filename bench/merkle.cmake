# Benchmarks of the audit log's Merkle tree and checkpoints, included from bench/CMakeLists.txt
# (which finds the benchmark package). Run from a release build: build/release/bench/merkle_bench.
if(TARGET custody_audit_merkle)
  add_executable(merkle_bench merkle_bench.cc)
  target_compile_options(merkle_bench PRIVATE ${CUSTODY_WARNINGS})
  target_link_libraries(merkle_bench PRIVATE custody_audit_merkle benchmark::benchmark_main)
endif()
