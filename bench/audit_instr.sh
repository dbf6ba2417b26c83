#!/usr/bin/env bash
# bench/audit_instr.sh: what an audit record costs, in instructions per request, by thread.
#
# Wall-clock figures on a shared 2-core machine move by more than the 5% the audit target
# allows (issue 12: "throughput and CPU per request with audit on within 5% of audit off"), so
# this counts instructions instead: Warden (one worker) runs under callgrind with collection
# off; after a warm-up of WARM requests, collection is switched on, N requests are sent one
# after another on one keep-alive connection, and the counters are dumped - per thread
# (--separate-threads), so the request path (the worker loop) and the audit writer thread are
# told apart. Once with audit off, once with the SQLite sink, for a plain and a streaming
# request (the stream also exercises the usage tap: Warden asks for include_usage).
#
# The writer commits a batch every flush_ms; under callgrind requests come a hundred times
# slower than at load, so with the default 10 ms each batch would hold a record or two and
# cost a commit each. FLUSH_MS (default 1000) makes the batches about as large as at load
# (hundreds of records), and the warm-up's records are stored before the counting starts.
#
#   BUILD=build bash bench/audit_instr.sh   (N=2000 WARM=200 FLUSH_MS=1000 KINDS="0 1": plain and stream; KEEP=1 keeps the dumps)
#
# Prints "AUDIT_INSTR mode=.. kind=.. requests=N loop_per_req=.. writer_per_req=.. total_per_req=..";
# loop = the worker thread(s) that run the event loop, writer = the audit writer thread.
#
# SINK=1: the SQLite sink alone instead (build/audit_bench sink: records shaped like the
# proxy's, in transactions of BATCHES="16 64 256 512" records, counted inside sq_write):
# "AUDIT_INSTR sink batch=.. per_record=..".
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
N=${N:-2000}
WARM=${WARM:-200}
FLUSH_MS=${FLUSH_MS:-1000}
SETTLE=$(awk -v ms="$FLUSH_MS" 'BEGIN { printf "%.2f", ms / 1000 + 0.5 }') # a batch's wait, and its commit
command -v valgrind >/dev/null && command -v callgrind_control >/dev/null || { echo "audit_instr: valgrind is needed" >&2; exit 1; }
TMP=$(mktemp -d /tmp/warden-audit-instr.XXXXXX)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    [ "${KEEP:-0}" = 1 ] && echo "audit_instr: kept $TMP" >&2 || rm -rf "$TMP"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() {
    local i
    for i in $(seq 1 400); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
    echo "audit_instr: port $1 did not open" >&2
    return 1
}

# totals of one callgrind dump file: the "summary:" (or "totals:") Ir count
ir_of() { awk '/^(summary|totals):/ { print $2; exit }' "$1"; }

if [ "${SINK:-0}" = 1 ]; then
    make -C "$ROOT" --no-print-directory "BUILD=$BUILD" "$BUILD/audit_bench" >/dev/null # up to date with the library
    for b in ${BATCHES:-16 64 256 512}; do
        valgrind --tool=callgrind --toggle-collect=sq_write --callgrind-out-file="$TMP/cg-sink-$b" \
            "$BUILD/audit_bench" sink "$TMP" 19200 "$b" >"$TMP/sink-$b.log" 2>&1
        echo "AUDIT_INSTR sink batch=$b per_record=$(($(ir_of "$TMP/cg-sink-$b") / 19200))"
    done
    exit 0
fi

MPORT=$(free_port)
"$BUILD/warden-mock" --listen "127.0.0.1:$MPORT" --workers 1 --quiet --chunks 20 >"$TMP/mock.log" 2>&1 &
PIDS+=($!)
wait_port "$MPORT"

# send PORT COUNT STREAM: COUNT requests in sequence on one keep-alive connection
send() {
    python3 - "$@" <<'PY'
import http.client, json, sys
port, n, stream = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
body = json.dumps({"model": "gpt-4o-mini", "stream": stream,
                   "messages": [{"role": "user", "content": "x" * 900}]})
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
for i in range(n):
    c.request("POST", "/v1/chat/completions", body, {"content-type": "application/json"})
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit("status %d" % r.status)
PY
}


run() { # MODE(off|on) STREAM(0|1)
    local mode=$1 stream=$2 port audit="" pid f loop=0 writer=0 n
    port=$(free_port)
    [ "$mode" = on ] && audit="audit: {sink: sqlite, path: \"$TMP/audit-$stream.db\", flush_ms: $FLUSH_MS}"
    cat >"$TMP/w-$mode-$stream.yaml" <<YAML
server: {listen: "127.0.0.1:$port", workers: 1, access_log: "off", drain_timeout_ms: 1000}
providers:
  - {name: mock, type: openai, base_url: "http://127.0.0.1:$MPORT/v1"}
models:
  - name: gpt-4o-mini
    targets: [{provider: mock, model: mock-1}]
$audit
YAML
    valgrind --tool=callgrind --separate-threads=yes --instr-atstart=no \
        --callgrind-out-file="$TMP/cg-$mode-$stream.%p" "$BUILD/warden" --config "$TMP/w-$mode-$stream.yaml" \
        >"$TMP/w-$mode-$stream.log" 2>&1 &
    pid=$!
    PIDS+=($pid)
    wait_port "$port"
    send "$port" "$WARM" "$stream"
    sleep "$SETTLE" # the warm-up's records are stored before counting starts
    callgrind_control --instr=on "$pid" >/dev/null 2>&1
    send "$port" "$N" "$stream"
    sleep "$SETTLE" # the writer's last batch
    callgrind_control --dump="measured" "$pid" >/dev/null 2>&1
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
    # per-thread dumps: the measured one of each thread; the writer thread is the one inside writer_main
    for f in "$TMP"/cg-$mode-$stream.$pid.*-*; do
        grep -q '^desc: Trigger: .*measured' "$f" 2>/dev/null || grep -q 'measured' "$f" || continue
        n=$(ir_of "$f")
        [ -n "$n" ] || continue
        if grep -q 'writer_main' "$f"; then writer=$((writer + n)); else loop=$((loop + n)); fi
    done
    echo "AUDIT_INSTR mode=$mode kind=$([ "$stream" = 1 ] && echo stream || echo plain) requests=$N" \
        "loop_per_req=$((loop / N)) writer_per_req=$((writer / N)) total_per_req=$(((loop + writer) / N))"
}

for s in ${KINDS:-0 1}; do
    run off "$s"
    run on "$s"
done
