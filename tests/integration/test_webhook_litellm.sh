#!/usr/bin/env bash
# Webhook guardrails against a guard service written for LiteLLM (issue 14).
#
# litellm_guard_service.py is written only from LiteLLM's documentation of its Generic
# Guardrail API: a strict request model (422 when a field LiteLLM always sends is missing or
# mistyped), the documented path only, x-api-key required. Warden is configured the LiteLLM
# way (api_base, api_key_env, additional_provider_specific_params) and must work with it
# unchanged: masking, blocking with the service's reason, answers with no action, unknown
# actions, partial texts, texts with NONE, on_intervened / action log, the failure policy
# (on_error for bad answers, on_unreachable for a service that is down, 503 or slow), the
# /metrics counters, and litellm_call_id (Warden's own, shared by a request's two calls).
source "$(dirname "$0")/lib.sh"

[ -x "$WARDEN_BIN" ] && [ -x "$MOCK_BIN" ] || { echo "$TEST_NAME: build first (make)"; echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }

start_mock
SVC_PORT=$(free_port)
SVC_LOG="$TMP/svc-records.jsonl"
SVC_KEY="svc-key-$$"
python3 "$(dirname "$0")/litellm_guard_service.py" "$SVC_PORT" "$SVC_LOG" "$SVC_KEY" >"$TMP/svc.log" 2>&1 &
PIDS+=($!)
wait_port "$SVC_PORT"
DEAD_PORT=$(free_port) # nothing listens there
SVC="http://127.0.0.1:$SVC_PORT"
export GUARD_SVC_KEY="$SVC_KEY"

CLIENT_KEY=sk-client-team-a

CFG=$(
    cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 1, drain_timeout_ms: 3000}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
  - {name: j-dead, type: openai, base_url: "http://127.0.0.1:$DEAD_PORT/v1"}
  - {name: j-nonsense, type: openai, base_url: "@MOCK@/v1", headers: {x-mock-content: "I would rather not say"}}
api_keys:
  - {key: "$CLIENT_KEY", name: team-a-key, metadata: {team_id: team-a, user_api_key_user_id: u-17, tier: free}}
guardrails:
  - name: lg-in
    type: webhook
    api_base: "$SVC"
    api_key_env: GUARD_SVC_KEY
    timeout_ms: 2000
    additional_provider_specific_params: {threshold: 0.8, language: en, strict: true, labels: [pii, "secrets"]}
  - {name: lg-out, type: webhook, stage: output, api_base: "$SVC/", api_key_env: GUARD_SVC_KEY}
  - {name: lg-url, type: webhook, url: "$SVC/beta/litellm_basic_guardrail_api", api_key_env: GUARD_SVC_KEY}
  - {name: lg-wrong-path, type: webhook, url: "$SVC/guardrail", api_key_env: GUARD_SVC_KEY}
  - {name: lg-no-key, type: webhook, api_base: "$SVC"}
  - {name: lg-intervened-block, type: webhook, api_base: "$SVC", api_key_env: GUARD_SVC_KEY, on_intervened: block}
  - {name: lg-log, type: webhook, action: log, api_base: "$SVC", api_key_env: GUARD_SVC_KEY}
  - {name: lg-down-closed, type: webhook, api_base: "http://127.0.0.1:$DEAD_PORT", timeout_ms: 1000}
  - {name: lg-down-open, type: webhook, api_base: "http://127.0.0.1:$DEAD_PORT", on_error: fail_open}
  - {name: lg-slow-closed, type: webhook, api_base: "$SVC", api_key_env: GUARD_SVC_KEY, timeout_ms: 300}
  - {name: lg-503-open, type: webhook, api_base: "$SVC", api_key_env: GUARD_SVC_KEY, on_unreachable: fail_open}
  - {name: lg-bad-open, type: webhook, api_base: "$SVC", api_key_env: GUARD_SVC_KEY, on_error: fail_open, on_unreachable: fail_closed}
  - {name: lj-dead, type: llm_judge, model: judge-dead, on_error: fail_closed, on_unreachable: fail_open}
  - {name: lj-nonsense, type: llm_judge, model: judge-nonsense, on_error: fail_closed, on_unreachable: fail_open}
models:
  - {name: judge-dead, targets: [{provider: j-dead, model: llama-guard}]}
  - {name: judge-nonsense, targets: [{provider: j-nonsense, model: llama-guard}]}
$(for g in lg-in lg-out lg-url lg-wrong-path lg-no-key lg-intervened-block lg-log lg-down-closed lg-down-open lg-slow-closed \
    lg-503-open lg-bad-open lj-dead lj-nonsense; do model "$g" "$g"; done)
$(model lg-both lg-in lg-out)
YAML
)
start_warden "$CFG" || { echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }

N=0
# go MODEL CONTENT [MOCK_JSON]: one chat request, x-request-id $RID, duration $MS. The mock's
# knobs are sent only when given: with unknown_fields: check they are texts too.
go() {
    local model=$1 content=$2 mock=${3:+,\"mock\":$3}
    go_body "{\"model\":\"$model\",\"messages\":[{\"role\":\"user\",\"content\":\"$content\"}]$mock}"
}
go_body() {
    N=$((N + 1))
    RID=${FORCE_RID:-wl$N-$$}
    local t0
    t0=$(now_ms)
    chat "$1" -H "x-request-id: $RID" -H "Authorization: Bearer $CLIENT_KEY" -H "User-Agent: webhook-test/1" \
        -H "Cookie: session=s3cr3t" >/dev/null
    MS=$(($(now_ms) - t0))
}
body() { cat "$TMP/body"; }
answer() { body | json_get 'd["choices"][0]["message"]["content"]'; }
chat_body() { mock_eval chat 'b(rs[-1]) if rs else ""'; }
n_chat() { mock_eval chat 'len(rs)'; }
guards_hdr() { header x-warden-guardrails; }
metric() { curl -s "$WARDEN/metrics" | grep -F "$1" | awk '{print $2}' | head -1; }
# svc EXPR: python over the service's records of this request (rs: list of request bodies,
# hs: their HTTP headers), matched by litellm_trace_id = x-request-id
svc() {
    python3 -c '
import json, sys
rid, expr = sys.argv[1:3]
recs = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
mine = [r for r in recs if r["request"].get("litellm_trace_id") == rid]
rs = [r["request"] for r in mine]
hs = [r["headers"] for r in mine]
print(eval(expr))' "$RID" "$1" "$SVC_LOG"
}

# ---- the service is as strict as its documentation: what Warden used to send is refused
svc_post() { # PATH BODY -> status
    curl -s -o "$TMP/svc_body" -w '%{http_code}' -H 'Content-Type: application/json' -H "x-api-key: $SVC_KEY" -d "$2" "$SVC$1"
}
check "strict service: the old body (no request_data, additional_provider_specific_params, ...) gets 422" eq \
    "$(svc_post /beta/litellm_basic_guardrail_api '{"texts":["hi"],"input_type":"request","litellm_call_id":"x","request_id":"x","model":"m"}')" 422
check "strict service: 422 names a missing field" contains "$(cat "$TMP/svc_body")" '"request_data"'
check "strict service: only the documented path" eq "$(svc_post /guardrail '{}')" 404

# ---- the request LiteLLM sends, accepted by a strict service
go lg-in "hello there"
check "clean: 200" eq "$(status)" 200
check "clean: pass" eq "$(guards_hdr)" "lg-in=pass"
check "clean: the strict service accepted the request (recorded)" eq "$(svc 'len(rs)')" 1
check "the documented path (api_base + /beta/litellm_basic_guardrail_api) and x-api-key" eq "$(svc 'hs[0].get("x-api-key")')" "$SVC_KEY"
check "texts" eq "$(svc 'rs[0]["texts"]')" "['hello there']"
check "input_type request" eq "$(svc 'rs[0]["input_type"]')" request
check "structured_messages are the messages" eq "$(svc 'rs[0]["structured_messages"][0]["content"]')" "hello there"
check "model: the requested one" eq "$(svc 'rs[0]["model"]')" lg-in
check "litellm_version" eq "$(svc 'rs[0]["litellm_version"]')" "1.80.0"
check "additional_provider_specific_params as configured (typed)" eq \
    "$(svc 'json.dumps(rs[0]["additional_provider_specific_params"], sort_keys=True)')" \
    '{"labels": ["pii", "secrets"], "language": "en", "strict": true, "threshold": 0.8}'
check "request_data: the key's name as user_api_key_alias" eq "$(svc 'rs[0]["request_data"].get("user_api_key_alias")')" team-a-key
check "request_data: team and user from the key's metadata" eq \
    "$(svc 'rs[0]["request_data"].get("user_api_key_team_id"), rs[0]["request_data"].get("user_api_key_user_id")')" "('team-a', 'u-17')"
check "request_data: no secret" not_contains "$(svc 'json.dumps(rs[0])')" "$CLIENT_KEY"
check "request_headers: user-agent value (allowlisted)" eq "$(svc 'rs[0]["request_headers"].get("user-agent")')" "webhook-test/1"
check "request_headers: authorization only as [present]" eq "$(svc 'rs[0]["request_headers"].get("authorization")')" "[present]"
check "request_headers: cookie only as [present]" eq "$(svc 'rs[0]["request_headers"].get("cookie")')" "[present]"
check "litellm_call_id is Warden's, not the x-request-id" eq "$(svc 'rs[0]["litellm_call_id"] not in ("", None, "'"$RID"'") and len(rs[0]["litellm_call_id"]) == 36')" True
check "litellm_trace_id is the x-request-id" eq "$(svc 'rs[0]["litellm_trace_id"]')" "$RID"

TOOLS='[{"type":"function","function":{"name":"get_weather","description":"weather now","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]'
go_body "{\"model\":\"lg-in\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"what is this\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/cat.png\"}}]},{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"sunny\"}],\"tools\":$TOOLS,\"user\":\"end-user-9\"}"
check "tools, images, tool_calls: 200" eq "$(status)" 200
check "tools: the request's tools" eq "$(svc 'rs[0]["tools"][0]["function"]["name"]')" get_weather
check "images: the image_url parts" eq "$(svc 'rs[0]["images"]')" "['https://example.com/cat.png']"
check "tool_calls: the history's tool calls" eq "$(svc 'rs[0]["tool_calls"][0]["function"]["arguments"]')" '{"city":"Paris"}'
check "request_data: the request's user as user_api_key_end_user_id" eq "$(svc 'rs[0]["request_data"].get("user_api_key_end_user_id")')" end-user-9

# ---- answers read as LiteLLM reads them
go lg-in "my ssn is 123-45-6789 ok"
check "masking: 200" eq "$(status)" 200
check "masking: upstream got the masked text" contains "$(chat_body)" 'my ssn is [SSN] ok'
check "masking: upstream never saw the SSN" not_contains "$(chat_body)" "123-45-6789"
check "masking: rewrite" eq "$(guards_hdr)" "lg-in=rewrite"

go lg-in "please BLOCKME now"
check "blocking: 400 (a policy block blames the request)" eq "$(status)" 400
check "blocking: the service's reason" contains "$(body)" "litellm-svc: BLOCKME is not allowed"
check "blocking: nothing sent upstream" eq "$(n_chat)" 0

go lg-in "NOACTION please"
check "no action (LiteLLM: NONE): 200" eq "$(status)" 200
check "no action: pass" eq "$(guards_hdr)" "lg-in=pass"
check "no action: upstream got the text unchanged" contains "$(chat_body)" "NOACTION please"

go lg-in "UNKNOWNACTION please"
check "unknown action (LiteLLM: not blocked): 200" eq "$(status)" 200
check "unknown action: not an error" eq "$(guards_hdr)" "lg-in=pass"

go_body '{"model":"lg-in","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"PARTIALTEXTS MASKME"}]}'
check "INTERVENED with partial texts: 200" eq "$(status)" 200
check "INTERVENED with partial texts: unchanged" contains "$(chat_body)" "PARTIALTEXTS MASKME"
check "INTERVENED with partial texts: nothing applied" not_contains "$(chat_body)" "-partial"

go lg-in "NONEWITHTEXTS here"
check "NONE with texts: applied" contains "$(chat_body)" "rewritten-with-none here"

go lg-intervened-block "my ssn is 123-45-6789"
check "on_intervened: block -> 400" eq "$(status)" 400
check "on_intervened: block -> nothing upstream" eq "$(n_chat)" 0

go lg-log "my ssn is 123-45-6789"
check "action log: passes" eq "$(status)" 200
check "action log: flagged" eq "$(guards_hdr)" "lg-log=flagged"
check "action log: the rewrite is not applied" contains "$(chat_body)" "123-45-6789"

go lg-url "MASKME here"
check "url (as written) works too" contains "$(chat_body)" "[MASKED] here"

go lg-wrong-path "hello"
check "an undocumented path: the service's 404 is a bad answer (fail_closed)" eq "$(guards_hdr)" "lg-wrong-path=error_closed"
go lg-no-key "hello"
check "no x-api-key: the service's 401 is a bad answer" eq "$(guards_hdr)" "lg-no-key=error_closed"

go_body '{"model":"lg-in","messages":[{"role":"user","content":"check him"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"lookup","arguments":"{\"ssn\":\"123-45-6789\"}"}}]},{"role":"tool","tool_call_id":"c1","content":"ok"}]}'
check "history tool-call arguments reach the service" contains "$(svc 'json.dumps(rs[0]["tool_calls"])')" "123-45-6789"
check "history tool-call arguments: the SSN never reaches upstream" not_contains "$(chat_body)" "123-45-6789"
check "history tool-call arguments: masked and sent (needs the coverage contract's texts: json helper)" contains "$(chat_body)" '[SSN]'

# ---- output stage
go lg-out "hi" '{"content":"your ssn is 123-45-6789."}'
check "output masking: 200" eq "$(status)" 200
check "output masking: the answer is masked" eq "$(answer)" "your ssn is [SSN]."
check "output: input_type response" eq "$(svc 'rs[0]["input_type"]')" response
check "output: model is the upstream's" eq "$(svc 'rs[0]["model"]')" mock-1
check "output: structured_messages null (as LiteLLM)" eq "$(svc 'rs[0]["structured_messages"]')" None

go_body "{\"model\":\"lg-out\",\"messages\":[{\"role\":\"user\",\"content\":\"look it up\"}],\"tools\":$TOOLS,\"mock\":{\"tool_call\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"ssn\\\":\\\"123-45-6789\\\"}\"}}}"
check "output tool_calls sent to the service" contains "$(svc 'rs[0]["tool_calls"]')" "123-45-6789"
check "output tool_calls rewrite applied (needs the coverage contract's texts: json helper)" contains "$(body)" '[SSN]'
check "output tool_calls: the SSN never reaches the client (needs json helper)" not_contains "$(body)" "123-45-6789"

# ---- failure policy: a service that is down / slow / answers 503 / answers badly
go lg-down-closed "hello"
check "service down + fail_closed: 503" eq "$(status)" 503
check "service down + fail_closed: guardrail_unavailable" contains "$(body)" "guardrail_unavailable"
check "service down + fail_closed: within the time-out ($MS ms < $(slow_ms 1500))" lt "$MS" "$(slow_ms 1500)"
check "service down + fail_closed: unreachable_closed" eq "$(guards_hdr)" "lg-down-closed=unreachable_closed"
check "service down + fail_closed: nothing upstream" eq "$(n_chat)" 0
go lg-down-open "hello"
check "service down + fail_open (on_unreachable defaults to on_error): 200" eq "$(status)" 200
check "service down + fail_open: unreachable_open" eq "$(guards_hdr)" "lg-down-open=unreachable_open"

go lg-slow-closed "SLOWME"
check "slow service + fail_closed: 503" eq "$(status)" 503
check "slow service: within the time-out, not the service's 3 s ($MS ms < $(slow_ms 1500 2800))" lt "$MS" "$(slow_ms 1500 2800)"
check "slow service: timeout_closed" eq "$(guards_hdr)" "lg-slow-closed=timeout_closed"

go lg-503-open "FAIL503"
check "HTTP 503 + on_unreachable fail_open: 200" eq "$(status)" 200
check "HTTP 503 is unreachable, not a bad answer" eq "$(guards_hdr)" "lg-503-open=unreachable_open"
go lg-bad-open "BADJSON"
check "not JSON + on_error fail_open: 200" eq "$(status)" 200
check "not JSON is a bad answer" eq "$(guards_hdr)" "lg-bad-open=error_open"
go lg-bad-open "FAIL422ANSWER"
check "HTTP 422 is a bad answer (on_error)" eq "$(guards_hdr)" "lg-bad-open=error_open"
go lg-bad-open "FAIL503"
check "HTTP 503 with on_unreachable fail_closed: 503" eq "$(status)" 503

go lj-dead "hello"
check "llm_judge model down + on_unreachable fail_open: 200" eq "$(status)" 200
check "llm_judge model down: unreachable_open" eq "$(guards_hdr)" "lj-dead=unreachable_open"
go lj-nonsense "hello"
check "llm_judge answering neither safe nor unsafe: on_error (fail_closed)" eq "$(guards_hdr)" "lj-nonsense=error_closed"

check "metrics: unreachable counted (fail_closed guard)" ge "$(metric 'warden_guard_verdicts_total{guard="lg-down-closed",verdict="unreachable"}')" 1
check "metrics: unreachable counted (fail_open guard)" ge "$(metric 'warden_guard_verdicts_total{guard="lg-down-open",verdict="unreachable"}')" 1
check "metrics: bad answers counted as error" eq "$(metric 'warden_guard_verdicts_total{guard="lg-bad-open",verdict="error"}')" 2
check "metrics: 503 counted as unreachable" eq "$(metric 'warden_guard_verdicts_total{guard="lg-bad-open",verdict="unreachable"}')" 1
check "metrics: timeouts counted" ge "$(metric 'warden_guard_verdicts_total{guard="lg-slow-closed",verdict="timeout"}')" 1

# ---- call ids: two requests with the same x-request-id, each checked on input and output
FORCE_RID="same-rid-$$"
go lg-both "first request"
go lg-both "second request"
unset FORCE_RID
check "same x-request-id: four calls reached the service" eq "$(svc 'len(rs)')" 4
check "input_type order" eq "$(svc '[r["input_type"] for r in rs]')" "['request', 'response', 'request', 'response']"
check "the request and response calls of one request share their call id" eq \
    "$(svc 'rs[0]["litellm_call_id"] == rs[1]["litellm_call_id"] and rs[2]["litellm_call_id"] == rs[3]["litellm_call_id"]')" True
check "two requests with the same x-request-id get different call ids" eq "$(svc 'rs[0]["litellm_call_id"] != rs[2]["litellm_call_id"]')" True

check "warden still alive" alive
finish
