#!/usr/bin/env bash
# Runs the browser test: the live server in the background, then browser_test.mjs against it.
#   browser_test.sh <wp_dashboard_live_server> <artifact dir>
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
server=$1
out=$2
mkdir -p "$out"
rm -f "$out/url"
if [[ ! -d "$here/node_modules/playwright-core" ]]; then
  echo "FAIL: tests/dashboard/node_modules/playwright-core is missing: run scripts/install-deps.sh" >&2
  exit 1
fi
"$server" "$out/url" 700 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [[ -f "$out/url" ]] && break; sleep 0.1; done
[[ -f "$out/url" ]] || { echo "FAIL: the live server did not start" >&2; exit 1; }
node "$here/browser_test.mjs" "$(cat "$out/url")/dashboard/" "$out"
