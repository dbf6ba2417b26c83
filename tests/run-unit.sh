#!/usr/bin/env bash
# Runs each unit-test binary (cmocka) and sums the results into one closing line.
set -u
pass=0; fail=0
# The audit sink tests need a real PostgreSQL: start a throw-away one on loopback unless the
# caller gave a DSN. If it cannot start, those tests say they were skipped (or fail with CI=true).
PG_DIR=""
if [ -z "${WARDEN_TEST_PG_DSN:-}" ]; then
    root=$(cd "$(dirname "$0")/.." && pwd)
    PG_DIR=$(mktemp -d /tmp/warden-unit-pg.XXXXXX)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
    if dsn=$("$root/scripts/pg-test-server.sh" start "$PG_DIR" "$port" 2>"$PG_DIR.err"); then
        export WARDEN_TEST_PG_DSN="$dsn"
        trap '"$root/scripts/pg-test-server.sh" stop "$PG_DIR" >/dev/null 2>&1; rm -rf "$PG_DIR" "$PG_DIR.err"' EXIT
    else
        echo "unit: PostgreSQL could not be started ($(tail -1 "$PG_DIR.err")): its tests will say so"
        rm -rf "$PG_DIR" "$PG_DIR.err"
    fi
fi
for t in "$@"; do
    out=$("$t" 2>&1); rc=$?
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
    if [ $rc -ne 0 ]; then
        printf '%s\n' "$out"
        echo "unit: $t FAILED (exit $rc)"
        [ -z "$f" ] && fail=$((fail + 1))
    else
        echo "unit: $(basename "$t"): ${p:-0} passed"
    fi
done
echo "unit: $pass passed, $fail failed"
[ $fail -eq 0 ]
