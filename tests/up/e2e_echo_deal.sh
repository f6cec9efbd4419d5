#!/usr/bin/env bash
# The issue's end-to-end proof (label "sdk"): `iexec-pool up` started non-interactively (as scripts/run.sh does),
# then our `iexec` as the README's quick start: a 20-task deal of the `echo` app is created from the published
# orders, every task completes, each task's on-chain resultDigest is the sha256 of the expected result.txt
# (computed here), `task show --download` saves a task's result zip as the SDK names it (its result.txt checked), the
# core's dashboard API reports the 20 tasks, the real iexec SDK 9.0.1 shows the same deal;
# then SIGINT, a second run resumes (same info file, the deal still complete, nothing redeployed).
#   e2e_echo_deal.sh <iexec-pool> <iexec> <real SDK iexec (node script)> <work dir>
# The stage reached is printed; E2E_STOP_AFTER=deal stops after the deal is created (checks the path to it alone).
set -euo pipefail
pool_bin=$1
iexec_bin=$2
sdk_bin=$3
work=$4
rm -rf "$work"
mkdir -p "$work/req"
fail() { echo "FAIL: $*" >&2; [[ -f "$work/up1.log" ]] && tail -20 "$work/up1.log" >&2; exit 1; }
# Three ports below the ephemeral range, each checked by binding it (tests/up/port_base.py).
base=$(python3 "$(dirname "${BASH_SOURCE[0]}")/port_base.py" 3) || fail "no free port base"
info="$work/info.json"
up_pid=""
start_up() {  # <log>
  rm -f "$info"
  "$pool_bin" up --workers 4 --data-dir "$work/data" --port-base "$base" --info-file "$info" >"$1" 2>&1 &
  up_pid=$!
  for _ in $(seq 1 1800); do
    [[ -f "$info" ]] && return 0
    kill -0 "$up_pid" 2>/dev/null || fail "iexec-pool up ended: $(tail -20 "$1")"
    sleep 0.1
  done
  fail "iexec-pool up not ready after 180 s"
}
stop_up() {
  kill -INT "$up_pid"
  wait "$up_pid" || fail "iexec-pool up did not stop cleanly"
  up_pid=""
}
trap '[[ -n "$up_pid" ]] && kill -INT "$up_pid" 2>/dev/null; wait 2>/dev/null || true' EXIT
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d'+sys.argv[2]))" "$info" "$1"; }

start_up "$work/up1.log"
echo "stage: up ready"
echo_app=$(field "['apps']['echo']")
pool=$(field "['workerpool']")
core=$(field "['core']")
cd "$work/req"
X=(--keystoredir local --password test --raw)
"$iexec_bin" init --skip-wallet --raw >/dev/null
cp "$(field "['chainJson']")" chain.json
"$iexec_bin" wallet import "$(field "['requester']['privateKey']")" "${X[@]}" >/dev/null
"$iexec_bin" order init --request "${X[@]}" >/dev/null
args="hello from a 20-task deal"
python3 - "$echo_app" "$pool" "$args" <<'PY'
import json, sys
cfg = json.load(open("iexec.json"))
r = cfg["order"]["requestorder"]
r.update(app=sys.argv[1], workerpool=sys.argv[2], volume="20", category="0", trust="0")
r["params"]["iexec_args"] = sys.argv[3]
json.dump(cfg, open("iexec.json", "w"), indent=2)
PY
"$iexec_bin" order sign --request "${X[@]}" >/dev/null || fail "order sign --request"
# The standard (tag 0) orders: `up` also publishes TEE-tagged ones (tests/up/e2e_tee_deal.sh).
standard='import json,sys; print(next(o["orderHash"] for o in json.load(sys.stdin)[sys.argv[1]] if int(o["tag"], 16) == 0))'
app_hash=$("$iexec_bin" orderbook app "$echo_app" --raw | python3 -c "$standard" appOrders)
pool_hash=$("$iexec_bin" orderbook workerpool "$pool" --raw | python3 -c "$standard" workerpoolOrders)
fill=$("$iexec_bin" order fill --app "$app_hash" --workerpool "$pool_hash" --force "${X[@]}") || fail "order fill: $fill"
deal=$(echo "$fill" | python3 -c 'import json,sys; print(json.load(sys.stdin)["dealid"])')
echo "stage: deal $deal"
bot=$("$iexec_bin" deal show "$deal" --raw | python3 -c 'import json,sys; print(json.load(sys.stdin)["deal"]["botSize"])')
[[ "$bot" == "20" ]] || fail "the deal has $bot tasks, not 20"
[[ "${E2E_STOP_AFTER:-}" == "deal" ]] && { stop_up; echo "stopped after the deal (E2E_STOP_AFTER=deal)"; exit 0; }

# Every task completes (bounded wait; nothing here asserts a duration).
expected="0x$(printf '%s\n' "$args" | sha256sum | cut -d' ' -f1)"
# `deal show --watch` returns once every task ended (bounded by timeout; nothing here asserts a duration).
timeout 900 "$iexec_bin" deal show "$deal" --watch --raw >"$work/deal.json" || fail "deal show --watch: $(cat "$work/deal.json")"
done_count=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for t in d["tasks"] if t["statusName"] == "COMPLETED"))' "$work/deal.json")
[[ "$done_count" == "20" ]] || fail "only $done_count of 20 tasks completed"
echo "stage: 20 tasks completed"
tasks=$(python3 -c 'import json,sys; print(" ".join(t["taskid"] for t in json.load(open(sys.argv[1]))["tasks"]))' "$work/deal.json")
for t in $tasks; do
  digest=$("$iexec_bin" task show "$t" --raw | python3 -c 'import json,sys; print(json.load(sys.stdin)["task"]["resultDigest"])')
  [[ "$digest" == "$expected" ]] || fail "task $t: resultDigest $digest, expected $expected (sha256 of result.txt)"
done
echo "stage: every resultDigest is sha256(result.txt)"
# `task show --download` (the SDK's option): the result zip of a completed task, saved under the SDK's name
# (<taskid>.zip, or <fileName>.zip), its result.txt the app's output (whose sha256 is the digest checked above).
first=${tasks%% *}
"$iexec_bin" task show "$first" --download --raw >"$work/download.json" || fail "task show --download: $(cat "$work/download.json")"
python3 - "$work/download.json" "$work/req/$first.zip" "$args" <<'PY' || fail "task show --download: $(cat "$work/download.json")"
import json, sys, zipfile
d = json.load(open(sys.argv[1]))
assert d["ok"] and d["task"]["statusName"] == "COMPLETED", d
assert d["resultPath"] == sys.argv[2], (d["resultPath"], sys.argv[2])
with zipfile.ZipFile(sys.argv[2]) as z:
    names = z.namelist()
    result = next(n for n in names if n.endswith("result.txt"))
    text = z.read(result).decode()
    assert text == sys.argv[3] + "\n", (names, text)
PY
"$iexec_bin" task show "$first" --download my-result --raw >"$work/download2.json" || fail "task show --download my-result"
cmp -s "$work/req/$first.zip" "$work/req/my-result.zip" || fail "--download my-result did not save the same my-result.zip"
echo "stage: task show --download saved $first.zip (result.txt checked) and my-result.zip"
total=$(curl -fsS "$core/api/v1/dashboard/tasks?deal=$deal&status=COMPLETED" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
[[ "$total" == "20" ]] || fail "the dashboard API reports $total completed tasks of the deal"
node "$sdk_bin" deal show "$deal" --chain dev --raw >"$work/sdk-deal.json" || fail "the real SDK's deal show"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ok"] and int(d["deal"]["botSize"]) == 20, d' "$work/sdk-deal.json" \
  || fail "the real SDK sees another deal"
echo "stage: dashboard API and the real SDK agree"

# The seed's requester path in one command (issue 9): `iexec app run --watch` finds the published orders, matches
# them and follows the task to its end; its --raw line lists the task COMPLETED.
timeout 300 "$iexec_bin" app run "$echo_app" --workerpool "$pool" --args "one more" --watch --force "${X[@]}" \
  >"$work/app-run.json" 2>"$work/app-run.err" || fail "app run --watch: $(cat "$work/app-run.err")"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] and len(d["tasks"]) == 1 and d["tasks"][0]["statusName"] == "COMPLETED", d' "$work/app-run.json" \
  || fail "app run --watch did not complete its task: $(cat "$work/app-run.json" "$work/app-run.err")"
echo "stage: app run --watch completed its task"

# Ctrl-C, then a second run resumes.
cp "$info" "$work/info-first.json"
stop_up
start_up "$work/up2.log"
cmp -s "$info" "$work/info-first.json" || fail "the second run's info file differs"
grep -q "resumed the chain" "$work/up2.log" || fail "the second run did not resume the chain"
again=$(timeout 120 "$iexec_bin" deal show "$deal" --watch --raw | python3 -c 'import json,sys; print(sum(1 for t in json.load(sys.stdin)["tasks"] if t["statusName"] == "COMPLETED"))')
[[ "$again" == "20" ]] || fail "after the restart: $again completed tasks"
stop_up
echo "ok: 20-task echo deal completed, digests checked, resumed after SIGINT"
