#!/usr/bin/env bash
# Core gateway behaviour against the real warden-mock: proxying (byte-for-byte), streaming,
# the small endpoints, request ids, access log, input validation, protocol abuse (huge
# headers, truncated bodies, pipelining, slowloris), upstream faults, client disconnects
# (timed on the mock's monotonic clock), h2c, keep-alive and SIGTERM drain.
#
# Client-side x-mock-* headers are not forwarded by Warden (only provider headers are), so
# the mock's knobs ride in the body's "mock" object, which Warden forwards untouched.
# The last line is "test_core: N passed, M failed".
source "$(dirname "$0")/lib.sh"

MSG='"messages":[{"role":"user","content":"Hello, gateway! 12345678"}]'
PY=$TMP/py
mkdir -p "$PY"

start_mock
DOWN_PORT=$(free_port) # nothing listens here
CONFIG=$(
    cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 1, drain_timeout_ms: 3000, header_timeout_ms: 1000, max_body_bytes: 65536, http2: on}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
  - {name: down, type: openai, base_url: "http://127.0.0.1:$DOWN_PORT/v1"}
models:
  - name: gpt-4o-mini
    targets: [{provider: local, model: mock-1}]
  - name: text-embedding-3-small
    targets: [{provider: local, model: mock-emb}]
  - name: down-model
    timeouts: {connect_ms: 1000}
    targets: [{provider: down, model: whatever}]
YAML
)
start_warden "$CONFIG" || { echo "test_core: warden did not start"; echo "test_core: 0 passed, 1 failed"; exit 1; }
C=$WARDEN/v1/chat/completions

# Replaces the per-response parts (mock sequence id, created timestamp) so two answers compare.
normalize() { sed -E -e 's/chatcmpl-mock-[0-9]+/chatcmpl-mock-N/g' -e 's/"created":[0-9]+/"created":0/g'; }
mock_last() { curl -s "$MOCK/mock/requests?limit=1" | jq -c '.requests[-1]'; }
mock_now() { curl -s "$MOCK/mock/now" | jq .now_ms; }
is_openai_error() { # body [code]
    jqe '.error | has("message") and has("type") and has("param") and has("code")' <<<"$1" >/dev/null 2>&1 ||
        { echo "    not an OpenAI error body: [$(head -c 200 <<<"$1")]" >&2; return 1; }
    [ -z "${2:-}" ] || eq "$(jq -r .error.code <<<"$1")" "$2"
}
jqe() { jq -e "$@" >/dev/null; }
in_range() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ] || { echo "    $1 not in [$2, $3]" >&2; return 1; }; }

# ---------------------------------------------------------------- chat, non-streaming
REQ="{\"model\":\"gpt-4o-mini\",$MSG,\"mock\":{\"content\":\"byte for byte\"}}"
body=$(chat "$REQ")
rec=$(mock_last)
check "chat: 200" eq "$(status)" 200
direct=$(curl -s "$MOCK/v1/chat/completions" -d "{\"model\":\"mock-1\",$MSG,\"mock\":{\"content\":\"byte for byte\"}}")
check "chat: body byte-for-byte equal to the mock's (id/created normalised)" eq "$(normalize <<<"$body")" "$(normalize <<<"$direct")"
check "chat: model mapped to the target name" eq "$(jq -r .model <<<"$body")" mock-1
check "chat: upstream saw the target model" eq "$(jq -r .model <<<"$rec")" mock-1
check "chat: content-type json" contains "$(header content-type)" application/json
check "chat: x-warden-target" eq "$(header x-warden-target)" local/mock-1
check "chat: x-warden-attempts 1" eq "$(header x-warden-attempts)" 1
check "chat: x-warden-overhead-us is a number" bash -c "[[ '$(header x-warden-overhead-us)' =~ ^[0-9]+$ ]]"
gen_id=$(header x-request-id)
check "request id: generated when absent" bash -c "[ -n '$gen_id' ]"
check "request id: forwarded upstream" eq "$(jq -r '.headers["x-request-id"]' <<<"$rec")" "$gen_id"
check "request id: upstream got an Authorization header" eq "$(jq -r '.headers.authorization' <<<"$rec")" true

chat "{\"model\":\"gpt-4o-mini\",$MSG}" -H 'x-request-id: it-core-rid-1' >/dev/null
check "request id: echoed when given" eq "$(header x-request-id)" it-core-rid-1
sleep 0.1
logline=$(grep -F '"id":"it-core-rid-1"' "$WARDEN_LOG" | tail -1)
check "access log: one JSON line for the request" jqe . <<<"${logline:-null}"
check "access log: fields" jqe '.model == "gpt-4o-mini" and .status == 200 and (.total_ms | type == "number") and .target == "local/mock-1" and .attempts == 1' <<<"${logline:-null}"

# unknown fields are forwarded untouched (bytes, order, spacing), only "model" replaced
RAW='{"model": "gpt-4o-mini", "x_custom": {"a": [1, 2.50, "z"], "b": null}, "temperature": 0.70, "messages":[{"role":"user","content":"fwd"}], "metadata": {"k": "v"}}'
chat "$RAW" >/dev/null
check "forward: 200" eq "$(status)" 200
expected=${RAW/\"model\": \"gpt-4o-mini\"/\"model\": \"mock-1\"}
check "forward: upstream body is the client's bytes with model replaced" eq "$(mock_last | jq -r .body)" "$expected"

# ---------------------------------------------------------------- streaming
SREQ="{\"model\":\"gpt-4o-mini\",\"stream\":true,\"stream_options\":{\"include_usage\":true},$MSG,\"mock\":{\"chunks\":4}}"
chat "$SREQ" -N >"$TMP/stream"
check "stream: 200" eq "$(status)" 200
check "stream: text/event-stream" contains "$(header content-type)" text/event-stream
check "stream: 4 chunks + finish + usage + [DONE]" eq "$(grep -c '^data: ' "$TMP/stream")" 7
check "stream: ends with [DONE]" eq "$(grep '^data: ' "$TMP/stream" | tail -1)" "data: [DONE]"
check "stream: include_usage passthrough (usage chunk)" jqe '.usage.total_tokens > 0 and (.choices | length) == 0' \
    <<<"$(grep '^data: {' "$TMP/stream" | tail -1 | sed 's/^data: //')"
check "stream: include_usage forwarded upstream" jqe '.stream_options.include_usage == true' <<<"$(mock_last | jq -r .body)"
curl -s -N "$MOCK/v1/chat/completions" -d "${SREQ/gpt-4o-mini/mock-1}" >"$TMP/stream_direct"
check "stream: bytes equal to the mock's stream (id/created normalised)" eq "$(normalize <"$TMP/stream")" "$(normalize <"$TMP/stream_direct")"

# ---------------------------------------------------------------- embeddings, models, health, metrics
out=$(curl -s -w '\n%{http_code}' "$WARDEN/v1/embeddings" -H 'content-type: application/json' -d '{"model":"text-embedding-3-small","input":["a","b"]}')
check "embeddings: 200" eq "$(tail -1 <<<"$out")" 200
check "embeddings: two vectors from the target model" jqe '(.data | length) == 2 and .model == "mock-emb"' <<<"$(head -1 <<<"$out")"
check "embeddings: upstream path" eq "$(mock_last | jq -r .path)" /v1/embeddings
out=$(curl -s "$WARDEN/v1/models")
check "models: list with configured names" jqe '.object == "list" and ([.data[].id] | sort) == ["down-model","gpt-4o-mini","text-embedding-3-small"]' <<<"$out"
out=$(curl -s -w '\n%{http_code}' "$WARDEN/v1/models/gpt-4o-mini")
check "models/<name>: 200 and object" jqe '.id == "gpt-4o-mini" and .object == "model"' <<<"$(head -1 <<<"$out")"
out=$(curl -s -w '\n%{http_code}' "$WARDEN/v1/models/no-such-model")
check "models/<unknown>: 404" eq "$(tail -1 <<<"$out")" 404
check "models/<unknown>: model_not_found body" is_openai_error "$(head -1 <<<"$out")" model_not_found
out=$(curl -s -w '\n%{http_code}' "$WARDEN/healthz")
check "healthz: 200 ok" eq "$out" $'{"status":"ok"}\n200'
curl -s -D "$TMP/mh" "$WARDEN/metrics" >"$TMP/metrics"
check "metrics: text/plain" contains "$(grep -i '^content-type' "$TMP/mh")" "text/plain"
check "metrics: warden_requests_total with TYPE" grep -q '^# TYPE warden_requests_total counter' "$TMP/metrics"
check "metrics: counts 200 chat requests" grep -Eq '^warden_requests_total\{route="chat_completions",status="200"\} [1-9]' "$TMP/metrics"
check "metrics: histogram and per-target series" grep -q '^warden_target_attempts_total{model="gpt-4o-mini",target="local/mock-1"}' "$TMP/metrics"
check "metrics: every sample line parses" bash -c "! grep -v '^#' '$TMP/metrics' | grep -Ev '^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$' | grep ."

# ---------------------------------------------------------------- client errors
out=$(chat "{\"model\":\"gpt-4o-mini\",$MSG,\"mock\":{\"status\":400}}")
direct=$(curl -s "$MOCK/v1/chat/completions" -d "{\"model\":\"mock-1\",$MSG,\"mock\":{\"status\":400}}")
check "upstream 400: status kept" eq "$(status)" 400
check "upstream 400: body is the mock's" eq "$out" "$direct"
out=$(curl -s -w '\n%{http_code}' "$WARDEN/v1/nope")
check "404 unknown route" eq "$(tail -1 <<<"$out")" 404
check "404: OpenAI body" is_openai_error "$(head -1 <<<"$out")"
out=$(curl -s -D "$TMP/h405" -w '\n%{http_code}' "$C")
check "405: GET on chat" eq "$(tail -1 <<<"$out")" 405
check "405: OpenAI body" is_openai_error "$(head -1 <<<"$out")" method_not_allowed
check "405: Allow: POST" contains "$(grep -i '^allow' "$TMP/h405")" POST
out=$(chat '{"model": "gpt-4o-mini", "messages": [')
check "malformed JSON: 400" eq "$(status)" 400
check "malformed JSON: OpenAI body" is_openai_error "$out" invalid_json
out=$(chat "{\"model\":42,$MSG}")
check "model not a string: 400 param=model" eq "$(status) $(jq -r .error.param <<<"$out")" "400 model"
out=$(chat '{"model":"gpt-4o-mini","messages":"hi"}')
check "messages not an array: 400 param=messages" eq "$(status) $(jq -r .error.param <<<"$out")" "400 messages"
out=$(chat "{\"model\":\"gpt-4o-mini\",$MSG,\"stream\":\"yes\"}")
check "stream not a bool: 400 param=stream" eq "$(status) $(jq -r .error.param <<<"$out")" "400 stream"
out=$(curl -s -w '\n%{http_code}' -X POST -H 'content-type: application/json' "$C")
check "empty body: 400" eq "$(tail -1 <<<"$out")" 400
check "empty body: OpenAI body" is_openai_error "$(head -1 <<<"$out")"
out=$(chat "{\"model\":\"no-such\",$MSG}")
check "unknown model: 404 model_not_found" eq "$(status) $(jq -r .error.code <<<"$out")" "404 model_not_found"
head -c 70000 /dev/zero | tr '\0' 'a' | sed 's/^/{"model":"gpt-4o-mini","messages":[{"role":"user","content":"/; s/$/"}]}/' >"$TMP/big.json"
out=$(curl -s -w '\n%{http_code}' -H 'content-type: application/json' --data-binary @"$TMP/big.json" "$C")
check "body over max_body_bytes: 413" eq "$(tail -1 <<<"$out")" 413
check "413: OpenAI error body" is_openai_error "$(head -1 <<<"$out")"

# ---------------------------------------------------------------- protocol abuse
printf 'x-big: %s\r\n' "$(head -c 100000 /dev/zero | tr '\0' 'h')" >"$TMP/hdr100k"
code=$(curl -s -o /dev/null -w '%{http_code}' -H @"$TMP/hdr100k" "$WARDEN/v1/models")
check "100 KB header: rejected (4xx or closed), got $code" bash -c "[ '$code' = 000 ] || [ '$code' -ge 400 -a '$code' -lt 500 ]"
printf 'x-big: %s\r\n' "$(head -c 1000000 /dev/zero | tr '\0' 'h')" >"$TMP/hdr1m"
code=$(curl -s -o /dev/null -w '%{http_code}' -H @"$TMP/hdr1m" "$WARDEN/v1/models")
check "1 MB header: rejected (4xx or closed), got $code" bash -c "[ '$code' = 000 ] || [ '$code' -ge 400 -a '$code' -lt 500 ]"
check "after huge headers: still serving" eq "$(curl -s -o /dev/null -w '%{http_code}' "$WARDEN/healthz")" 200

cat >"$PY/raw.py" <<'EOF'
import socket, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
body = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"pipelined"}]}'
def chat_req(rid):
    return (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nx-request-id: %s\r\n"
            b"Content-Length: %d\r\n\r\n" % (rid, len(body))) + body
def read_all(s, until, limit=3.0):
    s.settimeout(0.2); data = b""; t = time.time()
    while time.time() - t < limit and not until(data):
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        if not d:
            break
        data += d
    return data
if mode == "pipeline":
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(chat_req(b"pipe-1") + b"GET /v1/models HTTP/1.1\r\nHost: x\r\nx-request-id: pipe-2\r\n\r\n" + chat_req(b"pipe-3"))
    data = read_all(s, lambda d: d.count(b"HTTP/1.1 200") >= 3 and d.rstrip().endswith(b"}"))
    ids = [l.split(b":", 1)[1].strip().decode() for l in data.split(b"\r\n") if l.lower().startswith(b"x-request-id:")]
    print(data.count(b"HTTP/1.1 200"), ",".join(ids))
elif mode == "truncated":
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n" + body[:30])
    time.sleep(0.2)
    s.close()
    print("sent")
elif mode == "slowloris":
    # one header byte a second; the recv timeout is the pause, so a close is seen at once
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(1.0)
    req = b"GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 200
    t = time.time(); dropped = None
    for ch in req:
        try:
            s.send(bytes([ch]))
            if s.recv(4096) == b"":
                dropped = time.time() - t; break
        except socket.timeout:
            pass
        except OSError:
            dropped = time.time() - t; break
        if time.time() - t > 6:
            break
    print("%.2f" % dropped if dropped is not None else "never")
EOF
read -r n ids < <(python3 "$PY/raw.py" "$WARDEN_PORT" pipeline)
check "pipelining: three requests in one write, three 200s" eq "$n" 3
check "pipelining: answered in order" eq "$ids" "pipe-1,pipe-2,pipe-3"
python3 "$PY/raw.py" "$WARDEN_PORT" truncated >/dev/null
check "truncated body then close: still serving" eq "$(curl -s -o /dev/null -w '%{http_code}' -d "{\"model\":\"gpt-4o-mini\",$MSG}" "$C")" 200
check "alive after truncated body" alive

# slowloris: header_timeout_ms is 1000; meanwhile normal requests must still be served
python3 "$PY/raw.py" "$WARDEN_PORT" slowloris >"$TMP/slow.out" &
slow_pid=$!
sleep 0.3
code=$(curl -s -o /dev/null -w '%{http_code}' -m 2 -d "{\"model\":\"gpt-4o-mini\",$MSG}" "$C")
wait $slow_pid
dropped=$(cat "$TMP/slow.out")
check "slowloris: other requests served meanwhile" eq "$code" 200
check "slowloris: dropped within ~1-2 s (after $dropped s; bound $(slow_ms 2200) ms)" awk "BEGIN{exit !(\"$dropped\" != \"never\" && $([ "$dropped" = never ] && echo 99 || echo "$dropped") <= $(slow_ms 2200) / 1000)}"

# ---------------------------------------------------------------- upstream faults
out=$(chat "{\"model\":\"down-model\",$MSG}")
check "upstream down: 502" eq "$(status)" 502
check "upstream down: OpenAI body" is_openai_error "$out"
out=$(chat "{\"model\":\"gpt-4o-mini\",$MSG,\"mock\":{\"garbage\":1}}")
st=$(status)
check "upstream garbage (non-stream): relayed 200 or clean 5xx error (got $st)" bash -c "[ '$st' = 200 ] && grep -q 'not JSON' <<<'$(tr -d "'" <<<"$out")' || [ '$st' -ge 500 ]"
check "alive after garbage" alive
chat "{\"model\":\"gpt-4o-mini\",\"stream\":true,$MSG,\"mock\":{\"abort_after\":3}}" -N >"$TMP/cut"
check "stream cut (abort_after 3): 3 chunks relayed" eq "$(grep -c '^data: {"id"' "$TMP/cut")" 3
check "stream cut: ends with an SSE error event" jqe '.error.message | length > 0' <<<"$(grep '^data: ' "$TMP/cut" | tail -1 | sed 's/^data: //')"
check "stream cut: no data: [DONE] line" not_contains "$(grep '^data: ' "$TMP/cut")" "data: [DONE]"
chat "{\"model\":\"gpt-4o-mini\",\"stream\":true,$MSG,\"mock\":{\"truncate\":1}}" -N >"$TMP/trunc"
check "stream truncated (no [DONE] upstream): SSE error event" jqe '.error.code == "upstream_stream_cut"' <<<"$(grep '^data: ' "$TMP/trunc" | tail -1 | sed 's/^data: //')"
check "stream truncated: no data: [DONE] line" not_contains "$(grep '^data: ' "$TMP/trunc")" "data: [DONE]"

# ---------------------------------------------------------------- client disconnects
# mid-stream: 50 chunks every 200 ms; curl gives up after 1 s
curl -s -N -m 1 "$C" -H 'x-request-id: it-dc-stream' -d "{\"model\":\"gpt-4o-mini\",\"stream\":true,$MSG,\"mock\":{\"chunks\":50,\"chunk_interval_ms\":200}}" >/dev/null
t_after=$(mock_now)
# the harness's own delay (a process exit, a curl started, the mock's answer: 52 ms under ASan)
# on top of the 50 ms bound: one more clock read right after measures it
harness_ms=$(($(mock_now) - t_after))
rec=$(mock_last)
closed=$(jq .closed_ms <<<"$rec"); started=$(jq .started_ms <<<"$rec")
echo "    mid-stream disconnect: upstream closed ${closed:-?} ms, /mock/now after curl exit ${t_after} ms (lag bound $((t_after - ${closed:-0})) ms), closed-started $((${closed:-0} - ${started:-0})) ms"
check "disconnect mid-stream: mock outcome client_closed" eq "$(jq -r .outcome <<<"$rec")" client_closed
check "disconnect mid-stream: upstream closed at most $(slow_ms 50) ms before /mock/now after curl" in_range $((t_after - ${closed:-0})) 0 $(($(slow_ms 50) + harness_ms))
check "disconnect mid-stream: upstream closed ~1 s after start" in_range $((${closed:-0} - ${started:-0})) 950 "$(slow_ms 1060)"

# during a long TTFT (non-streaming)
curl -s -m 0.5 "$C" -d "{\"model\":\"gpt-4o-mini\",$MSG,\"mock\":{\"ttft_ms\":5000}}" >/dev/null
t_after=$(mock_now)
harness_ms=$(($(mock_now) - t_after))
rec=$(mock_last)
closed=$(jq .closed_ms <<<"$rec"); started=$(jq .started_ms <<<"$rec")
echo "    TTFT disconnect: upstream closed ${closed:-?}, /mock/now after curl ${t_after} (bound $((t_after - ${closed:-0})) ms), closed-started $((${closed:-0} - ${started:-0})) ms"
check "disconnect during TTFT: mock outcome client_closed" eq "$(jq -r .outcome <<<"$rec")" client_closed
check "disconnect during TTFT: upstream closed at most $(slow_ms 50) ms before /mock/now after curl" in_range $((t_after - ${closed:-0})) 0 $(($(slow_ms 50) + harness_ms))
check "disconnect during TTFT: upstream closed ~0.5 s after start" in_range $((${closed:-0} - ${started:-0})) 450 "$(slow_ms 560)"

# precise: a raw socket closed at a known mock-clock time
cat >"$PY/close.py" <<'EOF'
import json, socket, sys, time, urllib.request
port, mock, stream = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
now = lambda: json.load(urllib.request.urlopen(mock + "/mock/now"))["now_ms"]
knobs = '{"chunks":50,"chunk_interval_ms":200}' if stream else '{"ttft_ms":5000}'
body = ('{"model":"gpt-4o-mini","stream":%s,"messages":[{"role":"user","content":"x"}],"mock":%s}'
        % ("true" if stream else "false", knobs)).encode()
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
time.sleep(0.5)
before = now()
s.close()
time.sleep(0.15)
rec = json.load(urllib.request.urlopen(mock + "/mock/requests?limit=1"))["requests"][-1]
print(rec["outcome"], (rec["closed_ms"] or 10**9) - before)
EOF
for mode in 1 0; do
    read -r outcome delta < <(python3 "$PY/close.py" "$WARDEN_PORT" "$MOCK" $mode)
    what=$([ $mode = 1 ] && echo "mid-stream" || echo "during TTFT")
    echo "    raw-socket close $what: upstream closed $delta ms after the client's close"
    check "raw close $what: client_closed" eq "$outcome" client_closed
    check "raw close $what: upstream closed within 10 ms (+slack, <= $(slow_ms 50)) of the client ($delta ms)" in_range "$delta" 0 "$(slow_ms 50)"
done

# ---------------------------------------------------------------- h2c, keep-alive
out=$(curl -s --http2-prior-knowledge -w '\n%{http_version} %{http_code}' -H 'content-type: application/json' -d "{\"model\":\"gpt-4o-mini\",$MSG}" "$C")
check "h2c: chat over HTTP/2" eq "$(tail -1 <<<"$out")" "2 200"
check "h2c: answer" eq "$(head -1 <<<"$out" | jq -r '.choices[0].message.content')" "Hello from warden-mock."
curl -s -N --http2-prior-knowledge -H 'content-type: application/json' -d "{\"model\":\"gpt-4o-mini\",\"stream\":true,$MSG}" "$C" >"$TMP/h2s"
check "h2c: streaming ends with [DONE]" eq "$(grep '^data: ' "$TMP/h2s" | tail -1)" "data: [DONE]"
check "h2c: streaming content reassembles" eq "$(grep '^data: {' "$TMP/h2s" | sed 's/^data: //' | jq -jr '.choices[0].delta.content // empty')" "Hello from warden-mock."
curl -s -v -o /dev/null -o /dev/null "$WARDEN/v1/models" "$WARDEN/healthz" 2>"$TMP/ka"
check "keep-alive: second request reuses the connection" grep -q 'Re-using existing connection' "$TMP/ka"
check "keep-alive: one TCP connect" eq "$(grep -c 'Connected to' "$TMP/ka")" 1

# ---------------------------------------------------------------- still alive after the abuse
check "alive after everything" alive
out=$(chat "{\"model\":\"gpt-4o-mini\",$MSG}")
check "normal request still works" eq "$(status) $(jq -r '.choices[0].message.content' <<<"$out")" "200 Hello from warden-mock."
check "no request left in flight" grep -q '^warden_inflight_requests 0$' <(curl -s "$WARDEN/metrics")

# ---------------------------------------------------------------- SIGTERM drain
curl -s -o "$TMP/drain_body" -w '%{http_code}' -m 10 "$C" -d "{\"model\":\"gpt-4o-mini\",$MSG,\"mock\":{\"ttft_ms\":800}}" >"$TMP/drain_code" &
cpid=$!
sleep 0.3
t0=$(now_ms)
kill -TERM "$WARDEN_PID"
wait "$cpid"
t_done=$(now_ms)
for _ in $(seq 1 60); do kill -0 "$WARDEN_PID" 2>/dev/null || break; sleep 0.05; done
wait "$WARDEN_PID"
rc=$?
t_exit=$(now_ms)
check "SIGTERM: in-flight request completes with 200" eq "$(cat "$TMP/drain_code")" 200
check "SIGTERM: in-flight answer intact" eq "$(jq -r '.choices[0].message.content' "$TMP/drain_body" 2>/dev/null)" "Hello from warden-mock."
check "SIGTERM: process exits 0 (exit $rc)" eq "$rc" 0
# at most 2000 ms: ~2500 ms is the drain time-out (3000 ms from the signal), had it waited for that
check "SIGTERM: exits shortly after the last request ($((t_exit - t_done)) ms < $(slow_ms 1000 2000))" lt $((t_exit - t_done)) "$(slow_ms 1000 2000)"
check "SIGTERM: no assertion/abort in the log" not_contains "$(grep -i -m1 "assert\\|abort" "$WARDEN_LOG")" "ssert"

finish
