#!/bin/sh
# Packs one demo app folder into a sandbox app bundle (docs/worker.md): a gzip-compressed POSIX ustar archive with
# iexec-app.json at its root. The archive is reproducible (sorted names, fixed mtime / owner / modes, gzip without
# a name or timestamp), so its sha256 — the app's on-chain checksum — is the same on every machine.
#   build_bundle.sh <app folder> <output .tar.gz>   (also writes <output>.sha256: "0x<hex>\n")
set -eu
src=$1
out=$2
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$src/iexec-app.json" "$src/app.sh" "$stage/"
chmod 644 "$stage/iexec-app.json"
chmod 755 "$stage/app.sh"
mkdir -p "$(dirname "$out")"
tar --format=ustar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$stage" -cf - iexec-app.json app.sh \
  | gzip -n -9 > "$out.tmp"
mv "$out.tmp" "$out"
printf '0x%s\n' "$(sha256sum "$out" | cut -d' ' -f1)" > "$out.sha256"
