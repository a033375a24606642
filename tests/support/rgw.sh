#!/usr/bin/env bash
# A throwaway Ceph RADOS Gateway on 127.0.0.1 for Custody's S3, STS and SSE-KMS tests: one
# monitor, one OSD on memstore (RAM only, nothing survives a stop) and radosgw, from Debian's
# Ceph 16.2 packages.
#
#   rgw.sh install      install the Debian packages (needs root)
#   rgw.sh start DIR    start a fresh cluster in DIR (wiped first); writes DIR/env
#   rgw.sh stop DIR     stop the daemons started in DIR (by their pid files); safe to repeat
#   rgw.sh env DIR      print DIR/env, for: eval "$(tests/support/rgw.sh env DIR)"
#
# Environment: RGW_PORT (S3/STS port, default 7480), MON_PORT (monitor port, default 3300).
# The OSD takes free ports from 6800 up. Everything binds to 127.0.0.1 only.
#
# What the cluster offers: user "tester" with the fixed keys below; role EvidenceUploader that
# tester may assume (s3:* on every bucket); SSE-KMS through RGW's "testing" key backend with
# keys testkey-1 and testkey-2; SSE over plain HTTP allowed (rgw crypt require ssl = false).
set -euo pipefail

RGW_PORT=${RGW_PORT:-7480}
MON_PORT=${MON_PORT:-3300}
TESTER_ACCESS_KEY=AKIDCUSTODYTESTER01
TESTER_SECRET_KEY=custody-rgw-tester-secret-000000000001
ROLE_NAME=EvidenceUploader
# 32-byte AES keys, base64: the ASCII strings "custody-rgw-testkey-N-aes256-key".
TESTKEY_1=Y3VzdG9keS1yZ3ctdGVzdGtleS0xLWFlczI1Ni1rZXk=
TESTKEY_2=Y3VzdG9keS1yZ3ctdGVzdGtleS0yLWFlczI1Ni1rZXk=
# The daemons this script starts, with the executable name each pid file must belong to.
DAEMONS=("client.rgw.a:radosgw" "osd.0:ceph-osd" "mon.a:ceph-mon")

usage() {
  echo "usage: $0 install | start DIR | stop DIR | env DIR" >&2
  exit 2
}

log() { echo "rgw.sh: $*" >&2; }

now_ms() { date +%s%3N; }

# Runs a command until it succeeds or SECONDS pass.
wait_until() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$(($(now_ms) + seconds * 1000))
  until "$@" >/dev/null 2>&1; do
    if [ "$(now_ms)" -ge "$deadline" ]; then
      log "timed out after ${seconds}s waiting for $what"
      return 1
    fi
    sleep 0.2
  done
}

# Stops every daemon whose pid file is in DIR/run, checking that the pid still belongs to the
# expected program so a reused pid is never signalled.
stop_daemons() {
  local dir=$1 entry name program pid_file pid
  for entry in "${DAEMONS[@]}"; do
    name=${entry%%:*}
    program=${entry##*:}
    pid_file="$dir/run/$name.pid"
    [ -f "$pid_file" ] || continue
    pid=$(cat "$pid_file")
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$program" ]; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 100); do
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$program" ] || break
        sleep 0.1
      done
      if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$program" ]; then
        log "$name (pid $pid) did not stop; sending SIGKILL"
        kill -9 "$pid" 2>/dev/null || true
      fi
    fi
    rm -f "$pid_file"
  done
}

write_config() {
  local dir=$1 fsid=$2
  cat >"$dir/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $dir/client.admin.keyring
run dir = $dir/run
pid file = $dir/run/\$name.pid
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
# One OSD: pools of size 1, few placement groups, no host-level spreading.
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
# A monitor shuts itself down when its disk is nearly full; test machines often are.
mon data avail warn = 1
mon data avail crit = 0
osd objectstore = memstore
memstore device bytes = 1073741824

[mon.a]
mon data = $dir/mon.a

[osd.0]
osd data = $dir/osd.0
keyring = $dir/osd.0/keyring

[client.rgw.a]
keyring = $dir/client.rgw.a.keyring
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw enable apis = s3, admin, sts, iam
rgw s3 auth use sts = true
rgw sts key = custodyrgwstskey
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = testkey-1=$TESTKEY_1 testkey-2=$TESTKEY_2
rgw crypt require ssl = false
EOF
}

start_monitor() {
  local dir=$1 fsid=$2
  ceph-authtool --create-keyring "$dir/mon.keyring" --gen-key -n mon. --cap mon 'allow *' \
    >/dev/null
  ceph-authtool --create-keyring "$dir/client.admin.keyring" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool "$dir/mon.keyring" --import-keyring "$dir/client.admin.keyring" >/dev/null
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$MON_PORT]" "$dir/monmap" \
    >/dev/null
  ceph-mon -c "$dir/ceph.conf" -i a --mkfs --monmap "$dir/monmap" --keyring "$dir/mon.keyring"
  ceph-mon -c "$dir/ceph.conf" -i a
  wait_until 30 "the monitor" ceph -c "$dir/ceph.conf" --connect-timeout 2 mon stat
}

start_osd() {
  local dir=$1 uuid id
  uuid=$(cat /proc/sys/kernel/random/uuid)
  id=$(ceph -c "$dir/ceph.conf" osd new "$uuid")
  if [ "$id" != 0 ]; then
    log "expected OSD id 0, got $id"
    return 1
  fi
  mkdir -p "$dir/osd.0"
  ceph-osd -c "$dir/ceph.conf" -i 0 --mkfs --mkkey --no-mon-config --osd-uuid "$uuid" \
    2>>"$dir/log/osd.0-mkfs.log"
  ceph -c "$dir/ceph.conf" auth add osd.0 osd 'allow *' mon 'allow profile osd' \
    mgr 'allow profile osd' -i "$dir/osd.0/keyring" 2>/dev/null
  ceph-osd -c "$dir/ceph.conf" -i 0 2>>"$dir/log/osd.0-start.log"
  wait_until 60 "the OSD" bash -c "ceph -c '$dir/ceph.conf' osd stat | grep -q '1 up'"
}

start_gateway() {
  local dir=$1
  ceph -c "$dir/ceph.conf" auth get-or-create client.rgw.a mon 'allow rw' osd 'allow rwx' \
    -o "$dir/client.rgw.a.keyring"
  radosgw -c "$dir/ceph.conf" -n client.rgw.a
  wait_until 90 "radosgw on port $RGW_PORT" curl -s -o /dev/null "http://127.0.0.1:$RGW_PORT/"
}

create_identities() {
  local dir=$1
  local admin=(radosgw-admin -c "$dir/ceph.conf")
  "${admin[@]}" user create --uid=tester --display-name="Custody tester" \
    --access-key="$TESTER_ACCESS_KEY" --secret="$TESTER_SECRET_KEY" >/dev/null
  # No sts:ExternalId condition: RGW 16.2 cannot evaluate it, and a role whose trust policy
  # has one cannot be assumed at all.
  "${admin[@]}" role create --role-name="$ROLE_NAME" --path=/ --assume-role-policy-doc='{
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow",
                   "Principal": {"AWS": ["arn:aws:iam:::user/tester"]},
                   "Action": ["sts:AssumeRole", "sts:TagSession"]}]}' >/dev/null
  "${admin[@]}" role-policy put --role-name="$ROLE_NAME" --policy-name=evidence --policy-doc='{
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::*"]}]}' \
    >/dev/null
}

write_env() {
  local dir=$1
  cat >"$dir/env" <<EOF
export S3_ENDPOINT=http://127.0.0.1:$RGW_PORT
export AWS_ACCESS_KEY_ID=$TESTER_ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$TESTER_SECRET_KEY
export AWS_DEFAULT_REGION=us-east-1
export S3_ROLE_ARN=arn:aws:iam:::role/$ROLE_NAME
export S3_KMS_KEY_ID=testkey-1
EOF
}

command=${1:-}
case "$command" in
  install)
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends radosgw ceph-mon ceph-osd ceph-common curl \
      >/dev/null
    ;;
  start)
    [ $# -eq 2 ] || usage
    dir=$(realpath -m "$2")
    started=$(now_ms)
    stop_daemons "$dir"
    rm -rf "$dir"
    mkdir -p "$dir/run" "$dir/log"
    fsid=$(cat /proc/sys/kernel/random/uuid)
    write_config "$dir" "$fsid"
    # Leave nothing running when a step fails part way.
    trap 'log "start failed; logs are in $dir/log"; stop_daemons "$dir"' ERR
    start_monitor "$dir" "$fsid"
    start_osd "$dir"
    start_gateway "$dir"
    create_identities "$dir"
    write_env "$dir"
    trap - ERR
    log "radosgw is ready on http://127.0.0.1:$RGW_PORT after $(($(now_ms) - started)) ms;" \
      "settings are in $dir/env"
    ;;
  stop)
    [ $# -eq 2 ] || usage
    stop_daemons "$(realpath -m "$2")"
    ;;
  env)
    [ $# -eq 2 ] || usage
    if [ ! -f "$2/env" ]; then
      log "no env file in $2; run: $0 start $2"
      exit 1
    fi
    cat "$2/env"
    ;;
  *)
    usage
    ;;
esac
