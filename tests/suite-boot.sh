# suite-boot.sh: booting, console, exit codes, faults and bad input (sourced by run.sh).
SUITES="${SUITES:-} boot"

suite_boot() {
    expect "hello prints its argv and exits with its status" 3 \
        'Hello from a unikernel' 'argv[0] = "'"$E"'/hello.elf"' 'argv[2] = "b c"' -- \
        "$U" "$E/hello.elf" a "b c" --exit 3
    for s in 0 1 255; do
        expect "exit status $s passes through" "$s" -- "$U" "$G/exit_status.elf" "$s"
    done
    expect "exit(256) is status 0, as on POSIX" 0 -- "$U" "$G/exit_status.elf" 256 exit
    expect "exit() flushes buffered stdout" 5 -- "$U" "$G/exit_status.elf" 5 exit

    cat >"$TMP/printf.want" <<'W'
[-42] [7] [   42] [42   ] [00042] [+42] [ 42]
[3000000000] [ff] [FF] [0xff] [10] [010]
[-1234567890123] [9223372036854775807] [18446744073709551615] [12345] [44] [4464]
[str] [     right] [left      ] [tru] [     9] [9     ]
[Z] [%] [0x1234] [(nil)]
[-5] [5] [abcdef]
[3.141593] [2.67] [    -1.500] [0.2       ] [1.234568e+04] [0.0001] [1.23457e+08]
[0] [0.1] [10000000000.000000] [-0.000000]
[0123456] [10] [7]
W
    # A unikernel built before ABI 2: hello.elf with its note saying 1.
    local at
    at=$(grep -obUaP 'ukmon\x00\x00\x00\x02\x00\x00\x00' "$E/hello.elf" | head -1 | cut -d: -f1)
    cp "$E/hello.elf" "$TMP/abi1.elf"
    [ -n "$at" ] && printf '\001' | dd of="$TMP/abi1.elf" bs=1 seek=$((at + 8)) conv=notrunc status=none
    expect "a unikernel built for ABI 1 still runs" 0 'Hello from a unikernel' -- "$U" "$TMP/abi1.elf"
    printf '\003' | dd of="$TMP/abi1.elf" bs=1 seek=$((at + 8)) conv=notrunc status=none
    expect_error "a unikernel built for a newer ABI is refused" 125 'built for ukmon ABI 3' -- "$U" "$TMP/abi1.elf"
    expect_exact "printf conversions" 0 "$TMP/printf.want" -- "$U" "$G/printf_fmt.elf"
    expect_exact "strtod, atof and sscanf parse as glibc does" 0 tests/guests/parse.expected -- \
        "$U" "$G/parse.elf"
    expect "malloc/realloc/free under stress" 0 'malloc ok, huge allocation refused, calloc zeroed yes' -- \
        "$U" "$G/malloc_stress.elf"
    expect "a unikernel's heap reaches KVM chunk by chunk: first loads see what the monitor wrote" 0 \
        'first touches of new chunks: ok' -- "$U" --mem 1G "$G/lazy_chunks.elf"
    expect "floating point (SSE and x87) at native speed" 0 'pi ~ 3.141593' 'sqrt(2) = 1.414214' \
        '3^10 via x87 = 59049' 'float 1/3 = 0.33333' -- "$U" "$G/float_math.elf"
    run 30 "$U" "$G/clock_check.elf"
    local host_now guest_now
    host_now=$(date +%s)
    guest_now=$(sed -n 's/^wall clock seconds: //p' "$TMP/out")
    if [ "$RC" = 0 ] && grep -q 'monotonic ok' "$TMP/out" && grep -q 'at least 50 ms: yes' "$TMP/out" &&
        [ -n "$guest_now" ] && [ $((host_now - guest_now)) -le 5 ] && [ $((guest_now - host_now)) -le 5 ]; then
        pass "clocks: monotonic, sleep, wall time within 5 s of the host"
    else
        fail "clocks: monotonic, sleep, wall time within 5 s of the host" "rc $RC, guest $guest_now host $host_now"
    fi
    expect "guest environment comes from --env only" 0 'env: A=1' 'getenv(B) = two' -- \
        "$U" --env A=1 -e B=two "$G/env_print.elf" B
    STDIN=<(printf 'line one\nline two\n') expect "stdin passes through to the guest" 0 \
        'line one' 'line two' '18 bytes' -- "$U" "$G/stdin_cat.elf"
    expect "--stats reports exits and hypercalls" 0 'ukmon stats pid' 'hypercalls' 'exit=1' -- \
        "$U" --stats "$G/exit_status.elf" 0
    expect "--trace shows each hypercall with its result" 0 'write(1, ' ') = ' 'exit(0)' -- \
        "$U" --trace "$E/hello.elf"

    # Hostile hypercall arguments: errors for the guest, never a monitor crash.
    cat >"$TMP/hc.want" <<'W'
end of memory, length 0: ok
end of memory, length 1: EFAULT
last byte, length 1: ok
last byte, length 2: EFAULT
near 2^64: EFAULT
length wraps around: EFAULT
length 4 GiB: EFAULT
length 2^64-1: EFAULT
fd 1000: EBADF
fd -1: EBADF
fd 2^40: EBADF
read past the end: EFAULT
W
    expect_exact "bad addresses, lengths and fds give EFAULT/EBADF" 0 "$TMP/hc.want" -- \
        "$U" "$G/hc_args.elf"

    cat >"$TMP/perm.want" <<'W'
read into the ring-0 exception stubs: EFAULT
read into the page tables: EFAULT
read into its own text: EFAULT
read into read-only data: EFAULT
read into the boot info: EFAULT
write from the GDT: EFAULT
write from the boot info: ok
write from its own text: ok
readv into the IDT: EFAULT
poll with its array in read-only data: EFAULT
and ordinary buffers still work: ok
W
    expect_exact "buffers must be ring-3 memory: no writing the monitor's pages or own text" 0 \
        "$TMP/perm.want" -- "$U" "$G/hc_perm.elf"

    # Faults: one line naming the cause, exit 128 + the signal a process would get.
    expect_error "NULL read is a page fault" 139 'page fault at rip 0x[0-9a-f]*: read of address 0x0 (not mapped)' -- "$U" "$G/fault.elf" null-read
    expect_error "NULL write is a page fault" 139 'write of address 0x8 (not mapped)' -- "$U" "$G/fault.elf" null-write
    expect_error "write to own text faults" 139 'write of address 0x2[0-9a-f]* (protection violation)' -- "$U" "$G/fault.elf" write-text
    expect_error "executing data faults (NX)" 139 'instruction fetch of address' -- "$U" "$G/fault.elf" exec-data
    expect_error "access past guest memory faults" 139 'read of address 0xc0000000' -- "$U" "$G/fault.elf" past-memory
    expect_error "monitor structures are not guest-readable" 139 'read of address 0x1000 (protection violation)' -- "$U" "$G/fault.elf" low-area
    expect_error "invalid opcode" 132 'invalid opcode (vector 6)' -- "$U" "$G/fault.elf" ud2
    expect_error "divide error" 136 'divide error (vector 0)' -- "$U" "$G/fault.elf" div0
    expect_error "stack overflow hits the guard page" 139 'stack overflow' -- "$U" "$G/fault.elf" stack-overflow
    expect_error "abort()" 134 'guest aborted' -- "$U" "$G/fault.elf" abort
    expect "assert() failure prints and aborts" 134 'assertion failed: zero == 1' 'guest aborted' -- "$U" "$G/fault.elf" assert
    expect_error "hlt at CPL3 is a #GP" 139 'general protection fault' -- "$U" "$G/fault.elf" hlt
    expect_error "cli at CPL3 is a #GP" 139 'general protection fault' -- "$U" "$G/fault.elf" cli
    expect_error "OUT to a port that is not a hypercall" 139 'general protection fault' -- "$U" "$G/fault.elf" port-80
    expect_error "unknown hypercall number" 159 'unknown hypercall 100' -- "$U" "$G/fault.elf" hc-unknown
    expect_error "unused hypercall number" 159 'unknown hypercall 60' -- "$U" "$G/fault.elf" hc-unknown-low
    expect_error "IN instead of OUT" 159 'malformed hypercall 1 .*IN of 4 bytes' -- "$U" "$G/fault.elf" hc-in
    expect_error "OUTS to a hypercall port is refused" 159 'malformed hypercall 9 .*string I/O' -- "$U" "$G/fault.elf" outs
    expect_error "REP OUTS to a hypercall port is refused" 159 'malformed hypercall 9 .*string I/O' -- "$U" "$G/fault.elf" rep-outs
    expect "a hypercall right after a 0x6f byte still works" 0 'after a 0x6f byte: ok' -- "$U" "$G/fault.elf" hc-after-6f
    expect_error "wrong access size" 159 'malformed hypercall 1 .*OUT of 1 bytes' -- "$U" "$G/fault.elf" hc-byte
    expect_error "hypercall argument outside memory" 139 'argument at 0xfffffff0 is outside the guest.s writable memory' -- "$U" "$G/fault.elf" hc-arg-outside
    expect_error "hypercall argument at the last byte" 139 'argument at 0x3ffffff is outside the guest.s writable memory' -- "$U" --mem 64M "$G/fault.elf" hc-arg-last-byte

    # Bad input on the command line and in the ELF file: one line, exit 125.
    printf 'not an elf\n' >"$TMP/text.elf"
    : >"$TMP/empty.elf"
    head -c 100 "$E/hello.elf" >"$TMP/trunc.elf"
    head -c 20000 "$E/hello.elf" >"$TMP/short.elf"
    mkdir -p "$TMP/dir.elf"
    cp "$E/hello.elf" "$TMP/noread.elf" && chmod 000 "$TMP/noread.elf"
    expect_error "missing file" 125 'nope.elf: No such file or directory' -- "$U" "$TMP/nope.elf"
    expect_error "directory" 125 'dir.elf: is a directory' -- "$U" "$TMP/dir.elf"
    expect_error "empty file" 125 'empty.elf: not an ELF file' -- "$U" "$TMP/empty.elf"
    expect_error "text file" 125 'text.elf: not an ELF file' -- "$U" "$TMP/text.elf"
    expect_error "truncated ELF" 125 'trunc.elf: ' -- "$U" "$TMP/trunc.elf"
    expect_error "ELF cut inside a segment" 125 'short.elf: .*segment [0-9]*.* past the end of the file' -- "$U" "$TMP/short.elf"
    expect_error "dynamically linked host program, no files" 125 'required file not found (its interpreter' -- "$U" /bin/true
    if [ "$(id -u)" != 0 ]; then
        expect_error "unreadable file" 125 'Permission denied' -- "$U" "$TMP/noread.elf"
    fi
    expect_error "memory size too small" 125 'must be a multiple of 2 MiB from 8 MiB' -- "$U" --mem 4M "$E/hello.elf"
    expect_error "memory size too large" 125 'must be a multiple of 2 MiB' -- "$U" --mem 5G "$E/hello.elf"
    expect_error "memory size not a number" 125 '--mem lots: not a size' -- "$U" --mem lots "$E/hello.elf"
    expect_error "image too large for memory" 125 'segment 2: .* is outside guest memory' -- "$U" --mem 8M "$G/big_bss.elf"
    expect "no unikernel given: usage, exit 125" 125 'usage: ukmon' -- "$U"
    expect "unknown option: usage, exit 125" 125 'usage: ukmon' -- "$U" --frobnicate "$E/hello.elf"
    expect "--help documents options and exit codes" 0 '--mem SIZE' 'exit status' -- "$U" --help
    expect "--version names the ABI" 0 'hypercall ABI 2' -- "$U" --version
    expect "a huge argv is refused, not crashed on" 125 'argument list too long' -- \
        "$U" "$E/hello.elf" $(for i in $(seq 18); do head -c 100000 /dev/zero | tr '\0' x; echo; done)

    # KVM_GET_SUPPORTED_CPUID's answer is kept per host (kvm/cpuid_cache.c): a file that
    # is garbage, or not the monitor's own, is never used, and a good one replaces it.
    local cache=/run/ukmon/cpuid
    if [ "$(id -u)" = 0 ] && mkdir -p /run/ukmon 2>/dev/null && [ -w /run/ukmon ]; then
        head -c 2544 /dev/urandom >"$cache.test" && mv "$cache.test" "$cache"
        local junk
        junk=$(md5sum <"$cache")
        expect "a garbage CPUID cache is not used" 0 'Hello from a unikernel' 'sqrt(2)' -- \
            sh -c "$U $E/hello.elf && $U $G/float_math.elf"
        if [ "$(md5sum <"$cache")" != "$junk" ] && "$U" "$E/hello.elf" >/dev/null; then
            pass "the CPUID cache is written again from KVM, and used"
        else
            fail "the CPUID cache is written again from KVM, and used" "file unchanged"
        fi
    else
        skip "the CPUID cache" "/run/ukmon is not writable here"
    fi

    # The library, embedded: console output captured through a memfd; and an app of
    # one's own, built with the compiler wrapper.
    if [ "$M" = "$B" ]; then
        printf '#include <stdio.h>\n#include <stdlib.h>\nint main(int c, char **v) { printf("own app: %%s\\n", v[c - 1]); return 6; }\n' >"$TMP/own.c"
        if "$B/ukmon-cc" -O2 -o "$TMP/own.elf" "$TMP/own.c" 2>"$TMP/err"; then
            expect "an app built with ukmon-cc runs" 6 'own app: works' -- "$U" "$TMP/own.elf" works
        else
            fail "an app built with ukmon-cc runs" "ukmon-cc failed: $(head -3 "$TMP/err")"
        fi
        expect "libukmon embedded in a host program" 0 'captured' '| Hello from a unikernel' \
            'guest exit code: 4' -- "$B/embed" "$E/hello.elf" --exit 4
    fi
}
