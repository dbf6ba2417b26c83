#!/usr/bin/env bash
# Guard coverage end to end (README "What the guardrails read"): the request Warden routes and
# checks is the one the upstream gets (duplicate and escaped keys), every text the model reads
# is checked on input, every text it writes is checked on output, and what cannot be checked is
# refused. Against raw_upstream.py, whose cov-* scenarios script the answers.
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

[ -x "$WARDEN_BIN" ] || { echo "$TEST_NAME: build first (make)"; echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }

RAW_PORT=$(free_port)
python3 "$HERE/raw_upstream.py" "$RAW_PORT" 2>"$TMP/raw_upstream.log" &
PIDS+=($!)
RAW=http://127.0.0.1:$RAW_PORT
wait_port "$RAW_PORT" || { echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }

S=sk-AAAAAAAAAAAAAAAAAAAAAAAA      # the client's secret (input)
OUT_S=sk-QQQQQQQQQQQQQQQQQQQQQQQQ  # the secret the cov-* answers carry (raw_upstream.py COV_SECRET)
PAT='"sk-[A-Za-z0-9]{20,}"'

out_models() { # prefix guard scenarios...
    local prefix=$1 guard=$2 sc
    shift 2
    for sc in "$@"; do
        printf '  - {name: %s-%s, targets: [{provider: raw, model: cov-%s}], guardrails: [%s]}\n' "$prefix" "$sc" "$sc" "$guard"
    done
}
SCENARIOS="clean content tool-calls reasoning legacy-text choice1 text-plain gzip gzip-clean deflate deflate-raw br sse dup-key"

CFG=$(
    cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 1, drain_timeout_ms: 3000}
providers:
  - {name: raw, type: openai, base_url: "$RAW/v1", api_key_env: OPENAI_API_KEY}
guardrails:
  - {name: in-rx, type: regex, patterns: [$PAT]}
  - {name: in-strict, type: regex, patterns: [$PAT], unknown_fields: refuse, non_text: refuse}
  - {name: out-rx, type: regex, stage: output, patterns: [$PAT]}
  - {name: out-red, type: regex, stage: output, action: redact, patterns: [$PAT]}
models:
  - {name: in, targets: [{provider: raw, model: cov-clean}], guardrails: [in-rx]}
  - {name: strict, targets: [{provider: raw, model: cov-clean}], guardrails: [in-strict]}
  - {name: other, targets: [{provider: raw, model: cov-other}], guardrails: []}
$(out_models out out-rx $SCENARIOS)
$(out_models red out-red $SCENARIOS)
$(out_models none "" $SCENARIOS)
YAML
)
start_warden "$CFG" || { echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }

N=0
# send BODY [path]: one request with a fresh x-request-id ($RID); status(), body in $TMP/body
send() {
    N=$((N + 1))
    RID="cov$N-$$"
    curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -H 'Content-Type: application/json' --max-time 20 \
        -H "x-request-id: $RID" --data-binary "$1" "$WARDEN${2:-/v1/chat/completions}" >"$TMP/status"
}
body() { cat "$TMP/body"; }
json_field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$TMP/body" "$1" 2>/dev/null; }
err_code() { json_field 'd["error"]["code"]'; }
# what the upstream received for this request id: count, or a field of the last body
upstream() {
    curl -s "$RAW/_stats" | python3 -c '
import json, sys
rid, expr = sys.argv[1:3]
rs = [r for c in json.load(sys.stdin)["conns"] for r in c["requests"] if r["rid"] == rid]
print(eval(expr))' "$RID" "$1"
}
upstream_count() { upstream 'len(rs)'; }
no_secret_in_body() { ! grep -q -- "$1" "$TMP/body"; }

# ---- one body: duplicate and escaped keys
send '{"model":"in","messages":[{"role":"user","content":"hi"}],"model":"other"}'
check "duplicate model: 400" eq "$(status)" 400
check "duplicate model: code duplicate_key" eq "$(err_code)" duplicate_key
check "duplicate model: message names the key" contains "$(body)" '\"model\"'
check "duplicate model: nothing upstream" eq "$(upstream_count)" 0
send '{"model":"out-content","stream":false,"messages":[{"role":"user","content":"hi"}],"stream":true}'
check "duplicate stream: 400 duplicate_key" eq "$(status) $(err_code)" "400 duplicate_key"
send '{"model":"in","messages":[{"role":"user","content":"a","c\u006fntent":"'$S'"}]}'
check "escaped duplicate inside a message: 400 duplicate_key" eq "$(status) $(err_code)" "400 duplicate_key"
check "escaped duplicate: path named" contains "$(body)" "messages[0]"
send '{"m\u006fdel":"in","messages":[{"role":"user","content":"'$S'"}]}'
check "escaped model key routes to its guarded model: blocked" eq "$(status)" 400
check "escaped model key: nothing upstream" eq "$(upstream_count)" 0
send '{"m\u006fdel":"other","messages":[{"role":"user","content":"hi"}]}'
check "escaped model key: 200" eq "$(status)" 200
check "escaped model key: the upstream runs the routed target" eq "$(upstream 'json.loads(rs[-1]["body"])["model"]')" cov-other

# ---- every text the model reads (input regex guard: blocked, nothing upstream)
in_case() { # name body [path]
    send "$2" "${3:-}"
    check "input $1: blocked" eq "$(status)" 400
    check "input $1: code guardrail_blocked" eq "$(err_code)" guardrail_blocked
    check "input $1: nothing upstream" eq "$(upstream_count)" 0
}
M='{"role":"user","content":"hi"}'
in_case "message name" '{"model":"in","messages":[{"role":"user","content":"hi","name":"'$S'"}]}'
in_case "tool_calls arguments" '{"model":"in","messages":['$M',{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"k\":\"'$S'\"}"}}]},{"role":"tool","tool_call_id":"c1","content":"ok"}]}'
in_case "legacy function_call" '{"model":"in","messages":['$M',{"role":"assistant","function_call":{"name":"f","arguments":"'$S'"}}]}'
in_case "tools description" '{"model":"in","messages":['$M'],"tools":[{"type":"function","function":{"name":"f","description":"use '$S'"}}]}'
in_case "tools parameters" '{"model":"in","messages":['$M'],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string","description":"'$S'"}}}}}]}'
in_case "refusal part" '{"model":"in","messages":[{"role":"assistant","content":[{"type":"refusal","refusal":"'$S'"}]}]}'
in_case "input_text part" '{"model":"in","messages":[{"role":"user","content":[{"type":"input_text","text":"'$S'"}]}]}'
in_case "typeless part" '{"model":"in","messages":[{"role":"user","content":[{"text":"'$S'"}]}]}'
in_case "unknown field" '{"model":"in","messages":['$M'],"x_notes":{"deep":["'$S'"]}}'
in_case "unknown key" '{"model":"in","messages":['$M'],"'$S'":1}'
in_case "escaped letters" '{"model":"in","messages":[{"role":"user","content":"\u0073k-\u0041AAAAAAAAAAAAAAAAAAAAAA\u0041"}]}'
in_case "embeddings input beside messages" '{"model":"in","input":"'$S'","messages":[{"role":"user","content":"hi"}]}' /v1/embeddings
in_case "embeddings messages beside input" '{"model":"in","input":"hello","messages":[{"role":"user","content":"'$S'"}]}' /v1/embeddings
in_case "embeddings messages beside input (chat)" '{"model":"in","messages":['$M'],"input":"'$S'"}'
send '{"model":"in","messages":[{"role":"user","content":"hello there"}]}'
check "input: a clean request passes" eq "$(status)" 200
send '{"model":"in","input":[[1,2,3]]}' /v1/embeddings
check "embeddings token arrays with an input guard: 400 unsupported_input" eq "$(status) $(err_code)" "400 unsupported_input"
send '{"model":"in","messages":[{"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"http://x/i.png"}}]}]}'
check "non-text part passes (non_text: pass)" eq "$(status)" 200
check "non-text part: x-warden-guardrails says unchecked" contains "$(header x-warden-guardrails)" "non_text=unchecked"
send '{"model":"strict","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://x/i.png"}}]}]}'
check "non_text: refuse -> 400 non_text_content" eq "$(status) $(err_code)" "400 non_text_content"
send '{"model":"strict","messages":['$M'],"x_notes":"hello"}'
check "unknown_fields: refuse -> 400 unknown_field" eq "$(status) $(err_code)" "400 unknown_field"
check "unknown_fields: refuse names the field" contains "$(body)" "x_notes"
send '{"model":"strict","messages":['$M'],"temperature":0.2,"user":"u1","stop":["x"]}'
check "unknown_fields: refuse lets known parameters pass" eq "$(status)" 200

# ---- every text the model writes (output regex guard: blocked; or 502 when unreadable)
chat_to() { send '{"model":"'$1'","messages":[{"role":"user","content":"hi"}]}'; }
for sc in content tool-calls reasoning legacy-text choice1 gzip deflate deflate-raw; do
    chat_to "out-$sc"
    check "output $sc: blocked" eq "$(status) $(err_code)" "400 guardrail_blocked"
    check "output $sc: the secret does not reach the client" no_secret_in_body "$OUT_S"
done
for sc in text-plain br dup-key; do
    chat_to "out-$sc"
    check "output $sc: 502 unverifiable_response" eq "$(status) $(err_code)" "502 unverifiable_response"
    check "output $sc: the secret does not reach the client" no_secret_in_body "$OUT_S"
done
chat_to out-sse
check "output: SSE answer to a non-stream request is filtered" no_secret_in_body "$OUT_S"
check "output: SSE answer to a non-stream request is sent as a stream" contains "$(header content-type)" "text/event-stream"
chat_to out-gzip-clean
check "output gzip (clean): 200" eq "$(status)" 200
check "output gzip (clean): decoded, so no Content-Encoding" eq "$(header content-encoding)" ""
check "output gzip (clean): the decoded answer" eq "$(json_field 'd["choices"][0]["message"]["content"]')" "zipped and clean"
chat_to none-gzip-clean
check "no output guard: gzip answer keeps its Content-Encoding" eq "$(header content-encoding)" gzip
check "no output guard: body relayed still encoded" eq "$(gzip -dc "$TMP/body" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["choices"][0]["message"]["content"])')" "zipped and clean"
chat_to none-text-plain
check "no output guard: text/plain relayed as is" eq "$(status)" 200
check "unverifiable answers are counted" ge "$(curl -s "$WARDEN/metrics" | awk '/^warden_unverifiable_responses_total/ {print $2}')" 1

# redaction splices the answer: valid JSON, secret gone, structure kept
for sc in tool-calls reasoning legacy-text choice1 content; do
    chat_to "red-$sc"
    check "redact $sc: 200" eq "$(status)" 200
    check "redact $sc: the secret is gone" no_secret_in_body "$OUT_S"
    check "redact $sc: [REDACTED] in its place" contains "$(body)" "[REDACTED]"
    check "redact $sc: valid JSON" eq "$(json_field '"ok" if d["choices"] else "no"')" ok
done
chat_to red-tool-calls
check "redact tool-calls: arguments still a JSON string" eq "$(json_field 'json.loads(d["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])["key"]')" "[REDACTED]"

stop_all
finish
