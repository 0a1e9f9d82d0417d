#!/usr/bin/env bash
# make.sh: Debian's GNU make, built static, building make-tree.sh's tree (40 sources;
# 12 in the fast part) serially, with -j2 (the jobserver, a sub-make), with -j2 -O
# (output synchronized under a lock), and again after one source changed. Host against
# ukmon: exit code and what the build printed and made.
# Twice: Debian's make, whose jobs start with posix_spawn, and the same built with
# --disable-posix-spawn (make-fork: fork and exec), which gets further today.
# Usage: tests/realworld/make.sh BUILD_DIR   (RW_FAST=1: the fast part)
. "$(dirname "$0")/lib.sh"
for MAKE_PROG in make make-fork; do
begin "$MAKE_PROG"
if [ ! -x "$BIN/$MAKE_PROG" ]; then
    row "-" "-" "not built (tests/realworld/build.sh)"
    count skip "$MAKE_PROG" "not built (make check-realworld builds it)"
    continue
fi
N=40
[ -n "${RW_FAST:-}" ] && N=12
M="$MAKE_PROG SHELL=$RWBIN/sh -C @W@"
ok=0 n=0 why=""
# -j1 prints every recipe in order; with -j2 the order varies, so those runs are
# silent (-s) and compared by what they made, but for -O (output grouped per target,
# under a lock on stdout).
for c in j1 j2 j2-O incremental; do
    case $c in
        j1) label="make -j1"; script="$M -j1" ;;
        j2) label="make -j2"; script="$M -j2 -s" ;;
        j2-O) label="make -j2 -O"; script="$M -j2 -O -s" ;;
        incremental) label="make -j2 after a change"; script="$M -j2 -s && echo changed >>@W@/src/007.txt && $M -j2" ;;
    esac
    n=$((n + 1))
    # (busybox sh, not the sh link: since ee9ca87 ukmon gives a program it starts from
    # a granted folder the argv[0] of the link's target, and busybox then sees "busybox -c")
    if pair "$c" 30 busybox sh -c "set -o pipefail; { sh $RWBIN/make-tree.sh @W@ $N && $script && cat @W@/all.sum @W@/sub/sub.sum; } 2>&1 | sed 's|@W@|W|g'"; then
        ok=$((ok + 1))
    else
        why="$why${why:+; }$label: $CASE_WHY"
    fi
done
row "$n/$n builds ($N sources)" "$ok/$n builds" "${why:-same output and files}"
done
