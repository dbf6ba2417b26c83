#!/usr/bin/env bash
# HTTP hardening (issue 9, item 7, and the small defects beside it):
#   - request smuggling: CL+TE, TE+CL, two different Content-Lengths, "5, 6" lists, two
#     Transfer-Encodings -> 400 JSON and the connection closed, the bytes after never served,
#     on every path (API routes, small endpoints, unknown routes)
#   - bodies over server.max_body_bytes -> JSON 413 (h2o's own cap and the handler's)
#   - upstream errors relayed without any configured secret (body and headers)
#   - a fail_closed check that could not run -> 503 guardrail_unavailable, for input
#     blocking/concurrent, output and stream checks; a check that said no stays 400
#   - h2c only with server.http2: on
#   - HTTP/1 idle keep-alive connections closed after idle_timeout_ms, a started request
#     after header_timeout_ms (not the other way round)
#   - access log: "error" only on failed requests
#   - upstream requests ask for Accept-Encoding: identity (both transports)
#   - config nesting refused fast; SIGTERM with 2 workers and a drain time-out exits 0
#   - a 3 MB check API call holds the loop < 300 ms (parsed and answered on the pool; ~400 before)
# The last line is "test_hardening: N passed, M failed".
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
RAWC="python3 $HERE/raw_client.py"
SECRET_KEY="sk-hardening-provider-key-0123456789abcdef"
OTHER_KEY="sk-other-provider-key-0123456789"
CLIENT_KEY="sk-client-api-key-9876543210"

RAW_PORT=$(free_port)
python3 "$HERE/raw_upstream.py" "$RAW_PORT" 2>"$TMP/raw_upstream.log" &
PIDS+=($!)
RAW=http://127.0.0.1:$RAW_PORT
wait_port "$RAW_PORT"
start_mock
DEAD_PORT=$(free_port)

start_warden "$(cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 1, max_body_bytes: 4096, drain_timeout_ms: 2000}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
  - {name: dead, type: openai, base_url: "http://127.0.0.1:$DEAD_PORT/v1"}
models:
  - name: gpt-4o-mini
    targets: [{provider: local, model: mock-1}]
  - {name: in-blocking, targets: [{provider: local, model: mock-1}], guardrails: [wh-in-blocking]}
  - {name: in-concurrent, targets: [{provider: local, model: mock-1}], guardrails: [wh-in-concurrent]}
  - {name: out-blocking, targets: [{provider: local, model: mock-1}], guardrails: [wh-out]}
  - {name: in-timeout, targets: [{provider: local, model: mock-1}], guardrails: [wh-in-timeout]}
  - {name: said-no, targets: [{provider: local, model: mock-1}], guardrails: [rx-no]}
  - {name: stream-first, targets: [{provider: local, model: mock-1}], guardrails: [wh-stream-garbage]}
  - name: retried
    targets: [{provider: dead, model: x}]
    fallbacks: [gpt-4o-mini]
guardrails:
  - {name: wh-in-blocking, type: webhook, stage: input, timing: blocking, on_error: fail_closed, url: "http://127.0.0.1:$DEAD_PORT/g"}
  - {name: wh-in-concurrent, type: webhook, stage: input, timing: concurrent, cancel_on_failure: true, on_error: fail_closed, url: "http://127.0.0.1:$DEAD_PORT/g"}
  - {name: wh-out, type: webhook, stage: output, timing: blocking, on_error: fail_closed, url: "http://127.0.0.1:$DEAD_PORT/g"}
  - {name: wh-in-timeout, type: webhook, timeout_ms: 150, on_error: fail_closed, url: "@MOCK@/guardrail", headers: {x-mock-delay-ms: "1500"}}
  - {name: rx-no, type: regex, patterns: ["forbidden-word"]}
  - {name: wh-stream-garbage, type: webhook, stage: output, on_error: fail_closed, url: "@MOCK@/guardrail", headers: {x-mock-action: garbage}, stream: {chunk_tokens: 2, stream_first: true}}
YAML
)"
MAIN_PORT=$WARDEN_PORT
MAIN_LOG=$WARDEN_LOG
MAIN_PID=$WARDEN_PID
C="$WARDEN/v1/chat/completions"
MSG='"messages":[{"role":"user","content":"hello"}]'

# ---------------------------------------------------------------- request smuggling
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }
for path in /v1/chat/completions /healthz /v1/models /no/such/route; do
    for cs in cl_te te_cl cl_cl cl_list te_te; do
        out=$($RAWC send "$MAIN_PORT" "$cs" "$path")
        check "smuggling $cs $path: one answer, 400" eq "$(field "$out" 'd["statuses"]')" "[400]"
        check "smuggling $cs $path: OpenAI-style JSON error" eq "$(field "$out" '(d["content_type"], d["error"]["type"], "message" in d["error"], "param" in d["error"])')" "('application/json', 'invalid_request_error', True, True)"
        check "smuggling $cs $path: connection closed (the bytes after are never served)" eq "$(field "$out" 'd["closed"]')" True
    done
done
out=$($RAWC send "$MAIN_PORT" cl_te)
check "CL+TE: code ambiguous_request_framing" eq "$(field "$out" 'd["error"]["code"]')" ambiguous_request_framing
out=$($RAWC send "$MAIN_PORT" cl_list)
check "CL list: code invalid_request_framing" eq "$(field "$out" 'd["error"]["code"]')" invalid_request_framing
out=$($RAWC send "$MAIN_PORT" plain)
check "control: an unambiguous request and its pipelined follower are both served" eq "$(field "$out" 'd["statuses"]')" "[200, 200]"
out=$($RAWC send "$MAIN_PORT" cl_same)
check "control: two equal Content-Lengths are accepted" eq "$(field "$out" 'd["statuses"]')" "[200, 200]"
check "smuggling: nothing reached the upstream with a smuggled body" eq "$(curl -s "$MOCK/mock/requests?limit=256" | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin)["requests"] if r["path"].endswith("/chat/completions")))')" 2

# ---------------------------------------------------------------- bodies over max_body_bytes
for cs in cl_huge cl_over cl_over_far te_over te_huge; do
    out=$($RAWC send "$MAIN_PORT" "$cs")
    check "body over the cap ($cs): 413" eq "$(field "$out" 'd["statuses"]')" "[413]"
    check "body over the cap ($cs): JSON request_too_large" eq "$(field "$out" '(d["content_type"], d["error"]["code"], d["error"]["type"])')" "('application/json', 'request_too_large', 'invalid_request_error')"
done
out=$(curl -s -w '\n%{http_code}' -H 'content-type: application/json' --data-binary "{\"model\":\"gpt-4o-mini\",$MSG,\"pad\":\"$(head -c 3000 /dev/zero | tr '\0' a)\"}" "$C")
check "body under the cap: 200" eq "$(tail -1 <<<"$out")" 200

# ---------------------------------------------------------------- checks that could not run
st_code() { chat "{\"model\":\"$1\",$MSG${2:-}}" >/dev/null; echo "$(status) $(field "$(cat "$TMP/body")" '(d["error"]["type"], d["error"]["code"])')"; }
check "input blocking check, service down: 503 guardrail_unavailable" eq "$(st_code in-blocking)" "503 ('api_error', 'guardrail_unavailable')"
check "input concurrent check, service down: 503 guardrail_unavailable" eq "$(st_code in-concurrent)" "503 ('api_error', 'guardrail_unavailable')"
check "input check timed out: 503 guardrail_unavailable" eq "$(st_code in-timeout)" "503 ('api_error', 'guardrail_unavailable')"
check "output check, service down: 503 guardrail_unavailable" eq "$(st_code out-blocking)" "503 ('api_error', 'guardrail_unavailable')"
check "a check that ran and said no: 400 guardrail_blocked" eq "$(chat "{\"model\":\"said-no\",\"messages\":[{\"role\":\"user\",\"content\":\"a forbidden-word\"}]}" >/dev/null; echo "$(status) $(field "$(cat "$TMP/body")" 'd["error"]["code"]')")" "400 guardrail_blocked"
curl -s -N -o "$TMP/stream_out" -w '%{http_code}' -H 'content-type: application/json' \
    -d "{\"model\":\"out-blocking\",\"stream\":true,$MSG}" "$C" >"$TMP/stream_status"
check "output check on a stream, service down: guardrail_unavailable (503 or SSE error event)" \
    bash -c "grep -q '\"code\":\"guardrail_unavailable\"' '$TMP/stream_out' && { [ \$(cat '$TMP/stream_status') = 503 ] || grep -q '^data: {\"error\"' '$TMP/stream_out'; }"
check "output check on a stream: never a clean [DONE]" not_contains "$(cat "$TMP/stream_out")" "[DONE]"
curl -s -N -o "$TMP/stream_out2" -w '%{http_code}' -H 'content-type: application/json' \
    -d "{\"model\":\"stream-first\",\"stream\":true,$MSG,\"mock\":{\"chunks\":20,\"chunk_interval_ms\":20}}" "$C" >"$TMP/stream_status2"
check "stream already started (stream_first), check cannot read its service's answer: 200 then an SSE error event" \
    eq "$(cat "$TMP/stream_status2") $(grep -c '^data: {"error"' "$TMP/stream_out2")" "200 1"
check "... the SSE error event says guardrail_unavailable" contains "$(grep '^data: {"error"' "$TMP/stream_out2")" '"code":"guardrail_unavailable"'
check "... and no [DONE]" not_contains "$(cat "$TMP/stream_out2")" "[DONE]"

# ---------------------------------------------------------------- access log
key="al-$$-$RANDOM"
chat "{\"model\":\"retried\",$MSG}" -H "x-request-id: retried-$key" >/dev/null
check "request answered 200 by its fallback after a failed attempt" eq "$(status)" 200
sleep 0.2
line=$(grep "\"id\":\"retried-$key\"" "$MAIN_LOG" | head -1)
check "access log: a successful answer has no \"error\"" not_contains "$line" '"error":'
check "access log: the earlier attempt's error is kept as last_attempt_error" contains "$line" '"last_attempt_error":'
chat "{\"model\":\"in-blocking\",$MSG}" -H "x-request-id: failed-$key" >/dev/null
sleep 0.2
check "access log: a failed request has \"error\"" contains "$(grep "\"id\":\"failed-$key\"" "$MAIN_LOG" | head -1)" '"error":'

# ---------------------------------------------------------------- HTTP/2 off by default
h2=$(curl -s -o /dev/null -w '%{http_version} %{http_code}' --max-time 5 --http2-prior-knowledge "$WARDEN/healthz" 2>/dev/null)
check "h2c prior knowledge refused when server.http2 is off (got '$h2')" bash -c "[ '$h2' != '2 200' ]"
up=$(curl -s -o /dev/null -w '%{http_version} %{http_code}' --max-time 5 --http2 "$WARDEN/healthz")
check "h2c Upgrade ignored when off: answered over HTTP/1.1" eq "$up" "1.1 200"
check "warden alive after the abuse" alive

# ---------------------------------------------------------------- upstream errors scrubbed
export HARDENING_KEY=$SECRET_KEY HARDENING_OTHER_KEY=$OTHER_KEY
start_warden "$(cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 1, http2: on, idle_timeout_ms: 500, header_timeout_ms: 1500}
providers:
  - {name: raw, type: openai, base_url: "$RAW/v1", api_key_env: HARDENING_KEY, headers: {Accept-Encoding: gzip}}
  - {name: other, type: openai, base_url: "$RAW/v1", api_key_env: HARDENING_OTHER_KEY}
models:
  - {name: echo, targets: [{provider: raw, model: echo-auth-401}]}
  - {name: ok, targets: [{provider: raw, model: ok}]}
  - {name: slow, targets: [{provider: raw, model: slow-ok}]}
  - {name: other, targets: [{provider: other, model: ok}]}
api_keys:
  - {key: "$CLIENT_KEY", name: tests}
YAML
)"
AUTH=(-H "Authorization: Bearer $CLIENT_KEY")
chat '{"model":"echo","messages":[{"role":"user","content":"hi"}]}' "${AUTH[@]}" >/dev/null
check "provider 401 relayed with its status" eq "$(status)" 401
check "the upstream did echo the key (the fixture works)" contains "$(curl -s "$RAW/_stats")" "echo-auth-401"
check "relayed 401 body: no provider key" not_contains "$(cat "$TMP/body")" "$SECRET_KEY"
check "relayed 401 body: no other provider's key" not_contains "$(cat "$TMP/body")" "$OTHER_KEY"
check "relayed 401 body: no JSON-escaped key either" not_contains "$(cat "$TMP/body")" "hardening-provider-key"
check "relayed 401 body: [REDACTED] in its place" contains "$(cat "$TMP/body")" "Incorrect API key provided: Bearer [REDACTED]"
check "relayed 401 body: still JSON" eq "$(field "$(cat "$TMP/body")" 'd["error"]["code"]')" invalid_api_key
check "relayed 401 headers: no provider key" not_contains "$(cat "$TMP/headers")" "$SECRET_KEY"
check "relayed 401 headers: echo header scrubbed" eq "$(header x-echo-authorization)" "Bearer [REDACTED]"

# ---------------------------------------------------------------- Accept-Encoding: identity
chat '{"model":"ok","messages":[{"role":"user","content":"hi"}]}' "${AUTH[@]}" >/dev/null
check "raw upstream answer relayed" eq "$(status)" 200
ae=$(curl -s "$RAW/_stats" | python3 -c 'import json,sys; print(sorted({r["accept_encoding"] for c in json.load(sys.stdin)["conns"] for r in c["requests"]}))')
check "upstream requests (lean HTTP/1 client) ask for identity, even with a provider Accept-Encoding header" eq "$ae" "['identity']"

# ---------------------------------------------------------------- h2c when on
h2=$(curl -s -o /dev/null -w '%{http_version} %{http_code}' --max-time 5 --http2-prior-knowledge "$WARDEN/healthz")
check "h2c prior knowledge works with server.http2: on" eq "$h2" "2 200"

# ---------------------------------------------------------------- idle keep-alive (idle 500 ms, header 1500 ms)
IDLE_MAX=$(slow_ms 1000 1400) # under header_timeout_ms: the idle time-out, not the header one
# the 3-s request (below) and the three connections' timers run at once, each on its own
# connection (one after the other before: ~6 s of waiting)
chat '{"model":"slow","messages":[{"role":"user","content":"hi"}]}' "${AUTH[@]}" >/dev/null &
slow_pid=$!
$RAWC idle "$WARDEN_PORT" >"$TMP/raw-idle" &
idle_pid=$!
$RAWC fresh "$WARDEN_PORT" >"$TMP/raw-fresh" &
fresh_pid=$!
$RAWC trickle "$WARDEN_PORT" >"$TMP/raw-trickle" &
trickle_pid=$!
wait "$idle_pid" "$fresh_pid" "$trickle_pid"
out=$(cat "$TMP/raw-idle")
check "keep-alive: a second request 250 ms later is served on the same connection" eq "$(field "$out" 'd["second_ok"]')" True
ms=$(field "$out" 'd["closed_after_ms"]')
check "keep-alive: idle connection closed after idle_timeout_ms 500 ($ms ms <= $IDLE_MAX)" bash -c "[ '$ms' != None ] && [ $ms -ge 400 ] && [ $ms -le $IDLE_MAX ]"
ms=$(field "$(cat "$TMP/raw-fresh")" 'd["closed_after_ms"]')
check "a fresh connection that sends nothing is idle too ($ms ms <= $IDLE_MAX)" bash -c "[ '$ms' != None ] && [ $ms -ge 400 ] && [ $ms -le $IDLE_MAX ]"
ms=$(field "$(cat "$TMP/raw-trickle")" 'd["closed_after_ms"]')
check "a started request gets header_timeout_ms 1500, not idle_timeout_ms, even while bytes trickle in ($ms ms)" \
    bash -c "[ '$ms' != None ] && [ $ms -ge 1300 ] && [ $ms -le $(slow_ms 2300) ]"
wait "$slow_pid"
check "a request answered after 3 s (longer than idle_timeout_ms) is not cut" eq "$(status)" 200
check "warden alive" alive

# ---------------------------------------------------------------- curl transport asks for identity too
start_warden "$(cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 1, upstream_transport: curl}
providers:
  - {name: raw, type: openai, base_url: "$RAW/v1", api_key_env: OPENAI_API_KEY, headers: {accept-encoding: "gzip, br"}}
models:
  - {name: ok, targets: [{provider: raw, model: ok-curl}]}
YAML
)"
chat '{"model":"ok","messages":[{"role":"user","content":"hi"}]}' >/dev/null
check "curl transport: answer relayed" eq "$(status)" 200
ae=$(curl -s "$RAW/_stats" | python3 -c 'import json,sys; print([r["accept_encoding"] for c in json.load(sys.stdin)["conns"] for r in c["requests"] if r["model"] == "ok-curl"])')
check "curl transport asks for identity only" eq "$ae" "['identity']"

# ---------------------------------------------------------------- config nesting
python3 -c 'n=100000; open("'"$TMP"'/deep.yaml","w").write("server:\n  a: " + "["*n + "]"*n + "\n")'
t0=$(now_ms)
msg=$("$WARDEN_BIN" --check-config "$TMP/deep.yaml" 2>&1)
rc=$?
t=$(($(now_ms) - t0))
check "100k-deep config: refused" eq "$rc" 1
check "100k-deep config: FILE:LINE message" contains "$msg" "deep.yaml:2: values nested more than 64 levels deep"
check "100k-deep config: refused within $(slow_ms 2000) ms ($t ms)" lt "$t" "$(slow_ms 2000)"

# ---------------------------------------------------------------- SIGTERM, 2 workers, drain time-out
drain_run() {
    local port cfg pid i rc
    port=$(free_port)
    cfg="$TMP/drain-$1.yaml"
    cat >"$cfg" <<YAML
server: {listen: "127.0.0.1:$port", workers: 2, drain_timeout_ms: 150}
providers:
  - {name: raw, type: openai, base_url: "$RAW/v1"}
models:
  - {name: slow, targets: [{provider: raw, model: slow-ok}]}
  - {name: fast, targets: [{provider: raw, model: ok}], guardrails: [post-slow]}
guardrails:
  - {name: post-slow, type: webhook, stage: output, timing: async_post, url: "$MOCK/guardrail", timeout_ms: 5000, headers: {x-mock-delay-ms: "3000"}}
YAML
    "$WARDEN_BIN" --config "$cfg" >"$TMP/drain-$1.log" 2>&1 &
    pid=$!
    wait_port "$port" || return 1
    local curls=()
    # answered requests leave 3-s async_post checks pending, so the drain check cannot
    # leave early and the drain time-out's grace timer is what ends each worker's loop
    # (one curl for the 8 answered requests, one after the other, and one for the 8 slow ones,
    # all at once: 16 curl processes' start-ups took ~0.3 s a run)
    local u="http://127.0.0.1:$port/v1/chat/completions"
    curl -s --max-time 5 -H 'content-type: application/json' -d '{"model":"fast","messages":[{"role":"user","content":"hi"}]}' \
        -o /dev/null "$u" -o /dev/null "$u" -o /dev/null "$u" -o /dev/null "$u" \
        -o /dev/null "$u" -o /dev/null "$u" -o /dev/null "$u" -o /dev/null "$u"
    curl -s --no-progress-meter --parallel --parallel-immediate --max-time 10 -H 'content-type: application/json' \
        -d '{"model":"slow","messages":[{"role":"user","content":"hi"}]}' \
        -o /dev/null "$u" -o /dev/null "$u" -o /dev/null "$u" -o /dev/null "$u" \
        -o /dev/null "$u" -o /dev/null "$u" -o /dev/null "$u" -o /dev/null "$u" >/dev/null 2>&1 &
    curls+=($!)
    sleep 0.4
    local t0
    t0=$(now_ms)
    kill -TERM "$pid"
    for i in $(seq 1 80); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; wait "$pid" 2>/dev/null; echo timeout; return; fi
    wait "$pid"
    rc=$?
    echo "$rc $(($(now_ms) - t0))"
    wait "${curls[@]}" 2>/dev/null
}
for run in 1 2 3 4 5; do
    read -r rc ms <<<"$(drain_run "$run")"
    check "SIGTERM with 2 workers, requests and 3-s async_post checks in flight, drain_timeout_ms 150 (run $run): exit 0" eq "$rc" 0
    # drain time-out 150 ms + 200 ms for the error answers to go out; the old timer
    # callback crashed (free(): invalid pointer) or, depending on the struct layout,
    # never stopped the loop and waited for the checks
    # (at most 2000 ms on slow builds: the checks end ~2.5 s after the signal)
    check "  ... and the drain time-out bounds the exit ($ms ms < $(slow_ms 1500 2000))" lt "${ms:-99999}" "$(slow_ms 1500 2000)"
done
check "drain runs: no worker timer misuse (no crash report)" bash -c "! grep -lE 'AddressSanitizer|runtime error|invalid pointer' $TMP/drain-*.log"

# ---- a big check API call does not hold the loop: 3 MB of texts with 49,152 findings (the default
# body cap is 4 MB) were parsed, checked and answered on the loop, and a /healthz probe on the same
# worker waited up to ~0.4 s (plain build); on the pool, the loop only copies the body
start_mock
start_warden "$(cat <<'YAML'
server: {listen: "127.0.0.1:@PORT@", workers: 1}
guardrails_api: {enabled: true}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
guardrails:
  - {name: pii, type: pii}
models:
  - {name: m, targets: [{provider: local, model: mock-1}]}
YAML
)"
out=$(python3 - "$WARDEN_PORT" <<'PY'
import http.client, json, sys, threading, time
port = int(sys.argv[1])
body = json.dumps({"guardrail": "pii", "texts": ["ordinary words about gardening and soil, mail bob@example.com. " * 6144] * 8})
lags, stop = [], []
def probe():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while not stop:
        t = time.time()
        c.request("GET", "/healthz")
        c.getresponse().read()
        lags.append((time.time() - t) * 1000)
        time.sleep(0.001)
th = threading.Thread(target=probe)
th.start()
time.sleep(0.2)
status = []
for _ in range(2):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("POST", "/v1/guardrails/check", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    d = json.loads(r.read())
    status.append("%d:%s:%d" % (r.status, d.get("verdict"), len(d.get("findings", []))))
time.sleep(0.1)
stop.append(1)
th.join()
print(" ".join(status), int(max(lags)), len(lags))
PY
)
read -r s1 s2 worst probes <<<"$out"
check "a 3 MB check API call (x2): answered whole" eq "$s1 $s2" "200:block:49152 200:block:49152"
check "  ... while a /healthz probe on the same worker never waited $(slow_ms 300) ms (worst $worst ms of $probes probes; ~400 before)" lt "${worst:-99999}" "$(slow_ms 300)"
stop_all

finish
