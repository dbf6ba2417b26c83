#!/usr/bin/env bash
# The audit log's durability at load: kill -9 while requests are answered, the SQLite store up.
# What the writer had not committed is lost, and only that: no duplicates after a restart, no
# more rows than closed requests, and the rows lost at most ~200 ms of answers (flush_ms: 10;
# 0-25 ms in runs by hand here; the bound below says why it is wider).
# A wall-clock bound on a background thread's lag: TIMED in run.sh (runs alone).
# The last line is "test_audit_kill: N passed, M failed".
source "$(dirname "$0")/lib.sh"

rows() { # db [where]
    python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("select count(*) from audit_log "+sys.argv[2]).fetchone()[0])' "$1" "${2:-}"
}
dup_ids() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("select count(*)-count(distinct id) from audit_log").fetchone()[0])' "$1"; }

LOAD=$TMP/load
cc -O2 -o "$LOAD" "$ROOT/bench/load.c" || { echo "test_audit_kill: cannot build bench/load.c"; echo "test_audit_kill: 0 passed, 1 failed"; exit 1; }
printf '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello audit"}]}' >"$TMP/body.json"
start_mock

# ---------------------------------------------------------------- kill -9 at load, store up
# Killed once a third of the requests have been answered. A record is made when the request
# ends (req_close, which also writes the access-log line); what the writer had not committed
# is lost: at most flush_ms of records. Requests whose answer left but whose close had not run
# yet have no access-log line either: they count against "answered", not against the writer.
DB4=$TMP/audit4.db
start_warden "$(basic_config "audit: {sink: sqlite, path: \"$DB4\", flush_ms: 10}")" || exit 1
"$LOAD" -p "$WARDEN_PORT" -n 3000 -b "$TMP/body.json" -t 30 >"$TMP/load4.txt" 2>&1 &
LP=$!
for i in $(seq 1 200); do
    [ "$(grep -c '"id"' "$WARDEN_LOG")" -ge 1000 ] && break
    sleep 0.02
done
kill -9 "$WARDEN_PID"; wait "$WARDEN_PID" 2>/dev/null
wait "$LP"
closed4=$(grep -c '"id"' "$WARDEN_LOG")
ok4=$(sed -n 's/^LOAD ok=\([0-9]*\).*/\1/p' "$TMP/load4.txt")
span4=$(sed -n 's/^LOAD .*first_ms=\([0-9.]*\) last_ms=\([0-9.]*\).*/\1 \2/p' "$TMP/load4.txt")
start_warden "$(basic_config "audit: {sink: sqlite, path: \"$DB4\"}")" || exit 1
kill -TERM "$WARDEN_PID"; wait "$WARDEN_PID" 2>/dev/null
n4=$(rows "$DB4")
echo "    kill -9 at load: $ok4 answered, $closed4 closed (access log), $n4 rows; answers over [$span4] ms"
check "kill -9 at load: no duplicates" eq "$(dup_ids "$DB4")" 0
check "kill -9 at load: rows never exceed closed requests" python3 -c "import sys; sys.exit(0 if $n4 <= $closed4 else 1)"
# 200 ms: on 2 vCPUs shared with the load, the mock and CI's background lane the writer falls
# behind by more than flush_ms + a commit; CI runs lost 104 ms (ASan) and 138 ms (plain), and
# 213 ms once before the test ran alone. A writer that stopped would lose everything after it.
# (slow_ms: the ASan build's writer lags further behind)
LOST_MS=$(slow_ms 200)
check "kill -9 at load: closed but not recorded <= $LOST_MS ms of answers" python3 -c "
import sys
first, last = [float(x) for x in '$span4'.split()]
rate = $ok4 / max(0.05, (last - first) / 1000.0)
print('    writer lost %d (closed - rows); answered but not closed %d; $LOST_MS ms of answers = %.0f'
      % ($closed4 - $n4, $ok4 - $closed4, rate * $LOST_MS / 1000.0), file=sys.stderr)
sys.exit(0 if $closed4 - $n4 <= max(1, rate * $LOST_MS / 1000.0) else 1)"
finish
