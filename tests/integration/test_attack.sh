#!/usr/bin/env bash
# Adversarial checks of the audit/auth (issue 12), built-in pii/secrets and check API
# (issue 11) and webhook guardrail (issue 14) features, through the real binaries:
#   auth bypass attempts (check API under auth.required, header spellings), admin audit
#   query with hostile parameters, pii evasion (invisible characters, full-width and
#   other-script digits, %40) and decoys, check API offsets in code points, typed vs
#   reversible redaction (restore, audit rows never hold originals), a client gone
#   mid-stream, overflow: refuse with a tiny journal and a locked store, and a hostile
#   LiteLLM-style guard service (attack_services.py guard) with an echo upstream
#   (attack_services.py echo).
# check_known NAME COND: a defect that lives outside these features' modules; it prints
# "known" (or "fixed?" once it passes) and is not counted.
# The last line is "test_attack: N passed, M failed".
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "test_attack: jq is required"; echo "test_attack: 0 passed, 1 failed"; exit 1; }
command -v sqlite3 >/dev/null || { echo "test_attack: sqlite3 is required"; echo "test_attack: 0 passed, 1 failed"; exit 1; }
SVC_PY="$ROOT/tests/integration/attack_services.py"
KNOWN=0
check_known() { # name command...: a known defect routed elsewhere; never counted
    local name=$1
    shift
    if "$@" 2>/dev/null; then
        echo "  fixed? $TEST_NAME: $name (a known defect that now passes: make it a check)"
    else
        KNOWN=$((KNOWN + 1))
        echo "  known $TEST_NAME: $name"
    fi
}
jqe() { jq -e "$1" "${2:-/dev/stdin}" >/dev/null 2>&1; }

start_mock
ALICE=sk-alice-$RANDOM-attack-key
export ATTACK_ADMIN_TOKEN=adm-$RANDOM-attack
DB1=$TMP/attack1.db
start_warden "$(cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 1, drain_timeout_ms: 3000}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
models:
  - name: gpt-4o-mini
    targets: [{provider: local, model: mock-1}]
api_keys:
  - {name: alice, key: "$ALICE"}
auth: {required: true}
admin: {token_env: ATTACK_ADMIN_TOKEN}
audit: {sink: sqlite, path: "$DB1", flush_ms: 10}
guardrails_api: {enabled: true}
guardrails:
  - {name: pii, type: pii}
  - {name: pii-typed, type: pii, action: redact, redaction: typed}
  - {name: sec, type: secrets}
YAML
)" || { echo "test_attack: 0 passed, 1 failed"; exit 1; }

# ---------------------------------------------------------------- auth
CK=$WARDEN/v1/guardrails/check
ck() { # body [curl args...] -> body; status in $TMP/cstatus
    local b=$1
    shift
    curl -s -o "$TMP/cbody" -w '%{http_code}' -H 'content-type: application/json' "$@" --data-binary "$b" "$CK" >"$TMP/cstatus"
    cat "$TMP/cbody"
}
ck '{"guardrail":"pii","text":"mail a@b.com"}' >/dev/null
check "auth.required: the check API without a key -> 401 (was served to anyone)" eq "$(cat "$TMP/cstatus")" 401
ck '{"guardrail":"pii","text":"mail a@b.com"}' -H "Authorization: Bearer sk-wrong-key" >/dev/null
check "auth.required: the check API with a wrong key -> 401" eq "$(cat "$TMP/cstatus")" 401
ck '{"guardrail":"pii","text":"mail a@b.com"}' -H "x-api-key: $ALICE" >/dev/null
check "auth.required: the check API with a configured key -> 200" eq "$(cat "$TMP/cstatus")" 200
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check "auth: 'Bearer' alone + a valid x-api-key -> 401 (Authorization decides)" eq \
    "$(code -H 'Authorization: Bearer' -H "x-api-key: $ALICE" "$WARDEN/v1/models")" 401
check "auth: a wrong Authorization does not fall back to a valid x-api-key" eq \
    "$(code -H 'Authorization: Bearer nope' -H "x-api-key: $ALICE" "$WARDEN/v1/models")" 401
check "auth: a 60 KB key -> 401, not a crash" eq \
    "$(code -H "Authorization: Bearer $(head -c 60000 /dev/zero | tr '\0' a)" "$WARDEN/v1/models")" 401
check "auth: the admin route refuses a client key" eq "$(code -H "Authorization: Bearer $ALICE" "$WARDEN/admin/audit")" 401
check "auth: /v1/chat/completions/ (trailing slash) is not an open door" eq \
    "$(code -d '{}' "$WARDEN/v1/chat/completions/")" 401
check "auth: lower-case 'bearer' and extra spaces are the same key" eq \
    "$(code -H "authorization: bearer   $ALICE  " "$WARDEN/v1/models")" 200

# ---------------------------------------------------------------- admin audit query
adm() { curl -s -o "$TMP/abody" -w '%{http_code}' -H "Authorization: Bearer $ATTACK_ADMIN_TOKEN" "$WARDEN/admin/audit?$1"; }
check "admin: since=2026-02-30 (no such day) -> 400 (was rolled into March)" eq "$(adm 'since=2026-02-30T00:00:00Z')" 400
check "admin: 2028-02-29 (a leap day) -> 200" eq "$(adm 'since=2028-02-29T00:00:00Z')" 200
check "admin: 2026-04-31 -> 400" eq "$(adm 'until=2026-04-31T00:00:00Z')" 400
check "admin: limit=-1 -> 400" eq "$(adm 'limit=-1')" 400
check "admin: limit=1e3 -> 400" eq "$(adm 'limit=1e3')" 400
check "admin: a bad cursor -> 400" eq "$(adm 'cursor=garbage')" 400
check "admin: SQL in a filter is a value" eq "$(adm "model=%27%20OR%201=1--")" 200
check "admin: ... that matches nothing" jqe '.data | length == 0' "$TMP/abody"

# ---------------------------------------------------------------- pii evasion and decoys (check API)
find_types() { # guardrail text -> comma list of type[text]
    ck "$(python3 -c 'import json,sys; print(json.dumps({"guardrail": sys.argv[1], "text": sys.argv[2]}))' "$1" "$2")" \
        -H "x-api-key: $ALICE" | jq -r '[.findings[] | "\(.type)[\(.text)]"] | join(",")'
}
zw=$'\u200b'
check "evasion: zero-width spaces inside a card number" eq "$(find_types pii "card 4111${zw}1111${zw}1111${zw}1111 ok")" \
    "CREDIT_CARD[4111${zw}1111${zw}1111${zw}1111]"
check "evasion: a zero-width space inside an e-mail (whole address, not a tail)" eq \
    "$(find_types pii "mail john${zw}.doe@example.com")" "EMAIL_ADDRESS[john${zw}.doe@example.com]"
check "evasion: a zero-width space inside the domain" eq "$(find_types pii "mail john.doe@exa${zw}mple.com")" \
    "EMAIL_ADDRESS[john.doe@exa${zw}mple.com]"
check "evasion: full-width digits (Luhn on the digits)" eq "$(find_types pii 'card ４１１１１１１１１１１１１１１１')" \
    "CREDIT_CARD[４１１１１１１１１１１１１１１１]"
check "evasion: Arabic-Indic digits" eq "$(find_types pii 'card ٤١١١١١١١١١١١١١١١')" "CREDIT_CARD[٤١١١١١١١١١١١١١١١]"
check "evasion: full-width @" eq "$(find_types pii 'mail john.doe＠example.com')" "EMAIL_ADDRESS[john.doe＠example.com]"
check "evasion: URL-encoded @ (%40)" eq "$(find_types pii 'mail john.doe%40example.com')" "EMAIL_ADDRESS[john.doe%40example.com]"
check "evasion: full-width SSN" eq "$(find_types pii 'ssn １２３-４５-６７８９')" "US_SSN[１２３-４５-６７８９]"
check "evasion: a zero-width space inside a GitHub token" eq \
    "$(find_types sec "gh ghp_aBcDeFgHiJkLmNoPqRsTuVwX${zw}yZ0123456789")" "GITHUB_TOKEN[ghp_aBcDeFgHiJkLmNoPqRsTuVwX${zw}yZ0123456789]"
check "evasion: mixed space and dash separators in a card number" eq "$(find_types pii 'card 4111 1111-1111 1111')" \
    "CREDIT_CARD[4111 1111-1111 1111]"
check "decoy: mixed separators with a bad Luhn digit pass" eq "$(find_types pii 'ref 4111 1111-1111 1112')" ""
for decoy in 'order 4111111111111112 shipped' 'order #123456789 shipped' 'invoice 2024-11-30 total $1,234.56' \
    'version 10.0.19045.3693' 'ISBN 978-3-16-148410-0' 'npm install lodash@4.17.21' '100% 40 people' \
    'ip-like 999.999.999.999' 'iban DE89370400440532013001'; do
    check "decoy: '$decoy' passes" eq "$(find_types pii "$decoy")" ""
done
out=$(ck '{"guardrail":"pii-typed","text":"x \u200bjohn\u200b.doe@exa\u200bmple.com\u200b y"}' -H "x-api-key: $ALICE")
check "evasion redacted: the invisible characters inside go, the ones outside stay" eq \
    "$(jq -r '.texts[0]' <<<"$out")" $'x \u200b<EMAIL_ADDRESS_1>\u200b y'
check "evasion offsets: code points of the original text" eq "$(jq -c '[.findings[0].start, .findings[0].end]' <<<"$out")" "[3,25]"
out=$(ck '{"guardrail":"pii","texts":["x","e\u0301\u0301 👨‍👩‍👧 call a@b.com","😀😀 4111 1111 1111 1111"]}' -H "x-api-key: $ALICE")
check "offsets: combining marks and a ZWJ family count as code points" eq \
    "$(jq -c '[.findings[] | [.index, .start, .end]]' <<<"$out")" "[[1,15,22],[2,3,22]]"
ck '{"guardrail":"pii","text":"a","text":"b"}' -H "x-api-key: $ALICE" >/dev/null
check "check API: duplicate keys -> 400" eq "$(cat "$TMP/cstatus")" 400
printf '{"guardrail":"pii","text":"\xff a@b.com"}' >"$TMP/bad.json"
curl -s -o /dev/null -w '%{http_code}' -H "x-api-key: $ALICE" --data-binary @"$TMP/bad.json" "$CK" >"$TMP/cstatus"
check "check API: invalid UTF-8 -> 400" eq "$(cat "$TMP/cstatus")" 400
check "alive after the hostile inputs" alive
stop_all
start_mock

# ---------------------------------------------------------------- redaction through an echo upstream
ECHO_PORT=$(free_port)
python3 "$SVC_PY" echo "$ECHO_PORT" >"$TMP/echo.log" 2>&1 &
PIDS+=($!)
GUARD_PORT=$(free_port)
python3 "$SVC_PY" guard "$GUARD_PORT" "$TMP/guard.jsonl" >"$TMP/guard.log" 2>&1 &
PIDS+=($!)
wait_port "$ECHO_PORT" && wait_port "$GUARD_PORT"
DB2=$TMP/attack2.db
start_warden "$(cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 1, drain_timeout_ms: 3000}
providers:
  - {name: echo, type: openai, base_url: "http://127.0.0.1:$ECHO_PORT/v1", api_key_env: OPENAI_API_KEY}
  - {name: local, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
models:
  - {name: rev, targets: [{provider: echo, model: echo-1}], guardrails: [pii-rev]}
  - {name: typed, targets: [{provider: echo, model: echo-1}], guardrails: [pii-typed]}
  - {name: hook, targets: [{provider: echo, model: echo-1}], guardrails: [wh]}
  - {name: hook-open, targets: [{provider: echo, model: echo-1}], guardrails: [wh-open]}
  - {name: plain, targets: [{provider: local, model: mock-1}]}
audit: {sink: sqlite, path: "$DB2", bodies: true, flush_ms: 10}
guardrails:
  - {name: pii-rev, type: pii, action: redact, redaction: reversible}
  - {name: pii-typed, type: pii, action: redact, redaction: typed}
  - {name: wh, type: webhook, api_base: "http://127.0.0.1:$GUARD_PORT", timeout_ms: 1500}
  - {name: wh-open, type: webhook, api_base: "http://127.0.0.1:$GUARD_PORT", timeout_ms: 1500, on_error: fail_open}
YAML
)" || exit 1
T='mail john.doe@example.com or jane@ex.org, again john.doe@example.com; card 4111 1111 1111 1111 😀 "q" é'
req() { python3 -c 'import json,sys; print(json.dumps({"model": sys.argv[1], "stream": sys.argv[3] == "1", "messages": [{"role": "user", "content": sys.argv[2]}]}))' "$@"; }
out=$(chat "$(req rev "$T" 0)" -H 'x-request-id: atk-rev')
check "reversible: content restored" eq "$(jq -r '.choices[0].message.content' <<<"$out")" "$T"
check "reversible: tool-call arguments restored (still JSON)" eq \
    "$(jq -r '.choices[0].message.tool_calls[0].function.arguments | fromjson | .q' <<<"$out")" "$T"
out=$(chat "$(req typed "$T" 0)" -H 'x-request-id: atk-typed')
check "typed: placeholders are never restored (was restored like reversible)" eq "$(jq -r '.choices[0].message.content' <<<"$out")" \
    'mail <EMAIL_ADDRESS_1> or <EMAIL_ADDRESS_2>, again <EMAIL_ADDRESS_1>; card <CREDIT_CARD_1> 😀 "q" é'
raw=$(chat "$(req rev "$T" 1)" -H 'x-request-id: atk-rev-stream')
check "reversible on a stream: originals restored" \
    eq "$(printf '%s' "$raw" | sse_text)" "$T"
check "reversible on a stream: valid stream with [DONE]" contains "$raw" "data: [DONE]"
sleep 0.5
rows_with() { sqlite3 "$DB2" "select count(*) from audit_log where request_body like '%$1%' or response_body like '%$1%'"; }
check "audit: no original in any row (was: the restored answer was stored)" eq "$(rows_with john.doe)$(rows_with 4111)$(rows_with jane@)" 000
check "audit: the reversible answer row keeps the placeholders" contains \
    "$(sqlite3 "$DB2" "select response_body from audit_log where request_id = 'atk-rev'")" '<EMAIL_ADDRESS_1>'
check "audit: ... also inside the tool-call arguments" contains \
    "$(sqlite3 "$DB2" "select response_body from audit_log where request_id = 'atk-rev'")" '\"q\": \"mail <EMAIL_ADDRESS_1>'

# tool-call arguments are JSON inside a string: a value spelled with JSON escapes is found
# whole, and a redaction never leaves a broken escape ("a\\<EMAIL_ADDRESS_1>") behind
python3 - "$TMP/tc.json" <<'PY'
import json, sys
args = json.dumps({"email": "a\u200b.b@example.com", "note": "line\nfoo@x.com card \uff14\uff11\uff11\uff11" + "\uff11" * 12,
                   "ssn": "123-45-6789", "esc": "\\\\u0040 kept"})
body = {"model": "rev", "messages": [{"role": "user", "content": "look up"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": args}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok"}, {"role": "user", "content": "thanks"}]}
open(sys.argv[1], "w").write(json.dumps(body))
PY
chat "$(cat "$TMP/tc.json")" -H 'x-request-id: atk-tool-args' >/dev/null
check "tool-call arguments: 200" eq "$(status)" 200
sleep 0.3
sent_args=$(sqlite3 "$DB2" "select request_body from audit_log where request_id = 'atk-tool-args'" |
    python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(json.dumps(json.loads(d["messages"][1]["tool_calls"][0]["function"]["arguments"]), sort_keys=True))' 2>&1)
check "tool-call arguments: still JSON after redaction (was: a\\<EMAIL_ADDRESS_1>, an invalid escape)" \
    eq "$(jq -r .email <<<"$sent_args" 2>&1)" "<EMAIL_ADDRESS_1>"
check "tool-call arguments: a value after a \\n escape, and \\u-escaped full-width digits" eq \
    "$(jq -r .note <<<"$sent_args" 2>&1)" $'line\n<EMAIL_ADDRESS_2> card <CREDIT_CARD_1>'
check "tool-call arguments: an escaped backslash is not an escape" eq "$(jq -r .esc <<<"$sent_args" 2>&1)" '\\u0040 kept'

# usage of streams: Warden should ask for include_usage when the client did not (issue 12 point 4)
chat '{"model":"plain","stream":true,"messages":[{"role":"user","content":"hi"}]}' -H 'x-request-id: atk-stream-usage' >/dev/null
# a client that leaves mid-stream
curl -s -m 0.5 -o /dev/null -H 'x-request-id: atk-gone-stream' "$WARDEN/v1/chat/completions" \
    -d '{"model":"plain","stream":true,"mock":{"chunk_interval_ms":300,"chunks":5},"messages":[{"role":"user","content":"hi"}]}'
sleep 1
check "audit: a stream without include_usage still has tokens (Warden asks for the usage chunk)" \
    eq "$(sqlite3 "$DB2" "select tokens_in > 0 and tokens_out > 0 from audit_log where request_id = 'atk-stream-usage'")" 1
check "audit: ... and the client does not get the chunk it did not ask for" eq \
    "$(chat '{"model":"plain","stream":true,"messages":[{"role":"user","content":"hi"}]}' | grep -c '"choices":\[\],')" 0
check "audit: a client that asks for include_usage gets the chunk" eq \
    "$(chat '{"model":"plain","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}' | grep -c '"choices":\[\],')" 1
check "audit: a client gone mid-stream is 499 client_closed_request (was 200)" eq \
    "$(sqlite3 "$DB2" "select status || ' ' || error_code from audit_log where request_id = 'atk-gone-stream'")" "499 client_closed_request"

# ---------------------------------------------------------------- hostile guard service
hook() { # model keyword -> "status guards-header"
    chat "$(req "$1" "$2 x" 0)" >/dev/null
    echo "$(status) $(header x-warden-guardrails)"
}
check "webhook: extra answer fields -> pass" eq "$(hook hook EXTRAFIELDS)" "200 wh=pass"
check "webhook: a chunked answer -> pass" eq "$(hook hook CHUNKED)" "200 wh=pass"
check "webhook: an answer without Content-Length (close) -> pass" eq "$(hook hook NOLENGTH)" "200 wh=pass"
check "webhook: INTERVENED with texts null -> unchanged" eq "$(hook hook INTERVENEDNULL)" "200 wh=pass"
check "webhook: closed mid-answer -> 503 unreachable (fail_closed)" eq "$(hook hook CLOSEMID)" "503 wh=unreachable_closed"
check "webhook: closed mid-answer, fail_open -> passes" eq "$(hook hook-open CLOSEMID)" "200 wh-open=unreachable_open"
check "webhook: texts of the wrong type -> bad answer (503)" eq "$(hook hook TEXTSBADTYPE)" "503 wh=error_closed"
check "webhook: HTTP 500 is a bad answer, not unreachable" eq "$(hook hook STATUS500)" "503 wh=error_closed"
check "webhook: a redirect is not followed" eq "$(hook hook REDIRECT)" "503 wh=error_closed"
check "webhook: an empty 200 -> bad answer" eq "$(hook hook EMPTY200)" "503 wh=error_closed"
check "webhook: a JSON array -> bad answer" eq "$(hook hook ARRAYANSWER)" "503 wh=error_closed"
check "webhook: \\u0000 in a rewrite -> bad answer" eq "$(hook hook NULREWRITE)" "503 wh=error_closed"
check "webhook: a lone surrogate in a rewrite -> bad answer" eq "$(hook hook SURROGATE)" "503 wh=error_closed"
check "webhook: a 20 MB answer -> bad answer, bounded" eq "$(hook hook HUGEANSWER)" "503 wh=error_closed"
check "webhook: BLOCKED without a reason -> 400" eq "$(hook hook BLOCKNOREASON)" "400 wh=block"
# the body is made before the clock starts: under load, starting python took over a second (3.3 s seen)
stall_body=$(req hook "STALLHEAD x" 0)
t0=$(now_ms)
chat "$stall_body" >/dev/null
stall_ms=$(($(now_ms) - t0))
check "webhook: a service that never answers -> 503 timeout" eq "$(status) $(header x-warden-guardrails)" "503 wh=timeout_closed"
check "webhook: ... within the time-out (1500 ms; $stall_ms ms < $(slow_ms 3000))" lt "$stall_ms" "$(slow_ms 3000)"
out=$(chat "$(req hook 'NASTYREWRITE x' 0)")
check "webhook: a rewrite with quotes, newlines, U+2028 and emoji stays valid JSON upstream" eq \
    "$(jq -r '.choices[0].message.content' <<<"$out")" $'q"uo\\te\n\t</script>\u2028 😀 é'
chat "$(req hook 'hello x' 0)" -H "Authorization: Bearer sk-client-SECRET-1" -H 'x-api-key: sk-client-SECRET-2' \
    -H 'api-key: AZ-SECRET-3' -H 'Cookie: s=COOKIE-SECRET-4' >/dev/null
last=$(tail -1 "$TMP/guard.jsonl")
check "webhook: no client credential reaches the guard service" not_contains "$last" "SECRET"
check "webhook: credentials appear only as [present]" eq \
    "$(jq -r '[.body.request_headers["authorization","x-api-key","api-key","cookie"]] | unique | join(",")' <<<"$last")" "[present]"
check "webhook: no Authorization header to the service" eq "$(jq -r '.headers | has("authorization")' <<<"$last")" false
chat "$(req hook 'hello x' 0)" -H 'x-request-id: same-id' >/dev/null
chat "$(req hook 'hello x' 0)" -H 'x-request-id: same-id' >/dev/null
check "webhook: one x-request-id twice -> two call ids" eq \
    "$(tail -2 "$TMP/guard.jsonl" | jq -r .body.litellm_call_id | sort -u | wc -l)" 2
check "alive after the hostile guard service" alive
stop_all
start_mock

# ---------------------------------------------------------------- overflow: refuse, tiny journal, locked store
LOAD=$TMP/load
cc -O2 -o "$LOAD" "$ROOT/bench/load.c" || { echo "test_attack: cannot build bench/load.c"; exit 1; }
DB3=$TMP/attack3.db
start_warden "$(basic_config "audit: {sink: sqlite, path: \"$DB3\", journal_max_mb: 1, overflow: refuse, bodies: true, body_max_bytes: 2048}")" || exit 1
chat '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}]}' >/dev/null
sleep 0.3
sqlite_lock "$DB3" 8
sleep 0.3
python3 -c 'import json; print(json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x" * 800}]}))' >"$TMP/big.json"
ok=1
bad=0
for r in 1 2 3; do
    out=$("$LOAD" -p "$WARDEN_PORT" -n 1000 -b "$TMP/big.json" -t 30 2>&1 | tail -1)
    ok=$((ok + $(sed -n 's/.*ok=\([0-9]*\).*/\1/p' <<<"$out")))
    bad=$((bad + $(sed -n 's/.*bad_status=\([0-9]*\).*/\1/p' <<<"$out")))
done
wait "$LOCK_PID"
sleep 3
kill -TERM "$WARDEN_PID"
wait "$WARDEN_PID" 2>/dev/null
rows=$(sqlite3 "$DB3" 'select count(*) from audit_log')
dropped=$(sed -n 's/.*stopped: .* \([0-9]*\) dropped.*/\1/p' "$WARDEN_LOG")
echo "    refuse: $ok answered 200, $bad refused, $rows rows, ${dropped:-?} dropped"
check "refuse: requests are refused (503) while the journal is full (was: never refused)" ge "$bad" 1
check "refuse: the journal was used, not dropped whole (was: 2 rows of 3001 answers)" ge "$rows" 100
check "refuse: every admitted request has its row (was: in-flight requests overflowed)" eq "$rows" "$ok"
check "refuse: nothing dropped" eq "${dropped:-?}" 0

echo "test_attack: $KNOWN known defects (not counted)"
finish
