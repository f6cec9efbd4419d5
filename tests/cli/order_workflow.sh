#!/usr/bin/env bash
# The seed's workerpool-manager workflow with OUR `iexec` binary against a devnet (anvil + PoCo) and OUR market
# (issue 9 "Proof"), plus interop both ways with the real iexec SDK 9.0.1 CLI:
#   workerpool deploy → order init / edit / sign → publish → orderbook → unpublish → publish again → cancel → the
#   market shows it canceled; every refused preflight case prints its message and changes no file; `--raw` outputs of
#   `orderbook workerpool` and `order show` equal the real SDK's for the same market state; an order signed and
#   published by our CLI is filled by the real SDK on the real contracts; an order signed and published by the real
#   SDK is listed, shown and filled by ours; the human orderbook's "Show more?" prompt on a pseudo-terminal.
#
#   order_workflow.sh <iexec (ours)> <iexec-pool> <iexec SDK cli> <work dir>
#
# Exits 0 when every step gave what is expected; otherwise prints the step, the command and its output.
set -euo pipefail

ours=$1
pool=$2
sdk=$3
work=$4

rm -rf "$work"
mkdir -p "$work/w" "$work/sdk" "$work/req"
# shellcheck source=../lib/devnet_market.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../lib/devnet_market.sh"

# json_edit <file> <js expression on o>: edits a JSON file in place (2-space indentation, as the SDK writes).
json_edit() { node -e 'const fs=require("fs");const f=process.argv[1];const o=JSON.parse(fs.readFileSync(f,"utf8"));(new Function("o",process.argv[2]))(o);fs.writeFileSync(f,JSON.stringify(o,null,2))' "$1" "$2"; }
sum() { if [[ -f $1 ]]; then md5sum <"$1"; else echo absent; fi; }

# refused <description> <message> <command...>: a --raw command that must fail with <message> (in `error.message`
# or in `fail`) and leave iexec.json, orders.json and deployed.json unchanged.
refused() {
    local what=$1 message=$2
    shift 2
    local before after out
    before="$(sum iexec.json)$(sum orders.json)$(sum deployed.json)"
    out="$(run "$what" false "$@")"
    [[ $out == *"$message"* ]] || fail "$what: expected the message '$message', got: $out"
    after="$(sum iexec.json)$(sum orders.json)$(sum deployed.json)"
    [[ $before == "$after" ]] || fail "$what: a file changed"
    echo "refused as expected: $what"
}

step "devnet + market"
start_devnet "$pool"
start_market "$pool" "sqlite:$work/market.db"

chain_json="{\"default\":\"dev\",\"chains\":{\"dev\":{\"id\":\"31337\",\"host\":\"$rpc\",\"hub\":\"$hub\",\"sms\":\"http://127.0.0.1:1\",\"iexecGateway\":\"$market\"}}}"
for d in w sdk req; do
    printf '%s\n' "$chain_json" >"$work/$d/chain.json"
    echo '{}' >"$work/$d/iexec.json"
done
W=(--keystoredir local --password test --raw)
# Devnet accounts (public test keys): 2 = our workerpool manager, 1 = the SDK's app + workerpool owner, 4 = requester.
pk_manager=0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a
pk_sdk=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
pk_requester=0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a
addr_requester=0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65

cd "$work/w"
# Wallet and workerpool commands: ours when the binary has them (issue 9's other half), else the real SDK's (the same
# files: keystore v3 in ./, iexec.json, deployed.json).
base=$sdk
if "$ours" wallet --help 2>/dev/null | grep -q "^  import"; then base=$ours; fi
echo "wallet / workerpool deploy with: $base"
run "wallet import" true "$base" wallet import "$pk_manager" "${W[@]}" >/dev/null

step "workerpool deploy"
run "workerpool init" true "$base" workerpool init "${W[@]}" >/dev/null
pool_address="$(run "workerpool deploy" true "$base" workerpool deploy "${W[@]}" | json_get address)"
echo "workerpool $pool_address"

step "an unreachable market fails fast with the SDK's message"
mkdir -p "$work/bad" && cd "$work/bad"
printf '%s\n' "${chain_json/$market/http://127.0.0.1:1}" >chain.json
down="$(run "orderbook on a closed port" false "$ours" orderbook workerpool --raw)"
[[ $down == *"Market API error: Connection to http://127.0.0.1:1 failed with a network error"* ]] ||
    fail "orderbook on a closed port: $down"
cd "$work/w"

step "order init --workerpool: the standard tag by default"
init="$(run "order init" true "$ours" order init --workerpool "${W[@]}")"
[[ "$(printf '%s' "$init" | json_get workerpoolorder.workerpool)" == "$pool_address" ]] || fail "order init: $init"
[[ "$(printf '%s' "$init" | json_get workerpoolorder.tag)" == "[]" ]] || fail "order init: tag is not standard: $init"

step "refused preflight cases: each message, no file changed"
edit_order() { json_edit iexec.json "Object.assign(o.order.workerpoolorder, $1)"; }
cp iexec.json iexec.good.json
edit_order '{tag: "0x0000000000000000000000000000000000000000000000000000000000000002"}'
refused "unsupported tag" "Unsupported workerpool order tag 0x0000000000000000000000000000000000000000000000000000000000000002; supported: 0x0, 0x3, 0x5, 0x9, optionally | 0x100 (standard 0x0, Scone TEE 0x3, Gramine TEE 0x5, TDX TEE 0x9, each optionally with GPU 0x100)" \
    "$ours" order sign --workerpool "${W[@]}"
cp iexec.good.json iexec.json
edit_order '{tag: ["tee","tdx"], trust: "5"}'
refused "TEE with trust 5" "TEE workerpool orders must have trust 1 (0 counts as 1; got 5)" "$ours" order sign --workerpool "${W[@]}"
cp iexec.good.json iexec.json
edit_order '{category: "99"}'
refused "unknown category" "workerpoolorder.category 99 does not exist on chain (countCategory() = 5)" \
    "$ours" order sign --workerpool "${W[@]}"
cp iexec.good.json iexec.json
edit_order '{volume: "0"}'
refused "volume 0" "workerpoolorder.volume must be at least 1 (got 0)" "$ours" order sign --workerpool "${W[@]}"
cp iexec.good.json iexec.json
edit_order '{workerpoolprice: "0.5"}'
refused "price 0.5 nRLC" "0.5 is not a valid amount" "$ours" order sign --workerpool "${W[@]}"
cp iexec.good.json iexec.json
edit_order '{requesterrestrict: "0x1234"}'
refused "bad restriction" "workerpoolorder.requesterrestrict" "$ours" order sign --workerpool "${W[@]}"
cp iexec.good.json iexec.json
edit_order '{workerpool: "0x0000000000000000000000000000000000000001"}'
refused "not deployed" "No workerpool deployed at address 0x0000000000000000000000000000000000000001" \
    "$ours" order sign --workerpool "${W[@]}"
cp iexec.good.json iexec.json
run "wallet import (second)" true "$base" wallet import "$pk_requester" "${W[@]}" >/dev/null
refused "not the owner" "Invalid order signer, must be the resource owner" \
    "$ours" order sign --workerpool "${W[@]}" --wallet-address "$addr_requester"
rm -f iexec.good.json

step "stake below the lock: a warning, not an error"
edit_order '{workerpoolprice: "1000000 RLC"}'
warned="$("$ours" order sign --workerpool --keystoredir local --password test --wallet-address 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC 2>&1)" ||
    fail "sign with a low stake: $warned"
[[ $warned == *"does not cover the lock of a full match"* ]] || fail "no stake warning: $warned"
rm -f orders.json

step "order edit / sign / publish (ours, tag tee,tdx so that the SDK can fill it)"
edit_order '{workerpoolprice: "1000", volume: "3", tag: ["tee","tdx"]}'
WM=(--keystoredir local --password test --wallet-address 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC --raw)
run "order sign" true "$ours" order sign --workerpool "${WM[@]}" >/dev/null
[[ "$(json_get 31337.workerpoolorder.tag <orders.json)" == 0x0000000000000000000000000000000000000000000000000000000000000009 ]] ||
    fail "orders.json: $(cat orders.json)"
hash="$(run "order publish" true "$ours" order publish --workerpool --force "${WM[@]}" | json_get workerpoolorder.orderHash)"
[[ $hash =~ ^0x[0-9a-f]{64}$ ]] || fail "order publish: no orderHash ($hash)"
echo "published $hash"

step "orderbook workerpool <address>: listed; --raw equal to the real SDK's"
book="$(run "orderbook workerpool" true "$ours" orderbook workerpool "$pool_address" --raw)"
[[ $book == *"$hash"* ]] || fail "orderbook workerpool: $hash not listed: $book"
sdk_book="$(cd "$work/sdk" && run "orderbook workerpool (SDK)" true "$sdk" orderbook workerpool "$pool_address" --raw)"
[[ $book == "$sdk_book" ]] || fail "orderbook --raw differs:\n ours: $book\n sdk:  $sdk_book"

human="$("$ours" orderbook workerpool "$pool_address" 2>&1)" || fail "orderbook (human): $human"
[[ $human == *"Workerpoolorders details (1 to 1 of 1):"* && $human == *"orderHash: $hash"* && $human == *"No more results"* ]] ||
    fail "orderbook (human): $human"

step "order show: --raw equal to the real SDK's"
shown="$(run "order show" true "$ours" order show --workerpool "$hash" --raw)"
[[ "$(printf '%s' "$shown" | json_get workerpoolorder.status)" == open ]] || fail "order show: not open: $shown"
sdk_shown="$(cd "$work/sdk" && run "order show (SDK)" true "$sdk" order show --workerpool "$hash" --raw)"
[[ $shown == "$sdk_shown" ]] || fail "order show --raw differs:\n ours: $shown\n sdk:  $sdk_shown"
shown_deals="$(run "order show --deals" true "$ours" order show --workerpool "$hash" --deals --raw)"
sdk_deals="$(cd "$work/sdk" && run "order show --deals (SDK)" true "$sdk" order show --workerpool "$hash" --deals --raw)"
[[ $shown_deals == "$sdk_deals" ]] || fail "order show --deals --raw differs:\n ours: $shown_deals\n sdk:  $sdk_deals"

step "order unpublish --workerpool <hash>"
run "order unpublish" true "$ours" order unpublish --workerpool "$hash" --force "${WM[@]}" >/dev/null
book="$(run "orderbook after unpublish" true "$ours" orderbook workerpool "$pool_address" --raw)"
[[ $book != *"$hash"* ]] || fail "orderbook still lists $hash after unpublish: $book"
gone="$(run "order show after unpublish" false "$ours" order show --workerpool "$hash" --raw)"
[[ $gone == *"workerpoolorder: API error: workerpoolorder not found"* ]] || fail "order show after unpublish: $gone"

step "order unpublish --workerpool --all"
run "workerpool publish (a)" true "$ours" workerpool publish --price 5 --force "${WM[@]}" >/dev/null
run "workerpool publish (b)" true "$ours" workerpool publish --price 6 --force "${WM[@]}" >/dev/null
all="$(run "order unpublish --all" true "$ours" order unpublish --workerpool --all --force "${WM[@]}")"
[[ "$(printf '%s' "$all" | json_get workerpoolorder.orderHashes | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>console.log(JSON.parse(d).length))')" == 2 ]] ||
    fail "order unpublish --all: $all"
book="$(run "orderbook after unpublish --all" true "$ours" orderbook workerpool "$pool_address" --raw)"
[[ "$(printf '%s' "$book" | json_get count)" == 0 ]] || fail "orderbook after unpublish --all: $book"

step "publish again (same order, same hash); workerpool unpublish / publish"
again="$(run "order publish again" true "$ours" order publish --workerpool --force "${WM[@]}" | json_get workerpoolorder.orderHash)"
[[ $again == "$hash" ]] || fail "publish again gave $again, expected $hash"
p2="$(run "workerpool publish" true "$ours" workerpool publish "$pool_address" --price 2 RLC --volume 2 --force "${WM[@]}" | json_get orderHash)"
last="$(run "workerpool unpublish (last)" true "$ours" workerpool unpublish "$pool_address" --force "${WM[@]}" | json_get unpublished)"
[[ $last == "$p2" ]] || fail "workerpool unpublish removed $last, expected the last published $p2"

step "interop: the real SDK fills our order on the real contracts (requester = devnet account 4)"
cd "$work/sdk"
run "wallet import (SDK owner)" true "$sdk" wallet import "$pk_sdk" "${W[@]}" >/dev/null
run "app init (SDK)" true "$sdk" app init "${W[@]}" >/dev/null
run "app deploy (SDK)" true "$sdk" app deploy "${W[@]}" >/dev/null
run "order init --app (SDK)" true "$sdk" order init --app "${W[@]}" >/dev/null
run "order sign --app (SDK)" true "$sdk" order sign --app --force --skip-preflight-check "${W[@]}" >/dev/null
apphash="$(run "order publish --app (SDK)" true "$sdk" order publish --app --force --skip-preflight-check "${W[@]}" | json_get apporder.orderHash)"
cd "$work/req"
echo '{"31337":{}}' >orders.json  # the SDK's fill reads orders.json even when every order comes from the market
run "wallet import (SDK requester)" true "$sdk" wallet import "$pk_requester" "${W[@]}" >/dev/null
filled="$(run "order fill (SDK) of our workerpoolorder" true "$sdk" order fill --app "$apphash" --workerpool "$hash" \
    --params '{"iexec_args":"x"}' --force --skip-preflight-check "${W[@]}")"
[[ "$(printf '%s' "$filled" | json_get dealid)" =~ ^0x[0-9a-f]{64}$ ]] || fail "SDK fill: $filled"
echo "SDK filled our order: $(printf '%s' "$filled" | json_get dealid)"

step "interop: an order signed and published by the real SDK is listed, shown and filled by ours"
cd "$work/sdk"
run "workerpool init (SDK)" true "$sdk" workerpool init "${W[@]}" >/dev/null
sdk_pool="$(run "workerpool deploy (SDK)" true "$sdk" workerpool deploy "${W[@]}" | json_get address)"
run "order init --workerpool (SDK)" true "$sdk" order init --workerpool "${W[@]}" >/dev/null
run "order sign --workerpool (SDK)" true "$sdk" order sign --workerpool --force "${W[@]}" >/dev/null
sdk_hash="$(run "order publish --workerpool (SDK)" true "$sdk" order publish --workerpool --force "${W[@]}" | json_get workerpoolorder.orderHash)"
cd "$work/w"
listed="$(run "orderbook workerpool (ours) of the SDK's pool" true "$ours" orderbook workerpool "$sdk_pool" --raw)"
[[ $listed == *"$sdk_hash"* ]] || fail "our orderbook does not list the SDK's order: $listed"
shown="$(run "order show (ours) of the SDK's order" true "$ours" order show --workerpool "$sdk_hash" --raw)"
[[ "$(printf '%s' "$shown" | json_get workerpoolorder.status)" == open ]] || fail "order show: $shown"
cd "$work/req"
WR=(--keystoredir local --password test --wallet-address "$addr_requester" --raw)
ours_fill="$(run "order fill (ours) of the SDK's orders" true "$ours" order fill --app "$apphash" --workerpool "$sdk_hash" \
    --params '{"iexec_args":"y"}' --force "${WR[@]}")"
[[ "$(printf '%s' "$ours_fill" | json_get dealid)" =~ ^0x[0-9a-f]{64}$ ]] || fail "our fill: $ours_fill"
echo "we filled the SDK's order: $(printf '%s' "$ours_fill" | json_get dealid)"

step "app run (ours): the cheapest matching orders from the market, pre-checked, matched"
sdk_app="$(json_get app.31337 <"$work/sdk/deployed.json")"
ran="$(run "app run (ours)" true "$ours" app run "$sdk_app" --args hello --force "${WR[@]}")"
[[ "$(printf '%s' "$ran" | json_get deals.0.dealid)" =~ ^0x[0-9a-f]{64}$ ]] || fail "app run: $ran"
echo "app run deal: $(printf '%s' "$ran" | json_get deals.0.dealid)"
app_book="$(run "orderbook app (ours)" true "$ours" orderbook app "$sdk_app" --raw)"
sdk_app_book="$(cd "$work/sdk" && run "orderbook app (SDK)" true "$sdk" orderbook app "$sdk_app" --raw)"
[[ $app_book == "$sdk_app_book" ]] || fail "orderbook app --raw differs:\n ours: $app_book\n sdk:  $sdk_app_book"
for args in "workerpool --category 0 --require-tag tee --min-volume 1" "workerpool any --max-tag tee,tdx --requester $addr_requester" \
    "requester" "requester $addr_requester --category 0"; do
    # shellcheck disable=SC2086
    ours_raw="$(run "orderbook $args (ours)" true "$ours" orderbook $args --raw)"
    # shellcheck disable=SC2086
    sdk_raw="$(cd "$work/sdk" && run "orderbook $args (SDK)" true "$sdk" orderbook $args --raw)"
    [[ $ours_raw == "$sdk_raw" ]] || fail "orderbook $args --raw differs:\n ours: $ours_raw\n sdk:  $sdk_raw"
done

step "app|dataset publish|unpublish and app request-execution: ours and the real SDK build the same orders"
# The SDK 9.0.1 adds tee+tdx (0x9) to the tag of every order it signs, we sign the tag as given (docs/cli.md): the
# orders compared here are tagged tee,tdx explicitly.
# order_fields <raw order show line>: the order without its salt and signature (random), as one JSON line.
order_fields() { node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>{const j=JSON.parse(d.trim().split("\n").pop());const k=Object.keys(j).find(x=>x.endsWith("order"));const o=j[k].order;delete o.salt;delete o.sign;console.log(JSON.stringify(o))})'; }
# error_message <raw output>: error.message of the last line.
error_message() { tail -n 1 | json_get error.message; }
# same_order <kind> <hash ours> <hash sdk>: both published, equal but for salt and sign.
same_order() {
    local kind=$1 h_ours=$2 h_sdk=$3 a b
    [[ $h_ours =~ ^0x[0-9a-f]{64}$ && $h_sdk =~ ^0x[0-9a-f]{64}$ ]] || fail "$kind publish: no orderHash (ours $h_ours, SDK $h_sdk)"
    a="$(run "order show --$kind (ours)" true "$ours" order show "--$kind" "$h_ours" --raw | order_fields)"
    b="$(run "order show --$kind (SDK)" true "$sdk" order show "--$kind" "$h_sdk" --raw | order_fields)"
    [[ $a == "$b" ]] || fail "$kind orders differ:\n ours: $a\n sdk:  $b"
    echo "${kind}order: ours = the SDK's but for salt and sign: $a"
}
# same_error <what> <args...>: ours and the SDK refuse with the same error.message.
same_error() {
    local what=$1 a b
    shift
    a="$(run "$what (ours)" false "$ours" "$@" | error_message)"
    b="$(run "$what (SDK)" false "$sdk" "$@" | error_message)"
    [[ -n $a && $a == "$b" ]] || fail "$what: messages differ:\n ours: $a\n sdk:  $b"
    echo "refused as the SDK: $what: $a"
}
# Unencrypted wallet.json files (no scrypt per command: this section runs about 40 commands): the SDK owner's (with
# its deployed.json) and the requester's.
for d in owner requester; do
    mkdir -p "$work/$d"
    printf '%s\n' "$chain_json" >"$work/$d/chain.json"
    echo '{}' >"$work/$d/iexec.json"
done
cp "$work/sdk/deployed.json" "$work/owner/"
(cd "$work/owner" && run "wallet import --unencrypted (owner)" true "$sdk" wallet import "$pk_sdk" --unencrypted --raw >/dev/null)
(cd "$work/requester" && run "wallet import --unencrypted (requester)" true "$sdk" wallet import "$pk_requester" --unencrypted --raw >/dev/null)
W=(--raw)
cd "$work/owner"
restrict=0x90F79bf6EB2c4f870365E785982E1f101E93b906
P=(--price 3 --volume 7 --tag tee,tdx --workerpool-restrict "$restrict" --force "${W[@]}")
h_sdk="$(run "app publish (SDK)" true "$sdk" app publish "${P[@]}" | json_get orderHash)"
h_ours="$(run "app publish (ours)" true "$ours" app publish "${P[@]}" | json_get orderHash)"
same_order app "$h_ours" "$h_sdk"
[[ "$(run "app unpublish (ours)" true "$ours" app unpublish --force "${W[@]}" | json_get unpublished)" == "$h_ours" ]] ||
    fail "app unpublish (ours) did not remove the last apporder $h_ours"
[[ "$(run "app unpublish (SDK)" true "$sdk" app unpublish --force "${W[@]}" | json_get unpublished)" == "$h_sdk" ]] ||
    fail "app unpublish (SDK) did not remove the apporder $h_sdk"
for side in ours sdk; do
    bin=$sdk other=$ours
    [[ $side == sdk ]] && bin=$ours other=$sdk
    a="$(run "app publish 1 (for $side)" true "$bin" app publish "$sdk_app" --price 1 RLC --force "${W[@]}" | json_get orderHash)"
    b="$(run "app publish 2 (for $side)" true "$bin" app publish "$sdk_app" --price 2 RLC --force "${W[@]}" | json_get orderHash)"
    gone="$(run "app unpublish --all ($side)" true "$other" app unpublish "$sdk_app" --all --force "${W[@]}" | json_get unpublished)"
    [[ $gone == *"$a"* && $gone == *"$b"* ]] || fail "app unpublish --all ($side) removed $gone, expected $a and $b"
done
same_error "app publish of an address that is not an app" app publish "$restrict" --force "${W[@]}"
run "dataset init (SDK)" true "$sdk" dataset init "${W[@]}" >/dev/null
run "dataset deploy (SDK)" true "$sdk" dataset deploy "${W[@]}" >/dev/null
# A TEE datasetorder's preflight asks the SMS for the dataset's key (none here, for both CLIs): skipped.
P=(--price 1.5 RLC --volume 3 --tag tee,tdx --app-restrict "$sdk_app" --requester-restrict "$addr_requester"
    --skip-preflight-check --force "${W[@]}")
h_sdk="$(run "dataset publish (SDK)" true "$sdk" dataset publish "${P[@]}" | json_get orderHash)"
h_ours="$(run "dataset publish (ours)" true "$ours" dataset publish "${P[@]}" | json_get orderHash)"
same_order dataset "$h_ours" "$h_sdk"
[[ "$(run "dataset unpublish (SDK)" true "$sdk" dataset unpublish --force "${W[@]}" | json_get unpublished)" == "$h_ours" ]] ||
    fail "dataset unpublish (SDK) did not remove the last datasetorder (ours, $h_ours)"
[[ "$(run "dataset unpublish --all (ours)" true "$ours" dataset unpublish --all --force "${W[@]}" | json_get unpublished)" == "[\"$h_sdk\"]" ]] ||
    fail "dataset unpublish --all (ours) did not remove $h_sdk"
same_error "dataset unpublish without a published order" dataset unpublish --force "${W[@]}"
# The market takes a TEE requestorder only when a TEE apporder of its app is published.
run "app publish --tag tee,tdx (SDK)" true "$sdk" app publish --tag tee,tdx --force "${W[@]}" >/dev/null
cd "$work/requester"
R=(--workerpool "$sdk_pool" --workerpool-price 5 --app-price 0 --volume 2 --args "a b" --category 0 --tag tee,tdx
    --force "${W[@]}")
h_sdk="$(run "app request-execution (SDK)" true "$sdk" app request-execution "$sdk_app" "${R[@]}" | json_get orderHash)"
h_ours="$(run "app request-execution (ours)" true "$ours" app request-execution "$sdk_app" "${R[@]}" | json_get orderHash)"
same_order request "$h_ours" "$h_sdk"
R=(--params '{"iexec_input_files":["https://x.test/a"]}' --tag tee,tdx --trust 1 --beneficiary "$restrict" --force "${W[@]}")
h_sdk="$(run "app request-execution --params --tag (SDK)" true "$sdk" app request-execution "$sdk_app" "${R[@]}" | json_get orderHash)"
h_ours="$(run "app request-execution --params --tag (ours)" true "$ours" app request-execution "$sdk_app" "${R[@]}" | json_get orderHash)"
same_order request "$h_ours" "$h_sdk"
book="$(run "orderbook requester (ours)" true "$ours" orderbook requester "$addr_requester" --raw)"
[[ $book == *"$h_ours"* && $book == *"$h_sdk"* ]] || fail "orderbook requester does not list both requests: $book"
same_error "request-execution: not an app" app request-execution "$restrict" --force "${W[@]}"
same_error "request-execution: stake too low" app request-execution "$sdk_app" --workerpool-price 1000000000 RLC --force "${W[@]}"
same_error "request-execution: bad secret mapping" app request-execution "$sdk_app" --secret foo --force "${W[@]}"
W=(--keystoredir local --password test --raw)

step "order cancel --workerpool (on chain) → canceled in the market"
cd "$work/w"
run "order cancel" true "$ours" order cancel --workerpool --force "${WM[@]}" >/dev/null
status=""
for _ in $(seq 1 100); do
    status="$(http_get "$market/workerpoolorders/$hash?chainId=31337" | json_get status || true)"
    [[ $status == canceled ]] && break
    sleep 0.1
done
[[ $status == canceled ]] || fail "the market did not see the cancel (status '$status')"
book="$(run "orderbook after cancel" true "$ours" orderbook workerpool "$pool_address" --raw)"
[[ $book != *"$hash"* ]] || fail "orderbook lists the canceled order: $book"
again="$(run "cancel again" false "$ours" order cancel --workerpool "$hash" --force "${WM[@]}")"
[[ $again == *"workerpoolorder already canceled"* ]] || fail "cancel again: $again"

step "orderbook paging in human mode: \"Show more?\" on a terminal (a pseudo-terminal from util-linux script)"
# 21 orders: one more than a page (the client asks 20 per page).
for i in $(seq 1 21); do
    run "workerpool publish (page $i)" true "$ours" workerpool publish --price "$((100 + i))" --force "${WM[@]}" >/dev/null
done
# show_more <answer>: the human orderbook on a pty, <answer> typed at the prompt; the transcript without CRs.
show_more() {
    printf '%s\n' "$1" | script -qec "$ours orderbook workerpool $pool_address" /dev/null | tr -d '\r'
}
yes_out="$(show_more y)"
[[ $yes_out == *"Show more? [y/N]"* ]] || fail "no Show more? prompt on a terminal: $yes_out"
[[ $yes_out == *"(21 to 21 of 21)"* ]] || fail "Show more? y did not fetch the next page: $yes_out"
no_out="$(show_more n)"
[[ $no_out == *"Show more? [y/N]"* && $no_out != *"(21 to 21"* ]] || fail "Show more? n fetched more: $no_out"
piped="$("$ours" orderbook workerpool "$pool_address" </dev/null 2>&1)" || fail "orderbook without a terminal: $piped"
[[ $piped != *"Show more?"* ]] || fail "Show more? asked without a terminal: $piped"
echo "Show more?: y fetches the next page, n stops, no prompt without a terminal"

echo
echo "order workflow: OK"
