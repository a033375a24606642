#!/usr/bin/env bash
# Start a local Custody for development. It runs a Ceph RGW as the customer's S3
# (127.0.0.1:7480), with an HTTP proxy in front for browsers and the CLI (127.0.0.1:8082). It
# also runs the test OIDC provider as the demo identity provider (127.0.0.1:8081) and custodyd
# (127.0.0.1:8080). It creates a demo organization with an AWS connection to the bucket
# `custody-demo` and five users who sign in through that provider. Everything is in var/, and
# scripts/dev-down.sh stops it.
#
#   scripts/dev-up.sh [--skip-build] [--build-dir DIR]
#
# --skip-build starts the binaries and the web app already built, without installing packages
# or building. --build-dir DIR takes custodyd and custody from the configured build folder DIR
# instead of build/release, and implies --skip-build.
#
# Running it again stops the servers and starts from scratch: RGW keeps objects in memory
# only, so the database is reset together with the bucket.
set -euo pipefail

usage() {
  echo "usage: $0 [--skip-build] [--build-dir DIR]" >&2
  exit 2
}

skip_build=false
build_dir=
while [ $# -gt 0 ]; do
  case "$1" in
    --skip-build) skip_build=true ;;
    --build-dir)
      [ $# -ge 2 ] || usage
      # Relative to the caller's directory, before the cd below.
      build_dir=$(realpath -- "$2")
      skip_build=true
      shift
      ;;
    *) usage ;;
  esac
  shift
done

cd "$(dirname -- "$0")/.."
repo_root=$(pwd)
build_dir=${build_dir:-$repo_root/build/release}
var_dir=$repo_root/var
rgw_dir=$var_dir/rgw
bucket=custody-demo
listen=127.0.0.1:8080
server_url=http://$listen
custodyd=$build_dir/src/custody/server/custodyd
custody_cli=$build_dir/src/custody/cli/custody
python=/usr/bin/python3
idp_port=8081
idp_issuer=http://127.0.0.1:$idp_port
idp_dir=$var_dir/oidc-idp
# Browsers and the CLI reach RGW through tests/support/s3_proxy.py. Debian 12's RGW 16.2
# rejects a CORS preflight that carries the presigned query (403). The proxy drops that query,
# so RGW decides the preflight by the bucket's CORS rules, as S3 does.
s3_proxy_port=8082
s3_proxy_url=http://127.0.0.1:$s3_proxy_port
# Debian's awscli v2. An `aws` earlier on PATH may be a different major version.
aws_cli=/usr/bin/aws

export RGW_PORT=7480
export MON_PORT=3300

log() {
  echo "dev-up: $*"
}

# Prints the value at a dotted path ("organization.root_entity_id") of the JSON on stdin.
json_get() {
  "$python" -c '
import json, sys
value = json.load(sys.stdin)
for key in sys.argv[1].split("."):
    value = value[key]
print(value)
' "$1"
}

# Waits up to 30 s until a GET of URL succeeds, or with "any" as the fifth argument until URL
# returns any HTTP status. Exits with the tail of LOG_FILE when the time runs out or the
# process in PID_FILE exits first.
wait_until_up() {
  local name=$1 url=$2 pid_file=$3 log_file=$4 accept=${5:-success}
  local curl_args=(-s -o /dev/null)
  if [ "$accept" != any ]; then
    curl_args+=(-f)
  fi
  for _ in $(seq 150); do
    if curl "${curl_args[@]}" "$url"; then
      return 0
    fi
    if ! kill -0 "$(cat "$pid_file")" 2>/dev/null; then
      tail -n 20 "$log_file" >&2
      echo "dev-up: $name exited during start; see $log_file" >&2
      exit 1
    fi
    sleep 0.2
  done
  tail -n 20 "$log_file" >&2
  echo "dev-up: $name did not start within 30 s; see $log_file" >&2
  exit 1
}

# Sends an API request as the demo admin and prints the response body. Fails on HTTP >= 400.
api() {
  local method=$1 path=$2 body=${3:-}
  local args=(-sS --fail-with-body -X "$method" -H "Authorization: Bearer $admin_token")
  if [ -n "$body" ]; then
    args+=(-H 'Content-Type: application/json' --data-binary "$body")
  fi
  curl "${args[@]}" "$server_url$path"
}

if [ "$skip_build" = false ]; then
  bash scripts/install-deps.sh

  log "building the release preset (custodyd, custody)"
  cmake --preset release >/dev/null
  cmake --build --preset release -j2 --target custodyd custody
  log "building the web app (web/dist)"
  npm run build --prefix web >/dev/null
fi
for required in "$custodyd" "$custody_cli" web/dist/index.html tests/support/oidc-idp/node_modules; do
  if [ ! -e "$required" ]; then
    echo "dev-up: $required is missing; run scripts/dev-up.sh without --skip-build or" \
      "--build-dir" >&2
    exit 1
  fi
done

log "stopping servers of an earlier run"
bash scripts/dev-down.sh >/dev/null

mkdir -p "$var_dir"
rm -f "$var_dir"/custody.db "$var_dir"/custody.db-wal "$var_dir"/custody.db-shm

# The demo IdP is tests/support/oidc-idp/idp.mjs, whose accounts alice, bob, carol, dave and
# erin have the password "<name>-password" and the e-mail address <name>@example.test.
log "starting the demo OIDC provider on $idp_issuer (log: var/oidc-idp.log)"
mkdir -p "$idp_dir"
client_secret=$("$python" -c 'import secrets; print(secrets.token_urlsafe(32))')
(
  umask 077
  cat >"$idp_dir/clients.json" <<EOF
[
  {
    "client_id": "custody-demo",
    "client_secret": "$client_secret",
    "redirect_uris": ["$server_url/auth/oidc/callback"],
    "post_logout_redirect_uris": ["$server_url/auth/signed-out"],
    "grant_types": ["authorization_code"],
    "response_types": ["code"],
    "token_endpoint_auth_method": "client_secret_basic",
    "id_token_signed_response_alg": "RS256"
  }
]
EOF
)
nohup node tests/support/oidc-idp/idp.mjs "$idp_port" "$idp_dir/clients.json" \
  >"$var_dir/oidc-idp.log" 2>&1 </dev/null &
echo $! >"$var_dir/oidc-idp.pid"
wait_until_up "the demo OIDC provider" "$idp_issuer/test/health" "$var_dir/oidc-idp.pid" \
  "$var_dir/oidc-idp.log"

log "starting RGW in $rgw_dir (about 15 s)"
if ! bash tests/support/rgw.sh start "$rgw_dir" >"$var_dir/rgw-script.log" 2>&1 </dev/null; then
  cat "$var_dir/rgw-script.log" >&2
  echo "dev-up: RGW failed to start; its logs are in $rgw_dir/log" >&2
  exit 1
fi
set -a
# shellcheck disable=SC1091
. "$rgw_dir/env"
set +a

log "starting the S3 proxy for browsers on $s3_proxy_url (log: var/s3-proxy.log)"
# The proxy runs until SIGTERM, which dev-down.sh sends.
nohup "$python" -c '
import signal
import sys

sys.path.insert(0, "tests/support")
from s3_proxy import S3Proxy

stop_signals = {signal.SIGTERM, signal.SIGINT}
signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
proxy = S3Proxy("127.0.0.1", int(sys.argv[1]), int(sys.argv[2]))
proxy.start()
print(f"s3_proxy: forwarding {proxy.url} to RGW on port {sys.argv[1]}", flush=True)
signal.sigwait(stop_signals)
proxy.stop()
' "$RGW_PORT" "$s3_proxy_port" >"$var_dir/s3-proxy.log" 2>&1 </dev/null &
echo $! >"$var_dir/s3-proxy.pid"
wait_until_up "the S3 proxy" "$s3_proxy_url/" "$var_dir/s3-proxy.pid" "$var_dir/s3-proxy.log" any

log "creating bucket $bucket"
aws_config=$var_dir/aws-config
cat >"$aws_config" <<EOF
[default]
region = $AWS_DEFAULT_REGION
s3 =
    addressing_style = path
EOF
export AWS_CONFIG_FILE=$aws_config
"$aws_cli" --endpoint-url "$S3_ENDPOINT" s3api create-bucket --bucket "$bucket" >/dev/null

config=$var_dir/custodyd.toml
cat >"$config" <<EOF
# Written by scripts/dev-up.sh. The AWS keys come from CUSTODY_AWS_ACCESS_KEY_ID and
# CUSTODY_AWS_SECRET_ACCESS_KEY in the environment of custodyd.
[server]
listen = "$listen"
public_url = "$server_url"
web_root = "$repo_root/web/dist"
# Empty: a signed-in page gets its organization's S3 origin, the proxy, in connect-src.
web_connect_src = []

[database]
path = "$var_dir/custody.db"

[aws]
sts_endpoint = "$S3_ENDPOINT"
allow_insecure_loopback = true

# custodyd init creates this checkpoint signing key (mode 0600) when it is missing.
[audit]
signing_key_file = "$var_dir/audit.key"

# The demo runs on plain http:// on loopback, for custodyd and for the OIDC issuer.
[auth]
cookie_secure = false
allow_insecure_loopback = true

[log]
level = "info"
EOF
export CUSTODY_AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID
export CUSTODY_AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY

log "creating the demo organization"
init_json=$("$custodyd" --config "$config" init --org "Demo Organization" \
  --admin-email admin@demo.example --admin-name "Demo Admin")
# init prints its JSON result between log lines, one JSON object per line.
admin_token=$(printf '%s\n' "$init_json" | "$python" -c '
import json, sys

for line in sys.stdin:
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        continue
    token = value.get("token", "") if isinstance(value, dict) else ""
    if isinstance(token, str) and token.startswith("cst_"):
        print(token)
        sys.exit(0)
sys.exit("custodyd init printed no token (a string starting with cst_)")
')

log "starting custodyd on $server_url (log: $var_dir/custodyd.log)"
nohup "$custodyd" --config "$config" serve >"$var_dir/custodyd.log" 2>&1 </dev/null &
echo $! >"$var_dir/custodyd.pid"
wait_until_up custodyd "$server_url/readyz" "$var_dir/custodyd.pid" "$var_dir/custodyd.log"

log "creating a demo audit engagement and the AWS connection"
root_entity_id=$(api GET /api/v1/me | json_get organization.root_entity_id)
entity_json=$(api POST /api/v1/entities "{\"name\": \"Demo audit engagement\",
  \"kind\": \"audit_engagement\", \"parent_id\": \"$root_entity_id\"}")
entity_id=$(printf '%s' "$entity_json" | json_get id)
api PUT /api/v1/aws-connection "{\"role_arn\": \"$S3_ROLE_ARN\", \"bucket\": \"$bucket\",
  \"region\": \"us-east-1\", \"kms_key_id\": \"testkey-1\", \"key_prefix\": \"evidence/\",
  \"endpoint\": \"$s3_proxy_url\"}" >/dev/null

# The CORS rules that browser uploads need come from Custody, as an admin would copy them.
log "setting the bucket's CORS configuration from GET /api/v1/aws-connection"
cors_file=$var_dir/bucket-cors.json
api GET /api/v1/aws-connection | "$python" -c '
import json, sys
json.dump(json.load(sys.stdin)["bucket_cors"], sys.stdout, indent=2)
' >"$cors_file"
"$aws_cli" --endpoint-url "$S3_ENDPOINT" s3api put-bucket-cors --bucket "$bucket" \
  --cors-configuration "file://$cors_file"

log "configuring OIDC sign-in through the demo provider"
api PUT /api/v1/sso/oidc "{\"issuer\": \"$idp_issuer\", \"client_id\": \"custody-demo\",
  \"client_secret\": \"$client_secret\", \"client_auth\": \"client_secret_basic\",
  \"allowed_algs\": [\"RS256\"]}" >/dev/null
api PUT /api/v1/sso/policy '{"link_by": "email", "require_mfa": false}' >/dev/null
organization_id=$(api GET /api/v1/me | json_get organization.id)

# One demo user per role. Each signs in as the IdP account of the same name, matched by e-mail.
log "creating the demo users alice, bob, carol, dave and erin"
demo_users=(
  "alice admin $root_entity_id"
  "bob manager $root_entity_id"
  "carol contributor $entity_id"
  "dave auditor $entity_id"
  "erin viewer $entity_id"
)
for demo_user in "${demo_users[@]}"; do
  read -r name role scope <<<"$demo_user"
  user_id=$(api POST /api/v1/users "{\"email\": \"$name@example.test\",
    \"display_name\": \"${name^} Example\"}" | json_get id)
  api POST /api/v1/role-assignments "{\"user_id\": \"$user_id\", \"entity_id\": \"$scope\",
    \"role\": \"$role\"}" >/dev/null
done

cli=${custody_cli#"$repo_root"/}
cat <<EOF

Custody is running at $server_url (pid $(cat "$var_dir/custodyd.pid"), log var/custodyd.log).
S3 (Ceph RGW) is at $S3_ENDPOINT, bucket $bucket; objects are encrypted with KMS key testkey-1.
Browsers and the CLI reach it through the proxy at $s3_proxy_url (log var/s3-proxy.log).
The demo OIDC provider is at $idp_issuer (log var/oidc-idp.log).
Organization: $organization_id
Demo entity: $entity_id (Demo audit engagement)

Open the web app and sign in with one of the demo accounts:

  $server_url/?organization_id=$organization_id

  user   password         role in Custody
  alice  alice-password   admin of the whole organization
  bob    bob-password     manager of the whole organization
  carol  carol-password   contributor on the Demo audit engagement
  dave   dave-password    auditor on the Demo audit engagement
  erin   erin-password    viewer of the Demo audit engagement

Or use the CLI with the demo admin's API token, in this shell:

  export CUSTODY_SERVER=$server_url CUSTODY_TOKEN=$admin_token
  $cli upload FILE --entity $entity_id
  $cli ls --entity $entity_id
  $cli download EVIDENCE_ID --output FILE

Stop everything with: scripts/dev-down.sh
EOF
