#!/usr/bin/env bash
# ctest fixture for the anvil test groups that share one PoCo deployment:
#   devnet_fixture.sh start <iexec-pool> <dir>   start `iexec-pool devnet` in the background on a free port, wait for
#                                                <dir>/info.json (the deployment info: rpc, hub, token, keys)
#   devnet_fixture.sh stop <dir>                 SIGINT (clean anvil stop), then SIGTERM / SIGKILL after a grace
# The devnet's output goes to <dir>/devnet.log (never to ctest's pipes, so ctest does not wait for it), its pid to
# <dir>/devnet.pid. Tests take evm_snapshot / evm_revert around each case (tests/anvil/poco_fixture.hpp).
set -u

cmd=${1:-}
case "$cmd" in
start)
    bin=${2:?iexec-pool binary}
    dir=${3:?fixture directory}
    mkdir -p "$dir"
    # A devnet left over by an interrupted run.
    if [ -f "$dir/devnet.pid" ]; then "$0" stop "$dir" >/dev/null 2>&1; fi
    rm -f "$dir/info.json" "$dir/devnet.pid"
    port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
    # Up to 3 attempts: another process may take the chosen port before anvil binds it.
    for attempt in 1 2 3; do
        port=""
        for _ in $(seq 1 200); do
            candidate=$((20000 + RANDOM % 30000))
            if port_free "$candidate"; then port=$candidate; break; fi
        done
        [ -n "$port" ] || { echo "devnet_fixture: no free TCP port found" >&2; exit 1; }
        "$bin" devnet --port "$port" --info-file "$dir/info.json" --data-dir "$dir/data" \
            >"$dir/devnet.log" 2>&1 </dev/null &
        pid=$!
        echo "$pid" >"$dir/devnet.pid"
        for _ in $(seq 1 1200); do
            if [ -f "$dir/info.json" ]; then
                echo "devnet_fixture: devnet (pid $pid) ready on port $port; info $dir/info.json"
                exit 0
            fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "devnet_fixture: no info file after 120 s; log:" >&2
            cat "$dir/devnet.log" >&2
            "$0" stop "$dir" >&2
            exit 1
        fi
        echo "devnet_fixture: attempt $attempt: iexec-pool devnet exited early; its log:" >&2
        cat "$dir/devnet.log" >&2
        rm -f "$dir/devnet.pid"
    done
    exit 1
    ;;
stop)
    dir=${2:?fixture directory}
    if [ ! -f "$dir/devnet.pid" ]; then
        echo "devnet_fixture: no devnet running ($dir/devnet.pid missing)"
        exit 0
    fi
    pid=$(cat "$dir/devnet.pid")
    rm -f "$dir/devnet.pid" "$dir/info.json"
    kill -INT "$pid" 2>/dev/null || { echo "devnet_fixture: devnet (pid $pid) already gone"; exit 0; }
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || { echo "devnet_fixture: devnet (pid $pid) stopped"; exit 0; }
        sleep 0.1
    done
    kill -TERM "$pid" 2>/dev/null
    sleep 1
    kill -KILL "$pid" 2>/dev/null
    echo "devnet_fixture: devnet (pid $pid) did not stop on SIGINT; killed" >&2
    exit 0
    ;;
*)
    echo "usage: $0 start <iexec-pool> <dir> | stop <dir>" >&2
    exit 2
    ;;
esac
