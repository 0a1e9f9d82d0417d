# suite-limits.sh: what one tree may take of the host (issue 18): its pipe buffers,
# and its memory with --tree-mem (a cgroup of its own, or the monitor's own count),
# watched from the host; the cgroup made and removed; execve's limits are Linux's
# (sourced by run.sh; the tree's socket and file limits are tests/linux/fdflood, run
# by suite-linux.sh with the other Linux programs, as argmax and callmax are).
SUITES="${SUITES:-} limits"

mem_avail() { awk '/^MemAvailable:/ {print $2}' /proc/meminfo; }

# The cgroup folder of process $1 for controller $2 (memory, pids), or nothing.
cgroup_dir() {
    local line path
    line=$(grep -E "^[0-9]+:([a-z_,]*,)?$2(,[a-z_,]*)?:" "/proc/$1/cgroup" 2>/dev/null)
    if [ -n "$line" ]; then
        path=${line#*:*:}
        echo "/sys/fs/cgroup/$2${path%/}"
        return
    fi
    # cgroup v2, mounted where a host mounts it: one folder for every controller.
    line=$(grep '^0::' "/proc/$1/cgroup" 2>/dev/null)
    path=${line#0::}
    [ -n "$line" ] && [ -f /sys/fs/cgroup/cgroup.controllers ] && echo "/sys/fs/cgroup${path%/}"
}

# hold_run CMD...: runs a flood that prints "holding" once it holds all it got and then
# waits for its stdin to end. HELD_DROP: how much the host's MemAvailable fell by then
# (MiB); HELD_PEAK: the most the tree's cgroup ever charged (MiB; empty without one).
# A fall past 2 GiB kills the tree there (WATCHDOG set): the host comes first.
hold_run() {
    local t=90 before pid fd i now cg peak_file
    [ -n "${UKMON_EMULATED:-}" ] && t=$((t * 3))
    HELD_DROP="" HELD_PEAK="" WATCHDOG=""
    [ "$FF" -gt 0 ] && { RC=0; return; }
    rm -f "$TMP/in"
    mkfifo "$TMP/in"
    before=$(mem_avail)
    "$@" <"$TMP/in" >"$TMP/out" 2>"$TMP/err" &
    pid=$!
    exec {fd}>"$TMP/in"
    for i in $(seq 1 $((t * 20))); do
        grep -q '^holding$' "$TMP/out" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        now=$(mem_avail)
        if [ $((before - now)) -gt 2097152 ]; then
            WATCHDOG="MemAvailable fell by $(((before - now) / 1024)) MiB: killed"
            kill -KILL "$pid"
            break
        fi
        sleep 0.05
    done
    HELD_DROP=$(((before - $(mem_avail)) / 1024))
    cg=$(cgroup_dir "$pid" memory)
    [ "${cg##*/}" = "ukmon-$pid" ] || cg="" # not the tree's own: no peak to tell
    for peak_file in memory.max_usage_in_bytes memory.peak; do
        [ -n "$cg" ] && [ -r "$cg/$peak_file" ] && HELD_PEAK=$(($(cat "$cg/$peak_file") >> 20)) && break
    done
    exec {fd}>&-
    for i in $(seq 1 $((t * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    wait "$pid"
    RC=$?
}

# Whether this monitor gives the tree a cgroup here (root, a cgroup v2 or v1 memory
# hierarchy we may write): the --stats line says.
has_cgroup() {
    "$U" --stats --tree-mem 256M "$E/hello.elf" 2>&1 >/dev/null | grep -q 'held by cgroup'
}

# gone DIR...: true once none of the folders exists (waits up to 5 s).
gone() {
    local i d left
    for i in $(seq 1 50); do
        left=""
        for d in "$@"; do [ -e "$d" ] && left=1; done
        [ -z "$left" ] && return 0
        sleep 0.1
    done
    return 1
}

# The flood would pin ~8.5 GiB of pipe buffers unbounded (17 VMs x 509 pipes x 1 MiB).
# With a cgroup of a default (host-sized) --tree-mem, the cgroup's own peak measures
# the tree, pipe buffers included, unblurred by what else runs here; without one, the
# host's MemAvailable has to do.
limits_pipes() {
    local libc name how opt LX=$B/tests/linux cg=""
    has_cgroup && cg=1
    for libc in musl glibc; do
        # -m 64M: without a cgroup the tree's count is of -m, and 17 VMs of the default
        # 1 GiB would not fit a default --tree-mem on every host.
        opt="--no-cgroup --mem 64M" how="the host's MemAvailable"
        [ -n "$cg" ] && [ "$libc" = musl ] && opt="" how="the tree's cgroup"
        name="$libc: pipe flood (F_SETPIPE_SZ 1 MiB on every pipe of 17 VMs): Linux's soft and hard limits, not host memory ($how)"
        begin "$name" 0 || continue
        # shellcheck disable=SC2086 # no option, or one
        hold_run "$U" $opt "$LX/$libc/pipeflood"
        if [ -n "$WATCHDOG" ]; then fail "$name" "$WATCHDOG"
        elif [ "$RC" != 0 ]; then fail "$name" "exit code $RC"
        elif ! cmp -s "$TMP/out" tests/linux/pipeflood.expected; then
            fail "$name" "stdout differs: $(diff tests/linux/pipeflood.expected "$TMP/out" | head -5 | tr '\n' ' ')"
        elif [ -z "$opt" ] && { [ -z "$HELD_PEAK" ] || [ "$HELD_PEAK" -gt 400 ]; }; then
            fail "$name" "the tree's cgroup peaked at ${HELD_PEAK:-?} MiB (pipe buffers are held to 128 MiB)"
        elif [ -n "$opt" ] && [ "$HELD_DROP" -gt 1024 ]; then
            fail "$name" "the host's MemAvailable fell by $HELD_DROP MiB (pipe buffers are held to 128 MiB)"
        else
            pass "$name (cgroup peak ${HELD_PEAK:--} MiB, host MemAvailable -$HELD_DROP MiB)"
        fi
    done
}

limits_mem() {
    local LX=$B/tests/linux name n killed
    # The monitor's own count: 256 MiB of -m 64M VMs is the root and 3 children.
    name="--no-cgroup --tree-mem 256M: the 4th VM's fork is ENOMEM, nobody is killed"
    if begin "$name" 0; then
        hold_run "$U" --no-cgroup --tree-mem 256M --mem 64M "$LX/glibc/memflood" 12 48
        printf '3 forked, 3 held 48 MiB each; fork: ENOMEM\nholding\n3 exited, 0 killed by SIGKILL, 0 otherwise\n' >"$TMP/want"
        if [ -n "$WATCHDOG" ]; then fail "$name" "$WATCHDOG"
        elif [ "$RC" != 0 ] || ! cmp -s "$TMP/out" "$TMP/want" || [ -s "$TMP/err" ]; then
            fail "$name" "exit code $RC, stdout $(tr '\n' '|' <"$TMP/out")"
        else
            pass "$name"
        fi
    fi
    expect_error "--no-cgroup: a VM bigger than --tree-mem is refused at start" 125 \
        'guest memory of 64 MiB is more than the tree may have (--tree-mem 32 MiB): without a cgroup (--no-cgroup)' -- \
        "$U" --no-cgroup --tree-mem 32M --mem 64M "$E/hello.elf"
    expect_error "--tree-mem below 8M is refused" 125 '--tree-mem 4M: not a size of 8M or more' -- \
        "$U" --tree-mem 4M "$E/hello.elf"
    if ! has_cgroup; then
        skip "--tree-mem with a cgroup" "no cgroup for the tree here: $("$U" --stats --tree-mem 256M "$E/hello.elf" 2>&1 >/dev/null | grep 'stats tree')"
        return
    fi
    # A cgroup: 24 VMs touching 48 MiB each (1.1 GiB) in a tree of 256 MiB.
    name="--tree-mem 256M, 24 VMs touching 48 MiB each: the tree's OOM kills, ukmon says so, the host keeps its memory"
    case $U in *asan*)
        # ASan's shadow memory makes the root monitor the biggest process of the tree,
        # and the OOM killer's choice: what this shows is the plain build's.
        skip "$name" "under ASan the root is the OOM killer's pick; run in the plain build"
        return ;;
    esac
    begin "$name" 0 || return
    hold_run "$U" --tree-mem 256M "$LX/glibc/memflood" 24 48
    killed=$(sed -n 's/^[0-9]* exited, \([0-9]*\) killed by SIGKILL, 0 otherwise$/\1/p' "$TMP/out")
    n=$(sed -n "s/.*the tree reached its memory limit (--tree-mem 256M): the kernel's OOM killer ended \([0-9]*\) of its VMs$/\1/p" "$TMP/err")
    if [ -n "$WATCHDOG" ]; then fail "$name" "$WATCHDOG"
    elif [ "$RC" != 0 ] || ! grep -q '^24 forked, [0-9]* held 48 MiB each; fork: never failed$' "$TMP/out"; then
        fail "$name" "exit code $RC"
    elif [ -z "$killed" ] || [ "$killed" = 0 ] || [ "$n" != "$killed" ] || [ "$(wc -l <"$TMP/err")" != 1 ]; then
        fail "$name" "killed '$killed', the stderr line says '$n'"
    elif [ -z "$HELD_PEAK" ] || [ "$HELD_PEAK" -gt 256 ]; then
        fail "$name" "the tree's cgroup peaked at ${HELD_PEAK:-?} MiB, MemAvailable fell by $HELD_DROP MiB"
    else
        pass "$name ($killed killed; cgroup peak $HELD_PEAK MiB, host MemAvailable -$HELD_DROP MiB)"
    fi
}

# The tree's cgroup: made under ukmon's own, with its limits; every VM in it, the
# janitor not; gone after the tree, whether it ended or ukmon was killed.
limits_cgroup() {
    has_cgroup || { skip "the tree's cgroup" "no cgroup for the tree here"; return; }
    local name="the tree's cgroup: under ukmon's own, memory and pids limits, every VM in it"
    begin "$name" 0 || return
    local own mine root child pdir why="" max
    own=$(cgroup_dir $$ memory)
    rm -f "$TMP/tree" # a tree started in the background: not the last one's lines
    "$U" --tree-mem 300M "$G/sleeper.elf" 2 >"$TMP/tree" 2>"$TMP/err" </dev/null &
    root=$!
    if wait_lines "$TMP/tree" 3; then
        mine=$(cgroup_dir "$root" memory)
        pdir=$(cgroup_dir "$root" pids)
        max=$(cat "$mine/memory.limit_in_bytes" 2>/dev/null || cat "$mine/memory.max" 2>/dev/null)
        # v2 puts it beside ukmon's own cgroup when that one has other processes.
        [ "$mine" = "$own/ukmon-$root" ] || [ "$mine" = "${own%/*}/ukmon-$root" ] ||
            why="$why cgroup '$mine', not $own/ukmon-$root;"
        [ "$max" = $((300 << 20)) ] || why="$why memory limit '$max';"
        [ -z "$pdir" ] || [ "$(cat "$pdir/pids.max")" = 1088 ] || why="$why pids.max $(cat "$pdir/pids.max");"
        for child in $(awk '/^child/ {print $2}' "$TMP/tree"); do
            [ "$(cgroup_dir "$child" memory)" = "$mine" ] || why="$why child $child elsewhere;"
        done
        # The janitor (one of them, if other trees run here) is not in the tree.
        local jan
        jan=$(pgrep -f "^ukmon: removing a tree's cgroup")
        [ -n "$jan" ] || why="$why no janitor;"
        for p in $jan; do
            [ "$(cgroup_dir "$p" memory)" != "$mine" ] || why="$why a janitor is in the tree;"
        done
    else
        why="the tree did not start"
    fi
    [ -z "$why" ] && pass "$name" || fail "$name" "$why"
    name="... and after SIGKILL of ukmon, the cgroup is removed and nothing is left"
    # Its own pids: others' trees may be running on this machine (pgrep would see them).
    local pids
    pids="$root $(awk '/^child/ {print $2}' "$TMP/tree" | tr '\n' ' ')"
    kill -KILL "$root"
    wait "$root" 2>/dev/null
    # shellcheck disable=SC2086 # a list of pids
    if gone "$mine" ${pdir:+"$pdir"} && all_gone $pids; then
        pass "$name"
    else
        fail "$name" "left: $(ls -d "$mine" "$pdir" 2>/dev/null) $(for p in $pids; do [ -e "/proc/$p" ] && echo "$p"; done)"
    fi
    name="a tree that ends leaves no cgroup behind"
    run 30 "$U" --stats --tree-mem 300M "$E/forktree.elf" 2 2
    mine=$(sed -n 's/^ukmon stats tree: .* held by cgroup v[12] \([^ ;]*\).*/\1/p' "$TMP/err")
    if [ "$RC" = 0 ] && [ -n "$mine" ] && gone "$mine"; then
        pass "$name"
    else
        fail "$name" "rc $RC, cgroup '$mine' $(ls -d "$mine" 2>/dev/null)"
    fi
}

suite_limits() {
    # Linux's own answers at the limits: what tests/linux/{argmax,callmax}.expected hold
    # (suite-linux.sh checks ukmon against them), from this host's kernel, with the
    # limits a user has by default (8 MiB of stack: ARG_MAX 2 MiB; 1024 fds).
    local t name
    for t in argmax callmax; do
        [ "$M" = "$B" ] || break
        name="$t: the expected output, at Linux's limits and past them, is what Linux itself answers"
        begin "$name" 0 || continue
        (ulimit -s 8192 -n 1024 && exec "$B/tests/linux/glibc/$t") >"$TMP/out" 2>"$TMP/err" </dev/null
        RC=$?
        if [ "$RC" = 0 ] && cmp -s "$TMP/out" "tests/linux/$t.expected"; then pass "$name"
        else fail "$name" "rc $RC: $(diff "tests/linux/$t.expected" "$TMP/out" | head -3 | tr '\n' ' ')"; fi
    done
    limits_pipes
    limits_mem
    limits_cgroup
}
