#!/usr/bin/env bash
# lua.sh: Debian's lua5.4, built static, on lua-workload.lua (the language, the
# collector, files, popen), host against ukmon. /bin/sh (for io.popen and os.execute)
# is busybox under ukmon, the host's own on the host.
# Usage: tests/realworld/lua.sh BUILD_DIR   (RW_FAST=1: the fast part)
. "$(dirname "$0")/lib.sh"
begin lua5.4
if [ ! -x "$BIN/lua" ]; then
    row "-" "-" "not built (tests/realworld/build.sh)"
    count skip "lua5.4" "not built (make check-realworld builds it)"
    exit 0
fi
UKMON_OPTS=(--dir "$RWBIN:/bin")
if pair workload 60 lua "$RWBIN/lua-workload.lua" @W@; then
    row "workload: $(wc -l <"$LOG/workload.host.out") lines" "same output" ""
else
    row "workload: $(wc -l <"$LOG/workload.host.out") lines" "differs" "$CASE_WHY"
fi
