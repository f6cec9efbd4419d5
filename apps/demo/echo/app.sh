#!/bin/sh
# Demo app `echo`: writes its arguments, joined by single spaces, plus one newline, to $IEXEC_OUT/result.txt and
# points computed.json at that file (the task's result digest is then sha256(result.txt)).
set -e
printf '%s\n' "$*" > "$IEXEC_OUT/result.txt"
printf '{"deterministic-output-path":"%s/result.txt"}\n' "$IEXEC_OUT" > "$IEXEC_OUT/computed.json"
