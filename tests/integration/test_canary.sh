#!/usr/bin/env bash
# Canary tokens (prompt_injection, canary: true) through the real binary and warden-mock,
# whose `echo: system` knob answers with the system prompt it received (a model that leaks it):
#
#   - the canary is in the upstream body (first system / developer message, a new first
#     system message, a part appended to content parts), fresh per request, and never in an
#     answer that does not leak it;
#   - a leak is blocked: non-streaming (400 guardrail_blocked, reason canary_leak), in
#     content, in tool-call arguments, with JSON escapes, full-width or zero-width disguises;
#     streaming with the canary split across chunks at every position, one character per
#     chunk, and escaped: no byte of the canary past its prefix reaches the client, the stream
#     ends with the error event and never [DONE];
#   - x-warden-guardrails and the metrics show the canary check's verdicts; the canary is in
#     neither the access log nor the audit store (bodies recorded: masked).
source "$(dirname "$0")/lib.sh"

[ -x "$WARDEN_BIN" ] && [ -x "$MOCK_BIN" ] || { echo "$TEST_NAME: build first (make)"; echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }

start_mock
DB=$TMP/audit.db
start_warden "$(
    cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 1, drain_timeout_ms: 3000}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
guardrails:
  - {name: pi, type: prompt_injection, canary: true}
  - {name: pi-log, type: prompt_injection, canary: true, action: log}
  - {name: grp, type: chain, members: [pi]}
models:
  - {name: m, targets: [{provider: local, model: mock-1}], guardrails: [pi]}
  - {name: m-log, targets: [{provider: local, model: mock-1}], guardrails: [pi-log]}
  - {name: m-plain, targets: [{provider: local, model: mock-1}]}
  - {name: m-grp, targets: [{provider: local, model: mock-1}], guardrails: [grp]}
audit: {sink: sqlite, path: "$DB", bodies: true, flush_ms: 5}
YAML
)" || { echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }

CANARY_RE='wdncanary[a-z0-9]{24}'
N=0
# req JSON [curl args...]: the body in $TMP/body, status in $TMP/status, with a fresh x-request-id ($RID)
req() {
    local body=$1
    shift
    N=$((N + 1))
    RID="canary-test-$N-$RANDOM"
    chat "$body" -H "x-request-id: $RID" "$@" >/dev/null
}
# The upstream body of the last request, as the mock received it.
upstream() { mock_eval chat 'b(rs[-1]) if rs else ""'; }
canary_of() { grep -oE "$CANARY_RE" | head -1; }
# What the client got holds the canary, or its random part, or any 8 characters of it?
leaked() { # text canary
    python3 -c '
import sys
t, c = sys.argv[1], sys.argv[2]
print(any(c[i:i + 8] in t for i in range(len(c) - 7)))' "$1" "$2"
}
j() { python3 -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1])))' "$1"; }

# ---- placement
req '{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}]}'
check "no leak -> 200" eq "$(status)" 200
UP=$(upstream)
C1=$(printf '%s' "$UP" | canary_of)
check "the canary went upstream" contains "$C1" wdncanary
check "... appended to the system message" eq "$(printf '%s' "$UP" | json_get 'd["messages"][0]["content"].startswith("Be brief.\n\nSecurity canary: " + "'"$C1"'")')" True
check "... the rest of the request as sent" eq "$(printf '%s' "$UP" | json_get 'd["messages"][1] == {"role":"user","content":"hi"} and len(d["messages"]) == 2')" True
check "the answer does not carry it" eq "$(leaked "$(cat "$TMP/body")" "$C1")" False
check "x-warden-guardrails shows the canary check" contains "$(header x-warden-guardrails)" "pi.canary=pass"
req '{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}]}'
C2=$(upstream | canary_of)
check "a fresh canary per request" not_contains "$C2" "$C1"

req '{"model":"m","messages":[{"role":"user","content":"hi"}]}'
check "no system message: 200" eq "$(status)" 200
check "... a new first system message carries it" eq "$(upstream | json_get 'd["messages"][0]["role"] == "system" and "wdncanary" in d["messages"][0]["content"] and d["messages"][1] == {"role":"user","content":"hi"}')" True
req '{"model":"m","messages":[{"role":"developer","content":"Dev rules."},{"role":"user","content":"hi"}]}'
check "developer message: appended there" eq "$(upstream | json_get 'd["messages"][0]["content"].startswith("Dev rules.\n\nSecurity canary: wdncanary") and len(d["messages"]) == 2')" True
req '{"model":"m","messages":[{"role":"system","content":[{"type":"text","text":"Part one."}]},{"role":"user","content":"hi"}]}'
check "content parts: a text part appended" eq "$(upstream | json_get 'd["messages"][0]["content"][0] == {"type":"text","text":"Part one."} and d["messages"][0]["content"][1]["type"] == "text" and "wdncanary" in d["messages"][0]["content"][1]["text"]')" True
req '{"model":"m-plain","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}]}'
check "no canary guard: no canary upstream" not_contains "$(upstream)" "wdncanary"

# ---- leaks, non-streaming
leak() { # model messages-json mock-json [stream]
    local s=${4:-false}
    req "{\"model\":\"$1\",\"stream\":$s,\"mock\":$3,\"messages\":$2}"
    CANARY=$(upstream | canary_of)
}
SYS='[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}]'
leak m "$SYS" '{"echo":"system"}'
check "leak in content -> 400" eq "$(status)" 400
check "... guardrail_blocked by pi.canary" eq "$(json_get 'd["error"]["code"] + " " + d["error"]["guardrail"]["name"]' <"$TMP/body")" "guardrail_blocked pi.canary"
check "... reason canary_leak" eq "$(json_get 'd["error"]["guardrail"]["reason"]' <"$TMP/body")" canary_leak
check "... the error does not quote it" eq "$(leaked "$(cat "$TMP/body")" "$CANARY")" False
check "... x-warden-guardrails says block" contains "$(header x-warden-guardrails)" "pi.canary=block"
for form in escaped fullwidth zero_width; do
    leak m "$SYS" "{\"echo\":\"system\",\"echo_form\":\"$form\"}"
    check "leak $form -> 400 canary_leak" eq "$(status) $(json_get 'd["error"]["guardrail"]["reason"]' <"$TMP/body")" "400 canary_leak"
done
TOOLS='"tools":[{"type":"function","function":{"name":"save","parameters":{"type":"object"}}}]'
req "{\"model\":\"m\",$TOOLS,\"mock\":{\"echo\":\"system\",\"tool_call\":{\"name\":\"save\"}},\"messages\":$SYS}"
check "leak in tool-call arguments -> 400" eq "$(status) $(json_get 'd["error"]["guardrail"]["reason"]' <"$TMP/body")" "400 canary_leak"
req "{\"model\":\"m\",$TOOLS,\"mock\":{\"echo\":\"system\",\"echo_form\":\"escaped\",\"tool_call\":{\"name\":\"save\"}},\"messages\":$SYS}"
check "leak in tool-call arguments, escaped -> 400" eq "$(status)" 400
leak m '[{"role":"system","content":[{"type":"text","text":"Part one."}]},{"role":"user","content":"hi"}]' '{"echo":"system"}'
check "leak of a parts system prompt -> 400" eq "$(status)" 400
leak m '[{"role":"user","content":"hi"}]' '{"echo":"system"}'
check "leak of the added system message -> 400" eq "$(status)" 400
leak m-grp "$SYS" '{"echo":"system"}'
check "a canary guard inside a chain: placed, and the leak blocked" eq "$(status) $CANARY $(header x-warden-guardrails)" "400 $CANARY grp=pass, pi.canary=block"
check "... it was placed" contains "$CANARY" wdncanary
leak m-log "$SYS" '{"echo":"system"}'
check "action log: delivered, flagged" eq "$(status) $(header x-warden-guardrails)" "200 pi-log=pass, pi-log.canary=flagged"

# ---- leaks, streaming
sse_ok() { # the stream in $TMP/body leaked nothing of $CANARY and ended with the block
    local body
    body=$(cat "$TMP/body")
    [ "$(leaked "$(printf '%s' "$body" | sse_text)" "$CANARY")" = False ] && [ "$(leaked "$body" "$CANARY")" = False ] &&
        case "$body" in *'[DONE]'*) return 1 ;; esac &&
        case "$body" in *canary_leak*) return 0 ;; esac
    echo "    stream: $(head -c 400 "$TMP/body")" >&2
    return 1
}
leak m "$SYS" '{"echo":"system","chunk_interval_ms":0,"chunks":400}' true
check "stream, one character per chunk: blocked, nothing leaked" sse_ok
leak m "$SYS" '{"echo":"system","chunk_interval_ms":0,"chunks":40,"echo_form":"escaped"}' true
check "stream, JSON escapes: blocked" sse_ok
leak m "$SYS" '{"echo":"system","chunk_interval_ms":0,"chunks":40,"echo_form":"zero_width"}' true
check "stream, zero-width: blocked" sse_ok
req "{\"model\":\"m\",\"stream\":true,$TOOLS,\"mock\":{\"echo\":\"system\",\"chunk_interval_ms\":0,\"chunks\":30,\"tool_call\":{\"name\":\"save\"}},\"messages\":$SYS}"
CANARY=$(upstream | canary_of)
check "stream, tool-call arguments: blocked" sse_ok
leak m "$SYS" '{"chunk_interval_ms":0,"chunks":5}' true
check "stream without a leak completes" contains "$(cat "$TMP/body")" "[DONE]"

# Every split position: two chunks cut in the middle of the echoed text; a system prompt of
# growing length moves the cut across the canary, one byte per two characters. The text after
# the canary (its note's end, R bytes) sets which lengths put the cut inside it. One python
# process drives the 73 streams (subprocesses per request would dominate the run time).
R=$(printf '%s' "$UP" | json_get 'len(d["messages"][0]["content"]) - d["messages"][0]["content"].index("wdncanary") - 33')
SPLIT=$(python3 - "$WARDEN" "$MOCK" "$R" <<'PY'
import json, re, sys, urllib.request
warden, mock, r = sys.argv[1], sys.argv[2], int(sys.argv[3])
bad, cuts, n = 0, set(), 0
for pad in range(r - 56, r + 17):
    n += 1
    rid = "canary-split-%d" % pad
    body = {"model": "m", "stream": True, "mock": {"echo": "system", "chunks": 2, "chunk_interval_ms": 0},
            "messages": [{"role": "system", "content": "x" * pad}, {"role": "user", "content": "hi"}]}
    rq = urllib.request.Request(warden + "/v1/chat/completions", json.dumps(body).encode(),
                                {"content-type": "application/json", "x-request-id": rid})
    got = urllib.request.urlopen(rq, timeout=20).read().decode()
    recs = json.load(urllib.request.urlopen(mock + "/mock/requests?limit=8", timeout=20))["requests"]
    up = [x for x in recs if x["headers"].get("x-request-id") == rid][-1]
    text = json.loads(up["body"])["messages"][0]["content"]
    canary = re.search(r"wdncanary[a-z0-9]{24}", text).group(0)
    cuts.add(len(text.encode()) // 2 - text.index(canary))
    client_text = "".join(json.loads(l[6:])["choices"][0]["delta"].get("content") or ""
                          for l in got.splitlines() if l.startswith("data: {\"id\""))
    leak = any(canary[i:i + 8] in client_text or canary[i:i + 8] in got for i in range(len(canary) - 7))
    if leak or "[DONE]" in got or "canary_leak" not in got:
        bad += 1
print(n, bad, all(k in cuts for k in range(1, 33)))
PY
)
check "every split: blocked, nothing leaked ($(echo "$SPLIT" | cut -d' ' -f1) streams)" eq "$(echo "$SPLIT" | cut -d' ' -f2)" 0
check "... the cuts covered every position inside the canary" eq "$(echo "$SPLIT" | cut -d' ' -f3)" True

# ---- metrics, logs, audit
check "metrics count the canary blocks" eq "$(curl -s "$WARDEN/metrics" | python3 -c '
import re, sys
m = re.search(r"warden_guard_verdicts_total\{guard=\"pi.canary\",verdict=\"block\"\} (\d+)", sys.stdin.read())
print(int(m.group(1)) >= 10 if m else False)')" True
check "warden alive" alive
stop_all
check "no canary in the access log nor any log line" eq "$(grep -cE "$CANARY_RE" "$WARDEN_LOG")" 0
check "no canary in the audit store" eq "$(python3 -c '
import re, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
rows = c.execute("select coalesce(request_body,\"\") || coalesce(response_body,\"\") || coalesce(guardrails,\"\") from audit_log").fetchall()
print(sum(1 for (t,) in rows if re.search(sys.argv[2], t)))' "$DB" "$CANARY_RE")" 0
check "... a leaking answer is stored masked" ge "$(python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("select count(*) from audit_log where response_body like \"%[CANARY]%\"").fetchone()[0])' "$DB")" 1
finish
