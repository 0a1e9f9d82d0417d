# suite-security.sh: the seccomp sandbox and the io_uring restrictions (sourced by run.sh).
SUITES="${SUITES:-} security"

suite_security() {
    if "$U" --version | grep -q 'no seccomp sandbox'; then
        skip "seccomp sandbox" "sanitizer build runs without it (its runtime needs more system calls)"
        return
    fi
    { UKMON_SANDBOX_SELFTEST=1 run 30 "$U" "$E/hello.elf"; } 2>/dev/null
    if [ "$RC" = 159 ] && ! grep -q 'Hello' "$TMP/out"; then
        pass "a forbidden system call before the first KVM_RUN kills the monitor with SIGSYS"
    else
        fail "a forbidden system call before the first KVM_RUN kills the monitor with SIGSYS" "rc $RC"
    fi
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
