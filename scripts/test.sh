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
passed=0
failed=0
# run_ctest <title> <ctest args...>: runs ctest, adds its counts to passed/failed.
run_ctest() {
    local title=$1 log
    shift
    say "ctest: $title"
    log="$(mktemp)"
    if ! ctest "$@" 2>&1 | tee "$log"; then
        status=1
    fi
    local line total bad
    line="$(grep -E '[0-9]+ tests failed out of [0-9]+' "$log" | tail -1 || true)"
    if [[ -n "$line" ]]; then
        bad="$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")"
        total="$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")"
        passed=$((passed + total - bad))
        failed=$((failed + bad))
    else
        status=1
    fi
    rm -f "$log"
}

run_ctest "build/ (all labels)" --preset ci --output-on-failure -j2
run_ctest "build-fuzz/ (label fuzz)" --preset fuzz --output-on-failure -j2

if ((status == 0)); then
    say "all tests passed"
else
    say "FAILED: see the ctest output above"
fi
echo "test.sh: ${passed} passed, ${failed} failed"
exit "$status"
