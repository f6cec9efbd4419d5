# Shared by the shell tests that run a devnet (anvil + PoCo, `iexec-pool devnet`) and our market
# (`iexec-pool market`) on it: tests/cli/order_workflow.sh and tests/market/sdk_market_interop.sh. Source it after
# setting $work (an existing directory: logs, data and the info / url files go there). It defines:
#   pids, cleanup (trap EXIT: stops what was started), fail <message> (prints the tails of the logs, exits 1),
#   free_port, http_get <url>, json_get <dotted.key> (stdin JSON), wait_file <file> <what>, step <title>,
#   run <what> <true|false> <command...> (a --raw command whose last line must have "ok": <expected>; prints it),
#   start_devnet <iexec-pool>          → sets rpc and hub
#   start_market <iexec-pool> <db url> → sets market (its base URL) and market_port
# shellcheck shell=bash

pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    for f in "$work"/market.log "$work"/devnet.log; do
        [[ -f $f ]] && { echo "---- tail of $f" >&2; tail -n 40 "$f" >&2; }
    done
    exit 1
}

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
http_get() { node -e 'fetch(process.argv[1]).then(async r=>{const t=await r.text();if(!r.ok){console.error(r.status+" "+t);process.exit(1)}console.log(t)}).catch(e=>{console.error(String(e));process.exit(1)})' "$1"; }
json_get() { node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>{let v=JSON.parse(d);for(const k of process.argv[1].split("."))v=v?.[k];console.log(typeof v==="object"?JSON.stringify(v):v)})' "$1"; }
wait_file() {
    local f=$1 what=$2
    for _ in $(seq 1 600); do [[ -s $f ]] && return 0; sleep 0.1; done
    fail "$what did not start (no $f)"
}

step() { printf '\n== %s\n' "$*"; }

run() {
    local what=$1 expect=$2
    shift 2
    local out
    out="$("$@" 2>&1)" || true
    local ok
    ok="$(printf '%s' "$out" | tail -n 1 | json_get ok 2>/dev/null || echo "not-json")"
    [[ $ok == "$expect" ]] || fail "$what: expected ok=$expect, got: $out"
    printf '%s\n' "$out" | tail -n 1
}

start_devnet() {
    local pool=$1 port
    port="$(free_port)"
    "$pool" devnet --port "$port" --data-dir "$work/devnet" --info-file "$work/info.json" >"$work/devnet.log" 2>&1 &
    pids+=($!)
    wait_file "$work/info.json" "iexec-pool devnet"
    hub="$(json_get hub <"$work/info.json")"
    rpc="http://127.0.0.1:$port"
}

start_market() {
    local pool=$1 db=$2
    market_port="$(free_port)"
    "$pool" market --rpc "$rpc" --hub "$hub" --port "$market_port" --db "$db" \
        --url-file "$work/market.url" --set market.chain.pollInterval=200ms >"$work/market.log" 2>&1 &
    pids+=($!)
    wait_file "$work/market.url" "iexec-pool market"
    market="$(cat "$work/market.url")"
}
