#!/usr/bin/env bash
# run.sh: ukmon's test suite. Two parts:
#  - on the host: unit tests and short fuzzing runs (no KVM needed);
#  - the integration suites (tests/suite-*.sh), which run unikernels and need KVM: every
#    case against each monitor build given (normally build/ and the ASan+UBSan
#    build-asan/). Natively when /dev/kvm is usable; else, or with --nested, inside one
#    emulated machine (QEMU/TCG with nested SVM, tests/nested/), booted once.
# Usage: tests/run.sh [--nested] BUILD_DIR [MONITOR_BUILD_DIR...]
#        tests/run.sh --integration [--results FILE] [--resume UNIT:K] BUILD_DIR [MONITOR...]
# --integration runs only the integration part, here (tests/nested/ runs it so inside).
# --results FILE appends one record per event, tab-separated, for tests/nested/check.sh:
#     unit  UNIT  [MONITOR] SUITE    unit UNIT (one suite against one monitor) begins
#     start UNIT  NAME               a test begins (named by expect*, or its command)
#     ok|FAIL|skip  UNIT  NAME       a test's result (FAIL and skip: NAME: reason)
#     end                            the integration part ran to its end
# --resume UNIT:K skips the units before UNIT and the first K tests of UNIT: after a
# stall, the emulated machine is rebooted to go on after the test that stalled.
# Ends with one line: "N passed, N failed, N skipped", the integration tests included
# wherever they ran.
set -u
MODE=all      # all | integration
WHERE=auto    # auto: natively if /dev/kvm is usable | nested: in the emulated machine
RESULTS=""
RESUME_UNIT=0 RESUME_SKIP=0
while [ $# -gt 0 ]; do
    case $1 in
        --nested) WHERE=nested; shift ;;
        --integration) MODE=integration; shift ;;
        --results) RESULTS=${2:?--results needs a file}; shift 2 ;;
        --resume)
            if [[ ! ${2:-} =~ ^[0-9]+:[0-9]+$ ]]; then echo "run.sh: --resume UNIT:K" >&2; exit 2; fi
            RESUME_UNIT=${2%%:*} RESUME_SKIP=${2#*:}; shift 2 ;;
        -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
B=${1:-build}
shift || true
MONITORS=("$B" "$@")
G=$B/tests/guests
E=$B/examples
PASS=0 FAIL=0 SKIP=0
UNIT=-1       # the unit being run; -1: none yet
FF=0          # tests of this unit still to skip (fast-forward after a resume)
TMP=$(mktemp -d /tmp/ukmon-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# record KIND TEXT: one line of the --results file (tabs and newlines in TEXT flattened).
record() {
    [ -n "$RESULTS" ] || return 0
    local text=${2//$'\t'/ }
    printf '%s\t%s\t%s\n' "$1" "$UNIT" "${text//$'\n'/ }" >>"$RESULTS"
}

# skipping: true (and one test fewer to skip) while fast-forwarding to the resume point.
# A test skipped so is not run and not counted: it was counted before the reboot.
skipping() {
    [ "$FF" -gt 0 ] || return 1
    FF=$((FF - 1))
    return 0
}

pass() {
    skipping && return 0
    PASS=$((PASS + 1)); echo "ok   - $LABEL$1"; record ok "$LABEL$1"
}
fail() {
    skipping && return 0
    FAIL=$((FAIL + 1))
    echo "FAIL - $LABEL$1: $2"
    record FAIL "$LABEL$1: $2"
    [ -s "$TMP/out" ] && sed 's/^/       stdout: /' "$TMP/out" | head -15
    [ -s "$TMP/err" ] && sed 's/^/       stderr: /' "$TMP/err" | head -15
    return 0
}
skip() {
    skipping && return 0
    SKIP=$((SKIP + 1)); echo "skip - $LABEL$1: $2"; record skip "$LABEL$1: $2"
}

# run TIMEOUT CMD...: runs with stdin from $STDIN (default /dev/null); sets RC.
# While fast-forwarding it runs nothing (RC 0, no output): the test it belongs to
# ends in pass or fail, which the fast-forward swallows.
NAMED=""      # set by expect*: the start record is written, with the test's name
run() {
    local t=$1
    shift
    # QEMU's TCG (with ASan on top) runs guests many times slower: the same limits, scaled.
    [ -n "${UKMON_EMULATED:-}" ] && t=$((t * 3))
    if [ "$FF" -gt 0 ]; then
        RC=0; : >"$TMP/out"; : >"$TMP/err"; return
    fi
    [ -n "$NAMED" ] || { local cmd="$*"; record start "$LABEL(running: ${cmd:0:200})"; }
    NAMED=""
    timeout -k 5 "$t" "$@" <"${STDIN:-/dev/null}" >"$TMP/out" 2>"$TMP/err"
    RC=$?
}

# begin NAME RC: the start of a test run by expect*; false while fast-forwarding (the
# caller returns at once: the test was counted before the reboot). A skipped test
# leaves RC as expected and no output, so that suite code that looks at them after
# expect* (a check of stderr, say) records nothing more, as after a pass.
begin() {
    if skipping; then
        RC=$2; : >"$TMP/out"; : >"$TMP/err"
        return 1
    fi
    NAMED=1
    record start "$LABEL$1"
}

# expect NAME RC [stdout-substring...] -- CMD...: exit code and text in stdout or stderr.
expect() {
    local name=$1 rc=$2
    shift 2
    local want=()
    while [ "$1" != "--" ]; do want+=("$1"); shift; done
    shift
    begin "$name" "$rc" || return 0
    run 60 "$@"
    if [ "$RC" != "$rc" ]; then fail "$name" "exit code $RC, expected $rc"; return; fi
    for w in "${want[@]}"; do
        if ! grep -qF -- "$w" "$TMP/out" "$TMP/err"; then
            fail "$name" "output lacks: $w"; return
        fi
    done
    if grep -q "ERROR: AddressSanitizer\|runtime error:\|LeakSanitizer" "$TMP/err"; then
        fail "$name" "sanitizer report"; return
    fi
    pass "$name"
}

# expect_exact NAME RC FILE -- CMD...: stdout must equal FILE byte for byte.
expect_exact() {
    local name=$1 rc=$2 file=$3
    shift 4
    begin "$name" "$rc" || return 0
    run 60 "$@"
    if [ "$RC" != "$rc" ]; then fail "$name" "exit code $RC, expected $rc"; return; fi
    if ! cmp -s "$TMP/out" "$file"; then
        fail "$name" "stdout differs: $(diff "$file" "$TMP/out" | head -5 | tr '\n' ' ')"; return
    fi
    pass "$name"
}

# One-line error: exactly one line on stderr, starting "ukmon: ".
expect_error() {
    local name=$1 rc=$2 want=$3
    shift 4
    begin "$name" "$rc" || return 0
    run 30 "$@"
    if [ "$RC" != "$rc" ]; then fail "$name" "exit code $RC, expected $rc"; return; fi
    if [ "$(wc -l <"$TMP/err")" != 1 ] || ! grep -q "^ukmon: .*$want" "$TMP/err"; then
        fail "$name" "stderr is not one line 'ukmon: ...$want'"; return
    fi
    pass "$name"
}

# The part that needs no KVM: unit tests and fuzzing, always on the host.
host_tests() {
    local t rc line p f
    echo "== unit tests"
    LABEL="unit: "
    for t in "$B"/tests/unit/*; do
        [ -x "$t" ] || continue
        "$t" >"$TMP/unit" 2>&1
        rc=$?
        line=$(grep -E '^unit: [0-9]+ passed, [0-9]+ failed' "$TMP/unit" | tail -1)
        p=$(echo "$line" | sed -E 's/^unit: ([0-9]+) passed.*/\1/')
        f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
        if [ -z "$line" ] || [ "$rc" != 0 ]; then
            FAIL=$((FAIL + 1)); echo "FAIL - $(basename "$t") (exit $rc)"; grep -v '^ok' "$TMP/unit" | head -20
        else
            PASS=$((PASS + p)); FAIL=$((FAIL + f)); echo "ok   - $(basename "$t"): $p cases"
        fi
    done

    # The design rule the fault-safe guest-memory layer rests on, checked in the source.
    if scripts/check-guest-access.sh >"$TMP/lint" 2>&1; then
        PASS=$((PASS + 1)); echo "ok   - guest memory is reached only through kvm/guest_mem.c"
    else
        FAIL=$((FAIL + 1)); echo "FAIL - guest memory is reached only through kvm/guest_mem.c"
        cat "$TMP/lint"
    fi

    # Short fuzzing runs of the ELF loader and the hypercall decoder (longer: make fuzz).
    FUZZ_SECONDS=${FUZZ_SECONDS:-15}
    echo "== fuzzing, $FUZZ_SECONDS s per target"
    LABEL="fuzz: "
    if [ "$FUZZ_SECONDS" = 0 ]; then
        skip "fuzzing" "FUZZ_SECONDS=0"
    elif ! command -v clang >/dev/null; then
        skip "fuzzing" "clang is not installed (scripts/install-deps.sh installs it)"
    else
        tests/fuzz/run.sh "$FUZZ_SECONDS" "$B" >"$TMP/fuzz" 2>&1
        rc=$?
        while read -r line; do
            case $line in
                "fuzz "*"no crash") PASS=$((PASS + 1)); echo "ok   - $line" ;;
            esac
        done <"$TMP/fuzz"
        if [ "$rc" != 0 ]; then
            FAIL=$((FAIL + 1)); echo "FAIL - fuzzing (exit $rc)"; tail -30 "$TMP/fuzz"
        fi
    fi
}

# Every unit (one suite against one monitor build) in order, from the resume point.
integration_here() {
    local SUITE M s
    for SUITE in tests/suite-*.sh; do
        # shellcheck source=/dev/null
        . "$SUITE"
    done
    # UKMON_SUITES="linux signal": only those (for work on one area; make check runs all).
    [ -n "${UKMON_SUITES:-}" ] && SUITES=$UKMON_SUITES
    for M in "${MONITORS[@]}"; do
        U=$M/ukmon
        LABEL="[$M] "
        echo "== integration tests with $U"
        [ -x "$U" ] || { fail "monitor" "$U not built"; continue; }
        for s in $SUITES; do
            UNIT=$((UNIT + 1))
            [ "$UNIT" -lt "$RESUME_UNIT" ] && continue
            FF=0
            if [ "$UNIT" = "$RESUME_UNIT" ] && [ "$RESUME_SKIP" -gt 0 ]; then
                FF=$RESUME_SKIP
                echo "== resuming suite $s after its first $FF tests"
            fi
            record unit "[$M] $s"
            "suite_$s"
        done
    done
    UNIT=-1
    record end ""
}

# The integration part in the emulated machine: tests/nested/check.sh boots it once
# (again after a stall), runs this script there with --integration --results, and
# the results file comes back through the shared checkout to be counted here.
integration_nested() {
    local results kind rc=0 failed=0
    results=$(pwd -P)/build/nested/results
    mkdir -p "${results%/*}"
    : >"$results"
    tests/nested/check.sh "$results" "${MONITORS[@]}" || rc=$?
    while IFS=$'\t' read -r kind _; do
        case $kind in
            ok) PASS=$((PASS + 1)) ;;
            FAIL) FAIL=$((FAIL + 1)); failed=1 ;;
            skip) SKIP=$((SKIP + 1)) ;;
        esac
    done <"$results"
    # check.sh records why a run did not reach its end; should it fail without saying
    # so, the run must not look green.
    if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
        FAIL=$((FAIL + 1))
        echo "FAIL - integration tests in the emulated machine: tests/nested/check.sh failed (exit $rc)"
    fi
}

# No KVM and no emulator: the integration tests cannot run. Skipped, loudly; under CI
# a failure, since a green CI must mean the monitor was tested.
integration_impossible() {
    local why=$1 n
    echo
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    echo "!!! No usable /dev/kvm and no emulated machine: integration tests SKIPPED    !!!"
    echo "!!! scripts/install-deps.sh --nested installs the emulator (QEMU, a kernel)  !!!"
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    echo "$why"
    n=$(cat tests/suite-*.sh | grep -c "^ *expect")
    SKIP=$((SKIP + n * ${#MONITORS[@]}))
    if [ "${CI:-}" = true ]; then
        FAIL=$((FAIL + 1))
        echo "FAIL - integration tests: not run, and CI=true: a green CI must mean the monitor was tested"
    fi
}

if [ "$MODE" = integration ]; then
    # Asked to run here: no usable KVM is a failure, not a skip.
    if why=$(tests/nested/kvm-usable.sh "$B"); then
        integration_here
    else
        FAIL=$((FAIL + 1))
        echo "FAIL - integration tests: $why"
        record FAIL "integration tests: $why"
    fi
else
    host_tests
    if [ "$WHERE" = auto ] && why=$(tests/nested/kvm-usable.sh "$B"); then
        integration_here
    elif emu_why=$(tests/nested/machine.sh --check 2>&1); then
        if [ "$WHERE" = auto ]; then
            echo "no usable /dev/kvm: running the KVM tests inside QEMU/TCG with nested SVM"
        else
            echo "--nested: running the KVM tests inside QEMU/TCG with nested SVM"
        fi
        integration_nested
    elif [ "$WHERE" = nested ]; then
        FAIL=$((FAIL + 1))
        echo "FAIL - integration tests in the emulated machine: it cannot be had here: $emu_why"
    else
        integration_impossible "($why; $emu_why)"
    fi
fi

if [ "$MODE" = integration ] && [ -n "$RESULTS" ]; then
    # Not the final line of make check, which the host prints with every part counted.
    echo "(this run of the integration part: $PASS passed, $FAIL failed, $SKIP skipped)"
else
    echo "$PASS passed, $FAIL failed, $SKIP skipped"
fi
[ "$FAIL" = 0 ]
