#!/usr/bin/env bash
# The real iexec SDK 9.0.1 CLI against our market (issue 8 "Proof"): a devnet (anvil + PoCo), `iexec-pool market`
# on it, and a chain.json whose iexecGateway is the market. Then, as a workerpool manager does (the seed):
#   workerpool deploy, order init/sign/publish --workerpool, orderbook workerpool <address> lists the order,
#   order show, order unpublish --workerpool <hash> removes it, publish again, on-chain order cancel → the market
#   shows it canceled (chain mirror), and the programmatic SDK's orderbook calls (sdk_orderbook_check.mjs).
#
#   sdk_market_interop.sh <iexec-pool binary> <iexec SDK cli> <work dir> [sqlite | postgres]
#
# postgres: the market's database is a fresh schema on the suite's throwaway cluster (the ctest fixture store_pg
# gives its URL in the file named by $WP_PG_URL_FILE).
#
# Exits 0 when every step gave what the reference would; otherwise prints the step, the command and its output.
set -euo pipefail

pool=$1
iexec=$2
work=$3
backend=${4:-sqlite}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

rm -rf "$work"
mkdir -p "$work/w"
# shellcheck source=../lib/devnet_market.sh
source "$here/../lib/devnet_market.sh"

step "devnet"
start_devnet "$pool"

step "market"
case $backend in
    sqlite) db="sqlite:$work/market.db" ;;
    postgres)
        [[ -n ${WP_PG_URL_FILE:-} && -s $WP_PG_URL_FILE ]] || fail "postgres: WP_PG_URL_FILE names no URL file (run through ctest: fixture store_pg)"
        base="$(cat "$WP_PG_URL_FILE")"
        schema="sdk_interop_$$"
        /usr/lib/postgresql/15/bin/psql -q "$base" -c "CREATE SCHEMA $schema" || fail "postgres: cannot create schema $schema"
        db="$base?options=-csearch_path%3D$schema"
        ;;
    *) fail "backend must be sqlite or postgres, got '$backend'" ;;
esac
start_market "$pool" "$db"
version="$(http_get "$market/version")" || fail "GET /version"
[[ "$(printf '%s' "$version" | json_get ok)" == true ]] || fail "GET /version: $version"

cd "$work/w"
cat >chain.json <<JSON
{"default":"dev","chains":{"dev":{"id":"31337","host":"$rpc","hub":"$hub","sms":"http://127.0.0.1:1","iexecGateway":"$market"}}}
JSON
echo '{}' >iexec.json
W=(--keystoredir local --password test --raw)
# Account 1 of the devnet (a public test key).
run "wallet import" true "$iexec" wallet import 0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d "${W[@]}" >/dev/null

step "workerpool deploy"
run "workerpool init" true "$iexec" workerpool init "${W[@]}" >/dev/null
pool_address="$(run "workerpool deploy" true "$iexec" workerpool deploy "${W[@]}" | json_get address)"
echo "workerpool $pool_address"

step "order init / sign / publish --workerpool"
run "order init" true "$iexec" order init --workerpool "${W[@]}" >/dev/null
run "order sign" true "$iexec" order sign --workerpool --force "${W[@]}" >/dev/null
hash="$(run "order publish" true "$iexec" order publish --workerpool --force "${W[@]}" | json_get workerpoolorder.orderHash)"
[[ $hash =~ ^0x[0-9a-f]{64}$ ]] || fail "order publish: no orderHash ($hash)"
echo "published $hash"

step "orderbook workerpool <address> lists it"
book="$(run "orderbook workerpool" true "$iexec" orderbook workerpool "$pool_address" --raw)"
[[ $book == *"$hash"* ]] || fail "orderbook workerpool: $hash not listed: $book"

step "order show"
shown="$(run "order show" true "$iexec" order show --workerpool "$hash" --raw)"
[[ "$(printf '%s' "$shown" | json_get workerpoolorder.status)" == open ]] || fail "order show: not open: $shown"

step "order unpublish --workerpool <hash>"
run "order unpublish" true "$iexec" order unpublish --workerpool "$hash" --force "${W[@]}" >/dev/null
book="$(run "orderbook after unpublish" true "$iexec" orderbook workerpool "$pool_address" --raw)"
[[ $book != *"$hash"* ]] || fail "orderbook still lists $hash after unpublish: $book"
run "order show after unpublish" false "$iexec" order show --workerpool "$hash" --raw >/dev/null

step "publish again"
again="$(run "order publish again" true "$iexec" order publish --workerpool --force "${W[@]}" | json_get workerpoolorder.orderHash)"
[[ $again == "$hash" ]] || fail "publish again gave $again, expected $hash"

step "order cancel --workerpool (on chain) → canceled in the market"
run "order cancel" true "$iexec" order cancel --workerpool --force "${W[@]}" >/dev/null
status=""
for _ in $(seq 1 100); do
    status="$(http_get "$market/workerpoolorders/$hash?chainId=31337" | json_get status || true)"
    [[ $status == canceled ]] && break
    sleep 0.1
done
[[ $status == canceled ]] || fail "the market did not see the cancel (status '$status')"
book="$(run "orderbook after cancel" true "$iexec" orderbook workerpool "$pool_address" --raw)"
[[ $book != *"$hash"* ]] || fail "orderbook lists the canceled order: $book"

step "programmatic SDK orderbook calls"
node "$here/sdk_orderbook_check.mjs" "$rpc" "$hub" "$market" || fail "sdk_orderbook_check.mjs"

step "kill -9 during publications: every acknowledged order survives the restart"
acks="$work/acks.txt"
: >"$acks"
node "$here/sdk_publish_burst.mjs" "$rpc" "$hub" "$market" "$acks" 40 >"$work/burst.log" 2>&1 &
burst=$!
for _ in $(seq 1 600); do
    (($(wc -l <"$acks") >= 10)) && break
    sleep 0.05
done
kill -9 "${pids[1]}"
wait "$burst" || fail "the publisher acknowledged nothing: $(cat "$work/burst.log")"
acknowledged=$(wc -l <"$acks")
echo "acknowledged before the kill: $acknowledged"
rm -f "$work/market.url"
# Restarted with a 10-minute poll interval: it catches up once at start, then only on demand (below).
"$pool" market --rpc "$rpc" --hub "$hub" --port "$market_port" --db "$db" \
    --url-file "$work/market.url" --set market.chain.pollInterval=10m >>"$work/market.log" 2>&1 &
pids+=($!)
wait_file "$work/market.url" "iexec-pool market (restart)"
while read -r h; do
    got="$(http_get "$market/workerpoolorders/$h?chainId=31337" | json_get status)" || fail "acknowledged order $h lost"
    [[ $got == open ]] || fail "acknowledged order $h: status $got"
done <"$acks"
echo "all $acknowledged acknowledged orders are there"

step "publish right after deploying: the market catches up on demand (its next poll is 10 minutes away)"
: >"$acks"
node "$here/sdk_publish_burst.mjs" "$rpc" "$hub" "$market" "$acks" 1 >"$work/catchup.log" 2>&1 ||
    fail "publish right after deploy: $(cat "$work/catchup.log")"
[[ $(wc -l <"$acks") == 1 ]] || fail "publish right after deploy was refused: $(cat "$work/catchup.log")"
grep -q "caught up on demand" "$work/market.log" || fail "the publish succeeded without a catch-up: the check proves nothing"

echo
echo "sdk market interop: OK"
