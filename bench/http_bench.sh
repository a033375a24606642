#!/usr/bin/env bash
# Measures custodyd through HTTP on 127.0.0.1 with wrk, next to nginx serving a static file of
# the same size, and runs the presign and Merkle microbenchmarks in the same run. Writes
# summary.md (the tables for docs/benchmarks.md) and the raw output to OUT_DIR.
#
#   bench/http_bench.sh [OUT_DIR]        OUT_DIR defaults to a new directory under /tmp
#
# The script builds the release preset, then starts its own Ceph RGW (tests/support/rgw.sh),
# custodyd and nginx, all on 127.0.0.1, and stops each of them by its pid on exit.
#
# Environment (defaults in brackets):
#   BENCH_SECONDS [20]          length of each measured wrk run, after a 3 s warm-up run
#   BENCH_THREADS [2]           wrk threads
#   BENCH_CONNECTIONS [8]       wrk connections, shared by the threads
#   BENCH_WORKER_THREADS [4]    custodyd's server.worker_threads
#   BENCH_MAX_LOAD [1.5]        wait while the 1-minute load average is above this...
#   BENCH_MAX_WAIT_SECONDS [900]  ...for at most this long (checked every 60 s), then run anyway
#   BENCH_PERF [0]              1: after each custodyd run, run wrk again under perf record,
#                               perf stat and perf trace, and write perf-NAME.txt (not used
#                               for the table)
#   RGW_PORT [7497], MON_PORT [3317]  ports of the RGW this script starts
set -euo pipefail
# OUT_DIR contains the admin token (the output of custodyd init) and the AWS test keys.
umask 077

cd "$(dirname -- "$0")/.."
repo_root=$(pwd)

seconds=${BENCH_SECONDS:-20}
threads=${BENCH_THREADS:-2}
connections=${BENCH_CONNECTIONS:-8}
worker_threads=${BENCH_WORKER_THREADS:-4}
max_load=${BENCH_MAX_LOAD:-1.5}
max_wait_seconds=${BENCH_MAX_WAIT_SECONDS:-900}
profile=${BENCH_PERF:-0}
warmup_seconds=3
microbenchmark_flags="--benchmark_repetitions=3 --benchmark_report_aggregates_only=true"
evidence_count=50
export RGW_PORT=${RGW_PORT:-7497}
export MON_PORT=${MON_PORT:-3317}

build_dir=$repo_root/build/release
custodyd=$build_dir/src/custody/server/custodyd
custody_cli=$build_dir/src/custody/cli/custody
wrk_dir=$repo_root/bench/wrk
# Debian's awscli v2 and Python, which has botocore. Earlier entries on PATH may differ.
aws_cli=/usr/bin/aws
python=/usr/bin/python3
bucket=custody-bench

out_dir=${1:-$(mktemp -d /tmp/custody-http-bench.XXXXXX)}
mkdir -p "$out_dir"
out_dir=$(realpath "$out_dir")
rgw_dir=$out_dir/rgw
summary=$out_dir/summary.md
cpu_count=$(nproc)
invocation="$(env | { grep '^BENCH_' || true; } | sort | tr '\n' ' ')bench/http_bench.sh $*"
clock_ticks=$(getconf CLK_TCK)

custodyd_pid=""
nginx_pid=""
rgw_started=false

log() {
  echo "http_bench: $*" >&2
}

fail() {
  echo "http_bench: error: $*" >&2
  exit 1
}

# Sends SIGTERM to PID if it is still the program NAME, waits up to 10 s, then sends SIGKILL.
# shellcheck disable=SC2317 # called from the EXIT trap only
stop_process() {
  local pid=$1 name=$2
  [ -n "$pid" ] || return 0
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] || return 0
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] || return 0
    sleep 0.1
  done
  log "$name (pid $pid) did not exit within 10 s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

# shellcheck disable=SC2317 # called from the EXIT trap only
cleanup() {
  stop_process "$custodyd_pid" custodyd
  stop_process "$nginx_pid" nginx
  if $rgw_started; then
    log "stopping RGW"
    bash tests/support/rgw.sh stop "$rgw_dir" || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Prints a TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
  "$python" -c '
import socket
with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    print(probe.getsockname()[1])
'
}

# Prints the 1-minute load average.
load_1min() {
  cut -d ' ' -f 1 /proc/loadavg
}

load_averages() {
  cut -d ' ' -f 1-3 /proc/loadavg
}

# --------------------------------------------------------------------------------------------
# CPU accounting: which processes used the cores during a measured run.

# Prints the busy ticks and the total ticks of all cores since boot, from the first line of
# /proc/stat. Busy excludes idle and iowait.
machine_ticks() {
  awk '/^cpu / { busy = $2 + $3 + $4 + $7 + $8 + $9; print busy, busy + $5 + $6 }' /proc/stat
}

# Prints the CPU ticks (user + system, all threads) that the processes PIDS have used so far.
process_ticks() {
  local total=0 pid ticks
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    # Fields 14 and 15 (utime, stime) counted after the ")" that ends the command name.
    ticks=$(sed 's/^.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }')
    total=$((total + ticks))
  done
  echo "$total"
}

rgw_pids() {
  cat "$rgw_dir"/run/*.pid 2>/dev/null || true
}

nginx_pids() {
  if [ -n "$nginx_pid" ]; then
    echo "$nginx_pid"
    ps -o pid= --ppid "$nginx_pid" || true
  fi
}

# Kernel threads (kthreadd and its children). They include the ext4 journal thread and the
# block I/O workers, which do part of the work of SQLite's fdatasync calls.
kernel_thread_pids() {
  echo 2
  ps -o pid= --ppid 2 || true
}

# Prints the CPU ticks so far of SERVER_PIDS, of RGW, of the kernel threads in
# KERNEL_THREAD_PIDS, then machine_ticks.
cpu_snapshot() {
  local server_pids=$1 kernel_pids=$2
  # shellcheck disable=SC2046,SC2086
  echo "$(process_ticks $server_pids) $(process_ticks $(rgw_pids))" \
    "$(process_ticks $kernel_pids) $(machine_ticks)"
}

# Prints the CPU use between two snapshots in cores: "server wrk rgw kernel other idle", where
# kernel is the kernel threads and other is every remaining busy tick (mostly the processes of
# other users). WRK_SECONDS is the CPU time of wrk (user + system).
# NOTE: the kernel counts CPU time per process and per core by sampling ticks, so the columns
# are estimates that need not add up exactly. An interrupt is charged to the task it
# interrupted (for the loopback traffic, mostly wrk and the server). A negative other prints 0.
cpu_cores() {
  local before=$1 after=$2 wrk_seconds=$3
  awk -v before="$before" -v after="$after" -v wrk="$wrk_seconds" -v hz="$clock_ticks" \
    -v cpus="$cpu_count" 'BEGIN {
      split(before, b, " "); split(after, a, " ")
      wall = (a[5] - b[5]) / cpus
      server = (a[1] - b[1]) / wall
      rgw = (a[2] - b[2]) / wall
      kernel = (a[3] - b[3]) / wall
      busy = (a[4] - b[4]) / wall
      load_wrk = wrk * hz / wall
      other = busy - server - rgw - kernel - load_wrk
      if (other < 0) other = 0
      printf "%.2f %.2f %.2f %.2f %.2f %.2f\n", server, load_wrk, rgw, kernel, other, cpus - busy
    }'
}

# --------------------------------------------------------------------------------------------
# Measurements

# Prints the value of KEY from the RESULT line that bench/wrk/report.lua wrote to FILE.
result_value() {
  local file=$1 key=$2
  grep '^RESULT ' "$file" | tr ' ' '\n' | sed -n "s/^$key=//p"
}

# Runs wrk against URL with SCRIPT for a warm-up and then for the measured run, and appends
# one row to the results table. SERVER_PIDS are the processes whose CPU time is counted as
# the server's.
measure() {
  local name=$1 url=$2 script=$3 server_pids=$4
  local wrk_command=(wrk --latency -t "$threads" -c "$connections" --timeout 10s
    -s "$wrk_dir/$script")
  local output=$out_dir/wrk-$name.txt

  log "$name: ${warmup_seconds} s warm-up, then ${seconds} s measured ($url)"
  "${wrk_command[@]}" -d "${warmup_seconds}s" "$url" >"$out_dir/wrk-$name-warmup.txt"

  local load_before kernel_pids cpu_before cpu_after
  load_before=$(load_1min)
  kernel_pids=$(kernel_thread_pids)
  cpu_before=$(cpu_snapshot "$server_pids" "$kernel_pids")
  /usr/bin/time -f '%U %S' -o "$out_dir/wrk-$name-time.txt" \
    "${wrk_command[@]}" -d "${seconds}s" "$url" >"$output"
  cpu_after=$(cpu_snapshot "$server_pids" "$kernel_pids")
  echo "command: ${wrk_command[*]} -d ${seconds}s $url" >>"$output"

  local wrk_cpu cores server_cores wrk_cores rgw_cores kernel_cores other_cores idle_cores
  wrk_cpu=$(awk '{ print $1 + $2 }' "$out_dir/wrk-$name-time.txt")
  cores=$(cpu_cores "$cpu_before" "$cpu_after" "$wrk_cpu")
  read -r server_cores wrk_cores rgw_cores kernel_cores other_cores idle_cores <<<"$cores"

  local rps p50 p99 http_errors socket_errors timeouts
  rps=$(result_value "$output" rps)
  p50=$(result_value "$output" p50_ms)
  p99=$(result_value "$output" p99_ms)
  http_errors=$(result_value "$output" http_errors)
  socket_errors=$(result_value "$output" socket_errors)
  timeouts=$(result_value "$output" timeouts)
  [ -n "$rps" ] || fail "wrk printed no RESULT line for $name; see $output"
  echo "$name $rps" >>"$out_dir/rates.txt"

  local errors=$((http_errors + socket_errors + timeouts)) server_us_per_request
  server_us_per_request=$(awk -v cores="$server_cores" -v rps="$rps" \
    'BEGIN { printf "%.0f", cores * 1e6 / rps }')
  printf '| %s | %.0f | %.2f | %.2f | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
    "$name" "$rps" "$p50" "$p99" "$errors" "$server_us_per_request" "$server_cores" \
    "$wrk_cores" "$rgw_cores" "$kernel_cores" "$other_cores" "$idle_cores" "$load_before" \
    >>"$out_dir/table.md"
  if [ "$errors" -ne 0 ]; then
    log "warning: $name had $http_errors HTTP errors, $socket_errors socket errors and" \
      "$timeouts timeouts; see $output"
  fi

  if [ "$profile" = 1 ] && [ "$name" != nginx-static ]; then
    profile_run "$name" "$url" "$server_pids" "${wrk_command[@]}"
  fi
}

# Runs wrk twice more: once while perf samples the server (software cpu-clock events, because
# virtual machines often expose no hardware counters) and counts its context switches and page
# faults, then once under perf trace for its system calls. Writes perf-NAME.txt. Kept apart
# from the measured run, whose rate the tracing lowers.
profile_run() {
  local name=$1 url=$2 server_pid=$3
  shift 3
  local data=$out_dir/perf-$name.data
  log "$name: 2 x ${seconds} s more under perf record and perf stat, then perf trace"
  perf record -q -e cpu-clock -F 499 -p "$server_pid" -o "$data" -- sleep "$seconds" \
    2>/dev/null &
  local record_pid=$!
  perf stat -e task-clock,context-switches,cpu-migrations,page-faults -p "$server_pid" \
    -o "$out_dir/perf-stat-$name.txt" -- sleep "$seconds" &
  local stat_pid=$!
  "$@" -d "${seconds}s" "$url" >"$out_dir/wrk-$name-perf.txt"
  wait "$record_pid" "$stat_pid"

  # perf trace takes a moment to attach, so it starts 3 s before wrk and stops 3 s after it:
  # every request of this wrk run is then traced, and none of another.
  perf trace -s -p "$server_pid" -o "$out_dir/perf-trace-$name.txt" -- \
    sleep "$((seconds + 6))" &
  local trace_pid=$!
  sleep 3
  "$@" -d "${seconds}s" "$url" >"$out_dir/wrk-$name-trace.txt"
  wait "$trace_pid"

  local traced_requests
  traced_requests=$(result_value "$out_dir/wrk-$name-trace.txt" requests)
  {
    echo "== perf record and perf stat: $(grep '^RESULT ' "$out_dir/wrk-$name-perf.txt")"
    grep -E 'task-clock|context-switches|cpu-migrations|page-faults' \
      "$out_dir/perf-stat-$name.txt"
    perf report -i "$data" --no-children --sort dso --stdio 2>/dev/null | grep -v '^#'
    perf report -i "$data" --no-children --sort dso,symbol --stdio --percent-limit 0.5 \
      2>/dev/null | grep -v '^#' | sed -E 's/[[:space:]]+-[[:space:]]+-[[:space:]]*$//'
    echo "== perf trace: $(grep '^RESULT ' "$out_dir/wrk-$name-trace.txt")"
    echo "system calls of all custodyd threads per request: calls, then total ms"
    awk -v requests="$traced_requests" '
      $2 ~ /^[0-9]+$/ && $4 ~ /^[0-9.]+$/ && NF == 8 { calls[$1] += $2; ms[$1] += $4 }
      END {
        for (name in calls) {
          printf "%-16s %8.2f %8.4f\n", name, calls[name] / requests, ms[name] / requests
        }
      }' "$out_dir/perf-trace-$name.txt" | sort -k2 -n -r
  } | grep -v '^[[:space:]]*$' >"$out_dir/perf-$name.txt"
}

rate_of() {
  sed -n "s/^$1 //p" "$out_dir/rates.txt"
}

# --------------------------------------------------------------------------------------------
# Setup

# Sends an API request as the admin and prints the response body. Fails on HTTP >= 400.
# curl reads the Authorization header from a file, so the token stays out of process listings.
api() {
  local method=$1 path=$2 body=${3:-}
  local args=(-sS --max-time 30 --fail-with-body -X "$method" -H "@$authorization_file")
  if [ -n "$body" ]; then
    args+=(-H 'Content-Type: application/json' --data-binary "$body")
  fi
  curl "${args[@]}" "$server_url$path"
}

record_machine() {
  {
    echo "invocation: $invocation"
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc: $cpu_count"
    echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sort | uniq -c |
      sed 's/^ *//')"
    echo "cpu MHz (as /proc/cpuinfo reports it): $(sed -n 's/^cpu MHz[[:space:]]*: //p' \
      /proc/cpuinfo | head -n 1)$(grep -qw hypervisor /proc/cpuinfo && echo ', virtual machine')"
    echo "memory: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel: $(uname -sr)"
    echo "load average at start (1, 5, 15 min): $(load_averages)"
    echo "commit: $(git rev-parse --short HEAD)"
    echo "uncommitted changes under src/ built into this run:" \
      "$(git status --porcelain -- src | awk '{ print $2 }' | tr '\n' ' ')"
    echo "compiler: $(g++ --version | head -n 1)"
    echo "build type: $(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build_dir/CMakeCache.txt")"
    echo "wrk: $(wrk -v 2>&1 | head -n 1 | cut -d ' ' -f 1-2)"
    echo "nginx: $(nginx -v 2>&1)"
    echo "packages: $(dpkg-query -W -f '${Package} ${Version}, ' radosgw libsqlite3-0 libssl3 \
      libboost1.74-dev libbenchmark1debian | sed 's/, $//')"
  } >"$out_dir/machine.txt"
}

build() {
  log "building the release preset"
  cmake --preset release >"$out_dir/cmake-configure.log"
  cmake --build --preset release -j2 --target custodyd custody presign_bench merkle_bench \
    >"$out_dir/cmake-build.log"
}

start_rgw() {
  log "starting RGW on 127.0.0.1:$RGW_PORT in $rgw_dir (about 15 s)"
  rgw_started=true
  if ! bash tests/support/rgw.sh start "$rgw_dir" >"$out_dir/rgw-start.log" 2>&1 </dev/null; then
    cat "$out_dir/rgw-start.log" >&2
    fail "RGW failed to start; its logs are in $rgw_dir/log"
  fi
  set -a
  # shellcheck disable=SC1091
  . "$rgw_dir/env"
  set +a

  cat >"$out_dir/aws-config" <<EOF
[default]
region = $AWS_DEFAULT_REGION
s3 =
    addressing_style = path
EOF
  AWS_CONFIG_FILE=$out_dir/aws-config "$aws_cli" --endpoint-url "$S3_ENDPOINT" \
    s3api create-bucket --bucket "$bucket" >/dev/null
}

start_custodyd() {
  local port
  port=$(free_port)
  server_url=http://127.0.0.1:$port
  mkdir -p "$out_dir/custodyd"
  config=$out_dir/custodyd/custodyd.toml
  cat >"$config" <<EOF
# Written by bench/http_bench.sh. The AWS keys come from CUSTODY_AWS_ACCESS_KEY_ID and
# CUSTODY_AWS_SECRET_ACCESS_KEY in the environment.
[server]
listen = "127.0.0.1:$port"
public_url = "$server_url"
worker_threads = $worker_threads

[database]
path = "$out_dir/custodyd/custody.db"

[aws]
sts_endpoint = "$S3_ENDPOINT"
allow_insecure_loopback = true

[log]
level = "info"
EOF
  export CUSTODY_AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID
  export CUSTODY_AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY

  log "creating the organization with custodyd init"
  "$custodyd" --config "$config" init --org "Benchmark Organization" \
    --admin-email admin@bench.example --admin-name "Benchmark Admin" \
    >"$out_dir/custodyd/init.json"
  CUSTODY_TOKEN=$(jq -r 'select(.token? != null) | .token' "$out_dir/custodyd/init.json")
  [ -n "$CUSTODY_TOKEN" ] || fail "custodyd init printed no token; see $out_dir/custodyd/init.json"
  export CUSTODY_TOKEN
  authorization_file=$out_dir/custodyd/authorization-header
  (
    umask 077
    echo "Authorization: Bearer $CUSTODY_TOKEN" >"$authorization_file"
  )

  log "starting custodyd on $server_url"
  "$custodyd" --config "$config" serve >"$out_dir/custodyd/custodyd.log" 2>&1 </dev/null &
  custodyd_pid=$!
  echo "$custodyd_pid" >"$out_dir/custodyd/custodyd.pid"
  for _ in $(seq 150); do
    if curl -sf --max-time 2 -o /dev/null "$server_url/readyz"; then
      return 0
    fi
    kill -0 "$custodyd_pid" 2>/dev/null ||
      fail "custodyd exited during start; see $out_dir/custodyd/custodyd.log"
    sleep 0.2
  done
  fail "custodyd is not ready after 30 s; see $out_dir/custodyd/custodyd.log"
}

create_data() {
  log "creating an entity, the AWS connection and $evidence_count evidence items"
  local root_entity_id i
  root_entity_id=$(api GET /api/v1/me | jq -r .organization.root_entity_id)
  entity_id=$(api POST /api/v1/entities "{\"name\": \"Benchmark engagement\",
    \"kind\": \"audit_engagement\", \"parent_id\": \"$root_entity_id\"}" | jq -r .id)
  api PUT /api/v1/aws-connection "{\"role_arn\": \"$S3_ROLE_ARN\", \"bucket\": \"$bucket\",
    \"region\": \"$AWS_DEFAULT_REGION\", \"kms_key_id\": \"$S3_KMS_KEY_ID\",
    \"key_prefix\": \"evidence/\", \"endpoint\": \"$S3_ENDPOINT\"}" >/dev/null

  list_url="$server_url/api/v1/entities/$entity_id/evidence?limit=$evidence_count"
  evidence_ids=()
  for i in $(seq "$evidence_count"); do
    evidence_ids+=("$(api POST "/api/v1/entities/$entity_id/evidence" \
      "{\"title\": \"Benchmark control $i\", \"description\": \"Created by http_bench.sh\"}" |
      jq -r .id)")
  done
  CUSTODY_EVIDENCE_IDS=$(
    IFS=,
    echo "${evidence_ids[*]}"
  )
  export CUSTODY_EVIDENCE_IDS

  log "uploading one file with the custody CLI"
  local upload_file=$out_dir/bench-upload.csv
  seq 1 20000 >"$upload_file"
  # The CLI keeps its config and resume queue under XDG folders: keep them in OUT_DIR.
  XDG_CONFIG_HOME=$out_dir/xdg-config XDG_STATE_HOME=$out_dir/xdg-state \
    CUSTODY_SERVER=$server_url "$custody_cli" upload "$upload_file" \
    --entity "$entity_id" --evidence "${evidence_ids[0]}" >"$out_dir/cli-upload.txt"
  version_id=$(sed -n 's/^version \(ver_[A-Za-z0-9]*\) stored$/\1/p' "$out_dir/cli-upload.txt")
  [ -n "$version_id" ] || fail "the CLI upload stored no version; see $out_dir/cli-upload.txt"
}

start_nginx() {
  local port prefix=$out_dir/nginx
  port=$(free_port)
  nginx_url=http://127.0.0.1:$port/evidence.json
  mkdir -p "$prefix/www"
  sed -e "s|@PREFIX@|$prefix|g" -e "s|@PORT@|$port|g" -e "s|@WORKERS@|$cpu_count|g" \
    -e "s|@USER@|$(id -un)|g" -e "s|@GROUP@|$(id -gn)|g" bench/nginx.conf.in >"$prefix/nginx.conf"
  # The same bytes that custodyd returns for the evidence list.
  cp "$out_dir/list-response.json" "$prefix/www/evidence.json"

  log "starting nginx on 127.0.0.1:$port"
  nginx -p "$prefix/" -c "$prefix/nginx.conf" -e "$prefix/error.log" </dev/null \
    >"$prefix/stdout.log" 2>&1 &
  nginx_pid=$!
  for _ in $(seq 50); do
    if curl -sf --max-time 2 -o /dev/null "$nginx_url"; then
      return 0
    fi
    kill -0 "$nginx_pid" 2>/dev/null || fail "nginx exited during start; see $prefix/error.log"
    sleep 0.1
  done
  fail "nginx is not answering after 5 s; see $prefix/error.log"
}

# Sends one request of each measured kind and checks its status, so that a broken endpoint
# fails the run instead of producing a fast table of errors.
check_endpoints() {
  curl -sS --max-time 30 --fail-with-body -H "@$authorization_file" \
    -o "$out_dir/list-response.json" "$list_url"
  local items
  items=$(jq '.items | length' "$out_dir/list-response.json")
  [ "$items" = "$evidence_count" ] ||
    fail "the evidence list returned $items items, expected $evidence_count"
  api POST "/api/v1/evidence/${evidence_ids[0]}/versions" '{"file_name": "check.pdf",
    "size": 1, "sha256": "'"$(printf x | sha256sum | cut -d ' ' -f 1)"'",
    "md5": "'"$(printf x | md5sum | cut -d ' ' -f 1)"'", "media_type": "application/pdf"}' \
    >"$out_dir/create-version-response.json"
  api POST "/api/v1/evidence/${evidence_ids[0]}/versions/$version_id/download" '{}' \
    >"$out_dir/download-response.json"
}

wait_for_idle() {
  local waited=0
  while awk -v load="$(load_1min)" -v max="$max_load" 'BEGIN { exit !(load > max) }'; do
    if [ "$waited" -ge "$max_wait_seconds" ]; then
      log "the load is still $(load_1min) after ${waited} s; measuring anyway"
      echo "waited ${waited} s for the load to fall below $max_load; it did not" \
        >>"$out_dir/machine.txt"
      return 0
    fi
    log "1-minute load average $(load_1min) is above $max_load; waiting 60 s"
    sleep 60
    waited=$((waited + 60))
  done
  echo "waited ${waited} s for the 1-minute load average to fall below $max_load" \
    >>"$out_dir/machine.txt"
}

run_microbenchmarks() {
  local name
  for name in presign_bench merkle_bench; do
    log "running $name"
    echo "load average before $name: $(load_averages)" >>"$out_dir/machine.txt"
    # shellcheck disable=SC2086
    timeout 900 "$build_dir/bench/$name" $microbenchmark_flags \
      --benchmark_out="$out_dir/$name.json" --benchmark_out_format=json \
      >"$out_dir/$name.txt" 2>&1
  done
}

# Prints one table row per benchmark of FILE.json: name, median real and CPU time in µs.
microbenchmark_rows() {
  jq -r '
    def microseconds($time): $time / ({"ns": 1000, "us": 1, "ms": 0.001, "s": 0.000001}
      [.time_unit]) * 1000 | round / 1000;
    .benchmarks[] | select(.aggregate_name == "median")
    | "| `\(.run_name)` | \(microseconds(.real_time)) | \(microseconds(.cpu_time)) |"' "$1"
}

write_summary() {
  local custodyd_rps nginx_rps ratio name
  custodyd_rps=$(rate_of evidence-list)
  nginx_rps=$(rate_of nginx-static)
  ratio=$(awk -v a="$custodyd_rps" -v b="$nginx_rps" 'BEGIN { printf "%.3f", a / b }')
  {
    echo "# Custody benchmark run"
    echo
    echo '```'
    cat "$out_dir/machine.txt"
    echo '```'
    echo
    echo "wrk: $threads threads, $connections connections, ${seconds} s per row after a" \
      "${warmup_seconds} s warm-up; custodyd worker_threads = $worker_threads."
    echo "The columns from server to idle are cores used during the measured run (of" \
      "$cpu_count), estimated from tick counts. Kernel is the kernel threads, and other is every" \
      "process that this script did not start."
    echo
    echo "| run | requests/s | p50 ms | p99 ms | errors | server CPU µs/request | server |" \
      "wrk | RGW | kernel | other | idle | 1-min load before |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    cat "$out_dir/table.md"
    echo
    echo "custodyd evidence list / nginx static file: $ratio"
    echo
    echo "Commands (CUSTODY_TOKEN and CUSTODY_EVIDENCE_IDS come from the environment):"
    echo
    echo '```'
    for name in evidence-list nginx-static version-create download-url; do
      sed -n 's/^command: //p' "$out_dir/wrk-$name.txt"
    done
    for name in presign_bench merkle_bench; do
      echo "build/release/bench/$name $microbenchmark_flags"
    done
    echo '```'
    echo
    echo "Response sizes: evidence list $(wc -c <"$out_dir/list-response.json") bytes," \
      "version create $(wc -c <"$out_dir/create-version-response.json") bytes," \
      "download $(wc -c <"$out_dir/download-response.json") bytes."
    echo
    echo "custodyd log: $(grep -c '"level":"error"' "$out_dir/custodyd/custodyd.log" || true)" \
      "error lines, $(grep -c '"level":"warn' "$out_dir/custodyd/custodyd.log" || true)" \
      "warning lines."
    echo
    echo "| benchmark | real time µs (median of 3) | CPU time µs (median of 3) |"
    echo "| --- | --- | --- |"
    microbenchmark_rows "$out_dir/presign_bench.json"
    microbenchmark_rows "$out_dir/merkle_bench.json"
  } >"$summary"
}

main() {
  log "writing results to $out_dir"
  build
  record_machine
  start_rgw
  start_custodyd
  create_data
  check_endpoints
  start_nginx
  wait_for_idle
  run_microbenchmarks

  : >"$out_dir/table.md"
  : >"$out_dir/rates.txt"
  measure evidence-list "$list_url" get.lua "$custodyd_pid"
  # An empty CUSTODY_TOKEN makes get.lua send no Authorization header.
  CUSTODY_TOKEN="" measure nginx-static "$nginx_url" get.lua "$(nginx_pids)"
  # About 100 bytes a request, over 100 MB for a 20 s run, so only its line count is kept.
  echo "nginx access log lines: $(wc -l <"$out_dir/nginx/access.log")" >>"$out_dir/machine.txt"
  : >"$out_dir/nginx/access.log"
  measure version-create "$server_url/api/v1/evidence/${evidence_ids[0]}/versions" \
    create_version.lua "$custodyd_pid"
  measure download-url \
    "$server_url/api/v1/evidence/${evidence_ids[0]}/versions/$version_id/download" \
    download.lua "$custodyd_pid"
  echo "load average at the end: $(load_averages)" >>"$out_dir/machine.txt"

  write_summary
  cat "$summary"
  log "raw output and logs are in $out_dir"
}

# One line, so that bash has read all of it before the run starts and an edit of this file
# during a run cannot change what runs after main returns.
main "$@"; exit $?
