#!/usr/bin/env bash
# The bypass suite (issue 9): every way found to get a secret past an input or output guard,
# or to route a request around them, against a scripted upstream (bypass_upstream.py) that
# records every body it receives and answers whatever a scenario says.
#
# Guards: regex on `sk-[A-Za-z0-9]{20,}` as input block (blocking and concurrent), input
# redact, output block, output redact, and the quickstart pair (concurrent input block +
# blocking output redact). Every attack asserts that the secret (or, for answers and
# streams, any 8-character piece of it) never reaches the upstream (input) or the client
# (output), in any decoded form: JSON escapes, gzip, UTF-16, SSE events joined... A
# failure prints what leaked and where. Clean twins of the input attacks must still pass
# (200, upstream reached), so a fix cannot refuse everything.
#
# Cases marked "beyond the contract" (notes/contract.md does not demand them yet) are
# count as failures (BYPASS_STRICT=1, the default); BYPASS_STRICT=0 prints them as "warn".
source "$(dirname "$0")/lib.sh"

[ -x "$WARDEN_BIN" ] || { echo "$TEST_NAME: build first (make)"; echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)
UPY="$HERE/bypass_upstream.py"

SECRET=sk-Q7vR2mXw9KpL4tYb8NcJ5hGd3Fs # the same in bypass_upstream.py
TAIL=${SECRET#sk-}
export OPENAI_API_KEY=pk-live-7f3a9c2e1b4d6a8f0e2c5b7d # the provider key (never in an answer)
STRICT=${BYPASS_STRICT:-1}

UP_PORT=$(free_port)
python3 "$UPY" serve "$UP_PORT" >"$TMP/upstream.log" 2>&1 &
PIDS+=($!)
wait_port "$UP_PORT" || { echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }
UP="http://127.0.0.1:$UP_PORT"
MOCK=$UP # lib.sh's start_warden replaces @MOCK@ with this
# The leak queries (two or three per check) go through one client process and one kept-alive
# connection: a curl and a sed per query cost more than the request being checked.
coproc PROBE { exec python3 "$UPY" probe "$UP_PORT" 2>>"$TMP/probe.log"; }
PIDS+=("$PROBE_PID")
DEAD_PORT=$(free_port)

PAT='"sk-[A-Za-z0-9]{20,}"'
# A pattern that needs PCRE2 and backtracks past its match limit on a run of "a"s.
BAD_PAT='"^(\\w+\\s?)+\\1$"'

OUT_JSON="out-toolcalls out-toolcall-name out-function-call out-reasoning-content out-reasoning out-refusal
  out-legacy-text out-n2 out-logprobs out-content-parts out-output-text-part out-unknown-field out-unknown-top
  out-escaped out-escaped-key out-dup-content out-dup-choices out-text-plain out-nonjson out-no-ctype out-html
  out-gzip out-deflate out-br-unknown out-utf16 out-bom out-nul-before out-error-with-secret-200 out-sse-for-json
  out-sse-as-json out-follow out-follow-first out-huge out-two-docs out-trailing-garbage out-deep out-json-as-sse
  out-toolcall-args-object out-ollama-shape out-escaped-choices out-escaped-message out-upper-hex out-pretty out-nan
  out-lone-surrogate out-raw-ctrl out-comment out-gzip-upper out-gzip-list out-gzip-twice out-te-gzip
  out-status-201 out-status-203 out-status-206 out-status-299 out-ctype-vendor out-interim out-split-parts
  out-args-escaped"
OUT_BEYOND="out-error-status st-final-message st-comment st-id-field"
OUT_STREAM="st-content st-200 st-1char st-long-secret st-split40 st-toolcalls st-toolcalls-whole st-reasoning
  st-reasoning2 st-refusal st-choice1 st-legacy-text st-logprobs st-multiline-data st-cr-lines st-crlf-lines
  st-nospace st-escaped st-dup-content st-gzip st-bad-json-event st-event-field out-json-for-stream st-clean40
  st-huge st-unterminated st-plain-label st-content-parts st-close-delimited st-escaped-delta st-escaped-choices
  st-upper-hex st-byte-slices st-bom st-spaced st-index-string st-index-float st-index-exp st-index-neg
  st-toolcall-index-string st-comment-inside st-utf16 st-split-parts st-args-escaped"

CFG=$(
    cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 1, drain_timeout_ms: 2000, max_body_bytes: 1m, max_response_bytes: 1m, http2: on}
providers:
  - {name: up, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
guardrails:
  - {name: in-block, type: regex, stage: input, timing: blocking, action: block, patterns: [$PAT]}
  - {name: in-conc, type: regex, stage: input, timing: concurrent, cancel_on_failure: true, action: block, patterns: [$PAT]}
  - {name: in-redact, type: regex, stage: input, timing: blocking, action: redact, patterns: [$PAT]}
  - {name: out-block, type: regex, stage: output, action: block, patterns: [$PAT]}
  - {name: out-redact, type: regex, stage: output, action: redact, patterns: [$PAT]}
  - {name: in-patterr, type: regex, stage: input, on_error: fail_open, patterns: [$BAD_PAT, $PAT]}
  - {name: in-patterr-redact, type: regex, stage: input, on_error: fail_open, action: redact, patterns: [$BAD_PAT, $PAT]}
  - {name: out-patterr, type: regex, stage: output, on_error: fail_open, action: redact, patterns: [$BAD_PAT, $PAT]}
  - {name: in-when-path, type: regex, stage: input, patterns: [$PAT], when: {paths: [/v1/chat/completions]}}
  - {name: wh-in-closed, type: webhook, stage: input, on_error: fail_closed, url: "http://127.0.0.1:$DEAD_PORT/guardrail"}
  - {name: wh-conc-closed, type: webhook, stage: input, timing: concurrent, on_error: fail_closed, url: "http://127.0.0.1:$DEAD_PORT/guardrail"}
  - {name: wh-out-closed, type: webhook, stage: output, on_error: fail_closed, url: "http://127.0.0.1:$DEAD_PORT/guardrail"}
models:
  - {name: in-block, targets: [{provider: up, model: in-ok}], guardrails: [in-block]}
  - {name: in-conc, targets: [{provider: up, model: in-ok}], guardrails: [in-conc]}
  - {name: in-redact, targets: [{provider: up, model: in-ok}], guardrails: [in-redact]}
  - {name: qs, targets: [{provider: up, model: in-ok}], guardrails: [in-conc, out-redact]}
  - {name: unguarded, targets: [{provider: up, model: routed-elsewhere}], guardrails: []}
  - {name: unguarded-out, targets: [{provider: up, model: st-content}], guardrails: []}
  - {name: in-patterr, targets: [{provider: up, model: in-ok}], guardrails: [in-patterr]}
  - {name: in-patterr-redact, targets: [{provider: up, model: in-ok}], guardrails: [in-patterr-redact]}
  - {name: in-when-path, targets: [{provider: up, model: in-ok}], guardrails: [in-when-path]}
  - {name: wh-in-closed, targets: [{provider: up, model: in-ok}], guardrails: [wh-in-closed]}
  - {name: wh-conc-closed, targets: [{provider: up, model: in-ok}], guardrails: [wh-conc-closed]}
  - {name: wh-out-closed, targets: [{provider: up, model: in-ok}], guardrails: [wh-out-closed]}
  - {name: out-patterr, targets: [{provider: up, model: out-aa-secret}], guardrails: [out-patterr]}
  - {name: err-401, targets: [{provider: up, model: err-echo-401}], guardrails: []}
  - {name: err-400, targets: [{provider: up, model: err-echo-400}], guardrails: []}
  - {name: err-500, targets: [{provider: up, model: err-echo-500}], retries: {max: 0}, guardrails: []}
  - {name: err-401-guarded, targets: [{provider: up, model: err-echo-401}], guardrails: [in-block, out-redact]}
$(for s in $OUT_JSON $OUT_STREAM $OUT_BEYOND; do
        printf '  - {name: %s--block, targets: [{provider: up, model: %s}], retries: {max: 0}, guardrails: [out-block]}\n' "$s" "$s"
        printf '  - {name: %s--redact, targets: [{provider: up, model: %s}], retries: {max: 0}, guardrails: [out-redact]}\n' "$s" "$s"
        printf '  - {name: %s--qs, targets: [{provider: up, model: %s}], retries: {max: 0}, guardrails: [in-conc, out-redact]}\n' "$s" "$s"
    done)
YAML
)
start_warden "$CFG" || { echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }

# ------------------------------------------------------------------ helpers

N=0
new_rid() { N=$((N + 1)); RID="bp$N-$$"; }
body() { cat "$TMP/body"; }
errcode() { body | json_get 'd["error"]["code"]'; }

# post_file PATH FILE [curl args...]: the file's bytes as the body, a fresh x-request-id in $RID;
# the answer in $TMP/body, its headers in $TMP/headers, status()
post_file() {
    local path=$1 file=$2
    shift 2
    local ctype=(-H 'Content-Type: application/json')
    case "$*" in *Content-Type:*) ctype=() ;; esac # the caller's own, alone
    new_rid
    curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' "${ctype[@]}" \
        -H "x-request-id: $RID" --max-time 20 "$@" --data-binary @"$file" "$WARDEN$path" >"$TMP/status" 2>/dev/null
}
# post PATH BODY [curl args...]: the same with the body given as text
post() {
    local path=$1
    printf '%s' "$2" >"$TMP/req"
    shift 2
    post_file "$path" "$TMP/req" "$@"
}

# fill TEMPLATE MODEL KEY: @MODEL@, @KEY@ (the secret or a clean word), @TAIL@ (after "sk-")
fill() { # TEMPLATE MODEL KEY
    local k=$3 t
    t=${1//@MODEL@/"$2"}
    t=${t//@KEY@/"$k"}
    printf '%s' "${t//@TAIL@/"${k#sk-}"}"
}

# ctl GET TARGET | ctl POST TARGET FILE: the upstream's answer to a control request, through
# the probe, in $CTL (the answer's lines; fails when none came within 30 s)
ctl() {
    local line
    CTL=""
    [ -n "${PROBE[1]:-}" ] || { echo "    the probe has exited (see $TMP/probe.log)" >&2; return 1; }
    printf '%s\n' "$*" >&"${PROBE[1]}"
    while IFS= read -r -t 30 line <&"${PROBE[0]}"; do
        [ "$line" = $'\x1eprobe-end' ] && return 0
        CTL+=$line$'\n'
    done
    echo "    the probe gave no answer to $1 $2" >&2
    return 1
}
# leak_report leak|scan: the upstream's report in $CTL, "n=N models=A,B" then one leak a line,
# for the upstream requests of $RID (leak) or for the client's answer in $TMP/body (scan)
leak_report() {
    if [ "$1" = leak ]; then
        ctl GET "/_leak?rid=$RID&piece=8&fmt=text"
    else
        ctl POST "/_scan?piece=8&fmt=text" "$TMP/body"
    fi
}
print_leaks() { # WHO REPORT: prints the leaks of a report, fails when there is one
    local r=$2
    case "$r" in n=*) ;; *) echo "    the upstream gave no leak report" >&2; return 1 ;; esac
    r=${r#*$'\n'}
    r=${r%$'\n'}
    [ -z "$r" ] && return 0
    printf '%s\n' "$r" | head -3 | cut -c1-420 | sed "s/^/    LEAKED to the $1 (rid $RID, status $(status)): /" >&2
    return 1
}
# no_leak_up: the secret (or an 8-char piece) reached no upstream request of $RID
no_leak_up() { leak_report leak && print_leaks upstream "$CTL"; }
# no_leak_client: nothing of the secret in the client's answer ($TMP/body) in any decoded form
no_leak_client() { leak_report scan && print_leaks client "$CTL"; }
# up_first_line: the first line of the upstream's report for $RID, "n=N models=A,B"
up_first_line() {
    ctl GET "/_leak?rid=$RID&fmt=text" || return 1
    UP_LINE=${CTL%%$'\n'*}
    case "$UP_LINE" in n=*) ;; *) UP_LINE="" ;; esac
}
# up_models: the models the upstream saw for $RID (first-wins and last-wins readings), comma-separated
up_models() { up_first_line && [ -n "$UP_LINE" ] && printf '%s\n' "${UP_LINE#*models=}"; }
up_count() {
    up_first_line && [ -n "$UP_LINE" ] || return 0
    UP_LINE=${UP_LINE#n=}
    printf '%s\n' "${UP_LINE%% *}"
}
# only_model TARGET: every upstream request of $RID ran TARGET in both readings (or none was made)
only_model() {
    local m
    m=$(up_models)
    [ -z "$m" ] || [ "$m" = "$1" ] || { echo "    the upstream ran model(s) [$m], Warden routed to [$1] (status $(status))" >&2; return 1; }
}
# not_gzip_unlabelled: a gzip body is never relayed without Content-Encoding: gzip
not_gzip_unlabelled() {
    local magic=""
    LC_ALL=C IFS= read -r -d '' -n 2 magic <"$TMP/body"
    if [ "$magic" = $'\x1f\x8b' ]; then
        contains "$(header content-encoding)" gzip || { echo "    gzip bytes relayed without Content-Encoding (status $(status))" >&2; return 1; }
    fi
    return 0
}
is_status() { # expected... : the status is one of them
    local s
    s=$(status)
    for e in "$@"; do [ "$s" = "$e" ] && return 0; done
    echo "    status $s, expected one of [$*]; body: $(head -c 300 "$TMP/body")" >&2
    return 1
}
is_code() { eq "$(errcode)" "$1"; }

WARN=0
T0=$(now_ms)
section() { echo "# $1 (at $((($(now_ms) - T0) / 1000)) s)"; }
# check_beyond NAME CONDITION...: a case beyond notes/contract.md: counts only with BYPASS_STRICT=1
check_beyond() {
    if [ "$STRICT" = 1 ]; then
        check "$@"
        return
    fi
    local name=$1
    shift
    if "$@" 2>"$TMP/warn"; then
        echo "  ok   $TEST_NAME: $name (beyond the contract)"
    else
        WARN=$((WARN + 1))
        echo "  warn $TEST_NAME: $name (beyond the contract; BYPASS_STRICT=1 makes it count)"
        sed 's/^/  /' "$TMP/warn"
    fi
}

IN_VARIANTS="in-block in-conc in-redact qs"
# attack_in NAME TEMPLATE [CLEAN(1: the clean twin must pass) [PATH [KIND(contract|beyond) [curl args...]]]]
attack_in() {
    local name=$1 tpl=$2 clean=${3:-1} path=${4:-/v1/chat/completions} kind=${5:-contract} v
    shift $(($# < 5 ? $# : 5))
    local ck=check
    [ "$kind" = beyond ] && ck=check_beyond
    for v in $IN_VARIANTS; do
        post "$path" "$(fill "$tpl" "$v" "$SECRET")" "$@"
        $ck "input $name [$v]: the secret never reaches the upstream" no_leak_up
        $ck "input $name [$v]: the upstream runs the routed model" only_model in-ok
    done
    if [ "$clean" = 1 ]; then
        post "$path" "$(fill "$tpl" in-block "hello-clean-text")" "$@"
        $ck "input $name: the clean twin passes (200)" is_status 200
        $ck "input $name: the clean twin reaches the upstream" eq "$(up_count)" 1
    fi
}

# attack_out SCENARIO STREAM(true|false) [KIND]: each output variant; the answer must not carry the secret
attack_out() {
    local sc=$1 stream=$2 kind=${3:-contract} v
    local ck=check
    [ "$kind" = beyond ] && ck=check_beyond
    for v in block redact qs; do
        post /v1/chat/completions "{\"model\":\"$sc--$v\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":$stream}"
        $ck "output $sc [$v, stream:$stream]: the secret never reaches the client" no_leak_client
        $ck "output $sc [$v, stream:$stream]: no encoded body without its Content-Encoding" not_gzip_unlabelled
    done
    check "output $sc: warden alive" alive
}

# attack_beyond NAME TEMPLATE: a chat attack beyond the contract (counted with BYPASS_STRICT=1)
attack_beyond() { attack_in "$1" "$2" 1 /v1/chat/completions beyond; }

M='"model":"@MODEL@"'
U='{"role":"user","content":"hello"}'

# ================================================================== the scanner itself
# Without guards the secret must be seen arriving, else every check below would be vacuous.
leaks() { ! "$@" 2>/dev/null; }
post /v1/chat/completions "{\"model\":\"unguarded\",\"messages\":[{\"role\":\"user\",\"content\":\"k s\\u006b-$TAIL\"}]}"
check "scanner: sees an escaped secret reaching the upstream of an unguarded model" leaks no_leak_up
post /v1/chat/completions "{\"model\":\"unguarded-out\",\"messages\":[$U],\"stream\":true}"
check "scanner: sees a streamed secret reaching the client of an unguarded model" leaks no_leak_client
post /v1/chat/completions "{\"model\":\"unguarded\",\"messages\":[$U]}"
check "scanner: a clean answer has no leak" no_leak_client
check "scanner: a clean request has no leak" no_leak_up

# ================================================================== input: JSON tricks
section "input: duplicate and escaped keys"
post /v1/chat/completions "{\"model\":\"in-block\",\"messages\":[$U],\"model\":\"unguarded\"}"
check "duplicate model (guarded first): 400" is_status 400
check "duplicate model (guarded first): code duplicate_key" is_code duplicate_key
check "duplicate model (guarded first): the error message names the key" \
    contains "$(body | json_get 'd["error"]["message"]')" model
check "duplicate model (guarded first): never routed elsewhere" only_model in-ok
post /v1/chat/completions "{\"model\":\"unguarded\",\"messages\":[$U],\"model\":\"in-block\"}"
check "duplicate model (guarded last): never routed elsewhere" only_model routed-elsewhere
check "duplicate model (guarded last): 400 duplicate_key" is_code duplicate_key
post /v1/chat/completions "{\"model\":\"in-block\",\"messages\":[$U],\"m\\u006fdel\":\"unguarded\"}"
check "escaped duplicate m\\u006fdel: 400 duplicate_key" is_code duplicate_key
check "escaped duplicate m\\u006fdel: never routed elsewhere" only_model in-ok
post /v1/chat/completions "{\"m\\u006fdel\":\"in-block\",\"messages\":[$U],\"model\":\"unguarded\"}"
check "escaped first m\\u006fdel + model: 400 duplicate_key" is_code duplicate_key
check "escaped first m\\u006fdel + model: upstream runs one model" only_model routed-elsewhere
post /v1/chat/completions "{\"m\\u006fdel\":\"in-block\",\"messages\":[{\"role\":\"user\",\"content\":\"$SECRET\"}]}"
check "only escaped m\\u006fdel: the secret never reaches the upstream" no_leak_up
check "only escaped m\\u006fdel: upstream runs the routed model" only_model in-ok
# The secret goes to the unguarded model's twin through every duplicate spelling.
for spelling in '"model":"unguarded"' '"m\u006fdel":"unguarded"' '"\u006d\u006f\u0064\u0065\u006c":"unguarded"' \
    '"\u006Dodel":"unguarded"' '"model\u0000":"unguarded"' '"model":"unguarded\u0000"' '"model":"in-block","model":"unguarded"'; do
    post /v1/chat/completions "{\"model\":\"in-block\",\"messages\":[{\"role\":\"user\",\"content\":\"$SECRET\"}],$spelling}"
    check "duplicate $spelling after a guarded model: the secret never reaches the upstream" no_leak_up
    check "duplicate $spelling after a guarded model: never routed elsewhere" only_model in-ok
done

post /v1/embeddings "{\"model\":\"in-block\",\"input\":\"$SECRET\",\"model\":\"unguarded\"}"
check "embeddings duplicate model: the secret never reaches the upstream" no_leak_up
check "embeddings duplicate model: never routed elsewhere" only_model in-ok
attack_in "key content\\u0000 beside content" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"content\\u0000\":\"@KEY@\"}]}" 0
attack_in "duplicate messages (clean first, secret last)" \
    "{$M,\"messages\":[$U],\"messages\":[{\"role\":\"user\",\"content\":\"@KEY@\"}]}" 0
attack_in "duplicate messages (secret first)" \
    "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"@KEY@\"}],\"messages\":[$U]}" 0
attack_in "escaped duplicate m\\u0065ssages" \
    "{$M,\"messages\":[$U],\"m\\u0065ssages\":[{\"role\":\"user\",\"content\":\"@KEY@\"}]}" 0
attack_in "only escaped m\\u0065ssages" "{$M,\"m\\u0065ssages\":[{\"role\":\"user\",\"content\":\"@KEY@\"}]}"
attack_in "duplicate content in a message" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"content\":\"@KEY@\"}]}" 0
attack_in "duplicate content, secret first" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"@KEY@\",\"content\":\"hi\"}]}" 0
attack_in "escaped key c\\u006fntent" "{$M,\"messages\":[{\"role\":\"user\",\"c\\u006fntent\":\"@KEY@\"}]}"
attack_in "escaped key c\\u006fntent beside content" \
    "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"c\\u006fntent\":\"@KEY@\"}]}" 0
attack_in "duplicate text in a part" \
    "{$M,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\",\"text\":\"@KEY@\"}]}]}" 0
attack_in "duplicate type in a part (text, then image_url)" \
    "{$M,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"text\":\"@KEY@\",\"type\":\"text\"}]}]}" 0
attack_in "duplicate role" "{$M,\"messages\":[{\"role\":\"user\",\"role\":\"user\",\"content\":\"@KEY@\"}]}" 0
attack_in "duplicate function arguments in tool_calls" \
    "{$M,\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\",\"arguments\":\"{\\\"k\\\":\\\"@KEY@\\\"}\"}}]},$U]}" 0
attack_in "escaped key \\u0074ools" \
    "{$M,\"messages\":[$U],\"\\u0074ools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"description\":\"@KEY@\"}}]}"

section "input: the secret written with JSON escapes"
attack_in "secret with \\u006b" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"my key s\\u006b-@TAIL@\"}]}"
attack_in "secret fully \\u-escaped prefix" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"\\u0073\\u006b\\u002d@TAIL@\"}]}"
attack_in "secret with escaped letters inside" \
    "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"$(printf '%s' "$SECRET" | python3 -c 'import sys; s=sys.stdin.read(); print("".join("\\\\u%04x" % ord(c) if i % 3 == 0 else c for i, c in enumerate(s)), end="")')\"}]}" 0
attack_in "secret after \\/ and \\\" escapes" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"a\\/b \\\"q\\\" @KEY@\"}]}"
attack_in "secret after a NUL escape" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"hello\\u0000 @KEY@\"}]}"
attack_in "secret after an escaped newline" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"line\\nkey=@KEY@\"}]}"
attack_in "secret after a surrogate pair" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"\\ud83d\\ude00 @KEY@\"}]}"

section "input: the byte-level reader (whitespace, escapes, framing)"
attack_in "secret with upper-case hex escape s\\u006B" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"key s\\u006B-@TAIL@\"}]}"
attack_in "secret right after a surrogate pair" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"\\ud83d\\ude00@KEY@\"}]}"
attack_in "secret right after a lone surrogate escape" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"\\ud800@KEY@\"}]}" 0
attack_in "secret after an escaped backslash ending a string" \
    "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"a\\\\\",\"name\":\"@KEY@\"}]}"
attack_in "secret after an escaped quote" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"a\\\"@KEY@\"}]}"
TAB=$'\t' NL=$'\n' CR=$'\r'
attack_in "whitespace around colons and commas" \
    "{ $M ,\"messages\" :$TAB[ {\"role\" : \"user\" ,$CR$NL \"content\"$NL:$NL\"@KEY@\" } ] }"
pretty=$(python3 -c 'import json; print(json.dumps({"model": "@MODEL@", "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"k\": \"@KEY@\"}"}}]}, {"role": "tool", "tool_call_id": "c1", "content": "ok"}]}, indent="\t"))')
attack_in "pretty-printed body with tabs (tool_calls arguments)" "$pretty"
attack_in "raw TAB and newline bytes inside the string" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"a$(printf '\t')b$(printf '\nx') @KEY@\"}]}" 0
attack_in "a second JSON document after the body" "{$M,\"messages\":[$U]} {\"messages\":[{\"role\":\"user\",\"content\":\"@KEY@\"}]}" 0
attack_in "trailing bytes after the body" "{$M,\"messages\":[$U]} @KEY@" 0
attack_in "a comment carrying the secret" "{$M,/* @KEY@ */\"messages\":[$U]}" 0
attack_in "NaN beside the secret" "{$M,\"temperature\":NaN,\"messages\":[{\"role\":\"user\",\"content\":\"@KEY@\"}]}" 0
attack_in "a leading-zero number beside the secret" "{$M,\"temperature\":01,\"messages\":[{\"role\":\"user\",\"content\":\"@KEY@\"}]}" 0
attack_in "empty key carrying the secret" "{$M,\"messages\":[$U],\"\":\"@KEY@\"}"
attack_in "parts nested one array deeper" "{$M,\"messages\":[{\"role\":\"user\",\"content\":[[{\"type\":\"text\",\"text\":\"@KEY@\"}]]}]}" 0
many_esc=$(python3 -c 'print("\\u0041" * 50000, end="")')
attack_in "secret after 50000 escapes in the same string" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"$many_esc @KEY@\"}]}"
long_key=$(python3 -c 'print("k" * 100000, end="")')
attack_in "secret beside a 100 KB key" "{$M,\"messages\":[$U],\"$long_key\":\"@KEY@\"}"

section "input: texts the model reads"
attack_in "message name" "{$M,\"messages\":[{\"role\":\"user\",\"name\":\"@KEY@\",\"content\":\"hi\"}]}"
attack_in "assistant tool_calls arguments" \
    "{$M,\"messages\":[$U,{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"k\\\":\\\"@KEY@\\\"}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"ok\"}]}"
attack_in "assistant tool_calls function name" \
    "{$M,\"messages\":[$U,{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"@KEY@\",\"arguments\":\"{}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"ok\"}]}"
attack_in "legacy function_call in history" \
    "{$M,\"messages\":[$U,{\"role\":\"assistant\",\"content\":null,\"function_call\":{\"name\":\"f\",\"arguments\":\"{\\\"k\\\":\\\"@KEY@\\\"}\"}},{\"role\":\"function\",\"name\":\"f\",\"content\":\"ok\"}]}"
attack_in "tool message content" "{$M,\"messages\":[$U,{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"@KEY@\"}]}"
attack_in "developer message" "{$M,\"messages\":[{\"role\":\"developer\",\"content\":\"@KEY@\"},$U]}"
attack_in "assistant refusal in history" "{$M,\"messages\":[{\"role\":\"assistant\",\"content\":null,\"refusal\":\"@KEY@\"},$U]}"
attack_in "assistant reasoning_content in history" \
    "{$M,\"messages\":[{\"role\":\"assistant\",\"content\":\"ok\",\"reasoning_content\":\"@KEY@\"},$U]}"
attack_in "tools[].function.description" \
    "{$M,\"messages\":[$U],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"description\":\"@KEY@\",\"parameters\":{\"type\":\"object\"}}}]}"
attack_in "tools[].function.name" \
    "{$M,\"messages\":[$U],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"@KEY@\",\"parameters\":{\"type\":\"object\"}}}]}"
attack_in "tools parameters property description" \
    "{$M,\"messages\":[$U],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"string\",\"description\":\"@KEY@\"}}}}}]}"
attack_in "tools parameters enum" \
    "{$M,\"messages\":[$U],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"string\",\"enum\":[\"a\",\"@KEY@\"]}}}}}]}"
attack_in "legacy functions[].description" \
    "{$M,\"messages\":[$U],\"functions\":[{\"name\":\"f\",\"description\":\"@KEY@\",\"parameters\":{\"type\":\"object\"}}]}"
for ty in text refusal input_text output_text; do
    attack_in "content part type $ty" "{$M,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"$ty\",\"text\":\"@KEY@\"}]}]}"
done
attack_in "content part refusal field" "{$M,\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"refusal\",\"refusal\":\"@KEY@\"}]},$U]}"
attack_in "content part without type" "{$M,\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"@KEY@\"}]}]}"
attack_in "content part of unknown type with text" "{$M,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"zzz\",\"text\":\"@KEY@\"}]}]}"
attack_in "content part text given as an object" \
    "{$M,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":{\"value\":\"@KEY@\"}}]}]}" 0
attack_in "content given as an object" "{$M,\"messages\":[{\"role\":\"user\",\"content\":{\"type\":\"text\",\"text\":\"@KEY@\"}}]}" 0
many_parts=$(python3 -c 'print("{\"type\":\"text\",\"text\":\"p\"}," * 29999, end="")')
attack_in "secret in the last of 30000 content parts" \
    "{$M,\"messages\":[{\"role\":\"user\",\"content\":[$many_parts{\"type\":\"text\",\"text\":\"@KEY@\"}]}]}"
section "input: fields outside the contract (unknown_fields: check)"
attack_in "unknown top-level field" "{$M,\"messages\":[$U],\"zz_extra\":\"@KEY@\"}"
attack_in "unknown nested field in a message" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"zz\":{\"note\":[\"@KEY@\"]}}]}"
attack_in "prompt field on the chat route" "{$M,\"messages\":[$U],\"prompt\":\"@KEY@\"}"
attack_in "instructions field" "{$M,\"messages\":[$U],\"instructions\":\"@KEY@\"}"
attack_in "system field" "{$M,\"messages\":[$U],\"system\":\"@KEY@\"}"
attack_in "prediction content" "{$M,\"messages\":[$U],\"prediction\":{\"type\":\"content\",\"content\":\"@KEY@\"}}"
attack_in "tool_choice function name" \
    "{$M,\"messages\":[$U],\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"@KEY@\"}}}"
attack_in "Messages key in another case" "{$M,\"messages\":[$U],\"Messages\":[{\"role\":\"user\",\"content\":\"@KEY@\"}]}"
attack_in "Content key in another case" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"Content\":\"@KEY@\"}]}"
attack_in "messages given as an object" "{$M,\"messages\":{\"0\":{\"role\":\"user\",\"content\":\"@KEY@\"}}}" 0
attack_in "messages nested in an array" "{$M,\"messages\":[[{\"role\":\"user\",\"content\":\"@KEY@\"}]]}" 0
attack_in "message given as a string" "{$M,\"messages\":[\"@KEY@\"]}" 0
attack_in "secret 300 levels deep in an unknown field" \
    "{$M,\"messages\":[$U],\"zz\":$(printf '[%.0s' $(seq 1 300))\"@KEY@\"$(printf ']%.0s' $(seq 1 300))}" 0
section "input: beyond the contract (the model reads these too)"
attack_beyond "secret split across two text parts" \
    "{$M,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"sk-\"},{\"type\":\"text\",\"text\":\"@TAIL@\"}]}]}"
attack_beyond "tool parameter property name" \
    "{$M,\"messages\":[$U],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"properties\":{\"@KEY@\":{\"type\":\"string\"}}}}}]}"
attack_beyond "response_format json_schema description" \
    "{$M,\"messages\":[$U],\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":\"object\",\"description\":\"@KEY@\"}}}}"
attack_beyond "tool_calls arguments with the secret JSON-escaped inside" \
    "{$M,\"messages\":[$U,{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"k\\\":\\\"s\\\\u006b-@TAIL@\\\"}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"ok\"}]}"

section "input: embeddings"
attack_in "embeddings input string" "{$M,\"input\":\"@KEY@\"}" 1 /v1/embeddings
attack_in "embeddings input array" "{$M,\"input\":[\"a\",\"@KEY@\"]}" 1 /v1/embeddings
attack_in "embeddings input beside a messages array" "{$M,\"messages\":[$U],\"input\":\"@KEY@\"}" 0 /v1/embeddings
attack_in "embeddings input array of arrays of strings" "{$M,\"input\":[[\"@KEY@\"]]}" 0 /v1/embeddings
attack_in "embeddings duplicate input" "{$M,\"input\":\"hi\",\"input\":\"@KEY@\"}" 0 /v1/embeddings
post /v1/embeddings '{"model":"in-block","input":[1,2,3]}'
check "embeddings token array with an input guard: 400" is_status 400
check "embeddings token array: not sent upstream" eq "$(up_count)" 0
post /v1/embeddings '{"model":"in-block","input":[[1,2,3],[4,5]]}'
check "embeddings array of token arrays with an input guard: 400" is_status 400
post /v1/embeddings '{"model":"unguarded","input":[1,2,3]}'
check "embeddings token array without guards: passes" is_status 200
post /v1/chat/completions "{\"model\":\"in-block\",\"input\":\"$SECRET\",\"messages\":[$U]}"
check "chat with an input field beside messages: the secret never reaches the upstream" no_leak_up

section "input: non-text parts"
post /v1/chat/completions '{"model":"in-block","messages":[{"role":"user","content":[{"type":"text","text":"what is this"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]}'
check "image_url part: passes" is_status 200
check "image_url part: x-warden-guardrails says non_text=unchecked" contains "$(header x-warden-guardrails)" "non_text=unchecked"
post /v1/chat/completions '{"model":"in-block","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}}]}]}'
check "input_audio part: non_text=unchecked" contains "$(header x-warden-guardrails)" "non_text=unchecked"
post /v1/chat/completions "{\"model\":\"in-block\",\"messages\":[$U]}"
check "text only: no non_text mark" not_contains "$(header x-warden-guardrails)" "non_text"

section "input: bytes, encodings and transports"
big_msgs=$(python3 -c '
import json, sys
msgs = [{"role": "user", "content": "message %d" % i} for i in range(5000)]
msgs.append({"role": "user", "content": sys.argv[1]})
print(json.dumps({"model": "@MODEL@", "messages": msgs}))' "@KEY@")
attack_in "secret in the last of 5001 messages" "$big_msgs"
near_cap=$(python3 -c '
import json, sys
pad = "abc def " * ((1024 * 1024 - 400) // 8)
print(json.dumps({"model": "@MODEL@", "messages": [{"role": "user", "content": pad + sys.argv[1]}]}))' "@KEY@")
attack_in "secret at the end of a body just under the 1 MiB cap" "$near_cap"
long_prefix=$(python3 -c 'print("x" * 300000, end="")')
attack_in "secret after 300 KB in the same string" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"$long_prefix @KEY@\"}]}"
attack_in "chunked request body" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"key @KEY@\"}]}" 1 /v1/chat/completions contract \
    -H 'Transfer-Encoding: chunked'
attack_in "HTTP/2 (prior knowledge)" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"key @KEY@\"}]}" 1 /v1/chat/completions contract \
    --http2-prior-knowledge
attack_in "Content-Type text/plain" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"key @KEY@\"}]}" 1 /v1/chat/completions contract \
    -H 'Content-Type: text/plain'
attack_in "form Content-Type" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"key @KEY@\"}]}" 1 /v1/chat/completions contract \
    -H 'Content-Type: application/x-www-form-urlencoded'
attack_in "Content-Encoding: identity" "{$M,\"messages\":[{\"role\":\"user\",\"content\":\"key @KEY@\"}]}" 1 /v1/chat/completions contract \
    -H 'Content-Encoding: identity'
for v in $IN_VARIANTS; do
    printf '%s' "{\"model\":\"$v\",\"messages\":[{\"role\":\"user\",\"content\":\"key $SECRET\"}]}" | gzip -c >"$TMP/req.gz"
    post_file /v1/chat/completions "$TMP/req.gz" -H 'Content-Encoding: gzip'
    check "input gzip-encoded request body [$v]: the secret never reaches the upstream" no_leak_up
    python3 -c 'import sys,codecs; sys.stdout.buffer.write(codecs.BOM_UTF16_LE + sys.argv[1].encode("utf-16-le"))' \
        "{\"model\":\"$v\",\"messages\":[{\"role\":\"user\",\"content\":\"key $SECRET\"}]}" >"$TMP/req.u16"
    post_file /v1/chat/completions "$TMP/req.u16" -H 'Content-Type: application/json; charset=utf-16'
    check "input UTF-16 body [$v]: the secret never reaches the upstream" no_leak_up
    for bad in '\xff ' '\xc0\xaf' '\xed\xa0\x80'; do
        printf "{\"model\":\"$v\",\"messages\":[{\"role\":\"user\",\"content\":\"a${bad}key $SECRET\"}]}" >"$TMP/req.bad"
        post_file /v1/chat/completions "$TMP/req.bad"
        check "input invalid UTF-8 ($bad) before the secret [$v]: the secret never reaches the upstream" no_leak_up
    done
    # an invalid byte inside the secret: a reader that drops bad bytes reads the whole secret
    printf "{\"model\":\"$v\",\"messages\":[{\"role\":\"user\",\"content\":\"key sk-Q7vR2m\xffXw9KpL4tYb8NcJ5hGd3Fs\"}]}" >"$TMP/req.bad"
    post_file /v1/chat/completions "$TMP/req.bad"
    check "input invalid UTF-8 byte inside the secret [$v]: not forwarded (a lenient reader drops it)" no_leak_up
    printf '\xef\xbb\xbf%s' "{\"model\":\"$v\",\"messages\":[{\"role\":\"user\",\"content\":\"key $SECRET\"}]}" >"$TMP/req.bom"
    post_file /v1/chat/completions "$TMP/req.bom"
    check "input UTF-8 BOM before the body [$v]: the secret never reaches the upstream" no_leak_up
done
for path in "/v1/chat/completions?x=1" "/v1/chat/./completions" "/v1/chat/%63ompletions" "/v1/x/../chat/completions" \
    "/v1/chat/completions;x" "/v1/chat/completions#f"; do
    post "$path" "{\"model\":\"in-when-path\",\"messages\":[{\"role\":\"user\",\"content\":\"key $SECRET\"}]}" --path-as-is
    check "path spelled $path with a when: paths guard: the secret never reaches the upstream" no_leak_up
done
check "input attacks: warden alive" alive

# ================================================================== output
section "output: non-streaming answers"
for sc in $OUT_JSON; do
    attack_out "$sc" false
done
for sc in out-text-plain out-nonjson out-html out-utf16; do
    post /v1/chat/completions "{\"model\":\"$sc--redact\",\"messages\":[$U]}"
    check "output $sc with an output guard: 502" is_status 502
    check "output $sc with an output guard: code unverifiable_response" is_code unverifiable_response
done
post /v1/chat/completions "{\"model\":\"out-gzip--redact\",\"messages\":[$U]}"
check "output gzip answer: decoded and checked, or 502 unverifiable_response" \
    eval '[ "$(status)" = 502 ] && [ "$(errcode)" = unverifiable_response ] || { [ "$(status)" = 200 ] && no_leak_client; }'
section "output: the stream flag as the upstream reads it"
for st in '"stream":false,"stream":true' '"stream":true,"stream":false' '"\u0073tream":true' '"stream":false,"\u0073tream":true' \
    '"stream":"true"' '"stream":1' '"stream":"yes"'; do
    for sc in out-follow out-follow-first; do
        for v in block redact; do
            post /v1/chat/completions "{\"model\":\"$sc--$v\",\"messages\":[$U],$st}"
            check "output $sc [$v] with $st: the secret never reaches the client" no_leak_client
        done
    done
done
post /v1/chat/completions "{\"model\":\"out-follow--block\",\"messages\":[$U],\"stream\":false,\"stream\":true}"
check "duplicate stream: 400 duplicate_key" is_code duplicate_key

section "output: streams"
for sc in $OUT_STREAM; do
    attack_out "$sc" true
done
section "output: beyond the contract"
attack_out out-error-status false beyond
attack_out st-final-message true beyond
attack_out st-comment true beyond
attack_out st-id-field true beyond

section "streams: release timing, pieces, whole-match masking"
# stream_run MODEL: the request streamed with read times -> $TMP/stream.json; the body in $TMP/body
stream_run() {
    new_rid
    printf '%s' "{\"model\":\"$1\",\"messages\":[$U],\"stream\":true}" |
        python3 "$UPY" stream "$WARDEN/v1/chat/completions" "$RID" >"$TMP/stream.json"
    json_get 'd["body"]' <"$TMP/stream.json" >"$TMP/body"
    json_get 'd["status"]' <"$TMP/stream.json" >"$TMP/status"
}
# stream_stats: "READS_WITH_CONTENT LAG": LAG = when the first content arrived minus when the
# upstream sent its 5th chunk, in ms ("none" when no content arrived)
stream_stats() {
    python3 - "$TMP/stream.json" "$(curl -s "$UP/_leak?rid=$RID")" <<'PY'
import json, re, sys
try:
    s = json.load(open(sys.argv[1]))
    up = json.loads(sys.argv[2])
except ValueError as e:
    print("    no stream record (%s): %.200s" % (e, sys.argv[2]), file=sys.stderr)
    print(0, 0, 0)
    sys.exit(0)
sent = up["sent_ms"][0] if up["sent_ms"] else []
reads = [t for t, txt in s["reads"] if re.search(r'"content":\s*"[^"]', txt)]
if not reads or len(sent) < 5:
    print(len(reads), "none")  # no content arrived, or the upstream did not send 5 chunks
else:
    print(len(reads), int(reads[0] - sent[4]))
PY
}
before_fifth() { # LAG from stream_stats: the first content arrived before the upstream's 5th chunk
    case "$1" in -*) return 0 ;; none) echo "    no content arrived at all" >&2 ;; *) echo "    the first content arrived $1 ms after the upstream sent its 5th chunk" >&2 ;; esac
    return 1
}
for v in redact block qs; do
    stream_run "st-clean40--$v"
    read -r nreads lag <<<"$(stream_stats)"
    check "stream clean 150 B in 40 chunks [$v]: 200" is_status 200
    check "stream clean 40 chunks [$v]: arrives in many reads ($nreads >= 10)" ge "${nreads:-0}" 10
    check "stream clean 40 chunks [$v]: first content before the upstream's 5th chunk" before_fifth "${lag:-none}"
    check "stream clean 40 chunks [$v]: the text arrives intact" eq "$(sse_text <"$TMP/body")" \
        "$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import bypass_upstream as b; print(b.CLEAN150)' "$HERE")"
    stream_run "st-split40--$v"
    read -r nreads lag <<<"$(stream_stats)"
    check "stream secret split over 40 chunks [$v]: no 8-char piece reaches the client" no_leak_client
    check "stream secret split over 40 chunks [$v]: arrives in many reads ($nreads >= 5)" ge "${nreads:-0}" 5
    check "stream secret split over 40 chunks [$v]: first content before the upstream's 5th chunk" before_fifth "${lag:-none}"
done
for sc in st-200 st-1char st-long-secret; do
    post /v1/chat/completions "{\"model\":\"$sc--redact\",\"messages\":[$U],\"stream\":true}"
    text=$(sse_text <"$TMP/body")
    check "stream $sc [redact]: masked in place or the stream ended with an error" \
        eval 'contains "$text" "[REDACTED]" || contains "$(body)" "error"'
    if [ "$sc" != st-long-secret ]; then
        check "stream $sc [redact]: the clean tail after the secret arrives" contains "$text" "to the end of the answer"
        check "stream $sc [redact]: the whole match is masked, no tail of it released" \
            eval 'contains "$text" "The key: [REDACTED] -- and" || contains "$(body)" "error"'
    fi
    post /v1/chat/completions "{\"model\":\"$sc--block\",\"messages\":[$U],\"stream\":true}"
    check "stream $sc [block]: ended with an SSE error, not [DONE]" not_contains "$(body)" "[DONE]"
done

section "guards: per-pattern errors and checks that could not run"
aa=$(printf 'a%.0s' $(seq 1 40))
post /v1/chat/completions "{\"model\":\"in-patterr\",\"messages\":[{\"role\":\"user\",\"content\":\"$aa $aa! key $SECRET\"}]}"
check "a pattern past its match limit + fail_open: the other pattern still blocks (400)" is_status 400
check "pattern error + fail_open: the secret never reaches the upstream" no_leak_up
post /v1/chat/completions "{\"model\":\"in-patterr-redact\",\"messages\":[{\"role\":\"user\",\"content\":\"$aa $aa! key $SECRET\"}]}"
check "pattern error + fail_open, redact: the secret never reaches the upstream" no_leak_up
post /v1/chat/completions "{\"model\":\"in-patterr\",\"messages\":[{\"role\":\"user\",\"content\":\"$aa $aa!\"}]}"
check "pattern error + fail_open: a clean text passes" is_status 200
post /v1/chat/completions "{\"model\":\"out-patterr\",\"messages\":[{\"role\":\"user\",\"content\":\"$aa\"}]}"
check "output pattern error + fail_open: the secret never reaches the client" no_leak_client
for m in wh-in-closed wh-conc-closed wh-out-closed; do
    post /v1/chat/completions "{\"model\":\"$m\",\"messages\":[$U]}"
    check "$m (webhook on a closed port, fail_closed): 503" is_status 503
    check "$m: code guardrail_unavailable" is_code guardrail_unavailable
done

section "http: smuggling"
raw() { python3 "$UPY" raw "$WARDEN_PORT"; }
CB="{\"model\":\"in-block\",\"messages\":[$U]}"
SMUG=$'GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n'
# one_then_closed JSON: exactly one answer, a 400, then the connection closed
one_400_closed() {
    python3 -c '
import json, sys
r = json.loads(sys.argv[1])
ok = r["statuses"][:1] == [400] and len(r["statuses"]) == 1 and r["closed"]
if not ok:
    print("    answers %s, closed by the server: %s; %s" % (r["statuses"], r["closed"], r["heads"][1:2] or ""), file=sys.stderr)
sys.exit(0 if ok else 1)' "$1"
}
chunked_body=$(printf '%x\r\n%s\r\n0\r\n\r\n' "${#CB}" "$CB")
r=$(printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n%s%s' \
    "${#chunked_body}" "$chunked_body" "$SMUG" | raw)
check "CL + TE: 400, one answer, connection closed" one_400_closed "$r"
r=$(printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n%s%s' \
    "$chunked_body" "$SMUG" | raw)
check "TE + short CL: 400, one answer, connection closed" one_400_closed "$r"
r=$(printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\nContent-Length: %d\r\n\r\n%s%s' \
    "${#CB}" "$((${#CB} + 5))" "$CB" "$SMUG" | raw)
check "two different Content-Length: 400, one answer, connection closed" one_400_closed "$r"
r=$(printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d, %d\r\n\r\n%s%s' \
    "${#CB}" "$((${#CB} + 5))" "$CB" "$SMUG" | raw)
check "Content-Length list with different values: 400, one answer, connection closed" one_400_closed "$r"
r=$(printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\nTransfer-Encoding: identity, chunked\r\n\r\n%s%s' \
    "${#chunked_body}" "$chunked_body" "$SMUG" | raw)
check "CL + TE list: 400, one answer, connection closed" one_400_closed "$r"
for te in 'Transfer-Encoding: CHUNKED' $'Transfer-Encoding:\tchunked' 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked' \
    'Transfer-Encoding: chunked, chunked'; do
    r=$(printf "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n$te\r\n\r\n%s%s" \
        "${#chunked_body}" "$chunked_body" "$SMUG" | raw)
    check "CL + TE spelled '${te//$'\t'/<tab>}': 400, one answer, connection closed" one_400_closed "$r"
done
r=$(printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\nContent-Length: %d\r\n\r\n%s' \
    "${#CB}" "${#CB}" "$CB" | raw)
check "two equal Content-Length: answered once, nothing smuggled" \
    python3 -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if len(r["statuses"]) == 1 else 1)' "$r"
# smuggled secret: the check reads one framing, the forwarder another
SB="{\"model\":\"in-block\",\"messages\":[{\"role\":\"user\",\"content\":\"key $SECRET\"}]}"
chunked_secret=$(printf '%x\r\n%s\r\n0\r\n\r\n' "${#SB}" "$SB")
new_rid
r=$(printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-request-id: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n%s' \
    "$RID" "${#chunked_secret}" "$chunked_secret" | raw)
check "CL + TE with a secret: the secret never reaches the upstream" no_leak_up
check "smuggling: warden alive" alive

section "http: upstream errors echoing the provider key"
for m in err-401 err-400 err-500 err-401-guarded; do
    post /v1/chat/completions "{\"model\":\"$m\",\"messages\":[$U]}"
    check "$m echoing Authorization: the provider key is not in the body" not_contains "$(body)" "$OPENAI_API_KEY"
    check "$m echoing Authorization: the provider key is not in the headers" not_contains "$(cat "$TMP/headers")" "$OPENAI_API_KEY"
done
post /v1/chat/completions "{\"model\":\"err-401\",\"messages\":[$U]}" --http2-prior-knowledge
check "401 echo over HTTP/2: answered (401)" is_status 401
check "401 echo over HTTP/2: the provider key is not in the answer" not_contains "$(body)$(cat "$TMP/headers")" "$OPENAI_API_KEY"

check "warden alive at the end" alive
[ "$WARN" -gt 0 ] && echo "$TEST_NAME: $WARN case(s) beyond the contract leak (see warn lines)"
finish
