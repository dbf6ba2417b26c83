#!/usr/bin/env bash
# The lean HTTP/1.1 upstream transport (src/upstream/http1_client.c) against misbehaving
# upstreams, then the libcurl transport (server.upstream_transport: curl) on the basics.
#
# Part 1 drives Warden against raw_upstream.py, a raw-socket fixture whose behaviour follows
# the upstream model name (one Warden model per scenario, same name) and which logs every
# connection and request (GET /_stats) with the x-request-id Warden forwards, so a check can
# say which connection carried which request and when the fixture saw it close. Cases: heads
# and bodies split across writes, chunk extensions and trailers, 1xx heads, Connection: close,
# bodies to the close, keep-alive reuse, servers closing idle or reused connections (the
# transport resends once on a fresh connection), no answer, resets, malformed heads and
# framing, a stall against total_ms, name resolution, a port with nothing listening, SSE
# through a chunked answer, back-pressure from a slow reader reaching the upstream (16 MB),
# and the upstream connection closing when the client walks away.
#
# Part 2 starts a second Warden with upstream_transport: curl against warden-mock (and the
# fixture) so the libcurl path stays covered. The last line is "test_upstream_http1: N passed, M failed".
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

MSG='"messages":[{"role":"user","content":"Hello, raw upstream! 12345678"}]'
RAW_PORT=$(free_port)
python3 "$HERE/raw_upstream.py" "$RAW_PORT" 2>"$TMP/raw_upstream.log" &
PIDS+=($!)
RAW=http://127.0.0.1:$RAW_PORT
wait_port "$RAW_PORT" || { echo "test_upstream_http1: 0 passed, 1 failed"; exit 1; }
DOWN_PORT=$(free_port) # nothing listens here

SCENARIOS="ok chunked split-cl continue continue-onewrite close no-length idle-close drop-if-reused noanswer
           rst-mid-body rst-mid-stream bad-status conflict-cl huge-head bad-chunk sse-chunked sse-slow sse-big"
models_yaml() {
    local s
    for s in $SCENARIOS; do echo "  - {name: $s, targets: [{provider: raw, model: $s}]}"; done
}
# health: the circuit never opens (the failures here are on purpose and must all reach the fixture)
CONFIG=$(
    cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 1, drain_timeout_ms: 3000}
health: {window: 50, min_requests: 10000, error_ratio: 1.0, cooldown_ms: 100}
providers:
  - {name: raw, type: openai, base_url: "$RAW/v1", api_key_env: OPENAI_API_KEY}
  - {name: rawlh, type: openai, base_url: "http://localhost:$RAW_PORT/v1", api_key_env: OPENAI_API_KEY}
  - {name: down, type: openai, base_url: "http://127.0.0.1:$DOWN_PORT/v1"}
models:
$(models_yaml)
  - {name: stall, targets: [{provider: raw, model: stall, timeouts: {total_ms: 500}}]}
  - {name: via-localhost, targets: [{provider: rawlh, model: ok}]}
  - {name: down-model, timeouts: {connect_ms: 1000}, targets: [{provider: down, model: whatever}]}
YAML
)
start_warden "$CONFIG" || { echo "test_upstream_http1: warden did not start"; echo "test_upstream_http1: 0 passed, 1 failed"; exit 1; }

# ask MODEL RID [STREAM] [curl args...]: one chat request through Warden; body in $TMP/body
ask() {
    local model=$1 rid=$2 stream=${3:-false}
    shift 2
    [ $# -gt 0 ] && shift
    chat "{\"model\":\"$model\",\"stream\":$stream,$MSG}" -H "x-request-id: $rid" "$@" >/dev/null
}
# raw EXPR: a python expression over the fixture's log. conns: every upstream connection;
# reqs(rid): [(conn, request)] for the x-request-id; cids(rid): their connection ids.
raw() {
    curl -s "$RAW/_stats" | python3 -c '
import json, sys
d = json.load(sys.stdin)
conns = d["conns"]
def reqs(rid): return [(c, r) for c in conns for r in c["requests"] if r["rid"] == rid]
def cids(rid): return [c["id"] for c, r in reqs(rid)]
def conn(rid): return reqs(rid)[-1][0]
print(eval(sys.argv[1]))' "$1"
}
expect_file() { curl -s "$RAW/_expect/$1" >"$TMP/expect_$1"; echo "$TMP/expect_$1"; }
same_bytes() { cmp -s "$1" "$2" || { echo "    bytes differ: $(cmp "$1" "$2" 2>&1 | head -1) ($(wc -c <"$1") vs $(wc -c <"$2") bytes)" >&2; return 1; }; }
# Closes the fixture's idle keep-alive connections, so the next request opens a fresh one.
quiesce() { curl -s -X POST "$RAW/_close_idle" >/dev/null; sleep 0.05; }
is_openai_error() {
    jq -e '.error | has("message") and has("type") and has("code")' <<<"$1" >/dev/null 2>&1 ||
        { echo "    not an OpenAI error body: [$(head -c 200 <<<"$1")]" >&2; return 1; }
}
still_serving() { # a plain request right after a failure case
    ask ok "h1-after-$1"
    [ "$(status)" = 200 ] && same_bytes "$TMP/body" "$(expect_file ok)"
}
jqe() { jq -e "$@" >/dev/null; }
sse_last() { grep '^data: ' "$1" | tail -1 | sed 's/^data: //'; }

# ---------------------------------------------------------------- well-formed but awkward answers
ask ok h1-ok
check "ok: 200" eq "$(status)" 200
check "ok: body byte-for-byte" same_bytes "$TMP/body" "$(expect_file ok)"
check "ok: the fixture read the whole request body (model replaced)" \
    eq "$(raw 'reqs("h1-ok")[0][1]["body"]')" "{\"model\":\"ok\",\"stream\":false,$MSG}"
check "ok: request-target keeps its leading slash; Host" eq "$(raw 'reqs("h1-ok")[0][1]["path"] + " " + reqs("h1-ok")[0][1]["host"]')" \
    "/v1/chat/completions 127.0.0.1:$RAW_PORT"

for s in chunked split-cl continue continue-onewrite no-length; do
    ask "$s" "h1-$s"
    check "$s: 200" eq "$(status)" 200
    check "$s: body byte-for-byte" same_bytes "$TMP/body" "$(expect_file "$s")"
    [ "$s" = chunked ] && cp "$TMP/body" "$TMP/chunked_body"
done
check "chunked: trailers not in the body" not_contains "$(cat "$TMP/chunked_body")" "X-Trailer"

# Connection: close -> the next request opens a new connection
ask close h1-close
check "close: 200 and body" same_bytes "$TMP/body" "$(expect_file close)"
ask ok h1-after-close
check "after Connection: close: next request 200" eq "$(status)" 200
check "after Connection: close: on another connection" \
    eq "$(raw 'conn("h1-close")["id"] != conn("h1-after-close")["id"] and conn("h1-close")["closed_by"] == "server"')" True
check "after body-to-close: the no-length connection was not reused" \
    eq "$(raw 'conn("h1-no-length")["requests"][-1]["rid"]')" h1-no-length

# ---------------------------------------------------------------- keep-alive reuse
quiesce
n0=$(raw 'len(conns)')
ask ok h1-ka-1
s1=$(status)
ask ok h1-ka-2
check "keep-alive: two 200s" eq "$s1 $(status)" "200 200"
check "keep-alive: one upstream connection for both" eq "$(raw "len(conns) - $n0") $(raw 'cids("h1-ka-1") == cids("h1-ka-2")')" "1 True"

# ---------------------------------------------------------------- the server closes idle connections
quiesce
n0=$(raw 'len(conns)')
ask idle-close h1-ic-1
s1=$(status)
sleep 0.4 # the fixture closes the connection 200 ms after answering
ask ok h1-ic-2
check "idle close: both 200" eq "$s1 $(status)" "200 200"
check "idle close: the fixture closed the first connection" eq "$(raw 'conn("h1-ic-1")["closed_by"]')" server
check "idle close: exactly one extra connection, the request sent once" \
    eq "$(raw "len(conns) - $n0") $(raw 'len(reqs("h1-ic-2"))')" "2 1"

# the race: a reused connection is closed with the request on it, unanswered -> resent once
quiesce
n0=$(raw 'len(conns)')
ask ok h1-dr-1
ask drop-if-reused h1-dr-2
check "reused connection dropped: 200" eq "$(status)" 200
check "reused connection dropped: body byte-for-byte" same_bytes "$TMP/body" "$(expect_file drop-if-reused)"
check "reused connection dropped: sent on the reused connection, then once on a new one" \
    eq "$(raw '[r["answered"] for c, r in reqs("h1-dr-2")] == [False, True] and cids("h1-dr-2")[0] == cids("h1-dr-1")[0]')" True
check "reused connection dropped: exactly one extra connection" eq "$(raw "len(conns) - $n0")" 2
check "reused connection dropped: invisible to the client (x-warden-attempts 1)" eq "$(header x-warden-attempts)" 1

# ---------------------------------------------------------------- no answer, resets
quiesce
ask noanswer h1-na-1
check "no answer on a fresh connection: 502" eq "$(status)" 502
check "no answer: OpenAI error body" is_openai_error "$(cat "$TMP/body")"
check "no answer on a fresh connection: not resent" eq "$(raw 'len(reqs("h1-na-1"))')" 1
ask ok h1-na-pre
ask noanswer h1-na-2
check "no answer on a reused connection: 502 after one resend" eq "$(status) $(raw 'len(reqs("h1-na-2"))')" "502 2"
check "still serving after no answer" still_serving noanswer

ask rst-mid-body h1-rst-1
check "RST mid-body (non-streaming): 502" eq "$(status)" 502
check "RST mid-body: OpenAI error body" is_openai_error "$(cat "$TMP/body")"
ask rst-mid-stream h1-rst-2 true -N
cp "$TMP/body" "$TMP/rst_stream"
check "RST mid-stream: 200 and the two events before it" eq "$(status) $(grep -c '^data: {"id"' "$TMP/rst_stream")" "200 2"
check "RST mid-stream: ends with an SSE error event" jqe '.error.message | length > 0' <<<"$(sse_last "$TMP/rst_stream")"
check "RST mid-stream: no [DONE]" not_contains "$(cat "$TMP/rst_stream")" "[DONE]"
check "still serving after resets" still_serving rst

# ---------------------------------------------------------------- malformed answers
# each fails for its own reason (the transport's message ends up in the error body)
for case in "bad-status:malformed status" "conflict-cl:conflicting Content-Length" "huge-head:response head over 65536" \
    "bad-chunk:malformed chunk length"; do
    s=${case%%:*}
    ask "$s" "h1-$s"
    check "$s: 502" eq "$(status)" 502
    check "$s: OpenAI error body" is_openai_error "$(cat "$TMP/body")"
    check "$s: error says '${case#*:}'" contains "$(jq -r .error.message "$TMP/body")" "${case#*:}"
    check "$s: process alive" alive
done
check "still serving after malformed answers" still_serving malformed

# ---------------------------------------------------------------- time-out, names, refused
out=$(curl -s -o "$TMP/body" -w '%{http_code} %{time_total}' -m 5 -H 'x-request-id: h1-stall' \
    -d "{\"model\":\"stall\",$MSG}" "$WARDEN/v1/chat/completions")
ms=$(awk '{printf "%d", $2 * 1000}' <<<"$out")
check "stall after the head: 504" eq "${out%% *}" 504
check "stall: answered in 450-$(slow_ms 1000) ms (${ms} ms)" bash -c "[ $ms -ge 450 ] && [ $ms -le $(slow_ms 1000) ]"
check "stall: OpenAI error body" is_openai_error "$(cat "$TMP/body")"
sleep 0.05
check "stall: Warden closed the stalled connection" eq "$(raw 'conn("h1-stall")["closed_by"]')" peer

ask via-localhost h1-lh
check "base_url host localhost: 200" eq "$(status)" 200
check "localhost: body byte-for-byte" same_bytes "$TMP/body" "$(expect_file ok)"
check "localhost: Host header" eq "$(raw 'reqs("h1-lh")[0][1]["host"]')" "localhost:$RAW_PORT"

out=$(curl -s -o "$TMP/body" -w '%{http_code} %{time_total}' -m 5 -d "{\"model\":\"down-model\",$MSG}" "$WARDEN/v1/chat/completions")
ms=$(awk '{printf "%d", $2 * 1000}' <<<"$out")
check "nothing listening: 502" eq "${out%% *}" 502
check "nothing listening: quickly, not at connect_ms 1000 (${ms} ms < $(slow_ms 500 900))" lt "$ms" "$(slow_ms 500 900)"
check "nothing listening: OpenAI error body" is_openai_error "$(cat "$TMP/body")"

# ---------------------------------------------------------------- streaming
ask sse-chunked h1-sse true -N
cp "$TMP/body" "$TMP/sse"
check "SSE through a chunked answer: 200 text/event-stream" eq "$(status) $(header content-type | cut -d';' -f1)" "200 text/event-stream"
check "SSE through a chunked answer: bytes intact" same_bytes "$TMP/sse" "$(expect_file sse-chunked)"

# back-pressure: a client that reads nothing for 1 s (small receive buffer) pauses the upstream
# read, so the fixture's writes of ~16 MB block until the client reads; the bytes arrive intact
cat >"$TMP/slow_reader.py" <<'EOF'
import socket, sys, time
port, out = int(sys.argv[1]), sys.argv[2]
body = b'{"model":"sse-big","stream":true,"messages":[{"role":"user","content":"x"}]}'
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
s.connect(("127.0.0.1", port))
# HTTP/1.0: the answer is not chunked and ends at the close
s.sendall(b"POST /v1/chat/completions HTTP/1.0\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"x-request-id: h1-big\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
time.sleep(1.0)
start = time.time() * 1000
parts = []
while True:
    d = s.recv(1 << 20)
    if not d:
        break
    parts.append(d)
head, _, payload = b"".join(parts).partition(b"\r\n\r\n")
open(out, "wb").write(payload)
print(head.split(b" ")[1].decode(), int(start), int(time.time() * 1000 - start))
EOF
read -r code read_at took < <(python3 "$TMP/slow_reader.py" "$WARDEN_PORT" "$TMP/big")
echo "    slow reader: read the 16 MB in ${took:-?} ms after its 1 s pause"
check "slow reader, 16 MB stream: 200" eq "$code" 200
check "slow reader: bytes intact" same_bytes "$TMP/big" "$(expect_file sse-big)"
# the reader must have read (its start time is a number) and the fixture must have timed its
# last write; either missing makes lag empty and the check fail, never pass by default
lag=""
if [[ "$read_at" =~ ^[0-9]+$ ]] && [ "$code" = 200 ]; then
    lag=$(raw "int(reqs('h1-big')[0][1]['sent_ms'] - $read_at)")
fi
check "slow reader: the upstream was held back until the client read (last write ${lag:-?} ms after reading began)" \
    bash -c '[[ "$1" =~ ^-?[0-9]+$ ]] && [ "$1" -ge 0 ]' _ "$lag"

# the client walks away mid-stream at a known time; the fixture times the upstream close
cat >"$TMP/walk_away.py" <<'EOF'
import json, socket, sys, time, urllib.request
port, raw = int(sys.argv[1]), sys.argv[2]
body = b'{"model":"sse-slow","stream":true,"messages":[{"role":"user","content":"x"}]}'
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"x-request-id: h1-walk\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
got, t = b"", time.time()
while got.count(b"data: ") < 3 and time.time() - t < 5:
    got += s.recv(65536)
time.sleep(0.05)
closed_at = time.time() * 1000
s.close()
time.sleep(0.25)
d = json.load(urllib.request.urlopen(raw + "/_stats"))
c = [c for c in d["conns"] if any(r["rid"] == "h1-walk" for r in c["requests"])][-1]
print(got.count(b"data: "), c["closed_by"], int((c["closed_ms"] or 1e15) - closed_at))
EOF
read -r events by delta < <(python3 "$TMP/walk_away.py" "$WARDEN_PORT" "$RAW")
echo "    walk-away: upstream connection closed ${delta} ms after the client's close (by ${by})"
check "client disconnect mid-stream: events were flowing ($events)" ge "${events:-0}" 3
check "client disconnect mid-stream: Warden closed the upstream connection" eq "$by" peer
check "client disconnect mid-stream: within $(slow_ms 100) ms (${delta} ms)" bash -c "[ ${delta:-9999} -ge 0 ] && [ ${delta:-9999} -le $(slow_ms 100) ]"

check "alive at the end of part 1" alive
check "still serving at the end of part 1" still_serving end
check "no request left in flight" grep -q '^warden_inflight_requests 0$' <(curl -s "$WARDEN/metrics")

# ---------------------------------------------------------------- part 2: upstream_transport: curl
kill -TERM "$WARDEN_PID"
wait "$WARDEN_PID" 2>/dev/null
start_mock
CURL_CONFIG=$(
    cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 1, drain_timeout_ms: 3000, upstream_transport: curl}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
  - {name: raw, type: openai, base_url: "$RAW/v1", api_key_env: OPENAI_API_KEY}
models:
  - {name: gpt-4o-mini, targets: [{provider: local, model: mock-1}]}
  - {name: text-embedding-3-small, targets: [{provider: local, model: mock-emb}]}
  - {name: chunked, targets: [{provider: raw, model: chunked}]}
  - {name: sse-chunked, targets: [{provider: raw, model: sse-chunked}]}
YAML
)
start_warden "$CURL_CONFIG" || { echo "test_upstream_http1: curl-transport warden did not start"; FAIL=$((FAIL + 1)); finish; exit 1; }
TEST_NAME=test_upstream_http1/curl
C=$WARDEN/v1/chat/completions
out=$(chat "{\"model\":\"gpt-4o-mini\",$MSG,\"mock\":{\"content\":\"via libcurl\"}}")
check "chat: 200 and content" eq "$(status) $(jq -r '.choices[0].message.content' <<<"$out")" "200 via libcurl"
chat "{\"model\":\"gpt-4o-mini\",\"stream\":true,$MSG,\"mock\":{\"chunks\":4}}" -N >"$TMP/cstream"
check "stream: 200, 4 chunks + finish, ends with [DONE]" \
    eq "$(status) $(grep -c '^data: {' "$TMP/cstream") $(grep '^data: ' "$TMP/cstream" | tail -1)" "200 5 data: [DONE]"
out=$(curl -s -w '\n%{http_code}' "$WARDEN/v1/embeddings" -H 'content-type: application/json' -d '{"model":"text-embedding-3-small","input":["a","b"]}')
check "embeddings: 200 and two vectors" eq "$(tail -1 <<<"$out") $(head -1 <<<"$out" | jq '.data | length')" "200 2"
out=$(chat "{\"model\":\"gpt-4o-mini\",$MSG,\"mock\":{\"status\":400}}")
direct=$(curl -s "$MOCK/v1/chat/completions" -d "{\"model\":\"mock-1\",$MSG,\"mock\":{\"status\":400}}")
check "upstream 400 passthrough: status and body" eq "$(status) $out" "400 $direct"
curl -s -N -m 1 "$C" -d "{\"model\":\"gpt-4o-mini\",\"stream\":true,$MSG,\"mock\":{\"chunks\":50,\"chunk_interval_ms\":200}}" >/dev/null
sleep 0.1
rec=$(curl -s "$MOCK/mock/requests?limit=1" | jq -c '.requests[-1]')
check "client disconnect mid-stream: upstream aborted (client_closed)" eq "$(jq -r .outcome <<<"$rec")" client_closed
check "client disconnect mid-stream: ~1 s after start ($(jq '.closed_ms - .started_ms' <<<"$rec") ms)" \
    bash -c "d=$(jq '.closed_ms - .started_ms' <<<"$rec"); [ \$d -ge 900 ] && [ \$d -le $(slow_ms 1200) ]"
ask chunked h1-curl-chunked
check "raw fixture chunked answer via libcurl: body byte-for-byte" same_bytes "$TMP/body" "$(expect_file chunked)"
ask sse-chunked h1-curl-sse true -N
check "raw fixture SSE via libcurl: bytes intact" same_bytes "$TMP/body" "$(expect_file sse-chunked)"
check "alive (curl transport)" alive

TEST_NAME=test_upstream_http1
finish
