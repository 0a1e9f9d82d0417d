/*
 * syscall_probe: one kind of call, N times, each timed by the caller; for the profile
 * of bench/profile.sh. Built for the host (a static Linux program: run as is, and under
 * ukmon as a Linux program) and as a unikernel (the null hypercall only).
 *
 *   syscall_probe getppid N
 *   syscall_probe write_null N          1 byte to /dev/null
 *   syscall_probe pread4k N FILE        4 KiB at offset 0 of FILE (in the page cache)
 *   syscall_probe pingpong N            1 byte there and back between two processes
 *   syscall_probe null N                (unikernel) the null hypercall
 *
 * Every call is made with r14 = PROF_GUEST_MAGIC, r12 = the TSC just before it and r13
 * = the TSC just after the previous one returned: a UKMON_PROFILE monitor reads them
 * at the exit and splits each call into the legs inside KVM_RUN and its own work
 * (monitor/profile.h). Elsewhere the registers mean nothing. The guest's TSC is the
 * host's, so the result line's times are microseconds in both places.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#ifdef __ukmon__
#include "ukmon_abi.h"
#endif

#define PROF_GUEST_MAGIC 0x756b70726f66ULL /* monitor/profile.h */

static uint64_t tsc_after; /* r13 for the next call */
static int64_t last_ns;    /* the last call's round trip as the caller saw it, in TSC */

#ifndef __ukmon__
/* A Linux system call, wrapped in TSC reads. */
static long pcall(long nr, long a1, long a2, long a3, long a4)
{
    long ret;
    uint64_t before;
    register long r10 __asm__("r10") = a4;
    register uint64_t r12 __asm__("r12");
    register uint64_t r13 __asm__("r13") = tsc_after;
    register uint64_t r14 __asm__("r14") = PROF_GUEST_MAGIC;
    __asm__ volatile("rdtsc\n\t"
                     "shl $32, %%rdx\n\t"
                     "or %%rdx, %%rax\n\t"
                     "mov %%rax, %%r12\n\t"
                     "mov %[a3], %%rdx\n\t"
                     "mov %[nr], %%rax\n\t"
                     "syscall\n\t"
                     "mov %%rax, %%r15\n\t"
                     "rdtsc\n\t"
                     "shl $32, %%rdx\n\t"
                     "or %%rdx, %%rax\n\t"
                     "mov %%rax, %%r13\n\t"
                     "mov %%r15, %%rax\n\t"
                     : "=&a"(ret), "+r"(r13), "=&r"(r12)
                     : [nr] "r"(nr), "D"(a1), "S"(a2), [a3] "r"(a3), "r"(r10), "r"(r14)
                     : "rcx", "r11", "rdx", "r15", "memory");
    before = r12;
    tsc_after = r13;
    last_ns = (int64_t)(r13 - before);
    return ret;
}
#else
/* The null hypercall (out %eax, %dx), wrapped in TSC reads. */
static long pcall_null(void)
{
    static struct ukmon_hc_ret arg;
    register uint64_t r12 __asm__("r12");
    register uint64_t r13 __asm__("r13") = tsc_after;
    register uint64_t r14 __asm__("r14") = PROF_GUEST_MAGIC;
    __asm__ volatile("rdtsc\n\t"
                     "shl $32, %%rdx\n\t"
                     "or %%rdx, %%rax\n\t"
                     "mov %%rax, %%r12\n\t"
                     "mov %[port], %%edx\n\t"
                     "mov %[gpa], %%eax\n\t"
                     "outl %%eax, %%dx\n\t"
                     "rdtsc\n\t"
                     "shl $32, %%rdx\n\t"
                     "or %%rdx, %%rax\n\t"
                     "mov %%rax, %%r13\n\t"
                     : "+r"(r13), "=&r"(r12)
                     : [port] "i"(UKMON_HC_PORT_BASE + UKMON_HC_NULL),
                       [gpa] "r"((uint32_t)(uintptr_t)&arg), "r"(r14)
                     : "rax", "rdx", "memory");
    last_ns = (int64_t)(r13 - r12);
    tsc_after = r13;
    return 0;
}
#endif

/* TSC ticks per microsecond, against CLOCK_MONOTONIC. */
static double tsc_per_us(void)
{
    uint32_t lo, hi;
    int64_t n0 = now_ns();
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    uint64_t t0 = ((uint64_t)hi << 32) | lo;
    while (now_ns() - n0 < 20000000)
        ;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    uint64_t t1 = ((uint64_t)hi << 32) | lo;
    return (double)(t1 - t0) / ((now_ns() - n0) / 1e3);
}

static void report_tsc(const char *name, int64_t *t, int n, double rate)
{
    for (int i = 0; i < n; i++)
        t[i] = (int64_t)(t[i] * 1000 / rate); /* TSC to ns */
    report_us(name, t, n);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        printf("usage: syscall_probe getppid|write_null|pread4k|pingpong|null N [FILE]\n");
        return 2;
    }
    const char *mode = argv[1];
    int n = atoi(argv[2]);
    if (n <= 0)
        return 2;
    double rate = tsc_per_us();
    int64_t *t = calloc((size_t)n, sizeof(int64_t));
    char name[64];
    snprintf(name, sizeof(name), "probe_%s", mode);
#ifdef __ukmon__
    if (strcmp(mode, "null") != 0) {
        printf("syscall_probe: only 'null' in the unikernel build\n");
        return 2;
    }
    for (int i = 0; i < n; i++) {
        pcall_null();
        t[i] = last_ns;
    }
#else
    if (!strcmp(mode, "getppid")) {
        for (int i = 0; i < n; i++) {
            pcall(110 /* getppid */, 0, 0, 0, 0);
            t[i] = last_ns;
        }
    } else if (!strcmp(mode, "write_null")) {
        int fd = open("/dev/null", O_WRONLY);
        char c = 'x';
        for (int i = 0; i < n && fd >= 0; i++) {
            if (pcall(1 /* write */, fd, (long)&c, 1, 0) != 1)
                return 1;
            t[i] = last_ns;
        }
    } else if (!strcmp(mode, "pread4k")) {
        int fd = argc > 3 ? open(argv[3], O_RDONLY) : -1;
        static char buf[4096];
        if (fd < 0) {
            printf("syscall_probe: pread4k needs a readable FILE of 4 KiB or more\n");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            if (pcall(17 /* pread64 */, fd, (long)buf, sizeof(buf), 0) != sizeof(buf))
                return 1;
            t[i] = last_ns;
        }
    } else if (!strcmp(mode, "pingpong")) {
        int ab[2], ba[2];
        if (pipe(ab) < 0 || pipe(ba) < 0)
            return 1;
        pid_t pid = fork();
        char c = 0;
        if (pid == 0) {
            for (int i = 0; i < n; i++)
                if (pcall(0 /* read */, ab[0], (long)&c, 1, 0) != 1 ||
                    pcall(1 /* write */, ba[1], (long)&c, 1, 0) != 1)
                    _exit(1);
            _exit(0);
        }
        for (int i = 0; i < n; i++) {
            uint32_t lo, hi;
            __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
            uint64_t t0 = ((uint64_t)hi << 32) | lo;
            if (pcall(1, ab[1], (long)&c, 1, 0) != 1 || pcall(0, ba[0], (long)&c, 1, 0) != 1)
                return 1;
            t[i] = (int64_t)(tsc_after - t0);
        }
        waitpid(pid, NULL, 0);
    } else {
        printf("syscall_probe: unknown mode %s\n", mode);
        return 2;
    }
#endif
    report_tsc(name, t, n, rate);
    return 0;
}
