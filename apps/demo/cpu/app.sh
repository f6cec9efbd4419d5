#!/bin/sh
# Demo app `cpu`: CPU-bound. Counts the primes below N (first argument, default 20000) by trial division in shell
# arithmetic and writes "primes below N: C" to $IEXEC_OUT/result.txt.
set -e
n=${1:-20000}
case "$n" in ''|*[!0-9]*) echo "cpu: N must be a decimal number, got '$n'" >&2; exit 2 ;; esac
count=0
i=2
while [ "$i" -lt "$n" ]; do
  d=2
  prime=1
  while [ $((d * d)) -le "$i" ]; do
    if [ $((i % d)) -eq 0 ]; then prime=0; break; fi
    d=$((d + 1))
  done
  count=$((count + prime))
  i=$((i + 1))
done
printf 'primes below %s: %s\n' "$n" "$count" > "$IEXEC_OUT/result.txt"
printf '{"deterministic-output-path":"%s/result.txt"}\n' "$IEXEC_OUT" > "$IEXEC_OUT/computed.json"
