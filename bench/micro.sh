#!/usr/bin/env bash
# Micro-benchmarks of the per-request checks (run by `make bench` after bench/run.sh):
#   - a regex guardrail (5 patterns, Hyperscan) over a 4 KB prompt that passes;
#   - JSON Schema validation of a ~2 KB answer against a 30-property schema;
#   - prompt_injection on a 4 KB prompt, classifier inference on 1 KB, and event-loop lag
#     while classifier jobs saturate the worker pool.
# Each prints microseconds per operation; bounded by its iteration count.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
[ -f "$BUILD/libwarden.a" ] || { echo "micro: $BUILD/libwarden.a missing: run make first" >&2; exit 1; }
LIBS="$(pkg-config --libs libhs libpcre2-8 jansson) -lm -pthread"
cc -O2 -D_GNU_SOURCE -Isrc -Iinclude bench/scan_bench.c "$BUILD/libwarden.a" $LIBS -o "$BUILD/scan_bench"
cc -O2 -D_GNU_SOURCE -Isrc -Iinclude bench/schema_bench.c "$BUILD/libwarden.a" $LIBS -o "$BUILD/schema_bench"
cc -O2 -D_GNU_SOURCE -Isrc -Iinclude $(pkg-config --cflags libhs) bench/builtin_bench.c "$BUILD/libwarden.a" \
    $(pkg-config --libs libh2o libuv libcurl jansson yaml-0.1 libhs libpcre2-8 sqlite3 openssl) -lz -ldl -lm -pthread \
    -o "$BUILD/builtin_bench"
echo "== regex guardrail over a 4 KB prompt (bench/scan_bench.c)"
"$BUILD/scan_bench" "${SCAN_ITERS:-100000}"
echo "== JSON Schema validation, 30 properties, ~2 KB answer (bench/schema_bench.c)"
"$BUILD/schema_bench" "${SCHEMA_ITERS:-200000}"
echo "== prompt_injection (4 KB), classifier inference (1 KB), event-loop lag with the pool saturated (bench/builtin_bench.c)"
"$BUILD/builtin_bench" "$BUILD/models/toxicity.model" "${BUILTIN_ITERS:-20000}"
