#!/usr/bin/env bash
# Every file of the deploy recipe (deploy/, docs/deploy.md) exercised:
#   config/*.json      parsed; validated by the daemon itself (`iexec-pool <daemon> --config F --validate`) when this
#                      binary has that daemon; the market's config started on loopback against a devnet (its chain,
#                      listen address and database overridden with --set) and answering /version;
#   systemd/*.service  `systemd-analyze verify` (syntax, known keys, executable) with ExecStart pointed at this build;
#   compose.yaml       parsed (YAML): every service's config file exists in deploy/config and its command is
#                      `iexec-pool <daemon> --config <the mounted file>`.
#   deploy_recipe_test.sh <source dir> <iexec-pool binary> <work dir>
set -euo pipefail
src=$1
bin=$2
work=$3
rm -rf "$work"
mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
has_cmd() { "$bin" --help 2>/dev/null | grep -qE "^  $1( |$)"; }

# 1. Config files. The worker's --validate decrypts its wallet: the recipe's keystore path (/etc/iexec-pool/...) is
# replaced by a keystore made here with our `iexec wallet create`.
iexec_bin="$(dirname "$bin")/iexec"
printf 'recipe-test-password\n' >"$work/worker.password"
"$iexec_bin" wallet create --keystoredir "$work/keystore" --password recipe-test-password --force --raw \
  >"$work/wallet-create.log" 2>&1 || fail "iexec wallet create: $(cat "$work/wallet-create.log")"
keystore=$(ls "$work"/keystore/* | head -n 1)
for f in "$src"/deploy/config/*.json; do
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$f" || fail "$f is not JSON"
  daemon=$(basename "$f" .json)
  overrides=()
  if [[ $daemon == worker ]]; then
    overrides=(--set "worker.wallet.keystore=$keystore" --set "worker.wallet.passwordFile=$work/worker.password")
  fi
  if has_cmd "$daemon"; then
    "$bin" "$daemon" --config "$f" "${overrides[@]}" --validate >"$work/$daemon-validate.log" 2>&1 \
      || fail "$f: iexec-pool $daemon --validate: $(cat "$work/$daemon-validate.log")"
    echo "ok: $f validated by iexec-pool $daemon"
  else
    echo "NOTE: $f parsed only: this binary has no '$daemon' command yet"
  fi
done

# 2. The market's production config, started on loopback.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" devnet --port "$port" --info-file "$work/devnet.json" --data-dir "$work/devnet" >"$work/devnet.log" 2>&1 &
devnet_pid=$!
market_pid=""
cleanup() {
  [[ -n "$market_pid" ]] && kill -INT "$market_pid" 2>/dev/null || true
  kill -INT "$devnet_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 600); do [[ -f "$work/devnet.json" ]] && break; sleep 0.1; done
[[ -f "$work/devnet.json" ]] || fail "devnet did not start: $(tail -5 "$work/devnet.log")"
"$bin" market --config "$src/deploy/config/market.json" \
  --set "market.chain.rpc=http://127.0.0.1:$port" --set market.chain.hub=0x5FC8d32690cc91D4c39d9d3abcBD16989F875707 \
  --set market.listen.host=127.0.0.1 --set "market.listen.port=$mport" --set "market.db=sqlite:$work/market.db" \
  >"$work/market.log" 2>&1 &
market_pid=$!
ok=""
for _ in $(seq 1 300); do
  if curl -fsS "http://127.0.0.1:$mport/version" >/dev/null 2>&1; then ok=1; break; fi
  sleep 0.1
done
[[ -n "$ok" ]] || fail "market with deploy/config/market.json did not answer: $(tail -5 "$work/market.log")"
echo "ok: deploy/config/market.json started on loopback"
kill -INT "$market_pid"
wait "$market_pid" || fail "market did not stop cleanly"
market_pid=""

# 3. systemd units.
for u in "$src"/deploy/systemd/*.service; do
  name=$(basename "$u")
  sed "s|/usr/local/bin/iexec-pool|$bin|" "$u" >"$work/$name"
  if ! (cd "$work" && systemd-analyze verify "$work/$name") >"$work/$name.verify" 2>&1 || [[ -s "$work/$name.verify" ]]; then
    fail "$u: $(cat "$work/$name.verify")"
  fi
  echo "ok: $name verified"
done

# 4. compose.yaml.
python3 - "$src/deploy" <<'PY' || fail "deploy/compose.yaml"
import os, sys, yaml
root = sys.argv[1]
doc = yaml.safe_load(open(os.path.join(root, "compose.yaml")))
services = doc["services"]
for name in ("db", "market", "core"):
    assert name in services, "service %s missing" % name
for name, svc in services.items():
    cmd = svc.get("command")
    if not cmd:
        continue
    assert cmd[0] == "/usr/local/bin/iexec-pool" and cmd[1] == name and cmd[2] == "--config", (name, cmd)
    mounts = [v.split(":") for v in svc.get("volumes", [])]
    conf = [m for m in mounts if m[1] == cmd[3]]
    assert conf, "%s: %s is not mounted" % (name, cmd[3])
    path = os.path.normpath(os.path.join(root, conf[0][0]))
    assert os.path.isfile(path), "%s: %s does not exist" % (name, path)
for vol in doc.get("volumes", {}):
    assert any(v.startswith(vol + ":") for s in services.values() for v in s.get("volumes", [])), vol
print("ok: compose.yaml")
PY
echo "deploy recipe: all files exercised"
