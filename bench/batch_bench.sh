#!/usr/bin/env bash
# bench/batch_bench.sh: the issue's full-size batch (scenario 10 of `make bench`; ~13 s of wall
# time and little CPU). BENCH_BATCH_N items (1000) of
# BENCH_BATCH_MS (200) upstream ms each, batch.max_concurrency BENCH_BATCH_CONC (16), through one
# Warden worker against warden-mock, streamed as NDJSON. Prints the wall time against the ideal
# ceil(N / conc) x ms, the first line's time, the most calls the mock saw in flight, whether every
# index came back once with its own answer, and Warden's CPU time for the run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
N=${BENCH_BATCH_N:-1000}
MS=${BENCH_BATCH_MS:-200}
CONC=${BENCH_BATCH_CONC:-16}
TMP=$(mktemp -d /tmp/warden-batch-bench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

MP=$(port)
"$BUILD/warden-mock" --listen "127.0.0.1:$MP" --quiet >"$TMP/mock.log" 2>&1 &
PIDS+=($!)
wait_port "$MP"
WP=$(port)
cat >"$TMP/warden.yaml" <<YAML
server: {listen: "127.0.0.1:$WP", workers: 1, access_log: "off"}
providers: [{name: local, type: openai, base_url: "http://127.0.0.1:$MP/v1"}]
models: [{name: m, targets: [{provider: local, model: mock-1}]}]
batch: {max_concurrency: $CONC, max_items: $N}
YAML
"$BUILD/warden" --config "$TMP/warden.yaml" >"$TMP/warden.log" 2>&1 &
WPID=$!
PIDS+=($WPID)
wait_port "$WP"
python3 - "$N" "$MS" >"$TMP/batch.json" <<'PY'
import json, sys
n, ms = int(sys.argv[1]), int(sys.argv[2])
print(json.dumps({"stream": True, "requests": [{"model": "m", "messages": [{"role": "user", "content": "item %d" % i}],
                                                "mock": {"ttft_ms": ms, "content": "item-%d" % i}} for i in range(n)]}))
PY
cpu() { awk '{print $14 + $15}' "/proc/$WPID/stat"; }
curl -s -X POST "http://127.0.0.1:$MP/mock/reset" >/dev/null
c0=$(cpu)
python3 "$ROOT/tests/integration/batch_client.py" stream "$WP" /v1/chat/completions/batch "$TMP/batch.json" bench-1 >"$TMP/out.json"
c1=$(cpu)
MAX=$(curl -s "http://127.0.0.1:$MP/mock/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["max_active"])')
python3 - "$TMP/out.json" "$N" "$MS" "$CONC" "$MAX" "$((c1 - c0))" "$(getconf CLK_TCK)" <<'PY'
import json, math, sys
d = json.load(open(sys.argv[1]))
n, ms, conc, mx, ticks, hz = map(int, sys.argv[2:])
items = d["lines"][:-1]
ok = sorted(l["index"] for l in items) == list(range(n)) and all(
    l["result"]["choices"][0]["message"]["content"] == "item-%d" % l["index"] for l in items)
print("batch bench: %d items x %d ms, max_concurrency %d, 1 worker, NDJSON" % (n, ms, conc))
print("  wall %.2f s (ideal ceil(%d/%d) x %d ms = %.2f s); first line after %.0f ms" %
      (d["last_s"], n, conc, ms, math.ceil(n / conc) * ms / 1000, d["first_s"] * 1000))
print("  most calls in flight at the mock: %d; every index once with its own answer: %s" % (mx, ok))
print("  warden CPU for the batch: %.0f ms (%.0f us per item)" % (ticks * 1000 / hz, ticks * 1e6 / hz / n))
sys.exit(0 if ok and mx <= conc else 1)
PY
