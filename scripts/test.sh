#!/usr/bin/env bash
# Build the `ci` preset (ASan + UBSan, warnings as errors) and run every test: unit, rgw,
# process and integration.
#
# A local Ceph RGW (tests/support/rgw.sh) replaces S3, STS and KMS. It runs in its own
# directory and on its own ports, so a developer's RGW from scripts/dev-up.sh (7480/3300) keeps
# running. Overrides:
#   CUSTODY_TEST_RGW_PORT  S3/STS port of the test RGW (default 7481)
#   CUSTODY_TEST_MON_PORT  Ceph monitor port of the test RGW (default 3301)
#   CUSTODY_TEST_RGW_DIR   RGW data directory, wiped at start (default build/ci/rgw)
#   CTEST_PARALLEL_LEVEL   ctest jobs (default 1)
#
# The exit code is ctest's, and ctest's summary is the last output.
set -euo pipefail

cd "$(dirname -- "$0")/.."
repo_root=$(pwd)

rgw_dir=${CUSTODY_TEST_RGW_DIR:-$repo_root/build/ci/rgw}
rgw_log=$repo_root/build/ci/rgw-script.log
export RGW_PORT=${CUSTODY_TEST_RGW_PORT:-7481}
export MON_PORT=${CUSTODY_TEST_MON_PORT:-3301}

rgw_start_pid=""

# Stops RGW by the pid files in its directory. Runs on every exit and prints nothing, so that
# ctest's summary stays the last output.
stop_rgw() {
  if [ -n "$rgw_start_pid" ]; then
    wait "$rgw_start_pid" >/dev/null 2>&1 || true
  fi
  bash tests/support/rgw.sh stop "$rgw_dir" >>"$rgw_log" 2>&1 || true
}

bash scripts/install-deps.sh

cmake --preset ci
mkdir -p "$(dirname -- "$rgw_log")"
: >"$rgw_log"
trap stop_rgw EXIT
# Turn the signals into an exit, so that the EXIT trap stops RGW.
trap 'exit 130' INT
trap 'exit 143' TERM

# RGW needs about 15 s to start; it starts while the build runs.
echo "test.sh: starting RGW on 127.0.0.1:$RGW_PORT in $rgw_dir (log: $rgw_log)"
bash tests/support/rgw.sh start "$rgw_dir" >>"$rgw_log" 2>&1 </dev/null &
rgw_start_pid=$!

cmake --build --preset ci -j2
# custodyd serves web/dist, which the browser tests (label e2e) load.
npm run build --prefix web

rgw_status=0
wait "$rgw_start_pid" || rgw_status=$?
rgw_start_pid=""
if [ "$rgw_status" -ne 0 ] || [ ! -f "$rgw_dir/env" ]; then
  echo "test.sh: RGW failed to start (exit code $rgw_status); its output:" >&2
  cat "$rgw_log" >&2
  exit 1
fi

set -a
# shellcheck disable=SC1091
. "$rgw_dir/env"
set +a
echo "test.sh: RGW is ready at $S3_ENDPOINT"

ctest_status=0
ctest --preset ci --output-on-failure || ctest_status=$?
exit "$ctest_status"
