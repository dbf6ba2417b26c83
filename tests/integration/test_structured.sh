#!/usr/bin/env bash
# Structured output: response_format validation, re-ask, 422, bad schemas, streams, tool arguments.
source "$(dirname "$0")/lib.sh"
start_mock
start_warden "$(cat <<'YAML'
server: {listen: "127.0.0.1:@PORT@", workers: 1}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1"}
models:
  - name: m
    targets: [{provider: local, model: mock-1}]
    structured_output: {max_reasks: 2, validate_tool_calls: true}
  - name: m-pass
    targets: [{provider: local, model: mock-1}]
    structured_output: {max_reasks: 0, stream: pass}
YAML
)"
SCH='"response_format":{"type":"json_schema","json_schema":{"name":"s","strict":true,"schema":{"type":"object","properties":{"sentiment":{"type":"string","pattern":"^(Positive|Negative|Neutral)$"},"tags":{"type":"array","items":{"type":"string"}}},"required":["sentiment"],"additionalProperties":false}}}'
mock_count() { curl -s "$MOCK/mock/stats" | json_get 'd["requests"]'; }

K=k$RANDOM$RANDOM
body=$(chat '{"model":"m",'"$SCH"',"mock":{"key":"'$K'","contents":["Roses are red","{\"sentiment\":\"Positive\"}"]},"messages":[{"role":"user","content":"rate"}]}')
check "invalid then valid answer: 200" eq "$(status)" 200
check "x-warden-reasks: 1" eq "$(header x-warden-reasks)" 1
check "the valid answer is returned" contains "$body" 'Positive'
last=$(curl -s "$MOCK/mock/requests?limit=1")
check "re-ask carries the invalid answer" contains "$last" 'Roses are red'
check "re-ask carries the validation errors" contains "$last" 'not valid JSON'

before=$(mock_count)
body=$(chat '{"model":"m",'"$SCH"',"mock":{"content":"{\"sentiment\":\"meh\",\"tags\":[1]}"},"messages":[{"role":"user","content":"rate"}]}')
after=$(mock_count)
check "always invalid: 422" eq "$(status)" 422
check "422 code schema_validation_failed" contains "$body" '"code":"schema_validation_failed"'
check "422 lists the instance path of the error" contains "$body" '/tags/0'
check "exactly max_reasks + 1 upstream calls" eq "$((after - before))" 3

body=$(chat '{"model":"m","response_format":{"type":"json_object"},"mock":{"content":"[1,2]"},"messages":[{"role":"user","content":"x"}]}')
check "json_object: an array is rejected" eq "$(status)" 422
body=$(chat '{"model":"m","response_format":{"type":"json_object"},"mock":{"content":"{\"a\":1}"},"messages":[{"role":"user","content":"x"}]}')
check "json_object: an object passes" eq "$(status)" 200

body=$(chat '{"model":"m","response_format":{"type":"json_schema","json_schema":{"schema":{"$ref":"#/$defs/missing"}}},"messages":[{"role":"user","content":"x"}]}')
check "unknown \$ref: 400" eq "$(status)" 400
check "unknown \$ref named" contains "$body" 'missing'
body=$(chat '{"model":"m","response_format":{"type":"json_schema","json_schema":{"schema":{"type":"string","pattern":"(unclosed"}}},"messages":[{"role":"user","content":"x"}]}')
check "invalid regex: 400" eq "$(status)" 400
body=$(chat '{"model":"m","response_format":{"type":"json_schema","json_schema":{"schema":{"minLength":"five"}}},"messages":[{"role":"user","content":"x"}]}')
check "wrong keyword type: 400" eq "$(status)" 400
check "wrong keyword type names the keyword" contains "$body" 'minLength'
body=$(chat '{"model":"m","response_format":{"type":"yaml"},"messages":[{"role":"user","content":"x"}]}')
check "unknown response_format type: 400" eq "$(status)" 400

K=k$RANDOM$RANDOM
out=$(curl -sN -H 'Content-Type: application/json' -d '{"model":"m","stream":true,'"$SCH"',"mock":{"key":"'$K'","contents":["nope","{\"sentiment\":\"Neutral\"}"]},"messages":[{"role":"user","content":"x"}]}' "$WARDEN/v1/chat/completions")
check "held stream: re-asked and the valid stream is sent" contains "$(printf '%s' "$out" | sse_text)" 'Neutral'
check "held stream: the invalid answer never reaches the client" not_contains "$out" 'nope'
check "held stream ends with [DONE]" contains "$out" '[DONE]'

out=$(curl -sN -H 'Content-Type: application/json' -d '{"model":"m-pass","stream":true,'"$SCH"',"mock":{"content":"not json at all"},"messages":[{"role":"user","content":"x"}]}' "$WARDEN/v1/chat/completions")
check "pass stream: invalid answer ends with an SSE error event" contains "$out" 'schema_validation_failed'
check "pass stream: no [DONE] after an invalid answer" not_contains "$out" '[DONE]'
out=$(curl -sN -H 'Content-Type: application/json' -d '{"model":"m-pass","stream":true,'"$SCH"',"mock":{"content":"{\"sentiment\":\"Negative\"}"},"messages":[{"role":"user","content":"x"}]}' "$WARDEN/v1/chat/completions")
check "pass stream: valid answer ends with [DONE]" contains "$out" '[DONE]'

TOOLS='"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]'
body=$(chat '{"model":"m",'"$TOOLS"',"mock":{"tool_call":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},"messages":[{"role":"user","content":"x"}]}')
check "valid tool arguments pass" eq "$(status)" 200
body=$(chat '{"model":"m",'"$TOOLS"',"mock":{"tool_call":{"name":"get_weather","arguments":"{\"town\":3}"}},"messages":[{"role":"user","content":"x"}]}')
check "invalid tool arguments: 422 after re-asks" eq "$(status)" 422
check "tool error names the tool" contains "$body" 'get_weather'
body=$(chat '{"model":"m","tools":[{"type":"function","function":{"name":"f","parameters":{"type":7}}}],"messages":[{"role":"user","content":"x"}]}')
check "invalid tool parameters schema: 400" eq "$(status)" 400

check "metrics count re-asks" contains "$(curl -s "$WARDEN/metrics")" 'warden_schema_reasks_total'
check "warden still alive" alive
finish
