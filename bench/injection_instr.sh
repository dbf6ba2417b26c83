#!/usr/bin/env bash
# bench/injection_instr.sh [BUILD_DIR] [N]
# Instructions per prompt_injection check on a 4 KB prompt (callgrind, counted inside
# guard_injection_check only), with the share of its two passes over the text: prescan
# (injection.c) and inj_lex_score (injection_lex.c, rules included). Three texts, see
# bench/injection_instr.c. Deterministic: compare two builds' lines directly.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}; N=${2:-200}
[ -f "$BUILD/libwarden.a" ] || { echo "injection_instr: $BUILD/libwarden.a missing: run make first" >&2; exit 1; }
T=$(mktemp -d /tmp/injection-instr.XXXX)
trap 'rm -rf "$T"' EXIT
cc -O2 -g -D_GNU_SOURCE -I"$ROOT/src" -I"$ROOT/include" -I"$ROOT/bench" "$ROOT/bench/injection_instr.c" "$BUILD/libwarden.a" \
    $(pkg-config --libs libhs libpcre2-8 jansson yaml-0.1 openssl) -lm -pthread -o "$T/injection_instr"
for text in 0 1 2; do
    valgrind --tool=callgrind --toggle-collect=guard_injection_check --callgrind-out-file="$T/cg.$text" \
        "$T/injection_instr" $text "$N" >/dev/null 2>&1
    callgrind_annotate --inclusive=yes "$T/cg.$text" 2>/dev/null | awk -v n="$N" -v t="$text" '
        { v = $1; gsub(",", "", v) }
        /guard_injection_check/ && v + 0 > c { c = v + 0 }
        /:inj_lex_score/ && !/emmintrin/ && v + 0 > l { l = v + 0 }
        /injection\.c:prescan/ && v + 0 > p { p = v + 0 }
        END { printf "text %d: check %.0f Ir, inj_lex_score %.0f, prescan %.0f (per check, %d checks)\n", t, c / n, l / n, p / n, n }'
done
