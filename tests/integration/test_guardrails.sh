#!/usr/bin/env bash
# Guardrails end to end, non-streaming: every guard type (regex, keywords, length, tools,
# plugin, webhook, llm_judge), the output stage on complete answers, composition (parallel
# strategies, chain, merged rewrites, group time-outs) and `when:` conditions.
#
# One warden with one model per scenario (model name = scenario), the mock as both the LLM
# and the guard service (POST /guardrail: BLOCKME -> BLOCKED, REDACTME -> GUARDRAIL_INTERVENED).
# Each request carries a unique x-request-id, which Warden forwards upstream and puts in the
# webhook body, so the mock's records tell exactly what this request sent where.
source "$(dirname "$0")/lib.sh"

[ -x "$WARDEN_BIN" ] && [ -x "$MOCK_BIN" ] || { echo "$TEST_NAME: build first (make)"; echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }
PLUGIN="$BUILD/plugins/example_guard.so"
[ -f "$PLUGIN" ] || { echo "$TEST_NAME: $PLUGIN not built"; echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }

start_mock
DEAD_PORT=$(free_port) # nothing listens there
KEY=sk-AAAAAAAAAAAAAAAAAAAAAAAAA

CFG=$(
    cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 1, drain_timeout_ms: 3000}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
  - {name: j-safe, type: openai, base_url: "@MOCK@/v1", headers: {x-mock-content: "safe"}}
  - {name: j-unsafe, type: openai, base_url: "@MOCK@/v1", headers: {x-mock-content: "unsafe S1"}}
  - {name: j-nonsense, type: openai, base_url: "@MOCK@/v1", headers: {x-mock-content: "I would rather not say"}}
api_keys:
  - {key: "sk-free-user", name: free-user, metadata: {tier: free}}
  - {key: "sk-paid-user", name: paid-user, metadata: {tier: paid}}
guardrails:
  # ---- local scanners
  - {name: rx-block, type: regex, patterns: ["sk-[A-Za-z0-9]{20,}"], status_code: 422}
  - {name: rx-conc, type: regex, timing: concurrent, patterns: ["sk-[A-Za-z0-9]{20,}"]}
  - {name: rx-redact, type: regex, action: redact, replacement: "[KEY]", patterns: ["sk-[A-Za-z0-9]{20,}"]}
  - {name: rx-log, type: regex, action: log, patterns: ["sk-[A-Za-z0-9]{20,}"]}
  - {name: kw, type: keywords, keywords: [ass, "top secret"], whole_word: true}
  - {name: kw-case, type: keywords, keywords: [Forbidden], case_sensitive: true}
  - {name: len-chars, type: length, max_chars: 20}
  - {name: len-msgs, type: length, max_messages: 2}
  - {name: len-tokens, type: length, max_tokens: 5}
  # ---- tools
  - name: tools-out
    type: tools
    stage: output
    allow: [get_weather, search, delete_everything]
    deny: [delete_everything]
    arguments: {search: "(?i)password"}
  - {name: tools-in, type: tools, deny: [rm_rf]}
  # ---- plugins
  - {name: plug-upper, type: plugin, path: "$PLUGIN", config: "max_upper_ratio=0.7", cpu_bound: true}
  - {name: plug-mask, type: plugin, path: "$PLUGIN", config: "mask_digits=1", action: redact, cpu_bound: false}
  - {name: plug-mask-block, type: plugin, path: "$PLUGIN", config: "mask_digits=1", action: block}
  # ---- webhooks
  - {name: wh, type: webhook, url: "@MOCK@/guardrail"}
  - {name: wh-redact, type: webhook, action: redact, url: "@MOCK@/guardrail"}
  - {name: wh-down-open, type: webhook, on_error: fail_open, url: "http://127.0.0.1:$DEAD_PORT/guardrail"}
  - {name: wh-down-closed, type: webhook, on_error: fail_closed, url: "http://127.0.0.1:$DEAD_PORT/guardrail"}
  - {name: wh-garbage-open, type: webhook, on_error: fail_open, url: "@MOCK@/guardrail", headers: {x-mock-action: garbage}}
  - {name: wh-garbage-closed, type: webhook, url: "@MOCK@/guardrail", headers: {x-mock-action: garbage}}
  - {name: wh-500-closed, type: webhook, url: "@MOCK@/guardrail", headers: {x-mock-status: "500"}}
  - {name: wh-slow-open, type: webhook, timeout_ms: 150, on_error: fail_open, url: "@MOCK@/guardrail", headers: {x-mock-delay-ms: "1500"}}
  - {name: wh-slow-closed, type: webhook, timeout_ms: 150, url: "@MOCK@/guardrail", headers: {x-mock-delay-ms: "1500"}}
  # ---- llm judges
  - {name: lj-safe, type: llm_judge, model: judge-safe}
  - {name: lj-unsafe, type: llm_judge, model: judge-unsafe}
  - {name: lj-nonsense, type: llm_judge, model: judge-nonsense}
  - {name: lj-nonsense-open, type: llm_judge, model: judge-nonsense, on_error: fail_open}
  # ---- output stage
  - {name: out-block, type: regex, stage: output, patterns: ["SECRET-[0-9]+"]}
  - {name: out-redact, type: regex, stage: output, action: redact, patterns: ["SECRET-[0-9]+"]}
  - {name: out-wh-redact, type: webhook, stage: output, action: redact, url: "@MOCK@/guardrail"}
  # ---- composition
  - {name: m-slow-pass, type: webhook, timeout_ms: 5000, url: "@MOCK@/guardrail", headers: {x-mock-delay-ms: "2000", x-mock-action: NONE}}
  - {name: m-mid-pass, type: webhook, timeout_ms: 5000, url: "@MOCK@/guardrail", headers: {x-mock-delay-ms: "300", x-mock-action: NONE}}
  - {name: m-fast-pass, type: webhook, url: "@MOCK@/guardrail", headers: {x-mock-delay-ms: "50", x-mock-action: NONE}}
  - {name: m-fast-fail, type: webhook, url: "@MOCK@/guardrail", headers: {x-mock-delay-ms: "100", x-mock-action: BLOCKED}}
  - {name: m-slow-fail, type: webhook, timeout_ms: 5000, url: "@MOCK@/guardrail", headers: {x-mock-delay-ms: "1000", x-mock-action: BLOCKED}}
  - {name: p-all, type: parallel, strategy: all_must_pass, members: [m-slow-pass, m-fast-fail]}
  - {name: p-all-ok, type: parallel, strategy: all_must_pass, members: [m-fast-pass, m-mid-pass]}
  - {name: p-first, type: parallel, strategy: first_success, members: [m-fast-fail, m-mid-pass]}
  - {name: p-first-none, type: parallel, strategy: first_success, timeout_ms: 5000, members: [m-fast-fail, m-slow-fail]}
  - {name: p-race-fail, type: parallel, strategy: race, members: [m-slow-pass, m-fast-fail]}
  - {name: p-race-pass, type: parallel, strategy: race, members: [m-slow-fail, m-fast-pass]}
  - {name: c-block, type: webhook, url: "@MOCK@/guardrail", headers: {x-mock-action: BLOCKED}}
  - {name: c-redact, type: regex, action: redact, patterns: ["sk-[A-Za-z0-9]{20,}"]}
  - {name: c-pass, type: keywords, keywords: [zebra]}
  - {name: p-collect, type: parallel, strategy: collect_all, members: [c-block, c-redact, c-pass]}
  - {name: p-timeout-closed, type: parallel, timeout_ms: 200, members: [m-slow-pass, m-fast-pass]}
  - {name: p-timeout-open, type: parallel, timeout_ms: 200, on_error: fail_open, members: [m-slow-pass, m-fast-pass]}
  - {name: ch-two, type: chain, members: [rx-redact, wh-redact]}
  - {name: wh-redact-slow, type: webhook, action: redact, url: "@MOCK@/guardrail", headers: {x-mock-delay-ms: "200"}}
  - {name: pm-local-first, type: parallel, members: [rx-redact, wh-redact]}
  - {name: pm-remote-first, type: parallel, members: [wh-redact, rx-redact]}
  - {name: pm-remote-first-slow, type: parallel, members: [wh-redact-slow, rx-redact]}
  # ---- when
  - {name: w-model, type: keywords, keywords: [badword], when: {models: [when-a]}}
  - {name: w-tenant, type: keywords, keywords: [badword], when: {headers: {x-tenant: acme}}}
  - {name: w-any-tenant, type: keywords, keywords: [otherword], when: {headers: {x-tenant: "*"}}}
  - {name: w-meta, type: keywords, keywords: [badword], when: {metadata: {tier: free}}}
models:
  - {name: judge-safe, targets: [{provider: j-safe, model: llama-guard}]}
  - {name: judge-unsafe, targets: [{provider: j-unsafe, model: llama-guard}]}
  - {name: judge-nonsense, targets: [{provider: j-nonsense, model: llama-guard}]}
$(for g in rx-block rx-conc rx-redact rx-log kw kw-case len-chars len-msgs len-tokens tools-out tools-in plug-upper plug-mask \
    plug-mask-block wh wh-down-open wh-down-closed wh-garbage-open wh-garbage-closed wh-500-closed wh-slow-open \
    wh-slow-closed lj-safe lj-unsafe lj-nonsense lj-nonsense-open out-block out-redact out-wh-redact p-all p-all-ok p-first \
    p-first-none p-race-fail p-race-pass p-collect p-timeout-closed p-timeout-open ch-two pm-local-first pm-remote-first \
    pm-remote-first-slow w-tenant w-meta; do model "$g" "$g"; done)
$(model when-a w-model)
$(model when-b w-model)
$(model tenant-any w-any-tenant)
YAML
)
start_warden "$CFG" || { echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }

# ---- helpers

N=0
# go MODEL CONTENT [MOCK_JSON [curl args...]]: one chat request with a fresh x-request-id in $RID;
# the answer body is in $TMP/body, the status in status(), its duration in $MS.
go() {
    local model=$1 content=$2 mock=${3:-'{}'}
    shift $(($# < 3 ? $# : 3))
    go_body "{\"model\":\"$model\",\"messages\":[{\"role\":\"user\",\"content\":\"$content\"}],\"mock\":$mock}" "$@"
}
go_body() {
    local body=$1
    shift
    N=$((N + 1))
    RID="gt$N-$$"
    local t0
    t0=$(now_ms)
    chat "$body" -H "x-request-id: $RID" "$@" >/dev/null
    MS=$(($(now_ms) - t0))
}
body() { cat "$TMP/body"; }
# answer content of a non-streaming chat answer
answer() { body | json_get 'd["choices"][0]["message"]["content"]'; }
n_chat() { mock_eval chat 'len(rs)'; }
chat_body() { mock_eval chat 'b(rs[-1]) if rs else ""'; }
guards_hdr() { header x-warden-guardrails; }
metric() { curl -s "$WARDEN/metrics" | grep -F "$1" | awk '{print $2}' | head -1; }

# ---- regex
go rx-block "my key is $KEY"
check "regex block: status_code 422" eq "$(status)" 422
check "regex block: guardrail error body" contains "$(body)" '"code":"guardrail_blocked"'
check "regex block: error names the guard" contains "$(body)" '"name":"rx-block"'
check "regex block: the secret is not echoed" not_contains "$(body)" "$KEY"
go rx-conc "my key is $KEY"
check "concurrent local block: 400" eq "$(status)" 400
check "concurrent local block decided at once: no upstream call was made" eq "$(n_chat)" 0
check "regex block: nothing sent upstream" eq "$(n_chat)" 0
go rx-block "nothing to see"
check "regex block: clean prompt passes" eq "$(status)" 200

go rx-redact "my key is $KEY ok"
check "regex redact: 200" eq "$(status)" 200
check "regex redact: upstream got the redacted prompt" contains "$(chat_body)" 'my key is [KEY] ok'
check "regex redact: upstream never saw the key" not_contains "$(chat_body)" "$KEY"
check "regex redact: x-warden-guardrails" eq "$(guards_hdr)" "rx-redact=rewrite"

go rx-log "my key is $KEY"
check "regex log: passes" eq "$(status)" 200
check "regex log: flagged in x-warden-guardrails" eq "$(guards_hdr)" "rx-log=flagged"
check "regex log: prompt unchanged upstream" contains "$(chat_body)" "$KEY"
go rx-log "clean"
check "regex log: clean -> pass" eq "$(guards_hdr)" "rx-log=pass"

# ---- keywords
go kw "that is a TOP  SECRET plan"
s1=$(status)
go kw "that is a Top Secret plan"
check "keywords: caseless phrase blocks" eq "$(status)" 400
check "keywords: different spacing is not the phrase" eq "$s1" 200
go kw "what an ASS"
check "keywords: caseless word blocks" eq "$(status)" 400
go kw "first class assistance, bass"
check "keywords: whole_word (ass not in class/assistance/bass)" eq "$(status)" 200
go kw-case "this is forbidden"
check "keywords case_sensitive: other case passes" eq "$(status)" 200
go kw-case "this is Forbidden"
check "keywords case_sensitive: exact case blocks" eq "$(status)" 400

# ---- length (bodies without the mock's control field: its key is a text outside the contract,
# counted like any other text the upstream receives)
go_plain() { go_body "{\"model\":\"$1\",\"messages\":[{\"role\":\"user\",\"content\":\"$2\"}]}"; }
go_plain len-chars "01234567890123456789"
check "length max_chars: 20 chars pass" eq "$(status)" 200
go_plain len-chars "01234567890123456789x"
check "length max_chars: 21 chars block" eq "$(status)" 400
check "length max_chars: reason" contains "$(body)" "max_chars"
go_plain len-chars "ééééééééééééééééééé"
check "length max_chars counts characters, not bytes" eq "$(status)" 200
go_body '{"model":"len-msgs","messages":[{"role":"system","content":"a"},{"role":"user","content":"b"}]}'
check "length max_messages: 2 pass" eq "$(status)" 200
go_body '{"model":"len-msgs","messages":[{"role":"system","content":"a"},{"role":"user","content":"b"},{"role":"user","content":"c"}]}'
check "length max_messages: 3 block" eq "$(status)" 400
go_plain len-tokens "0123456789012345678"
check "length max_tokens: ~5 tokens pass" eq "$(status)" 200
go_plain len-tokens "0123456789012345678901234"
check "length max_tokens: ~7 tokens block" eq "$(status)" 400
check "length max_tokens: reason" contains "$(body)" "max_tokens"

# ---- tools (output stage: the mock answers with a tool call)
TOOLS='[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}},{"type":"function","function":{"name":"search","parameters":{"type":"object"}}}]'
tool_req() { # MODEL NAME ARGS_JSON_STRING
    go_body "{\"model\":\"$1\",\"messages\":[{\"role\":\"user\",\"content\":\"do it\"}],\"tools\":$TOOLS,\"mock\":{\"tool_call\":{\"name\":\"$2\",\"arguments\":$3}}}"
}
tool_req tools-out get_weather '"{\"city\":\"Paris\"}"'
check "tools: allowed tool passes" eq "$(status)" 200
check "tools: the tool call is delivered" contains "$(body)" '"get_weather"'
tool_req tools-out delete_everything '"{}"'
check "tools: denied tool blocked (deny wins over allow)" eq "$(status)" 400
check "tools: reason names the tool" contains "$(body)" "delete_everything"
tool_req tools-out launch_missiles '"{}"'
check "tools: tool outside allow blocked" eq "$(status)" 400
tool_req tools-out search '"{\"q\":\"my PassWord is 123\"}"'
check "tools: arguments regex blocks" eq "$(status)" 400
check "tools: arguments reason" contains "$(body)" "forbidden pattern"
tool_req tools-out search '"{\"q\":\"cats\"}"'
check "tools: clean arguments pass" eq "$(status)" 200
go_body "{\"model\":\"tools-in\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"rm_rf\"}}]}"
check "tools (input stage): offering a denied tool is blocked" eq "$(status)" 400
check "tools (input stage): nothing sent upstream" eq "$(n_chat)" 0

# ---- plugin
go plug-upper "THIS IS ALL SHOUTING IN CAPITAL LETTERS"
check "plugin (cpu_bound): uppercase ratio blocks" eq "$(status)" 400
check "plugin: reason from the plugin" contains "$(body)" '"name":"plug-upper"'
go plug-upper "this is a calm sentence with few capitals"
check "plugin: calm text passes" eq "$(status)" 200

# ---- webhook
go_plain wh "hello"
check "webhook: NONE passes" eq "$(status)" 200
check "webhook: the guard service got the texts" contains "$(mock_eval guard 'b(rs[0]) if rs else ""')" '"texts":["hello"]'
check "webhook: input_type request" contains "$(mock_eval guard 'b(rs[0]) if rs else ""')" '"input_type":"request"'
go wh "hello BLOCKME"
check "webhook: BLOCKED blocks" eq "$(status)" 400
check "webhook: blocked_reason is passed on" contains "$(body)" "mock: blocked word"
go wh-down-open "hello"
check "webhook down + fail_open: 200" eq "$(status)" 200
check "webhook down + fail_open: unreachable_open" eq "$(guards_hdr)" "wh-down-open=unreachable_open"
go wh-down-closed "hello"
check "webhook down + fail_closed: 503 (the check could not run)" eq "$(status)" 503
check "webhook down + fail_closed: guardrail_unavailable" contains "$(body)" '"code":"guardrail_unavailable"'
check "webhook down + fail_closed: unreachable_closed" eq "$(guards_hdr)" "wh-down-closed=unreachable_closed"
check "webhook down + fail_closed: nothing upstream" eq "$(n_chat)" 0
go wh-garbage-open "hello"
check "webhook garbage + fail_open: 200" eq "$(status)" 200
check "webhook garbage + fail_open: error_open" eq "$(guards_hdr)" "wh-garbage-open=error_open"
go wh-garbage-closed "hello"
check "webhook garbage + fail_closed: 503" eq "$(status)" 503
check "webhook garbage + fail_closed: guardrail_unavailable, type api_error" contains "$(body)" '"type":"api_error","param":null,"code":"guardrail_unavailable"'
check "webhook garbage + fail_closed: error_closed" eq "$(guards_hdr)" "wh-garbage-closed=error_closed"
go wh-500-closed "hello"
check "webhook HTTP 500 + fail_closed: 503" eq "$(status)" 503
check "webhook HTTP 500: reason" contains "$(body)" "HTTP 500"
# Wall-clock bounds here sit about halfway between the expected time and the alternative's (the
# time-out ignored, the slow member waited for): this script shares the CPUs with other suites, and
# an ASan run of it in make test's idle lane once saw 500 ms of lag. On slow builds slow_ms widens
# them, up to just under the alternative's time.
go wh-slow-open "hello"
check "webhook timeout + fail_open: 200" eq "$(status)" 200
check "webhook timeout + fail_open: timeout_open" eq "$(guards_hdr)" "wh-slow-open=timeout_open"
check "webhook timeout + fail_open: ~150 ms, not 1500 ($MS ms < $(slow_ms 1100 1400))" lt "$MS" "$(slow_ms 1100 1400)"
go wh-slow-closed "hello"
check "webhook timeout + fail_closed: 503" eq "$(status)" 503
check "webhook timeout + fail_closed: guardrail_unavailable" contains "$(body)" '"code":"guardrail_unavailable"'
check "webhook timeout + fail_closed: timeout_closed" eq "$(guards_hdr)" "wh-slow-closed=timeout_closed"
check "webhook timeout + fail_closed: ~150 ms, not 1500 ($MS ms < $(slow_ms 1100 1400))" lt "$MS" "$(slow_ms 1100 1400)"
sleep 0.1
check "webhook timeout: the guard call was abandoned (client_closed)" eq "$(mock_eval guard 'rs[-1]["outcome"] if rs else None')" client_closed

# ---- llm_judge
go lj-safe "hello"
check "llm_judge safe: 200" eq "$(status)" 200
check "llm_judge safe: pass" eq "$(guards_hdr)" "lj-safe=pass"
go lj-unsafe "hello"
check "llm_judge unsafe: blocked" eq "$(status)" 400
check "llm_judge unsafe: category in the reason" contains "$(body)" "S1"
go lj-nonsense "hello"
check "llm_judge nonsense + fail_closed: 503" eq "$(status)" 503
check "llm_judge nonsense: error_closed" eq "$(guards_hdr)" "lj-nonsense=error_closed"
go lj-nonsense-open "hello"
check "llm_judge nonsense + fail_open: 200" eq "$(status)" 200
check "llm_judge nonsense + fail_open: error_open" eq "$(guards_hdr)" "lj-nonsense-open=error_open"

# ---- output stage, complete answers
go out-block "hi" '{"content":"the code is SECRET-1234, keep it"}'
check "output block: 400" eq "$(status)" 400
check "output block: the answer is not delivered" not_contains "$(body)" "SECRET-1234"
check "output block: stage output in the error" contains "$(body)" '"stage":"output"'
go out-block "hi" '{"content":"nothing secret here"}'
check "output block: clean answer passes" eq "$(status)" 200
go out-redact "hi" '{"content":"the code is SECRET-1234, keep it"}'
check "output redact: 200" eq "$(status)" 200
check "output redact: answer redacted" eq "$(answer)" "the code is [REDACTED], keep it"
check "output redact: header" eq "$(guards_hdr)" "out-redact=rewrite"
go out-wh-redact "hi" '{"content":"please REDACTME now"}'
check "output webhook redact: answer rewritten" eq "$(answer)" "please [MOCK-REDACTED] now"
check "output webhook: input_type response" contains "$(mock_eval guard 'b(rs[0]) if rs else ""')" '"input_type":"response"'

# ---- parallel strategies
go p-all "hello"
check "all_must_pass: one member fails -> blocked" eq "$(status)" 400
check "all_must_pass: the failing member is named" contains "$(body)" '"member":"m-fast-fail"'
check "all_must_pass: decided at the fast failure, not the 2000 ms member ($MS ms < $(slow_ms 1400 1900))" lt "$MS" "$(slow_ms 1400 1900)"
sleep 0.1
check "all_must_pass: the slow member is cancelled" eq "$(mock_eval guard '[r["outcome"] for r in rs if "2000" in r["headers"].get("x-mock-delay-ms","")]')" "['client_closed']"
check "all_must_pass: slow member closed early (< $(slow_ms 700 1900) ms)" eq "$(mock_eval guard "[r['closed_ms'] - r['started_ms'] < $(slow_ms 700 1900) for r in rs if r['closed_ms']]")" "[True]"
go p-all-ok "hello"
check "all_must_pass: all pass -> 200" eq "$(status)" 200
# Parallel, proven by the mock's clock rather than ours: the 300 ms member was already
# in flight before the 50 ms member's answer was written (run in turn, it would start
# only after that answer reached Warden).
check "all_must_pass: members run in parallel (overlap at the mock)" eq "$(mock_eval guard 'len(rs) == 2 and all(r["finished_ms"] for r in rs) and max(r["started_ms"] for r in rs) < min(r["finished_ms"] for r in rs)')" "True"
go p-first "hello"
check "first_success: one passes -> 200" eq "$(status)" 200
go p-first-none "hello"
check "first_success: all fail -> blocked" eq "$(status)" 400
check "first_success: reports the first failure in declaration order" contains "$(body)" '"member":"m-fast-fail"'
go p-race-fail "hello"
check "race: fast failing member wins -> blocked" eq "$(status)" 400
check "race: decided fast, not at the 2000 ms member ($MS ms < $(slow_ms 1400 1900))" lt "$MS" "$(slow_ms 1400 1900)"
go p-race-pass "hello"
check "race: fast passing member wins -> 200" eq "$(status)" 200
check "race: decided fast, not at the 1000 ms member ($MS ms < $(slow_ms 800 950))" lt "$MS" "$(slow_ms 800 950)"
before_block=$(metric 'warden_guard_verdicts_total{guard="c-block",verdict="block"}')
before_rw=$(metric 'warden_guard_verdicts_total{guard="c-redact",verdict="rewrite"}')
go p-collect "key $KEY here"
check "collect_all: 200 although a member blocks" eq "$(status)" 200
check "collect_all: request unchanged (no redaction applied)" contains "$(chat_body)" "key $KEY here"
check "collect_all: flagged in x-warden-guardrails" eq "$(guards_hdr)" "p-collect=flagged"
check "collect_all: block verdict in metrics" eq "$(metric 'warden_guard_verdicts_total{guard="c-block",verdict="block"}')" $((${before_block:-0} + 1))
check "collect_all: rewrite verdict in metrics" eq "$(metric 'warden_guard_verdicts_total{guard="c-redact",verdict="rewrite"}')" $((${before_rw:-0} + 1))
check "collect_all: pass verdict in metrics" ge "$(metric 'warden_guard_verdicts_total{guard="c-pass",verdict="pass"}')" 1

go p-timeout-closed "hello"
check "group timeout_ms + fail_closed: 503" eq "$(status)" 503
check "group timeout_ms + fail_closed: guardrail_unavailable" contains "$(body)" '"code":"guardrail_unavailable"'
check "group timeout: timeout_closed" eq "$(guards_hdr)" "p-timeout-closed=timeout_closed"
check "group timeout: at ~200 ms, not 2000 ($MS ms < $(slow_ms 1400 1900))" lt "$MS" "$(slow_ms 1400 1900)"
sleep 0.1
check "group timeout: pending member cancelled" eq "$(mock_eval guard '[r["outcome"] for r in rs if "2000" in r["headers"].get("x-mock-delay-ms","")]')" "['client_closed']"
go p-timeout-open "hello"
check "group timeout_ms + fail_open: 200" eq "$(status)" 200
check "group timeout + fail_open: timeout_open" eq "$(guards_hdr)" "p-timeout-open=timeout_open"

# ---- chain and merged rewrites
go ch-two "key $KEY and REDACTME here"
check "chain: 200" eq "$(status)" 200
check "chain: both redactions reach upstream" contains "$(chat_body)" "key [KEY] and [MOCK-REDACTED] here"
check "chain: the second member saw the first one's output" contains "$(mock_eval guard 'b(rs[0]) if rs else ""')" "[KEY]"
check "chain: the guard service never saw the key" not_contains "$(mock_eval guard 'b(rs[0]) if rs else ""')" "$KEY"
for g in pm-remote-first pm-remote-first-slow pm-local-first; do
    go "$g" "key $KEY and REDACTME here"
    check "parallel merge ($g): 200" eq "$(status)" 200
    check "parallel merge ($g): both redactions applied" contains "$(chat_body)" "key [KEY] and [MOCK-REDACTED] here"
done

# ---- when
go when-a "a badword"
check "when models: applies to the listed model" eq "$(status)" 400
go when-b "a badword"
check "when models: skipped for another model" eq "$(status)" 200
check "when models: skipped guard not in x-warden-guardrails" eq "$(guards_hdr)" ""
go w-tenant "a badword" '{}' -H "x-tenant: acme"
check "when headers: matching x-tenant -> applies" eq "$(status)" 400
go w-tenant "a badword" '{}' -H "X-Tenant: other"
check "when headers: other tenant -> skipped" eq "$(status)" 200
go w-tenant "a badword"
check "when headers: no header -> skipped" eq "$(status)" 200
go tenant-any "otherword" '{}' -H "x-tenant: whoever"
check "when headers '*': any value -> applies" eq "$(status)" 400
go tenant-any "otherword"
check "when headers '*': absent -> skipped" eq "$(status)" 200
go w-meta "a badword" '{}' -H "Authorization: Bearer sk-free-user"
check "when metadata: api key with tier free -> applies" eq "$(status)" 400
go w-meta "a badword" '{}' -H "Authorization: Bearer sk-paid-user"
check "when metadata: tier paid -> skipped" eq "$(status)" 200
go w-meta "a badword"
check "when metadata: no key -> skipped" eq "$(status)" 200

# ---- robustness
check "warden alive after bad guard answers" alive
check "access log lines carry guardrails" ge "$(grep -c '"guardrails":"' "$WARDEN_LOG")" 10
check "access log: blocked request logged with its verdict" contains "$(grep '"guardrails":"wh-garbage-closed=error_closed"' "$WARDEN_LOG" | head -1)" '"status":503'
# ---- plugin rewrites (last: a crash here must not hide the results above)
go plug-mask "account 123456789012 thanks"
check "plugin mask_digits: 200" eq "$(status)" 200
check "plugin mask_digits: upstream got the masked prompt" contains "$(chat_body)" 'account ############ thanks'
check "plugin mask_digits: x-warden-guardrails" eq "$(guards_hdr)" "plug-mask=rewrite"
go plug-mask-block "account 123456789012 thanks"
check "plugin rewrite with action block -> blocked" eq "$(status)" 400
check "warden alive after plugin rewrites" alive

# graceful stop: exit status and sanitizer reports (leaks show at exit in ASan builds)
if kill -0 "$WARDEN_PID" 2>/dev/null; then
    kill -TERM "$WARDEN_PID"
    wait "$WARDEN_PID"
    rc=$?
    check "graceful shutdown exits 0 (got $rc)" eq "$rc" 0
fi
check "no sanitizer reports in the warden log" eq "$(grep -cE 'Sanitizer|runtime error:' "$WARDEN_LOG")" 0
# on failure, what warden said besides access log lines (aborts, sanitizer reports)
[ "$FAIL" -gt 0 ] && grep -v '^{"id"' "$WARDEN_LOG" | tail -30 >&2
finish
