#!/usr/bin/env bash
# run.sh: builds the libFuzzer targets of tests/fuzz/ and runs each for a while.
# Usage: tests/fuzz/run.sh SECONDS [BUILD_DIR [TARGET...]]
#
#   SECONDS     how long each target fuzzes (-max_total_time)
#   BUILD_DIR   default build; binaries, logs and working corpora go to BUILD_DIR/fuzz/
#   TARGET      elf, hypercall (default: both)
#   FUZZ_ARGS   (environment) more libFuzzer flags, e.g. FUZZ_ARGS="-seed=1 -jobs=2"
#
# Each target fuzzes a fresh copy of tests/fuzz/corpus/TARGET (BUILD_DIR/fuzz/corpus-
# TARGET), so the committed seeds are never modified. Per target, one line:
#   fuzz TARGET: N executions in S s, no crash
# A crash, leak, sanitizer report or timeout (libFuzzer then exits non-zero) prints the
# end of the log and the input saved in BUILD_DIR/fuzz/crashes/; the script then exits
# 1. Build failures exit 2. Needs clang with libFuzzer (Debian: clang, libclang-rt-14-dev)
# and the monitor's libraries (libelf, liburing, ...: MON_LIBS of the Makefile).
set -u
cd "$(dirname "$0")/../.." || exit 2

usage() { echo "usage: tests/fuzz/run.sh SECONDS [BUILD_DIR [TARGET...]]" >&2; exit 2; }
[ $# -ge 1 ] || usage
SECS=$1
case $SECS in '' | *[!0-9]*) usage ;; esac
[ "$SECS" -gt 0 ] || usage
B=${2:-build}
shift $(($# >= 2 ? 2 : 1))
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(elf hypercall syscall)
for t in "${TARGETS[@]}"; do
    [ -f "tests/fuzz/fuzz_$t.c" ] || { echo "run.sh: no target '$t'" >&2; exit 2; }
done

CC=${FUZZ_CC:-clang}
command -v "$CC" >/dev/null || { echo "run.sh: $CC not found" >&2; exit 2; }
# The libraries the monitor links with, as the Makefile says; a fallback without make.
# shellcheck disable=SC2016 # $(MON_LIBS) is for make to expand
LIBS=$(make -s --no-print-directory --eval='fuzz-print-libs: ; @echo $(MON_LIBS)' \
    fuzz-print-libs 2>/dev/null) || LIBS=
[ -n "$LIBS" ] || LIBS="-lelf -luring"
# shellcheck disable=SC2054 # the commas belong to -fsanitize=
CFLAGS=(-std=gnu11 -Wall -Wextra -Werror -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
    -D_GNU_SOURCE -Iinclude -Imonitor -Iguest)
# The library only (the CLI's main() is in monitor/cli/), with what make generated: the
# vDSO and layer images, the sandbox's BPF.
SRCS=(monitor/*.c monitor/{kvm,kernel,native,linux,host}/*.c "$B/gen/vdso_image.c"
    "$B/gen/lxsys_image.c" "$B/gen/sandbox_bpf.c")

OUT=$B/fuzz
mkdir -p "$OUT/crashes" || exit 2
for t in "${TARGETS[@]}"; do
    echo "building $OUT/fuzz_$t"
    # shellcheck disable=SC2086 # LIBS is a list of flags
    if ! "$CC" "${CFLAGS[@]}" "${SRCS[@]}" "tests/fuzz/fuzz_$t.c" $LIBS -o "$OUT/fuzz_$t"; then
        echo "run.sh: building fuzz_$t failed" >&2
        exit 2
    fi
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
FAILED=0
for t in "${TARGETS[@]}"; do
    corpus=$OUT/corpus-$t
    log=$OUT/fuzz_$t.log
    rm -rf "$corpus"
    cp -r "tests/fuzz/corpus/$t" "$corpus" || exit 2
    rm -f "$OUT/crashes/$t-"*
    start=$(date +%s)
    # -timeout: one input taking 10 s is a hang. The outer timeout is a last resort
    # should the process stop answering even its own alarm.
    # shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
    timeout -k 10 $((SECS + 120)) "$OUT/fuzz_$t" -max_total_time="$SECS" \
        -print_final_stats=1 -timeout=10 -artifact_prefix="$OUT/crashes/$t-" \
        ${FUZZ_ARGS:-} "$corpus" >"$log" 2>&1
    rc=$?
    elapsed=$(($(date +%s) - start))
    n=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -1)
    s=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    if [ "$rc" -eq 0 ] && [ -n "$n" ]; then
        echo "fuzz $t: $n executions in ${s:-$elapsed} s, no crash"
        continue
    fi
    FAILED=1
    echo "fuzz $t: FAILED (exit status $rc) after ${n:-?} executions in $elapsed s;" \
        "log: $log"
    grep -E '^(==[0-9]+== ?ERROR|SUMMARY|fuzz_[a-z]+: )|runtime error:' "$log" | head -5 |
        sed 's/^/    /'
    for f in "$OUT/crashes/$t-"*; do
        [ -e "$f" ] && echo "    input: $f (rerun: $OUT/fuzz_$t $f)"
    done
done
exit $FAILED
