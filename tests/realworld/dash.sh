#!/usr/bin/env bash
# dash.sh: Debian's dash, built static, on dash-workload.sh, host against ukmon. The
# external commands it runs (seq, grep, cat, sleep...) are busybox on both sides.
# Usage: tests/realworld/dash.sh BUILD_DIR   (RW_FAST=1: the fast part)
. "$(dirname "$0")/lib.sh"
begin dash
if [ ! -x "$BIN/dash" ]; then
    row "-" "-" "not built (tests/realworld/build.sh)"
    count skip "dash" "not built (make check-realworld builds it)"
    exit 0
fi
if pair workload 60 dash "$RWBIN/dash-workload.sh" @W@; then
    row "workload: $(wc -l <"$LOG/workload.host.out") lines" "same output" ""
else
    row "workload: $(wc -l <"$LOG/workload.host.out") lines" "differs" "$CASE_WHY"
fi
