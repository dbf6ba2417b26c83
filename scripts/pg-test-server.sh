#!/usr/bin/env bash
# A throw-away PostgreSQL server on 127.0.0.1 for the audit tests (never a mock).
#
#   pg-test-server.sh start DIR PORT   initdb DIR (first time) and start; prints the DSN
#   pg-test-server.sh stop DIR         fast shutdown
#   pg-test-server.sh kill DIR         immediate shutdown (a crash, as far as clients see)
#
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres`
# user (from the Debian package) and DIR is handed to it. Needs the `postgresql`
# package (scripts/install-deps.sh installs it).
set -euo pipefail
cmd=${1:?start|stop|kill}
dir=${2:?DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/pg_ctl" ] || { echo "pg-test-server: PostgreSQL is not installed (apt package postgresql)" >&2; exit 3; }
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
start)
    port=${3:?PORT}
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir" && chmod 700 "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 ||
            { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -k $dir -c fsync=off -c max_connections=50" start >/dev/null ||
        { cat "$dir/server.log" >&2; exit 1; }
    echo "host=127.0.0.1 port=$port user=postgres dbname=postgres"
    ;;
stop) as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true ;;
kill) as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true ;;
*) echo "pg-test-server: unknown command $cmd" >&2; exit 2 ;;
esac
