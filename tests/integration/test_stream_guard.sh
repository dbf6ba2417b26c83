#!/usr/bin/env bash
# Output guards on streamed answers (issue 9, items 2, 4, 5): a secret split across chunks,
# one character per chunk, short answers not held whole, n = 2 choices, reasoning_content,
# tool-call arguments and logprobs streamed, overflow of the hold window, duplicate keys,
# per-pattern errors (on_error applies to the failing pattern only), and memory with 50
# clients that never read a guarded stream.
#
# warden-mock streams scripted content in N chunks; raw_upstream.py (scenarios sse-script
# and sse-endless) sends hand-written events. A python client reads each stream as it
# arrives and records every text field per choice, the raw bytes and the timing.
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

[ -x "$WARDEN_BIN" ] && [ -x "$MOCK_BIN" ] || { echo "$TEST_NAME: build first (make)"; echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }

start_mock
RAW_PORT=$(free_port)
python3 "$HERE/raw_upstream.py" "$RAW_PORT" 2>"$TMP/raw_upstream.log" &
PIDS+=($!)
RAW=http://127.0.0.1:$RAW_PORT
wait_port "$RAW_PORT" || { echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }

SECRET=sk-Q7wX2mK9pL4vR8tY3nB6cD1fG5hJ0zAs # 30 characters after sk-

CFG=$(
    cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 1, drain_timeout_ms: 3000}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
  - {name: raw, type: openai, base_url: "$RAW/v1", api_key_env: OPENAI_API_KEY}
guardrails:
  - {name: key-redact, type: regex, stage: output, action: redact, patterns: ["sk-[A-Za-z0-9]{20,}"]}
  - {name: key-block, type: regex, stage: output, patterns: ["sk-[A-Za-z0-9]{20,}"]}
  - {name: bad-open, type: regex, stage: output, action: redact, on_error: fail_open, patterns: ["(a+)+b", "sk-[A-Za-z0-9]{20,}"]}
  - {name: bad-closed, type: regex, stage: output, on_error: fail_closed, patterns: ["(a+)+b", "sk-[A-Za-z0-9]{20,}"]}
models:
  - {name: redact, targets: [{provider: local, model: mock-1}], guardrails: [key-redact]}
  - {name: block, targets: [{provider: local, model: mock-1}], guardrails: [key-block]}
  - {name: open, targets: [{provider: local, model: mock-1}], guardrails: [bad-open]}
  - {name: closed, targets: [{provider: local, model: mock-1}], guardrails: [bad-closed]}
  - {name: none, targets: [{provider: local, model: mock-1}], guardrails: []}
  - {name: script, targets: [{provider: raw, model: sse-script}], guardrails: [key-redact]}
  - {name: endless, targets: [{provider: raw, model: sse-endless}], guardrails: [key-redact]}
  - {name: endless-none, targets: [{provider: raw, model: sse-endless}], guardrails: []}
YAML
)
start_warden "$CFG" || { echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }

N=0
# req BODY: one request read as it arrives; the result (JSON) in $TMP/r.json: status, raw,
# texts {"<choice>.<field>": text}, events (content-carrying events), first_text_ms, total_ms,
# done, error.
req() {
    N=$((N + 1))
    python3 "$HERE/sse_read.py" "$WARDEN" "$1" "sg$N-$$" >"$TMP/r.json"
}
r() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$TMP/r.json" "$1"; }
# leaks: "yes" if any 8-character piece of $SECRET is in the raw bytes or in any text
leaks() {
    python3 - "$TMP/r.json" "$SECRET" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); s = sys.argv[2]
hay = [d["raw"]] + list(d["texts"].values())
print("yes" if any(s[i:i + 8] in h for i in range(len(s) - 7) for h in hay) else "no")
PY
}
mock_body() { # MODEL CONTENT CHUNKS INTERVAL_MS [EXTRA_JSON]
    printf '{"model":"%s","stream":true,"messages":[{"role":"user","content":"hi"}],"mock":{"content":"%s","chunks":%s,"chunk_interval_ms":%s,"ttft_ms":0}%s}' \
        "$1" "$2" "$3" "$4" "${5:-}"
}

# ---- a secret split across a 40-chunk answer
PROSE="The deployment finished without errors and the service is healthy again after the restart."
CONTENT="$PROSE Use the key $SECRET to call the staging API. $PROSE $PROSE"
req "$(mock_body redact "$CONTENT" 40 25)"
check "split secret: 200" eq "$(r 'd["status"]')" 200
check "split secret: masked" eq "$(r 'd["texts"].get("0.content")')" "$PROSE Use the key [REDACTED] to call the staging API. $PROSE $PROSE"
check "split secret: no 8-character piece reaches the client" eq "$(leaks)" no
check "split secret: arrives in many chunks ($(r 'd["events"]'))" ge "$(r 'd["events"]')" 25
check "split secret: first text early, not at the end (the 5th chunk leaves at 100 ms; $(r 'd["first_text_ms"]') ms < $(slow_ms 100))" lt "$(r 'd["first_text_ms"]')" "$(slow_ms 100)"
check "split secret: [DONE]" eq "$(r 'd["done"]')" True

# ---- one character per chunk (redact, then block)
CONTENT="key: $SECRET, done"
req "$(mock_body redact "$CONTENT" ${#CONTENT} 2)"
check "one char per chunk, redact: masked" eq "$(r 'd["texts"].get("0.content")')" "key: [REDACTED], done"
check "one char per chunk, redact: no 8-character piece" eq "$(leaks)" no
check "one char per chunk, redact: text before the secret flows (events $(r 'd["events"]'))" ge "$(r 'd["events"]')" 6
req "$(mock_body block "$CONTENT" ${#CONTENT} 2)"
check "one char per chunk, block: error event" contains "$(r 'str(d["error"])')" "guardrail_blocked"
check "one char per chunk, block: no [DONE]" eq "$(r 'd["done"]')" False
check "one char per chunk, block: no 8-character piece" eq "$(leaks)" no
check "one char per chunk, block: the text before it went out" eq "$(r 'd["texts"].get("0.content")')" "key: "

# ---- the tail of a growing match is never released (the old [REDACTED]AAAAAAAAAA)
CONTENT="x sk-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA y"
req "$(mock_body redact "$CONTENT" 200 0)"
check "growing match in 200 chunks: redacted whole" eq "$(r 'd["texts"].get("0.content")')" "x [REDACTED] y"

# ---- short answers are not held whole
SHORT="This short answer has about one hundred and fifty bytes of text and no secret at all, so it streams as it comes in forty small chunks."
req "$(mock_body redact "$SHORT" 40 15)"
check "short answer: full text" eq "$(r 'd["texts"].get("0.content")')" "$SHORT"
check "short answer: arrives in many chunks ($(r 'd["events"]'))" ge "$(r 'd["events"]')" 30

# ---- overflow: a possible match longer than the window (256) ends the stream
LONGKEY="sk-$(printf 'A%.0s' $(seq 1 400))"
req "$(mock_body redact "before $LONGKEY after" 40 0)"
check "overflow: error event" contains "$(r 'str(d["error"])')" "stream window"
check "overflow: no [DONE]" eq "$(r 'd["done"]')" False
check "overflow: nothing of the match went out" eq "$(r 'd["texts"].get("0.content")')" "before "

# ---- tool-call arguments (mock) split across chunks
req "$(printf '{"model":"redact","stream":true,"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{}}}],"mock":{"tool_call":{"name":"f","arguments":"{\\"key\\":\\"%s\\"}"},"chunks":20,"ttft_ms":0}}' "$SECRET")"
check "tool_calls arguments: masked" eq "$(r 'd["texts"].get("0.tool0")')" '{"key":"[REDACTED]"}'
check "tool_calls arguments: no 8-character piece" eq "$(leaks)" no

# ---- scripted events (raw upstream): n = 2, reasoning_content, logprobs, duplicates
script_body() { # EVENTS_JSON_ARRAY
    printf '{"model":"script","stream":true,"messages":[{"role":"user","content":"hi"}],"script":{"events":%s}}' "$1"
}
EVENTS=$(python3 - "$SECRET" <<'PY'
import json, sys
s = sys.argv[1]
t1 = "choice one says " + s + " ok"
out = [{"id": "x", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}, {"index": 1, "delta": {"role": "assistant", "content": ""}}]}]
for i in range(0, len(t1), 3):
    out.append({"id": "x", "choices": [{"index": 0, "delta": {"content": "zero %d " % i}}]})
    out.append({"id": "x", "choices": [{"index": 1, "delta": {"content": t1[i:i + 3]}}]})
out.append({"id": "x", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}, {"index": 1, "delta": {}, "finish_reason": "stop"}]})
print(json.dumps(out))
PY
)
req "$(script_body "$EVENTS")"
check "n=2: choice 1 masked" eq "$(r 'd["texts"].get("1.content")')" "choice one says [REDACTED] ok"
check "n=2: choice 0 intact" eq "$(r 'd["texts"].get("0.content", "")[:7]')" "zero 0 "
check "n=2: no 8-character piece" eq "$(leaks)" no
check "n=2: [DONE]" eq "$(r 'd["done"]')" True

EVENTS=$(python3 - "$SECRET" <<'PY'
import json, sys
s = sys.argv[1]
t = "thinking about " + s + " now"
out = [{"id": "x", "choices": [{"index": 0, "delta": {"reasoning_content": t[i:i + 2]}}]} for i in range(0, len(t), 2)]
out += [{"id": "x", "choices": [{"index": 0, "delta": {"content": ""}, "logprobs": {"content": [{"token": t[i:i + 4], "logprob": -0.1, "bytes": [ord(c) for c in t[i:i + 4]], "top_logprobs": [{"token": t[i:i + 4], "logprob": -0.1}]}]}}]} for i in range(0, len(t), 4)]
out.append({"id": "x", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
print(json.dumps(out))
PY
)
req "$(script_body "$EVENTS")"
check "reasoning_content: masked" eq "$(r 'd["texts"].get("0.reasoning_content")')" "thinking about [REDACTED] now"
check "logprobs tokens: masked" eq "$(r 'd["texts"].get("0.logprobs")')" "thinking about [REDACTED] now"
check "logprobs bytes: dropped" eq "$(r 'd["nulled_bytes"]')" True
check "reasoning + logprobs: no 8-character piece" eq "$(leaks)" no

EVENTS='["{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"safe\",\"content\":\"'"$SECRET"'\"}}]}"]'
req "$(script_body "$EVENTS")"
check "duplicate content key: stream ends with an error" contains "$(r 'str(d["error"])')" "repeats a member"
check "duplicate content key: code unverifiable_response" contains "$(r 'str(d["error"])')" "unverifiable_response"
EVENTS='["{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"'"$SECRET"'\"}}]"]'
req "$(script_body "$EVENTS")"
check "event that is not JSON: stream ends with an error" contains "$(r 'str(d["error"])')" "unverifiable_response"
check "event that is not JSON: no 8-character piece" eq "$(leaks)" no
check "duplicate content key: no 8-character piece" eq "$(leaks)" no
EVENTS='["{\"choices\":[{\"index\":0,\"delta\":{\"c\\u006fntent\":\"'"$SECRET"' \"}}]}"]'
req "$(script_body "$EVENTS")"
check "escaped content key: read and masked" eq "$(r 'd["texts"].get("0.content")')" "[REDACTED] "

# ---- per-pattern errors: (a+)+b exceeds the PCRE2 match limit on this text; the key pattern still runs
BAD="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac key $SECRET ab"
req "$(mock_body open "$BAD" 10 0)"
# (the stream checks "ab" again once it arrives, after the failed part: it may be redacted too)
check "pattern error, fail_open, stream: the other pattern still redacts" contains "$(r 'd["texts"].get("0.content")')" \
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac key [REDACTED] "
check "pattern error, fail_open, stream: no 8-character piece" eq "$(leaks)" no
curl -s -o "$TMP/ns.json" "$WARDEN/v1/chat/completions" -H 'content-type: application/json' \
    -d '{"model":"open","messages":[{"role":"user","content":"hi"}],"mock":{"content":"'"$BAD"'"}}'
check "pattern error, fail_open, non-stream: the other pattern still redacts" eq \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["choices"][0]["message"]["content"])' "$TMP/ns.json")" \
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac key [REDACTED] ab"
req "$(mock_body closed "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac ab" 5 0)"
check "pattern error, fail_closed, stream: ends with an error event" contains "$(r 'str(d["error"])')" "could not be evaluated"

# ---- memory: 50 clients that never read a guarded stream (bounded: 20000 events each at most)
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$WARDEN_PID/status"; }
hold_clients() { # MODEL SECONDS STOPFILE: 50 connections that send a request and never read, for
    # SECONDS or until STOPFILE exists
    python3 - "$WARDEN_PORT" "$1" "$2" "$3" <<'PY'
import os, socket, sys, time
port, model, secs, stop = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4]
body = ('{"model":"%s","stream":true,"messages":[{"role":"user","content":"hi"}]}' % model).encode()
socks = []
for i in range(50):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    socks.append(s)
end = time.monotonic() + secs
while time.monotonic() < end and not os.path.exists(stop):
    time.sleep(0.02)
for s in socks:
    s.close()
PY
}
req "$(mock_body redact "warm up" 2 0)"
BASE=$(rss_kb)
# after_rss: RSS once they left, polled for up to 2 s until within 10 MB of the baseline (it was
# read once after a fixed 2 s)
after_rss() {
    local i rss
    for i in $(seq 1 40); do
        rss=$(rss_kb)
        [ $((rss - BASE)) -lt $((10 * 1024)) ] && break
        sleep 0.05
    done
    echo "$rss"
}
# the clients are let go once the peak is read (they held on a second longer before)
hold_clients endless 4 "$TMP/hold-stop" &
HOLD=$!
sleep 3
PEAK=$(rss_kb)
touch "$TMP/hold-stop"
wait "$HOLD"
AFTER=$(after_rss)
case "$WARDEN_BIN" in
*asan*) # ASan's quarantine keeps freed memory resident: RSS says nothing there
    echo "  info $TEST_NAME: sanitizer build, RSS limits not checked" >&2 ;;
*)
    check "memory: 50 non-reading clients: RSS growth $(((PEAK - BASE) / 1024)) MB <= 20 MB ($BASE -> $PEAK kB)" lt $((PEAK - BASE)) $((20 * 1024))
    check "memory: after they leave, within 10 MB of the baseline ($AFTER kB)" lt $((AFTER - BASE)) $((10 * 1024))
    ;;
esac
check "memory: warden alive" alive
echo "  info $TEST_NAME: RSS kB baseline $BASE, 50 non-reading guarded clients $PEAK, after $AFTER" >&2
# the same without a guard, for comparison (reported, not checked)
rm -f "$TMP/hold-stop"
hold_clients endless-none 4 "$TMP/hold-stop" &
HOLD=$!
sleep 3
PEAK0=$(rss_kb)
touch "$TMP/hold-stop"
wait "$HOLD"
echo "  info $TEST_NAME: then unguarded: 50 non-reading clients $PEAK0, after $(after_rss)" >&2

finish
