#!/usr/bin/env bash
# The project's main job on a fresh Debian 12 machine: install the dependencies, build the
# "release" preset into build/, then run the main binary. Today that prints `iexec --version`;
# it will start `iexec-pool devnet` once that command exists.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
export CCACHE_BASEDIR="$repo" CCACHE_NOHASHDIR=1

bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release

if [[ ! -x build/bin/iexec ]]; then
    echo "run.sh: build/bin/iexec was not built (see the build output above)" >&2
    exit 1
fi
exec ./build/bin/iexec --version
