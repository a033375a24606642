#!/usr/bin/env bash
# Stop the custodyd and RGW that scripts/dev-up.sh started, by their pid files in var/.
set -euo pipefail

cd "$(dirname -- "$0")/.."
var_dir=$(pwd)/var
pid_file=$var_dir/custodyd.pid

if [ -f "$pid_file" ]; then
  pid=$(cat "$pid_file")
  # The pid may have been reused since custodyd exited: check the command name first.
  if grep -qa custodyd "/proc/$pid/cmdline" 2>/dev/null; then
    echo "dev-down: stopping custodyd (pid $pid)"
    kill -TERM "$pid"
    # custodyd finishes requests in flight and exits; after 10 s it is killed.
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "dev-down: custodyd did not exit within 10 s; sending SIGKILL" >&2
      kill -KILL "$pid"
    fi
  fi
  rm -f "$pid_file"
fi

if [ -d "$var_dir/rgw" ]; then
  echo "dev-down: stopping RGW"
  bash tests/support/rgw.sh stop "$var_dir/rgw"
fi
