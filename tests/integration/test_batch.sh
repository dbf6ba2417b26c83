#!/usr/bin/env bash
# Batches: POST /v1/chat/completions/batch and /v1/pipelines/{name}/batch. Scaled down from the
# issue's numbers: 200 items x 50 ms with max_concurrency 16 take ~ceil(200/16) x 50 ms, never more
# than 16 calls in flight (the mock records the maximum), results in input order; the NDJSON stream
# shows its first line after ~50 ms; per-item errors; 413 past max_items; a client that hangs up
# mid-batch gets every upstream call closed within 50 ms and no new call started (streamed and not);
# batch.deadline_ms; fanout.max_inflight across two batches; metrics.
# The last line is "test_batch: N passed, M failed".
source "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
start_mock
# config TAIL: one worker, model m on the mock, then TAIL
config() {
    printf '%s\n' 'server: {listen: "127.0.0.1:@PORT@", workers: 1, drain_timeout_ms: 3000}' \
        'providers: [{name: local, type: openai, base_url: "@MOCK@/v1"}]' \
        'models: [{name: m, targets: [{provider: local, model: mock-1}]}]' "$1"
}
start_warden "$(
    config "$(
        cat <<'YAML'
batch: {max_concurrency: 16, max_items: 250}
pipelines:
  - name: two
    steps:
      a: {model: m, prompt: "a {{text}}"}
      b: {model: m, prompt: "b {{steps.a}}", after: [a]}
  - name: slow
    steps:
      a: {model: m, prompt: "a {{text}}", params: {mock: {ttft_ms: 3000}}}
      b: {model: m, prompt: "b {{steps.a}}", after: [a]}
YAML
    )"
)" || { echo "test_batch: warden did not start"; echo "test_batch: 0 passed, 1 failed"; exit 1; }
W1_PORT=$WARDEN_PORT
W1=$WARDEN

in_range() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ] || { echo "    $1 not in [$2, $3]" >&2; return 1; }; }
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
reset_mock() { curl -s -X POST "$MOCK/mock/reset" >/dev/null; }
stats() { curl -s "$MOCK/mock/stats" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[sys.argv[1]])' "$1"; }
# items N TTFT_MS [extra python for item i]: a chat batch body in $TMP/batch.json
items() {
    python3 - "$1" "$2" "${3:-}" >"$TMP/batch.json" <<'PY'
import json, sys
n, ttft, stream = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
reqs = [{"model": "m", "messages": [{"role": "user", "content": "item %d" % i}],
         "mock": {"ttft_ms": ttft, "content": "item-%d" % i}} for i in range(n)]
body = {"requests": reqs}
if stream:
    body["stream"] = True
print(json.dumps(body))
PY
}
post_batch() { # url -> $TMP/out, status in $TMP/status, ms in $TMP/ms
    curl -s -o "$TMP/out" -w '%{http_code} %{time_total}' --max-time 30 -H 'Content-Type: application/json' \
        --data-binary @"$TMP/batch.json" "$@" >"$TMP/st"
    cut -d' ' -f1 "$TMP/st" >"$TMP/status"
    awk '{printf "%d", $2 * 1000}' "$TMP/st" >"$TMP/ms"
}

# ---------------------------------------------------------------- 200 x 50 ms, max_concurrency 16
reset_mock
items 200 50
post_batch "$W1/v1/chat/completions/batch"
check "batch of 200: 200" eq "$(status)" 200
check "200 x 50 ms at 16 in flight: ~ceil(200/16) x 50 = 650 ms ($(cat "$TMP/ms") ms)" in_range "$(cat "$TMP/ms")" 600 1100
check "never more than 16 calls in flight (mock max: $(stats max_active))" eq "$(stats max_active)" 16
check "all 200 results, in input order" eq "$(jget "$TMP/out" '[r["index"] for r in d["results"]] == list(range(200)) and all(r["result"]["choices"][0]["message"]["content"] == "item-%d" % r["index"] for r in d["results"])')" True
check "summary" eq "$(jget "$TMP/out" '(d["summary"]["items"], d["summary"]["succeeded"], d["summary"]["failed"])')" "(200, 200, 0)"
check "the mock saw 200 calls" eq "$(stats requests)" 200

# ---------------------------------------------------------------- the same as an NDJSON stream
reset_mock
items 200 50 stream
python3 "$HERE/batch_client.py" stream "$W1_PORT" /v1/chat/completions/batch "$TMP/batch.json" bt-stream-1 >"$TMP/stream.json"
FIRST=$(jget "$TMP/stream.json" 'int(d["first_s"] * 1000)')
LAST=$(jget "$TMP/stream.json" 'int(d["last_s"] * 1000)')
check "stream: 200" eq "$(jget "$TMP/stream.json" 'd["status"]')" 200
check "stream: the first line after ~50 ms ($FIRST ms), long before the end ($LAST ms)" in_range "$FIRST" 40 250
check "stream: the end ~650 ms" in_range "$LAST" 600 1100
check "stream: 200 item lines, each index once, then the summary" eq "$(jget "$TMP/stream.json" '(sorted(l["index"] for l in d["lines"][:-1]) == list(range(200)), d["lines"][-1]["done"], d["lines"][-1]["succeeded"])')" "(True, True, 200)"
check "stream: each line's result is its item's" eq "$(jget "$TMP/stream.json" 'all(l["result"]["choices"][0]["message"]["content"] == "item-%d" % l["index"] for l in d["lines"][:-1])')" True
check "stream: never more than 16 in flight" eq "$(stats max_active)" 16

# ---------------------------------------------------------------- per-item errors, limits
cat >"$TMP/batch.json" <<'JSON'
{"requests": [
  {"model": "m", "messages": [{"role": "user", "content": "ok 0"}]},
  {"model": "m", "messages": [{"role": "user", "content": "fails"}], "mock": {"status": 500}},
  "not an object",
  {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": true},
  {"model": "nosuch", "messages": [{"role": "user", "content": "x"}]},
  {"model": "m", "messages": [{"role": "user", "content": "ok 5"}]}
]}
JSON
post_batch "$W1/v1/chat/completions/batch"
check "mixed batch: 200" eq "$(status)" 200
check "per-item statuses, in order" eq "$(jget "$TMP/out" '[r["status"] for r in d["results"]]')" "[200, 500, 400, 400, 404, 200]"
check "per-item errors carry the OpenAI error" eq "$(jget "$TMP/out" '[r["error"]["code"] for r in d["results"] if "error" in r]')" "['server_error', 'invalid_type', 'unsupported_value', 'model_not_found']"
items 251 0
post_batch "$W1/v1/chat/completions/batch"
check "past batch.max_items: 413" eq "$(status)" 413
check "413 names the limit" contains "$(cat "$TMP/out")" "batch.max_items"
echo '{"requests": []}' >"$TMP/batch.json"
post_batch "$W1/v1/chat/completions/batch"
check "empty batch: 400" eq "$(status)" 400

# ---------------------------------------------------------------- pipeline batches
cat >"$TMP/batch.json" <<'JSON'
{"inputs": [{"text": "t0"}, {"text": "t1"}, {"nope": 1}, {"text": "t3"}]}
JSON
post_batch "$W1/v1/pipelines/two/batch" -H 'x-request-id: bt-pipe-1'
check "pipeline batch: 200" eq "$(status)" 200
check "pipeline batch: results in order, a missing variable fails its item only" eq "$(jget "$TMP/out" '[(r["index"], r["status"]) for r in d["results"]]')" "[(0, 200), (1, 200), (2, 400), (3, 200)]"
check "pipeline batch: each result is a pipeline answer" eq "$(jget "$TMP/out" 'd["results"][3]["result"]["_meta"]["steps"]["b"]["request_id"]')" "bt-pipe-1.3.b"
check "pipeline batch: sub-calls log the batch as parent" ge "$(grep -c '"id":"bt-pipe-1\.[0-9]\.[ab]","parent_request_id":"bt-pipe-1"' "$WARDEN_LOG")" 6
post_batch "$W1/v1/pipelines/nope/batch"
check "unknown pipeline batch: 404" eq "$(status)" 404

# ---------------------------------------------------------------- disconnect mid-batch
# closed_ms - t_close: how long after the client's close each upstream call was closed
disc_check() { # rid t_close -> "calls outcomes-all-closed max_delay_ms started_after_close"
    curl -s "$MOCK/mock/requests?limit=256" | python3 -c '
import json, sys
rid, t = sys.argv[1], int(sys.argv[2])
rs = [r for r in json.load(sys.stdin)["requests"] if r["headers"].get("x-request-id", "").startswith(rid + ".")]
closed = all(r["outcome"] == "client_closed" for r in rs)
delay = max((r["closed_ms"] or 10**9) - t for r in rs) if rs else -1
late = len([r for r in rs if r["started_ms"] > t])
print(len(rs), closed, delay, late)' "$1" "$2"
}
for mode in stream plain pipeline; do
    reset_mock
    items 100 3000 $([ $mode = stream ] && echo stream)
    path=/v1/chat/completions/batch
    if [ $mode = pipeline ]; then
        python3 -c 'import json; print(json.dumps({"inputs": [{"text": "t%d" % i} for i in range(60)], "stream": True}))' >"$TMP/batch.json"
        path=/v1/pipelines/slow/batch
    fi
    T=$(python3 "$HERE/batch_client.py" disconnect "$W1_PORT" "$path" "$TMP/batch.json" "bt-disc-$mode" "$MOCK" 16 |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["t_close_ms"])')
    sleep 0.4
    read -r N CLOSED DELAY LATE <<<"$(disc_check "bt-disc-$mode" "$T")"
    check "disconnect ($mode): 16 calls were in flight, no new call started ($N calls, $LATE after the close)" eq "$N $LATE" "16 0"
    check "disconnect ($mode): every upstream call closed by Warden" eq "$CLOSED" True
    check "disconnect ($mode): within 50 ms of the client's close (max $DELAY ms)" in_range "$DELAY" 0 50
    check "disconnect ($mode): nothing left in flight at the mock" eq "$(stats active)" 0
done
check "access log: the disconnected batch" contains "$(grep '"id":"bt-disc-stream","route":"chat_batch"' "$WARDEN_LOG")" '"client_gone":true'
check "metrics: batch items" contains "$(curl -s "$W1/metrics")" 'warden_batch_items_total{batch="chat",result="ok"}'
check "warden alive" alive

# ---------------------------------------------------------------- deadline and the per-worker cap
start_warden "$(config 'batch: {max_concurrency: 16, deadline_ms: 600}
fanout: {max_inflight: 4}')" || { echo "test_batch: second warden did not start"; }
reset_mock
items 4 3000
post_batch "$WARDEN/v1/chat/completions/batch"
check "deadline: 200 with per-item errors" eq "$(status)" 200
check "deadline: every item 504 batch_deadline_exceeded" eq "$(jget "$TMP/out" 'sorted(set((r["status"], r["error"]["code"]) for r in d["results"]))')" "[(504, 'batch_deadline_exceeded')]"
check "deadline: answered at ~600 ms ($(cat "$TMP/ms") ms)" in_range "$(cat "$TMP/ms")" 580 900
sleep 0.1
check "deadline: the upstream calls were closed" eq "$(stats active)" 0
reset_mock
items 8 100
T0=$(date +%s%3N)
curl -s -o "$TMP/out" --max-time 10 --data-binary @"$TMP/batch.json" "$WARDEN/v1/chat/completions/batch" &
C1=$!
curl -s -o "$TMP/out2" --max-time 10 --data-binary @"$TMP/batch.json" "$WARDEN/v1/chat/completions/batch" &
C2=$!
wait $C1 $C2
BOTH=$(($(date +%s%3N) - T0))
check "fanout.max_inflight 4: two batches of 8 (max_concurrency 16) never exceed 4 calls (mock max: $(stats max_active))" eq "$(stats max_active)" 4
check "fanout.max_inflight: both batches complete" eq "$(jget "$TMP/out" 'd["summary"]["succeeded"]') $(jget "$TMP/out2" 'd["summary"]["succeeded"]')" "8 8"
check "fanout.max_inflight: 16 calls of 100 ms, 4 at a time, take ~400 ms ($BOTH ms for both)" in_range "$BOTH" 380 900
check "warden alive" alive

finish
