#!/usr/bin/env bash
# Micro-benchmarks of the per-request checks (run by `make bench` after bench/run.sh):
#   - a regex guardrail (5 patterns, Hyperscan) over a 4 KB prompt that passes;
#   - JSON Schema validation of a ~2 KB answer against a 30-property schema;
#   - request intake (scan, texts, splice) on 1 KB and 4 KB chat bodies, unguarded and guarded;
#   - the audit log: SQLite and PostgreSQL sink throughput, a query over 1,000,000 records;
#   - the pii + secrets guardrails over a 4 KB prompt (Hyperscan, numbers behind byte gates), and
#     pii + secrets + prompt_injection one after the other on one core (issue 11: >= 300 MB/s);
#   - the per-chunk cost of an output regex guard on a streamed answer (target <= 1 us).
#   - prompt_injection on a 4 KB prompt, classifier inference on 1 KB, and event-loop lag
#     while classifier jobs saturate the worker pool;
#   - libuv's thread pool woken from idle: queue to a job's start and back to the loop.
# Each prints microseconds per operation (audit: records/s and ms); bounded by its iteration count.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
[ -f "$BUILD/libwarden.a" ] || { echo "micro: $BUILD/libwarden.a missing: run make first" >&2; exit 1; }
LIBS="$(pkg-config --libs libhs libpcre2-8 jansson yaml-0.1 openssl) -lm -pthread"
cc -O2 -D_GNU_SOURCE -Isrc -Iinclude bench/scan_bench.c "$BUILD/libwarden.a" $LIBS -o "$BUILD/scan_bench"
cc -O2 -D_GNU_SOURCE -Isrc -Iinclude bench/schema_bench.c "$BUILD/libwarden.a" $LIBS -o "$BUILD/schema_bench"
cc -O2 -D_GNU_SOURCE -Isrc -Iinclude $(pkg-config --cflags libhs) bench/pii_bench.c "$BUILD/libwarden.a" $LIBS -o "$BUILD/pii_bench"
cc -O2 -D_GNU_SOURCE -Isrc -Iinclude bench/request_bench.c "$BUILD/libwarden.a" $LIBS -o "$BUILD/request_bench"
PKGS="libh2o libuv libcurl jansson yaml-0.1 libhs libpcre2-8 sqlite3 libpq openssl"
cc -O2 -D_GNU_SOURCE -DH2O_USE_LIBUV=1 -Isrc -Iinclude $(pkg-config --cflags $PKGS) bench/stream_bench.c "$BUILD/libwarden.a" \
    $(pkg-config --libs $PKGS) -lz -ldl -lm -pthread -o "$BUILD/stream_bench"
cc -O2 -D_GNU_SOURCE -DH2O_USE_LIBUV=1 -Isrc -Iinclude $(pkg-config --cflags $PKGS) bench/builtin_bench.c "$BUILD/libwarden.a" \
    $(pkg-config --libs $PKGS) -lz -ldl -lm -pthread -o "$BUILD/builtin_bench"
cc -O2 bench/pool_roundtrip.c $(pkg-config --libs libuv) -o "$BUILD/pool_roundtrip"
echo "== regex guardrail over a 4 KB prompt (bench/scan_bench.c)"
"$BUILD/scan_bench" "${SCAN_ITERS:-100000}"
echo "== JSON Schema validation, 30 properties, ~2 KB answer (bench/schema_bench.c)"
"$BUILD/schema_bench" "${SCHEMA_ITERS:-200000}"
echo "== pii + secrets guardrails over a 4 KB prompt, and with prompt_injection: all three on one core (bench/pii_bench.c)"
"$BUILD/pii_bench" "${PII_ITERS:-50000}"
echo "== request intake: scan + texts + splice vs the old paths (bench/request_bench.c)"
"$BUILD/request_bench" "${REQUEST_ITERS:-200000}"
echo "== audit log: SQLite and PostgreSQL sinks, query over 1,000,000 records (bench/audit_bench.c)"
make --no-print-directory -s "BUILD=$BUILD" "$BUILD/audit_bench"
AUDIT_TMP=$(mktemp -d /tmp/warden-audit-bench.XXXXXX)
"$BUILD/audit_bench" sqlite "$AUDIT_TMP" "${AUDIT_N:-200000}" | grep '^AUDIT_BENCH'
"$BUILD/audit_bench" query "$AUDIT_TMP" "${AUDIT_QUERY_ROWS:-1000000}" | grep '^AUDIT_BENCH'
rm -rf "$AUDIT_TMP"
PGDIR=$(mktemp -d /tmp/warden-pg.XXXXXX)
PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
if DSN=$(scripts/pg-test-server.sh start "$PGDIR" "$PGPORT" 2>/dev/null); then
    "$BUILD/audit_bench" pg "$DSN" "${AUDIT_PG_N:-100000}" | grep '^AUDIT_BENCH' || true
    scripts/pg-test-server.sh stop "$PGDIR"
else
    echo "AUDIT_BENCH postgres skipped (PostgreSQL could not be started)"
fi
rm -rf "$PGDIR"
echo "== output regex guard on a streamed answer, per chunk (bench/stream_bench.c)"
"$BUILD/stream_bench" "${STREAM_ITERS:-100000}"
echo "== prompt_injection (4 KB), classifier inference (1 KB), event-loop lag with the pool saturated (bench/builtin_bench.c)"
"$BUILD/builtin_bench" "$BUILD/models/toxicity.model" "${BUILTIN_ITERS:-20000}"
echo "== libuv's thread pool woken from idle: what a model check pays around its inference (bench/pool_roundtrip.c)"
"$BUILD/pool_roundtrip" "${POOL_ROUNDS:-2000}"
