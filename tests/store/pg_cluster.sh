#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the store tests and benchmarks (and any test that needs PostgreSQL):
#   pg_cluster.sh start <dir>   initdb into a fresh temporary data directory, start the server on 127.0.0.1 and a free
#                               port (no Unix socket), write the connection URL to <dir>/url
#   pg_cluster.sh stop <dir>    stop the server (fast shutdown, then immediate) and delete the data directory
# The data directory lives under ${TMPDIR:-/tmp} (<dir>/datadir names it) so that an unprivileged user can reach it.
# initdb and postgres refuse to run as root: when run as root the server runs as the `postgres` user (created by the
# Debian postgresql packages) or, without it, as `nobody`, through runuser. Authentication is `trust` on 127.0.0.1
# only; the URL is postgresql://wp@127.0.0.1:<port>/postgres.
# Missing server binaries: exits 1 and names the Debian package to install. WP_PG_BINDIR=<dir> chooses the server
# binaries (default: the newest /usr/lib/postgresql/*/bin, then PATH).
set -u

find_bindir() {
    if [ -n "${WP_PG_BINDIR:-}" ]; then
        if [ -x "$WP_PG_BINDIR/initdb" ] && [ -x "$WP_PG_BINDIR/pg_ctl" ]; then echo "$WP_PG_BINDIR"; return 0; fi
        return 1
    fi
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
    done
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"; return 0
    fi
    return 1
}

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u "$owner" -- "$@"; else "$@"; fi
}

cmd=${1:-}
case "$cmd" in
start)
    dir=${2:?fixture directory}
    mkdir -p "$dir"
    if [ -f "$dir/datadir" ]; then "$0" stop "$dir" >/dev/null 2>&1; fi
    rm -f "$dir/url" "$dir/datadir"
    bindir=$(find_bindir) || {
        echo "pg_cluster: PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian package" \
             "'postgresql' (apt-get install postgresql; Debian 12 ships postgresql-15), or set WP_PG_BINDIR" >&2
        exit 1
    }
    owner=$(id -un)
    if [ "$(id -u)" = 0 ]; then
        if id postgres >/dev/null 2>&1; then owner=postgres; else owner=nobody; fi
        command -v runuser >/dev/null 2>&1 || { echo "pg_cluster: runuser (util-linux) is needed as root" >&2; exit 1; }
    fi
    data=$(mktemp -d "${TMPDIR:-/tmp}/wp-pg.XXXXXX") || exit 1
    echo "$data" >"$dir/datadir"
    [ "$(id -u)" = 0 ] && chown "$owner" "$data"
    chmod 700 "$data"
    if ! as_owner "$bindir/initdb" -D "$data/db" -U wp --auth=trust -E UTF8 --locale=C --no-sync \
        >"$data/initdb.log" 2>&1; then
        echo "pg_cluster: initdb failed (as $owner):" >&2
        cat "$data/initdb.log" >&2
        exit 1
    fi
    port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
    for attempt in 1 2 3; do
        port=""
        for _ in $(seq 1 200); do
            candidate=$((20000 + RANDOM % 30000))
            if port_free "$candidate"; then port=$candidate; break; fi
        done
        [ -n "$port" ] || { echo "pg_cluster: no free TCP port found" >&2; exit 1; }
        if as_owner "$bindir/pg_ctl" -D "$data/db" -l "$data/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories= -c max_connections=100" \
            start >"$data/pg_ctl.log" 2>&1; then
            echo "postgresql://wp@127.0.0.1:$port/postgres" >"$dir/url"
            echo "pg_cluster: PostgreSQL ($bindir) as $owner on 127.0.0.1:$port, data $data"
            exit 0
        fi
        echo "pg_cluster: attempt $attempt: the server did not start on port $port:" >&2
        cat "$data/pg_ctl.log" "$data/server.log" >&2 2>/dev/null
    done
    exit 1
    ;;
stop)
    dir=${2:?fixture directory}
    [ -f "$dir/datadir" ] || { echo "pg_cluster: no cluster ($dir/datadir missing)"; exit 0; }
    data=$(cat "$dir/datadir")
    rm -f "$dir/url" "$dir/datadir"
    bindir=$(find_bindir) || exit 0
    owner=$(stat -c %U "$data" 2>/dev/null || id -un)
    if [ -f "$data/db/postmaster.pid" ]; then
        as_owner "$bindir/pg_ctl" -D "$data/db" -m fast -w -t 20 stop >/dev/null 2>&1 ||
            as_owner "$bindir/pg_ctl" -D "$data/db" -m immediate -w -t 20 stop >/dev/null 2>&1
    fi
    case "$data" in */wp-pg.*) rm -rf "$data" ;; esac
    echo "pg_cluster: stopped and removed $data"
    exit 0
    ;;
*)
    echo "usage: $0 start <dir> | stop <dir>" >&2
    exit 2
    ;;
esac
