#!/usr/bin/env bash
# Builds every tests/fuzz/fuzz_<name>.c with libFuzzer + ASan + UBSan against all of src/ (minus
# the two main files' programs: src/main.c and src/mock/), then runs each one for
# FUZZ_SECONDS (default 4) on a temporary copy of its seed corpus tests/fuzz/corpus_<name>/
# (new inputs never land in the repo); the targets link one per core, then run one at a time.
# Prints one line per target and a closing "fuzz: N passed, M failed"; exits non-zero if any
# target failed to build or crashed.
#
#   tests/fuzz/run.sh                 all targets
#   tests/fuzz/run.sh request scan    only these
#   FUZZ_SECONDS=60 tests/fuzz/run.sh
#   FUZZ_BUILD_ONLY=1 tests/fuzz/run.sh   build and link only
# Crash inputs are kept in build/fuzz/artifacts/ (reproduce: build/fuzz/fuzz_<name> FILE).
#
# FUZZ_SEED=N fixes libFuzzer's seed. Under CI=true it defaults to 1: a gate that passes or
# fails the same way for the same commit (a faster machine only runs further down the same
# sequence); exploring is for long local runs, which draw a new seed each time.
set -u
cd "$(dirname "$0")/../.."
FUZZ_SECONDS=${FUZZ_SECONDS:-4}
FUZZ_SEED=${FUZZ_SEED:-}
[ -z "$FUZZ_SEED" ] && [ "${CI:-}" = true ] && FUZZ_SEED=1
seed_arg=()
[ -n "$FUZZ_SEED" ] && seed_arg=(-seed="$FUZZ_SEED")
CC=${FUZZ_CC:-clang}
OUT=build/fuzz
PKGS="libh2o libuv libcurl jansson yaml-0.1 libhs libpcre2-8 sqlite3 libpq openssl"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-g -O1 -std=gnu11 -D_GNU_SOURCE -DH2O_USE_LIBUV=1 -Isrc -Iinclude $(pkg-config --cflags $PKGS 2>/dev/null)"
# the project's warnings (Makefile WARN), errors included: a fuzz target that does not build clean fails
WARN="-Wall -Wextra -Wstrict-prototypes -Wno-unused-parameter -Wno-missing-field-initializers -Werror"
CFLAGS="$CFLAGS $WARN"
LIBS="$(pkg-config --libs $PKGS 2>/dev/null) -lh2o -luv -lcurl -ljansson -lyaml -lhs -lpcre2-8 -lsqlite3 -lpq -lssl -lcrypto -lz -ldl -lm -pthread"

pass=0; fail=0
summary() { echo "fuzz: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; }
if ! command -v "$CC" >/dev/null; then
    echo "fuzz: $CC not found"; fail=1; summary; exit 1
fi

targets=()
if [ $# -gt 0 ]; then
    for n in "$@"; do targets+=("tests/fuzz/fuzz_${n#fuzz_}.c"); done
else
    for f in tests/fuzz/fuzz_*.c; do [ -e "$f" ] && targets+=("$f"); done
fi
if [ ${#targets[@]} -eq 0 ]; then
    echo "fuzz: no targets"; summary; exit 0
fi

# The library objects are built once, instrumented for the fuzzer, and shared by every target.
# objects built with other flags (e.g. before a flag change) are rebuilt
mkdir -p "$OUT/obj" "$OUT/artifacts"
flags="$CC $CFLAGS $SAN"
if [ "$(cat "$OUT/obj/.flags" 2>/dev/null)" != "$flags" ]; then
    rm -f "$OUT"/obj/*.o
    printf '%s' "$flags" >"$OUT/obj/.flags"
fi
mapfile -t srcs < <(find src -name '*.c' ! -path 'src/mock/*' ! -path 'src/main.c' | sort)
# warden-mock's modules (not its main) for the fuzz_mock_* targets
mapfile -t mock_srcs < <(find src/mock -name '*.c' ! -name 'main.c' | sort)
build_obj() { # src -> prints the object path; rebuilds when the source or a header is newer
    local o="$OUT/obj/${1//\//_}.o"
    if [ ! -f "$o" ] || [ "$1" -nt "$o" ] || [ -n "$(find src include -name '*.h' -newer "$o" 2>/dev/null | head -1)" ]; then
        $CC $CFLAGS $SAN -fsanitize=fuzzer-no-link -c "$1" -o "$o" || return 1
    fi
    echo "$o"
}
export -f build_obj
export CC CFLAGS SAN OUT
objs=$(printf '%s\n' "${srcs[@]}" | xargs -P "$(nproc)" -I{} bash -c 'build_obj "$@"' _ {}) || {
    echo "fuzz: building the src/ objects failed"; fail=${#targets[@]}; summary; exit 1
}
mapfile -t objs < <(printf '%s\n' "$objs" | sort)
mock_objs=$(printf '%s\n' "${mock_srcs[@]}" | xargs -P "$(nproc)" -I{} bash -c 'build_obj "$@"' _ {}) || {
    echo "fuzz: building the src/mock objects failed"; fail=${#targets[@]}; summary; exit 1
}
mapfile -t mock_objs < <(printf '%s\n' "$mock_objs" | sort)

TMPD=$(mktemp -d /tmp/warden-fuzz.XXXXXX)
trap 'rm -rf "$TMPD"' EXIT
# The targets are linked one per core (each link is a single clang process), then run one after
# another as before: FUZZ_SECONDS is wall-clock time, so a run beside a link or another run
# would get fewer executions (measured: a few runs instead of thousands for the targets with a
# slow start). FUZZ_JOBS (default 1) runs that many targets at once on a machine with cores to spare.
# fuzz_build TARGET: links it; on failure its report line(s) in $TMPD/NAME.report
fuzz_build() {
    local t=$1 name
    name=$(basename "$t" .c)
    if [ ! -f "$t" ]; then
        echo "fuzz: $name FAIL (no such target $t)" >"$TMPD/$name.report"; return 1
    fi
    local extra=()
    case "$name" in fuzz_mock_*) extra=("${mock_objs[@]}") ;; esac
    # a link newer than its target, every object and the flags is kept (a FUZZ_BUILD_ONLY run linked it)
    if [ -f "$OUT/$name" ] && [ -z "$(find "$t" "${objs[@]}" "${extra[@]}" "$OUT/obj/.flags" -newer "$OUT/$name" 2>/dev/null | head -1)" ]; then
        touch "$TMPD/$name.built"
        return 0
    fi
    if ! $CC $CFLAGS $SAN -fsanitize=fuzzer "$t" "${objs[@]}" "${extra[@]}" $LIBS -o "$OUT/$name" 2>"$TMPD/$name.build"; then
        { echo "fuzz: $name FAIL (build)"; tail -20 "$TMPD/$name.build"; } >"$TMPD/$name.report"; return 1
    fi
    touch "$TMPD/$name.built"
}
# fuzz_run TARGET: runs a linked target; its report line(s) in $TMPD/NAME.report, $TMPD/NAME.ok
# when it passed
fuzz_run() {
    local t=$1 name short bin corpus art rc runs kept a
    name=$(basename "$t" .c)
    short=${name#fuzz_}
    bin="$OUT/$name"
    [ -f "$TMPD/$name.built" ] || return 1
    exec >"$TMPD/$name.report" 2>&1
    corpus="$TMPD/corpus_$short"
    mkdir -p "$corpus"
    [ -d "tests/fuzz/corpus_$short" ] && cp -r "tests/fuzz/corpus_$short/." "$corpus/"
    art="$TMPD/art_$short/"
    mkdir -p "$art"
    "$bin" "${seed_arg[@]}" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
        -artifact_prefix="$art" "$corpus" >"$TMPD/$name.log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$TMPD/$name.log" | tail -1)
    if [ $rc -eq 0 ]; then
        echo "fuzz: $name ok (${runs:-?} runs in ${FUZZ_SECONDS}s, corpus $(ls "$corpus" | wc -l))"
        touch "$TMPD/$name.ok"
        return 0
    fi
    kept=""
    for a in "$art"*; do
        [ -f "$a" ] || continue
        cp "$a" "$OUT/artifacts/${short}-$(basename "$a")"
        kept+=" $OUT/artifacts/${short}-$(basename "$a")"
    done
    echo "fuzz: $name FAIL (exit $rc after ${runs:-?} runs; input:${kept:- none})"
    grep -E 'ERROR|SUMMARY|check failed|runtime error|#[0-9]+ 0x' "$TMPD/$name.log" | head -25
    return 1
}
LINK_JOBS=$(nproc 2>/dev/null || echo 1)
for t in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$LINK_JOBS" ]; do wait -n; done
    fuzz_build "$t" &
done
wait
if [ -n "${FUZZ_BUILD_ONLY:-}" ]; then
    # FUZZ_BUILD_ONLY=1: compile and link only (make test builds the targets while other suites
    # run, and runs them later, alone); a later run finds them up to date
    for t in "${targets[@]}"; do
        name=$(basename "$t" .c)
        if [ -f "$TMPD/$name.built" ]; then pass=$((pass + 1)); else cat "$TMPD/$name.report"; fail=$((fail + 1)); fi
    done
    echo "fuzz: $pass built, $fail failed"
    [ "$fail" -eq 0 ]
    exit
fi
JOBS=${FUZZ_JOBS:-1}
for t in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
    fuzz_run "$t" &
done
wait
for t in "${targets[@]}"; do
    name=$(basename "$t" .c)
    cat "$TMPD/$name.report" 2>/dev/null || echo "fuzz: $name FAIL (no report)"
    if [ -f "$TMPD/$name.ok" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
summary
