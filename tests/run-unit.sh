#!/usr/bin/env bash
# Runs each unit-test binary (cmocka) and sums the results into one closing line.
set -u
pass=0; fail=0
for t in "$@"; do
    out=$("$t" 2>&1); rc=$?
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
    if [ $rc -ne 0 ]; then
        printf '%s\n' "$out"
        echo "unit: $t FAILED (exit $rc)"
        [ -z "$f" ] && fail=$((fail + 1))
    else
        echo "unit: $(basename "$t"): ${p:-0} passed"
    fi
done
echo "unit: $pass passed, $fail failed"
[ $fail -eq 0 ]
