#!/usr/bin/env bash
# Black-box tests for build/warden-mock: starts it on a free loopback port and drives it with curl
# (and a little python3 for raw sockets: pipelining, malformed requests, precise close timing).
# The last line is "N passed, M failed"; the exit status is non-zero when anything failed.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
source tests/integration/slow.sh # slow_ms: upper time bounds (wider on the ASan build)
MOCK=${MOCK:-$BUILD/warden-mock}
[ -x "$MOCK" ] || { echo "test_mock: $MOCK not built (make $BUILD/warden-mock)"; echo "0 passed, 1 failed"; exit 1; }

pass=0; fail=0
PIDS=()
TMP=$(mktemp -d)
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "ok   - $1"; }
nok() { fail=$((fail + 1)); echo "FAIL - $1${2:+: $2}"; }
check() { # check NAME EXPECTED ACTUAL
    if [ "$2" == "$3" ]; then ok "$1"; else nok "$1" "expected [$2], got [$3]"; fi
}
check_true() { # check_true NAME COMMAND...
    local name=$1; shift
    if "$@"; then ok "$name"; else nok "$name"; fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_mock VAR ARGS...: starts a mock on a free port, stores its base URL in VAR
start_mock() {
    local var=$1; shift
    local port pid i
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        "$MOCK" --listen "127.0.0.1:$port" --quiet "$@" 2>>"$TMP/mock.log" &
        pid=$!
        for i in $(seq 1 50); do
            if curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
                PIDS+=("$pid")
                printf -v "$var" 'http://127.0.0.1:%s' "$port"
                return 0
            fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    done
    echo "test_mock: could not start $MOCK"; cat "$TMP/mock.log"
    echo "0 passed, 1 failed"; exit 1
}

start_mock B
PORT=${B##*:}
CHAT=$B/v1/chat/completions
MSG='"messages":[{"role":"user","content":"Hello, mock! 12345678"}]'
last_record() { curl -s "$B/mock/requests?limit=1" | jq -c '.requests[-1]'; }

# ---------------------------------------------------------------- chat, non-streaming
out=$(curl -s -D "$TMP/h" "$CHAT" -H 'content-type: application/json' -d "{\"model\":\"gpt-x\",$MSG}")
check "chat: status 200" "200" "$(head -1 "$TMP/h" | cut -d' ' -f2)"
check "chat: content-type json" "application/json" "$(grep -i '^content-type' "$TMP/h" | tr -d '\r' | cut -d' ' -f2)"
check "chat: id prefix" "chatcmpl-mock-" "$(jq -r '.id[0:14]' <<<"$out")"
check "chat: object" "chat.completion" "$(jq -r .object <<<"$out")"
check "chat: model echoed" "gpt-x" "$(jq -r .model <<<"$out")"
check "chat: default content" "Hello from warden-mock." "$(jq -r '.choices[0].message.content' <<<"$out")"
check "chat: role" "assistant" "$(jq -r '.choices[0].message.role' <<<"$out")"
check "chat: finish_reason" "stop" "$(jq -r '.choices[0].finish_reason' <<<"$out")"
check "chat: prompt tokens = chars/4" "6" "$(jq -r '.usage.prompt_tokens' <<<"$out")"
check "chat: usage total" "true" "$(jq '.usage.total_tokens == .usage.prompt_tokens + .usage.completion_tokens' <<<"$out")"
check_true "chat: created is a number" jq -e '.created | type == "number"' <<<"$out" >/dev/null

out=$(curl -s "$CHAT" -H 'x-mock-content: from header' -d "{\"model\":\"m\",$MSG,\"mock\":{\"content\":\"from body\"}}")
check "knobs: body wins over header" "from body" "$(jq -r '.choices[0].message.content' <<<"$out")"
out=$(curl -s "$CHAT" -H 'x-mock-content: from header' -d "{\"model\":\"m\",$MSG}")
check "knobs: header knob" "from header" "$(jq -r '.choices[0].message.content' <<<"$out")"
out=$(curl -s -o /dev/null -w '%{http_code}' "$CHAT" -H 'x-mock-ttft-ms: soon' -d "{\"model\":\"m\",$MSG}")
check "knobs: bad knob value is a 400" "400" "$out"

# ---------------------------------------------------------------- chat, streaming
curl -s -N -D "$TMP/h" "$CHAT" -d "{\"model\":\"s\",\"stream\":true,$MSG}" >"$TMP/s"
check "stream: chunked transfer" "chunked" "$(grep -i '^transfer-encoding' "$TMP/h" | tr -d '\r' | cut -d' ' -f2)"
check "stream: event-stream" "text/event-stream" "$(grep -i '^content-type' "$TMP/h" | tr -d '\r' | cut -d' ' -f2)"
check "stream: 5 chunks + finish + [DONE]" "7" "$(grep -c '^data: ' "$TMP/s")"
check "stream: last is [DONE]" "data: [DONE]" "$(grep '^data: ' "$TMP/s" | tail -1)"
grep '^data: {' "$TMP/s" | sed 's/^data: //' >"$TMP/s.json"
check "stream: content reassembles" "Hello from warden-mock." "$(jq -jr '.choices[0].delta.content // empty' "$TMP/s.json")"
check "stream: first chunk has role" "assistant" "$(head -1 "$TMP/s.json" | jq -r '.choices[0].delta.role')"
check "stream: finish_reason stop" "stop" "$(tail -1 "$TMP/s.json" | jq -r '.choices[0].finish_reason')"
check "stream: object" "chat.completion.chunk" "$(head -1 "$TMP/s.json" | jq -r .object)"

curl -s -N "$CHAT" -H 'x-mock-chunks: 3' -d "{\"model\":\"s\",\"stream\":true,\"stream_options\":{\"include_usage\":true},$MSG}" >"$TMP/s"
check "stream: chunks knob + usage chunk" "6" "$(grep -c '^data: ' "$TMP/s")"
usage=$(grep '^data: {' "$TMP/s" | tail -1 | sed 's/^data: //')
check "stream: usage chunk has empty choices" "0" "$(jq '.choices | length' <<<"$usage")"
check "stream: usage chunk totals" "true" "$(jq '.usage.total_tokens == .usage.prompt_tokens + .usage.completion_tokens' <<<"$usage")"

t=$(curl -s -N -o "$TMP/s" -w '%{time_total}' "$CHAT" -d "{\"model\":\"s\",\"stream\":true,$MSG,\"mock\":{\"chunks\":4,\"chunk_interval_ms\":100,\"ttft_ms\":100}}")
check_true "stream: ttft + 4 intervals take >= 0.45 s ($t)" awk "BEGIN{exit !($t >= 0.44 && $t < $(slow_ms 2000) / 1000)}"
t=$(curl -s -o /dev/null -w '%{time_starttransfer}' "$CHAT" -H 'x-mock-ttft-ms: 300' -d "{\"model\":\"m\",$MSG}")
check_true "ttft: first byte after >= 0.3 s ($t)" awk "BEGIN{exit !($t >= 0.29 && $t < $(slow_ms 2000) / 1000)}"

# ---------------------------------------------------------------- tool calls
TOOLS='"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]'
out=$(curl -s "$CHAT" -d "{\"model\":\"m\",$MSG,$TOOLS,\"mock\":{\"tool_call\":{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Oslo\"}}}}")
check "tools: tool_calls name" "get_weather" "$(jq -r '.choices[0].message.tool_calls[0].function.name' <<<"$out")"
check "tools: arguments is a JSON string" "Oslo" "$(jq -r '.choices[0].message.tool_calls[0].function.arguments | fromjson | .city' <<<"$out")"
check "tools: finish_reason" "tool_calls" "$(jq -r '.choices[0].finish_reason' <<<"$out")"
out=$(curl -s "$CHAT" -d "{\"model\":\"m\",$MSG,\"mock\":{\"tool_call\":{\"name\":\"f\"}}}")
check "tools: knob ignored without tools" "Hello from warden-mock." "$(jq -r '.choices[0].message.content' <<<"$out")"
curl -s -N "$CHAT" -d "{\"model\":\"m\",\"stream\":true,$MSG,$TOOLS,\"mock\":{\"tool_call\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Rome\\\"}\"}}}" |
    grep '^data: {' | sed 's/^data: //' >"$TMP/s.json"
check "tools: streamed arguments reassemble" '{"city":"Rome"}' "$(jq -jr '.choices[0].delta.tool_calls[0].function.arguments // empty' "$TMP/s.json")"

# ---------------------------------------------------------------- embeddings, models
out=$(curl -s "$B/v1/embeddings" -d '{"model":"emb","input":["alpha","beta"]}')
check "embeddings: two vectors" "2" "$(jq '.data | length' <<<"$out")"
check "embeddings: default dims 8" "8" "$(jq '.data[0].embedding | length' <<<"$out")"
check "embeddings: model echoed" "emb" "$(jq -r .model <<<"$out")"
check_true "embeddings: usage" jq -e '.usage.prompt_tokens >= 1' <<<"$out" >/dev/null
out2=$(curl -s "$B/v1/embeddings" -d '{"model":"emb","input":"alpha"}')
check "embeddings: deterministic" "$(jq -c '.data[0].embedding' <<<"$out")" "$(jq -c '.data[0].embedding' <<<"$out2")"
check "embeddings: dims knob" "4" "$(curl -s "$B/v1/embeddings" -H 'x-mock-dims: 4' -d '{"input":"x"}' | jq '.data[0].embedding | length')"
check "embeddings: missing input is 400" "400" "$(curl -s -o /dev/null -w '%{http_code}' "$B/v1/embeddings" -d '{"model":"e"}')"
out=$(curl -s "$B/v1/models")
check "models: list" "list" "$(jq -r .object <<<"$out")"
check_true "models: has mock-model" jq -e '[.data[].id] | index("mock-model") != null' <<<"$out" >/dev/null

# ---------------------------------------------------------------- forced failures
curl -s -D "$TMP/h" -o "$TMP/b" "$CHAT" -H 'x-mock-status: 429' -H 'x-mock-retry-after: 3' -d "{\"model\":\"m\",$MSG}"
check "status: 429" "429" "$(head -1 "$TMP/h" | cut -d' ' -f2)"
check "status: Retry-After verbatim" "3" "$(grep -i '^retry-after' "$TMP/h" | tr -d '\r' | cut -d' ' -f2)"
check "status: OpenAI error body" "rate_limit_exceeded" "$(jq -r .error.code "$TMP/b")"
check_true "status: error has message/type/param" jq -e '.error | has("message") and has("type") and has("param")' "$TMP/b" >/dev/null
check "status: 500 via body knob" "500" "$(curl -s -o /dev/null -w '%{http_code}' "$CHAT" -d "{\"model\":\"m\",$MSG,\"mock\":{\"status\":500}}")"

codes=""
for i in 1 2 3 4; do
    codes+="$(curl -s -o /dev/null -w '%{http_code}' "$CHAT" -H 'x-mock-fail-first: 2' -H 'x-mock-key: ff-1' -d "{\"model\":\"m\",$MSG}") "
done
check "fail_first: 500 500 200 200" "500 500 200 200 " "$codes"
codes=""
for i in 1 2; do
    codes+="$(curl -s -o /dev/null -w '%{http_code}' "$CHAT" -d "{\"model\":\"m\",$MSG,\"mock\":{\"fail_first\":1,\"status\":503,\"key\":\"ff-2\"}}") "
done
check "fail_first: status knob, own key" "503 200 " "$codes"
check "fail_rate: 1 always fails" "500" "$(curl -s -o /dev/null -w '%{http_code}' "$CHAT" -H 'x-mock-fail-rate: 1' -d "{\"model\":\"m\",$MSG}")"
check "fail_rate: 0 never fails" "200" "$(curl -s -o /dev/null -w '%{http_code}' "$CHAT" -H 'x-mock-fail-rate: 0' -d "{\"model\":\"m\",$MSG}")"

seq_out=""
for i in 1 2 3; do
    seq_out+="$(curl -s "$CHAT" -d "{\"model\":\"m\",$MSG,\"mock\":{\"key\":\"re-ask\",\"contents\":[\"one\",\"two\"]}}" | jq -r '.choices[0].message.content') "
done
check "contents: sequence per key" "one two two " "$seq_out"
check "contents: header form" "x" "$(curl -s "$CHAT" -H 'x-mock-contents: ["x","y"]' -H 'x-mock-key: hk' -d "{\"model\":\"m\",$MSG}" | jq -r '.choices[0].message.content')"

# ---------------------------------------------------------------- client closes
t0=$(curl -s "$B/mock/now" | jq .now_ms)
curl -s -m 1 "$CHAT" -H 'x-mock-stall: 1' -H 'x-request-id: stall-1' -d "{\"model\":\"m\",$MSG}" >/dev/null
rc=$?
t1=$(curl -s "$B/mock/now" | jq .now_ms)
check "stall: client timed out (curl 28)" "28" "$rc"
rec=$(last_record)
check "stall: outcome client_closed" "client_closed" "$(jq -r .outcome <<<"$rec")"
check "stall: x-request-id recorded" "stall-1" "$(jq -r '.headers["x-request-id"]' <<<"$rec")"
closed=$(jq .closed_ms <<<"$rec"); started=$(jq .started_ms <<<"$rec")
check_true "stall: closed_ms - started_ms ~ 1000 ms ($((closed - started)))" test $((closed - started)) -ge 950 -a $((closed - started)) -le "$(slow_ms 1500)"
check_true "stall: closed_ms between client start and after close ($t0 <= $closed <= $t1)" test "$closed" -ge "$t0" -a "$closed" -le "$t1"

# precise: a raw socket closed at a known monotonic time
cat >"$TMP/close.py" <<'EOF'
import json, socket, sys, time, urllib.request
base, port = sys.argv[1], int(sys.argv[2])
now = lambda: json.load(urllib.request.urlopen(base + "/mock/now"))["now_ms"]
s = socket.create_connection(("127.0.0.1", port))
body = b'{"model":"m","messages":[],"mock":{"ttft_ms":5000}}'
s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
time.sleep(0.3)
before = now()
s.close()
time.sleep(0.1)
rec = json.load(urllib.request.urlopen(base + "/mock/requests?limit=1"))["requests"][-1]
print(rec["outcome"], rec["closed_ms"] - before, rec["finished_ms"] is not None)
EOF
read -r outcome delta finished < <(python3 "$TMP/close.py" "$B" "$PORT")
check "ttft wait: client close recorded" "client_closed" "$outcome"
check_true "ttft wait: closed_ms within $(slow_ms 50) ms of the client's close (${delta} ms)" test "$delta" -ge 0 -a "$delta" -le "$(slow_ms 50)"
check "ttft wait: record finished" "True" "$finished"
stats=$(curl -s "$B/mock/stats")
check "stats: closed_by_client counts both" "2" "$(jq .closed_by_client <<<"$stats")"
check "stats: nothing active" "0" "$(jq .active <<<"$stats")"

curl -s -m 0.3 -N "$CHAT" -d "{\"model\":\"m\",\"stream\":true,$MSG,\"mock\":{\"chunks\":50,\"chunk_interval_ms\":100}}" >/dev/null
sleep 0.05
check "streaming: client close mid-stream" "client_closed" "$(last_record | jq -r .outcome)"

# ---------------------------------------------------------------- mock-side faults
curl -s -N "$CHAT" -d "{\"model\":\"m\",\"stream\":true,$MSG,\"mock\":{\"abort_after\":2}}" >"$TMP/s" 2>/dev/null
rc=$?
check_true "abort_after: stream fails in curl (rc $rc)" test "$rc" -ne 0
check "abort_after: 2 chunks arrived" "2" "$(grep -c '^data: ' "$TMP/s")"
check "abort_after: outcome reset" "reset" "$(last_record | jq -r .outcome)"
curl -s "$CHAT" -H 'x-mock-abort-after: 1' -d "{\"model\":\"m\",$MSG}" >/dev/null 2>&1
check "abort_after: non-stream half body (curl 18)" "18" "$?"
check "abort_after: outcome aborted_by_mock" "aborted_by_mock" "$(last_record | jq -r .outcome)"

out=$(curl -s -w '\n%{http_code}' "$CHAT" -H 'x-mock-garbage: 1' -d "{\"model\":\"m\",$MSG}")
check "garbage: 200" "200" "$(tail -1 <<<"$out")"
check_true "garbage: body is not JSON" bash -c "! head -1 <<<'$(head -1 <<<"$out" | tr -d "'")' | jq . >/dev/null 2>&1"
curl -s -N "$CHAT" -H 'x-mock-garbage: 1' -d "{\"model\":\"m\",\"stream\":true,$MSG}" >"$TMP/s"
broken=0
while read -r l; do jq . <<<"$l" >/dev/null 2>&1 || broken=$((broken + 1)); done < <(grep '^data: {' "$TMP/s" | sed 's/^data: //')
check "garbage: one broken SSE line" "1" "$broken"
check "garbage: stream still ends with [DONE]" "data: [DONE]" "$(grep '^data: ' "$TMP/s" | tail -1)"
curl -s -N "$CHAT" -H 'x-mock-truncate: 1' -d "{\"model\":\"m\",\"stream\":true,$MSG}" >"$TMP/s"
check "truncate: clean end (curl 0)" "0" "$?"
check "truncate: no [DONE]" "0" "$(grep -c 'DONE' "$TMP/s")"

# ---------------------------------------------------------------- HTTP errors
out=$(curl -s -w '\n%{http_code}' "$B/v1/nope")
check "404: status" "404" "$(tail -1 <<<"$out")"
check_true "404: error object" jq -e '.error | has("message") and has("type") and has("code") and has("param")' <<<"$(head -1 <<<"$out")" >/dev/null
curl -s -D "$TMP/h" -o /dev/null "$CHAT"
check "405: GET on chat" "405" "$(head -1 "$TMP/h" | cut -d' ' -f2)"
check "405: Allow header" "POST" "$(grep -i '^allow' "$TMP/h" | tr -d '\r' | cut -d' ' -f2)"
check "400: invalid JSON body" "400" "$(curl -s -o /dev/null -w '%{http_code}' "$CHAT" -d '{"model":')"
check "400: messages missing" "400" "$(curl -s -o /dev/null -w '%{http_code}' "$CHAT" -d '{"model":"m"}')"
head -c 1100000 /dev/zero | tr '\0' 'a' >"$TMP/big"
check "413: body over 1 MiB" "413" "$(curl -s -o /dev/null -w '%{http_code}' "$CHAT" --data-binary @"$TMP/big")"
big=$(head -c 70000 /dev/zero | tr '\0' 'h')
check "431: huge header" "431" "$(curl -s -o /dev/null -w '%{http_code}' "$CHAT" -H "x-big: $big" -d '{}')"
printf '{"model":"m","messages":[{"role":"user","content":"chunked body"}]}' >"$TMP/cb"
out=$(curl -s "$CHAT" -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/cb")
check "chunked request body" "chat.completion" "$(jq -r .object <<<"$out")"
check "chunked request body recorded" "chunked body" "$(last_record | jq -r '.body | fromjson | .messages[0].content')"
check "Expect: 100-continue" "200" "$(curl -s -o /dev/null -w '%{http_code}' "$CHAT" -H 'Expect: 100-continue' -d "{\"model\":\"m\",$MSG}")"

cat >"$TMP/raw.py" <<'EOF'
import socket, sys, time
port, payload = int(sys.argv[1]), sys.argv[2].encode().decode("unicode_escape").encode("latin-1")
s = socket.create_connection(("127.0.0.1", port))
s.sendall(payload)
s.settimeout(float(sys.argv[3]) if len(sys.argv) > 3 else 2)
data = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
except socket.timeout:
    pass
sys.stdout.write(data.decode("latin-1"))
EOF
raw() { python3 "$TMP/raw.py" "$PORT" "$@"; }
out=$(raw 'GARBAGE\r\n\r\n')
check "400: garbage request line" "HTTP/1.1 400" "$(head -1 <<<"$out" | cut -c1-12)"
out=$(raw 'POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc')
check "400: Content-Length with Transfer-Encoding" "HTTP/1.1 400" "$(head -1 <<<"$out" | cut -c1-12)"
out=$(raw 'GET /v1/models HTTP/1.1\r\nBad Header\r\n\r\n')
check "400: header without colon" "HTTP/1.1 400" "$(head -1 <<<"$out" | cut -c1-12)"
out=$(raw 'POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 12x\r\n\r\n')
check "400: bad Content-Length" "HTTP/1.1 400" "$(head -1 <<<"$out" | cut -c1-12)"
out=$(raw 'GET v1/models HTTP/1.1\r\n\r\n')
check "400: request-target without its leading slash" "HTTP/1.1 400" "$(head -1 <<<"$out" | cut -c1-12)"

P1='{"model":"m","messages":[],"mock":{"ttft_ms":150,"content":"first"}}'
P2='{"model":"m","messages":[],"mock":{"content":"second"}}'
out=$(raw "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: ${#P1}\r\n\r\n${P1}POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: ${#P2}\r\n\r\n${P2}GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n" 1)
check "pipelining: three responses" "3" "$(grep -o 'HTTP/1.1 200' <<<"$out" | wc -l)"
check "pipelining: in order" "first second" "$(grep -o '"content":"[a-z]*"' <<<"$out" | cut -d'"' -f4 | tr '\n' ' ' | sed 's/ $//')"
out=$(raw 'GET /v1/models HTTP/1.0\r\n\r\n')
check "HTTP/1.0: answered and closed" "HTTP/1.1 200 OK" "$(head -1 <<<"$out" | tr -d '\r')"
check "HTTP/1.0: Connection: close" "1" "$(grep -ci '^connection: close' <<<"$out")"
out=$(curl -s -v "$B/v1/models" "$B/v1/models" 2>&1 >/dev/null | grep -ci 're-using\|reusing')
check_true "keep-alive: curl reuses the connection" test "$out" -ge 1

# ---------------------------------------------------------------- guardrail
G=$B/guardrail
check "guardrail: NONE" "NONE" "$(curl -s "$G" -d '{"texts":["all fine"],"input_type":"request","litellm_call_id":"c1"}' | jq -r .action)"
out=$(curl -s "$G" -d '{"texts":["ok","please BLOCKME now"],"input_type":"response","request_id":"r1"}')
check "guardrail: BLOCKED" "BLOCKED" "$(jq -r .action <<<"$out")"
check "guardrail: blocked_reason" "mock: blocked word" "$(jq -r .blocked_reason <<<"$out")"
out=$(curl -s "$G" -d '{"texts":["my REDACTME secret","clean"],"input_type":"request"}')
check "guardrail: GUARDRAIL_INTERVENED" "GUARDRAIL_INTERVENED" "$(jq -r .action <<<"$out")"
check "guardrail: rewritten texts" '["my [MOCK-REDACTED] secret","clean"]' "$(jq -c .texts <<<"$out")"
check "guardrail: forced action" "BLOCKED" "$(curl -s "$G" -H 'x-mock-action: BLOCKED' -d '{"texts":["x"],"input_type":"request"}' | jq -r .action)"
check "guardrail: forced status" "503" "$(curl -s -o /dev/null -w '%{http_code}' "$G" -H 'x-mock-status: 503' -d '{"texts":["x"]}')"
check_true "guardrail: garbage body" bash -c "! curl -s '$G' -H 'x-mock-action: garbage' -d '{\"texts\":[\"x\"]}' | jq . >/dev/null 2>&1"
t=$(curl -s -o /dev/null -w '%{time_total}' "$G" -H 'x-mock-delay-ms: 200' -d '{"texts":["x"]}')
check_true "guardrail: delay_ms ($t)" awk "BEGIN{exit !($t >= 0.19 && $t < $(slow_ms 2000) / 1000)}"
check "guardrail: bad input_type is 400" "400" "$(curl -s -o /dev/null -w '%{http_code}' "$G" -d '{"texts":["x"],"input_type":"sideways"}')"

# ---------------------------------------------------------------- records, stats, reset
curl -s "$CHAT" -H 'authorization: Bearer sk-test' -H 'x-mock-content: rec' -d "{\"model\":\"rec-model\",$MSG}" >/dev/null
rec=$(last_record)
check "records: model" "rec-model" "$(jq -r .model <<<"$rec")"
check "records: authorization is a bool" "true" "$(jq -r .headers.authorization <<<"$rec")"
check "records: x-mock headers kept" "rec" "$(jq -r '.headers["x-mock-content"]' <<<"$rec")"
check "records: body kept" "rec-model" "$(jq -r '.body | fromjson | .model' <<<"$rec")"
check "records: status + completed" "200 completed" "$(jq -r '"\(.status) \(.outcome)"' <<<"$rec")"
check "records: limit" "3" "$(curl -s "$B/mock/requests?limit=3" | jq '.requests | length')"
check_true "stats: by_path counts chat" jq -e '.by_path["/v1/chat/completions"] > 10' <<<"$(curl -s "$B/mock/stats")" >/dev/null
check "reset: POST /mock/reset" "true" "$(curl -s -X POST "$B/mock/reset" | jq .reset)"
check "reset: records cleared" "0" "$(curl -s "$B/mock/requests" | jq '.requests | length')"
check "reset: stats cleared" "0 0" "$(curl -s "$B/mock/stats" | jq -r '"\(.requests) \(.closed_by_client)"')"
check "reset: fail counters cleared" "500" "$(curl -s -o /dev/null -w '%{http_code}' "$CHAT" -H 'x-mock-fail-first: 2' -H 'x-mock-key: ff-1' -d "{\"model\":\"m\",$MSG}")"
curl -s -o /dev/null -X POST "$B/mock/reset"
check "max_active: reset to what is in flight" "0" "$(curl -s "$B/mock/stats" | jq .max_active)"
cpids=()
for i in 1 2 3 4 5; do
    curl -s -o /dev/null -m 5 "$CHAT" -H 'x-mock-ttft-ms: 300' -d "{\"model\":\"m\",$MSG}" &
    cpids+=($!)
done
wait "${cpids[@]}"
check "max_active: the most requests in flight at once" "5" "$(curl -s "$B/mock/stats" | jq .max_active)"
check "max_active: nothing active afterwards" "0" "$(curl -s "$B/mock/stats" | jq .active)"

# ---------------------------------------------------------------- workers, chaos, still alive
start_mock B2 --workers 2
for i in $(seq 1 20); do curl -s -o /dev/null "$B2/v1/chat/completions" -d "{\"model\":\"m\",$MSG}"; done
check "workers: shared stats across 2 workers" "20" "$(curl -s "$B2/mock/stats" | jq .requests)"
start_mock B3 --chaos 1 --seed 7
normal=0
for i in $(seq 1 10); do
    out=$(curl -s -m 0.5 -w '\n%{http_code}' "$B3/v1/chat/completions" -d "{\"model\":\"m\",$MSG}" 2>/dev/null)
    [ "$(tail -1 <<<"$out")" == "200" ] && jq -e '.choices' <<<"$(head -1 <<<"$out")" >/dev/null 2>&1 && normal=$((normal + 1))
done
check "chaos 1: every request gets a fault" "0" "$normal"
check "still serving after all of the above" "200" "$(curl -s -o /dev/null -w '%{http_code}' "$B/v1/models")"

# a clean shutdown (SIGTERM) must exit 0, and sanitizer builds must report nothing (leaks included)
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
rcs=""
for p in "${PIDS[@]}"; do wait "$p"; rcs+="$? "; done
PIDS=()
check "shutdown: every mock exits 0 on SIGTERM" "0 0 0 " "$rcs"
if grep -q 'Sanitizer\|runtime error' "$TMP/mock.log"; then
    nok "no sanitizer reports"; cat "$TMP/mock.log"
else
    ok "no sanitizer reports"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
