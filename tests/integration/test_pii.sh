#!/usr/bin/env bash
# pii and secrets guardrails through the real binary: block (the reason names entity types,
# never the value), redaction modes (mask, typed, reversible: the upstream sees placeholders,
# the client gets the originals back), log, config mistakes caught by --check-config, and
# POST /v1/guardrails/check: disabled (404), enabled, token (401 without / with a wrong one),
# bad input, unknown guardrail, code-point offsets, a remote (webhook) guardrail.
source "$(dirname "$0")/lib.sh"

[ -x "$WARDEN_BIN" ] && [ -x "$MOCK_BIN" ] || { echo "$TEST_NAME: build first (make)"; echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }

start_mock

CFG=$(
    cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 1, drain_timeout_ms: 3000, max_body_bytes: 262144}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
guardrails_api: {enabled: true, token_env: PII_TEST_TOKEN}
guardrails:
  - {name: pii-block, type: pii}
  - {name: pii-mask, type: pii, action: redact, redaction: mask}
  - {name: pii-typed, type: pii, action: redact, redaction: typed, entities: [EMAIL_ADDRESS, CREDIT_CARD]}
  - {name: pii-rev, type: pii, action: redact, redaction: reversible}
  - {name: pii-log, type: pii, action: log}
  - name: pii-custom
    type: pii
    entities: [EMAIL_ADDRESS]
    recognizers: [{name: EMPLOYEE_ID, regex: "EMP-[0-9]{6}", context: [employee], score: 0.6}]
  - {name: sec-block, type: secrets}
  - {name: sec-redact, type: secrets, action: redact, redaction: typed}
  - {name: hook, type: webhook, url: "@MOCK@/guardrail"}
  - {name: out-mask, type: pii, stage: output, action: redact}
  - {name: rx-word, type: regex, action: redact, replacement: "[W]", patterns: ["banana"]}
  - {name: grp, type: parallel, strategy: all_must_pass, members: [pii-typed, rx-word, sec-redact]}
  - {name: chn, type: chain, members: [rx-word, pii-rev]}
  - {name: out-block, type: secrets, stage: output}
models:
$(model m-block pii-block)
$(model m-mask pii-mask)
$(model m-typed pii-typed)
$(model m-rev pii-rev)
$(model m-log pii-log)
$(model m-sec sec-block)
$(model m-sec-redact sec-redact)
$(model m-out-mask out-mask)
$(model m-grp grp)
$(model m-chn chn)
$(model m-out-block out-block)
YAML
)
export PII_TEST_TOKEN=tok-$RANDOM-$RANDOM
start_warden "$CFG"

req() { # model content [mock answer]
    python3 -c 'import json,sys
d = {"model": sys.argv[1], "messages": [{"role": "user", "content": sys.argv[2]}]}
if len(sys.argv) > 3: d["mock"] = {"content": sys.argv[3]}
print(json.dumps(d))' "$@"
}
# req_hex model content answer: the mock's answer in hex ("mock_hex"), so that no guard reads it: a
# placeholder spelled in the body is one the client typed, reserved and never a value's
req_hex() {
    python3 -c 'import json,sys
print(json.dumps({"model": sys.argv[1], "messages": [{"role": "user", "content": sys.argv[2]}],
                  "mock_hex": json.dumps({"content": sys.argv[3]}).encode().hex()}))' "$@"
}
check_call_early() { # body: the check API with the token
    curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer $PII_TEST_TOKEN" --max-time 10 -d "$1" \
        "$WARDEN/v1/guardrails/check"
}
upstream_content() { mock_eval chat 'json.loads(b(rs[-1]))["messages"][0]["content"] if rs else "NONE"'; }

# ---- blocking
RID=pii-block-1
out=$(chat "$(req m-block 'mail me at jane.roe@example.org, card 4111 1111 1111 1111')" -H "x-request-id: $RID")
check "pii block: 400" eq "$(status)" 400
check "pii block: reason names the entity types" contains "$out" "EMAIL_ADDRESS"
check "pii block: reason never echoes the value" not_contains "$out" "jane.roe"
check "pii block: nothing went upstream" eq "$(mock_eval chat 'len(rs)')" 0
out=$(chat "$(req m-block 'order 4111 1111 1111 1112 shipped on 2024-03-05, version 1.2.3.4.5')")
check "pii block: decoys pass (invalid Luhn, date, version)" eq "$(status)" 200

# ---- redaction modes
RID=pii-mask-1
chat "$(req m-mask 'reach me: jane.roe@example.org or +44 20 7946 0958')" -H "x-request-id: $RID" >/dev/null
check "mask: 200" eq "$(status)" 200
up=$(upstream_content)
check "mask: upstream sees ****" eq "$up" "reach me: **** or ****"

RID=pii-typed-1
chat "$(req m-typed 'a@example.com, b@example.com, again a@example.com; card 5555 5555 5555 4444')" -H "x-request-id: $RID" >/dev/null
up=$(upstream_content)
check "typed: numbered per distinct value" eq "$up" "<EMAIL_ADDRESS_1>, <EMAIL_ADDRESS_2>, again <EMAIL_ADDRESS_1>; card <CREDIT_CARD_1>"

RID=pii-rev-1
out=$(chat "$(req_hex m-rev 'write to jane.roe@example.org about IBAN GB82 WEST 1234 5698 7654 32' \
    'Sure, I will write to <EMAIL_ADDRESS_1> about <IBAN_CODE_1>; <EMAIL_ADDRESS_7> is unknown.')" -H "x-request-id: $RID")
up=$(upstream_content)
check "reversible: upstream sees placeholders" eq "$up" "write to <EMAIL_ADDRESS_1> about IBAN <IBAN_CODE_1>"
check "reversible: the client gets the originals back" eq "$(printf '%s' "$out" | json_get 'd["choices"][0]["message"]["content"]')" \
    "Sure, I will write to jane.roe@example.org about GB82 WEST 1234 5698 7654 32; <EMAIL_ADDRESS_7> is unknown."
RID=pii-rev-2
out=$(chat "$(req m-rev 'nothing personal here' 'echo <EMAIL_ADDRESS_1>')" -H "x-request-id: $RID")
check "reversible: another request's placeholders are not restored" eq \
    "$(printf '%s' "$out" | json_get 'd["choices"][0]["message"]["content"]')" "echo <EMAIL_ADDRESS_1>"

# tool-call arguments are JSON their reader decodes: "\u0040" and "@" spell one value there (one
# placeholder, so the redaction agrees with the decoded view and is not refused), restored in the
# answer's arguments as a JSON value
RID=pii-rev-args
out=$(chat "$(python3 -c 'import json
args = "{\"to\": \"jane.roe" + chr(92) + "u0040example.org\", \"cc\": \"jane.roe@example.org\"}"
print(json.dumps({"model": "m-rev", "messages": [
    {"role": "user", "content": "mail jane.roe@example.org"},
    {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "mail", "arguments": args}}]},
    {"role": "tool", "tool_call_id": "c1", "content": "sent"}],
    "tools": [{"type": "function", "function": {"name": "mail", "parameters": {}}}],
    "mock_hex": json.dumps({"tool_call": {"name": "mail", "arguments": "{\"to\": \"<EMAIL_ADDRESS_1>\"}"}}).encode().hex()}))')" \
    -H "x-request-id: $RID")
check "reversible, escaped in arguments: 200 (refused when each spelling got its own placeholder)" eq "$(status)" 200
check "reversible, escaped in arguments: upstream sees one placeholder for both spellings" eq \
    "$(mock_eval chat 'json.loads(b(rs[-1]))["messages"][1]["tool_calls"][0]["function"]["arguments"] if rs else "NONE"')" \
    '{"to": "<EMAIL_ADDRESS_1>", "cc": "<EMAIL_ADDRESS_1>"}'
check "reversible, escaped in arguments: the answer's arguments get the value back" eq \
    "$(printf '%s' "$out" | json_get 'json.loads(d["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])["to"]')" \
    "jane.roe@example.org"

RID=pii-log-1
chat "$(req m-log 'call 212-555-0187')" -H "x-request-id: $RID" >/dev/null
check "log: passes unchanged" eq "$(upstream_content)" "call 212-555-0187"
check "log: verdict in x-warden-guardrails" contains "$(header x-warden-guardrails)" "pii-log"

# ---- composition: a parallel group merges every member's rewrite; a chain passes its rewrites on
RID=pii-grp-1
chat "$(req m-grp 'banana for a@example.com, key AKIAIOSFODNN7EXAMPLE, again a@example.com')" -H "x-request-id: $RID" >/dev/null
check "group: 200" eq "$(status)" 200
check "group: pii, regex and secrets rewrites all applied" eq "$(upstream_content)" \
    "[W] for <EMAIL_ADDRESS_1>, key <AWS_ACCESS_KEY_ID_1>, again <EMAIL_ADDRESS_1>"
out=$(check_call_early '{"guardrail":"grp","text":"banana b@example.com"}')
check "group via the check API: findings of the members" eq "$(printf '%s' "$out" | json_get '(d["verdict"], [f["type"] for f in d["findings"]], d["texts"])')" \
    "('redact', ['EMAIL_ADDRESS'], ['[W] <EMAIL_ADDRESS_1>'])"
RID=pii-chn-1
out=$(chat "$(req_hex m-chn 'banana for jane@example.org' 'ok <EMAIL_ADDRESS_1> and thanks')" -H "x-request-id: $RID")
check "chain: upstream sees both rewrites" eq "$(upstream_content)" "[W] for <EMAIL_ADDRESS_1>"
check "chain: reversible restores in the answer" eq "$(printf '%s' "$out" | json_get 'd["choices"][0]["message"]["content"]')" \
    "ok jane@example.org and thanks"

# ---- secrets
out=$(chat "$(req m-sec 'use OPENAI key sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1w please')")
check "secrets block: 400" eq "$(status)" 400
check "secrets block: reason names the rule" contains "$out" "OPENAI_API_KEY"
check "secrets block: reason never echoes the key" not_contains "$out" "Ab3dEf6hIj9k"
RID=sec-redact-1
chat "$(req m-sec-redact 'export GITHUB_TOKEN=ghp_0123456789abcdefghijABCDEFGHIJ012345 and password: "Tr0ub4dor&3xyz"')" -H "x-request-id: $RID" >/dev/null
check "secrets redact: typed placeholders upstream" eq "$(upstream_content)" \
    "export GITHUB_TOKEN=<GITHUB_TOKEN_1> and password: \"<GENERIC_SECRET_1>\""

# ---- output stage on streams: pii/secrets are local checks, applied inline over a held window
stream_req() { # model content chunks
    python3 -c 'import json,sys; print(json.dumps({"model": sys.argv[1], "stream": True, "messages": [{"role": "user", "content": "hi"}],
        "mock": {"content": sys.argv[2], "chunks": int(sys.argv[3])}}))' "$1" "$2" "$3"
}
LONG=$(python3 -c 'print(" ".join("word%d" % i for i in range(60)))')
raw=$(chat "$(stream_req m-out-mask "$LONG write to jane.roe@example.org or call +1 415-555-0132. $LONG" 37)")
check "stream output redact: 200" eq "$(status)" 200
check "stream output redact: text masked inline" eq "$(printf '%s' "$raw" | sse_text)" "$LONG write to **** or call ****. $LONG"
check "stream output redact: no original reaches the client" not_contains "$raw" "jane.roe"
check "stream output redact: [DONE]" contains "$raw" "data: [DONE]"
raw=$(chat "$(stream_req m-out-block "$LONG the key is ghp_0123456789abcdefghijABCDEFGHIJ012345 ok $LONG" 29)")
check "stream output secrets: error event, no [DONE]" eq "$(printf '%s' "$raw" | grep -c 'guardrail'):$(printf '%s' "$raw" | grep -c 'DONE')" "1:0"
check "stream output secrets: the token never reaches the client" not_contains "$raw" "ghp_0123"

# ---- the check API
check_call() { # body [curl args]
    local body=$1
    shift
    curl -s -o "$TMP/cbody" -w '%{http_code}' -H 'Content-Type: application/json' --max-time 10 "$@" -d "$body" \
        "$WARDEN/v1/guardrails/check" >"$TMP/cstatus"
    cat "$TMP/cbody"
}
AUTH="Authorization: Bearer $PII_TEST_TOKEN"
out=$(check_call '{"guardrail":"pii-block","text":"x"}')
check "check api: no token -> 401" eq "$(cat "$TMP/cstatus")" 401
check "check api: 401 is an OpenAI-style error" contains "$out" '"code":"invalid_api_key"'
check_call '{"guardrail":"pii-block","text":"x"}' -H "Authorization: Bearer wrong-$PII_TEST_TOKEN" >/dev/null
check "check api: wrong token -> 401" eq "$(cat "$TMP/cstatus")" 401
check_call '{"guardrail":"pii-block","text":"x"}' -H "Authorization: Bearer ${PII_TEST_TOKEN%?}" >/dev/null
check "check api: token prefix -> 401" eq "$(cat "$TMP/cstatus")" 401

out=$(check_call '{"guardrail":"pii-mask","text":"é café → mail jane@example.org now"}' -H "$AUTH")
check "check api: 200" eq "$(cat "$TMP/cstatus")" 200
check "check api: verdict redact" eq "$(printf '%s' "$out" | json_get 'd["verdict"]')" redact
check "check api: offsets in code points" eq "$(printf '%s' "$out" | json_get '(d["findings"][0]["start"], d["findings"][0]["end"])')" "(14, 30)"
check "check api: finding text and type" eq "$(printf '%s' "$out" | json_get '(d["findings"][0]["type"], d["findings"][0]["text"])')" \
    "('EMAIL_ADDRESS', 'jane@example.org')"
check "check api: rewritten text" eq "$(printf '%s' "$out" | json_get 'd["texts"][0]')" "é café → mail **** now"
check "check api: latency_us" ge "$(printf '%s' "$out" | json_get 'd["latency_us"]')" 0

out=$(check_call '{"guardrail":"pii-block","texts":["clean text","ssn 078-05-1120 is invalid, 219-45-6789 is not"],"stage":"output"}' -H "$AUTH")
check "check api: texts[] and block" eq "$(printf '%s' "$out" | json_get '(d["verdict"], [(f["index"], f["type"], f["text"]) for f in d["findings"]])')" \
    "('block', [(1, 'US_SSN', '219-45-6789')])"
out=$(check_call '{"guardrail":"pii-log","text":"ip 10.0.0.1"}' -H "$AUTH")
check "check api: action log -> pass with findings" eq "$(printf '%s' "$out" | json_get '(d["verdict"], len(d["findings"]))')" "('pass', 1)"
out=$(check_call '{"guardrail":"pii-custom","text":"employee EMP-123456 wrote"}' -H "$AUTH")
check "check api: custom recognizer" eq "$(printf '%s' "$out" | json_get '[f["type"] for f in d["findings"]]')" "['EMPLOYEE_ID']"
out=$(check_call '{"guardrail":"sec-redact","text":"key=AKIAIOSFODNN7EXAMPLE"}' -H "$AUTH")
check "check api: secrets" eq "$(printf '%s' "$out" | json_get 'd["texts"][0]')" "key=<AWS_ACCESS_KEY_ID_1>"
out=$(check_call '{"guardrail":"hook","text":"please BLOCKME"}' -H "$AUTH")
check "check api: remote guardrail (webhook) blocks" eq "$(printf '%s' "$out" | json_get 'd["verdict"]')" block
out=$(check_call '{"guardrail":"hook","text":"fine"}' -H "$AUTH")
check "check api: remote guardrail passes" eq "$(printf '%s' "$out" | json_get 'd["verdict"]')" pass

# big texts (>= 64 KB in all) are scanned on the worker pool, not the loop: the same findings,
# offsets and rewrites as on the loop, and the scan counted as a pool job
pool_jobs() { curl -s "$WARDEN/metrics" | awk '/^warden_model_jobs_(carried|queued)_total / { n += $2 } END { print n + 0 }'; }
j0=$(pool_jobs)
big=$(python3 -c 'import json; f = "é filler words about the weather " * 4000; print(json.dumps({"guardrail": "pii-mask", "texts": ["small, mail a@example.org", f + "mail jane@example.org now"]}))')
printf '%s' "$big" >"$TMP/big.json"
out=$(curl -s -H 'Content-Type: application/json' -H "$AUTH" --max-time 60 --data-binary @"$TMP/big.json" "$WARDEN/v1/guardrails/check")
check "check api, 130 KB of texts (pool): redact, both findings, offsets in code points" eq \
    "$(printf '%s' "$out" | json_get '(d["verdict"], [(f["index"], f["start"], f["end"], f["text"]) for f in d["findings"]])')" \
    "('redact', [(0, 12, 25, 'a@example.org'), (1, 132005, 132021, 'jane@example.org')])"
check "check api, 130 KB of texts (pool): the rewritten texts" eq \
    "$(printf '%s' "$out" | json_get '(d["texts"][0], d["texts"][1][-13:], len(d["texts"][1]))')" "('small, mail ****', 'mail **** now', 132013)"
check "check api, 130 KB of texts: scanned on the pool (one job)" eq "$(($(pool_jobs) - j0))" 1
RID=pii-big-1
chat "$(req m-typed "card 4111 1111 1111 1111, mail jane.roe@example.org $(python3 -c 'print("lorem ipsum dolor " * 5000)')")" -H "x-request-id: $RID" >/dev/null
check "chat, 90 KB prompt (pool): typed placeholders upstream" contains "$(mock_eval chat 'b(rs[-1])[:300] if rs else ""')" "card <CREDIT_CARD_1>, mail <EMAIL_ADDRESS_1> lorem"
out=$(check_call '{"guardrail":"sec-block","texts":["'"$(python3 -c 'print("x" * 70000)')"' key=AKIAIOSFODNN7EXAMPLE"]}' -H "$AUTH")
check "check api, 70 KB (pool): secrets block" eq "$(printf '%s' "$out" | json_get '(d["verdict"], [f["type"] for f in d["findings"]])')" "('block', ['AWS_ACCESS_KEY_ID'])"

out=$(check_call '{"guardrail":"nope","text":"x"}' -H "$AUTH")
check "check api: unknown guardrail -> 404" eq "$(cat "$TMP/cstatus")" 404
check "check api: unknown guardrail says which" contains "$out" "guardrail 'nope' does not exist"
for bad in '' 'not json' '[]' '{"text":"x"}' '{"guardrail":1,"text":"x"}' '{"guardrail":"pii-block"}' \
    '{"guardrail":"pii-block","text":"x","texts":["y"]}' '{"guardrail":"pii-block","texts":["a",2]}' \
    '{"guardrail":"pii-block","text":"x","stage":"middle"}' '{"guardrail":"pii-block","texts":"x"}'; do
    out=$(check_call "$bad" -H "$AUTH")
    check "check api: bad input [$bad] -> 400 error body" eq "$(cat "$TMP/cstatus"):$(printf '%s' "$out" | json_get '"message" in d["error"]')" "400:True"
done
# big calls (>= 64 KB) are parsed and answered on the worker pool: refused the same way
pad=$(python3 -c 'print("p" * 70000)')
for bad in '{"guardrail":"pii-block","pad":"'"$pad"'","texts":["a",2]}' '{"guardrail":"pii-block","pad":"'"$pad"'","text":"x' \
    '{"guardrail":"pii-block","pad":"'"$pad"'","text":"x","stage":"middle"}' '["'"$pad"'"]'; do
    printf '%s' "$bad" >"$TMP/bad.json"
    out=$(curl -s -o "$TMP/cbody" -w '%{http_code}' -H 'Content-Type: application/json' -H "$AUTH" --max-time 30 \
        --data-binary @"$TMP/bad.json" "$WARDEN/v1/guardrails/check"; echo; cat "$TMP/cbody")
    check "check api, 70 KB bad input [${bad:0:40}...${bad: -12}] (pool) -> 400 error body" eq \
        "$(head -n 1 <<<"$out"):$(tail -n +2 <<<"$out" | json_get 'd["error"]["code"] in ("invalid_type", "invalid_json", "invalid_value")')" "400:True"
done
printf '%s' '{"guardrail":"no-such","pad":"'"$pad"'","text":"x"}' >"$TMP/bad.json"
check "check api, 70 KB call, unknown guardrail (pool) -> 404" eq "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -H "$AUTH" --max-time 30 --data-binary @"$TMP/bad.json" "$WARDEN/v1/guardrails/check")" 404
# many findings (1,500 in 33 KB): the answer is built on the pool; every finding and the rewrite are there
python3 -c 'import json; print(json.dumps({"guardrail": "pii-mask", "text": " ".join("u%04d@example.org" % i for i in range(1500))}))' >"$TMP/many.json"
out=$(curl -s -H 'Content-Type: application/json' -H "$AUTH" --max-time 30 --data-binary @"$TMP/many.json" "$WARDEN/v1/guardrails/check")
check "check api, 1,500 findings (answer on the pool): all found, in order, the text masked" eq \
    "$(printf '%s' "$out" | json_get '(d["verdict"], len(d["findings"]), d["findings"][1499]["text"], d["findings"][1499]["start"], d["texts"][0][:14])')" \
    "('redact', 1500, 'u1499@example.org', 26982, '**** **** ****')"
# clients that leave while their big call is parsed or checked: nothing is answered to them, the
# worker carries on (under ASan: nothing leaks)
python3 -c 'import json; print(json.dumps({"guardrail": "pii-mask", "texts": ["mail jane@example.org " * 11000]}))' >"$TMP/leave.json"
for i in 1 2 3 4 5 6; do
    curl -s -o /dev/null -H 'Content-Type: application/json' -H "$AUTH" --max-time 0.0$i --data-binary @"$TMP/leave.json" \
        "$WARDEN/v1/guardrails/check" &
done
wait_all_curls() { local p; for p in $(jobs -p); do case " ${PIDS[*]} " in *" $p "*) ;; *) wait "$p" ;; esac; done; }
wait_all_curls
sleep 0.5
out=$(check_call '{"guardrail":"pii-mask","text":"mail jane@example.org now"}' -H "$AUTH")
check "check api: after clients left mid-call, the next call is answered" eq "$(cat "$TMP/cstatus"):$(printf '%s' "$out" | json_get 'd["texts"][0]')" "200:mail **** now"
python3 -c 'print("{\"guardrail\":\"pii-block\",\"text\":\"" + "a"*268000 + "\"}")' >"$TMP/over.json"
# just over the cap (262144), sent at once as clients do: the server reads it whole before its 413
# (it once answered as soon as it read the Content-Length and closed with the body unread, and the
# kernel's reset could take the 413 from a client still sending); ten times, every one a 413
for i in 1 2 3 4 5 6 7 8 9 10; do
    curl -s -o /dev/null -w '%{http_code} ' -H 'Content-Type: application/json' -H "$AUTH" --max-time 10 --data-binary @"$TMP/over.json" \
        "$WARDEN/v1/guardrails/check"
done >"$TMP/cstatus"
check "check api: the body cap applies (413, ten times out of ten)" eq "$(cat "$TMP/cstatus")" "413 413 413 413 413 413 413 413 413 413 "
curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" "$WARDEN/v1/guardrails/check" >"$TMP/cstatus"
check "check api: GET -> 405" eq "$(cat "$TMP/cstatus")" 405
check "warden alive" alive
stop_all

# ---- disabled (the default): the route does not exist
start_warden "$(basic_config)
guardrails:
  - {name: p, type: pii}"
out=$(check_call '{"guardrail":"p","text":"x"}')
check "check api disabled: 404" eq "$(cat "$TMP/cstatus")" 404
check "check api disabled: unknown route" contains "$out" "unknown_url"
stop_all

# ---- token_env named but unset: every call is refused
unset PII_TEST_TOKEN_UNSET
start_warden "$(basic_config)
guardrails_api: {enabled: true, token_env: PII_TEST_TOKEN_UNSET}
guardrails:
  - {name: p, type: pii}"
check_call '{"guardrail":"p","text":"x"}' -H "Authorization: Bearer " >/dev/null
check "check api: token_env unset -> 401" eq "$(cat "$TMP/cstatus")" 401
stop_all

# ---- config mistakes, with their line
bad_config() { # expected-substring yaml
    printf '%s\n' "$2" >"$TMP/bad.yaml"
    local msg
    msg=$("$WARDEN_BIN" --check-config "$TMP/bad.yaml" 2>&1)
    [ $? -ne 0 ] || { echo "    accepted: $2" >&2; return 1; }
    contains "$msg" "$1"
}
BASE=$(basic_config | sed 's/@PORT@/1/; s#@MOCK@#http://127.0.0.1:1#')
check "config: unknown entity (names the valid ones)" bad_config 'bad.yaml:8: guardrails[0].entities[0]: unknown entity "EMAIL" (one of EMAIL_ADDRESS, PHONE_NUMBER,' \
    "$BASE
guardrails:
  - {name: p, type: pii, entities: [EMAIL]}"
check "config: bad score_threshold" bad_config 'score_threshold: expected a number from 0 to 1' "$BASE
guardrails:
  - {name: p, type: pii, score_threshold: 2}"
check "config: bad redaction" bad_config 'redaction' "$BASE
guardrails:
  - {name: p, type: pii, redaction: hide}"
check "config: bad recognizer regex" bad_config 'invalid regex' "$BASE
guardrails:
  - {name: p, type: pii, recognizers: [{name: X, regex: \"(\"}]}"
check "config: unknown validator" bad_config 'unknown validator "lun" (did you mean "luhn"?)' "$BASE
guardrails:
  - {name: p, type: pii, recognizers: [{name: X, regex: \"X[0-9]+\", validator: lun}]}"
check "config: rules is a secrets key" bad_config 'does not apply to type "pii"' "$BASE
guardrails:
  - {name: p, type: pii, rules: []}"
check "config: reversible needs the input stage" bad_config 'reversible needs stage: input' "$BASE
guardrails:
  - {name: p, type: pii, stage: output, action: redact, redaction: reversible}"
check "config: guardrails_api typo" bad_config 'unknown key "enable"' "$BASE
guardrails_api: {enable: true}"

finish
