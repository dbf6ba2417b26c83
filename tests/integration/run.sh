#!/usr/bin/env bash
# Runs every tests/integration/test_*.sh and the openai-npm compatibility
# suite; prints one closing line with the totals.
set -u
cd "$(dirname "$0")"
export BUILD=${BUILD:-build}
pass=0; fail=0; failed=()
for t in test_*.sh; do
    t0=$SECONDS
    out=$(bash "$t" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -E '^  (ok|FAIL)' | grep -v '^  ok' || true
    line=$(printf '%s\n' "$out" | grep -E '(^|: )[0-9]+ passed, [0-9]+ failed$' | tail -1)
    p=$(printf '%s' "$line" | sed -n 's/^\(.*: \)\{0,1\}\([0-9]*\) passed.*/\2/p'); f=$(printf '%s' "$line" | sed -n 's/.* \([0-9]*\) failed$/\1/p')
    pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
    if [ $rc -ne 0 ]; then
        [ -z "$f" ] || [ "$f" = 0 ] && fail=$((fail + 1))
        failed+=("$t"); printf '%s\n' "$out" | tail -40
    fi
    echo "integration: $t: ${line##*: } ($((SECONDS - t0)) s)"
done
if [ -f openai.test.mjs ] && [ -d node_modules/openai ]; then
    out=$(node --test openai.test.mjs 2>&1); rc=$?
    p=$(printf '%s\n' "$out" | sed -n 's/^# pass \([0-9]*\)/\1/p'); f=$(printf '%s\n' "$out" | sed -n 's/^# fail \([0-9]*\)/\1/p')
    pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
    [ $rc -ne 0 ] && { failed+=(openai.test.mjs); printf '%s\n' "$out" | tail -40; [ "${f:-0}" = 0 ] && fail=$((fail + 1)); }
    echo "integration: openai.test.mjs: ${p:-0} passed, ${f:-0} failed"
fi
[ ${#failed[@]} -gt 0 ] && echo "integration: failing: ${failed[*]}"
echo "integration: $pass passed, $fail failed"
[ $fail -eq 0 ]
