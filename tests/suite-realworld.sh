# suite-realworld.sh: the fast part of the real-world suite (tests/realworld/run.sh
# --fast): busybox's own testsuite on the applets of busybox-fast.list, dash, lua5.4,
# sqlite3 and GNU make, each on the host and under the monitor, compared (sourced by
# run.sh). It uses the sources and static builds that make check-realworld caches in
# build/realworld/ and downloads nothing: without them each program is one skip that
# says so. A failure that tests/realworld/known.txt lists is a skip with its cause.
# shellcheck shell=bash
SUITES="${SUITES:-} realworld"

suite_realworld() {
    local f kind key why
    if [ -n "${UKMON_EMULATED:-}" ]; then
        skip "realworld" "not in the emulated machine (its programs are compared on KVM only)"
        return
    fi
    RW_UKMON=$(cd "$M" && pwd)/ukmon tests/realworld/run.sh --fast "$B" >"$TMP/realworld" 2>&1
    for f in "$B"/realworld/results/{busybox,dash,lua5.4,sqlite3,make,make-fork}.counts; do
        [ -f "$f" ] || continue
        while IFS=$'\t' read -r kind why; do
            key=${kind#* }
            case ${kind%% *} in
                pass) pass "realworld: $key" ;;
                fail) : >"$TMP/out"; : >"$TMP/err"; fail "realworld: $key" "$why" ;;
                skip) skip "realworld: $key" "$why" ;;
                note) echo "note - realworld: $key: $why" ;;
            esac
        done <"$f"
    done
}
