#!/bin/sh
# Demo app `callback`: a callback result. The callback data is one ABI word (uint256): the sum of the numeric
# arguments (default 0) plus the task index, so each task of a deal reports a different value on chain.
set -e
sum=0
for a in "$@"; do
  case "$a" in
    ''|*[!0-9]*) ;;
    *) sum=$((sum + a)) ;;
  esac
done
sum=$((sum + ${IEXEC_BOT_TASK_INDEX:-0}))
printf '%s\n' "$sum" > "$IEXEC_OUT/result.txt"
printf '{"callback-data":"0x%064x","deterministic-output-path":"%s/result.txt"}\n' "$sum" "$IEXEC_OUT" \
  > "$IEXEC_OUT/computed.json"
