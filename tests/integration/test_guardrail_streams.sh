#!/usr/bin/env bash
# Guardrails and time: concurrent vs blocking input checks, cancellation of the upstream call
# when a concurrent check fails, re-send after a concurrent redaction, async_post checks that
# never delay the answer; and output checks on streamed answers (inline redaction across chunk
# boundaries, blocking mid-stream, slow checks every N tokens with stream_first false/true).
#
# The mock is the LLM (knobs in the body's "mock" object: ttft_ms, chunks, chunk_interval_ms,
# content) and the guard service (POST /guardrail; delay and verdict via the guard's headers).
# Times are measured by a small python client that reads the SSE stream as it arrives.
source "$(dirname "$0")/lib.sh"

[ -x "$WARDEN_BIN" ] && [ -x "$MOCK_BIN" ] || { echo "$TEST_NAME: build first (make)"; echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }

start_mock
SECRET=sk-AAAAAAAAAAAAAAAAAAAAAAAAA

model() { # NAME GUARDS...
    local name=$1
    shift
    local list
    list=$(printf '%s, ' "$@")
    printf '  - {name: %s, targets: [{provider: local, model: mock-1}], guardrails: [%s]}\n' "$name" "${list%, }"
}

CFG=$(
    cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 1, drain_timeout_ms: 3000}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
guardrails:
  - {name: wh-conc, type: webhook, timing: concurrent, url: "@MOCK@/guardrail", headers: {x-mock-delay-ms: "300"}}
  - {name: wh-blocking, type: webhook, timing: blocking, url: "@MOCK@/guardrail", headers: {x-mock-delay-ms: "300"}}
  - {name: wh-nocancel, type: webhook, timing: concurrent, cancel_on_failure: false, url: "@MOCK@/guardrail", headers: {x-mock-delay-ms: "300"}}
  - {name: wh-conc-redact, type: webhook, timing: concurrent, action: redact, url: "@MOCK@/guardrail", headers: {x-mock-delay-ms: "300"}}
  - {name: ap-wh, type: webhook, timing: async_post, timeout_ms: 5000, url: "@MOCK@/guardrail", headers: {x-mock-delay-ms: "2000"}}
  - {name: s-rx-redact, type: regex, stage: output, action: redact, patterns: ["sk-[A-Za-z0-9]{25}"]}
  - {name: s-kw-block, type: keywords, stage: output, keywords: [forbidden]}
  - {name: s-wh, type: webhook, stage: output, timeout_ms: 3000, url: "@MOCK@/guardrail", headers: {x-mock-delay-ms: "300"}, stream: {chunk_tokens: 5}}
  - {name: s-wh-first, type: webhook, stage: output, timeout_ms: 3000, url: "@MOCK@/guardrail", headers: {x-mock-delay-ms: "300"}, stream: {chunk_tokens: 5, stream_first: true}}
  - {name: s-wh-ctx, type: webhook, stage: output, timeout_ms: 3000, url: "@MOCK@/guardrail", stream: {chunk_tokens: 5, context_tokens: 5}}
  - {name: s-wh-noctx, type: webhook, stage: output, timeout_ms: 3000, url: "@MOCK@/guardrail", stream: {chunk_tokens: 5}}
  - {name: s-wh-redact, type: webhook, stage: output, action: redact, url: "@MOCK@/guardrail"}
models:
  - {name: t-none, targets: [{provider: local, model: mock-1}], guardrails: []}
$(model t-conc wh-conc)
$(model t-blocking wh-blocking)
$(model t-nocancel wh-nocancel)
$(model t-conc-redact wh-conc-redact)
$(model t-async ap-wh)
$(model s-redact s-rx-redact)
$(model s-block s-kw-block)
$(model s-slow s-wh)
$(model s-slow-first s-wh-first)
$(model s-slow-redact s-wh-redact)
$(model s-slow-ctx s-wh-ctx)
$(model s-slow-noctx s-wh-noctx)
YAML
)

N=0
# req BODY: one request (streaming or not) read by a python client as it arrives; results in
# $TMP/r.json: status, headers, total_ms, first_content_ms, text, done, error, raw. $RID is its id.
req() {
    N=$((N + 1))
    RID="gs$N-$$"
    python3 - "$WARDEN" "$1" "$RID" >"${ROUT:-$TMP/r.json}" <<'PY'
import http.client, json, sys, time, urllib.parse
base, body, rid = sys.argv[1:4]
u = urllib.parse.urlparse(base)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
t0 = time.monotonic()
ms = lambda: round((time.monotonic() - t0) * 1000)
c.request("POST", "/v1/chat/completions", body=body, headers={"Content-Type": "application/json", "x-request-id": rid})
r = c.getresponse()
out = {"status": r.status, "headers": {k.lower(): v for k, v in r.getheaders()}, "first_content_ms": None,
       "text": "", "done": False, "error": None, "events_after_error": 0, "content_events": 0}
raw = b""
buf = b""
try:
    while True:
        chunk = r.read1(65536)
        if not chunk:
            break
        raw += chunk
        buf += chunk
        while b"\n\n" in buf:
            ev, buf = buf.split(b"\n\n", 1)
            for line in ev.decode("utf-8", "replace").split("\n"):
                if not line.startswith("data: "):
                    continue
                data = line[6:]
                if out["error"] is not None:
                    out["events_after_error"] += 1
                if data == "[DONE]":
                    out["done"] = True
                    continue
                try:
                    o = json.loads(data)
                except ValueError:
                    continue
                if "error" in o:
                    out["error"] = o["error"]
                    continue
                for ch in o.get("choices", []):
                    t = (ch.get("delta") or {}).get("content")
                    if t:
                        out["text"] += t
                        out["content_events"] += 1
                        if out["first_content_ms"] is None:
                            out["first_content_ms"] = ms()
except Exception as e:
    out["read_error"] = str(e)
out["total_ms"] = ms()
out["raw"] = raw.decode("utf-8", "replace")
print(json.dumps(out))
PY
}
# r EXPR: python expression over the last result d
r() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$TMP/r.json" "$1"; }
body_of() { # MODEL CONTENT MOCK_JSON [STREAM]
    printf '{"model":"%s","stream":%s,"messages":[{"role":"user","content":"%s"}],"mock":%s}' "$1" "${4:-false}" "$2" "$3"
}
metric() { curl -s "$WARDEN/metrics" | grep -v '^#' | grep -F "$1" | awk '{print $2}' | head -1; }

# ---- cold start: the first requests of a fresh worker must not wait for each other
# The upper bounds widen on slow builds (slow_ms) but stay under what the fault would take: the
# check then the LLM call one after the other is >= 1300 ms, two serialised calls 2000 ms.
CONC_MS=$(slow_ms 1150 1250)
start_warden "$CFG" || { echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }
req "$(body_of t-conc hello '{"ttft_ms":1000}')"
check "cold: concurrent guard + LLM on a fresh worker: 200" eq "$(r 'd["status"]')" 200
check "cold: concurrent total < $CONC_MS ms ($(r 'd["total_ms"]') ms)" lt "$(r 'd["total_ms"]')" "$CONC_MS"
check "cold: guard and LLM calls started together" eq "$(curl -s "$MOCK/mock/requests?limit=2" | python3 -c 'import json,sys; rs=json.load(sys.stdin)["requests"]; print(abs(rs[0]["started_ms"]-rs[1]["started_ms"]) < '"$(slow_ms 100 250)"')')" True
kill "$WARDEN_PID" 2>/dev/null
wait "$WARDEN_PID" 2>/dev/null
start_warden "$CFG" || { echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }
par=()
for i in 1 2; do
    (N=$((N + 100 + i)) ROUT="$TMP/par$i.json" req "$(body_of t-none hi '{"ttft_ms":1000}')") &
    par+=($!)
done
wait "${par[@]}" # not a bare wait: the mock and warden are children too
par_max=$(python3 -c 'import json; print(max(json.load(open(f))["total_ms"] for f in ["'"$TMP"'/par1.json","'"$TMP"'/par2.json"]))')
check "cold: two parallel requests to one provider are not serialised ($par_max ms < $(slow_ms 1500 1900))" lt "$par_max" "$(slow_ms 1500 1900)"

# ---- concurrent vs blocking (warm connections)
req "$(body_of t-none warmup '{}')"
req "$(body_of t-conc hello '{"ttft_ms":1000}')"
check "concurrent: 200" eq "$(r 'd["status"]')" 200
check "concurrent: total < $CONC_MS ms ($(r 'd["total_ms"]') ms)" lt "$(r 'd["total_ms"]')" "$CONC_MS"
check "concurrent: x-warden-guardrails" eq "$(r 'd["headers"].get("x-warden-guardrails")')" "wh-conc=pass"
req "$(body_of t-blocking hello '{"ttft_ms":1000}')"
check "blocking: 200" eq "$(r 'd["status"]')" 200
check "blocking: total >= 1250 ms ($(r 'd["total_ms"]') ms)" ge "$(r 'd["total_ms"]')" 1250
check "blocking: the LLM call starts after the check" eq "$(mock_eval chat 'len(rs)')" 1

# ---- a concurrent check fails at ~300 ms while the LLM would take 5 s
for stream in false true; do
    req "$(body_of t-conc 'hello BLOCKME' '{"ttft_ms":5000}' $stream)"
    check "concurrent fail (stream=$stream): 400" eq "$(r 'd["status"]')" 400
    check "concurrent fail (stream=$stream): guardrail error" contains "$(r 'd["raw"]')" '"code":"guardrail_blocked"'
    check "concurrent fail (stream=$stream): client has it < $(slow_ms 400) ms ($(r 'd["total_ms"]') ms)" lt "$(r 'd["total_ms"]')" "$(slow_ms 400)"
    sleep 0.1
    check "concurrent fail (stream=$stream): upstream call cancelled (client_closed)" eq "$(mock_eval chat '[r["outcome"] for r in rs]')" "['client_closed']"
    check "concurrent fail (stream=$stream): upstream closed < $(slow_ms 400) ms after start" eq "$(mock_eval chat "[r['closed_ms'] - r['started_ms'] < $(slow_ms 400) for r in rs if r['closed_ms']]")" "[True]"
done

# ---- cancel_on_failure: false: the answer is delivered, the failure recorded
req "$(body_of t-nocancel 'hello BLOCKME' '{"ttft_ms":1000}')"
check "cancel_on_failure false: 200" eq "$(r 'd["status"]')" 200
check "cancel_on_failure false: answer delivered" contains "$(r 'd["raw"]')" "Hello from warden-mock."
check "cancel_on_failure false: failure in x-warden-guardrails" eq "$(r 'd["headers"].get("x-warden-guardrails")')" "wh-nocancel=block"
check "cancel_on_failure false: upstream completed" eq "$(mock_eval chat '[r["outcome"] for r in rs]')" "['completed']"

# ---- a concurrent redaction aborts the call in flight and re-sends the redacted request
req "$(body_of t-conc-redact 'please REDACTME now' '{"ttft_ms":1000}')"
check "concurrent redact: 200" eq "$(r 'd["status"]')" 200
check "concurrent redact: two upstream calls" eq "$(mock_eval chat 'len(rs)')" 2
check "concurrent redact: the first was cancelled" eq "$(mock_eval chat 'rs[0]["outcome"] if rs else None')" client_closed
check "concurrent redact: the second carries the redacted prompt" contains "$(mock_eval chat 'b(rs[-1]) if rs else ""')" "please [MOCK-REDACTED] now"
check "concurrent redact: the second does not carry the original" not_contains "$(mock_eval chat 'b(rs[-1]) if rs else ""')" "REDACTME"
check "concurrent redact: ~300 + 1000 ms ($(r 'd["total_ms"]') ms < $(slow_ms 1600 1900))" lt "$(r 'd["total_ms"]')" "$(slow_ms 1600 1900)"

# ---- async_post: never delays the answer; its verdict lands in the metrics later
best() { # MODEL: the fastest of 3 requests, in ms
    local m=999999 i t
    for i in 1 2 3; do
        req "$(body_of "$1" hello '{}')"
        t=$(r 'd["total_ms"]')
        [ "$t" -lt "$m" ] && m=$t
    done
    echo "$m"
}
t_none=$(best t-none)
t_async=$(best t-async)
check "async_post: 200" eq "$(r 'd["status"]')" 200
check "async_post adds < $(slow_ms 25) ms (none $t_none ms, async $t_async ms)" lt "$t_async" $((t_none + $(slow_ms 25)))
check "async_post: no verdict yet" eq "$(metric 'warden_guard_verdicts_total{guard="ap-wh"')" ""
check "async_post: checks pending" eq "$(metric 'warden_async_post_pending ')" 3
# their verdicts are read 2.3 s from here, after the next sections (no webhook guard, ~1.5 s) ran
# meanwhile: a fixed 2.3 s sleep here before
t_async_pending=$(now_ms)

# ---- streamed output: inline redaction of a secret split across chunks
req "$(body_of s-redact hi '{"content":"key '$SECRET' end","chunks":10}' true)"
check "stream redact: 200" eq "$(r 'd["status"]')" 200
check "stream redact: client text redacted" eq "$(r 'd["text"]')" "key [REDACTED] end"
check "stream redact: the secret never reaches the client" not_contains "$(r 'd["raw"]')" "sk-"
check "stream redact: ends with [DONE]" eq "$(r 'd["done"] and d["raw"].rstrip().endswith("data: [DONE]")')" True
check "stream redact: no error event" eq "$(r 'd["error"]')" None
LONG=$(python3 -c 'print(" ".join("word%d" % i for i in range(120)))')
req "$(body_of s-redact hi '{"content":"'"$LONG $SECRET $LONG"'","chunks":40,"chunk_interval_ms":20}' true)"
check "stream redact (long): text = input with the secret redacted" eq "$(r 'd["text"]')" "$LONG [REDACTED] $LONG"
check "stream redact (long): no secret" not_contains "$(r 'd["raw"]')" "sk-"
check "stream redact (long): text flows before the end (first $(r 'd["first_content_ms"]') of $(r 'd["total_ms"]') ms)" \
    lt "$(r 'd["first_content_ms"]')" $(($(r 'd["total_ms"]') - 400))
check "stream redact (long): [DONE]" eq "$(r 'd["done"]')" True

# ---- streamed output: block mid-stream
req "$(body_of s-block hi '{"content":"this is fine and then forbidden stuff follows here","chunks":10}' true)"
check "stream block: 200 stream started" eq "$(r 'd["status"]')" 200
check "stream block: SSE error event" contains "$(r 'str(d["error"])')" "guardrail"
check "stream block: no [DONE]" eq "$(r 'd["done"]')" False
check "stream block: the word never reaches the client" eq "$(r '"forbidden" in d["text"]')" False
check "stream block: nothing after the error event" eq "$(r 'd["events_after_error"]')" 0

# ---- async_post (above): the verdicts after ~2 s
wait_ms=$((2300 - ($(now_ms) - t_async_pending)))
[ "$wait_ms" -gt 0 ] && sleep "$(awk "BEGIN{print $wait_ms/1000}")"
check "async_post: verdicts in /metrics after ~2 s" eq "$(metric 'warden_guard_verdicts_total{guard="ap-wh",verdict="pass"}')" 3
check "async_post: nothing pending" eq "$(metric 'warden_async_post_pending ')" 0

# ---- streamed output: a slow check every 5 tokens
CLEAN=$(python3 -c 'print(" ".join("token%02d" % i for i in range(25)))')     # 199 bytes
# "tokenNN " is 8 bytes and checks cover 20-byte spans: BLOCKME as word 10 (bytes 80-86) lies inside
# one span; as word 12 (bytes 96-102) it straddles the boundary at 100
DIRTY=$(python3 -c 'print(" ".join(("BLOCKME" if i == 10 else "token%02d" % i) for i in range(25)))')
STRADDLE=$(python3 -c 'print(" ".join(("BLOCKME" if i == 12 else "token%02d" % i) for i in range(25)))')
req "$(body_of s-slow hi '{"content":"'"$CLEAN"'","chunks":20,"chunk_interval_ms":30}' true)"
check "slow check, stream_first false: 200" eq "$(r 'd["status"]')" 200
check "slow check, stream_first false: full text" eq "$(r 'd["text"]')" "$CLEAN"
check "slow check, stream_first false: [DONE]" eq "$(r 'd["done"]')" True
check "slow check, stream_first false: checked in several chunks" ge "$(mock_eval guard 'len(rs)')" 3
check "slow check, stream_first false: first text only after a check (>= 300 ms: $(r 'd["first_content_ms"]'))" \
    ge "$(r 'd["first_content_ms"]')" 300
req "$(body_of s-slow hi '{"content":"'"$DIRTY"'","chunks":20,"chunk_interval_ms":30}' true)"
check "slow check, stream_first false: violation -> error event" contains "$(r 'str(d["error"])')" "guardrail"
check "slow check, stream_first false: no [DONE]" eq "$(r 'd["done"]')" False
check "slow check, stream_first false: unchecked text never sent" eq "$(r '"BLOCKME" in d["text"]')" False

for m in s-slow-ctx s-slow-noctx; do
    req "$(body_of $m hi '{"content":"'"$STRADDLE"'","chunks":20,"chunk_interval_ms":10}' true)"
    check "slow check ($m), match straddling a span boundary: error event" contains "$(r 'str(d["error"])')" "guardrail"
    check "slow check ($m), match straddling a span boundary: never sent whole" eq "$(r '"BLOCKME" in d["text"]')" False
done

req "$(body_of s-slow-first hi '{"content":"'"$CLEAN"'","chunks":20,"chunk_interval_ms":30}' true)"
check "slow check, stream_first true: full text" eq "$(r 'd["text"]')" "$CLEAN"
check "slow check, stream_first true: [DONE]" eq "$(r 'd["done"]')" True
check "slow check, stream_first true: text flows before any check ($(r 'd["first_content_ms"]') ms < $(slow_ms 250 290))" \
    lt "$(r 'd["first_content_ms"]')" "$(slow_ms 250 290)" # 290: under the check's 300 ms
req "$(body_of s-slow-first hi '{"content":"'"$DIRTY"'","chunks":20,"chunk_interval_ms":30}' true)"
check "slow check, stream_first true: violation -> error event" contains "$(r 'str(d["error"])')" "guardrail"
check "slow check, stream_first true: no [DONE]" eq "$(r 'd["done"]')" False

req "$(body_of s-slow-redact hi '{"content":"please REDACTME now","chunks":5}' true)"
check "stream + redacting webhook: cannot take text back -> error event" contains "$(r 'str(d["error"])')" "guardrail"
check "stream + redacting webhook: no [DONE]" eq "$(r 'd["done"]')" False
check "stream + redacting webhook: REDACTME not sent" eq "$(r '"REDACTME" in d["text"]')" False

check "warden alive" alive
check "access log lines carry guardrails" ge "$(grep -c '"guardrails":"' "$WARDEN_LOG")" 10
# graceful stop: exit status and sanitizer reports (leaks show at exit in ASan builds)
if kill -0 "$WARDEN_PID" 2>/dev/null; then
    kill -TERM "$WARDEN_PID"
    wait "$WARDEN_PID"
    rc=$?
    check "graceful shutdown exits 0 (got $rc)" eq "$rc" 0
fi
check "no sanitizer reports in the warden log" eq "$(grep -cE 'Sanitizer|runtime error:' "$WARDEN_LOG")" 0
[ "$FAIL" -gt 0 ] && grep -v '^{"id"' "$WARDEN_LOG" | tail -30 >&2
finish
