# lib.sh: what the real-world scripts share (sourced): paths, running a program with a
# time limit and killing its whole tree, the one-line results the driver reads, and the
# classification of --trace lines into failure causes.
# Each program's script is run as: tests/realworld/NAME.sh BUILD_DIR, with RW_FAST=1
# for the fast part of make check. It writes $RES/NAME.row (read by run.sh):
#     program|host result|ukmon result|notes
# and, for make check, $RES/NAME.counts: "PASS N", "FAIL N", "SKIP N" lines and
# "fail WHY" / "skip WHY" lines.
set -u
B=${1:-build}
B=$(cd "$B" && pwd)
U=$B/ukmon
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
    printf '%s|%s|%s|%s\n' "$RW_NAME" "$1" "$2" "$3" >"$RES/$RW_NAME.row"
}

# count pass|fail|skip [WHY]: one result for make check's tally.
count() {
    case $1 in
        pass) echo "PASS 1" ;;
        fail) echo "FAIL 1"; echo "fail ${2:-}" ;;
        skip) echo "SKIP 1"; echo "skip ${2:-}" ;;
    esac >>"$RES/$RW_NAME.counts"
}

# begin NAME: a program's run starts: results of an earlier run go.
begin() {
    RW_NAME=$1
    rm -f "$RES/$RW_NAME.row" "$RES/$RW_NAME.counts"
    LOG=$RES/$RW_NAME
    rm -rf "$LOG"
    mkdir -p "$LOG"
}

# tree CMD...: CMD in a pid namespace of its own (as root), so that ending it ends
# every process it made, VMs included; else in a session of its own.
tree() {
    if [ -n "$RW_PIDNS" ]; then
        unshare -p -f --kill-child=SIGKILL "$@"
    else
        setsid "$@"
    fi
}

# timed SECONDS OUT ERR CMD...: runs CMD (stdin: $STDIN or /dev/null) with a time
# limit; sets RC (124: the limit ran out, and the whole tree was killed).
timed() {
    local t=$1 out=$2 err=$3 pre=(setsid -w)
    shift 3
    [ -n "$RW_PIDNS" ] && pre=(unshare -p -f --kill-child=SIGKILL)
    timeout -k 5 "$t" "${pre[@]}" "$@" <"${STDIN:-/dev/null}" >"$out" 2>"$err"
    RC=$?
    if [ "$RC" = 124 ] || [ "$RC" = 137 ]; then
        RC=124
        echo "realworld: time limit of $t s: killed" >>"$err"
    fi
}

# start_server OUT ERR CMD...: CMD in the background in its own tree; SERVER_PID.
start_server() {
    local out=$1 err=$2
    shift 2
    tree "$@" </dev/null >"$out" 2>"$err" &
    SERVER_PID=$!
}

# stop_server: SIGTERM to the server (the child of unshare, or the session), up to 10 s
# for it to end by itself, then the whole tree is killed. Sets STOP ("clean" or why not).
stop_server() {
    local top=$SERVER_PID kid i
    STOP=clean
    kid=$top
    [ -n "$RW_PIDNS" ] && kid=$(pgrep -P "$top" | head -1)
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

# free_port: a TCP port nothing listens on now.
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 30000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
}

# causes FILE...: the failure causes a --trace shows, one per line, counted: system
# calls a program makes that ukmon answers with an error Linux would not give
# (tests/realworld/causes.txt names the known ones), calls it does not know (ENOSYS),
# and the time limits.
causes() {
    awk -v table="$HERE/causes.txt" '
        BEGIN { FS = "\t"
                while ((getline l < table) > 0) { if (l ~ /^#/ || l == "") continue
                    split(l, f, "\t"); pat[++n] = f[1]; why[n] = f[2] } }
        / = -1 [A-Z]+ / || /realworld: time limit/ {
            line = $0
            for (i = 1; i <= n; i++) if (line ~ pat[i]) { seen[why[i]]++; next }
            if (match(line, /\] [a-z_0-9]+\(/) && match(line, / = -1 ENOSYS/)) {
                split(line, a, /\] /); split(a[2], c, "("); if (c[1] != "rseq" && c[1] != "clone3") seen[c[1] " ENOSYS"]++
            }
        }
        END { for (w in seen) printf "%s\t%d\n", w, seen[w] }' "$@" | sort -t"$(printf '\t')" -k2,2nr
}

# The guest's programs: busybox (its applets as links), sh, and the static builds, in
# one folder granted read-only at its own path, which is PATH on both sides; so the
# host runs the very binaries the VMs run.
RWBIN=$RUN/bin
mkbin() {
    [ -x "$RWBIN/sh" ] && [ "$(cat "$RWBIN/.made" 2>/dev/null)" = "$(ls -l --time-style=+%s "$BIN" 2>/dev/null | md5sum)" ] && return
    rm -rf "$RWBIN"
    mkdir -p "$RWBIN"
    cp /bin/busybox "$RWBIN/busybox"
    local a
    for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$RWBIN/$a"; done
    for a in "$BIN"/*; do
        [ -x "$a" ] && [ -f "$a" ] && cp "$a" "$RWBIN/"
    done
    [ -x /bin/bash-static ] && cp /bin/bash-static "$RWBIN/bash"
    ls -l --time-style=+%s "$BIN" 2>/dev/null | md5sum >"$RWBIN/.made"
}

# pair CASE LIMIT CMD...: CMD on the host and under ukmon, each in a fresh work folder
# W ($RUN/PROGRAM/CASE/SIDE; the word @W@ in CMD is replaced by it), granted read-write
# at its own path, with a private /tmp, the same environment (PATH=$RWBIN HOME=W
# TMPDIR=/tmp) and stdin from $STDIN. Compares exit code and stdout; sets CASE_OK (1 or
# empty) and CASE_WHY, and counts the case. A failing case runs once more under --trace
# (not in the fast part) and CASE_WHY ends with the causes its trace shows.
# UKMON_OPTS: more options for ukmon (an array). CMD's program is looked up in $RWBIN.
pair() {
    local c=$1 t=$2 side w prog
    shift 2
    mkbin
    prog=$1
    shift
    [[ $prog == */* ]] || prog=$RWBIN/$prog
    set -- "$prog" "$@"
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
    if [ "$RC_ukmon" = 124 ]; then
        CASE_WHY="hangs: time limit of $t s ran out"
    elif [ "$RC_ukmon" != "$RC_host" ]; then
        CASE_WHY="exit $RC_ukmon (host: $RC_host)"
    elif ! cmp -s "$LOG/$c.host.out" "$LOG/$c.ukmon.out"; then
        CASE_WHY="stdout differs: $(diff "$LOG/$c.host.out" "$LOG/$c.ukmon.out" | grep -m1 '^[<>]' | cut -c1-100)"
    else
        CASE_OK=1
    fi
    if [ -n "$CASE_OK" ]; then
        count pass
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
    count fail "$RW_NAME: $c: $CASE_WHY"
    return 1
}
UKMON_OPTS=()
