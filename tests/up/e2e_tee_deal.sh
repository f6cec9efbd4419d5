#!/usr/bin/env bash
# TEE SIMULATION end to end (issues 10, 11, 12; label "sdk"): `iexec-pool up` (chain, market, core with its simulated
# SMS, workers declaring scone, gramine and tdx), then
#   1. our `iexec`: a Scone-tagged (0x3) and a TDX-tagged (0x9) deal at trust 1, each from the TEE orders `up`
#      publishes; each task ends COMPLETED on chain (contributeAndFinalize: no reveal, no finalize by the core) with
#      resultDigest = sha256 of the expected result.txt (computed here) and a result link served by our core;
#   2. the real iexec SDK 9.0.1 (its orders carry tee+tdx): `iexec app run <echo> --workerpool <pool> --watch`
#      completes through our market, core and worker; the SDK's `iexec task show` reports COMPLETED with our result
#      link, and the core serves the archive at that link.
#   e2e_tee_deal.sh <iexec-pool> <iexec> <real SDK iexec (node script)> <work dir>
set -euo pipefail
pool_bin=$1
iexec_bin=$2
sdk_bin=$3
work=$4
rm -rf "$work"
mkdir -p "$work/req" "$work/sdk"
fail() { echo "FAIL: $*" >&2; [[ -f "$work/up.log" ]] && tail -30 "$work/up.log" >&2; exit 1; }
free_base() {
  python3 - <<'PY'
import socket
for _ in range(200):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close()
    if p > 64000: continue
    ok = True
    for k in (1, 2, 3, 4):
        t = socket.socket()
        try: t.bind(("127.0.0.1", p + k))
        except OSError: ok = False
        t.close()
    if ok: print(p); break
PY
}
base=$(free_base)
info="$work/info.json"
"$pool_bin" up --workers 2 --data-dir "$work/data" --port-base "$base" --info-file "$info" >"$work/up.log" 2>&1 &
up_pid=$!
trap 'kill -INT "$up_pid" 2>/dev/null; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 1800); do
  [[ -f "$info" ]] && break
  kill -0 "$up_pid" 2>/dev/null || fail "iexec-pool up ended"
  sleep 0.1
done
[[ -f "$info" ]] || fail "iexec-pool up not ready after 180 s"
[[ -f "$work/data/tee-orders-published" ]] \
  || fail "up did not publish the TEE orders"
echo "stage: up ready"
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d'+sys.argv[2]))" "$info" "$1"; }
echo_app=$(field "['apps']['echo']")
pool=$(field "['workerpool']")
core=$(field "['core']")
grep -q "TEE SIMULATION" "$work/data/logs/core.log" || fail "the core's log does not label the TEE simulation"
[[ "$(curl -fsS "$core/api/v1/dashboard/summary" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tee"])')" == simulation ]] \
  || fail "the core's summary does not say tee: simulation"

# ---- 1. our CLI: a Scone and a TDX deal at trust 1 -------------------------------------------------------------------
cd "$work/req"
X=(--keystoredir local --password test --raw)
"$iexec_bin" init --skip-wallet --raw >/dev/null
cp "$(field "['chainJson']")" chain.json
"$iexec_bin" wallet import "$(field "['requester']['privateKey']")" "${X[@]}" >/dev/null
pick='import json,sys; print(next(o["orderHash"] for o in json.load(sys.stdin)[sys.argv[1]] if int(o["tag"], 16) == int(sys.argv[2], 16)))'
run_deal() {  # <framework> <tag of the app and workerpool orders> <tag of the request order>
  local name=$1 tag=$2 request_tag=$3 args="tee $1 hello"
  "$iexec_bin" order init --request "${X[@]}" >/dev/null
  python3 - "$echo_app" "$pool" "$args" "$request_tag" <<'PY'
import json, sys
cfg = json.load(open("iexec.json"))
r = cfg["order"]["requestorder"]
r.update(app=sys.argv[1], workerpool=sys.argv[2], volume="1", category="0", trust="1", tag=sys.argv[4])
r["params"]["iexec_args"] = sys.argv[3]
json.dump(cfg, open("iexec.json", "w"), indent=2)
PY
  local signed
  signed=$("$iexec_bin" order sign --request --force "${X[@]}") || fail "$name: order sign --request: $signed"
  [[ "$signed" == *'"ok":true'* ]] || fail "$name: order sign --request: $signed"
  local app_hash pool_hash fill deal
  app_hash=$("$iexec_bin" orderbook app "$echo_app" --raw | python3 -c "$pick" appOrders "$tag") || fail "$name: no app order tagged $tag"
  pool_hash=$("$iexec_bin" orderbook workerpool "$pool" --raw | python3 -c "$pick" workerpoolOrders "$tag") \
    || fail "$name: no workerpool order tagged $tag"
  fill=$("$iexec_bin" order fill --app "$app_hash" --workerpool "$pool_hash" --force "${X[@]}") || fail "$name: order fill: $fill"
  deal=$(echo "$fill" | python3 -c 'import json,sys; print(json.load(sys.stdin)["dealid"])')
  timeout 300 "$iexec_bin" deal show "$deal" --watch --raw >"$work/deal-$name.json" || fail "$name: deal show --watch"
  local task
  task=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); t=d["tasks"]; assert len(t)==1 and t[0]["statusName"]=="COMPLETED", d; print(t[0]["taskid"])' "$work/deal-$name.json") \
    || fail "$name: the task did not complete: $(cat "$work/deal-$name.json")"
  local expected shown
  expected="0x$(printf '%s\n' "$args" | sha256sum | cut -d' ' -f1)"
  shown=$("$iexec_bin" task show "$task" --raw)
  python3 - "$shown" "$expected" "$core" <<'PY' || fail "$name: task show: $shown"
import json, sys
t = json.loads(sys.argv[1])["task"]
assert t["resultDigest"] == sys.argv[2], ("resultDigest", t["resultDigest"], sys.argv[2])
loc = t["results"]["location"] if isinstance(t["results"], dict) else json.loads(t["results"])["location"]
assert loc.startswith(sys.argv[3]), ("result link", t["results"])
PY
  # The worker took the contributeAndFinalize path (no reveal) and was told PLEASE_COMPLETE.
  local short=${task:0:12}
  grep -qh "task $short: CONTRIBUTE_AND_FINALIZE_DONE" "$work"/data/logs/worker-*.log || fail "$name: no contributeAndFinalize"
  ! grep -qh "task $short: REVEAL" "$work"/data/logs/worker-*.log || fail "$name: a reveal happened"
  # The core completed it (TaskFinalize seen) and serves the archive.
  for _ in $(seq 1 100); do
    st=$(curl -fsS "$core/api/v1/dashboard/tasks?deal=$deal" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tasks"][0]["status"])')
    [[ "$st" == COMPLETED ]] && break
    sleep 0.2
  done
  [[ "$st" == COMPLETED ]] || fail "$name: the core says $st"
  curl -fsS -o "$work/result-$name.zip" "$core/api/v1/results/$task" || fail "$name: the core does not serve the result"
  local deal_tag
  deal_tag=$("$iexec_bin" deal show "$deal" --raw | python3 -c 'import json,sys; print(json.load(sys.stdin)["deal"]["tag"])')
  (( 16#${deal_tag:2} == 16#${tag:2} )) || fail "$name: the deal's tag is $deal_tag, not $tag"
  echo "stage: $name deal $deal completed (digest $expected, no reveal, result served)"
}
# Scone: the request says only "tee" (0x1; like the SDK 9.x, our CLI refuses to sign the legacy scone bit) and the
# app order tee+scone (0x3): the deal's tag is their OR, 0x3.
run_deal scone 0x0000000000000000000000000000000000000000000000000000000000000003 \
  0x0000000000000000000000000000000000000000000000000000000000000001
run_deal tdx 0x0000000000000000000000000000000000000000000000000000000000000009 \
  0x0000000000000000000000000000000000000000000000000000000000000009

# ---- 2. the real SDK 9.0.1 -------------------------------------------------------------------------------------------
cd "$work/sdk"
cp "$(field "['chainJson']")" chain.json
echo '{}' >iexec.json
S=(--keystoredir local --password test)
node "$sdk_bin" wallet import "$(field "['requester']['privateKey']")" "${S[@]}" --raw >/dev/null || fail "SDK wallet import"
sdk_args="from the real sdk"
# --tag tee,tdx: without it the SDK 9.0.1 fetches orders of tag 0 (maxTag 0), then ORs tee+tdx into its request and
# refuses them itself ("Missing tags [tee,tdx] in workerpoolorder"; PoCo would also refuse a TEE deal whose app
# order lacks the TEE bit, check 0x07). --skip-preflight-check: its TEE preflight asks an SMS's secret API for the
# requester's storage token; the simulated SMS lives inside the core and serves no such API.
timeout 300 node "$sdk_bin" app run "$echo_app" --workerpool "$pool" --tag tee,tdx --skip-preflight-check \
  --args "$sdk_args" --watch --force \
  "${S[@]}" --raw >"$work/sdk-run.json" 2>"$work/sdk-run.err" || fail "SDK app run: $(cat "$work/sdk-run.json" "$work/sdk-run.err")"
sdk_task=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ok"], d; print(d["tasks"][0]["taskid"])' "$work/sdk-run.json") \
  || fail "SDK app run: $(cat "$work/sdk-run.json")"
node "$sdk_bin" task show "$sdk_task" --raw >"$work/sdk-task.json" || fail "SDK task show: $(cat "$work/sdk-task.json")"
expected="0x$(printf '%s\n' "$sdk_args" | sha256sum | cut -d' ' -f1)"
python3 - "$work/sdk-task.json" "$expected" "$core" <<'PY' || fail "SDK task show: $(cat "$work/sdk-task.json")"
import json, sys
d = json.load(open(sys.argv[1]))
t = d["task"]
assert t["statusName"] == "COMPLETED", t["statusName"]
assert t["resultDigest"] == sys.argv[2], ("resultDigest", t["resultDigest"], sys.argv[2])
assert t["results"]["storage"] == "pool" and t["results"]["location"].startswith(sys.argv[3]), t["results"]
PY
deal_tag=$(node "$sdk_bin" deal show "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["task"]["dealid"])' "$work/sdk-task.json")" --raw \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["deal"]["tag"])')
(( (16#${deal_tag:2} & 9) == 9 )) || fail "the SDK's deal is not tee+tdx: $deal_tag"
location=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["task"]["results"]["location"])' "$work/sdk-task.json")
curl -fsS -o "$work/result-sdk.zip" "$location" || fail "the SDK's result link $location is not served"
echo "stage: the real SDK's app run (tag $deal_tag) completed: task $sdk_task, results at $location"
# The enclave keys never reach a log (they travel only inside assignments).
! grep -rqE "enclaveKey|teeSimulation" "$work/data/logs" || fail "an enclave key field appears in a log"
kill -INT "$up_pid"
wait "$up_pid" || fail "iexec-pool up did not stop cleanly"
trap - EXIT
echo "ok: Scone and TDX deals at trust 1 and the real SDK's TDX task completed through the TEE simulation"
