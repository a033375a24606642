#!/usr/bin/env bash
# Builds the SCIM filter fuzzer (filter_fuzzer.cc) with clang, libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer, then runs it for a bounded time on the seed corpus.
#
# Usage: run_filter_fuzzer.sh SOURCE_DIR WORK_DIR [SECONDS]
#   SOURCE_DIR  the repository root
#   WORK_DIR    where the binary, the growing corpus and any crash input go
#   SECONDS     how long to fuzz (default 60)
# Exits 0 when no input crashed, 1 on a crash (the input is kept in WORK_DIR), and 77 when
# clang++ or its libFuzzer runtime is missing, which CTest reports as skipped.
set -euo pipefail

source_dir=$1
work_dir=$2
seconds=${3:-60}

compiler=$(command -v clang++ || command -v clang++-14 || true)
if [ -z "$compiler" ]; then
  echo "skipped: clang++ is not installed (Debian packages clang and libclang-rt-14-dev)"
  exit 77
fi

mkdir -p "$work_dir/corpus"
cp "$source_dir"/src/custody/scim/fuzz/filter_corpus/* "$work_dir/corpus/"

# The parser and what it links, compiled with coverage instrumentation. The list is short on
# purpose: the fuzzer needs no database, HTTP or OpenSSL.
sources=(
  scim/filter_fuzzer.cc scim/filter.cc scim/datetime.cc scim/errors.cc scim/schemas.cc
  scim/projection.cc common/status.cc common/error_catalog.cc
)
paths=()
for source in "${sources[@]}"; do
  paths+=("$source_dir/src/custody/$source")
done

binary="$work_dir/scim_filter_fuzzer"
if ! "$compiler" -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -I"$source_dir/src" "${paths[@]}" -o "$binary" \
    2>"$work_dir/build.log"; then
  if grep -q -e "libclang_rt.fuzzer" -e "cannot find -l" "$work_dir/build.log"; then
    echo "skipped: the libFuzzer runtime is missing (Debian package libclang-rt-14-dev)"
    exit 77
  fi
  cat "$work_dir/build.log"
  exit 1
fi

cd "$work_dir"
exec "$binary" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 corpus
