# suite-pipe.sh: pipes between VMs, fds, poll and host shell pipelines (sourced by run.sh).
SUITES="${SUITES:-} pipe"

suite_pipe() {
    run 120 "$U" "$G/pipe_chain.elf" 256
    local prod cons
    prod=$(sed -n 's/^producer: //p' "$TMP/out")
    cons=$(sed -n 's/^consumer: //p' "$TMP/out")
    if [ "$RC" = 0 ] && [ -n "$prod" ] && [ "$prod" = "$cons" ] && [ "${prod%%,*}" = "268435456 bytes" ]; then
        pass "256 MiB intact through a chain of 4 VMs (checksums match)"
    else
        fail "256 MiB intact through a chain of 4 VMs" "rc $RC, producer '$prod', consumer '$cons'"
    fi
    cat >"$TMP/posix.want" <<'W'
reader blocked until the sleeping writer wrote, then EOF: yes
write with no reader: EPIPE
read of a closed fd: EBADF
write of a never-opened fd: EBADF
close of a never-opened fd: EBADF
fd out of range: EBADF
negative fd: EBADF
guest fds that are not its own: 0
dup2 to an fd out of range: EBADF
dup2 to a negative fd: EBADF
write from past the end: EFAULT
read into a wrapping buffer: EFAULT
writev with a bad iovec: EFAULT
writev with the iovec array outside memory: EFAULT
dup2 redirected stdout into a pipe: yes
writev/readv: 6 6 ab|cdef
poll: empty read end not ready, write end ready, bad fd POLLNVAL: yes
poll timeout of 100 ms: returned 0 after >= 100 ms: yes
poll without timeout wakes on data: yes
poll after the last writer closed: POLLHUP
poll with nothing to watch sleeps its timeout: yes
a 1 MiB write to a pipe returns 1 MiB: yes
a child's close leaves the parent's fd open: yes
pipes until the fd table is full: EMFILE after 1020 fds
and pipe works again after closing: yes
W
    expect_exact "EOF, EPIPE, EBADF, EFAULT, dup2, readv/writev, poll, EMFILE" 0 "$TMP/posix.want" -- \
        "$U" "$G/pipe_posix.elf"
    expect "a guest that closes fds 0-2 then uses them gets EBADF" 42 -- "$U" "$G/close_stdio.elf"

    # ukmon started with stdin and stdout closed: the guest's are closed too, and
    # never the files ukmon opens next (the ELF, /dev/kvm) that take their numbers.
    "$U" "$G/fd_probe.elf" <&- >&- 2>"$TMP/err"
    if [ $? = 0 ] && grep -q 'fd 0: EBADF' "$TMP/err" && grep -q 'fd 1: EBADF' "$TMP/err"; then
        pass "closed stdin/stdout stay closed for the guest (no monitor fd in their place)"
    else
        fail "closed stdin/stdout stay closed for the guest" "$(tr '\n' ' ' <"$TMP/err")"
    fi

    # Host shell pipelines: fds 0/1/2 are the monitor's own.
    local out
    out=$(printf 'a\nb\n' | "$U" "$E/upper.elf" | wc -l)
    [ "$out" = 2 ] && pass "printf 'a\\nb\\n' | ukmon upper.elf | wc -l  ->  2" ||
        fail "shell pipeline through upper.elf" "wc -l said '$out'"
    out=$(printf 'hello, pipes\n' | "$U" "$E/upper.elf" | "$U" "$G/stdin_cat.elf" 2>/dev/null)
    [ "$out" = "HELLO, PIPES" ] && pass "two unikernels in one shell pipeline" ||
        fail "two unikernels in one shell pipeline" "got '$out'"
    head -c 5000000 /dev/urandom >"$TMP/rand"
    out=$("$U" "$G/stdin_cat.elf" <"$TMP/rand" 2>/dev/null | cmp - "$TMP/rand" && echo same)
    [ "$out" = same ] && pass "5 MB of random bytes through stdin and stdout unchanged" ||
        fail "5 MB of random bytes through stdin and stdout" "$out"
    out=$("$U" "$E/hello.elf" | head -c 5; echo " rc=${PIPESTATUS[0]}")
    [ "$out" = "Hello rc=0" ] && pass "stdout closed early by the reader: no crash" ||
        fail "stdout closed early by the reader" "$out"

    run 60 "$U" "$G/shared_stdout.elf"
    local lines uniq
    lines=$(wc -l <"$TMP/out")
    uniq=$(sort -u "$TMP/out" | wc -l)
    [ "$RC" = 0 ] && [ "$lines" = 3200 ] && [ "$uniq" = 3200 ] &&
        pass "16 VMs writing to one stdout file: all 3200 lines, none overwritten" ||
        fail "16 VMs writing to one stdout file" "rc $RC, $lines lines, $uniq distinct"

    expect "primes example: 168 primes below 1000, one VM each" 0 '997' -- "$U" "$E/primes.elf" 1000
    run 60 "$U" "$E/primes.elf" 1000
    [ "$(wc -l <"$TMP/out")" = 168 ] && [ "$(head -1 "$TMP/out")" = 2 ] && pass "primes prints exactly the 168 primes in order" ||
        fail "primes prints exactly the 168 primes in order" "$(wc -l <"$TMP/out") lines"
    expect "pipeline example: producer | filter | consumer" 0 \
        'consumer (pid' '10 lines, 237 bytes' 'last: ITEM 30 OF THE PIPELINE' -- "$U" "$E/pipeline.elf" 30
}
