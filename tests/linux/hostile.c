/* hostile.c: bad arguments to Linux system calls: errors, never a monitor crash. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "lxtest.h"

/* Addresses the optimizer cannot see through. */
static void *addr(uintptr_t a)
{
    __asm__("" : "+r"(a));
    return (void *)a;
}

static void call_outside(void)
{
    /* a system call made from memory outside the guest's: never gets that far */
    ((void (*)(void))addr(0xdead0000))();
}

int main(void)
{
    char buf[16];
    say("unknown system call 1000: %s\n", RES(syscall(1000)));
    say("unknown system call 2^63: %s\n", RES(syscall(0x8000000000000000ULL)));
    say("read into NULL: %s\n", RES(read(0, addr(0), 4)));
    say("read into the monitor's pages: %s\n", RES(read(0, addr(0x1000), 4)));
    say("write from past the end of memory: %s\n", RES(write(1, addr(0xfff00000), 4)));
    say("write with a length that wraps: %s\n", RES(write(1, buf, (size_t)addr(-8))));
    say("write from near 2^64: %s\n", RES(write(1, addr(UINT64_MAX - 2), 4)));
    say("read into the program's own text: %s\n", RES(read(0, addr((uintptr_t)main), 4)));
    struct iovec iov[2] = {{buf, 4}, {addr(0x10), 4}};
    say("writev with a bad iovec: %s\n", RES(writev(1, iov, 2)));
    say("writev with 2^20 iovecs: %s\n", RES(writev(1, iov, (int)(uintptr_t)addr(1 << 20))));
    say("write to fd -1: %s\n", RES(write(-1, buf, 1)));
    say("write to fd 2^31-1: %s\n", RES(write(0x7fffffff, buf, 1)));
    say("close of fd 5000: %s\n", RES(close(5000)));
    say("dup2 onto fd 5000: %s\n", RES(dup2(1, 5000)));
    say("pipe into NULL: %s\n", RES(pipe(addr(0))));
    say("open of a path in NULL: %s\n", RES(open(addr(0), O_RDONLY)));
    char *longpath = malloc(8192);
    memset(longpath, 'a', 8191);
    longpath[8191] = 0;
    say("open of a path with no NUL in 4096 bytes: %s\n", RES(open(longpath, O_RDONLY)));
    /* a path that runs into the end of guest memory */
    char *end = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(end, 'b', 4096);
    munmap(end + 4096, 4096);
    mprotect(end, 4096, PROT_READ);
    say("open of a path that runs into unmapped memory: %s\n", RES(open(end + 4000, O_RDONLY)));
    say("mmap of 2^63 bytes: %s\n", mmap(NULL, 1ULL << 63, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? ename(errno) : "mapped");
    say("mprotect of a range that wraps: %s\n", RES(mprotect(addr(UINT64_MAX & ~4095ULL), 8192, PROT_READ)));
    say("munmap of the monitor's pages: %s\n", RES(munmap(addr(0x1000), 4096)));
    say("brk to 2^63: %s\n", (uintptr_t)syscall(SYS_brk, 1ULL << 63) == (uintptr_t)syscall(SYS_brk, 0) ? "refused" : "moved");
    say("rt_sigaction with a bad size: %s\n", RES(syscall(SYS_rt_sigaction, 10, NULL, NULL, 3)));
    say("clock_gettime into NULL: %s\n", RES(syscall(SYS_clock_gettime, 1, addr(0))));
    say("arch_prctl(SET_FS) non-canonical: %s\n", RES(syscall(SYS_arch_prctl, 0x1002, 0x8000000000000000ULL)));
    say("wait4 into a bad status pointer: ");
    pid_t c = fork();
    if (c == 0)
        _exit(3);
    say("%s\n", RES(wait4(c, addr(0x1000), 0, NULL)));
    say("a jump outside memory, in a child: %s\n", in_child(call_outside));
    say("still standing\n");
    return 0;
}
