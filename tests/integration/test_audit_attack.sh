#!/usr/bin/env bash
# Attacks on the audit log's block store (issue 12), through the real binaries:
#   1. hostile record contents (model names, request ids, key names, bodies with quotes,
#      backslashes, control bytes, invalid and overlong UTF-8, surrogate escapes, 4-byte
#      characters, capped and over-long fields, JSON look-alikes, 300 models in a block,
#      statuses 404/499/599): the audit_log view, GET /admin/audit and `warden audit --json`
#      read back the same, valid texts;
#   2. queries: limits, bad parameters (400 in OpenAI's shape), cursors across blocks,
#      since/until at exact record times, filters that match nothing, damaged blocks and a
#      store that is not SQLite (an error, never a crash or a hang);
#   3. faults: the store locked (records journaled, replayed once), two wardens on one store,
#      a store from the row-per-record version (migration), retention with a block across
#      the cutoff.
# Checks of bugs in files this branch does not own are `known_bug`: SKIP with the reason
# unless FIXED=1. The last line is "test_audit_attack: N passed, M failed".
source "$(dirname "$0")/lib.sh"

PY="$ROOT/tests/integration/audit_attack.py"
export WARDEN_ADMIN_TOKEN=adm-$RANDOM-attack-token
KEY=sk-attack-$RANDOM-key
KEY2=sk-attack2-$RANDOM-key
DB=$TMP/attack.db
SKIPPED=0
known_bug() { # name command... : a check of a bug outside this branch's files
    if [ "${FIXED:-0}" = 1 ]; then check "$@"; else SKIPPED=$((SKIPPED + 1)); echo "  SKIP $TEST_NAME: $1 (known bug, FIXED=1 to run)"; fi
}
admin() { curl -s --max-time 20 -H "Authorization: Bearer $WARDEN_ADMIN_TOKEN" "$1/admin/audit$2"; }
admin_status() { curl -s --max-time 20 -o "$TMP/admin_body" -w '%{http_code}' -H "Authorization: Bearer $WARDEN_ADMIN_TOKEN" "$1/admin/audit$2"; }
sql() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchall(); c.commit(); print("\n".join("|".join(str(x) for x in row) for row in r))' "$@"; }

attack_config() { # db [extra audit options]
    cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 2, drain_timeout_ms: 3000}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
models:
  - name: gpt-4o-mini
    targets: [{provider: local, model: mock-1}]
api_keys:
  - {name: "k\"ey\\\\name,],[\u00e9\U0001F600", key: "$KEY"}
  - {name: "$(printf 'L%.0s' $(seq 1 80))", key: "$KEY2"}
auth: {required: true}
admin: {token_env: WARDEN_ADMIN_TOKEN}
audit: {sink: sqlite, path: "$1", bodies: true, body_max_bytes: 4096${2:-}}
YAML
}

start_mock
start_warden "$(attack_config "$DB")" || { echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }
CFG=$TMP/warden-$WARDEN_PORT.yaml

# ------------------------------------------------------------ 1. hostile contents
python3 "$PY" send "$WARDEN_PORT" "$KEY" "$TMP/expect.json"
python3 "$PY" send499 "$WARDEN_PORT" "$KEY"
curl -s -o /dev/null -H "Authorization: Bearer $KEY2" -H 'content-type: application/json' -H 'x-request-id: rid-longkey' \
    -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' "$WARDEN/v1/chat/completions"
sleep 1.2
admin "$WARDEN" "?limit=1000" >"$TMP/api.json"
"$WARDEN_BIN" audit --config "$CFG" --limit 1000 --json >"$TMP/cli.jsonl" 2>"$TMP/cli.err"
while IFS= read -r line; do
    case "$line" in
    "ok "*) check "${line#ok }" true ;;
    "FAIL "*) n=${line#FAIL }; echo "    ${n#* || }" >&2; check "${n%% || *}" false ;;
    esac
done < <(python3 "$PY" verify "$DB" "$TMP/api.json" "$TMP/cli.jsonl" "$TMP/expect.json" 2>&1)
check "499: a client that left is recorded as 499" eq "$(jq '[.data[] | select(.request_id == "rid-s499") | .status] | join(",")' -r "$TMP/api.json")" 499
check "key name with quotes, backslash, ],[ and 4-byte UTF-8 reads back" eq \
    "$(jq -r '[.data[] | select(.request_id == "rid-bodies") | .key] | .[0]' "$TMP/api.json")" "$(printf 'k"ey\\name,],[\xc3\xa9\xf0\x9f\x98\x80')"
check "an 80-byte key name is capped at 63 bytes" eq "$(jq -r '[.data[] | select(.request_id == "rid-longkey") | .key] | .[0]' "$TMP/api.json")" "$(printf 'L%.0s' $(seq 1 63))"
check "filter by a key name with quotes and ],[" eq "$(admin "$WARDEN" "?limit=1000&key=$(python3 -c 'import urllib.parse;print(urllib.parse.quote("k\"ey\\name,],[\u00e9\U0001F600"))')" | jq '[.data[] | select(.request_id == "rid-bodies")] | length')" 1
check "filter by a model with control bytes" eq "$(admin "$WARDEN" "?model=$(python3 -c 'import urllib.parse;print(urllib.parse.quote("c\x01\x02\x1f\x7f\t\n\r\b\fend"))')" | jq -r '.data[0].request_id')" rid-m-controls
check "filter by a model that looks like JSON" eq "$(admin "$WARDEN" "?model=$(python3 -c 'import urllib.parse;print(urllib.parse.quote("\"],[\"x\",{\"a\":1}],["))')" | jq -r '[.data[].request_id] | join(",")')" rid-m-jsonish
check "filter by a model whose prefix is another model: only it" eq "$(admin "$WARDEN" "?model=gpt-4o-mini%22" | jq -r '[.data[].request_id] | join(",")')" rid-m-instr-lookalike
check "warden still alive after the hostile records" alive


# (models that differ only in bytes that are not UTF-8 cannot come through the gateway: a
# refused request's model is validated, a served one parsed by jansson; the query's handling of
# such dictionary entries is tested in tests/unit/audit/test_audit_attack.c)

# ------------------------------------------------------------ 2. queries
pages() { # base query: pages through with the cursor; prints "count distinct ordered"
    python3 - "$1" "$2" "$WARDEN_ADMIN_TOKEN" <<'PYEOF'
import json, sys, urllib.request
base, q, tok = sys.argv[1:4]
ids, cursor, ordered = [], None, True
for _ in range(2000):
    url = base + "/admin/audit?" + q + ("&cursor=" + cursor if cursor else "")
    d = json.load(urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": "Bearer " + tok}), timeout=20))
    for r in d["data"]:
        if ids and r["id"] >= ids[-1]:
            ordered = False
        ids.append(r["id"])
    if not d["has_more"]:
        break
    cursor = d["next_cursor"]
print(len(ids), len(set(ids)), ordered)
PYEOF
}
total=$(sql "$DB" "select count(*) from audit_log")
check "query: limit=1 pages cover every record once, newest first" eq "$(pages "$WARDEN" "limit=1")" "$total $total True"
check "query: limit=7 pages (across blocks) cover every record once" eq "$(pages "$WARDEN" "limit=7")" "$total $total True"
check "query: limit=1000 (the maximum)" eq "$(pages "$WARDEN" "limit=1000")" "$total $total True"
for bad in "limit=1001" "limit=0" "limit=-5" "limit=1e3" "status=0" "status=600" "status=abc" "cursor=xyz" "cursor=" \
    "since=2026-02-30T00:00:00Z" "until=now" "model=" "key=" "nope=1" "since=2026-11-30T23:00:00" "model=gpt-4o-mini%00x" "limit=5%00" "until=1970-01-01T00:00:00Z" "until=1969-12-31T23:59:59Z"; do
    st=$(admin_status "$WARDEN" "?$bad")
    check "query: $bad -> 400 in OpenAI's shape" bash -c "[ '$st' = 400 ] && jq -e '.error.code == \"invalid_audit_query\" and .error.type == \"invalid_request_error\" and (.error.message | length > 0) and (.error | has(\"param\"))' '$TMP/admin_body' >/dev/null"
done
one=$(admin "$WARDEN" "?limit=1&model=gpt-4o-mini")
t1=$(jq -r '.data[0].time' <<<"$one")
id1=$(jq -r '.data[0].id' <<<"$one")
check "query: since = a record's exact time includes it" eq "$(admin "$WARDEN" "?model=gpt-4o-mini&since=$t1" | jq -r --arg id "$id1" '[.data[] | select(.id == $id)] | length')" 1
check "query: until = a record's exact time leaves it out" eq "$(admin "$WARDEN" "?model=gpt-4o-mini&limit=1000&until=$t1" | jq -r --arg id "$id1" '[.data[] | select(.id == $id)] | length')" 0
check "query: a filter that matches nothing" eq "$(admin "$WARDEN" "?model=no-such-model&status=200" | jq -c '[(.data | length), .has_more, .next_cursor]')" "[0,false,null]"
check "query: since after until -> nothing" eq "$(admin "$WARDEN" "?since=2030-01-01T00:00:00Z&until=2020-01-01T00:00:00Z" | jq '.data | length')" 0

# a damaged copy of the store: one block's records cut short, another's ids fewer than its records
python3 -c '
import sqlite3, sys
src = sqlite3.connect(sys.argv[1]); dst = sqlite3.connect(sys.argv[2]); src.backup(dst)
dst.execute("update audit_block set recs = substr(recs, 1, length(recs) / 2) where seq = (select min(seq) from audit_block)")
dst.execute("update audit_block set ids = substr(ids, 1, 16 * (n - 1)) where seq = (select max(seq) from audit_block)")
dst.commit()' "$DB" "$TMP/damaged.db"
sed -e "s#$DB#$TMP/damaged.db#" "$CFG" >"$TMP/damaged.yaml"
out=$(timeout 20 "$WARDEN_BIN" audit --config "$TMP/damaged.yaml" --json --limit 1000 2>&1)
rc=$?
check "damaged block: warden audit fails with a clear error (no crash, no hang)" bash -c "[ $rc = 1 ] || [ $rc = 2 ]"
check "damaged block: ... naming the store" contains "$out" "damaged.db"
printf 'this is not an SQLite database\n%.0s' $(seq 1 200) >"$TMP/garbage.db"
sed -e "s#$DB#$TMP/garbage.db#" "$CFG" >"$TMP/garbage.yaml"
out=$(timeout 20 "$WARDEN_BIN" audit --config "$TMP/garbage.yaml" --json 2>&1)
rc=$?
check "not a store: warden audit fails with a clear error" bash -c "[ $rc != 0 ] && [ $rc != 124 ] && [ $rc -lt 128 ]"
check "not a store: ... naming it" contains "$out" "garbage.db"
# the same through a running warden whose store is damaged / not SQLite (own journals)
for bad in damaged garbage; do
    start_warden "$(attack_config "$TMP/$bad.db" ", journal: \"$TMP/$bad.journal\"")" || true
    st=$(admin_status "$WARDEN" "?limit=1000")
    check "$bad store: GET /admin/audit -> 503 in OpenAI's shape" bash -c "[ '$st' = 503 ] && jq -e '.error.code == \"audit_store_unavailable\" and (.error.message | contains(\"$bad.db\"))' '$TMP/admin_body' >/dev/null"
    check "$bad store: requests are still answered" eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" -H 'content-type: application/json' -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' "$WARDEN/v1/chat/completions")" 200
    check "$bad store: warden alive" alive
    kill -TERM "$WARDEN_PID"; wait "$WARDEN_PID" 2>/dev/null
done
check "garbage store: the record waits in the journal" bash -c "[ -s '$TMP/garbage.journal' ]"
kill -TERM "${PIDS[1]}"; wait "${PIDS[1]}" 2>/dev/null # the first warden: done with its store
leaks=$(grep -rlaF -e "$KEY" -e "$KEY2" -e "$WARDEN_ADMIN_TOKEN" "$TMP"/*.log "$TMP"/*.db* "$TMP"/*.journal "$TMP"/*.jsonl "$TMP"/api.json 2>/dev/null | wc -l)
check "no key material (client keys, admin token) in any log, store or journal" eq "$leaks" 0


# ------------------------------------------------------------ 3. faults
LOAD=$TMP/load
cc -O2 -o "$LOAD" "$ROOT/bench/load.c" || { check "build bench/load.c" false; }
printf '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"%s"}]}' "$(head -c 1500 /dev/zero | tr '\0' 'x')" >"$TMP/load.json"
load() { # port n: prints the number answered 200
    "$LOAD" -p "$1" -n "$2" -b "$TMP/load.json" -t 30 2>&1 | sed -n 's/^LOAD ok=\([0-9]*\).*/\1/p'
}
lock_db() { # db seconds: holds an exclusive lock on the store (the sink's writes fail meanwhile)
    python3 -c 'import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10); c.execute("begin exclusive"); time.sleep(float(sys.argv[2])); c.execute("commit")' "$1" "$2"
}
lock_db_while() { # db flag max-seconds: holds the lock while the flag file exists (a slow run
    # cannot outlast it, as a fixed time could: CI under ASan once did), at most max-seconds
    python3 -c 'import os,sqlite3,sys,time; c=sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10); c.execute("begin exclusive"); open(sys.argv[2] + ".held", "w").close(); end=time.time()+float(sys.argv[3])
while os.path.exists(sys.argv[2]) and time.time() < end: time.sleep(0.05)
c.execute("commit")' "$1" "$2" "$3"
}
count_dups() { sql "$1" "select count(*) || ' ' || (count(*) - count(distinct id)) from audit_log${2:+ where $2}"; }
fault_config() { # db [audit extra] [server extra]
    cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 2, drain_timeout_ms: 1500${3:-}}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
models:
  - name: gpt-4o-mini
    targets: [{provider: local, model: mock-1}]
admin: {token_env: WARDEN_ADMIN_TOKEN}
audit: {sink: sqlite, path: "$1", bodies: true, body_max_bytes: 2048${2:-}}
YAML
}
ulimit -n 4096 2>/dev/null

# A. the store locked under load (records journaled), then unlocked while new records come:
# the replay of older records and the new ones make overlapping blocks
FDB=$TMP/fault.db
start_warden "$(fault_config "$FDB")" || true
FW=$WARDEN FP=$WARDEN_PID
lock_db "$FDB" 3.5 & # longer than the sink's busy timeout (2 s): its writes fail
LOCKP=$!
sleep 0.3
a1=$(load "$WARDEN_PORT" 400)
wait "$LOCKP"
a2=$(load "$WARDEN_PORT" 400)
sleep 1.5
check "locked store: 800 answered" eq "$((a1 + a2))" 800
check "locked store: exactly 800 records, no duplicate, after the replay" eq "$(count_dups "$FDB")" "800 0"
check "locked store: the sink went down and came back (journal used)" contains "$(cat "$WARDEN_LOG")" "sink is back"
check "locked store: pages over the overlapping blocks: each record once, in order" eq "$(pages "$FW" "limit=37")" "800 800 True"

# B. a second warden on the same store and (default) journal: refused at start with a message
# (found: the two shared the journal file, appended and truncated it under each other, and
# lost records: 140 of 600 in a probe). With its own journal it may share the store.
timeout 20 "$WARDEN_BIN" --config <(fault_config "$FDB" | sed -e "s#@MOCK@#$MOCK#" -e "s#@PORT@#$(free_port)#") >"$TMP/second.log" 2>&1
rc=$?
check "two wardens, one journal: the second does not start" bash -c "[ $rc != 0 ] && [ $rc != 124 ]"
check "two wardens, one journal: ... and says why" contains "$(cat "$TMP/second.log")" "in use by another Warden process"
start_warden "$(fault_config "$FDB" ", journal: \"$TMP/second.journal\"")" || true
SW=$WARDEN SP=$WARDEN_PID
lock_db "$FDB" 3 &
LOCKP=$!
sleep 0.2
"$LOAD" -p "${FW##*:}" -n 300 -b "$TMP/load.json" -t 30 >"$TMP/l1" 2>&1 &
L1=$!
b2=$(load "${SW##*:}" 300)
wait "$L1"
b1=$(sed -n 's/^LOAD ok=\([0-9]*\).*/\1/p' "$TMP/l1")
wait "$LOCKP"
sleep 1
kill -TERM "$FP" "$SP"
wait "$FP" "$SP" 2>/dev/null
check "two wardens, own journals, one store: exactly their records, no duplicate" eq "$(count_dups "$FDB")" "$((800 + b1 + b2)) 0"
check "two wardens: both journals replayed to empty" bash -c "[ ! -s '$FDB.journal' ] && [ ! -s '$TMP/second.journal' ]"
# a restart that overlaps the predecessor's drain (started before it has exited; the store
# locked, so the old one drains for its whole drain time and leaves a journal) waits for the
# journal, then starts and replays it
start_warden "$(fault_config "$FDB")" || true
OLDP=$WARDEN_PID
: >"$TMP/lock.flag"
lock_db_while "$FDB" "$TMP/lock.flag" 60 &
LOCKP=$!
for _ in $(seq 100); do [ -e "$TMP/lock.flag.held" ] && break; sleep 0.05; done
"$LOAD" -p "$WARDEN_PORT" -n 200 -b "$TMP/load.json" -t 30 >/dev/null 2>&1
kill -TERM "$OLDP"
start_warden "$(fault_config "$FDB")" || true
check "overlapping restart: the new warden starts once the old one let go" alive
wait "$OLDP" 2>/dev/null
rm -f "$TMP/lock.flag"
wait "$LOCKP"
sleep 1
check "overlapping restart: ... and it waited (logged)" contains "$(cat "$WARDEN_LOG")" "locked by another process"
check "overlapping restart: the new warden is still up after the replay" alive
kill -TERM "$WARDEN_PID"; wait "$WARDEN_PID" 2>/dev/null
check "overlapping restart: no record lost or doubled" eq "$(count_dups "$FDB")" "$((1000 + b1 + b2)) 0"

# C. the store deleted while warden runs: records written after must not vanish with the file
DDB=$TMP/deleted.db
start_warden "$(fault_config "$DDB")" || true
c1=$(load "$WARDEN_PORT" 100)
sleep 0.5
rm -f "$DDB" "$DDB-wal" "$DDB-shm"
c2=$(load "$WARDEN_PORT" 100)
sleep 0.5
kill -TERM "$WARDEN_PID"; wait "$WARDEN_PID" 2>/dev/null
start_warden "$(fault_config "$DDB")" || true
sleep 0.5
kill -TERM "$WARDEN_PID"; wait "$WARDEN_PID" 2>/dev/null
n_after=$(sql "$DDB" "select count(*) from audit_log" 2>/dev/null)
echo "    deleted store: $c1 answered before the delete, $c2 after; the new file holds ${n_after:-none}" >&2
# (found: the sink keeps writing into the deleted file's inode: every record after the delete
# is lost. sink_sqlite.c is not this branch's: see the report for the fix)
check "deleted store: the records answered after the delete are in the store at the path" eq "${n_after:-0}" "$c2"

# D. RSS bounded while the sink is down (the store is a directory: it cannot open): the queues
# are fixed, the journal (on disk) grows
mkdir -p "$TMP/not-a-file.db"
start_warden "$(fault_config "$TMP/not-a-file.db" ", queue_size: 512")" || true
rss() { awk '/VmRSS/ {print $2}' "/proc/$WARDEN_PID/status"; }
load "$WARDEN_PORT" 1000 >/dev/null
sleep 0.3
r1=$(rss)
for i in 1 2 3; do load "$WARDEN_PORT" 1000 >/dev/null; done
sleep 0.3
r2=$(rss)
echo "    sink down: RSS ${r1} kB after 1,000 records, ${r2} kB after 4,000; journal $(stat -c %s "$TMP/not-a-file.db.journal") bytes" >&2
case "$BUILD" in
*asan*) echo "  SKIP $TEST_NAME: RSS under ASan (its quarantine keeps freed memory)" ;;
*) check "sink down: RSS grows < 8 MB over 3,000 more records" lt "$((r2 - r1))" 8192 ;;
esac
check "sink down: the journal holds them" ge "$(stat -c %s "$TMP/not-a-file.db.journal")" 4000000
kill -TERM "$WARDEN_PID"; wait "$WARDEN_PID" 2>/dev/null


# E. a store and a journal left by the row-per-record version (OLD_WARDEN: a warden built from
# commit 8acf88e, e.g. git worktree add /tmp/old 8acf88e && make -C /tmp/old -j2): migrated
# into blocks at the first start, the old journal replayed, nothing lost or doubled
OLD_WARDEN=${OLD_WARDEN:-/tmp/auditatk-old/build/warden}
if [ -x "$OLD_WARDEN" ]; then
    ODB=$TMP/old.db
    WARDEN_BIN_NEW=$WARDEN_BIN
    WARDEN_BIN=$OLD_WARDEN
    start_warden "$(fault_config "$ODB")" || true
    o1=$(load "$WARDEN_PORT" 200)
    python3 "$PY" oldsend "$WARDEN_PORT" >/dev/null
    sleep 0.5
    kill -TERM "$WARDEN_PID"; wait "$WARDEN_PID" 2>/dev/null
    start_warden "$(fault_config "$ODB")" || true # again, the store locked: its records go to the old journal
    lock_db "$ODB" 4.5 &
    LOCKP=$!
    sleep 0.3
    o2=$(load "$WARDEN_PORT" 150)
    sleep 2.5
    kill -9 "$WARDEN_PID"; wait "$WARDEN_PID" 2>/dev/null
    wait "$LOCKP"
    old_rows=$(sql "$ODB" "select count(*) from audit_log")
    WARDEN_BIN=$WARDEN_BIN_NEW
    check "old store: the old version wrote a table" eq "$(sql "$ODB" "select type from sqlite_master where name = 'audit_log'")" table
    check "old journal: holds records" bash -c "[ -s '$ODB.journal' ]"
    start_warden "$(fault_config "$ODB")" || true
    sleep 1.5
    check "old store: migrated (audit_log is a view)" eq "$(sql "$ODB" "select type from sqlite_master where name = 'audit_log'")" view
    check "old store + old journal: every record once ($o1 + 5 + $o2 answered, $old_rows in the old table)" eq "$(count_dups "$ODB")" "$((o1 + 5 + o2)) 0"
    check "old store: hostile models read back" eq "$(sql "$ODB" "select count(*) from audit_log where model in ('q\"uo\\te', 'c' || char(1) || 'x', '\"],[', 'emoji ' || char(128512), 'caf' || char(233))")" 5
    check "old store: the query reads the migrated blocks" eq "$(pages "$WARDEN" "limit=100")" "$((o1 + 5 + o2)) $((o1 + 5 + o2)) True"
    kill -TERM "$WARDEN_PID"; wait "$WARDEN_PID" 2>/dev/null
else
    echo "  SKIP $TEST_NAME: migration from the row-per-record version (no OLD_WARDEN at $OLD_WARDEN)"
fi

# F. retention: records 3 days old, a block across the 1-day cutoff (10 s each side), recent
# ones (a store of the old layout made by hand, migrated at start; retention runs 1 s later)
RDB=$TMP/retention.db
python3 "$PY" oldstore "$RDB"
start_warden "$(fault_config "$RDB" ", retention_days: 1")" || true
sleep 2
check "retention: the 3-day-old records are gone" eq "$(sql "$RDB" "select count(*) from audit_log where request_id like 'old-%'")" 0
check "retention: no record newer than the cutoff is lost" eq "$(sql "$RDB" "select count(*) from audit_log where request_id like 'keep-%'")" 30
check "retention: the block across the cutoff is kept whole (its 10 older records too)" eq "$(sql "$RDB" "select count(*) from audit_log where request_id like 'edge-%'")" 10
kill -TERM "$WARDEN_PID"; wait "$WARDEN_PID" 2>/dev/null

[ "$SKIPPED" -gt 0 ] && echo "  $TEST_NAME: $SKIPPED known-bug check(s) skipped (FIXED=1 runs them)"
finish
