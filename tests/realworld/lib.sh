# lib.sh: what the real-world scripts share (sourced): paths, running a program with a
# time limit and killing its whole tree, the results the driver reads, and the reading
# of --trace lines into failure causes.
# Each program's script is run as tests/realworld/NAME.sh BUILD_DIR (RW_FAST=1: the fast
# part of make check). It writes $RES/NAME.row, one line of the table (tab-separated:
# program, host result, ukmon result, notes), and $RES/NAME.counts (see count).
# shellcheck shell=bash
set -u
B=${1:-build}
B=$(cd "$B" && pwd)
U=${RW_UKMON:-$B/ukmon}
RW=$B/realworld
BIN=$RW/bin          # the static builds (tests/realworld/build.sh)
SRC=$RW/src          # Debian's source packages (scripts/realworld-deps.sh)
RES=$RW/results      # rows, counts, logs
RUN=$RW/run          # working folders, made anew for each run
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$RES" "$RUN"
# Linux kills a whole tree in a pid namespace at once; it needs root.
RW_PIDNS=""
[ "$(id -u)" = 0 ] && unshare -p -f --kill-child=SIGKILL true 2>/dev/null && RW_PIDNS=1

# srcdir NAME: the unpacked source package NAME, or nothing.
srcdir() {
    [ -f "$SRC/$1.done" ] && [ -d "$SRC/$(cat "$SRC/$1.done")" ] && echo "$SRC/$(cat "$SRC/$1.done")"
}

# row HOST UKMON NOTES: this program's line of the summary table.
row() {
    printf '%s\t%s\t%s\t%s\n' "$RW_NAME" "$1" "$2" "$3" >"$RES/$RW_NAME.row"
}

# count pass KEY | fail KEY WHY | error KEY WHY | skip KEY WHY: one result for the tally of
# make check. KEY names a case ("sqlite3: journal", "busybox: cut: cut -b a,a,a"). A
# failure under ukmon that known.txt lists is counted as skipped, with its cause; one
# listed that passes now is a pass, with a note to drop it from the list. error: the
# host side itself failed (the harness is wrong), never excused.
count() {
    local known
    known=$(awk -F'\t' -v k="${2:-}" '$1 == k { print $2; f = 1; exit } END { exit !f }' "$HERE/known.txt")
    # Lines: PASS|FAIL|SKIP 1, then pass|fail|skip|note KEY<TAB>WHY.
    case $1 in
        pass) echo "PASS 1"; printf 'pass %s\n' "$2"
              [ -n "$known" ] && printf 'note %s\tlisted in tests/realworld/known.txt, passes now: drop it\n' "$2" ;;
        fail) if [ -n "$known" ]; then echo "SKIP 1"; printf 'skip %s\tknown failure in ukmon: %s\n' "$2" "$known"
              else echo "FAIL 1"; printf 'fail %s\t%s\n' "$2" "$3"; fi ;;
        error) echo "FAIL 1"; printf 'fail %s\t%s\n' "$2" "$3" ;;
        skip) echo "SKIP 1"; printf 'skip %s\t%s\n' "$2" "$3" ;;
    esac >>"$RES/$RW_NAME.counts"
    return 0
}

# known_hang KEY: true when known.txt says case KEY hangs under ukmon (KNOWN: why).
known_hang() {
    KNOWN=$(awk -F'\t' -v k="$1" '$1 == k { print $2; exit }' "$HERE/known.txt")
    [[ $KNOWN == hang* ]]
}

# begin NAME: a program's run starts: results of an earlier run go.
begin() {
    RW_NAME=$1
    rm -f "$RES/$RW_NAME.row" "$RES/$RW_NAME.counts"
    LOG=$RES/$RW_NAME
    rm -rf "$LOG"
    mkdir -p "$LOG"
}

# limit SECONDS: the time limit a case gets. Under ASan and UBSan the monitor is
# several times slower: so are its limits.
limit() {
    case ${U:-} in *asan*) echo $(($1 * 4)) ;; *) echo "$1" ;; esac
}

# rw_command CMD...: the programs built (mkbin), and RW_CMD is CMD with its program
# looked up in $RWBIN (a name without a '/').
rw_command() {
    mkbin
    local prog=$1
    shift
    [[ $prog == */* ]] || prog=$RWBIN/$prog
    RW_CMD=("$prog" "$@")
}

# timed SECONDS OUT ERR CMD...: runs CMD (stdin: $STDIN or /dev/null) with a time
# limit (limit SECONDS); sets RC (124: the limit ran out, and the whole tree was killed).
timed() {
    local t out=$2 err=$3 pre=(setsid -w)
    t=$(limit "$1")
    shift 3
    [ -n "$RW_PIDNS" ] && pre=(unshare -p -f --kill-child=SIGKILL)
    timeout -k 5 "$t" "${pre[@]}" "$@" <"${STDIN:-/dev/null}" >"$out" 2>"$err"
    RC=$?
    if [ "$RC" = 124 ] || [ "$RC" = 137 ]; then
        RC=124
        echo "realworld: time limit of $t s: killed" >>"$err"
    fi
}

# start_server OUT ERR CMD...: CMD in the background in its own tree; SERVER_PID is
# unshare's (or setsid's) pid, the server its child.
start_server() {
    local out=$1 err=$2 pre=(setsid -w)
    shift 2
    [ -n "$RW_PIDNS" ] && pre=(unshare -p -f --kill-child=SIGKILL)
    "${pre[@]}" "$@" </dev/null >"$out" 2>"$err" &
    SERVER_PID=$!
}

# stop_server: SIGTERM to the server (unshare's child: unshare itself ignores it), up
# to 10 s for it to end by itself, then the whole tree is killed. Sets STOP ("clean" or
# why not).
stop_server() {
    local top=$SERVER_PID kid i
    STOP=clean
    kid=$(pgrep -P "$top" | head -1)
    [ -n "$kid" ] && kill -TERM "$kid" 2>/dev/null
    for i in $(seq 100); do
        kill -0 "$top" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$top" 2>/dev/null; then
        STOP="did not end within 10 s of SIGTERM: killed"
        kill -KILL "$top" 2>/dev/null
        [ -z "$RW_PIDNS" ] && pkill -KILL -s "$top" 2>/dev/null
    fi
    wait "$top" 2>/dev/null
}

# wait_port PORT [SECONDS]: until something accepts on 127.0.0.1:PORT.
wait_port() {
    local i
    for i in $(seq $((${2:-5} * 20))); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# free_port: a port P with P, P+1 and P+2 not in use (the host's, ukmon's and the
# traced run's), below the ephemeral range, where a client's connection can hold one.
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 12000))
        ss -Htan "( sport = :$p or sport = :$((p + 1)) or sport = :$((p + 2)) )" | grep -q . || { echo "$p"; return; }
    done
}

# causes FILE: the failure causes a --trace shows, one a line with a count: calls
# that ukmon answers with an error Linux would not give (causes.txt names the known
# ones), other calls answered ENOSYS, and where the processes were blocked when a time
# limit ran out ("realworld: time limit" in FILE) or, for a server, when it was stopped
# ("realworld: stopped"; blocked in an idle wait like epoll_wait is normal there).
causes() {
    awk -v table="$HERE/causes.txt" '
        BEGIN { FS = "\t"
                while ((getline l < table) > 0) { if (l ~ /^#/ || l == "") continue
                    split(l, f, "\t"); pat[++n] = f[1]; why[n] = f[2] }
                idle = "^(epoll_wait|epoll_pwait|poll|ppoll|select|pselect6|wait4|waitid|rt_sigsuspend|pause|nanosleep|clock_nanosleep)$" }
        { tail[NR % 40] = $0 }
        / = -1 [A-Z]+ / {
            for (i = 1; i <= n; i++) if ($0 ~ pat[i]) { seen[why[i]]++; next }
            if ($0 ~ / = -1 ENOSYS/ && split($0, a, /\] /) > 1) {
                split(a[2], c, "("); if (c[1] != "rseq" && c[1] != "clone3") seen[c[1] " ENOSYS"]++
            }
        }
        /^realworld: time limit/ { ended = "hang: blocked in %s when the time limit ran out"; at = NR }
        /^realworld: stopped/ { if (ended == "") { ended = "blocked in %s when stopped"; at = NR; stop = 1 } }
        END {
            for (w in seen) printf "%s\t%d\n", w, seen[w]
            if (ended == "") exit
            for (k = at - 39; k < at; k++) {
                l = tail[k % 40]
                if (l !~ / = -1 EINTR/ || split(l, a, /\] /) < 2) continue
                split(a[2], c, "("); if (stop && c[1] ~ idle) continue
                if (!(c[1] in b)) { b[c[1]] = 1; list = list (list == "" ? "" : ", ") c[1] }
            }
            if (list != "") printf ended "\t1\n", list
            else if (!stop) printf "a time limit ran out\t1\n"
        }' "$1" | sort -t"$(printf '\t')" -k2,2nr
}

# The guest's programs: busybox (its applets as links), sh, and the static builds, in
# one folder granted read-only at its own path, which is PATH on both sides; so the
# host runs the very binaries the VMs run.
RWBIN=$RUN/bin
mkbin() {
    local a
    if [ ! -x "$RWBIN/sh" ] || [ "$(cat "$RWBIN/.made" 2>/dev/null)" != "$(ls -l --time-style=+%s "$BIN" 2>/dev/null | md5sum)" ]; then
        rm -rf "$RWBIN"
        mkdir -p "$RWBIN"
        cp /bin/busybox "$RWBIN/busybox"
        for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$RWBIN/$a"; done
        for a in "$BIN"/*; do
            [ -x "$a" ] && [ -f "$a" ] && cp "$a" "$RWBIN/"
        done
        [ -x /bin/bash-static ] && cp /bin/bash-static "$RWBIN/bash"
        ls -l --time-style=+%s "$BIN" 2>/dev/null | md5sum >"$RWBIN/.made"
    fi
    # the scripts the programs run
    cp "$HERE/lua-workload.lua" "$HERE/dash-workload.sh" "$HERE/make-tree.sh" "$RWBIN/"
}

# pair CASE LIMIT CMD...: CMD on the host and under ukmon, each in a fresh work folder
# W ($RUN/PROGRAM/CASE/SIDE; the word @W@ in CMD is replaced by it), granted read-write
# at its own path, with a private /tmp, the same environment (PATH=$RWBIN HOME=W
# TMPDIR=/tmp) and stdin from $STDIN. Compares exit code and stdout; sets CASE_OK (1 or
# empty) and CASE_WHY, and counts the case. A failing case runs once more under --trace
# (not in the fast part) and CASE_WHY ends with the causes its trace shows.
# UKMON_OPTS: more options for ukmon (an array). CMD's program is looked up in $RWBIN.
pair() {
    local c=$1 t=$2 side w
    shift 2
    if [ -n "${RW_FAST:-}" ] && known_hang "$RW_NAME: $c"; then
        CASE_OK="" CASE_WHY="not run in the fast part: a known hang"
        count skip "$RW_NAME: $c" "known hang under ukmon, not run in the fast part: $KNOWN"
        return 1
    fi
    rw_command "$@"
    set -- "${RW_CMD[@]}"
    for side in host ukmon; do
        w=$RUN/$RW_NAME/$c/$side
        rm -rf "$w" "$w.tmp"
        mkdir -p "$w" "$w.tmp"
        local cmd=("${@//@W@/$w}")
        if [ "$side" = host ]; then
            timed "$t" "$LOG/$c.$side.out" "$LOG/$c.$side.err" \
                env -i PATH="$RWBIN" HOME="$w" TMPDIR="$w.tmp" "${cmd[@]}"
        else
            timed "$t" "$LOG/$c.$side.out" "$LOG/$c.$side.err" \
                "$U" --mem 512M "${UKMON_OPTS[@]}" --dir "$RWBIN" --dir "$w:rw" --dir "$w.tmp:/tmp:rw" \
                -e PATH="$RWBIN" -e HOME="$w" -e TMPDIR=/tmp "${cmd[@]}"
        fi
        eval "RC_$side=\$RC"
    done
    CASE_OK="" CASE_WHY=""
    if [ "$RC_host" != 0 ]; then
        # Every case is meant to succeed on the host: if not, the harness is wrong.
        CASE_WHY="the host run failed (exit $RC_host): $(grep -m1 . "$LOG/$c.host.err" | cut -c1-120)"
        count error "$RW_NAME: $c" "$CASE_WHY"
        return 1
    elif [ "$RC_ukmon" = 124 ]; then
        CASE_WHY="hangs: time limit of $(limit "$t") s ran out"
    elif [ "$RC_ukmon" != "$RC_host" ]; then
        CASE_WHY="exit $RC_ukmon (host: $RC_host)"
    elif ! cmp -s "$LOG/$c.host.out" "$LOG/$c.ukmon.out"; then
        CASE_WHY="stdout differs: $(diff "$LOG/$c.host.out" "$LOG/$c.ukmon.out" | grep -m1 '^[<>]' | cut -c1-100)"
    else
        CASE_OK=1
    fi
    if [ -n "$CASE_OK" ]; then
        count pass "$RW_NAME: $c"
        return 0
    fi
    local e
    e=$(grep -v '^realworld:' "$LOG/$c.ukmon.err" | grep -m1 . | cut -c1-120)
    [ -n "$e" ] && CASE_WHY="$CASE_WHY; stderr: $e"
    if [ -z "${RW_FAST:-}" ]; then
        w=$RUN/$RW_NAME/$c/trace
        rm -rf "$w" "$w.tmp"
        mkdir -p "$w" "$w.tmp"
        local cmd=("${@//@W@/$w}")
        timed "$t" /dev/null "$LOG/$c.trace" "$U" --trace --mem 512M "${UKMON_OPTS[@]}" --dir "$RWBIN" \
            --dir "$w:rw" --dir "$w.tmp:/tmp:rw" -e PATH="$RWBIN" -e HOME="$w" -e TMPDIR=/tmp "${cmd[@]}"
        e=$(causes "$LOG/$c.trace" | cut -f1 | paste -sd';' - | sed 's/;/; /g')
        [ -n "$e" ] && CASE_WHY="$CASE_WHY; cause: $e"
    fi
    count fail "$RW_NAME: $c" "$CASE_WHY"
    return 1
}
UKMON_OPTS=()

# www DIR: the pages the servers serve: a 512-byte index.html, a 1 MiB file.
www() {
    mkdir -p "$1"
    head -c 512 /dev/zero | tr '\0' x >"$1/index.html"
    awk 'BEGIN { for (i = 0; i < 16384; i++) printf "%063d\n", i }' >"$1/big.txt"
}

# http_checks PORT OUT: what a client sees of the server on 127.0.0.1:PORT, one line a
# check, the same text wherever the server runs ("wrk" says ok, or what went wrong;
# RW_NO_WRK=1: no wrk).
http_checks() {
    local u=http://127.0.0.1:$1 out=$2 c="curl -s -m 10"
    {
        echo "index: $($c -o - -w ' %{http_code}' "$u/index.html" | md5sum | cut -c1-8)"
        echo "missing page: $($c -o /dev/null -w '%{http_code}' "$u/nothing")"
        echo "HEAD: $($c -I -o /dev/null -w '%{http_code} %{size_download}' "$u/index.html")"
        echo "1 MiB file: $($c "$u/big.txt" | md5sum | cut -c1-8)"
        echo "range: $($c -r 100-109 "$u/big.txt")"
        echo "keep-alive: $($c -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' "$u/index.html" "$u/index.html" | paste -sd' ')"
        echo "8 at once: $(seq 8 | xargs -P8 -I{} $c -o /dev/null -w '%{http_code}\n' "$u/index.html?{}" | sort | uniq -c | xargs)"
        [ -n "${RW_NO_WRK:-}" ] && return
        local w
        w=$(timeout 20 wrk -t2 -c8 -d2s "$u/index.html" 2>&1)
        if echo "$w" | grep -qE 'Socket errors|Non-2xx'; then
            echo "wrk: $(echo "$w" | grep -E 'Socket errors|Non-2xx' | xargs)"
        elif echo "$w" | grep -q 'Requests/sec'; then
            echo "wrk: ok"
            echo "$w" | awk '/Requests\/sec/ {print $2}' >"$out.rps"
        else
            echo "wrk: no result ($(echo "$w" | tail -1))"
        fi
    } >"$out" 2>&1
}

# descendants PID: how many processes run under PID.
descendants() {
    ps -e -o pid=,ppid= | awk -v top="$1" '{ p[$1] = $2 }
        END { for (x in p) { y = x; while (y in p && y != top) y = p[y]; if (y == top && x != top) n++ } print n + 0 }'
}

# as_user DIR: AS, the command prefix that SERVE_AS asks for (DIR becomes its user's).
as_user() {
    AS=()
    [ -n "${SERVE_AS:-}" ] || return 0
    local kvm
    kvm=$(stat -c %g /dev/kvm)
    chown -R "$SERVE_AS:" "$1"
    AS=(setpriv --reuid="$SERVE_AS" --regid="$(id -g "$SERVE_AS")" --groups="$kvm")
}

# serve CASE PORT CMD...: the server CMD (@W@: its work folder, with www/ and tmp/;
# @P@: PORT) on the host, then under ukmon (PORT published), each checked with
# http_checks and stopped with SIGTERM. Sets CASE_OK/CASE_WHY as pair does, counts the
# case, and PROCS_host/PROCS_ukmon (processes the server ran, itself included).
# SERVE_AS=nobody: both sides run as user nobody (with the kvm group, for ukmon), their
# work folders theirs.
serve() {
    local c=$1 port=$2 side w p
    shift 2
    rw_command "$@"
    set -- "${RW_CMD[@]}"
    for side in host ukmon; do
        p=$port
        [ "$side" = ukmon ] && p=$((port + 1))
        w=$RUN/$RW_NAME/$c/$side
        rm -rf "$w"
        mkdir -p "$w/tmp" "$w/logs"
        www "$w/www"
        local cmd=("${@//@W@/$w}")
        cmd=("${cmd[@]//@P@/$p}")
        [ -f "$LOG/$c.conf" ] && sed -e "s|@W@|$w|g" -e "s|@P@|$p|g" "$LOG/$c.conf" >"$w/server.conf"
        as_user "$w"
        if [ "$side" = host ]; then
            start_server "$LOG/$c.$side.out" "$LOG/$c.$side.err" "${AS[@]}" "${cmd[@]}"
        else
            start_server "$LOG/$c.$side.out" "$LOG/$c.$side.err" "${AS[@]}" "$U" --mem 512M --dir "$RWBIN" \
                --dir "$w:rw" --dir "$w/tmp:/tmp:rw" --publish "127.0.0.1:$p:$p" "${cmd[@]}"
        fi
        if wait_port "$p" 10; then
            sleep 0.5 # workers starting
            eval "PROCS_$side=\$(descendants \$SERVER_PID)"
            [ -n "$RW_PIDNS" ] && eval "PROCS_$side=\$((PROCS_$side - 0))"
            http_checks "$p" "$LOG/$c.$side.checks"
        else
            eval "PROCS_$side=0"
            echo "listen: nothing accepts on its port within 10 s" >"$LOG/$c.$side.checks"
        fi
        stop_server
        echo "stop: $STOP" >>"$LOG/$c.$side.checks"
    done
    CASE_OK="" CASE_WHY=""
    local nh nu
    nh=$(grep -c . "$LOG/$c.host.checks")
    nu=$(grep -cxFf "$LOG/$c.ukmon.checks" "$LOG/$c.host.checks")
    CHECKS="$nu/$nh"
    if grep -q '^listen:\|^wrk: [^o]\|^stop: [^c]' "$LOG/$c.host.checks"; then
        CASE_WHY="the host run failed: $(grep -m1 '^listen:\|^wrk: [^o]\|^stop: [^c]' "$LOG/$c.host.checks")"
        count error "$RW_NAME: $c" "$CASE_WHY"
        return 1
    fi
    if cmp -s "$LOG/$c.host.checks" "$LOG/$c.ukmon.checks"; then
        CASE_OK=1
        count pass "$RW_NAME: $c"
        return 0
    fi
    CASE_WHY=$(diff "$LOG/$c.host.checks" "$LOG/$c.ukmon.checks" | grep '^>' | cut -c3- | head -3 | paste -sd';' - | sed 's/;/; /g')
    local e
    e=$(grep -v '^realworld:' "$LOG/$c.ukmon.err" | grep -m1 -iE 'emerg|alert|crit|error|ukmon:' | cut -c1-140)
    [ -n "$e" ] && CASE_WHY="$CASE_WHY; stderr: $e"
    if [ -z "${RW_FAST:-}" ]; then
        # Once more under --trace: start, one fetch, stop.
        w=$RUN/$RW_NAME/$c/trace
        p=$((port + 2))
        rm -rf "$w"
        mkdir -p "$w/tmp" "$w/logs"
        www "$w/www"
        local cmd=("${@//@W@/$w}")
        cmd=("${cmd[@]//@P@/$p}")
        [ -f "$LOG/$c.conf" ] && sed -e "s|@W@|$w|g" -e "s|@P@|$p|g" "$LOG/$c.conf" >"$w/server.conf"
        as_user "$w"
        start_server /dev/null "$LOG/$c.trace" "${AS[@]}" "$U" --trace --mem 512M --dir "$RWBIN" --dir "$w:rw" \
            --dir "$w/tmp:/tmp:rw" --publish "127.0.0.1:$p:$p" "${cmd[@]}"
        wait_port "$p" 10 && RW_NO_WRK=1 http_checks "$p" "$LOG/$c.trace.checks"
        stop_server
        echo "realworld: stopped: $STOP" >>"$LOG/$c.trace"
        e=$(causes "$LOG/$c.trace" | cut -f1 | paste -sd';' - | sed 's/;/; /g')
        [ -n "$e" ] && CASE_WHY="$CASE_WHY; cause: $e"
    fi
    count fail "$RW_NAME: $c" "$CASE_WHY"
    return 1
}
