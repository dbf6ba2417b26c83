# Sourced by lib.sh and test_mock.sh (which does not source lib.sh), after BUILD is set.
# SLOW widens the upper end of every wall-clock bound (slow_ms). On the plain build the bounds are
# the product's claims (a cancellation within 50 ms, an exit within the drain) and SLOW is 1. The
# ASan+UBSan build is there to find memory errors and runs 2-3x slower, so the same bounds failed
# there by a few percent; SLOW is 3. Lower bounds are never scaled: slowness makes nothing faster.
# WARDEN_TEST_SLOW overrides the factor (an integer; e.g. a loaded machine or a valgrind run).
case "$BUILD" in *asan*) SLOW=3 ;; *) SLOW=1 ;; esac
SLOW=${WARDEN_TEST_SLOW:-$SLOW}
# slow_ms N [CAP]: N x SLOW, but no more than CAP (when the checked fault itself would take CAP ms,
# e.g. waiting for the drain time-out instead of closing at once, the bound stays under it)
slow_ms() {
    local ms=$(($1 * SLOW))
    [ $# -gt 1 ] && [ "$ms" -gt "$2" ] && ms=$(($2 > $1 ? $2 : $1))
    echo "$ms"
}
