#!/usr/bin/env bash
# nginx.sh: Debian's nginx, built static (no PCRE, zlib, crypt), serving static files as
# a master with 2 workers and as a single process, each checked by curl and a short
# wrk run (lib.sh: http_checks) and stopped with SIGTERM; host against ukmon.
# Usage: tests/realworld/nginx.sh BUILD_DIR   (not in the fast part)
. "$(dirname "$0")/lib.sh"
begin nginx
if [ ! -x "$BIN/nginx" ]; then
    row "-" "-" "not built (tests/realworld/build.sh)"
    count skip "nginx" "not built (make check-realworld builds it)"
    exit 0
fi
conf() {
    cat <<CONF
daemon off;
master_process $1;
worker_processes 2;
error_log stderr notice;
pid @W@/logs/nginx.pid;
events { worker_connections 256; }
http {
    access_log off;
    sendfile on;
    keepalive_timeout 30;
    client_body_temp_path @W@/tmp/body;
    proxy_temp_path @W@/tmp/proxy;
    fastcgi_temp_path @W@/tmp/fastcgi;
    uwsgi_temp_path @W@/tmp/uwsgi;
    scgi_temp_path @W@/tmp/scgi;
    types { text/html html; text/plain txt; }
    server { listen 127.0.0.1:@P@; root @W@/www; }
}
CONF
}
conf on >"$LOG/workers.conf"
conf off >"$LOG/single.conf"
res_h="" res_u="" why=""
for c in workers single; do
    case $c in workers) label="master + 2 workers" ;; single) label="master_process off" ;; esac
    serve "$c" "$(free_port)" nginx -p @W@ -c @W@/server.conf
    res_h="$res_h${res_h:+, }$label: $CHECKS checks"
    res_u="$res_u${res_u:+, }$label: $CHECKS checks"
    [ -z "$CASE_OK" ] && why="$why${why:+; }$label: $CASE_WHY"
    [ "$c" = workers ] && why="${why}${why:+; }processes: host $PROCS_host, ukmon $PROCS_ukmon"
done
res_h=$(echo "$res_h" | sed -E 's|: ([0-9]+)/([0-9]+) checks|: \2/\2 checks|g')
row "$res_h" "$res_u" "$why"
