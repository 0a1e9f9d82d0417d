/* clock.c: clocks read from the TSC without a VM exit, sleeps in the monitor. */
#include <errno.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "hypercall.h"
#include "ukmon_guest.h"

/* Last monotonic value handed out; a forked child inherits it, so never goes back. */
static int64_t last_mono;
static int64_t start_mono = -1;

uint64_t ukmon_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static int64_t hc_clock(uint64_t id)
{
    struct ukmon_hc_clock a = {.clock = id};
    hypercall(UKMON_HC_CLOCK, &a);
    return a.ns;
}

static int64_t tsc_elapsed_ns(const struct ukmon_boot_info *bi)
{
    int64_t d = (int64_t)(ukmon_rdtsc() - bi->tsc_base);
    if (d < 0)
        d = 0;
    return (int64_t)(((unsigned __int128)(uint64_t)d * bi->tsc_mult) >> 32);
}

int64_t ukmon_monotonic_ns(void)
{
    const struct ukmon_boot_info *bi = ukmon_boot_info();
    int64_t v = (bi->flags & UKMON_BOOT_TSC_CLOCK) ? bi->mono_base_ns + tsc_elapsed_ns(bi)
                                                   : hc_clock(UKMON_CLOCK_MONOTONIC);
    if (v < last_mono)
        v = last_mono;
    last_mono = v;
    return v;
}

static int64_t realtime_ns(void)
{
    const struct ukmon_boot_info *bi = ukmon_boot_info();
    if (bi->flags & UKMON_BOOT_TSC_CLOCK)
        return bi->wall_base_ns + tsc_elapsed_ns(bi);
    return hc_clock(UKMON_CLOCK_REALTIME);
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
    int64_t ns;
    switch (id) {
    case CLOCK_REALTIME:
        ns = realtime_ns();
        break;
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_BOOTTIME:
        ns = ukmon_monotonic_ns();
        break;
    case CLOCK_PROCESS_CPUTIME_ID:
        ns = (int64_t)clock() * 1000;
        break;
    default:
        errno = EINVAL;
        return -1;
    }
    ts->tv_sec = ns / 1000000000LL;
    ts->tv_nsec = ns % 1000000000LL;
    return 0;
}

time_t time(time_t *t)
{
    time_t now = (time_t)(realtime_ns() / 1000000000LL);
    if (t)
        *t = now;
    return now;
}

int gettimeofday(struct timeval *tv, void *tz)
{
    (void)tz;
    int64_t ns = realtime_ns();
    tv->tv_sec = ns / 1000000000LL;
    tv->tv_usec = (ns % 1000000000LL) / 1000;
    return 0;
}

clock_t clock(void)
{
    int64_t now = ukmon_monotonic_ns();
    if (start_mono < 0)
        start_mono = (int64_t)ukmon_boot_info()->mono_base_ns;
    if (start_mono <= 0)
        start_mono = now;
    return (clock_t)((now - start_mono) / 1000);
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (req->tv_nsec < 0 || req->tv_nsec >= 1000000000L || req->tv_sec < 0) {
        errno = EINVAL;
        return -1;
    }
    int64_t ns = req->tv_sec > INT64_MAX / 1000000000LL - 1 ? INT64_MAX
                 : req->tv_sec * 1000000000LL + req->tv_nsec;
    struct ukmon_hc_nanosleep a = {.ns = ns};
    hypercall(UKMON_HC_NANOSLEEP, &a);
    if (rem) {
        rem->tv_sec = 0;
        rem->tv_nsec = 0;
    }
    return (int)__syscall_ret(a.ret);
}

unsigned int sleep(unsigned int seconds)
{
    struct timespec ts = {.tv_sec = seconds, .tv_nsec = 0};
    return nanosleep(&ts, NULL) == 0 ? 0 : seconds;
}

int usleep(unsigned long usec)
{
    struct timespec ts = {.tv_sec = (time_t)(usec / 1000000), .tv_nsec = (long)(usec % 1000000) * 1000};
    return nanosleep(&ts, NULL);
}
