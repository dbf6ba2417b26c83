#!/usr/bin/env bash
# Runs every tests/integration/test_*.sh and the openai-npm compatibility
# suite; prints one closing line with the totals.
#
# INTEGRATION_JOBS (default 2) scripts run at once: every script uses its own free ports
# and temporary directory, and most of their time is spent waiting on timers. The scripts
# in TIMED measure wall-clock bounds or memory (latency, drain, RSS, lag) and run alone
# afterwards, so another script's load cannot push them over a bound.
set -u
cd "$(dirname "$0")"
export BUILD=${BUILD:-build}
JOBS=${INTEGRATION_JOBS:-2}
TIMED=" test_batch.sh test_chaos.sh test_embed_split.sh test_guardrail_streams.sh test_injection_attack.sh test_pipelines.sh test_shutdown.sh \
test_stream_guard.sh test_audit_kill.sh test_attack3.sh test_upstream_http1.sh test_resilience.sh test_hardening.sh test_core.sh \
test_adversary_drain_pool.sh "
# INTEGRATION_PART=shared|timed runs only that phase (make test runs the shared phase of one build
# while nothing timed runs, the timed one alone); default both
PART=${INTEGRATION_PART:-all}
OUT=$(mktemp -d /tmp/warden-integration.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
# python3 resolved once for every script (python3.sh says why; test_mock.sh does not source lib.sh)
source ./python3.sh
use_real_python3 "$OUT/bin"
export PATH

# run_one SCRIPT: its output in $OUT/SCRIPT.out, exit status in .rc, seconds in .s
run_one() {
    local t0=$SECONDS
    bash "$1" >"$OUT/$1.out" 2>&1
    echo $? >"$OUT/$1.rc"
    echo $((SECONDS - t0)) >"$OUT/$1.s"
}

# The longest shared scripts start first, so the shared phase does not end with one long script
# running alone on a free slot (the order only; every script runs).
LONG="test_bypass.sh test_audit_attack.sh test_injection.sh test_attack.sh test_attack2.sh test_audit.sh"
shared=(); alone=()
for t in $LONG test_*.sh; do
    [ -f "$t" ] || continue
    case " ${shared[*]} ${alone[*]} " in *" $t "*) continue ;; esac
    case "$TIMED" in
    *" $t "*) [ "$PART" = shared ] || alone+=("$t") ;;
    *) [ "$PART" = timed ] || shared+=("$t") ;;
    esac
done
# the openai npm client's suite (its own warden and mock, ~3 s) takes a slot of the shared phase
NODE=0
[ "$PART" != timed ] && [ -f openai.test.mjs ] && [ -d node_modules/openai ] && NODE=1
for t in "${shared[@]}" $([ $NODE = 1 ] && echo openai.test.mjs); do
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
    case "$t" in
    *.mjs) (node --test "$t" >"$OUT/$t.out" 2>&1; echo $? >"$OUT/$t.rc") & ;;
    *) run_one "$t" & ;;
    esac
done
wait
for t in "${alone[@]}"; do run_one "$t"; done

pass=0; fail=0; failed=()
for t in "${shared[@]}" "${alone[@]}"; do
    out=$(cat "$OUT/$t.out"); rc=$(cat "$OUT/$t.rc")
    printf '%s\n' "$out" | grep -E '^  (ok|FAIL)' | grep -v '^  ok' || true
    line=$(printf '%s\n' "$out" | grep -E '(^|: )[0-9]+ passed, [0-9]+ failed$' | tail -1)
    p=$(printf '%s' "$line" | sed -n 's/^\(.*: \)\{0,1\}\([0-9]*\) passed.*/\2/p'); f=$(printf '%s' "$line" | sed -n 's/.* \([0-9]*\) failed$/\1/p')
    pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
    if [ "$rc" -ne 0 ]; then
        [ -z "$f" ] || [ "$f" = 0 ] && fail=$((fail + 1))
        failed+=("$t"); printf '%s\n' "$out" | tail -40
    fi
    echo "integration: $t: ${line##*: } ($(cat "$OUT/$t.s") s)"
done
if [ $NODE = 1 ]; then
    out=$(cat "$OUT/openai.test.mjs.out"); rc=$(cat "$OUT/openai.test.mjs.rc")
    p=$(printf '%s\n' "$out" | sed -n 's/^# pass \([0-9]*\)/\1/p'); f=$(printf '%s\n' "$out" | sed -n 's/^# fail \([0-9]*\)/\1/p')
    pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
    [ "$rc" -ne 0 ] && { failed+=(openai.test.mjs); printf '%s\n' "$out" | tail -40; [ "${f:-0}" = 0 ] && fail=$((fail + 1)); }
    echo "integration: openai.test.mjs: ${p:-0} passed, ${f:-0} failed"
fi
[ ${#failed[@]} -gt 0 ] && echo "integration: failing: ${failed[*]}"
echo "integration: $pass passed, $fail failed"
[ $fail -eq 0 ]
