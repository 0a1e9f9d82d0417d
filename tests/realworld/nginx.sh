#!/usr/bin/env bash
# nginx.sh: Debian's nginx, built static (no PCRE, zlib, crypt), serving static files as
# a master with 2 workers, as a single process, and as user nobody, each checked by curl
# and a short wrk run (lib.sh: http_checks) and stopped with SIGTERM; host against ukmon.
# Usage: tests/realworld/nginx.sh BUILD_DIR   (not in the fast part)
. "$(dirname "$0")/lib.sh"
begin nginx
if [ ! -x "$BIN/nginx" ]; then
    row "-" "-" "not built (tests/realworld/build.sh)"
    count skip "nginx" "not built (make check-realworld builds it)"
    exit 0
fi
sed 's/@MASTER@/on/' "$HERE/nginx.conf.in" >"$LOG/workers.conf"
sed 's/@MASTER@/off/' "$HERE/nginx.conf.in" >"$LOG/single.conf"
cp "$LOG/workers.conf" "$LOG/nobody.conf"
res_h="" res_u="" why=""
# As root (the host's root is the guest's), nginx first gives its temporary folders to
# its workers' user, nobody; as nobody it does not, and gets further.
for c in workers single nobody; do
    SERVE_AS=""
    case $c in
        workers) label="master + 2 workers" ;;
        single) label="master_process off" ;;
        nobody) label="master + 2 workers, as nobody"; SERVE_AS=nobody ;;
    esac
    serve "$c" "$(free_port)" nginx -p @W@ -c @W@/server.conf
    res_h="$res_h${res_h:+, }$label: $CHECKS checks"
    res_u="$res_u${res_u:+, }$label: $CHECKS checks"
    [ -z "$CASE_OK" ] && why="$why${why:+; }$label: $CASE_WHY"
    [ "$c" = workers ] && why="${why}${why:+; }processes: host $PROCS_host, ukmon $PROCS_ukmon"
done
res_h=$(echo "$res_h" | sed -E 's|: ([0-9]+)/([0-9]+) checks|: \2/\2 checks|g')
row "$res_h" "$res_u" "$why"
