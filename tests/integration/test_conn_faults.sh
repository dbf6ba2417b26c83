#!/usr/bin/env bash
# Connections that die mid-write, in a real warden: through the preloaded fault shim
# (tests/fault/uvfault.c, WARDEN_FAULT_WRITE=N) the connection under every N-th uv_write or
# uv_try_write is shut down in both directions just before the write, as a reset would: h2o's
# writes to clients (HTTP/1.1 and h2c, plain and streamed answers) and the upstream client's
# writes to warden-mock. With 140 requests of seven kinds per round (pii redact, streams through
# pii and prompt_injection, an h2c stream through a pool classifier, a 120 KB prompt scanned on the
# pool, the check API, the audit query) and N = 2, 3, 7:
#   - no request hangs (curl's own time-out never fires): each gets an answer or a closed connection;
#   - each answer is a 200 or an error of the gateway's (502 upstream failed, 503 cooling down),
#     whole or cut short by its connection's death;
#   - some still succeed, and warden answers /healthz afterwards;
#   - SIGTERM then exits 0, and the ASan build reports nothing (finish).
# Then the drain's start stalled on the loop (WARDEN_FAULT_STALL_ASYNC_MS) while keep-alive clients
# send their next request: each is answered 503 shutting_down, not closed as an idle connection.
source "$(dirname "$0")/lib.sh"

[ -x "$WARDEN_BIN" ] || { echo "$TEST_NAME: build first (make)"; echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }
fault_shim
export WARDEN_ADMIN_TOKEN=adm-$RANDOM-$RANDOM
CFG=$(fault_config 1 "\
  - {name: pii-mask, type: pii, action: redact, redaction: mask, timeout_ms: 10000}
  - {name: inj, type: prompt_injection, timeout_ms: 10000}
  - {name: tox-open, type: classifier, model: \"$BUILD/models/toxicity.model\", threshold: 0.5, timeout_ms: 10000, on_error: fail_open}" \
    "$(model m-pii pii-mask; model m-inj inj; model m-tox-open tox-open)")
python3 -c 'import json; print(json.dumps({"model": "m-pii", "messages": [{"role": "user", "content": "mail ana@example.org " + "the lazy dog " * 9000}]}))' \
    >"$TMP/big.json"
python3 -c 'import json; print(json.dumps({"guardrail": "pii-mask", "texts": ["mail ana@example.org " + "y " * 40000]}))' >"$TMP/check.json"

# one K: request kind K % 7; prints "STATUS CURL_EXIT"
one() {
    local args=(-s -o /dev/null -w '%{http_code}' --max-time 8 -H 'Content-Type: application/json')
    case $(($1 % 7)) in
    0) curl "${args[@]}" -d "{\"model\":\"m-pii\",\"messages\":[{\"role\":\"user\",\"content\":\"hello $1 ana@example.org\"}]}" "$WARDEN/v1/chat/completions" ;;
    1) curl "${args[@]}" -d "{\"model\":\"m-pii\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi $1 ana@example.org\"}]}" "$WARDEN/v1/chat/completions" ;;
    2) curl "${args[@]}" --http2-prior-knowledge -d "{\"model\":\"m-tox-open\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hello $1\"}]}" "$WARDEN/v1/chat/completions" ;;
    3) curl "${args[@]}" --data-binary @"$TMP/big.json" "$WARDEN/v1/chat/completions" ;;
    4) curl "${args[@]}" --data-binary @"$TMP/check.json" "$WARDEN/v1/guardrails/check" ;;
    5) curl "${args[@]}" -H 'x-mock-chunks: 40' -d "{\"model\":\"m-inj\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"a story $1\"}]}" "$WARDEN/v1/chat/completions" ;;
    6) curl "${args[@]}" -H "Authorization: Bearer $WARDEN_ADMIN_TOKEN" "$WARDEN/admin/audit?limit=50" ;;
    esac
    echo " $?"
}

start_mock
for every in 2 3 7; do
    start_warden "$CFG" LD_PRELOAD="$SHIM" WARDEN_FAULT_WRITE="$every" ASAN_OPTIONS="$FAULT_ASAN"
    pids=()
    for k in $(seq 0 139); do
        one "$k" >"$TMP/r$every-$k.out" &
        pids+=($!)
        if [ $((k % 20)) = 19 ]; then wait "${pids[@]}"; pids=(); fi # 20 at a time (140 = 7 x 20: none left)
    done
    out=$(cat "$TMP"/r"$every"-*.out)
    summary=$(printf '%s\n' "$out" | sort | uniq -c | awk '{$1=$1; print}' | tr '\n' ';')
    check "a connection dying at every ${every}-th write, 140 requests of 7 kinds: none hangs (curl exit 28) ($summary)" \
        eq "$(printf '%s\n' "$out" | grep -c ' 28$')" 0
    check "... each answer a 200, a 502 or a 503, whole or cut by its dying connection (curl exit 18); 000: closed before" \
        eq "$(printf '%s\n' "$out" | grep -cvE '^(200|502|503) (0|18)$|^000 [0-9]+$')" 0
    check "... some succeed ($(printf '%s\n' "$out" | grep -c '^200 '))" lt 0 "$(printf '%s\n' "$out" | grep -c '^200 ')"
    check "... the connections did die ($(grep -c '^uvfault: uv_.*write: the connection died' "$WARDEN_LOG"))" \
        lt 10 "$(grep -c '^uvfault: uv_.*write: the connection died' "$WARDEN_LOG")"
    # /healthz's own write may be the one that dies: the next request answers
    h=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$WARDEN/healthz")
    [ "$h" = 200 ] || h=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$WARDEN/healthz")
    check "... then /healthz answers 200" eq "$h" 200
    kill -TERM "$WARDEN_PID"
    rc=0
    for i in $(seq 1 100); do kill -0 "$WARDEN_PID" 2>/dev/null || break; sleep 0.1; done
    wait "$WARDEN_PID" || rc=$?
    check "... and SIGTERM exits 0" eq "$rc" 0
done

# The drain's stop request stalled on the loop (WARDEN_FAULT_STALL_ASYNC_MS) while 20 keep-alive
# clients send their next request: when the drain begins, those bytes wait unread in the kernel and
# the connections look idle to h2o. They are requests, not idle connections: each is read and
# answered 503 shutting_down (they used to be closed unanswered with the idle ones).
start_warden "server: {listen: \"127.0.0.1:@PORT@\", workers: 1, drain_timeout_ms: 3000}
providers:
  - {name: local, type: openai, base_url: \"@MOCK@/v1\"}
models:
  - {name: m, targets: [{provider: local, model: mock-1}]}" LD_PRELOAD="$SHIM" WARDEN_FAULT_STALL_ASYNC_MS=800 ASAN_OPTIONS="$FAULT_ASAN"
OUT=$(timeout 30 python3 "$(dirname "$0")/stall_client.py" "$WARDEN_PORT" "$WARDEN_PID" 20 2>&1)
check "requests sent while the drain's start was stalled: each answered 503 shutting_down, none closed" eq "$OUT" '{"503": 20}'
check "... the stall was reached" contains "$(cat "$WARDEN_LOG")" "uvfault: async callback stalled 800 ms"
rc=0
for i in $(seq 1 100); do kill -0 "$WARDEN_PID" 2>/dev/null || break; sleep 0.1; done
wait "$WARDEN_PID" || rc=$?
check "... and the drain exits 0" eq "$rc" 0

# The same stall with an h2c stream half sent at SIGTERM: its wait (header_timeout_ms 1000, and
# h2o's one second before its second GOAWAY) counts from the worker's drain start, after the 800-ms
# stall, not from the loop's clock cached before it (the stream whose body ended 0.55 s into the
# drain was dropped, the worker gone 0.2 s after the stall)
start_warden "server: {listen: \"127.0.0.1:@PORT@\", workers: 1, drain_timeout_ms: 4000, header_timeout_ms: 1000, http2: true}
providers:
  - {name: local, type: openai, base_url: \"@MOCK@/v1\"}
models:
  - {name: m, targets: [{provider: local, model: mock-1}]}" LD_PRELOAD="$SHIM" WARDEN_FAULT_STALL_ASYNC_MS=800 ASAN_OPTIONS="$FAULT_ASAN"
OUT=$(timeout 30 python3 "$(dirname "$0")/adv_h2_client.py" h2_half_stalled "$WARDEN_PORT" "$WARDEN_PID" 2>&1)
check "h2c stream half sent at SIGTERM, ended 0.55 s into a stalled drain: answered 503 shutting_down" contains "$OUT" "DATA1:shutting_down"
rc=0
for i in $(seq 1 100); do kill -0 "$WARDEN_PID" 2>/dev/null || break; sleep 0.1; done
wait "$WARDEN_PID" || rc=$?
check "... and the drain exits 0" eq "$rc" 0
finish
