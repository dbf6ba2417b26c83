#!/usr/bin/env bash
# Installs the Debian packages Warden needs to build, test and benchmark.
# Idempotent: only packages that are missing are installed, so `make` stays fast
# on a machine that already has them.
set -euo pipefail

PKGS=(build-essential pkg-config clang libclang-rt-14-dev
      libh2o-dev libuv1-dev libcurl4-openssl-dev libssl-dev libjansson-dev libyaml-dev
      libhyperscan-dev libpcre2-dev libsqlite3-dev libcmocka-dev libpq-dev postgresql
      curl wrk nginx-light valgrind procps psmisc util-linux openssl)

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from Debian or from another packaging that bundles npm.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The official openai npm client drives the API-compatibility tests.
if [ "${1:-}" = "--with-node" ]; then
    dir="$(cd "$(dirname "$0")/.." && pwd)/tests/integration"
    if [ ! -d "$dir/node_modules/openai" ]; then
        echo "install-deps: npm install (tests/integration)"
        (cd "$dir" && npm install --no-audit --no-fund --silent >/dev/null)
    fi
fi
