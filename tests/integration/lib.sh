# Shared helpers for integration tests: start the real binaries on 127.0.0.1,
# drive them with curl, count results. Source it from a test_*.sh file.
#
#   start_mock [flags...]        -> $MOCK_PORT, $MOCK (base URL)
#   start_warden CONFIG_TEXT     -> $WARDEN_PORT, $WARDEN (base URL); CONFIG_TEXT may use
#                                   @MOCK@ (mock base URL) and @PORT@ (warden's port)
#   check NAME CONDITION...      -> runs the condition (a command); counts pass/fail
#   finish                       -> prints "N passed, M failed" and exits accordingly
#   slow_ms N [CAP]              -> an upper wall-clock bound, wider on slow builds (slow.sh)
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
source "$(dirname "${BASH_SOURCE[0]}")/slow.sh" # SLOW, slow_ms: upper time bounds on slow builds
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
WARDEN_BIN="$BUILD/warden"
MOCK_BIN="$BUILD/warden-mock"
TMP=$(mktemp -d /tmp/warden-it.XXXXXX)
PASS=0
FAIL=0
PIDS=()

source "$(dirname "${BASH_SOURCE[0]}")/python3.sh"
use_real_python3 "$TMP/bin"
TEST_NAME=$(basename "$0" .sh)

cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_port() { # port [timeout_s: 30, a bound for a hang only: an ASan start-up in make test's idle lane may stall]
    local i
    for i in $(seq 1 $((${2:-30} * 20))); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "port $1 did not open" >&2
    return 1
}

start_mock() {
    MOCK_PORT=$(free_port)
    "$MOCK_BIN" --listen "127.0.0.1:$MOCK_PORT" --quiet "$@" >"$TMP/mock.log" 2>&1 &
    PIDS+=($!)
    MOCK_PID=$!
    MOCK="http://127.0.0.1:$MOCK_PORT"
    wait_port "$MOCK_PORT"
}

# start_raw: raw_upstream.py (scripted answers) on a free port -> $RAW_PORT, $RAW (base URL)
start_raw() {
    RAW_PORT=$(free_port)
    python3 "$ROOT/tests/integration/raw_upstream.py" "$RAW_PORT" 2>"$TMP/raw_upstream.log" &
    PIDS+=($!)
    RAW=http://127.0.0.1:$RAW_PORT
    wait_port "$RAW_PORT"
}

# start_warden CONFIG [VAR=value...]: writes the config and starts warden on a free port, with
# those variables in its environment (LD_PRELOAD=..., say) and no other process's.
start_warden() {
    WARDEN_PORT=$(free_port)
    local cfg="$TMP/warden-$WARDEN_PORT.yaml"
    printf '%s\n' "$1" | sed -e "s#@MOCK@#${MOCK:-http://127.0.0.1:1}#g" -e "s#@PORT@#$WARDEN_PORT#g" >"$cfg"
    shift
    local a envs=()
    for a in "$@"; do case $a in [A-Za-z_]*=*) envs+=("$a") ;; esac; done
    WARDEN_LOG="$TMP/warden-$WARDEN_PORT.log"
    # WARDEN_WRAPPER (e.g. "valgrind --log-file=...") runs warden under a tool
    env OPENAI_API_KEY="${OPENAI_API_KEY:-sk-test-key}" "${envs[@]}" ${WARDEN_WRAPPER:-} "$WARDEN_BIN" --config "$cfg" >"$WARDEN_LOG" 2>&1 &
    PIDS+=($!)
    WARDEN_PID=$!
    WARDEN="http://127.0.0.1:$WARDEN_PORT"
    wait_port "$WARDEN_PORT" || { cat "$WARDEN_LOG" >&2; return 1; }
}

# fault_shim: builds tests/fault/uvfault.c (libuv calls that fail on demand, its WARDEN_FAULT_*
# variables) into $SHIM, for start_warden CONFIG LD_PRELOAD="$SHIM" WARDEN_FAULT_...=N
# ASAN_OPTIONS="$FAULT_ASAN" (an ASan warden checks that its runtime comes first among the
# libraries; the shim is preloaded before it)
fault_shim() {
    SHIM="$TMP/libuvfault.so"
    FAULT_ASAN="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
    cc -O2 -fPIC -shared $(pkg-config --cflags libuv) "$ROOT/tests/fault/uvfault.c" -o "$SHIM" -ldl -lpthread ||
        { echo "$TEST_NAME: cannot build tests/fault/uvfault.c"; echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }
}

# fault_config WORKERS GUARDRAILS MODELS: the fault tests' config: the mock as the provider, the
# admin API ($WARDEN_ADMIN_TOKEN) over an SQLite audit store, the check API, and these guardrails
# and models (YAML list lines)
fault_config() {
    cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: $1, drain_timeout_ms: 2000, max_body_bytes: 16777216}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
admin: {token_env: WARDEN_ADMIN_TOKEN}
audit: {sink: sqlite, path: "$TMP/audit-@PORT@.db"}
guardrails_api: {enabled: true}
guardrails:
$2
models:
$3
YAML
}

# The usual single-model config against the mock; extra YAML for the model can be appended.
basic_config() {
    cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: ${WORKERS:-1}, drain_timeout_ms: 3000}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
models:
  - name: gpt-4o-mini
    targets: [{provider: local, model: mock-1}]
${1:-}
YAML
}

# model NAME GUARDS...: one line of a models: list, a model on the mock with these guardrails
model() {
    local name=$1
    shift
    local list
    list=$(printf '%s, ' "$@")
    printf '  - {name: %s, targets: [{provider: local, model: mock-1}], guardrails: [%s]}\n' "$name" "${list%, }"
}

check() { # name command...
    local name=$1
    shift
    if "$@"; then
        PASS=$((PASS + 1))
        echo "  ok   $TEST_NAME: $name"
    else
        FAIL=$((FAIL + 1))
        echo "  FAIL $TEST_NAME: $name"
    fi
}

# Helpers for conditions
eq() { [ "$1" = "$2" ] || { echo "    expected [$2], got [$1]" >&2; return 1; }; }
contains() { case "$1" in *"$2"*) return 0 ;; esac; echo "    [$(printf '%s' "$1" | head -c 300)] does not contain [$2]" >&2; return 1; }
not_contains() { case "$1" in *"$2"*) echo "    unexpected [$2] in [$(printf '%s' "$1" | head -c 300)]" >&2; return 1 ;; esac; return 0; }
lt() { [ "$1" -lt "$2" ] || { echo "    expected $1 < $2" >&2; return 1; }; }
ge() { [ "$1" -ge "$2" ] || { echo "    expected $1 >= $2" >&2; return 1; }; }
alive() { kill -0 "$WARDEN_PID" 2>/dev/null || { echo "    warden died; log:" >&2; tail -20 "$WARDEN_LOG" >&2; return 1; }; }

# jq-free JSON field extraction with python (the harness already needs python3 for ports)
json_get() { # json path (python expression on d)
    python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(eval(sys.argv[1]))' "$1" 2>/dev/null
}

# Concatenates choices[0].delta.content of an SSE stream on stdin.
sse_text() {
    python3 -c '
import json, sys
out = []
for line in sys.stdin.read().splitlines():
    if line.startswith("data: ") and line[6:].strip() != "[DONE]":
        try:
            ev = json.loads(line[6:])
            c = ev.get("choices", [{}])[0].get("delta", {}).get("content")
            if c: out.append(c)
        except Exception:
            pass
print("".join(out))'
}

# mock_eval KIND EXPR: EXPR (python, on `rs`) over the mock's records of the request whose
# x-request-id is $RID. KIND chat = upstream chat calls, guard = webhook calls; b(r) = body text.
mock_eval() {
    curl -s "$MOCK/mock/requests?limit=256" | python3 -c '
import json, sys
kind, rid, expr = sys.argv[1:4]
def mine(r):
    if kind == "chat":
        return r["path"].endswith("/chat/completions") and r["headers"].get("x-request-id") == rid
    try:
        return r["path"] == "/guardrail" and json.loads(r["body"]).get("litellm_trace_id") == rid
    except Exception:
        return False
rs = [r for r in json.load(sys.stdin)["requests"] if mine(r)]
b = lambda r: r["body"]
print(eval(expr))' "$1" "$RID" "$2"
}

# sqlite_lock DB SECONDS: another process holds DB's write lock (BEGIN EXCLUSIVE) for SECONDS,
# in the background; its pid in $LOCK_PID. Every commit of the audit writer fails (busy) meanwhile.
sqlite_lock() {
    python3 - "$1" "$2" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)
c.execute("BEGIN EXCLUSIVE")
time.sleep(float(sys.argv[2]))
c.execute("ROLLBACK")
PY
    LOCK_PID=$!
}

# curl wrappers: chat BODY [curl args...] -> prints body; status in $TMP/status
chat() {
    local body=$1
    shift
    curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -H 'Content-Type: application/json' \
        --max-time "${CURL_MAX_TIME:-20}" "$@" -d "$body" "$WARDEN/v1/chat/completions" >"$TMP/status"
    cat "$TMP/body"
}
status() { cat "$TMP/status"; }
# mock_records EXPR: prints EXPR evaluated over the mock's last 256 records (rs); b(r) is a
# record's body parsed, rid(r) its x-request-id
mock_records() {
    curl -s "$MOCK/mock/requests?limit=256" | python3 -c '
import json, sys
rs = json.load(sys.stdin)["requests"]
b = lambda r: json.loads(r["body"])
rid = lambda r: r["headers"].get("x-request-id", "")
print(eval(sys.argv[1]))' "$1"
}
# config_rejected NAME YAML-TAIL EXPECTED: --check-config on a config of one provider (p) and one
# model (m) plus YAML-TAIL must exit 1 with EXPECTED in its output (the file is $TMP/bad-NAME.yaml)
config_rejected() {
    local f="$TMP/bad-$1.yaml" o rc
    printf '%s\n' "server: {listen: \"127.0.0.1:1\"}" "providers: [{name: p, type: openai, base_url: \"http://127.0.0.1:1/v1\"}]" \
        "models: [{name: m, targets: [{provider: p, model: x}]}]" "$2" >"$f"
    o=$("$WARDEN_BIN" --check-config "$f" 2>&1)
    rc=$?
    [ $rc -eq 1 ] || { echo "    exit $rc: $o" >&2; return 1; }
    contains "$o" "$3"
}
header() { grep -i "^$1:" "$TMP/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
now_ms() { date +%s%3N; }

# Stops every started process gracefully (SIGTERM: Warden drains, and sanitizer builds
# print their leak reports at exit), then fails the test on any sanitizer report.
stop_all() {
    local p i
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for i in $(seq 1 100); do
        local alive=0
        for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ $alive -eq 0 ] && break
        sleep 0.1
    done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    PIDS=()
}

sanitizer_clean() {
    local f bad=0
    for f in "$TMP"/*.log; do
        [ -f "$f" ] || continue
        if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$f"; then
            echo "    sanitizer report in $(basename "$f"):" >&2
            grep -E -A12 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$f" | head -40 >&2
            bad=1
        fi
    done
    [ $bad -eq 0 ]
}

finish() {
    stop_all
    check "no sanitizer reports" sanitizer_clean
    echo "$TEST_NAME: $PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
}
