#!/usr/bin/env bash
# run.sh: the real-world suite: programs nobody on the team wrote, from Debian's source
# packages, each run on the host and inside ukmon and compared (one script per program
# beside this one; lib.sh has what they share). Prints a table, program | host | ukmon |
# notes, and the tally, "realworld: N passed, N failed, N skipped".
# Usage: tests/realworld/run.sh [--fast] BUILD_DIR [PROGRAM...]
#   PROGRAM: busybox dash lua sqlite3 make nginx lighttpd (default: all; --fast: all but
#   the two servers, each on less work: make check's part). RW_UKMON=path/to/ukmon
#   tests another monitor build (default: BUILD_DIR/ukmon).
# The sources and builds come from scripts/realworld-deps.sh and tests/realworld/build.sh
# (make check-realworld runs both); a program not built is skipped, and said so.
# Exit status: 1 when a case fails that known.txt does not list, or a host run failed.
set -u
FAST=""
[ "${1:-}" = --fast ] && { FAST=1; shift; }
B=${1:-build}
shift || true
HERE=$(cd "$(dirname "$0")" && pwd)
if [ $# -gt 0 ]; then
    PROGRAMS="$*"
elif [ -n "$FAST" ]; then
    PROGRAMS="busybox dash lua sqlite3 make"
else
    PROGRAMS="busybox dash lua sqlite3 make nginx lighttpd"
fi
RES=$B/realworld/results
mkdir -p "$RES"
# A time limit for each program's whole script, on top of its own per-test limits.
declare -A LIMIT=([busybox]=3600 [dash]=300 [lua]=300 [sqlite3]=900 [make]=900 [nginx]=600 [lighttpd]=600)
# The rows (and counts) each script writes.
declare -A NAME=([lua]=lua5.4 [make]="make make-fork")

T0=$(date +%s)
for p in $PROGRAMS; do
    [ -x "$HERE/$p.sh" ] || { echo "realworld: no program '$p'" >&2; exit 2; }
    t=$(date +%s)
    [ -z "$FAST" ] && echo "realworld: $p..." >&2
    RW_FAST=$FAST RW_UKMON=${RW_UKMON:-} timeout -k 10 "${LIMIT[$p]}" "$HERE/$p.sh" "$B" \
        >"$RES/$p.log" 2>&1
    rc=$?
    for n in ${NAME[$p]:-$p}; do
        if [ "$rc" != 0 ] || [ ! -s "$RES/$n.row" ]; then
            printf '%s\t-\t-\tthe script failed (exit %s): %s\n' "$n" "$rc" "$(tail -1 "$RES/$p.log")" >"$RES/$n.row"
            printf 'FAIL 1\nfail %s\tits script failed (exit %s), see %s\n' "$n" "$rc" "$RES/$p.log" >>"$RES/$n.counts"
        fi
    done
    echo "$p $(($(date +%s) - t))" >>"$RES/times.$$"
done
T1=$(date +%s)

# The table: program, host, ukmon, notes (and the seconds each program took).
{
    printf 'program\thost\tukmon\tnotes\n'
    for p in $PROGRAMS; do
        s=$(awk -v n="$p" '$1 == n {print $2}' "$RES/times.$$")
        for n in ${NAME[$p]:-$p}; do cat "$RES/$n.row"; done | sed "s/\$/ [${s} s]/"
    done
} >"$RES/table.txt"
rm -f "$RES/times.$$"
echo
echo "Real-world programs, host against ukmon ($(date -u '+%Y-%m-%d %H:%M UTC'), $((T1 - T0)) s${FAST:+, fast part}):"
echo
awk -F'\t' '{ for (i = 1; i <= 4; i++) gsub(/\|/, "\\|", $i) }
    NR == 1 { print "| " $1 " | " $2 " | " $3 " | " $4 " |"; print "| --- | --- | --- | --- |"; next }
    { print "| " $1 " | " $2 " | " $3 " | " $4 " |" }' "$RES/table.txt"
echo

# Nothing may outlive the suite: every VM and server ran in a tree that was ended.
left=$(pgrep -f "$B/realworld/run/" | grep -vx "$$" | wc -l)
[ "$left" = 0 ] || echo "realworld: $left processes of the suite are still running: $(pgrep -af "$B/realworld/run/" | head -3)"

pass=0 fail=0 skip=0
for f in $(for p in $PROGRAMS; do for n in ${NAME[$p]:-$p}; do echo "$RES/$n.counts"; done; done); do
    [ -f "$f" ] || continue
    pass=$((pass + $(awk '$1 == "PASS" {s += $2} END {print s + 0}' "$f")))
    fail=$((fail + $(awk '$1 == "FAIL" {s += $2} END {print s + 0}' "$f")))
    skip=$((skip + $(awk '$1 == "SKIP" {s += $2} END {print s + 0}' "$f")))
    grep '^fail \|^note ' "$f" | sed -e 's/^/realworld: /' -e 's/\t/: /' | head -40
done
[ "$left" = 0 ] || fail=$((fail + 1))
echo "Details: $RES/ (NAME/: outputs, traces; busybox/compare.tsv: every test)"
echo "realworld: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
