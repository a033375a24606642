# Benchmark of audit appends through Database::Write with group commit on and off, included
# from bench/CMakeLists.txt. Run from a release build: build/release/bench/store_bench.
if(TARGET custody_audit AND TARGET custody_store_testing)
  add_executable(store_bench store_bench.cc)
  target_compile_options(store_bench PRIVATE ${CUSTODY_WARNINGS})
  target_link_libraries(store_bench PRIVATE custody_audit custody_store_testing
                                            benchmark::benchmark_main)
endif()
