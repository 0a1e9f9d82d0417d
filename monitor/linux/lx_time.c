/* lx_time.c: Linux clock and sleep calls. */
#include <errno.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>

#include "kernel/io.h"
#include "kernel/proc.h"
#include "kernel/sig.h"
#include "kernel/stats.h"
#include "linux/lx.h"

/* Clock ids Linux knows, 0 (REALTIME) to 11 (TAI), but the unused 10. */
static bool lx_clock_ok(uint64_t id)
{
    return id <= 11 && id != 10;
}

LX_HANDLER(lx_clock_gettime)
{
    if (!lx_clock_ok(a[0]))
        return -EINVAL;
    struct timespec ts;
    if (clock_gettime((clockid_t)a[0], &ts) < 0)
        return -errno;
    return lx_copy_out(vm, a[1], &ts, sizeof(ts));
}

LX_HANDLER(lx_clock_getres)
{
    if (!lx_clock_ok(a[0]))
        return -EINVAL;
    struct timespec ts;
    if (clock_getres((clockid_t)a[0], &ts) < 0)
        return -errno;
    return a[1] ? lx_copy_out(vm, a[1], &ts, sizeof(ts)) : 0;
}

LX_HANDLER(lx_gettimeofday)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct timeval tv = {.tv_sec = ts.tv_sec, .tv_usec = ts.tv_nsec / 1000};
    struct timezone tz = {0, 0};
    if (a[0] && lx_copy_out(vm, a[0], &tv, sizeof(tv)) < 0)
        return -EFAULT;
    if (a[1] && lx_copy_out(vm, a[1], &tz, sizeof(tz)) < 0)
        return -EFAULT;
    return 0;
}

LX_HANDLER(lx_time)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t t = ts.tv_sec;
    if (a[0] && lx_copy_out(vm, a[0], &t, sizeof(t)) < 0)
        return -EFAULT;
    return t;
}

/*
 * Sleeps until the absolute time `until` on `clk`. A signal that must reach the
 * guest, or a stop of the tree, cuts it short: -EINTR.
 */
static int64_t lx_sleep_until(struct ukmon_vm *vm, clockid_t clk, const struct timespec *until)
{
    struct timespec now;
    clock_gettime(clk, &now);
    int64_t secs;
    int64_t left = INT64_MAX / 2; /* for ever, as good as */
    if (!__builtin_sub_overflow(until->tv_sec, now.tv_sec, &secs) && secs < INT64_MAX / 4000000000LL)
        left = secs * 1000000000LL + (until->tv_nsec - now.tv_nsec);
    int64_t deadline = clock_ns(CLOCK_MONOTONIC) + (left > 0 ? left : 0);
    int r = sig_sleep(vm, deadline, 0);
    return r == -ETIMEDOUT ? 0 : -EINTR;
}

static int64_t lx_sleep(struct ukmon_vm *vm, clockid_t clk, bool absolute, uint64_t req_gva,
                        uint64_t rem_gva)
{
    struct timespec req, now, until;
    if (lx_copy_in(vm, &req, req_gva, sizeof(req)) < 0)
        return -EFAULT;
    if (req.tv_sec < 0 || req.tv_nsec < 0 || req.tv_nsec >= 1000000000)
        return -EINVAL;
    clock_gettime(clk, &now);
    until = req;
    if (!absolute) {
        until.tv_nsec = now.tv_nsec + req.tv_nsec;
        long carry = until.tv_nsec >= 1000000000;
        until.tv_nsec -= carry ? 1000000000 : 0;
        if (__builtin_add_overflow(now.tv_sec, req.tv_sec, &until.tv_sec) ||
            __builtin_add_overflow(until.tv_sec, carry, &until.tv_sec)) {
            until.tv_sec = INT64_MAX; /* for ever, as good as */
            until.tv_nsec = 999999999;
        }
    }
    int64_t r = lx_sleep_until(vm, clk, &until);
    if (r == -EINTR && !absolute && rem_gva) {
        clock_gettime(clk, &now);
        struct timespec rem = {.tv_sec = until.tv_sec - now.tv_sec,
                               .tv_nsec = until.tv_nsec - now.tv_nsec};
        if (rem.tv_nsec < 0) {
            rem.tv_nsec += 1000000000;
            rem.tv_sec--;
        }
        if (rem.tv_sec < 0)
            rem.tv_sec = rem.tv_nsec = 0;
        lx_copy_out(vm, rem_gva, &rem, sizeof(rem));
    }
    return r;
}

LX_HANDLER(lx_nanosleep)
{
    return lx_sleep(vm, CLOCK_MONOTONIC, false, a[0], a[1]);
}

LX_HANDLER(lx_clock_nanosleep)
{
    clockid_t clk = (clockid_t)a[0];
    if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC && clk != CLOCK_BOOTTIME &&
        clk != CLOCK_TAI)
        return clk == CLOCK_THREAD_CPUTIME_ID ? -EINVAL : -EOPNOTSUPP;
    if (a[1] & ~(uint64_t)TIMER_ABSTIME)
        return -EINVAL;
    return lx_sleep(vm, clk, a[1] & TIMER_ABSTIME, a[2], a[3]);
}

/* timerfd: a host timerfd on the same clock (kernel/io_events.c). */
LX_HANDLER(lx_timerfd_create)
{
    return io_timerfd_create(vm, (int)a[0], (int)a[1]);
}

LX_HANDLER(lx_timerfd_settime)
{
    if (a[1] & ~(uint64_t)(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
        return -EINVAL;
    struct itimerspec nw, old;
    if (lx_copy_in(vm, &nw, a[2], sizeof(nw)) < 0)
        return -EFAULT;
    if (a[3] && !gmem_check(vm, a[3], sizeof(old), true))
        return -EFAULT;
    int64_t r = io_timerfd_settime(vm, (int32_t)a[0], (int)a[1], &nw, &old);
    if (r == 0 && a[3])
        return lx_copy_out(vm, a[3], &old, sizeof(old));
    return r;
}

LX_HANDLER(lx_timerfd_gettime)
{
    struct itimerspec cur;
    int64_t r = io_timerfd_gettime(vm, (int32_t)a[0], &cur);
    return r < 0 ? r : lx_copy_out(vm, a[1], &cur, sizeof(cur));
}
