#!/usr/bin/env bash
# Shutdown (issue 10, item 5): the drain time-out bounds everything.
#   SIGTERM with 5 requests in flight on a 5-s upstream and 5 pending 3-s async_post checks,
#   drain_timeout_ms 300: exit status 0 within about 0.5 s (asserted < 1.0 s), 3 runs; the
#   requests in flight get a 503 shutting_down, the pending checks are cancelled and each
#   cancellation is logged; /metrics shows the pending checks and the cancellation counter.
#   A request half sent at SIGTERM is waited for and answered 503 shutting_down with
#   Connection: close (it was dropped unanswered before); one never finished is cut by
#   header_timeout_ms within the drain.
#   Start-up: the port opens only once the workers can answer (the first connection is answered
#   at once, not after the models load).
#   Run it on the ASan build too (BUILD=build/asan): no sanitizer report.
# The last line is "test_shutdown: N passed, M failed".
source "$(dirname "$0")/lib.sh"
start_mock

shutdown_run() { # run -> "rc ms"
    local port cfg pid i rc t0 run=$1
    port=$(free_port)
    cfg="$TMP/shutdown-$run.yaml"
    cat >"$cfg" <<YAML
server: {listen: "127.0.0.1:$port", workers: 2, drain_timeout_ms: 300}
providers:
  - {name: local, type: openai, base_url: "$MOCK/v1"}
models:
  - {name: slow, targets: [{provider: local, model: mock-1}]}
  - {name: fast, targets: [{provider: local, model: mock-1}], guardrails: [post-slow]}
guardrails:
  - {name: post-slow, type: webhook, stage: output, timing: async_post, url: "$MOCK/guardrail", timeout_ms: 10000, headers: {x-mock-delay-ms: "3000"}}
audit: {sink: sqlite, path: "$TMP/shutdown-$run.db", journal: "$TMP/shutdown-$run.journal"}
YAML
    "$WARDEN_BIN" --config "$cfg" >"$TMP/shutdown-$run.log" 2>&1 &
    pid=$!
    wait_port "$port" || { echo "nostart"; return; }
    # 5 answered requests, each leaving a 3-s async_post check behind
    for i in 1 2 3 4 5; do
        curl -s -o /dev/null -m 5 -H 'content-type: application/json' \
            -d '{"model":"fast","messages":[{"role":"user","content":"hi"}]}' "http://127.0.0.1:$port/v1/chat/completions"
    done
    # 5 requests on a 5-s upstream, still waiting when SIGTERM arrives
    local curls=()
    for i in 1 2 3 4 5; do
        curl -s -o "$TMP/shutdown-$run-body-$i" -w '%{http_code}' -m 10 -H 'content-type: application/json' \
            -d '{"model":"slow","messages":[{"role":"user","content":"hi"}],"mock":{"ttft_ms":5000}}' \
            "http://127.0.0.1:$port/v1/chat/completions" >"$TMP/shutdown-$run-code-$i" 2>/dev/null &
        curls+=($!)
    done
    sleep 0.3
    curl -s -m 2 "http://127.0.0.1:$port/metrics" >"$TMP/shutdown-$run.metrics"
    t0=$(now_ms)
    kill -TERM "$pid"
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
    if kill -0 "$pid" 2>/dev/null; then
        # still alive after 1 s: wait for it (bounded) to see what it does, then fail
        for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid"
    rc=$?
    echo "$rc $(($(now_ms) - t0))"
    wait "${curls[@]}" 2>/dev/null
}

metric() { # file name -> value
    awk -v n="$2" '$1 == n {print $2}' "$1"
}

for run in 1 2 3; do
    read -r rc ms <<<"$(shutdown_run "$run")"
    check "run $run: SIGTERM with 5 requests in flight and 5 pending async_post checks: exit 0" eq "$rc" 0
    # at most 2500 ms on slow builds: the checks and the upstream end ~2.7 s after the signal
    check "run $run: the drain time-out (300 ms) bounds the exit ($ms ms < $(slow_ms 1000 2500))" lt "${ms:-99999}" "$(slow_ms 1000 2500)"
    check "run $run: before SIGTERM, 5 async_post checks pending" eq "$(metric "$TMP/shutdown-$run.metrics" warden_async_post_pending)" 5
    check "run $run: before SIGTERM, the cancellation counter is exported (0)" \
        eq "$(metric "$TMP/shutdown-$run.metrics" warden_guard_async_cancelled_total)" 0
    check "run $run: before SIGTERM, 5 requests in flight" eq "$(metric "$TMP/shutdown-$run.metrics" warden_inflight_requests)" 5
    check "run $run: each pending async_post check cancelled and logged (5)" \
        eq "$(grep -c 'async_post post-slow cancelled: shutting down' "$TMP/shutdown-$run.log")" 5
    codes=$(for f in "$TMP"/shutdown-$run-code-*; do cat "$f"; echo; done | sort | uniq -c | tr -s ' ')
    check "run $run: the 5 requests in flight answered 503" eq "$codes" " 5 503"
    check "run $run: ... with code shutting_down" contains "$(cat "$TMP/shutdown-$run-body-1")" '"code":"shutting_down"'
    # the audit: every request has its record, the answered ones with their cancelled async_post check
    check "run $run: 10 audit records (5 answered, 5 refused)" eq "$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from audit_log").fetchone()[0])' "$TMP/shutdown-$run.db")" 10
    check "run $run: ... the 5 answered say their async_post check was cancelled" eq "$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from audit_log where status = 200 and guardrails like ?", ("%post-slow=cancelled(output,async_post,%",)).fetchone()[0])' "$TMP/shutdown-$run.db")" 5
done
# A request half sent when SIGTERM arrives (its head and half its body): the drain waits for the rest
# and answers it 503 shutting_down with Connection: close, instead of closing the connection under
# it. A client that never sends the rest is cut by header_timeout_ms (200 here), within the drain.
half_sent() { # finish 1|0 -> "status-line|connection-header|code rc exit-ms"
    local port cfg pid out
    port=$(free_port)
    cfg="$TMP/half-$1.yaml"
    cat >"$cfg" <<YAML
server: {listen: "127.0.0.1:$port", workers: 1, drain_timeout_ms: 2000, header_timeout_ms: 200}
providers:
  - {name: local, type: openai, base_url: "$MOCK/v1"}
models:
  - {name: m, targets: [{provider: local, model: mock-1}]}
YAML
    "$WARDEN_BIN" --config "$cfg" >"$TMP/half-$1.log" 2>&1 &
    pid=$!
    wait_port "$port" || { echo "nostart"; return; }
    out=$(python3 - "$port" "$pid" "$1" <<'PY'
import json, os, signal, socket, sys, time
port, pid, finish = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "x" * 100000}]}).encode()
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
s.sendall(body[:50000])
time.sleep(0.1)
t0 = time.time()
os.kill(pid, signal.SIGTERM)
time.sleep(0.05)
data = b""
try:
    if finish:
        s.sendall(body[50000:])
    s.settimeout(5)
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
except Exception as e:
    data += b"|" + type(e).__name__.encode()
head, _, rest = data.partition(b"\r\n\r\n")
lines = head.decode("latin-1").split("\r\n")
conn = [l.split(":", 1)[1].strip().lower() for l in lines[1:] if l.lower().startswith("connection:")]
try:
    code = json.loads(rest)["error"]["code"]
except Exception:
    code = "-"
print("%s|%s|%s" % (lines[0].replace(" ", "_") or "closed", conn[0] if conn else "-", code))
PY
)
    wait "$pid"
    echo "$out $?"
}
read -r line rc <<<"$(half_sent 1)"
check "half-sent request at SIGTERM, then the rest: 503 shutting_down, Connection: close" eq "$line" "HTTP/1.1_503_Error|close|shutting_down"
check "half-sent request at SIGTERM, then the rest: exit 0" eq "$rc" 0
t0=$(now_ms)
read -r line rc <<<"$(half_sent 0)"
ms=$(($(now_ms) - t0))
check "half-sent request at SIGTERM, the rest never sent: the connection is closed (header_timeout_ms)" eq "$line" "closed|-|-"
# 2000 is the drain time-out itself, on every build (not slow_ms): past it, the drain time-out ended
# the connection, not header_timeout_ms
check "half-sent request at SIGTERM, the rest never sent: exit 0 within the drain ($ms ms < 2000)" eq "$rc $((ms < 2000))" "0 1"

# ---- start-up: the port opens when the workers can answer, not before the models load. It used
# to listen from the first moment: a client that connected then waited ~0.5 s (the checks' patterns
# compiling, the injection model loading) for its answer.
startup_run() { # -> "ms from the first accepted connection to the /healthz answer"
    local port=$(free_port)
    cat >"$TMP/startup.yaml" <<YAML
server: {listen: "127.0.0.1:$port", workers: 2}
providers:
  - {name: local, type: openai, base_url: "$MOCK/v1"}
guardrails:
  - {name: pii, type: pii}
  - {name: secrets, type: secrets}
  - {name: inj, type: prompt_injection}
models:
  - {name: m, targets: [{provider: local, model: mock-1}], guardrails: [pii, secrets, inj]}
YAML
    "$WARDEN_BIN" --config "$TMP/startup.yaml" >"$TMP/startup.log" 2>&1 &
    local pid=$!
    python3 - "$port" <<'PY'
import socket, sys, time
port, t_end = int(sys.argv[1]), time.time() + 60
while True:
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", port))
        break
    except OSError:
        s.close()
        if time.time() > t_end:
            sys.exit("never opened")
        time.sleep(0.001)
t0 = time.time()
s.settimeout(30)
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
head = s.recv(64)
print("%d %s" % ((time.time() - t0) * 1000, head[:12].decode(errors="replace").replace(" ", "_")))
PY
    kill -TERM "$pid"
    wait "$pid"
}
read -r ms head <<<"$(startup_run)"
check "start-up: the first connection accepted is answered at once (200 in $ms ms < $(slow_ms 150); ~500 before)" eq "$head $((ms < $(slow_ms 150)))" "HTTP/1.1_200 1"
finish
