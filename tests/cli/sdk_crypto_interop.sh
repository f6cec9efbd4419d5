#!/usr/bin/env bash
# Our `iexec` local crypto commands against the real iexec SDK 9.0.1 CLI and its own crypto code (offline: no
# chain, no SMS):
#
#   sdk_crypto_interop.sh <our iexec> <SDK iexec> <work dir>
#
# 1. dataset encrypt: the same original folder (two files, a sub-folder) encrypted by each CLI; the --raw lines are
#    equal once the work folder and the (random) checksums are normalised; each checksum is the sha256 of its .enc
#    file; the SDK's forge AES decrypts our .enc files with our keys (sdk_crypto_helper.mjs); the refusals (missing
#    folders, empty input) give the same --raw error lines.
# 2. result generate-encryption-keypair: the same wallet; same --raw line and file names; the key files have the
#    same PEM forms.
# 3. result decrypt: archives made the worker's way (node:crypto + JSZip, current and legacy forms) for the SDK's
#    key and for ours: our CLI decrypts them with the SDK's key, the SDK's CLI decrypts them with ours, and the
#    SDK's decryptResult() decrypts with our key; same --raw lines; the error cases (no beneficiary folder, missing
#    key file, not a zip, a zip without aes-key.rsa, another beneficiary's key) give the same --raw error lines.
#
# Exits 0 when everything matched; otherwise prints the step and both outputs.
set -euo pipefail

ours=$1
sdk=$2
work=$3
helper="$(cd "$(dirname "$0")" && pwd)/sdk_crypto_helper.mjs"
key=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
address=0x70997970C51812dc3A010C7d01b50e0d17dc79C8

rm -rf "$work"
mkdir -p "$work"
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
step() { printf '\n== %s\n' "$*"; }
# Both outputs with their folder replaced by W and checksums by C.
normalise() { sed -E -e "s#$1#W#g" -e 's/"checksum":"0x[0-9a-f]{64}"/"checksum":"C"/g'; }
# same <what> <sdk dir> <sdk out file> <our dir> <our out file>
same() {
    if ! diff <(normalise "$2" <"$3") <(normalise "$4" <"$5") >/dev/null; then
        echo "--- SDK:"; cat "$3"; echo "--- ours:"; cat "$5"
        fail "$1: outputs differ"
    fi
    echo "same: $1"
}
# run <cli> <dir> <out file> <args...>: runs in <dir>, stdout+stderr to <out file>, returns the exit code as text.
run() {
    local cli=$1 dir=$2 out=$3
    shift 3
    (cd "$dir" && "$cli" "$@" >"$out" 2>&1) && echo 0 || echo $?
}
# both <what> <args...>: the same command in s/ (SDK) and o/ (ours); same exit code and normalised output.
both() {
    local what=$1
    shift
    local a b
    a=$(run "$sdk" "$work/s" "$work/s.out" "$@")
    b=$(run "$ours" "$work/o" "$work/o.out" "$@")
    [[ $a == "$b" ]] || { cat "$work/s.out" "$work/o.out"; fail "$what: exit codes $a (SDK) vs $b (ours)"; }
    same "$what" "$work/s" "$work/s.out" "$work/o" "$work/o.out"
}

mkdir -p "$work/s" "$work/o" "$work/home"
export HOME="$work/home"

step "dataset encrypt"
both "encrypt without folders" dataset encrypt --raw
for d in s o; do mkdir -p "$work/$d/.secrets/datasets" "$work/$d/datasets/original" "$work/$d/datasets/encrypted"; done
both "encrypt an empty folder" dataset encrypt --raw
for d in s o; do
    printf 'first dataset\n' >"$work/$d/datasets/original/a.txt"
    head -c 200000 /dev/urandom >"$work/$d/datasets/original/b.bin"
    mkdir -p "$work/$d/datasets/original/folder"
done
cp "$work/s/datasets/original/b.bin" "$work/o/datasets/original/b.bin"
# --force: without it the SDK asks whether to replace dataset.key at the second file (its own file of this run)
# and its --raw mode fails on that prompt; ours replaces it (cmd_crypto.hpp).
both "encrypt two files" dataset encrypt --raw --force
for d in s o; do
    for f in a.txt b.bin; do
        enc="$work/$d/datasets/encrypted/$f.enc"
        sum="0x$(sha256sum "$enc" | cut -d' ' -f1)"
        grep -q "\"checksum\":\"$sum\"" "$work/$d.out" || fail "$d: checksum of $f.enc not in the output"
        node "$helper" sdk-aes-decrypt "$work/$d/.secrets/datasets/$f.key" "$enc" "$work/$d/$f.dec"
        cmp -s "$work/$d/$f.dec" "$work/$d/datasets/original/$f" || fail "$d: $f.enc does not decrypt to $f"
        [[ $(wc -c <"$work/$d/.secrets/datasets/$f.key") == 44 ]] || fail "$d: $f.key is not 44 base64 characters"
    done
    cmp -s "$work/$d/.secrets/datasets/dataset.key" "$work/$d/.secrets/datasets/b.bin.key" ||
        fail "$d: dataset.key is not the last file's key"
done
echo "the SDK's AES decrypts both CLIs' files; checksums are sha256 of the .enc files"
# One file, no --force, nothing to replace: the same line too (custom folders, relative).
for d in s o; do
    mkdir -p "$work/$d/one/k" "$work/$d/one/in" "$work/$d/one/out"
    printf 'one' >"$work/$d/one/in/x"
done
both "encrypt one file, custom folders" dataset encrypt --raw --dataset-keystoredir one/k \
    --original-dataset-dir one/in --encrypted-dataset-dir one/out

step "result generate-encryption-keypair"
both "decrypt without a beneficiary folder" result decrypt --raw
# The same wallet for both (a keystore in the global keystore directory, written by our CLI).
(cd "$work/o" && "$ours" wallet import "$key" --password pw --raw >/dev/null)
both "generate-encryption-keypair" result generate-encryption-keypair --raw
for d in s o; do
    head -n1 "$work/$d/.secrets/beneficiary/${address}_key" | grep -qx -- '-----BEGIN PRIVATE KEY-----' ||
        fail "$d: private key is not PKCS#8 PEM"
    head -n1 "$work/$d/.secrets/beneficiary/${address}_key.pub" | grep -qx -- '-----BEGIN PUBLIC KEY-----' ||
        fail "$d: public key is not SPKI PEM"
    openssl pkey -in "$work/$d/.secrets/beneficiary/${address}_key" -noout -text | grep -q 'Private-Key: (4096 bit' ||
        fail "$d: not an RSA 4096 key"
done
echo "both key pairs are RSA 4096, PKCS#8 + SPKI PEM"

step "result decrypt"
head -c 50000 /dev/urandom >"$work/result.zip"
for d in s o; do
    pub="$work/$d/.secrets/beneficiary/${address}_key.pub"
    node "$helper" make-archive "$pub" "$work/result.zip" "$work/$d/encryptedResults.zip"
    node "$helper" make-archive "$pub" "$work/result.zip" "$work/$d/legacy.zip" legacy
done
# Each CLI decrypts with its own key files: same --raw lines and the same results.zip.
both "decrypt" result decrypt --raw
for d in s o; do cmp -s "$work/$d/results.zip" "$work/result.zip" || fail "$d: results.zip differs"; done
both "decrypt legacy" result decrypt legacy.zip --raw --force
for d in s o; do cmp -s "$work/$d/results.zip" "$work/result.zip" || fail "$d: legacy results.zip differs"; done
# Crossed: our CLI with the SDK's key pair, the SDK's CLI and decryptResult() with ours.
mkdir -p "$work/x"
(cd "$work/s" && "$ours" result decrypt encryptedResults.zip --raw --force >/dev/null) || fail "ours with the SDK's key"
cmp -s "$work/s/results.zip" "$work/result.zip" || fail "ours with the SDK's key: results.zip differs"
(cd "$work/o" && "$sdk" result decrypt encryptedResults.zip --raw --force >/dev/null) || fail "the SDK with our key"
cmp -s "$work/o/results.zip" "$work/result.zip" || fail "the SDK with our key: results.zip differs"
node "$helper" sdk-decrypt-archive "$work/o/.secrets/beneficiary/${address}_key" "$work/o/encryptedResults.zip" \
    "$work/x/out.zip"
cmp -s "$work/x/out.zip" "$work/result.zip" || fail "decryptResult() with our key"
echo "crossed: ours decrypts with the SDK's key, the SDK (CLI and decryptResult) with ours"
# Errors.
both "missing key file" result decrypt --beneficiary-key-file nope --raw --force
for d in s o; do printf 'garbage' >"$work/$d/bad.zip"; done
both "not a zip" result decrypt bad.zip --raw --force
for d in s o; do (cd "$work/$d" && node -e '
const JSZip = require(process.argv[1]);
const z = new JSZip(); z.file("iexec_out.zip.aes", "x");
z.generateAsync({type: "nodebuffer"}).then((b) => require("fs").writeFileSync("nokey.zip", b));' \
    "$(dirname "$helper")/../../tools/devnet/node_modules/jszip"); done
both "zip without aes-key.rsa" result decrypt nokey.zip --raw --force
# The other CLI's archive: made for another beneficiary key.
cp "$work/o/encryptedResults.zip" "$work/s/other.zip"
cp "$work/s/encryptedResults.zip" "$work/o/other.zip"
both "another beneficiary's archive" result decrypt other.zip --raw --force
both "missing input" result decrypt missing.zip --raw --force

echo
echo "ALL MATCHED"
