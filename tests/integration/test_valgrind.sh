#!/usr/bin/env bash
# Warden under valgrind memcheck: every request path the suite exercises most
# (non-streaming, streaming, embeddings, models, bad input, upstream errors and
# resets, an upstream that is down, a guardrail block, client disconnects during
# the wait and mid-stream, a short burst of concurrent requests), then SIGTERM.
# Passes when memcheck reports no errors and no definite/indirect leaks (h2o's
# recycled-buffer free lists are suppressed, see tests/valgrind.supp).
# Skipped on sanitizer builds (ASan and valgrind do not mix).
. "$(dirname "$0")/lib.sh"

if [[ "$BUILD" == *asan* ]] || ! command -v valgrind >/dev/null; then
    echo "  ok   $TEST_NAME: skipped (sanitizer build or no valgrind)"
    echo "$TEST_NAME: 0 passed, 0 failed"
    exit 0
fi

start_mock
VG_LOG="$TMP/valgrind.txt"
WARDEN_WRAPPER="valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=9 \
 --suppressions=$ROOT/tests/valgrind.supp --log-file=$VG_LOG"
DOWN=$(free_port)
start_warden "$(cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 2, drain_timeout_ms: 3000}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
  - {name: down, type: openai, base_url: "http://127.0.0.1:$DOWN/v1"}
models:
  - name: gpt-4o-mini
    targets: [{provider: local, model: mock-1}]
    guardrails: [no-keys]
  - name: broken
    targets: [{provider: down, model: x}]
    retries: {max: 1, base_ms: 10, max_ms: 20}
guardrails:
  - {name: no-keys, type: regex, stage: input, timing: concurrent, cancel_on_failure: true, patterns: ["sk-[A-Za-z0-9]{20,}"]}
YAML
)"
unset WARDEN_WRAPPER
U="$WARDEN/v1/chat/completions"
post() { curl -s -o /dev/null -w '%{http_code}' "$U" -H 'content-type: application/json' -d "$1"; }
msg='"messages":[{"role":"user","content":"hello"}]'

check "non-streaming 200" eq "$(post "{\"model\":\"gpt-4o-mini\",$msg}")" 200
out=$(curl -sN "$U" -H 'content-type: application/json' -d "{\"model\":\"gpt-4o-mini\",\"stream\":true,$msg}")
check "streaming ends with [DONE]" contains "$out" "data: [DONE]"
check "embeddings 200" eq "$(curl -s -o /dev/null -w '%{http_code}' "$WARDEN/v1/embeddings" -H 'content-type: application/json' \
    -d '{"model":"gpt-4o-mini","input":"hi"}')" 200
check "models 200" eq "$(curl -s -o /dev/null -w '%{http_code}' "$WARDEN/v1/models")" 200
check "malformed JSON 400" eq "$(post '{bad')" 400
check "unknown model 404" eq "$(post "{\"model\":\"nope\",$msg}")" 404
check "upstream 500 passed through" eq "$(post "{\"model\":\"gpt-4o-mini\",$msg,\"mock\":{\"status\":500}}")" 500
check "upstream down 502" eq "$(post "{\"model\":\"broken\",$msg}")" 502
check "guardrail block 400" eq "$(post "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"sk-abcdefghijklmnopqrstuvwx\"}]}")" 400
out=$(curl -sN "$U" -H 'content-type: application/json' -d "{\"model\":\"gpt-4o-mini\",\"stream\":true,$msg,\"mock\":{\"chunks\":10,\"abort_after\":3}}")
check "stream cut upstream: SSE error, no [DONE]" not_contains "$out" "data: [DONE]"
timeout 0.5 curl -s "$U" -H 'content-type: application/json' -d "{\"model\":\"gpt-4o-mini\",$msg,\"mock\":{\"ttft_ms\":3000}}" >/dev/null
timeout 0.5 curl -sN "$U" -H 'content-type: application/json' \
    -d "{\"model\":\"gpt-4o-mini\",\"stream\":true,$msg,\"mock\":{\"chunks\":50,\"chunk_interval_ms\":50}}" >/dev/null
burst=()
for i in $(seq 1 40); do post "{\"model\":\"gpt-4o-mini\",$msg}" >/dev/null & burst+=($!); done
wait "${burst[@]}"
check "still serving" eq "$(post "{\"model\":\"gpt-4o-mini\",$msg}")" 200

kill -TERM "$WARDEN_PID"
rc=0
wait "$WARDEN_PID" || rc=$?
check "exits 0 under memcheck (no errors, no leaks)" eq "$rc" 0
if [ "$rc" -ne 0 ]; then head -60 "$VG_LOG" >&2; fi
check "memcheck log has no error records" not_contains "$(cat "$VG_LOG")" "Invalid "
finish
