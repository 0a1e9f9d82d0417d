#!/usr/bin/env bash
# run.sh: ukmon's test suite: unit tests, then every integration case against each
# monitor build given (normally build/ and the ASan+UBSan build-asan/).
# Usage: tests/run.sh BUILD_DIR [MONITOR_BUILD_DIR...]
# Ends with one line: "N passed, N failed, N skipped".
set -u
B=${1:-build}
shift || true
MONITORS=("$B" "$@")
G=$B/tests/guests
E=$B/examples
PASS=0 FAIL=0 SKIP=0
TMP=$(mktemp -d /tmp/ukmon-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

pass() { PASS=$((PASS + 1)); echo "ok   - $LABEL$1"; }
fail() {
    FAIL=$((FAIL + 1))
    echo "FAIL - $LABEL$1: $2"
    [ -s "$TMP/out" ] && sed 's/^/       stdout: /' "$TMP/out" | head -15
    [ -s "$TMP/err" ] && sed 's/^/       stderr: /' "$TMP/err" | head -15
    return 0
}
skip() { SKIP=$((SKIP + 1)); echo "skip - $LABEL$1: $2"; }

# run NAME TIMEOUT CMD...: runs with stdin from $STDIN (default /dev/null); sets RC.
run() {
    local t=$1
    shift
    timeout -k 5 "$t" "$@" <"${STDIN:-/dev/null}" >"$TMP/out" 2>"$TMP/err"
    RC=$?
}

# expect NAME RC [stdout-substring...] -- CMD...: exit code and text in stdout or stderr.
expect() {
    local name=$1 rc=$2
    shift 2
    local want=()
    while [ "$1" != "--" ]; do want+=("$1"); shift; done
    shift
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
    run 30 "$@"
    if [ "$RC" != "$rc" ]; then fail "$name" "exit code $RC, expected $rc"; return; fi
    if [ "$(wc -l <"$TMP/err")" != 1 ] || ! grep -q "^ukmon: .*$want" "$TMP/err"; then
        fail "$name" "stderr is not one line 'ukmon: ...$want'"; return
    fi
    pass "$name"
}

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

if [ ! -c /dev/kvm ] || [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    echo "!!! /dev/kvm is missing or not usable here: EVERY integration test is SKIPPED !!!"
    echo "!!! They need KVM; run make check on a machine with /dev/kvm.                 !!!"
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    n=$(cat tests/suite-*.sh | grep -c "^ *expect")
    SKIP=$((SKIP + n * ${#MONITORS[@]}))
    echo "$PASS passed, $FAIL failed, $SKIP skipped"
    [ "$FAIL" = 0 ]
    exit
fi

for SUITE in tests/suite-*.sh; do
    # shellcheck source=/dev/null
    . "$SUITE"
done

for M in "${MONITORS[@]}"; do
    U=$M/ukmon
    LABEL="[$M] "
    echo "== integration tests with $U"
    [ -x "$U" ] || { fail "monitor" "$U not built"; continue; }
    for s in $SUITES; do
        "suite_$s"
    done
done

echo "$PASS passed, $FAIL failed, $SKIP skipped"
[ "$FAIL" = 0 ]
