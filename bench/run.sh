#!/usr/bin/env bash
# bench/run.sh (`make bench`): wrk against warden-mock directly, through nginx, and through Warden,
# on loopback, in a few minutes. Prints a Markdown table and writes it to bench/results/latest.md.
#
# Layout on a 2-core machine: wrk (and the mock it talks to, directly or via the proxy) on core 0,
# the proxy under test (nginx or Warden, one worker each) on core 1, so the proxy has a core of its
# own and its CPU time per request can be read from /proc/PID/stat.
#
# Scenarios:
#   1. non-streaming chat completion, ~1 KB JSON body, BENCH_CONNS (64) connections
#   2. the same with "stream": true, 20 SSE chunks per answer (mock --chunks 20)
#   3. latency with one connection (p50 and p99), non-streaming; BENCH_LAT_ROUNDS (5) alternating
#      rounds of direct / nginx / warden, medians reported
#   4. BENCH_SLOW_N (5000) concurrent requests whose upstream takes 2 s (mock --ttft-ms 2000),
#      driven by bench/load.c (compiled here), through Warden and nginx; Warden's peak RSS (VmHWM)
#   5./6. the price of guarding (issue 9): Warden with the quickstart's two regex guards
#      (examples/quickstart.yaml: concurrent input block + blocking output redact, taken from that
#      file) against the same Warden without guards, non-streaming and streaming (20 chunks),
#      BENCH_CONNS connections, 1 KB requests; BENCH_GUARD_ROUNDS (3) alternating rounds, medians
#      reported with CPU µs per request, and the guarded/unguarded throughput ratio (target >= 0.85)
#   7. (BENCH_EMBEDDINGS=0 leaves it out; BENCH_ONLY=embeddings runs it alone): split embeddings, Warden's CPU
#      per input vector for 10,000-input requests split into 100 x 100 vs single 100-input requests
#      (bench/embed_split.sh; target: split/single <= 2)
#   8./9. the price of the audit log (issue 12): the same Warden with `audit: {sink: sqlite}` and
#      without, non-streaming and streaming, BENCH_AUDIT_ROUNDS (3) alternating rounds, medians of
#      req/s and CPU µs per request (the whole process), and of the audit writer thread's share
#      (thread "warden-audit"), with the audited/unaudited throughput ratio (target >= 0.95)
#  10. (BENCH_BATCH=0 leaves it out) the full-size batch of issue 13 (bench/batch_bench.sh): 1,000
#      items x 200 ms upstream at max_concurrency 16, NDJSON: wall time against the ideal, first
#      line, most calls in flight at the mock, order, Warden's CPU
#
# Every wrk run must end with zero non-2xx/3xx answers and zero socket errors, and every slow
# request must succeed; otherwise the table is still printed and the script exits 1.
#
# Knobs (environment): BUILD (build), BENCH_DURATION (5 s per wrk run), BENCH_CONNS (64), BENCH_LAT_ROUNDS (5),
# BENCH_GUARD_ROUNDS (3), BENCH_AUDIT_ROUNDS (3), BENCH_ONLY=guards or audit (scenarios 5-6 or 8-9 alone; the table
# goes to stdout, latest.md is kept), BENCH_ONLY=embeddings (scenario 7 alone, likewise), BENCH_EMBEDDINGS=0 (leave
# scenario 7 out of the full run), BENCH_BATCH=0 (leave scenario 10 out),
# BENCH_SLOW_N (5000), BENCH_PERF=1 (also `perf record -g` Warden during an extra scenario-1 run
# and write the top symbols to bench/results/perf-top.txt), BENCH_KEEP_TMP=1 (keep logs/configs).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
WARDEN_BIN="$BUILD/warden"
MOCK_BIN="$BUILD/warden-mock"
DURATION=${BENCH_DURATION:-5}
CONNS=${BENCH_CONNS:-64}
SLOW_N=${BENCH_SLOW_N:-5000}
LAT_ROUNDS=${BENCH_LAT_ROUNDS:-5}
GUARD_ROUNDS=${BENCH_GUARD_ROUNDS:-3}
AUDIT_ROUNDS=${BENCH_AUDIT_ROUNDS:-3}
ONLY=${BENCH_ONLY:-}
case "$ONLY" in "" | guards | audit | embeddings) ;; *) echo "bench: BENCH_ONLY must be empty, 'guards', 'audit' or 'embeddings'" >&2; exit 1 ;; esac
if [ "$ONLY" = embeddings ]; then
    BUILD=$BUILD "$ROOT/bench/embed_split.sh"
    exit $?
fi
QUICKSTART="$ROOT/examples/quickstart.yaml"
SLOW_TTFT_MS=2000
CHUNKS=20
RESULTS="$ROOT/bench/results"
LUA="$ROOT/bench/chat.lua"

die() { echo "bench: $*" >&2; exit 1; }
log() { echo "bench: $*" >&2; }

# ---- prerequisites: fail loudly ----
[ -x "$WARDEN_BIN" ] || die "$WARDEN_BIN is missing: run make first"
[ -x "$MOCK_BIN" ] || die "$MOCK_BIN is missing: run make first"
for tool in wrk nginx taskset cc python3; do
    command -v "$tool" >/dev/null || die "'$tool' is not installed (nginx: apt-get install nginx-light)"
done
NCPU=$(nproc)
if [ "$NCPU" -ge 2 ]; then
    PIN_LOAD="taskset -c 0"
    PIN_PROXY="taskset -c 1"
else
    log "only $NCPU CPU: running without pinning"
    PIN_LOAD=""
    PIN_PROXY=""
fi
# Each of the 5000 slow requests holds a client socket and an upstream socket in the proxy.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
[ "$NOFILE" -ge $((2 * SLOW_N + 256)) ] || die "open-file limit $NOFILE is too low for $SLOW_N slow requests"
CLK_TCK=$(getconf CLK_TCK)

TMP=$(mktemp -d /tmp/warden-bench.XXXXXX)
PIDS=()
FAILED=0
CHECKS=()

cleanup() {
    local p i
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do
        for i in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    if [ "${BENCH_KEEP_TMP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_port() { # port pid logfile
    local i
    for i in $(seq 1 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || { cat "$3" >&2; die "process $2 died before port $1 opened"; }
        sleep 0.05
    done
    cat "$3" >&2
    die "port $1 did not open"
}

# start_mock NAME FLAGS... -> sets MOCK_PORT_<NAME>
start_mock() {
    local name=$1 port
    shift
    port=$(free_port)
    $PIN_LOAD "$MOCK_BIN" --listen "127.0.0.1:$port" --workers 1 --quiet "$@" >"$TMP/mock-$name.log" 2>&1 &
    PIDS+=($!)
    wait_port "$port" $! "$TMP/mock-$name.log"
    printf -v "MOCK_PORT_$name" '%s' "$port"
}

# start_warden NAME MOCK_PORT [EXTRA_YAML] -> WARDEN_PORT, WARDEN_PID
start_warden() {
    local name=$1 mport=$2 extra=${3:-}
    WARDEN_PORT=$(free_port)
    cat >"$TMP/warden-$name.yaml" <<YAML
server: {listen: "127.0.0.1:$WARDEN_PORT", workers: 1, access_log: "off", drain_timeout_ms: 1000}
providers:
  - {name: mock, type: openai, base_url: "http://127.0.0.1:$mport/v1"}
models:
  - name: gpt-4o-mini
    targets: [{provider: mock, model: mock-1}]
$extra
YAML
    $PIN_PROXY "$WARDEN_BIN" --config "$TMP/warden-$name.yaml" >"$TMP/warden-$name.log" 2>&1 &
    WARDEN_PID=$!
    PIDS+=($WARDEN_PID)
    wait_port "$WARDEN_PORT" "$WARDEN_PID" "$TMP/warden-$name.log"
}

# start_nginx NAME MOCK_PORT -> NGINX_PORT, NGINX_PID (the master; the worker is its child)
start_nginx() {
    local name=$1 mport=$2 dir="$TMP/nginx-$1" user_line=""
    NGINX_PORT=$(free_port)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && user_line="user root;"
    cat >"$dir/nginx.conf" <<NGINX
$user_line
worker_processes 1;
worker_rlimit_nofile $NOFILE;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections $((NOFILE - 64)); }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    keepalive_requests 1000000;
    upstream mock {
        server 127.0.0.1:$mport;
        keepalive 256;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT backlog=4096;
        location / {
            proxy_pass http://mock;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }
    }
}
NGINX
    $PIN_PROXY nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" >"$dir/stdout.log" 2>&1 &
    NGINX_PID=$!
    PIDS+=($NGINX_PID)
    wait_port "$NGINX_PORT" "$NGINX_PID" "$dir/error.log"
}

# CPU ticks (utime + stime, all threads) of a process and its children (nginx's worker).
cpu_ticks() {
    local total=0 p f
    for p in "$1" $(pgrep -P "$1" || true); do
        f=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        f=${f##*) }                      # drop "pid (comm) "; comm may contain spaces
        set -- $f
        total=$((total + ${12} + ${13})) # fields 14 and 15 of the full line
    done
    echo "$total"
}

# CPU ticks of the threads of a process whose name (comm) is $2 (the audit writer: warden-audit).
thread_ticks() {
    local total=0 t f name=$2
    for t in /proc/"$1"/task/*; do
        [ "$(cat "$t/comm" 2>/dev/null)" = "$name" ] || continue
        f=$(cat "$t/stat" 2>/dev/null) || continue
        f=${f##*) }
        set -- $f
        total=$((total + ${12} + ${13}))
    done
    echo "$total"
}

# When a run fails, say whether the proxy under test is still there (and why it stopped).
proxy_gone() {
    [ "$1" != - ] || return 0
    kill -0 "$1" 2>/dev/null && return 0
    log "process $1 is gone; the last lines of the logs:"
    tail -n 3 "$TMP"/warden-*.log "$TMP"/nginx-*/error.log >&2 2>/dev/null || true
}

# run_wrk LABEL URL STREAM CONNS PROXY_PID(or -) [extra wrk args] -> R_RPS R_P50 R_P99 R_CPU (µs/req)
run_wrk() {
    local label=$1 url=$2 stream=$3 conns=$4 ppid=$5 out="$TMP/wrk-${1//[^a-z0-9]/_}.txt" before=0 after=0
    shift 5
    local wbefore=0 wafter=0
    [ "$ppid" != - ] && before=$(cpu_ticks "$ppid") && wbefore=$(thread_ticks "$ppid" warden-audit)
    BENCH_STREAM=$stream $PIN_LOAD wrk -t1 -c"$conns" -d"${DURATION}s" --timeout 10s -s "$LUA" "$@" "$url" >"$out" 2>&1 ||
        { cat "$out" >&2; proxy_gone "$ppid"; die "wrk failed ($label)"; }
    [ "$ppid" != - ] && after=$(cpu_ticks "$ppid") && wafter=$(thread_ticks "$ppid" warden-audit)
    local line
    line=$(grep '^BENCH ' "$out") || { cat "$out" >&2; die "no result line from wrk ($label)"; }
    local requests duration p50 p99 connect read write status timeout
    eval "$(echo "${line#BENCH }" | tr ' ' '\n' | sed 's/^\([a-z0-9_]*\)=/local_\1=/')"
    requests=$local_requests duration=$local_duration_us p50=$local_p50_us p99=$local_p99_us
    connect=$local_connect read=$local_read write=$local_write status=$local_status timeout=$local_timeout
    R_RPS=$(awk -v r="$requests" -v d="$duration" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
    R_P50=$(awk -v v="$p50" 'BEGIN { printf "%.3f", v / 1000 }')
    R_P99=$(awk -v v="$p99" 'BEGIN { printf "%.3f", v / 1000 }')
    R_CPU=-
    # (a proxy that died during the run has no ticks left to read: no number rather than a wrong one)
    [ "$ppid" != - ] && [ "$requests" -gt 0 ] && [ "$after" -ge "$before" ] && kill -0 "$ppid" 2>/dev/null &&
        R_CPU=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" -v r="$requests" 'BEGIN { printf "%.1f", t * 1e6 / hz / r }')
    # the audit writer thread's part of it (0 without audit)
    R_WCPU=$(awk -v t=$((wafter - wbefore)) -v hz="$CLK_TCK" -v r="$requests" 'BEGIN { printf "%.1f", (r > 0 ? t * 1e6 / hz / r : 0) }')
    local verdict=ok
    if [ "$requests" -eq 0 ] || [ $((connect + read + write + status + timeout)) -ne 0 ]; then
        verdict=FAIL
        FAILED=1
    fi
    CHECKS+=("| $label | $requests | $status | $connect | $read | $write | $timeout | $verdict |")
    log "$label: $R_RPS req/s, p50 $R_P50 ms, p99 $R_P99 ms, CPU $R_CPU µs/req, non-2xx $status," \
        "socket errors connect $connect read $read write $write timeout $timeout -> $verdict"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
added() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f (+%.3f)", a, a - b }'; }

# The quickstart's guards, as that file has them: from `default_guardrails:` to the end.
quickstart_guards() {
    local g
    g=$(sed -n '/^default_guardrails:/,$p' "$QUICKSTART")
    grep -q '^guardrails:' <<<"$g" || die "$QUICKSTART: no default_guardrails/guardrails section to copy"
    printf '%s\n' "$g"
}

# ab_rounds ROUNDS WHAT URL_OFF PID_OFF URL_ON PID_ON: the same Warden without and with WHAT
# (guards, audit), warmed up, then ROUNDS rounds of plain and streaming runs, the order flipped
# every round so drift hits both alike -> medians in AB_RPS, AB_CPU, AB_WCPU (the audit
# writer thread's part) keyed [plain|stream,off|on].
declare -A AB_RPS AB_CPU AB_WCPU
ab_rounds() {
    local rounds=$1 what=$2 url_off=$3 pid_off=$4 url_on=$5 pid_on=$6 u r sc s order t
    for u in "$url_off" "$url_on"; do
        BENCH_STREAM=0 $PIN_LOAD wrk -t1 -c"$CONNS" -d1s -s "$LUA" "$u" >/dev/null 2>&1 || die "warm-up against $u failed"
    done
    declare -A all_rps all_cpu all_wcpu
    for r in $(seq 1 "$rounds"); do
        order="off on"
        [ $((r % 2)) -eq 0 ] && order="on off"
        for sc in plain stream; do
            s=0
            [ $sc = stream ] && s=1
            for t in $order; do
                if [ $t = on ]; then
                    run_wrk "$sc warden+$what (round $r)" "$url_on" $s "$CONNS" "$pid_on"
                else
                    run_wrk "$sc warden no $what (round $r)" "$url_off" $s "$CONNS" "$pid_off"
                fi
                all_rps[$sc,$t]+="$R_RPS " all_cpu[$sc,$t]+="$R_CPU " all_wcpu[$sc,$t]+="$R_WCPU "
            done
        done
    done
    for sc in plain stream; do
        for t in off on; do
            # shellcheck disable=SC2086 # word splitting of the collected figures is the point
            AB_RPS[$sc,$t]=$(median ${all_rps[$sc,$t]}) AB_CPU[$sc,$t]=$(median ${all_cpu[$sc,$t]})
            AB_WCPU[$sc,$t]=$(median ${all_wcpu[$sc,$t]})
            log "$sc $what=$t: rounds req/s [${all_rps[$sc,$t]% }], CPU µs/req [${all_cpu[$sc,$t]% }]," \
                "audit writer thread [${all_wcpu[$sc,$t]% }]"
        done
    done
}

# ---- scenarios 5-6: Warden with the quickstart's guards vs the same Warden without them ----
# Two Wardens on core 1 (only the one under load is busy) in front of one mock; GUARD_ROUNDS
# rounds, each running both, the order flipped every round so drift hits both alike.
declare -A GRPS GCPU
guard_scenarios() {
    log "scenarios 5-6: quickstart guards vs none, $GUARD_ROUNDS alternating rounds of ${DURATION}s"
    start_mock guards --chunks "$CHUNKS"
    start_warden unguarded "$MOCK_PORT_guards"
    local pid_off=$WARDEN_PID url_off="http://127.0.0.1:$WARDEN_PORT/v1/chat/completions"
    start_warden guarded "$MOCK_PORT_guards" "$(quickstart_guards)"
    local pid_on=$WARDEN_PID url_on="http://127.0.0.1:$WARDEN_PORT/v1/chat/completions"
    # the guards must really run: a secret is refused by the guarded Warden only
    local probe='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"sk-AAAAAAAAAAAAAAAAAAAAAAAAA"}]}' c_on c_off
    c_on=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "$probe" "$url_on")
    c_off=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "$probe" "$url_off")
    [ "$c_on" = 400 ] && [ "$c_off" = 200 ] || die "guard probe: guarded Warden answered $c_on (want 400), unguarded $c_off (want 200)"
    ab_rounds "$GUARD_ROUNDS" guards "$url_off" "$pid_off" "$url_on" "$pid_on"
    local sc t
    for sc in plain stream; do
        for t in off on; do
            GRPS[$sc,$t]=${AB_RPS[$sc,$t]} GCPU[$sc,$t]=${AB_CPU[$sc,$t]}
        done
    done
}
guard_row() { # LABEL KEY
    echo "| $1 (req/s; median of $GUARD_ROUNDS alternating rounds) | ${GRPS[$2,off]} | ${GRPS[$2,on]} |" \
        "$(ratio "${GRPS[$2,on]}" "${GRPS[$2,off]}") | ${GCPU[$2,off]} | ${GCPU[$2,on]} |"
}
guard_table() {
    echo "| scenario | warden, no guards | warden, quickstart guards | guarded/unguarded (target >= 0.85) | CPU µs/req no guards | CPU µs/req guards |"
    echo "|---|---|---|---|---|---|"
    guard_row "5. non-streaming, 1 KB body, $CONNS conns" plain
    guard_row "6. streaming, $CHUNKS chunks, $CONNS conns" stream
}
# ---- scenarios 8-9: Warden with the audit log (SQLite) vs the same Warden without it ----
declare -A ARPS ACPU AWCPU
audit_scenarios() {
    log "scenarios 8-9: audit log (sqlite) vs none, $AUDIT_ROUNDS alternating rounds of ${DURATION}s"
    start_mock audit --chunks "$CHUNKS"
    start_warden noaudit "$MOCK_PORT_audit"
    local pid_off=$WARDEN_PID url_off="http://127.0.0.1:$WARDEN_PORT/v1/chat/completions"
    start_warden audit "$MOCK_PORT_audit" "audit: {sink: sqlite, path: \"$TMP/audit.db\"}"
    local pid_on=$WARDEN_PID url_on="http://127.0.0.1:$WARDEN_PORT/v1/chat/completions"
    # the audit must really run: a request makes a row
    curl -s -o /dev/null -H 'Content-Type: application/json' \
        -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"probe"}]}' "$url_on"
    sleep 0.5
    local rows
    rows=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from audit_log").fetchone()[0])' "$TMP/audit.db" 2>/dev/null || echo 0)
    [ "${rows:-0}" -gt 0 ] || die "audit probe: no row in $TMP/audit.db"
    ab_rounds "$AUDIT_ROUNDS" audit "$url_off" "$pid_off" "$url_on" "$pid_on"
    local sc t
    for sc in plain stream; do
        for t in off on; do
            ARPS[$sc,$t]=${AB_RPS[$sc,$t]} ACPU[$sc,$t]=${AB_CPU[$sc,$t]} AWCPU[$sc,$t]=${AB_WCPU[$sc,$t]}
        done
    done
}
audit_row() { # LABEL KEY
    echo "| $1 (req/s; median of $AUDIT_ROUNDS alternating rounds) | ${ARPS[$2,off]} | ${ARPS[$2,on]} |" \
        "$(ratio "${ARPS[$2,on]}" "${ARPS[$2,off]}") | ${ACPU[$2,off]} | ${ACPU[$2,on]} | ${AWCPU[$2,on]} |"
}
audit_table() {
    echo "| scenario | warden, no audit | warden, audit (sqlite) | audited/unaudited (target >= 0.95) | CPU µs/req no audit | CPU µs/req audit | of which the audit writer thread |"
    echo "|---|---|---|---|---|---|---|"
    audit_row "8. non-streaming, 1 KB body, $CONNS conns" plain
    audit_row "9. streaming, $CHUNKS chunks, $CONNS conns" stream
}
checks_table() {
    echo "| run | requests | non-2xx | connect err | read err | write err | timeouts | verdict |"
    echo "|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${CHECKS[@]}"
}
stop_all() { # stops this phase's processes so the next phase starts from fresh ones
    local p rc
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do
        rc=0
        wait "$p" 2>/dev/null || rc=$?
        [ "$p" = "${WARDEN_PID:-}" ] && [ "$rc" -ne 0 ] &&
            log "note: warden exited with status $rc on SIGTERM: $(grep -v ' info ' "$TMP"/warden-*.log | tail -1)"
    done
    PIDS=()
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : v[NR / 2] }'; }

if [ "$ONLY" = audit ]; then
    audit_scenarios
    stop_all
    echo
    echo "Scenarios 8-9 alone (BENCH_ONLY=audit, wrk -t1 ${DURATION}s; latest.md not written):"
    echo
    audit_table
    echo
    checks_table
    [ "$FAILED" -eq 0 ] || { log "FAILED: some runs had errors (see the checks above)"; exit 1; }
    exit 0
fi

if [ "$ONLY" = guards ]; then
    guard_scenarios
    stop_all
    echo
    echo "Scenarios 5-6 alone (BENCH_ONLY=guards, wrk -t1 ${DURATION}s; latest.md not written):"
    echo
    guard_table
    echo
    checks_table
    [ "$FAILED" -eq 0 ] || { log "FAILED: some runs had errors (see the checks above)"; exit 1; }
    exit 0
fi

# ---- scenarios 1-3: one mock, one nginx, one Warden ----
log "starting mock, nginx and warden (wrk runs of ${DURATION}s, $CONNS connections)"
start_mock main --chunks "$CHUNKS"
start_nginx main "$MOCK_PORT_main"
start_warden main "$MOCK_PORT_main"
PATH_CHAT=/v1/chat/completions
URL_DIRECT="http://127.0.0.1:$MOCK_PORT_main$PATH_CHAT"
URL_NGINX="http://127.0.0.1:$NGINX_PORT$PATH_CHAT"
URL_WARDEN="http://127.0.0.1:$WARDEN_PORT$PATH_CHAT"

# Warm-up (connections, caches, allocator); not reported.
for u in "$URL_DIRECT" "$URL_NGINX" "$URL_WARDEN"; do
    BENCH_STREAM=0 $PIN_LOAD wrk -t1 -c"$CONNS" -d1s -s "$LUA" "$u" >/dev/null 2>&1 || die "warm-up against $u failed"
done

declare -A RPS CPU P50 P99
for sc in plain stream; do
    s=0
    [ $sc = stream ] && s=1
    run_wrk "$sc direct" "$URL_DIRECT" $s "$CONNS" -
    RPS[$sc,direct]=$R_RPS
    run_wrk "$sc nginx" "$URL_NGINX" $s "$CONNS" "$NGINX_PID"
    RPS[$sc,nginx]=$R_RPS CPU[$sc,nginx]=$R_CPU
    run_wrk "$sc warden" "$URL_WARDEN" $s "$CONNS" "$WARDEN_PID"
    RPS[$sc,warden]=$R_RPS CPU[$sc,warden]=$R_CPU
done

# Latency at one connection is a few hundred microseconds, so a noisy neighbour in one 5 s window
# moves it by tens of percent: run direct / nginx / warden in LAT_ROUNDS alternating rounds and
# report the median of each figure.
declare -A LAT_P50 LAT_P99 LAT_CPU
for r in $(seq 1 "$LAT_ROUNDS"); do
    for t in direct nginx warden; do
        case $t in
        direct) u=$URL_DIRECT pid=- ;;
        nginx) u=$URL_NGINX pid=$NGINX_PID ;;
        warden) u=$URL_WARDEN pid=$WARDEN_PID ;;
        esac
        run_wrk "latency $t (round $r)" "$u" 0 1 "$pid" --latency
        LAT_P50[$t]+="$R_P50 " LAT_P99[$t]+="$R_P99 " LAT_CPU[$t]+="$R_CPU "
    done
done
for t in direct nginx warden; do
    # shellcheck disable=SC2086 # word splitting of the collected figures is the point
    P50[$t]=$(median ${LAT_P50[$t]}) P99[$t]=$(median ${LAT_P99[$t]})
    [ $t != direct ] && CPU[lat,$t]=$(median ${LAT_CPU[$t]})
done

if [ "${BENCH_PERF:-0}" = 1 ]; then
    command -v perf >/dev/null || die "BENCH_PERF=1 but perf is not installed"
    mkdir -p "$RESULTS"
    perf record -g -o "$TMP/perf.data" -p "$WARDEN_PID" -- sleep "$DURATION" >"$TMP/perf.log" 2>&1 &
    perf_pid=$!
    BENCH_STREAM=0 $PIN_LOAD wrk -t1 -c"$CONNS" -d"${DURATION}s" -s "$LUA" "$URL_WARDEN" >"$TMP/wrk-perf.txt" 2>&1 || true
    wait "$perf_pid" || true
    perf report -i "$TMP/perf.data" --no-children --stdio --percent-limit 0.3 2>/dev/null |
        grep -E '^ +[0-9.]+%' | head -25 >"$RESULTS/perf-top.txt" || true
    log "perf: top symbols in $RESULTS/perf-top.txt"
fi

# Stop the scenario 1-3 processes so scenario 4 starts from fresh ones (VmHWM is a lifetime peak).
stop_all

# ---- scenario 4: SLOW_N concurrent requests, upstream 2 s ----
log "scenario 4: $SLOW_N concurrent requests, upstream ttft ${SLOW_TTFT_MS} ms"
cc -O2 -Wall -Wextra -o "$TMP/load" "$ROOT/bench/load.c" || die "could not compile bench/load.c"
printf '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"%s"}]}' "$(head -c 900 /dev/zero | tr '\0' x)" \
    >"$TMP/body.json"
start_mock slow --ttft-ms "$SLOW_TTFT_MS"
declare -A SLOW
hwm_of() { # PID -> VmHWM in kB, summed over the process and its children (nginx: master + worker)
    local hwm=0 p kb
    for p in "$1" $(pgrep -P "$1" || true); do
        kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
        hwm=$((hwm + ${kb:-0}))
    done
    echo "$hwm"
}
slow_run() { # NAME PORT PID
    local out="$TMP/load-$1.txt" line rc=0 sampler
    # Sample the peak RSS while the load runs too, so a proxy that dies right after (or is stopped
    # by someone else) still leaves its number behind.
    (while kill -0 "$3" 2>/dev/null; do
        hwm_of "$3" >"$TMP/hwm-$1.tmp" && mv "$TMP/hwm-$1.tmp" "$TMP/hwm-$1"
        sleep 0.2
    done) &
    sampler=$!
    $PIN_LOAD "$TMP/load" -p "$2" -n "$SLOW_N" -b "$TMP/body.json" -t 60 >"$out" 2>&1 || rc=$?
    line=$(grep '^LOAD ' "$out") || { cat "$out" >&2; die "load client failed ($1)"; }
    local ok fail wall hwm
    field() { sed "s/.* $1=\\([0-9]*\\).*/\\1/" <<<"$line"; }
    ok=$(field ok) fail=$(field fail) wall=$(field wall_ms)
    hwm=$(hwm_of "$3")
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    if [ "$hwm" -eq 0 ] && [ -s "$TMP/hwm-$1" ]; then
        hwm=$(cat "$TMP/hwm-$1")
        log "note: $1 exited before the end; peak RSS from the last sample"
    fi
    SLOW[$1]="$ok ok / $fail failed, $(awk -v w="$wall" 'BEGIN { printf "%.2f", w / 1000 }') s, peak RSS $((hwm / 1024)) MiB"
    [ "$rc" -eq 0 ] && [ "$fail" -eq 0 ] || FAILED=1
    CHECKS+=("| slow $1 ($SLOW_N × ${SLOW_TTFT_MS} ms, load.c) | $ok ok of $SLOW_N | $(field bad_status) | $(field connect_err) |\
 $(($(field reset) + $(field truncated))) | - | $(field timeout) | $([ "$fail" -eq 0 ] && echo ok || echo FAIL) |")
    log "slow $1: ${line#LOAD }, VmHWM $hwm kB"
}
start_warden slow "$MOCK_PORT_slow"
slow_run warden "$WARDEN_PORT" "$WARDEN_PID"
start_nginx slow "$MOCK_PORT_slow"
sleep 1 # let the mock's sockets from the Warden run close
slow_run nginx "$NGINX_PORT" "$NGINX_PID"
stop_all

# ---- scenarios 5-6 ----
guard_scenarios
stop_all

# ---- scenario 7 (optional) ----
EMB_ROW=""
if [ "${BENCH_EMBEDDINGS:-1}" = 1 ]; then
    stop_all
    log "scenario 7: split embeddings (bench/embed_split.sh)"
    EMB_ROW=$(BUILD=$BUILD "$ROOT/bench/embed_split.sh") || { FAILED=1; EMB_ROW="| 7. split embeddings | FAILED |"; }
fi

# ---- scenarios 8-9 ----
stop_all
audit_scenarios

# ---- scenario 10: the full-size batch ----
BATCH_OUT=""
if [ "${BENCH_BATCH:-1}" = 1 ]; then
    stop_all
    log "scenario 10: batch of 1,000 x 200 ms (bench/batch_bench.sh)"
    BATCH_OUT=$(BUILD=$BUILD "$ROOT/bench/batch_bench.sh" 2>&1) || { FAILED=1; BATCH_OUT="$BATCH_OUT
  FAILED"; }
fi

# ---- the table ----
mkdir -p "$RESULTS"
{
    echo "Warden benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m), $NCPU CPUs," \
        "wrk -t1 ${DURATION}s; wrk + mock on core 0, proxy on core 1"
    echo
    echo "| scenario | direct | nginx | warden | warden/nginx | CPU µs/req nginx | CPU µs/req warden |"
    echo "|---|---|---|---|---|---|---|"
    echo "| 1. non-streaming, 1 KB body, $CONNS conns (req/s) | ${RPS[plain,direct]} | ${RPS[plain,nginx]} |" \
        "${RPS[plain,warden]} | $(ratio "${RPS[plain,warden]}" "${RPS[plain,nginx]}") | ${CPU[plain,nginx]} | ${CPU[plain,warden]} |"
    echo "| 2. streaming, $CHUNKS chunks, $CONNS conns (req/s) | ${RPS[stream,direct]} | ${RPS[stream,nginx]} |" \
        "${RPS[stream,warden]} | $(ratio "${RPS[stream,warden]}" "${RPS[stream,nginx]}") | ${CPU[stream,nginx]} | ${CPU[stream,warden]} |"
    echo "| 3. latency p50, 1 conn (ms; + over direct; median of $LAT_ROUNDS rounds) | ${P50[direct]} | $(added "${P50[nginx]}" "${P50[direct]}") |" \
        "$(added "${P50[warden]}" "${P50[direct]}") | $(ratio "${P50[warden]}" "${P50[nginx]}") | ${CPU[lat,nginx]} | ${CPU[lat,warden]} |"
    echo "| 3. latency p99, 1 conn (ms; + over direct; median of $LAT_ROUNDS rounds) | ${P99[direct]} | $(added "${P99[nginx]}" "${P99[direct]}") |" \
        "$(added "${P99[warden]}" "${P99[direct]}") | $(ratio "${P99[warden]}" "${P99[nginx]}") | | |"
    echo "| 4. $SLOW_N concurrent, upstream ${SLOW_TTFT_MS} ms (ok/failed, wall, peak RSS) | - | ${SLOW[nginx]} |" \
        "${SLOW[warden]} | - | - | - |"
    echo
    echo "The price of guarding (issue 9): the same Warden with and without the quickstart's two regex guards:"
    echo
    guard_table
    echo
    if [ -n "$EMB_ROW" ]; then
        echo "Split embeddings (issue 13):"
        echo
        echo "| scenario | single | split | ratio |"
        echo "|---|---|---|---|"
        echo "$EMB_ROW"
        echo
    fi
    echo "The price of the audit log (issue 12): the same Warden with and without audit (SQLite sink):"
    echo
    audit_table
    echo
    if [ -n "$BATCH_OUT" ]; then
        echo "Batches (issue 13), scenario 10:"
        echo
        echo '```'
        echo "$BATCH_OUT"
        echo '```'
        echo
    fi
    echo "Checks (every run must have zero non-2xx/3xx and zero socket errors):"
    echo
    checks_table
} | tee "$RESULTS/latest.md"

if [ "$FAILED" -ne 0 ]; then
    log "FAILED: some runs had errors (see the checks above)"
    exit 1
fi
