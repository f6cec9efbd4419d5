#!/usr/bin/env bash
# Installs everything the build and the tests need on Debian 12, from apt and npm only.
# Idempotent: apt is only touched when a package is missing, npm only when the lock file changed.
#
#   bash scripts/install-deps.sh        (as root, or as a user with sudo)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { printf '[install-deps] %s\n' "$*"; }

apt_packages=(
    build-essential cmake ninja-build ccache pkg-config g++
    clang-14 libclang-rt-14-dev lld-14 clang-format-14 clang-tidy-14
    libsecp256k1-dev libboost1.81-dev libboost-json1.81-dev libcrypto++-dev libssl-dev
    libsqlite3-dev libpq-dev postgresql
    libcli11-dev libspdlog-dev libfmt-dev libexpected-dev
    libgtest-dev libgmock-dev libbenchmark-dev
)
# Node: any nodejs >= 18 will do (the machine image ships node 20); Debian's are a fallback.
if ! command -v node >/dev/null 2>&1; then
    apt_packages+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1; then
    apt_packages+=(npm)
fi

missing=()
for pkg in "${apt_packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]} == 0)); then
    say "apt: all ${#apt_packages[@]} packages present"
else
    if [[ $(id -u) -eq 0 ]]; then
        as_root=()
    elif command -v sudo >/dev/null 2>&1; then
        as_root=(sudo)
    else
        say "ERROR: missing packages (${missing[*]}) and neither root nor sudo available" >&2
        exit 1
    fi
    say "apt: installing ${#missing[@]} missing package(s): ${missing[*]}"
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    say "apt: done"
fi

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if ((node_major < 18)); then
    say "ERROR: node $(node --version) is too old; ethers 6 and the oracle tests need node >= 18" >&2
    exit 1
fi
say "node $(node --version), npm $(npm --version)"

# The ethers oracle (tests/oracle): exact versions from the committed package-lock.json.
oracle="$repo/tests/oracle"
if [[ -f "$oracle/package-lock.json" ]]; then
    stamp="$oracle/node_modules/.wp-lock-sha256"
    want="$(sha256sum "$oracle/package-lock.json" | cut -d' ' -f1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        say "npm: tests/oracle/node_modules is up to date"
    else
        say "npm: npm ci in tests/oracle"
        npm ci --prefix "$oracle" --no-audit --no-fund --loglevel=error
        echo "$want" >"$stamp"
        say "npm: ethers $(node -p "require('$oracle/node_modules/ethers/package.json').version") installed"
    fi
fi

say "done"
