#!/bin/sh
# Demo app `dir`: a directory result. Writes $IEXEC_OUT/out/ with one file per argument (args.txt), the task's
# identity (task.txt) and a small table (squares.txt); computed.json points at the folder.
set -e
mkdir -p "$IEXEC_OUT/out"
printf '%s\n' "$*" > "$IEXEC_OUT/out/args.txt"
printf 'index %s of %s\n' "$IEXEC_BOT_TASK_INDEX" "$IEXEC_BOT_SIZE" > "$IEXEC_OUT/out/task.txt"
i=1
while [ "$i" -le 10 ]; do
  printf '%d %d\n' "$i" "$((i * i))"
  i=$((i + 1))
done > "$IEXEC_OUT/out/squares.txt"
printf '{"deterministic-output-path":"%s/out"}\n' "$IEXEC_OUT" > "$IEXEC_OUT/computed.json"
