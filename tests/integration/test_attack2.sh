#!/usr/bin/env bash
# Adversarial review of canary tokens, split embeddings and the one-callback rule (guard
# verdicts delivered on a later loop turn, concurrent checks re-run after a rewrite).
# A hostile upstream (attack2_upstream.py) leaks the canary Warden placed, anywhere it can:
# error bodies, stream error events, other choices, logprobs, tool names, refusal, reasoning,
# headers, schema-failure messages; and answers split embeddings with broken sub-answers.
# Every check fails when the defect it names comes back.
source "$(dirname "$0")/lib.sh"

[ -x "$WARDEN_BIN" ] && [ -x "$MOCK_BIN" ] || { echo "$TEST_NAME: build first (make)"; echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }

UP_PORT=$(free_port)
python3 "$ROOT/tests/integration/attack2_upstream.py" "$UP_PORT" 2>"$TMP/up.log" &
PIDS+=($!)
UP=http://127.0.0.1:$UP_PORT
wait_port "$UP_PORT"
start_mock

CANARY_SCENARIOS="err400-echo err400-plain err500-echo err429-echo hdr-echo json-key json-open n2 toolname logprobs toplogprobs unknown-field clean-echo logprobs-only refusal reasoning error-event"
cfg_models() {
    local s
    for s in $CANARY_SCENARIOS; do
        printf '  - {name: %s, targets: [{provider: hostile, model: %s}], guardrails: [pi], retries: {max: 1, base_ms: 1, max_ms: 2}, structured_output: {max_reasks: 0}}\n' "$s" "$s"
    done
}
DB=$TMP/audit.db
start_warden "$(
    cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 1, drain_timeout_ms: 3000, max_response_bytes: 1048576}
providers:
  - {name: hostile, type: openai, base_url: "$UP/v1", api_key_env: OPENAI_API_KEY}
  - {name: local, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
guardrails:
  - {name: pi, type: prompt_injection, canary: true}
embeddings: {max_batch: 2, max_concurrency: 2}
models:
$(cfg_models)
  - {name: plain, targets: [{provider: hostile, model: clean-echo}]}
  - {name: m, targets: [{provider: local, model: mock-1}], guardrails: [pi]}
audit: {sink: sqlite, path: "$DB", bodies: true, flush_ms: 5}
YAML
)" || { echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }

CANARY_RE='wdncanary[a-z0-9]{24}'
# leaks FILE...: the canaries the upstream saw (its log) of which the files hold the prefix or
# any 8 characters of the random part; empty when nothing leaked.
leaks() {
    cat "$@" >"$TMP/seen.txt" 2>/dev/null
    python3 - "$TMP/seen.txt" "$TMP/up.log" <<'PY'
import re, sys
t = open(sys.argv[1], encoding="utf-8", errors="replace").read()
cs = set(re.findall(r"wdncanary[a-z0-9]{24}", open(sys.argv[2]).read()))
hit = sorted(c for c in cs if any(c[i:i + 8] in t for i in range(9, len(c) - 7)))
print(" ".join(hit + (["wdncanary"] if "wdncanary" in t.lower() else [])))
PY
}
attack() { # MODEL STREAM [EXTRA_JSON,]: one request with a system message
    local extra=${3:-}
    chat "{\"model\":\"$1\",\"stream\":$2,$extra\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"hi\"}]}" >/dev/null
}
placed() { grep -c "^canary wdncanary" "$TMP/up.log"; }

# ---- canary: every place an answer can carry it
for s in err400-echo err400-plain err500-echo err429-echo hdr-echo n2 toolname logprobs toplogprobs unknown-field; do
    before=$(placed)
    attack "$s" false
    check "canary $s: placed upstream, nothing of it reaches the client ($(status))" eq "$(($(placed) > before))+$(leaks "$TMP/body" "$TMP/headers")" "1+"
done
for s in n2 toolname logprobs logprobs-only refusal reasoning error-event; do
    before=$(placed)
    attack "$s" true
    check "canary stream $s: nothing of it reaches the client" eq "$(($(placed) > before))+$(leaks "$TMP/body" "$TMP/headers")" "1+"
done
SCHEMA='"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","additionalProperties":false,"properties":{"a":{"type":"integer"}}}}},'
for s in json-key json-open; do
    attack "$s" false "$SCHEMA"
    check "canary $s: the schema failure does not quote it ($(status))" eq "$(leaks "$TMP/body" "$TMP/headers")" ""
    attack "$s" true "$SCHEMA"
    check "canary $s, stream: the schema failure does not quote it" eq "$(leaks "$TMP/body" "$TMP/headers")" ""
done
attack json-open false '"response_format":{"type":"json_object"},'
check "canary json-open, json_object: the parse error does not quote it" eq "$(leaks "$TMP/body")" ""

check "warden alive" alive
stop_all; grep -E "$CANARY_RE" "$WARDEN_LOG" | head -5
check "no canary in any log line" eq "$(leaks "$WARDEN_LOG")" ""
check "no canary in the audit store" eq "$(python3 -c '
import re, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
rows = c.execute("select coalesce(request_body,\"\") || coalesce(response_body,\"\") || coalesce(guardrails,\"\") || coalesce(error_code,\"\") from audit_log").fetchall()
print(sum(1 for (t,) in rows if re.search(sys.argv[2], t)))' "$DB" "$CANARY_RE" 2>&1)" 0
finish
