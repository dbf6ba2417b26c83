#!/usr/bin/env bash
# make test's suites (after deps): the build, module-graph check, unit, integration and fuzz, then
# unit and integration again on an ASan+UBSan build. Every suite runs in full, as before; what
# changes is when, so that the whole run fits the CI budget on a 2-core machine, where running
# them one after another left a core idle most of the time (the integration scripts mostly wait
# on timers and sockets; TIMED scripts and fuzz runs use one core):
#
#   foreground (normal priority)            background lane
#   build, module-graph
#   unit                                    ASan build, ASan unit-test binaries (idle priority)
#   integration, shared scripts             ASan integration, shared scripts (normal priority)
#   ASan unit, then waits for the lane
#   integration, TIMED scripts (alone)      fuzz targets compiled and linked, then run (idle priority)
#   ASan integration, TIMED scripts (alone)
#
# A SCHED_IDLE task runs only on CPU time no normal task wants, and a waking normal task takes
# the CPU from it at once: the TIMED scripts (run.sh: they measure wall-clock bounds and run
# alone) see the machine as if alone, while the lane's fuzz build and fuzz runs use what they
# leave (most of a core: those scripts mostly wait on timers and sockets). A fuzz run is
# FUZZ_SECONDS of wall clock from a fixed seed under CI: on the CPU left to it, it goes less far
# down the same sequence, as on a slower machine; what is left of it when the TIMED scripts end
# runs at normal priority. The lane's shared scripts run at normal priority, beside the
# foreground's shared scripts only: at idle priority they starved for seconds while the
# foreground used both cores, and their own time-outs (a start-up, a curl --max-time) failed.
#
# Prints "make test: PHASE: N s" per phase (the lane's in its own lines) and the total; exits
# non-zero when any suite failed.
set -u
cd "$(dirname "$0")/.."
# the sub-makes below are top-level makes (their own -jN), not members of a caller's job server
unset MAKEFLAGS MFLAGS MAKELEVEL
MAKE_CMD=(make --no-print-directory)
ASAN=(BUILD=build/asan OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined")
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
ASAN_ENV=(ASAN_OPTIONS="detect_leaks=1:abort_on_error=0")

# phase NAME CMD...: runs CMD and reports its time; a failure is added to $STATE/failed
phase() {
    local name=$1 t0=$SECONDS rc
    shift
    "$@"
    rc=$?
    echo "make test: $name: $((SECONDS - t0)) s$([ $rc -ne 0 ] && echo " (FAILED, exit $rc)")"
    [ $rc -eq 0 ] || echo "$name" >>"$STATE/failed"
    return $rc
}

# idle CMD...: CMD at the lowest CPU and I/O priority the system grants (SCHED_IDLE when chrt may
# set it, else nice 19)
idle=(nice -n 19)
chrt -i 0 true 2>/dev/null && idle=(chrt -i 0 "${idle[@]}")
ionice -c 3 true 2>/dev/null && idle=(ionice -c 3 "${idle[@]}")
# set_priority normal|idle PID: the process (and so its future children) at normal or idle priority
set_priority() {
    if [ "$1" = normal ]; then
        chrt -o -p 0 "$2" 2>/dev/null
        renice -n 0 -p "$2" >/dev/null 2>&1
        ionice -c 2 -n 4 -p "$2" 2>/dev/null
    else
        chrt -i -p 0 "$2" 2>/dev/null
        renice -n 19 -p "$2" >/dev/null 2>&1
        ionice -c 3 -p "$2" 2>/dev/null
    fi
    return 0
}

# ---- the background lane: tests/run-all.sh --lane STATE (its own process group, idle priority)
if [ "${1:-}" = --lane ]; then
    STATE=$2
    if phase asan-build "${MAKE_CMD[@]}" "${ASAN[@]}" all unit-bin; then
        touch "$STATE/asan-built"
    else
        touch "$STATE/asan-build-failed"
    fi
    if [ -f "$STATE/asan-built" ]; then
        set_priority normal $$
        phase asan-integration-shared env "${ASAN_ENV[@]}" INTEGRATION_PART=shared "${MAKE_CMD[@]}" "${ASAN[@]}" integration
        set_priority idle $$
    fi
    touch "$STATE/asan-shared-done"
    phase fuzz-build env FUZZ_BUILD_ONLY=1 tests/fuzz/run.sh
    phase fuzz tests/fuzz/run.sh
    exit 0
fi

T0=$SECONDS
STATE=$(mktemp -d /tmp/warden-test.XXXXXX)
LANE_PID=""
cleanup() {
    [ -n "$LANE_PID" ] && kill -TERM -- "-$LANE_PID" 2>/dev/null
    rm -rf "$STATE"
}
trap cleanup EXIT
touch "$STATE/failed"

phase build "${MAKE_CMD[@]}" all unit-bin || { echo "make test: the build failed"; exit 1; }
phase module-graph scripts/module-graph.sh

# setsid: the lane is a process group of its own, to raise (or stop) as one
setsid "${idle[@]}" "$0" --lane "$STATE" >"$STATE/lane.log" 2>&1 &
LANE_PID=$!
# raise_lane: the lane's processes (and so their future children) to normal priority
raise_lane() {
    local pass p
    for pass in 1 2; do # a second pass for the processes forked during the first
        for p in $(ps -e -o pid=,pgid= | awk -v g="$LANE_PID" '$2 == g { print $1 }'); do
            set_priority normal "$p"
        done
    done
}
# wait_for FILE...: until one of the lane's markers exists (or the lane ended)
wait_for() {
    local f
    while kill -0 "$LANE_PID" 2>/dev/null; do
        for f in "$@"; do [ -e "$STATE/$f" ] && return 0; done
        sleep 0.5
    done
    for f in "$@"; do [ -e "$STATE/$f" ] && return 0; done
    return 1
}

phase unit "${MAKE_CMD[@]}" unit
phase integration-shared env INTEGRATION_PART=shared "${MAKE_CMD[@]}" integration
# the TIMED scripts run alone: after the lane's shared scripts (at normal priority) are done;
# meanwhile the ASan unit tests (nothing timed) use the foreground's share
t0=$SECONDS
wait_for asan-built asan-build-failed
[ -f "$STATE/asan-built" ] && phase asan-unit env "${ASAN_ENV[@]}" "${MAKE_CMD[@]}" "${ASAN[@]}" unit
wait_for asan-shared-done asan-build-failed
echo "make test: ASan unit tests, then waited for the lane's shared scripts: $((SECONDS - t0)) s"
phase integration-timed env INTEGRATION_PART=timed "${MAKE_CMD[@]}" integration

t0=$SECONDS
raise_lane
wait "$LANE_PID"
LANE_PID=""
cat "$STATE/lane.log"
echo "make test: waited for the lane: $((SECONDS - t0)) s"
[ -f "$STATE/asan-built" ] &&
    phase asan-integration-timed env "${ASAN_ENV[@]}" INTEGRATION_PART=timed "${MAKE_CMD[@]}" "${ASAN[@]}" integration
[ -f "$STATE/asan-build-failed" ] && echo "asan-build" >>"$STATE/failed"

echo "make test: total $((SECONDS - T0)) s"
if [ -s "$STATE/failed" ]; then
    echo "make test: FAILED: $(tr '\n' ' ' <"$STATE/failed")"
    exit 1
fi
echo "make test: all suites passed"
