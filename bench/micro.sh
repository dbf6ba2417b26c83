#!/usr/bin/env bash
# Micro-benchmarks of the per-request checks (run by `make bench` after bench/run.sh):
#   - a regex guardrail (5 patterns, Hyperscan) over a 4 KB prompt that passes;
#   - JSON Schema validation of a ~2 KB answer against a 30-property schema;
#   - the per-chunk cost of an output regex guard on a streamed answer (target <= 1 us).
# Each prints microseconds per operation; bounded by its iteration count.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
[ -f "$BUILD/libwarden.a" ] || { echo "micro: $BUILD/libwarden.a missing: run make first" >&2; exit 1; }
LIBS="$(pkg-config --libs libhs libpcre2-8 jansson) -lm -pthread"
cc -O2 -D_GNU_SOURCE -Isrc -Iinclude bench/scan_bench.c "$BUILD/libwarden.a" $LIBS -o "$BUILD/scan_bench"
cc -O2 -D_GNU_SOURCE -Isrc -Iinclude bench/schema_bench.c "$BUILD/libwarden.a" $LIBS -o "$BUILD/schema_bench"
PKGS="libh2o libuv libcurl jansson yaml-0.1 libhs libpcre2-8 sqlite3 openssl"
cc -O2 -D_GNU_SOURCE -DH2O_USE_LIBUV=1 -Isrc -Iinclude $(pkg-config --cflags $PKGS) bench/stream_bench.c "$BUILD/libwarden.a" \
    $(pkg-config --libs $PKGS) -lz -ldl -lm -pthread -o "$BUILD/stream_bench"
echo "== regex guardrail over a 4 KB prompt (bench/scan_bench.c)"
"$BUILD/scan_bench" "${SCAN_ITERS:-100000}"
echo "== JSON Schema validation, 30 properties, ~2 KB answer (bench/schema_bench.c)"
"$BUILD/schema_bench" "${SCHEMA_ITERS:-200000}"
echo "== output regex guard on a streamed answer, per chunk (bench/stream_bench.c)"
"$BUILD/stream_bench" "${STREAM_ITERS:-100000}"
