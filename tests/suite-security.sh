# suite-security.sh: the seccomp sandbox and the io_uring restrictions (sourced by run.sh).
SUITES="${SUITES:-} security"

suite_jail() {
    # LeakSanitizer reads /proc at exit, and a jail has no /proc: leave leaks to the
    # other tests there.
    local saved_asan=$ASAN_OPTIONS
    export ASAN_OPTIONS=detect_leaks=0
    suite_jail_cases
    export ASAN_OPTIONS=$saved_asan
}

# descendants PID: every process below PID. The jailed tree's own, where a pgrep for
# its command line would also find other trees that run on this machine.
descendants() {
    local p
    for p in $(pgrep -P "$1"); do
        echo "$p"
        descendants "$p"
    done
}

suite_jail_cases() {
    if ! "$U" --jail "$E/hello.elf" >/dev/null 2>"$TMP/err"; then
        skip "--jail" "cannot create namespaces here: $(cat "$TMP/err")"
        return
    fi
    expect "--jail: the root VM is pid 1 of its own pid namespace" 0 '(pid 1)' -- \
        "$U" --jail "$E/hello.elf"
    expect "--jail: fork, pipes and exit statuses work inside" 0 'tree of 15 VMs' -- \
        "$U" --jail "$E/forktree.elf" 3 2
    rm -f "$TMP/tree" # a tree started in the background: not the last one's lines
    (exec "$U" --jail "$G/sleeper.elf" 2 >"$TMP/tree" 2>/dev/null </dev/null) &
    local outer=$! jailed="" p bad=""
    if wait_lines "$TMP/tree" 3; then
        jailed=$(descendants "$outer" | tr '\n' ' ')
        for p in $jailed; do
            [ "$(ls -A "/proc/$p/root/" 2>/dev/null | wc -l)" = 0 ] || bad="$bad root:$p"
            grep -q '^CapEff:[[:space:]]*0000000000000000$' "/proc/$p/status" || bad="$bad caps:$p"
            [ "$(readlink "/proc/$p/ns/net")" != "$(readlink /proc/self/ns/net)" ] || bad="$bad net:$p"
            [ "$(readlink "/proc/$p/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] || bad="$bad pid:$p"
            [ "$(readlink "/proc/$p/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] || bad="$bad mnt:$p"
        done
        if [ -z "$bad" ] && [ -n "$jailed" ]; then
            pass "--jail: empty root, no capabilities, own net/pid/mount namespaces (3 VMs)"
        else
            fail "--jail: empty root, no capabilities, own namespaces" "${bad:-no jailed processes found}"
        fi
    else
        fail "--jail: isolation" "the jailed tree did not start"
    fi
    kill -TERM "$outer"
    wait "$outer" 2>/dev/null
    local rc=$?
    # shellcheck disable=SC2086
    if [ "$rc" = 143 ] && all_gone $jailed; then pass "--jail: SIGTERM ends the jailed tree"
    else fail "--jail: SIGTERM ends the jailed tree" "rc $rc"; fi
    rm -f "$TMP/tree" # a tree started in the background: not the last one's lines
    (exec "$U" --jail "$G/sleeper.elf" 2 >"$TMP/tree" 2>/dev/null </dev/null) &
    outer=$!
    jailed=""
    if wait_lines "$TMP/tree" 3; then
        jailed=$(descendants "$outer" | tr '\n' ' ')
    fi
    kill -KILL "$outer"
    wait "$outer" 2>/dev/null
    # shellcheck disable=SC2086
    if [ -n "$jailed" ] && all_gone $jailed; then pass "--jail: SIGKILL of ukmon takes the whole jail with it"
    # shellcheck disable=SC2086 # a list of pids
    else fail "--jail: SIGKILL of ukmon takes the whole jail with it" "left: $jailed"; kill -KILL $jailed 2>/dev/null; fi
}

# signal_loop NAME SIGNAL WANT_RC: a guest spinning in an endless loop, ended by a signal.
signal_loop() {
    # A background job starts with SIGINT and SIGQUIT ignored (no job control), and
    # the guest would inherit that: give them back their default action.
    env --default-signal=INT,QUIT "$U" "$G/fault.elf" loop >/dev/null 2>&1 </dev/null &
    local pid=$!
    # Not before its vCPU exists: the signal is meant for the running guest.
    wait_vcpu "$pid"
    kill "-$2" "$pid"
    local rc=0 i
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid"
        fail "$1" "still running 5 s after SIG$2"
    else
        wait "$pid" 2>/dev/null
        rc=$?
        [ "$rc" = "$3" ] && pass "$1" || fail "$1" "exit code $rc, expected $3"
    fi
}

suite_security() {
    signal_loop "an endless loop in the guest is ended by SIGTERM" TERM 143
    signal_loop "an endless loop in the guest is ended by SIGINT" INT 130
    suite_jail
    if "$U" --version | grep -q 'no seccomp sandbox'; then
        skip "seccomp sandbox" "sanitizer build runs without it (its runtime needs more system calls)"
        return
    fi
    local refused="^ukmon: .*: the monitor's sandbox refused system call openat (257); this is a ukmon bug: please report it$"
    { UKMON_SANDBOX_SELFTEST=1 run 30 "$U" "$E/hello.elf"; } 2>/dev/null
    if [ "$RC" = 159 ] && ! grep -q 'Hello' "$TMP/out" && [ "$(wc -l <"$TMP/err")" = 1 ] &&
        grep -q "$refused" "$TMP/err"; then
        pass "a forbidden system call before the first KVM_RUN kills the monitor with SIGSYS, named in one line"
    else
        fail "a forbidden system call before the first KVM_RUN kills the monitor with SIGSYS, named in one line" "rc $RC"
    fi
    # The same in forked monitors: each child dies of SIGSYS and says why; the root goes on.
    { UKMON_SANDBOX_SELFTEST=fork run 30 "$U" "$G/fork_status.elf"; } 2>/dev/null
    if [ "$RC" = 0 ] && grep -q '^exit(1): killed by signal 31$' "$TMP/out" &&
        [ "$(grep -c "$refused" "$TMP/err")" -ge 6 ] && ! grep -qv "$refused" "$TMP/err"; then
        pass "a forbidden system call in a forked monitor: that VM dies of SIGSYS with its line, the tree goes on"
    else
        fail "a forbidden system call in a forked monitor: that VM dies of SIGSYS with its line" "rc $RC"
    fi
    rm -f "$TMP/tree" # a tree started in the background: not the last one's lines
    "$U" "$G/sleeper.elf" 1 >"$TMP/tree" 2>/dev/null </dev/null &
    local root=$!
    if wait_lines "$TMP/tree" 2; then
        local child st_root st_child
        child=$(awk '/^child/ {print $2}' "$TMP/tree")
        st_root=$(grep -E '^(Seccomp|NoNewPrivs):' "/proc/$root/status" | tr -s '\t ' ' ' | tr '\n' ' ')
        st_child=$(grep -E '^(Seccomp|NoNewPrivs):' "/proc/$child/status" | tr -s '\t ' ' ' | tr '\n' ' ')
        if [ "$st_root" = "NoNewPrivs: 1 Seccomp: 2 " ] && [ "$st_child" = "$st_root" ]; then
            pass "root and forked monitors run under seccomp with no_new_privs"
        else
            fail "root and forked monitors run under seccomp with no_new_privs" "root '$st_root' child '$st_child'"
        fi
    else
        fail "root and forked monitors run under seccomp" "tree did not start"
    fi
    kill -TERM "$root"
    wait "$root" 2>/dev/null
    expect "--no-sandbox works and warns loudly" 0 'WARNING: --no-sandbox' 'Hello from' -- \
        "$U" --no-sandbox "$E/hello.elf"
}

# The monitor's own allocations under valgrind (memcheck knows KVM's ioctls only
# loosely; the sandbox is off because valgrind itself needs more system calls).
# Skipped for clang builds: this valgrind cannot read clang 14's DWARF 5.
suite_valgrind() {
    [ "$M" = "$B" ] || return 0
    if ! command -v valgrind >/dev/null; then
        skip "valgrind" "valgrind is not installed"
        return
    fi
    if readelf -p .comment "$B/tests/ukmon-dynamic" 2>/dev/null | grep -q clang; then
        skip "valgrind" "built with clang, whose DWARF 5 forms this valgrind cannot read"
        return
    fi
    local vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
        --trace-children=no)
    local U=$B/tests/ukmon-dynamic # valgrind needs the dynamically linked monitor
    expect "valgrind: boot, print, exit: no errors, no leaks" 3 'Hello from' -- \
        "${vg[@]}" "$U" --no-sandbox "$E/hello.elf" --exit 3
    expect "valgrind: fork, wait and crashing children" 0 'ud2: killed by signal 4' -- \
        "${vg[@]}" "$U" --no-sandbox "$G/fork_status.elf"
    # (Guests that pipe between forked VMs are left out: valgrind's own address-space
    # bookkeeping asserts on the io_uring rings a forked monitor maps.)
    STDIN=<(printf 'through io_uring\n') expect "valgrind: io_uring reads and writes" 0 \
        'through io_uring' '17 bytes' -- "${vg[@]}" "$U" --no-sandbox "$G/stdin_cat.elf"
    expect "valgrind: bad hypercall arguments" 0 'length wraps around: EFAULT' -- \
        "${vg[@]}" "$U" --no-sandbox "$G/hc_args.elf"
    expect "valgrind: a guest fault" 139 'page fault' -- \
        "${vg[@]}" "$U" --no-sandbox "$G/fault.elf" null-read
    expect "valgrind: a malformed ELF" 125 'not an ELF file' -- \
        "${vg[@]}" "$U" --no-sandbox "$G/../../../tests/run.sh"
}
SUITES="$SUITES valgrind"
