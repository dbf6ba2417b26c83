#!/usr/bin/env bash
# bench/embed_split.sh: Warden's CPU per input vector for split embeddings (issue 13, target:
# within 2x of an unsplit request). One Warden (1 worker, access log off) in front of one
# warden-mock; the same Warden serves both cases:
#   split:  requests of 10,000 inputs, embeddings.max_batch 100 -> 100 sub-requests each,
#           joined (max_concurrency 4)
#   single: requests of 100 inputs (= max_batch: not split), 4 client connections
# Each case sends EMB_VECTORS vectors per round; EMB_ROUNDS alternating rounds; medians reported.
# Warden's CPU is read in nanoseconds from /proc/PID/task/*/schedstat (all its threads) before
# and after each run. Every answer must be 200 with the right number of vectors (the split's
# first answer is also checked vector by vector against the mock's own). Pinned like run.sh:
# client and mock on core 0, Warden on core 1, when there are two cores.
#
# Knobs: BUILD (build), EMB_VECTORS (100000 per case per round), EMB_ROUNDS (3), EMB_DIMS (8:
# the mock's vector length; 256 for larger answers: at 1536 a split answer is ~150 MB of JSON),
# EMB_FORMAT (float or base64), EMB_PERF (a file: `perf record -g` Warden for 8 s from the start).
# Prints one Markdown table row (bench/run.sh includes it with BENCH_EMBEDDINGS=1 or
# BENCH_ONLY=embeddings); exits 1 when a run failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
VECTORS=${EMB_VECTORS:-100000}
ROUNDS=${EMB_ROUNDS:-3}
DIMS=${EMB_DIMS:-8}
FORMAT=${EMB_FORMAT:-float}
case "$FORMAT" in float | base64) ;; *) echo "embed_split: EMB_FORMAT must be float or base64" >&2; exit 1 ;; esac
[ $((VECTORS % 10000)) -eq 0 ] && [ "$VECTORS" -gt 0 ] || { echo "embed_split: EMB_VECTORS must be a multiple of 10000" >&2; exit 1; }
for b in warden warden-mock; do
    [ -x "$BUILD/$b" ] || { echo "embed_split: $BUILD/$b is missing: run make first" >&2; exit 1; }
done
PIN_LOAD="" PIN_PROXY=""
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    PIN_LOAD="taskset -c 0" PIN_PROXY="taskset -c 1"
fi

TMP=$(mktemp -d /tmp/warden-embbench.XXXXXX)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() {
    local i
    for i in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
    echo "embed_split: port $1 did not open" >&2
    cat "$2" >&2
    exit 1
}

MOCK_PORT=$(free_port)
$PIN_LOAD "$BUILD/warden-mock" --listen "127.0.0.1:$MOCK_PORT" --workers 1 --quiet >"$TMP/mock.log" 2>&1 &
PIDS+=($!)
wait_port "$MOCK_PORT" "$TMP/mock.log"
WARDEN_PORT=$(free_port)
cat >"$TMP/warden.yaml" <<YAML
server: {listen: "127.0.0.1:$WARDEN_PORT", workers: 1, access_log: "off", drain_timeout_ms: 1000, max_body_bytes: 16777216,
         max_response_bytes: 268435456}
providers:
  - {name: mock, type: openai, base_url: "http://127.0.0.1:$MOCK_PORT/v1"}
embeddings: {max_batch: 100, max_concurrency: 4}
models:
  - name: emb
    targets: [{provider: mock, model: mock-embedding}]
YAML
$PIN_PROXY "$BUILD/warden" --config "$TMP/warden.yaml" >"$TMP/warden.log" 2>&1 &
WARDEN_PID=$!
PIDS+=($WARDEN_PID)
wait_port "$WARDEN_PORT" "$TMP/warden.log"

# The client: keep-alive connections, bodies built once; prints "ok VECTORS" or fails.
cat >"$TMP/client.py" <<'PY'
import http.client, json, sys, threading
port, mock, case, vectors, dims, fmt, check = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7] == "1"
per = 10000 if case == "split" else 100
conns = 1 if case == "split" else 4
def body(n, salt):
    b = {"model": "emb", "input": ["bench input %d/%d with some words to embed" % (salt, i) for i in range(n)], "mock": {"dims": dims}}
    if fmt == "base64":
        b["encoding_format"] = "base64"
    return json.dumps(b).encode()
bodies = [body(per, s) for s in range(8)]
errors = []
def work(reqs, tid):
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=120)
    for r in range(reqs):
        c.request("POST", "/v1/embeddings", bodies[(r + tid) % len(bodies)], {"content-type": "application/json"})
        resp = c.getresponse()
        data = resp.read()
        if resp.status != 200:
            errors.append("status %d: %s" % (resp.status, data[:200]))
            return
        if case == "split" and resp.getheader("x-warden-sub-requests") != "100":
            errors.append("not split into 100: %r" % resp.getheader("x-warden-sub-requests"))
            return
        if check and r == 0 and tid == 0:
            got = json.loads(data)["data"]
            m = http.client.HTTPConnection("127.0.0.1", int(mock), timeout=60)
            want = []
            inputs = json.loads(bodies[0])["input"]
            for s in range(0, len(inputs), 4000):
                b = json.loads(bodies[0]); b["input"] = inputs[s:s + 4000]; b["model"] = "mock-embedding"
                m.request("POST", "/v1/embeddings", json.dumps(b).encode(), {"content-type": "application/json"})
                want += json.loads(m.getresponse().read())["data"]
            if [g["index"] for g in got] != list(range(per)) or [g["embedding"] for g in got] != [w["embedding"] for w in want]:
                errors.append("vectors or indexes differ from the mock's own")
                return
        elif data.count(b'"index":') != per:
            errors.append("answer has %d vectors, want %d" % (data.count(b'"index":'), per))
            return
threads = [threading.Thread(target=work, args=(vectors // per // conns, t)) for t in range(conns)]
for t in threads: t.start()
for t in threads: t.join()
if errors:
    print("FAIL " + errors[0]); sys.exit(1)
print("ok %d" % vectors)
PY

[ -n "${EMB_PERF:-}" ] && { perf record -g -o "$EMB_PERF" -p "$WARDEN_PID" -- sleep 8 >/dev/null 2>&1 & }
cpu_ns() { # all of Warden's threads, nanoseconds on CPU
    local t total=0 v
    for t in /proc/"$WARDEN_PID"/task/*/schedstat; do
        read -r v _ <"$t" 2>/dev/null || continue
        total=$((total + v))
    done
    echo "$total"
}

FAILED=0
declare -A ALL
run_case() { # CASE CHECK -> appends ns/vector to ALL[CASE]
    local before after out
    before=$(cpu_ns)
    out=$($PIN_LOAD python3 "$TMP/client.py" "$WARDEN_PORT" "$MOCK_PORT" "$1" "$VECTORS" "$DIMS" "$FORMAT" "$2" 2>&1) || true
    after=$(cpu_ns)
    if [ "${out%% *}" != ok ]; then
        echo "embed_split: $1 run failed: $out" >&2
        FAILED=1
        return
    fi
    local per_vec
    per_vec=$(awk -v d=$((after - before)) -v n="$VECTORS" 'BEGIN { printf "%.0f", d / n }')
    ALL[$1]+="$per_vec "
    echo "embed_split: $1: $VECTORS vectors, Warden CPU $(((after - before) / 1000000)) ms, $per_vec ns/vector" >&2
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : v[NR / 2] }'; }

# warm-up (and the vector-by-vector check of one split answer)
run_case split 1
run_case single 0
ALL=()
for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) -eq 1 ]; then run_case split 0; run_case single 0; else run_case single 0; run_case split 0; fi
done
[ "$FAILED" -eq 0 ] || exit 1
# shellcheck disable=SC2086 # the collected figures are words on purpose
S=$(median ${ALL[split]}) U=$(median ${ALL[single]})
echo "| 7. split embeddings, $FORMAT, $DIMS dims: Warden CPU ns per vector (median of $ROUNDS alternating rounds of $VECTORS vectors) |" \
    "single 100-input requests: $U [${ALL[single]% }] | 10,000-input requests split into 100 x 100: $S [${ALL[split]% }] |" \
    "split/single $(awk -v a="$S" -v b="$U" 'BEGIN { printf "%.2f", a / b }') (target <= 2) |"
