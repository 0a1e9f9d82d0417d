#!/usr/bin/env bash
# lighttpd.sh: Debian's lighttpd, built static (every module linked in), serving static
# files (one process, its event loop), checked by curl and a short wrk run (lib.sh:
# http_checks) and stopped with SIGTERM; host against ukmon.
# Usage: tests/realworld/lighttpd.sh BUILD_DIR   (not in the fast part)
. "$(dirname "$0")/lib.sh"
begin lighttpd
if [ ! -x "$BIN/lighttpd" ]; then
    row "-" "-" "not built (tests/realworld/build.sh)"
    count skip "lighttpd" "not built (make check-realworld builds it)"
    exit 0
fi
cp "$HERE/lighttpd.conf.in" "$LOG/static.conf"
serve static "$(free_port)" lighttpd -D -f @W@/server.conf
if [ -n "$CASE_OK" ]; then
    row "$CHECKS checks" "$CHECKS checks" "same answers"
else
    row "${CHECKS#*/}/${CHECKS#*/} checks" "$CHECKS checks" "$CASE_WHY"
fi
