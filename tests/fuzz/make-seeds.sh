#!/usr/bin/env bash
# make-seeds.sh: regenerates the seed corpora of the fuzz targets in tests/fuzz/corpus/.
# Usage: tests/fuzz/make-seeds.sh [BUILD_DIR]   (relative to the current directory)
#
#   corpus/hypercall/  one input per hypercall (byte 0 = number, bytes 1..4 = the
#                      argument's guest address, the rest lands at guest 0x300000;
#                      guest fds 0-2 are /dev/null, 3 the write end of a pipe,
#                      4 an empty regular file)
#   corpus/elf/        small hand-made ELF files, valid and broken one field at a time,
#                      and, when BUILD_DIR has them, two real unikernels, stripped
#                      (hello.elf, exit_status.elf; the symbols only make them larger)
#
# Needs only bash, dd and (for the real unikernels) strip. Runs from any directory.
set -euo pipefail
B=${1:-}
if [ -n "$B" ]; then
    B=$(cd "$B" && pwd) || { echo "make-seeds.sh: no directory $1" >&2; exit 1; }
fi
cd "$(dirname "$0")"

# Little-endian integers as raw bytes on stdout; negative values in two's complement.
le() { # le BYTES VALUE
    local n=$1 h i
    h=$(printf '%016x' "$2")
    for ((i = 14; i >= 16 - 2 * n; i -= 2)); do printf '%b' "\\x${h:i:2}"; done
}
u8() { le 1 "$1"; }
u16() { le 2 "$1"; }
u32() { le 4 "$1"; }
u64() { le 8 "$1"; }
zeros() { head -c $(($1)) /dev/zero; }
# Overwrites bytes of a file in place: put FILE OFFSET BYTES VALUE
put() { le "$3" "$4" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

# ---------------------------------------------------------------------------------
# Hypercall seeds. Layout in guest memory: the argument struct at 0x300000, buffers
# and arrays from 0x300040 (the input's byte 5 + 0x40).
# ---------------------------------------------------------------------------------
H=corpus/hypercall
rm -rf "$H"
mkdir -p "$H"
A=0x300000
BUF=0x300040
hc() { # hc NAME NR GPA: the struct and data come from stdin
    { u8 "$2"; u32 "$3"; cat; } >"$H/$1"
}
pad_to_buf() { zeros $((0x40 - $1)); } # after a struct of $1 bytes

{ u64 1; u64 $BUF; u64 5; u64 0; pad_to_buf 32; printf 'hello'; } | hc write-fd1 1 $A
# Bit 7 of the number turns --trace on (to /dev/null).
{ u64 1; u64 $BUF; u64 5; u64 0; pad_to_buf 32; printf 'hello'; } | hc write-fd1-traced 0x81 $A
{ u64 0; u64 $BUF; u64 16; u64 0; } | hc read-fd0 2 $A
{ u64 7; } | hc exit-7 3 $A
{ u64 $BUF; u64 5; pad_to_buf 16; printf 'boom\n'; } | hc abort-msg 4 $A
{ u64 1; u64 0; u64 0; } | hc clock-monotonic 5 $A
{ u64 2; u64 0; u64 0; } | hc clock-realtime 5 $A
{ u64 0x400000; u64 0; } | hc set-tls 6 $A
{ u64 0; } | hc fork 7 $A
{ u64 -1; u64 1; u64 0; u64 0; } | hc waitpid-any-wnohang 8 $A
{ u64 0; u64 0; u64 0; } | hc getpid 9 $A
{ u64 1000; u64 0; } | hc nanosleep-1us 10 $A
{ u64 0; } | hc yield 11 $A
{ u64 0; u64 0; u64 0; u64 0; } | hc pipe 12 $A
{ u64 2; u64 0; } | hc close-fd2 13 $A
{ u64 1; u64 -1; u64 0; } | hc dup-fd1 14 $A
{ u64 1; u64 0; u64 0; } | hc dup2-fd1-to-0 14 $A
# writev of two iovecs ("abc" and "defg"), then readv into the same two.
iov2() { u64 $((BUF + 0x20)); u64 3; u64 $((BUF + 0x30)); u64 4; }
iov2_data() { printf 'abc'; zeros 13; printf 'defg'; }
{ u64 1; u64 1; u64 $BUF; u64 2; u64 0; pad_to_buf 40; iov2; iov2_data; } | hc writev-2 15 $A
{ u64 0; u64 0; u64 $BUF; u64 2; u64 0; pad_to_buf 40; iov2; } | hc readv-2 15 $A
# poll fds 0 (POLLIN), 1 (POLLOUT), 7 (closed: POLLNVAL), timeout 0.
pfd() { u32 "$1"; u16 "$2"; u16 0; }
{ u64 $BUF; u64 3; u64 0; u64 0; pad_to_buf 32; pfd 0 1; pfd 1 4; pfd 7 1; } |
    hc poll-3-t0 16 $A
{ u64 $BUF; u64 1; u64 5; u64 0; pad_to_buf 32; pfd 1 4; } | hc poll-1-t5 16 $A
# fd 3 is the write end of a pipe: it never has input, so a poll for it waits.
{ u64 $BUF; u64 1; u64 2; u64 0; pad_to_buf 32; pfd 3 1; } | hc poll-pipe-in-t2 16 $A
{ u64 $BUF; u64 2; u64 3; u64 0; pad_to_buf 32; pfd 3 1; pfd 3 4; } |
    hc poll-pipe-in-out-t3 16 $A
{ u64 3; u64 $BUF; u64 16; u64 0; } | hc read-pipe-write-end 2 $A
{ u64 3; u64 $BUF; u64 5; u64 0; pad_to_buf 32; printf 'hello'; } | hc write-pipe 1 $A
{ u64 3; u64 0x200000; u64 0x600000; u64 0; } | hc write-pipe-6m 1 $A
{ u64 3; u64 0; } | hc close-pipe 13 $A
{ u64 0; u64 3; u64 0; } | hc dup2-fd0-to-3 14 $A
# fd 4 is an empty regular file (a memfd): read(2)/write(2) instead of io_uring.
{ u64 4; u64 $BUF; u64 5; u64 0; pad_to_buf 32; printf 'hello'; } | hc write-file 1 $A
{ u64 4; u64 $BUF; u64 16; u64 0; } | hc read-file 2 $A
{ u64 4; u64 1; u64 $BUF; u64 2; u64 0; pad_to_buf 40; iov2; iov2_data; } | hc writev-file 15 $A
{ u64 4; u64 -1; u64 0; } | hc dup-file 14 $A
{ u64 4; u64 1; u64 0; } | hc dup2-file-to-1 14 $A
{ u64 $BUF; u64 1; u64 1; u64 0; pad_to_buf 32; pfd 4 5; } | hc poll-file-t1 16 $A
{ u64 0; } | hc null 17 $A
{ u64 0; } | hc unknown-40 40 $A
# Embedder call 64: {len, base2, len2} checked with ukmon_vm_guest_ptr().
{ u64 24; u64 $BUF; u64 16; } | hc user-64 64 $A
{ u64 0; } | hc user-65-unregistered 65 $A
{ u64 1; u64 $BUF; u64 5; u64 0; } | hc write-arg-outside-memory 1 0xfffffff0
{ u64 1; u64 0x7fffff; u64 5; u64 0; } | hc write-buf-past-end 1 $A

# ---------------------------------------------------------------------------------
# ELF seeds. The base: ELF header, 3 program headers (PT_LOAD R+X over the whole
# file at 0x200000, PT_LOAD RW of bss at 0x201000, PT_NOTE with the ukmon ABI note),
# the note at 232 and 8 bytes of code at 256 (the entry).
# ---------------------------------------------------------------------------------
E=corpus/elf
rm -rf "$E"
mkdir -p "$E"
VA=0x200000
SIZE=264
PH=64 # program header i is at PH + 56 * i
NOTE=232
CODE=256
phdr() { u32 "$1"; u32 "$2"; u64 "$3"; u64 "$4"; u64 "$4"; u64 "$5"; u64 "$6"; u64 "$7"; }
ehdr() { # ehdr PHNUM
    printf '\x7fELF\x02\x01\x01'; zeros 9
    u16 2; u16 62; u32 1; u64 $((VA + CODE)); u64 $PH; u64 0; u32 0
    u16 64; u16 56; u16 "$1"; u16 64; u16 0; u16 0
}
note() { u32 6; u32 4; u32 1; printf 'ukmon\0\0\0'; u32 1; } # ABI version 1
code() { printf '\x31\xff\xeb\xfe\x90\x90\x90\x90'; } # xor edi,edi; jmp .
base() {
    ehdr 3
    phdr 1 5 0 $VA $SIZE $SIZE 0x1000
    phdr 1 6 0 $((VA + 0x1000)) 0 0x2000 0x1000
    phdr 4 4 $NOTE $((VA + NOTE)) 24 24 4
    zeros $((NOTE - PH - 3 * 56))
    note
    code
}
base >"$E/min-valid"
# variant NAME OFFSET BYTES VALUE [OFFSET BYTES VALUE...]: the base with fields changed
variant() {
    local f="$E/$1"
    shift
    cp "$E/min-valid" "$f"
    while [ $# -ge 3 ]; do
        put "$f" "$1" "$2" "$3"
        shift 3
    done
}
P0=$PH P1=$((PH + 56)) P2=$((PH + 112)) # program headers; fields: +0 type, +4 flags,
                                          # +8 offset, +16 vaddr, +24 paddr,
                                          # +32 filesz, +40 memsz
variant bad-magic 1 1 0x58
variant class32 4 1 1
variant big-endian 5 1 2
variant ident-version0 6 1 0
variant type-dyn 16 2 3
variant type-rel 16 2 1
variant machine-i386 18 2 3
variant version2 20 4 2
variant phentsize-32 54 2 32
variant phnum-0 56 2 0
variant phnum-past-eof 56 2 40
variant phnum-65 56 2 65
zeros $((4096 - SIZE)) >>"$E/phnum-65" # room for 65 headers
variant phoff-past-eof 32 8 0x10000
variant entry-not-exec 24 8 $((VA + 0x1000))
variant entry-outside 24 8 0x100000
variant load-below-min $((P0 + 16)) 8 0x1ff000 $((P0 + 24)) 8 0x1ff000 24 8 0x1ff100
variant load-past-64m $((P1 + 16)) 8 0x4000000 $((P1 + 24)) 8 0x4000000
variant load-past-8m $((P1 + 16)) 8 0x800000 $((P1 + 24)) 8 0x800000
variant load-wrap $((P1 + 16)) 8 -0x1000 $((P1 + 24)) 8 -0x1000
variant load-wx $((P0 + 4)) 4 7
variant paddr-differs $((P0 + 24)) 8 0x300000
variant filesz-gt-memsz $((P1 + 32)) 8 0x3000
variant offset-past-eof $((P0 + 8)) 8 0x1000
variant offset-wrap $((P0 + 8)) 8 -16
variant overlap $((P1 + 16)) 8 $((VA + 0x80)) $((P1 + 24)) 8 $((VA + 0x80))
variant rw-shares-exec-page $((P1 + 16)) 8 $((VA + 0x200)) $((P1 + 24)) 8 $((VA + 0x200))
variant interp $((P2 + 0)) 4 3
variant dynamic $((P2 + 0)) 4 2
variant tls $((P2 + 0)) 4 7
variant no-note $((P2 + 0)) 4 6
variant note-past-eof $((P2 + 8)) 8 0x1000
variant note-truncated $((P2 + 32)) 8 20
variant note-namesz-huge $NOTE 4 0xfffffff0
variant note-abi-2 $((NOTE + 20)) 4 2
variant note-wrong-name $((NOTE + 12)) 1 0x55
variant memsz-0-load $((P1 + 40)) 8 0
head -c 40 "$E/min-valid" >"$E/truncated-ehdr"
head -c 150 "$E/min-valid" >"$E/truncated-phdrs"
# PN_XNUM: e_phnum 0xffff, the real count (3) in sh_info of section header 0.
{ cat "$E/min-valid"; u32 0; u32 0; u64 0; u64 0; u64 0; u64 0; u32 0; u32 3; u64 0; u64 0; } \
    >"$E/phnum-xnum"
put "$E/phnum-xnum" 56 2 0xffff
put "$E/phnum-xnum" 40 8 $SIZE
put "$E/phnum-xnum" 58 2 64
put "$E/phnum-xnum" 60 2 1
# 17 loadable segments (one more than the loader takes), 1 page apart; note at 0x500.
{
    ehdr 18
    phdr 1 5 0 $VA 0x500 0x500 0x1000
    for i in $(seq 1 16); do phdr 1 4 0 $((VA + i * 0x1000)) 0 0x10 0x1000; done
    phdr 4 4 0x500 $((VA + 0x500)) 24 24 4
    zeros $((0x500 - PH - 18 * 56))
    note
} >"$E/load-17"
put "$E/load-17" 24 8 $VA

if [ -n "$B" ]; then
    for f in examples/hello.elf tests/guests/exit_status.elf; do
        if [ -f "$B/$f" ]; then
            strip -o "$E/$(basename "$f")" "$B/$f"
        else
            echo "make-seeds.sh: $B/$f not found (build it first); skipped" >&2
        fi
    done
fi
echo "make-seeds.sh: $(find "$H" -type f | wc -l) hypercall seeds," \
    "$(find "$E" -type f | wc -l) ELF seeds," \
    "$(du -cb "$H" "$E" | tail -1 | cut -f1) bytes"
