#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this script):
#   1. install the dependencies (scripts/install-deps.sh)
#   2. build the "ci" preset (g++, warnings are errors) into build/
#   3. build the libFuzzer targets with the "fuzz" preset (clang-14) into build-fuzz/
#   4. ctest on build/ (every label: unit, vectors, bench smoke, ...)
#   5. ctest on build-fuzz/ (label fuzz: each fuzzer runs for WP_FUZZ_SECONDS, default 15 s)
# Exits non-zero if anything fails. Both test runs happen even if the first one fails.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
start=$SECONDS
say() { printf '\n==== [%4d s] %s\n' "$((SECONDS - start))" "$*"; }

# ccache: key on paths relative to the checkout (and not on the working directory, which -g would
# add), so a fresh clone reuses earlier builds of the same sources.
export CCACHE_BASEDIR="$repo" CCACHE_NOHASHDIR=1

say "dependencies"
bash scripts/install-deps.sh

say "configure + build: preset ci (build/)"
cmake --preset ci
cmake --build --preset ci

say "configure + build: preset fuzz (build-fuzz/)"
cmake --preset fuzz
cmake --build --preset fuzz

status=0
say "ctest: build/ (all labels)"
ctest --preset ci --output-on-failure -j2 || status=1

say "ctest: build-fuzz/ (label fuzz)"
ctest --preset fuzz --output-on-failure -j2 || status=1

if ((status == 0)); then
    say "all tests passed"
else
    say "FAILED: see the ctest output above"
fi
exit "$status"
