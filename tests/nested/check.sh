#!/usr/bin/env bash
# check.sh: runs the integration suites inside the emulated machine and makes a stall
# a bounded event, not a hang.
# Usage: tests/nested/check.sh RESULTS BUILD_DIR [MONITOR_BUILD_DIR...]
# RESULTS (in the checkout) receives tests/run.sh's records (the format is described
# there) from inside; this script adds a FAIL record for each thing that goes wrong
# around the suites: the machine not coming up, a stall, a run that ends early.
# A stall: machine.sh kills the emulator after NESTED_STALL_SECONDS with no new output.
# The test that was running counts as failed, the machine boots again and the run
# resumes after that test. A second stall ends the run: the tests left are not run.
# Exit status: 0 if the run reached its end (whatever the tests said), else 1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd -P)
checkout=$(cd "$here/../.." && pwd -P)
results=${1:?usage: check.sh RESULTS BUILD_DIR [MONITOR_BUILD_DIR...]}
shift
[ $# -ge 1 ] || { echo "usage: check.sh RESULTS BUILD_DIR [MONITOR_BUILD_DIR...]" >&2; exit 2; }
top=$checkout/build/nested/check
rm -rf "$top"
mkdir -p "$top"

# host_record UNIT TEXT: a FAIL record written here, printed like run.sh's own.
host_record() {
    # A killed machine may have left half a line: start a fresh one.
    [ -s "$results" ] && [ -n "$(tail -c 1 "$results")" ] && echo >>"$results"
    printf 'FAIL\t%s\t%s\n' "$1" "$2" >>"$results"
    echo "FAIL - $2"
}

# stall_point: "UNIT<tab>K<tab>WHAT": the unit that was running, how many of its tests
# have a result, and what was running (a test's name, or where the last one ended).
stall_point() {
    awk -F'\t' '
        # A unit seen again: the reboot after a stall, replaying the tests before it.
        $1 == "unit" && n[$2] > 0 { u = $2; what = "the way back to test " n[$2] + 1 " of " $3 }
        $1 == "unit" && !n[$2] { u = $2; what = "the first test of " $3 }
        $1 == "start" { what = "\047" $3 "\047" }
        $1 == "ok" || $1 == "FAIL" || $1 == "skip" { n[$2]++; what = "the test after \047" $3 "\047" }
        END {
            if (u == "") print "-1\t0\tthe integration part, before its first test"
            else print u "\t" n[u] + 0 "\t" what
        }' "$results"
}

# write_job DIR RESUME BUILD_DIR [MONITOR...]: the job the machine runs (run.sh, the
# integration part only, from RESUME if not empty).
write_job() {
    local dir=$1 opts=(--integration --results "$results")
    [ -n "$2" ] && opts+=(--resume "$2")
    shift 2
    {
        echo "# tests/nested/check.sh: the integration suites, inside the emulated machine"
        local v
        for v in CI ASAN_OPTIONS UBSAN_OPTIONS UKMON_SUITES; do
            [ -n "${!v:-}" ] && printf 'export %s=%q\n' "$v" "${!v}"
        done
        printf 'exec tests/run.sh'
        printf ' %q' "${opts[@]}" "$@"
        echo
    } >"$dir/job"
}

boot=0 stalls=0 resume="" began=$SECONDS
while :; do
    boot=$((boot + 1))
    state=$top/boot-$boot
    mkdir -p "$state"
    write_job "$state" "$resume" "$@"
    rc=0
    "$here/machine.sh" "$state" || rc=$?
    case $rc in
        0)
            if grep -q '^end' "$results"; then
                echo "nested: the suites ran in $((SECONDS - began)) s, $boot boot(s), $stalls stall(s)"
                exit 0
            fi
            host_record "$(stall_point | cut -f1)" "integration tests: the run inside ended early, status $(cat "$state/status") (build/nested/check/boot-$boot/output)"
            exit 1
            ;;
        3)
            stalls=$((stalls + 1))
            IFS=$'\t' read -r unit count what < <(stall_point)
            why="$(cat "$state/verdict")"
            if [ "$stalls" -ge 2 ]; then
                host_record "$unit" "stalled in $what: $why; a second stall: the tests left were not run"
                exit 1
            fi
            host_record "$unit" "stalled in $what: $why; booting again to go on after it"
            # The stalled test now has its record: resume after it.
            if [ "$unit" -ge 0 ]; then resume=$unit:$((count + 1)); else resume=""; fi
            ;;
        *)
            host_record -1 "integration tests: $(cat "$state/verdict" 2>/dev/null || echo "the emulated machine failed (machine.sh exit $rc)")"
            exit 1
            ;;
    esac
done
