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
    bubblewrap docker.io busybox-static libzip-dev
    chromium python3-yaml curl
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

# npm_ci_locked <dir> <label>: `npm ci` in <dir> unless node_modules already matches the committed
# package-lock.json (a stamp file holds the lock's sha256). Optional dependencies are always included (the anvil
# binary is one; an npm configured with omit=optional would silently leave it out). --prefer-offline: the lock pins
# every integrity hash, so cached tarballs need no revalidation (about 2x faster with a warm cache). Sets npm_ran=1
# when it installed.
# (Errors exit explicitly: errexit does not apply inside a function called from an if / || context.)
npm_ci_locked() {
    local dir="$1" label="$2"
    local stamp="$dir/node_modules/.wp-lock-sha256"
    local want
    want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        say "npm: $label/node_modules is up to date"
        npm_ran=0
        return 0
    fi
    say "npm: npm ci in $label"
    local t0=$SECONDS
    rm -f "$stamp"
    if ! npm ci --prefix "$dir" --include=optional --prefer-offline --no-audit --no-fund --loglevel=error; then
        say "ERROR: npm ci failed in $label" >&2
        exit 1
    fi
    echo "$want" >"$stamp"
    say "npm: $label installed in $((SECONDS - t0)) s"
    npm_ran=1
}

# The ethers oracle (tests/oracle): exact versions from the committed package-lock.json.
oracle="$repo/tests/oracle"
if [[ -f "$oracle/package-lock.json" ]]; then
    npm_ci_locked "$oracle" tests/oracle
    if ((npm_ran)); then
        say "npm: ethers $(node -p "require('$oracle/node_modules/ethers/package.json').version") installed"
    fi
fi

# The dashboard's browser test (tests/dashboard): playwright-core, which drives Debian's chromium (no browser
# download), exact version from the committed package-lock.json.
npm_ci_locked "$repo/tests/dashboard" tests/dashboard

# The local devnet (tools/devnet): the anvil binary (@foundry-rs/anvil, through its platform package) and the
# iExec SDK, exact versions from the committed package-lock.json (shared/reference/local-chain.md section 2).
devnet="$repo/tools/devnet"
case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) anvil_platform=linux-amd64 ;;
    Linux-aarch64) anvil_platform=linux-arm64 ;;
    Darwin-x86_64) anvil_platform=darwin-amd64 ;;
    Darwin-arm64) anvil_platform=darwin-arm64 ;;
    *) anvil_platform="" ;;
esac
anvil_bin="$devnet/node_modules/@foundry-rs/anvil-$anvil_platform/bin/anvil"
if [[ -n "$anvil_platform" && -f "$devnet/node_modules/.wp-lock-sha256" && ! -x "$anvil_bin" ]]; then
    rm -f "$devnet/node_modules/.wp-lock-sha256"  # stamp present but the binary vanished: reinstall
fi
npm_ci_locked "$devnet" tools/devnet
if [[ -z "$anvil_platform" ]]; then
    say "WARNING: no anvil binary package for $(uname -s)-$(uname -m); the anvil tests will be skipped" >&2
elif [[ ! -x "$anvil_bin" ]]; then
    say "ERROR: $anvil_bin is missing after npm ci. It comes from the optional dependency" >&2
    say "       @foundry-rs/anvil-$anvil_platform; check that npm does not omit optional dependencies." >&2
    exit 1
else
    say "anvil: $("$anvil_bin" --version | head -1) at ${anvil_bin#"$repo/"}"
fi

# The PoCo 6.1.0 contracts (artifacts + deployments), read by libs/wp/deploy. `npm install @iexec/poco` fails (its
# dependencies are GitHub URLs), so the published tarball is fetched with `npm pack` and unpacked into
# tools/devnet/poco/package. The tarball's sha256 is pinned here.
poco_version=6.1.0
poco_sha256=3ee5d88d5531ca9ef13f30ef434fb92b40562edcc1a23e852715dff3e655ff1a
poco_dir="$devnet/poco"
poco_tgz="$poco_dir/iexec-poco-$poco_version.tgz"
poco_stamp="$poco_dir/package/.wp-unpacked-sha256"
if [[ -f "$poco_stamp" && "$(cat "$poco_stamp")" == "$poco_sha256" ]]; then
    say "poco: tools/devnet/poco/package is up to date (@iexec/poco@$poco_version)"
else
    mkdir -p "$poco_dir"
    if [[ ! -f "$poco_tgz" ]] || [[ "$(sha256sum "$poco_tgz" | cut -d' ' -f1)" != "$poco_sha256" ]]; then
        say "poco: npm pack @iexec/poco@$poco_version"
        rm -f "$poco_tgz"
        (cd "$poco_dir" && npm pack "@iexec/poco@$poco_version" --loglevel=error >/dev/null)
    fi
    got="$(sha256sum "$poco_tgz" | cut -d' ' -f1)"
    if [[ "$got" != "$poco_sha256" ]]; then
        say "ERROR: $poco_tgz has sha256 $got, expected $poco_sha256" >&2
        exit 1
    fi
    rm -rf "$poco_dir/package"
    tar -xzf "$poco_tgz" -C "$poco_dir"
    for f in artifacts/contracts/Diamond.sol/Diamond.json deployments/arbitrumSepolia/RLC.json; do
        if [[ ! -f "$poco_dir/package/$f" ]]; then
            say "ERROR: $f is missing from the @iexec/poco@$poco_version tarball" >&2
            exit 1
        fi
    done
    echo "$poco_sha256" >"$poco_stamp"
    say "poco: unpacked into tools/devnet/poco/package"
fi

say "done"
