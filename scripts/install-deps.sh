#!/usr/bin/env bash
# Install the Debian 12 packages that Custody needs to build, run and test.
#
# Packages that are already installed are skipped. `apt-get update` runs once, and only
# when something is missing. Needs root (CI and the development machines run as root);
# otherwise it prints the apt-get command to run.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config git
  # libraries
  libboost1.74-dev libboost-system1.74-dev nlohmann-json3-dev libsqlite3-dev libssl-dev
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  # SAML 2.0 service provider: OpenSAML 3 with xmltooling, Xerces-C and xml-security-c
  libsaml-dev
  # unit tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # Ceph RADOS Gateway, the local stand-in for S3, STS and KMS
  radosgw ceph-mon ceph-osd ceph-common
  # integration tests and developer scripts: python3 + botocore is the independent S3 client,
  # sqlite3 opens the database file, /usr/bin/aws (v2) creates the demo bucket, and unshare and
  # mount make a read-only database folder
  python3 python3-botocore sqlite3 curl awscli procps util-linux mount
  # audit integration tests: verifies the Ed25519 signatures of checkpoints with code other
  # than custodyd's
  python3-cryptography
  # OIDC integration tests: the npm package oidc-provider is the identity provider
  nodejs
  # SAML integration tests: SimpleSAMLphp as the identity provider under `php -S`
  # (php8.2-xml provides the DOM extension it needs but does not declare), and the openssl
  # command that makes its signing certificate
  simplesamlphp php8.2-cli php8.2-cgi php8.2-xml php8.2-mbstring openssl
  # load tests
  wrk nginx-light
  # SCIM filter fuzzer: clang with its libFuzzer runtime (the build itself uses g++)
  clang libclang-rt-14-dev
  # web app tests: Playwright (npm playwright-core in tests/e2e) drives Debian's Chromium,
  # because Playwright's own browser download cannot reach its host here
  chromium
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed$'; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages are installed"
else
  echo "install-deps: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: root is required; run: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi

# npm packages of the test identity providers. Each folder has a committed package-lock.json
# and gets `npm ci` when its node_modules is missing or older than the lock. Debian's nodejs
# comes without npm (the NodeSource build includes it), so npm is installed when absent.
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! command -v npm >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: npm is missing; run: sudo apt-get install npm" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm </dev/null
fi
# tests/scim contains newman, which runs Microsoft's SCIM validation collection. web contains
# the browser app's build tools (Vite, TypeScript), and tests/e2e contains playwright-core.
for folder in "$repo_root/tests/support/oidc-idp" "$repo_root/tests/scim" "$repo_root/web" \
  "$repo_root/tests/e2e"; do
  if [ ! -d "$folder/node_modules" ] || [ "$folder/package-lock.json" -nt "$folder/node_modules" ]; then
    echo "install-deps: npm ci in ${folder#"$repo_root"/}"
    npm ci --prefix "$folder" --no-audit --no-fund
    touch "$folder/node_modules"
  fi
done
