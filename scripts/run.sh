#!/usr/bin/env bash
# The project's main job on a fresh Debian 12 machine: install the dependencies, build the
# "release" preset into build/, then run the main job: `iexec-pool devnet` (anvil on 127.0.0.1:8545
# with the real PoCo 6.1.0 deployed by our own deployer, dev accounts funded; Ctrl-C stops it).
# Extra arguments go to `iexec-pool devnet` (e.g. --port 18545 --data-dir /tmp/devnet).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
export CCACHE_BASEDIR="$repo" CCACHE_NOHASHDIR=1

bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release

if [[ ! -x build/bin/iexec-pool ]]; then
    echo "run.sh: build/bin/iexec-pool was not built (see the build output above)" >&2
    exit 1
fi
exec ./build/bin/iexec-pool devnet "$@"
