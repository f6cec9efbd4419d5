#!/usr/bin/env bash
# The project's main job on a fresh Debian 12 machine: install the dependencies, build the "release" preset into
# build/, then run the main job: `iexec-pool up`, the whole workerpool on this machine (the local chain with the
# real PoCo 6.1.0, the market, the core scheduler and its dashboard, 4 workers, the demo apps deployed and their
# orders published). It prints the URLs, the chain.json to use and the next command to try; Ctrl-C stops
# everything and running it again resumes the same chain and state (kept in .iexec-pool/ by default).
# Extra arguments go to `iexec-pool up` (e.g. --workers 2 --port-base 18545 --data-dir /tmp/pool
# --info-file /tmp/pool/info.json). `bash scripts/run.sh devnet …` runs the bare devnet instead (the former main job).
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
if [[ "${1:-}" == "devnet" ]]; then
    shift
    exec ./build/bin/iexec-pool devnet "$@"
fi
exec ./build/bin/iexec-pool up "$@"
