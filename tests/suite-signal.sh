# suite-signal.sh: signals between VMs, from the host and from faults (sourced by run.sh).
SUITES="${SUITES:-} signal"

# supervisor_sigint: the supervisor example runs for ever until SIGINT reaches ukmon;
# its handler stops the worker and exits 0.
supervisor_sigint() {
    local name="SIGINT to ukmon runs the guest's handler: the supervisor stops its worker, exit 0"
    (exec "$U" "$E/supervisor.elf" --forever >"$TMP/sup" 2>"$TMP/sup.err" </dev/null) &
    local pid=$!
    if ! wait_lines "$TMP/sup" 2; then
        fail "$name" "the worker never came up: $(cat "$TMP/sup" "$TMP/sup.err")"
        kill -KILL "$pid"
        return
    fi
    kill -INT "$pid"
    local rc=0
    wait "$pid" || rc=$?
    cat >"$TMP/want" <<'W'
supervisor: starting worker 1
worker 1: up (Ctrl-C stops it through the supervisor)
supervisor: SIGINT: stopping worker 1
supervisor: worker 1 died of signal 15; bye
W
    cp "$TMP/sup" "$TMP/out"
    cp "$TMP/sup.err" "$TMP/err"
    if [ "$rc" = 0 ] && cmp -s "$TMP/sup" "$TMP/want"; then pass "$name"; else fail "$name" "rc $rc"; fi
}

# A tree whose first VM blocks SIGTERM: the first one waits, a second one ends it all.
second_signal_escalates() {
    local name="SIGTERM blocked by the guest stays pending; a second SIGTERM ends the tree: 143"
    (exec "$U" "$G/sigblock.elf" >"$TMP/blk" 2>/dev/null </dev/null) &
    local pid=$!
    if ! wait_lines "$TMP/blk" 1; then
        fail "$name" "the guest never started"
        kill -KILL "$pid"
        return
    fi
    local kids
    kids=$(pgrep -P "$pid")
    kill -TERM "$pid"
    sleep 0.3
    if ! kill -0 "$pid" 2>/dev/null; then
        fail "$name" "the first SIGTERM ended it"
        return
    fi
    kill -TERM "$pid"
    local rc=0
    wait "$pid" || rc=$?
    # shellcheck disable=SC2086
    if [ "$rc" = 143 ] && all_gone $kids; then pass "$name"; else fail "$name" "rc $rc"; fi
}

# A signal ukmon was started with ignored (a script's background job: SIGINT) is
# ignored by the guest too, as by a program execve'd in its place; SIGTERM still ends it.
inherited_ignore() {
    local name="started with SIGINT ignored (a background job): the guest ignores it, SIGTERM ends it: 143"
    (trap '' INT; exec "$U" "$G/fault.elf" loop >/dev/null 2>&1 </dev/null) &
    local pid=$!
    wait_vcpu "$pid"
    kill -INT "$pid"
    sleep 0.5
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid"
        fail "$name" "SIGINT ended it: exit code $?"
        return
    fi
    kill -TERM "$pid"
    local rc=0
    wait "$pid" || rc=$?
    [ "$rc" = 143 ] && pass "$name" || fail "$name" "exit code $rc after SIGTERM"
}

# Under nohup, a hangup after the first VM has ended does not end its orphans.
nohup_orphan() {
    local name="busybox under nohup: SIGHUP after the shell ended leaves its orphan running: 0"
    (trap '' HUP; exec "$U" "$BUSYBOX" sh -c 'sleep 1 & echo started' >"$TMP/nh" 2>&1 </dev/null) &
    local pid=$!
    if ! wait_lines "$TMP/nh" 1; then
        fail "$name" "the shell never started"
        kill -KILL "$pid"
        return
    fi
    sleep 0.3
    kill -HUP "$pid"
    local rc=0
    wait "$pid" || rc=$?
    [ "$rc" = 0 ] && pass "$name" || fail "$name" "exit code $rc: $(cat "$TMP/nh")"
}

# Ctrl-C at a terminal: every monitor of the foreground group gets it, each VM once.
terminal_ctrl_c() {
    local name="Ctrl-C at a terminal: the supervisor's handler runs, its worker ignores it, exit 0"
    if ! command -v tmux >/dev/null; then
        fail "$name" "tmux is missing (scripts/install-deps.sh installs it)"
        return
    fi
    rm -f "$TMP/tty-exit"
    tmux -L ukmon-sig kill-server 2>/dev/null
    tmux -L ukmon-sig new-session -d -s s -x 100 -y 20 \
        "ASAN_OPTIONS=detect_leaks=0 $U $E/supervisor.elf --forever 2>$TMP/tty-err; echo \$? >$TMP/tty-exit; sleep 60"
    local sid why="" i
    sid=$(tmux -L ukmon-sig display-message -p -t s '#{pane_pid}')
    for i in $(seq 1 100); do
        tmux -L ukmon-sig capture-pane -t s -p 2>/dev/null | grep -q 'worker 1: up' && break
        sleep 0.1
    done
    tmux -L ukmon-sig send-keys -t s C-c
    for i in $(seq 1 50); do [ -s "$TMP/tty-exit" ] && break; sleep 0.1; done
    tmux -L ukmon-sig capture-pane -t s -p >"$TMP/out" 2>/dev/null
    cp "$TMP/tty-err" "$TMP/err" 2>/dev/null
    [ "$(cat "$TMP/tty-exit" 2>/dev/null)" = 0 ] || why="exit status '$(cat "$TMP/tty-exit" 2>/dev/null)'"
    grep -q 'supervisor: SIGINT: stopping worker 1' "$TMP/out" || why="$why; no SIGINT line"
    grep -q 'worker 1 died of signal 15; bye' "$TMP/out" || why="$why; the worker did not end by the supervisor's SIGTERM"
    tmux -L ukmon-sig kill-server 2>/dev/null
    [ -n "$sid" ] && pkill -KILL -s "$sid" 2>/dev/null
    if [ -n "$why" ]; then fail "$name" "$why"; else pass "$name"; fi
}

suite_signal() {
    expect_exact "ukmon unikernel: handlers, masks, red zone, FP, faults, forged frame, alarm, SIGCHLD" \
        0 tests/guests/signals.expected -- "$U" "$G/signals.elf"
    cat >"$TMP/want" <<'W'
supervisor: starting worker 1
worker 1: crashing (sum 2999997)
supervisor: worker 1 died of signal 11, restarting
supervisor: starting worker 2
worker 2: crashing (sum 2999997)
supervisor: worker 2 died of signal 11, restarting
supervisor: starting worker 3
worker 3: crashing (sum 2999997)
supervisor: worker 3 died of signal 11, restarting
supervisor: starting worker 4
worker 4: done (sum 2999997)
supervisor: worker 4 finished after 3 restarts
W
    expect_exact "a supervisor restarts its crashing worker on SIGCHLD, three times" 0 "$TMP/want" -- \
        "$U" "$E/supervisor.elf" 3
    expect "SIGCHLD ignored: children that were never waited for free their --max-procs slots" 0 \
        '40 children never waited for: all forked' -- "$U" -p 4 "$G/autoreap.elf" 40
    supervisor_sigint
    second_signal_escalates
    inherited_ignore
    terminal_ctrl_c

    if [ ! -x "$BUSYBOX" ]; then
        fail "signals: busybox" "$BUSYBOX is missing (scripts/install-deps.sh installs busybox-static)"
        return
    fi
    printf 'got\nafter\n' >"$TMP/want"
    bb "trap 'echo got' TERM; kill -TERM \$\$" 0 "$TMP/want" 'trap "echo got" TERM; kill -TERM $$; echo after'
    printf 'survived\n' >"$TMP/want"
    expect_exact "busybox under nohup's SIGHUP ignore: kill -HUP \$\$ is ignored, as on the host" 0 \
        "$TMP/want" -- sh -c 'trap "" HUP; exec "$0" "$1" sh -c "kill -HUP \$\$; echo survived"' \
        "$U" "$BUSYBOX"
    nohup_orphan
    printf '143\n' >"$TMP/want" # and "Terminated" on stderr, as on the host
    expect_exact "busybox: sleep 10 & kill \$!; wait \$!; echo \$?" 0 "$TMP/want" -- \
        "$U" "$BUSYBOX" sh -c 'sleep 10 & kill $!; wait $!; echo $?'
    # A child's end noticed by the monitor just before the guest's wait sleeps: once a
    # wait slept through it (the host's SIGCHLD spent, the guest's not yet raised).
    printf '100\n' >"$TMP/want"
    expect_exact "busybox: sleep & kill; wait, 100 times in one shell: each 143, none missed" 0 \
        "$TMP/want" -- "$U" "$BUSYBOX" sh -c \
        'n=0; for i in $(seq 100); do sleep 10 & kill $!; wait $!; [ $? = 143 ] && n=$((n+1)); done 2>/dev/null; echo $n'
    printf 'usr1\n138\n' >"$TMP/want"
    bb "wait interrupted by a trapped signal: 128+10" 0 "$TMP/want" \
        'trap "echo usr1" USR1; (sleep 0.3; kill -USR1 $$) & wait; echo $?'
    local t0 t1
    t0=$(date +%s%N)
    run 20 "$U" "$BUSYBOX" timeout 1 sleep 5
    t1=$(date +%s%N)
    local limit=3000
    [ -n "${UKMON_EMULATED:-}" ] && limit=9000 # TCG with ASan: the same, slower
    if [ "$RC" = 143 ] && [ $(((t1 - t0) / 1000000)) -lt "$limit" ]; then
        pass "busybox timeout 1 sleep 5: 143 within 3 s (vfork, exec, kill from an orphan)"
    else
        fail "busybox timeout 1 sleep 5: 143 within 3 s" "rc $RC after $(((t1 - t0) / 1000000)) ms"
    fi
    printf 'stopped\ncontinued\n0\n' >"$TMP/want"
    bb "kill -STOP, kill -CONT of a job" 0 "$TMP/want" \
        'sleep 0.5 & kill -STOP $!; echo stopped; sleep 0.7; kill -CONT $!; echo continued; wait $!; echo $?'
}
