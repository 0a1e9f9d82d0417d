/* mem.c: memory calls under the Linux personality: brk, mmap, mprotect, mremap. */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "lxtest.h"

static volatile char *victim;

static void touch(void)
{
    victim[0] = 1;
}

static void peek(void)
{
    (void)victim[0];
}

int main(void)
{
    /* The raw call: musl's sbrk() takes no increment, and the libraries' own use of
     * the break (glibc's malloc) is theirs. */
    char *b0 = (char *)syscall(SYS_brk, 0);
    char *b1 = (char *)syscall(SYS_brk, b0 + (1 << 20));
    say("brk grows by 1 MiB: %s\n", b1 == b0 + (1 << 20) ? "yes" : "no");
    memset(b0, 0xab, 1 << 20);
    say("brk memory usable: %s\n", b0[(1 << 20) - 1] == (char)0xab ? "yes" : "no");
    b1 = (char *)syscall(SYS_brk, b0);
    say("brk shrinks back: %s\n", b1 == b0 ? "yes" : "no");
    b1 = (char *)syscall(SYS_brk, 4096);
    say("brk below the program: %s\n", b1 == b0 ? "refused" : "moved");

    char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    say("mmap: %s, zero-filled: %s\n", m == MAP_FAILED ? ename(errno) : "ok",
        m[0] == 0 && m[3 * 4096 - 1] == 0 ? "yes" : "no");
    memset(m, 7, 3 * 4096);
    say("munmap of the middle page: %s\n", RES(munmap(m + 4096, 4096)));
    victim = m + 4096;
    say("touching the hole: %s\n", in_child(touch));
    victim = m;
    say("the pages around it still work: %s\n", m[0] == 7 && m[8192] == 7 ? "yes" : "no");
    say("mprotect(PROT_READ): %s\n", RES(mprotect(m, 4096, PROT_READ)));
    say("reading it: %s\n", in_child(peek));
    say("writing it: %s\n", in_child(touch));
    const char *r = RES(mprotect(m, 4096, PROT_NONE));
    say("mprotect(PROT_NONE), then reading: %s, %s\n", r, in_child(peek));
    r = RES(mprotect(m, 4096, PROT_READ | PROT_WRITE));
    say("mprotect back to read/write keeps the data: %s, %s\n", r, m[0] == 7 ? "yes" : "no");

    char *f = mmap(m + 4096, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    say("MAP_FIXED into the hole: %s\n", f == m + 4096 ? "there" : "elsewhere");
    f = mmap(m, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    say("MAP_FIXED_NOREPLACE over a mapping: %s\n", f == MAP_FAILED ? ename(errno) : "mapped");
    f = mmap((void *)0x1000, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    say("MAP_FIXED over the monitor's low pages: %s\n", f == MAP_FAILED ? ename(errno) : "mapped");
    f = mmap((void *)main, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    say("MAP_FIXED over the program: %s\n", f == MAP_FAILED ? "refused" : "mapped");
    say("mprotect making the program's text writable: %s\n",
        RES(mprotect((void *)((uintptr_t)main & ~4095UL), 4096, PROT_READ | PROT_WRITE)));

    char *rm = mremap(m, 3 * 4096, 64 * 4096, MREMAP_MAYMOVE);
    say("mremap grows to 256 KiB: %s, contents kept: %s\n", rm == MAP_FAILED ? ename(errno) : "ok",
        rm != MAP_FAILED && rm[0] == 7 && rm[8192] == 7 ? "yes" : "no");
    rm[100 * 1024] = 5;
    const char *ok = RES(madvise(rm, 64 * 4096, MADV_DONTNEED));
    say("madvise(MADV_DONTNEED) zeroes: %s, %s\n", ok, rm[0] == 0 && rm[100 * 1024] == 0 ? "yes" : "no");
    say("munmap of all of it: %s\n", RES(munmap(rm, 64 * 4096)));
    say("munmap of an unaligned address: %s\n", RES(munmap(rm + 1, 4096)));

    /* Memory runs out at --mem, as ENOMEM, not a crash. */
    size_t got = 0;
    for (;;) {
        void *x = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (x == MAP_FAILED)
            break;
        got += 4;
    }
    say("mmap until it fails: %s after %s 32 MiB\n", ename(errno), got >= 32 ? "at least" : "less than");
    void *volatile big = malloc(64 << 20); /* volatile: clang drops a malloc only tested for NULL */
    say("malloc(64 MiB) in a 64 MiB guest: %s\n", big ? "succeeded" : "NULL");
    return 0;
}
