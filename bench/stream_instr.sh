#!/usr/bin/env bash
# bench/stream_instr.sh BUILD_DIR MODE(on|off) [DUR] [STREAM(1|0)] [OUTDIR]
# Instructions per request of one warden worker (callgrind, counted only during the run)
# under `wrk -t1 -c8` against warden-mock (20-chunk streams), with the quickstart's
# guards (MODE=on) or none (MODE=off). Compare two runs with bench/instr_cmp.py.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}; MODE=${2:-on}; DUR=${3:-5}; STREAM=${4:-1}
OUT=${5:-/tmp}
T=$(mktemp -d "$OUT/instr.XXXX")
fp() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
MP=$(fp); WP=$(fp)
"$BUILD/warden-mock" --listen 127.0.0.1:$MP --workers 1 --quiet --chunks 20 >$T/mock.log 2>&1 & MPID=$!
GUARDS=""
[ "$MODE" = on ] && GUARDS=$(sed -n '/^default_guardrails:/,$p' "$ROOT/examples/quickstart.yaml")
cat > $T/w.yaml <<Y
server: {listen: "127.0.0.1:$WP", workers: 1, access_log: "off", drain_timeout_ms: 1000}
providers:
  - {name: mock, type: openai, base_url: "http://127.0.0.1:$MP/v1"}
models:
  - name: gpt-4o-mini
    targets: [{provider: mock, model: mock-1}]
$GUARDS
Y
valgrind --tool=callgrind --callgrind-out-file=$T/cg.out --instr-atstart=no "$BUILD/warden" --config $T/w.yaml >$T/w.log 2>&1 & WPID=$!
for i in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/$WP) 2>/dev/null && break; sleep 0.1; done
BENCH_STREAM=$STREAM timeout 30 wrk -t1 -c8 -d1s -s "$ROOT/bench/chat.lua" http://127.0.0.1:$WP/v1/chat/completions >/dev/null 2>&1
callgrind_control -i on $WPID >/dev/null
BENCH_STREAM=$STREAM timeout 60 wrk -t1 -c8 -d${DUR}s -s "$ROOT/bench/chat.lua" http://127.0.0.1:$WP/v1/chat/completions > $T/wrk.out 2>&1
callgrind_control -i off $WPID >/dev/null
kill $WPID; wait $WPID 2>/dev/null || true
kill $MPID; wait $MPID 2>/dev/null || true
REQ=$(sed -n 's/.*BENCH requests=\([0-9]*\).*/\1/p' $T/wrk.out)
grep -q 'status=0 ' $T/wrk.out || { echo "wrk errors:"; cat $T/wrk.out; }
IR=$(callgrind_annotate $T/cg.out 2>/dev/null | grep "PROGRAM TOTALS" | head -1 | awk '{print $1}' | tr -d ,)
echo "mode=$MODE stream=$STREAM requests=$REQ Ir=$IR Ir/req=$((IR / REQ)) dir=$T"
