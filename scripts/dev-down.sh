#!/usr/bin/env bash
# Stop the custodyd, demo OIDC provider, S3 proxy and RGW that scripts/dev-up.sh started, by
# their pid files in var/.
set -euo pipefail

cd "$(dirname -- "$0")/.."
var_dir=$(pwd)/var

# Stops the process in PID_FILE with SIGTERM, and with SIGKILL after 10 s, when its command
# line contains PATTERN, then removes the pid file.
stop_by_pid_file() {
  local name=$1 pid_file=$2 pattern=$3
  if [ ! -f "$pid_file" ]; then
    return
  fi
  local pid
  pid=$(cat "$pid_file")
  # The pid may have been reused since the process exited: check the command line first.
  if grep -qaF -- "$pattern" "/proc/$pid/cmdline" 2>/dev/null; then
    echo "dev-down: stopping $name (pid $pid)"
    kill -TERM "$pid"
    # custodyd finishes requests in flight and exits; after 10 s it is killed.
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "dev-down: $name did not exit within 10 s; sending SIGKILL" >&2
      kill -KILL "$pid"
    fi
  fi
  rm -f "$pid_file"
}

stop_by_pid_file custodyd "$var_dir/custodyd.pid" custodyd
stop_by_pid_file "the demo OIDC provider" "$var_dir/oidc-idp.pid" idp.mjs
stop_by_pid_file "the S3 proxy" "$var_dir/s3-proxy.pid" s3_proxy

if [ -d "$var_dir/rgw" ]; then
  echo "dev-down: stopping RGW"
  bash tests/support/rgw.sh stop "$var_dir/rgw"
fi
