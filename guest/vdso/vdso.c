/*
 * vdso.c: the vDSO of Linux programs under ukmon: clock_gettime, gettimeofday and
 * time from the TSC, without a VM exit, as ukmon unikernels read their clocks. What
 * it cannot answer it hands to the real system call. Built as a tiny shared object
 * with no relocations (vdso.lds); the monitor copies it into each program's memory.
 */
#include <stdint.h>
#include <time.h>

#include "vvar.h"

struct timeval_k {
    long tv_sec;
    long tv_usec;
};

static const volatile struct lx_vvar *vvar(void)
{
    return (const volatile struct lx_vvar *)LX_VVAR_ADDR;
}

static long sys2(long nr, long a, long b)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "0"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return r;
}

static int64_t tsc_ns(const volatile struct lx_vvar *v, int64_t base)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    int64_t d = (int64_t)((((uint64_t)hi << 32) | lo) - v->tsc_base);
    if (d < 0)
        d = 0;
    return base + (int64_t)(((unsigned __int128)(uint64_t)d * v->tsc_mult) >> 32);
}

/* The clocks the TSC can give; -1 for the rest. */
static int64_t clock_ns(clockid_t clk)
{
    const volatile struct lx_vvar *v = vvar();
    if (!v->valid)
        return -1;
    switch (clk) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
        return tsc_ns(v, v->wall_base_ns);
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_BOOTTIME:
        return tsc_ns(v, v->mono_base_ns);
    default:
        return -1;
    }
}

int __vdso_clock_gettime(clockid_t clk, struct timespec *ts)
{
    int64_t ns = clock_ns(clk);
    if (ns < 0)
        return (int)sys2(228 /* clock_gettime */, clk, (long)ts);
    ts->tv_sec = ns / 1000000000;
    ts->tv_nsec = ns % 1000000000;
    return 0;
}

int __vdso_gettimeofday(struct timeval_k *tv, void *tz)
{
    int64_t ns = clock_ns(CLOCK_REALTIME);
    if (ns < 0 || tz)
        return (int)sys2(96 /* gettimeofday */, (long)tv, (long)tz);
    if (tv) {
        tv->tv_sec = ns / 1000000000;
        tv->tv_usec = ns % 1000000000 / 1000;
    }
    return 0;
}

long __vdso_time(long *t)
{
    int64_t ns = clock_ns(CLOCK_REALTIME);
    if (ns < 0)
        return sys2(201 /* time */, (long)t, 0);
    long s = ns / 1000000000;
    if (t)
        *t = s;
    return s;
}

int __vdso_clock_getres(clockid_t clk, struct timespec *ts)
{
    return (int)sys2(229 /* clock_getres */, clk, (long)ts);
}

/* One vCPU per VM. */
int __vdso_getcpu(unsigned *cpu, unsigned *node, void *cache)
{
    (void)cache;
    if (cpu)
        *cpu = 0;
    if (node)
        *node = 0;
    return 0;
}

/* The names without __vdso_, as some libraries look them up. */
int clock_gettime(clockid_t, struct timespec *) __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct timeval_k *, void *) __attribute__((weak, alias("__vdso_gettimeofday")));
long time(long *) __attribute__((weak, alias("__vdso_time")));
int clock_getres(clockid_t, struct timespec *) __attribute__((weak, alias("__vdso_clock_getres")));
int getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
