#!/usr/bin/env bash
# The dashboard's browser test against a real pool: `iexec-pool up` (ports below the ephemeral range, bind-checked:
# tests/up/port_base.py), then browser_test.mjs opens the dashboard in headless chromium and, once it has seen the
# pool's workers, this script creates a 3-task deal of the echo app from the published orders with our `iexec` CLI
# (as tests/up/e2e_echo_deal.sh does); the page must show the tasks complete live, with data in the account,
# throughput and orders panels and a task's details. Screenshots and logs in <artifact dir>.
#   browser_test.sh <iexec-pool> <iexec> <artifact dir>
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pool_bin=$(realpath "$1")
iexec_bin=$(realpath "$2")
out=$(realpath -m "$3")
volume=3
rm -rf "$out"
mkdir -p "$out/req"
fail() { echo "FAIL: $*" >&2; [[ -f "$out/up.log" ]] && tail -20 "$out/up.log" >&2; exit 1; }
if [[ ! -d "$here/node_modules/playwright-core" ]]; then
  fail "tests/dashboard/node_modules/playwright-core is missing: run scripts/install-deps.sh"
fi
base=$(python3 "$here/../up/port_base.py" 3) || fail "no free port base"
info="$out/info.json"
up_pid=""
node_pid=""
cleanup() {
  [[ -n "$node_pid" ]] && kill "$node_pid" 2>/dev/null
  [[ -n "$up_pid" ]] && kill -INT "$up_pid" 2>/dev/null
  wait 2>/dev/null || true
}
trap cleanup EXIT
"$pool_bin" up --workers 2 --data-dir "$out/data" --port-base "$base" --info-file "$info" >"$out/up.log" 2>&1 &
up_pid=$!
for _ in $(seq 1 1800); do
  [[ -f "$info" ]] && break
  kill -0 "$up_pid" 2>/dev/null || fail "iexec-pool up ended"
  sleep 0.1
done
[[ -f "$info" ]] || fail "iexec-pool up not ready after 180 s"
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d'+sys.argv[2]))" "$info" "$1"; }
echo "stage: up ready"

# The browser first: it sees the pool before the deal exists, then the deal's tasks complete on the open page.
node "$here/browser_test.mjs" "$(field "['dashboard']")" "$out" "$out/page-ready" "$volume" &
node_pid=$!
for _ in $(seq 1 600); do
  [[ -f "$out/page-ready" ]] && break
  kill -0 "$node_pid" 2>/dev/null || { wait "$node_pid" || true; node_pid=""; fail "the browser test ended before the deal"; }
  sleep 0.1
done
[[ -f "$out/page-ready" ]] || fail "the page did not show the workers in 60 s"
echo "stage: page shows the workers"

echo_app=$(field "['apps']['echo']")
pool=$(field "['workerpool']")
cd "$out/req"
X=(--keystoredir local --password test --raw)
"$iexec_bin" init --skip-wallet --raw >/dev/null
cp "$(field "['chainJson']")" chain.json
"$iexec_bin" wallet import "$(field "['requester']['privateKey']")" "${X[@]}" >/dev/null
"$iexec_bin" order init --request "${X[@]}" >/dev/null
python3 - "$echo_app" "$pool" "$volume" <<'PY'
import json, sys
cfg = json.load(open("iexec.json"))
r = cfg["order"]["requestorder"]
r.update(app=sys.argv[1], workerpool=sys.argv[2], volume=sys.argv[3], category="0", trust="0")
r["params"]["iexec_args"] = "seen in a browser"
json.dump(cfg, open("iexec.json", "w"), indent=2)
PY
"$iexec_bin" order sign --request "${X[@]}" >/dev/null || fail "order sign --request"
app_hash=$("$iexec_bin" orderbook app "$echo_app" --raw | python3 -c 'import json,sys; print(json.load(sys.stdin)["appOrders"][0]["orderHash"])')
pool_hash=$("$iexec_bin" orderbook workerpool "$pool" --raw | python3 -c 'import json,sys; print(json.load(sys.stdin)["workerpoolOrders"][0]["orderHash"])')
fill=$("$iexec_bin" order fill --app "$app_hash" --workerpool "$pool_hash" --force "${X[@]}") || fail "order fill: $fill"
deal=$(echo "$fill" | python3 -c 'import json,sys; print(json.load(sys.stdin)["dealid"])')
echo "stage: deal $deal ($volume tasks)"

status=0
wait "$node_pid" || status=$?
node_pid=""
[[ $status -eq 0 ]] || fail "the browser test failed (screenshots in $out)"
kill -INT "$up_pid"
wait "$up_pid" || fail "iexec-pool up did not stop cleanly"
up_pid=""
echo "ok: the dashboard showed a real pool live; screenshots in $out"
