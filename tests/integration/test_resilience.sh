#!/usr/bin/env bash
# Retries, Retry-After, shared cooldowns, first-byte time-outs with fallbacks, stream failures
# before and after the first byte, a flaky target under load, max_concurrent rejection, and
# timeouts.request_ms (one deadline across retries, fallbacks and streams).
# Timing is read from the mock's own request records (started_ms on its monotonic clock).
# The last line is "test_resilience: N passed, M failed".
source "$(dirname "$0")/lib.sh"

MSG='"messages":[{"role":"user","content":"resilience"}]'
RUN=$$-$RANDOM # makes mock keys unique per run

start_mock
start_warden "$(
    cat <<'YAML'
server: {listen: "127.0.0.1:@PORT@", workers: 1, drain_timeout_ms: 3000}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1"}
  - {name: stall, type: openai, base_url: "@MOCK@/v1", headers: {x-mock-stall: "1"}}
  - {name: fail500, type: openai, base_url: "@MOCK@/v1", headers: {x-mock-status: "500"}}
  - {name: flaky, type: openai, base_url: "@MOCK@/v1", headers: {x-mock-fail-rate: "0.5"}}
health: {window: 20, min_requests: 5, error_ratio: 0.5, cooldown_ms: 1000}
models:
  - name: retry-model
    retries: {max: 3, base_ms: 100, max_ms: 800}
    targets: [{provider: local, model: mock-retry}]
  - name: ra-model
    retries: {max: 2, base_ms: 10, max_ms: 20}
    targets: [{provider: local, model: mock-ra}]
  - name: cool-model
    targets: [{provider: local, model: mock-cool}]
  - name: hang-model
    timeouts: {first_byte_ms: 500}
    targets: [{provider: stall, model: mock-hang}]
    fallbacks: [backup-model]
  - name: backup-model
    targets: [{provider: local, model: mock-backup}]
  - name: fail-model
    targets: [{provider: fail500, model: mock-fail}]
    fallbacks: [backup-model]
  - name: cut-model
    targets: [{provider: local, model: mock-cut}]
    fallbacks: [backup-model]
  - name: flaky-model
    retries: {max: 2, base_ms: 5, max_ms: 20}
    targets: [{provider: flaky, model: mock-flaky}, {provider: local, model: mock-steady}]
  - name: busy-model
    targets: [{provider: local, model: mock-busy, max_concurrent: 1, queue_max: 0}]
  - name: deadline-model
    timeouts: {request_ms: 400}
    retries: {max: 30, base_ms: 150, max_ms: 150}
    targets: [{provider: fail500, model: mock-deadline}]
    fallbacks: [backup-model]
  - name: deadline-stream
    timeouts: {request_ms: 400, total_ms: 5000}
    targets: [{provider: local, model: mock-deadline-stream}]
  - name: deadline-fallback
    timeouts: {request_ms: 2000, first_byte_ms: 300}
    targets: [{provider: stall, model: mock-deadline-hang}]
    fallbacks: [backup-model]
YAML
)" || { echo "test_resilience: warden did not start"; echo "test_resilience: 0 passed, 1 failed"; exit 1; }

jqe() { jq -e "$@" >/dev/null; }
in_range() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ] || { echo "    $1 not in [$2, $3]" >&2; return 1; }; }
# started_ms of every mock record whose body contains KEY, oldest first, space-separated
starts_for_key() { curl -s "$MOCK/mock/requests?limit=256" | jq -r --arg k "$1" '[.requests[] | select(.body | contains($k)) | .started_ms] | map(tostring) | join(" ")'; }
elapsed_ms() { awk "BEGIN{printf \"%d\", $(cat "$TMP/time") * 1000}"; }
chat_timed() { # body [curl args] -> body; total seconds in $TMP/time
    local body=$1
    shift
    curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code} %{time_total}' -H 'Content-Type: application/json' \
        --max-time 20 "$@" -d "$body" "$WARDEN/v1/chat/completions" >"$TMP/st"
    cut -d' ' -f1 "$TMP/st" >"$TMP/status"
    cut -d' ' -f2 "$TMP/st" >"$TMP/time"
    cat "$TMP/body"
}

# ---------------------------------------------------------------- retries with full-jitter backoff
# fail_first 2 -> attempts 1 and 2 get a 500, the third succeeds. Backoff before retry n is uniform
# in [0, min(800, 100 * 2^(n-1))]: <= 100 ms, then <= 200 ms.
# Between runs a few good requests keep the target's failure ratio under health.error_ratio, so
# the circuit breaker stays closed and every run exercises the retry path.
gaps1=(); gaps2=(); totals=()
for i in 1 2 3 4; do
    [ "$i" = 1 ] || for _ in 1 2 3 4 5 6 7; do curl -s -o /dev/null -d "{\"model\":\"retry-model\",$MSG}" "$WARDEN/v1/chat/completions"; done
    key="retry-$RUN-$i"
    out=$(chat_timed "{\"model\":\"retry-model\",$MSG,\"mock\":{\"fail_first\":2,\"key\":\"$key\"}}")
    code=$(status) attempts=$(header x-warden-attempts)
    read -r -a st <<<"$(starts_for_key "$key")"
    if [ "$i" = 1 ]; then
        check "retries: 200 after two 500s" eq "$code" 200
        check "retries: x-warden-attempts 3" eq "$attempts" 3
        check "retries: the mock saw 3 attempts" eq "${#st[@]}" 3
    fi
    [ "${#st[@]}" = 3 ] && [ "$code" = 200 ] || { check "retries run $i: 200 and 3 attempts ($code, ${#st[@]})" false; continue; }
    gaps1+=($((st[1] - st[0])))
    gaps2+=($((st[2] - st[1])))
    totals+=("$(elapsed_ms)")
done
echo "    backoff gaps before retry 1: ${gaps1[*]} ms (bound 100), before retry 2: ${gaps2[*]} ms (bound 200), totals: ${totals[*]} ms"
# the caps are Warden's own timers: only the 15 ms of slack on top of them widens on slow builds
ok_bounds=1
for g in "${gaps1[@]}"; do [ "$g" -le $((100 + $(slow_ms 15))) ] || ok_bounds=0; done
for g in "${gaps2[@]}"; do [ "$g" -le $((200 + $(slow_ms 15))) ] || ok_bounds=0; done
for t in "${totals[@]}"; do [ "$t" -le "$(slow_ms 400)" ] || ok_bounds=0; done
check "retries: every gap within its full-jitter cap (+$(slow_ms 15) ms) and total <= $(slow_ms 400) ms" eq "$ok_bounds" 1
distinct=$(printf '%s\n' "${gaps1[@]}" "${gaps2[@]}" | sort -u | wc -l)
check "retries: gaps are jittered (not all equal: $distinct distinct values)" ge "$distinct" 3

# ---------------------------------------------------------------- Retry-After
key="ra-$RUN"
out=$(chat_timed "{\"model\":\"ra-model\",$MSG,\"mock\":{\"fail_first\":1,\"status\":429,\"retry_after\":\"1\",\"key\":\"$key\"}}")
read -r -a st <<<"$(starts_for_key "$key")"
echo "    Retry-After 1: status $(status), attempts $(header x-warden-attempts), mock saw ${#st[@]} attempt(s) at ${st[*]:-none}, total $(elapsed_ms) ms"
check "retry-after: answered 200 after the 429" eq "$(status)" 200
check "retry-after: the mock saw 2 attempts" eq "${#st[@]}" 2
[ "${#st[@]}" -ge 2 ] && check "retry-after: second attempt not before 1 s ($((st[1] - st[0])) ms)" in_range $((st[1] - st[0])) 1000 "$(slow_ms 1300)"

# ---------------------------------------------------------------- cooldown shared across requests
# A 429 with Retry-After: 2 on the only target (no retries) opens its circuit for 2 s.
key="cool-$RUN"
out=$(chat_timed "{\"model\":\"cool-model\",$MSG,\"mock\":{\"status\":429,\"retry_after\":\"2\",\"key\":\"$key\"}}")
check "cooldown: first request relays the 429" eq "$(status)" 429
check "cooldown: upstream Retry-After relayed" eq "$(header retry-after)" 2
t_first=$(now_ms)
out=$(chat_timed "{\"model\":\"cool-model\",$MSG,\"mock\":{\"key\":\"$key-b\"}}")
st2=$(status) ra2=$(header retry-after) att2=$(header x-warden-attempts) tgt2=$(header x-warden-target)
seen=$(starts_for_key "$key-b")
echo "    cooldown: second request within 2 s -> status $st2, retry-after '${ra2}', attempts '${att2}', target '${tgt2}', code $(jq -r .error.code <<<"$out" 2>/dev/null), took $(elapsed_ms) ms, reached the mock: ${seen:-no}"
check "cooldown: second request within 2 s is refused (503/429) or waits" \
    bash -c "[ '$st2' = 503 ] || [ '$st2' = 429 ] || { [ '$st2' = 200 ] && [ $(elapsed_ms) -ge 1500 ]; }"
check "cooldown: the cooling target was not called" eq "$seen" ""
[ "$st2" = 503 ] || [ "$st2" = 429 ] && {
    check "cooldown: refusal carries Retry-After (1..2 s)" in_range "${ra2:-0}" 1 2
    check "cooldown: refusal is an OpenAI body" jqe '.error.message | length > 0' <<<"$out"
}
sleep_ms=$((2100 - ($(now_ms) - t_first)))
[ "$sleep_ms" -gt 0 ] && sleep "$(awk "BEGIN{print $sleep_ms/1000}")"
out=$(chat_timed "{\"model\":\"cool-model\",$MSG}")
check "cooldown: after 2 s the target serves again" eq "$(status)" 200

# ---------------------------------------------------------------- first_byte_ms + fallback
out=$(chat_timed "{\"model\":\"hang-model\",$MSG}")
t=$(elapsed_ms)
echo "    first_byte_ms 500 with a stalled primary: status $(status), target $(header x-warden-target), attempts $(header x-warden-attempts), total $t ms"
check "first-byte timeout: answer from the fallback" eq "$(status) $(header x-warden-target)" "200 local/mock-backup"
check "first-byte timeout: model of the answer is the fallback's" eq "$(jq -r .model "$TMP/body")" mock-backup
check "first-byte timeout: total ~500 ms + fallback ($t ms)" in_range "$t" 490 "$(slow_ms 700)"
rec=$(curl -s "$MOCK/mock/requests?limit=2" | jq -c '[.requests[] | select(.model == "mock-hang")][-1]')
check "first-byte timeout: the stalled upstream call was closed" eq "$(jq -r .outcome <<<"$rec")" client_closed

# ---------------------------------------------------------------- streams: before / after the first byte
chat "{\"model\":\"fail-model\",\"stream\":true,$MSG}" -N >"$TMP/s"
check "stream, 500 before the first byte: normal answer from the fallback" eq "$(status) $(header x-warden-target)" "200 local/mock-backup"
check "stream, 500 before the first byte: ends with [DONE]" eq "$(grep '^data: ' "$TMP/s" | tail -1)" "data: [DONE]"
check "stream, 500 before the first byte: no error event" not_contains "$(cat "$TMP/s")" '"error"'
check "stream, 500 before the first byte: content complete" \
    eq "$(grep '^data: {' "$TMP/s" | sed 's/^data: //' | jq -jr '.choices[0].delta.content // empty')" "Hello from warden-mock."

chat "{\"model\":\"cut-model\",\"stream\":true,$MSG,\"mock\":{\"abort_after\":2,\"chunk_interval_ms\":20}}" -N >"$TMP/s"
check "stream, killed mid-stream: 200 from the primary" eq "$(status) $(header x-warden-target)" "200 local/mock-cut"
check "stream, killed mid-stream: 2 chunks then an SSE error event" \
    eq "$(grep -c '^data: {"id"' "$TMP/s") $(grep '^data: ' "$TMP/s" | tail -1 | sed 's/^data: //' | jq -r '.error | type')" "2 object"
check "stream, killed mid-stream: no [DONE] line" not_contains "$(grep '^data: ' "$TMP/s")" "data: [DONE]"
check "stream, killed mid-stream: no fallback after the first byte" eq "$(curl -s "$MOCK/mock/requests?limit=1" | jq -r '.requests[-1].model')" mock-cut

# ---------------------------------------------------------------- a flaky target under load
# two targets, one fails half its requests; retries move a failed attempt to the other target
# curl --parallel (20 transfers at a time) in 4 waves of 125, 1.05 s apart (health.cooldown_ms is
# 1000): the circuit opens, half-opens and probes again several times. 500 curl processes
# (xargs -P 20) did the same in ~11 s, nearly all of it their start-up; the requests take ~0.1 s.
for _ in $(seq 1 125); do printf 'url = "%s"\noutput = "/dev/null"\n' "$WARDEN/v1/chat/completions"; done >"$TMP/flaky.curl"
: >"$TMP/codes"
for wave in 1 2 3 4; do
    [ "$wave" = 1 ] || sleep 1.05
    curl -s --no-progress-meter --parallel --parallel-max 20 --parallel-immediate -K "$TMP/flaky.curl" -w '%{http_code}\n' \
        --max-time 20 -H 'Content-Type: application/json' -d "{\"model\":\"flaky-model\",$MSG}" >>"$TMP/codes"
done
n200=$(grep -c '^200$' "$TMP/codes")
others=$(grep -v '^200$' "$TMP/codes" | sort | uniq -c | tr '\n' ' ')
metrics=$(curl -s "$WARDEN/metrics")
fails=$(grep '^warden_target_failures_total{model="flaky-model",target="flaky/mock-flaky"}' <<<"$metrics" | awk '{print $2}')
cools=$(grep '^warden_target_cooldowns_total{model="flaky-model",target="flaky/mock-flaky"}' <<<"$metrics" | awk '{print $2}')
steady=$(grep '^warden_target_attempts_total{model="flaky-model",target="local/mock-steady"}' <<<"$metrics" | awk '{print $2}')
echo "    flaky load: $n200/500 x 200 ${others:+(others: $others)}; flaky target failures ${fails:-?}, cooldowns ${cools:-?}; steady target attempts ${steady:-?}"
check "flaky target: 500 requests, zero client-visible errors" eq "$n200" 500
check "flaky target: failures counted in /metrics" ge "${fails:-0}" 1
check "flaky target: circuit opened at least once (cooldowns_total)" ge "${cools:-0}" 1
check "alive after the load" alive

# ---------------------------------------------------------------- max_concurrent, no queue
curl -s -o /dev/null -H 'Content-Type: application/json' -m 5 -d "{\"model\":\"busy-model\",$MSG,\"mock\":{\"ttft_ms\":800}}" \
    "$WARDEN/v1/chat/completions" &
bpid=$!
sleep 0.2
out=$(chat "{\"model\":\"busy-model\",$MSG}")
check "max_concurrent 1, queue_max 0: concurrent request gets 429" eq "$(status)" 429
check "429: Retry-After header" bash -c "[[ '$(header retry-after)' =~ ^[0-9]+$ ]]"
check "429: OpenAI body" jqe '.error | has("message") and has("type") and has("param") and has("code")' <<<"$out"
wait $bpid
out=$(chat "{\"model\":\"busy-model\",$MSG}")
check "max_concurrent: once the slot frees, requests pass" eq "$(status)" 200

# ---------------------------------------------------------------- timeouts.request_ms
# retries (30 of them, backoffs uniform in [0, 150] ms: about 2.2 s in all) against a target that
# always fails: the request's deadline (400 ms) ends them, whatever retries and fallbacks remain
key="deadline-$RUN"
out=$(chat_timed "{\"model\":\"deadline-model\",$MSG,\"mock\":{\"key\":\"$key\"}}")
ms=$(elapsed_ms)
check "request_ms: retries cut by the deadline: 504 request_timeout" eq "$(status) $(jq -r .error.code <<<"$out")" "504 request_timeout"
# at most 2000 ms: the 30 retries' own time (~2.2 s), had the deadline not ended them
check "request_ms: answered at the deadline (~400 ms), not after 30 retries ($ms ms)" in_range "$ms" 350 "$(slow_ms 1200 2000)"
check "request_ms: OpenAI error body" jqe '.error | has("message") and has("type") and has("param") and has("code")' <<<"$out"
read -r -a st <<<"$(starts_for_key "$key")"
check "request_ms: the mock saw some attempts, not all 31" in_range "${#st[@]}" 2 25
# a stream that outlasts the deadline: 200, then an SSE error event, never [DONE]
curl -s -N -o "$TMP/s" -w '%{http_code} %{time_total}' -H 'Content-Type: application/json' --max-time 10 \
    -d "{\"model\":\"deadline-stream\",\"stream\":true,$MSG,\"mock\":{\"chunks\":40,\"chunk_interval_ms\":50}}" \
    "$WARDEN/v1/chat/completions" >"$TMP/st"
check "request_ms, stream: 200 (the stream had started)" eq "$(cut -d' ' -f1 "$TMP/st")" 200
check "request_ms, stream: ends with an SSE error event request_timeout" \
    eq "$(grep '^data: ' "$TMP/s" | tail -1 | sed 's/^data: //' | jq -r .error.code)" request_timeout
check "request_ms, stream: no [DONE]" not_contains "$(cat "$TMP/s")" "data: [DONE]"
check "request_ms, stream: some chunks went out first" ge "$(grep -c '"content"' "$TMP/s")" 2
# within the deadline, a fallback still answers: first_byte_ms (per attempt) fails the primary
out=$(chat_timed "{\"model\":\"deadline-fallback\",$MSG}")
check "request_ms: a fallback within the deadline answers 200" eq "$(status) $(header x-warden-target)" "200 local/mock-backup"
check "alive after request_ms" alive

finish
