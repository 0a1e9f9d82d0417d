/* sig_timer.c: timers that end in a guest signal: alarm, ITIMER_REAL, timer_create. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "kernel/sig.h"

/*
 * Each guest timer is a host POSIX timer of the monitor's, firing the one host signal
 * that carries guest signals (gsig.c) with the guest's signal and the timer's id in
 * its value. The kernel does the timekeeping, no thread of ours is involved, and
 * fork(2) does not inherit them: exactly what POSIX says of a process's timers.
 */
static int timer_make(struct sig_timer *t, clockid_t clock, int signo, int id)
{
    struct sigevent sev;
    memset(&sev, 0, sizeof(sev));
    sev.sigev_notify = signo ? SIGEV_SIGNAL : SIGEV_NONE;
    sev.sigev_signo = gsig_host_signal();
    sev.sigev_value.sival_ptr = (void *)(uintptr_t)gsig_timer_value(signo, id);
    if (timer_create(clock, &sev, &t->host) < 0)
        return -errno;
    t->used = true;
    t->signo = signo;
    return 0;
}

/*
 * setitimer(ITIMER_REAL)/getitimer: `nw` NULL only reads. The interval and value are
 * the kernel's to keep.
 */
int sig_itimer_real(struct ukmon_vm *vm, const struct itimerspec *nw, struct itimerspec *old)
{
    struct sig_timer *t = &vm->timers.real;
    if (!t->used) {
        if (!nw) {
            memset(old, 0, sizeof(*old));
            return 0;
        }
        int r = timer_make(t, CLOCK_MONOTONIC, SIGALRM, SIG_ITIMER_ID);
        if (r < 0)
            return r;
    }
    int r = nw ? timer_settime(t->host, 0, nw, old) : timer_gettime(t->host, old);
    return r < 0 ? -errno : 0;
}

/* alarm(2): the previous alarm's seconds left, rounded as Linux rounds them. */
int64_t sig_alarm(struct ukmon_vm *vm, uint64_t seconds)
{
    if (seconds > INT32_MAX)
        seconds = INT32_MAX;
    struct itimerspec nw = {.it_value = {.tv_sec = (time_t)seconds}}, old;
    int r = sig_itimer_real(vm, &nw, &old);
    if (r < 0)
        return r;
    int64_t left = old.it_value.tv_sec + (old.it_value.tv_nsec >= 500000000 ? 1 : 0);
    if (left == 0 && old.it_value.tv_nsec)
        left = 1;
    return left;
}

static struct sig_timer *posix_timer(struct ukmon_vm *vm, int id)
{
    if (id < 0 || id >= SIG_TIMERS_MAX || !vm->timers.posix[id].used)
        return NULL;
    return &vm->timers.posix[id];
}

/* timer_create(): the new timer's id, or -errno. `signo` 0 is SIGEV_NONE. */
int sig_timer_create(struct ukmon_vm *vm, clockid_t clock, int signo, uint64_t value)
{
    if (signo < 0 || signo > UKMON_NSIG)
        return -EINVAL;
    if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME)
        return -EINVAL;
    for (int id = 0; id < SIG_TIMERS_MAX; id++) {
        struct sig_timer *t = &vm->timers.posix[id];
        if (t->used)
            continue;
        int r = timer_make(t, clock, signo, id);
        if (r < 0)
            return r == -EINVAL ? -EINVAL : -EAGAIN;
        t->value = value;
        return id;
    }
    return -EAGAIN;
}

int sig_timer_settime(struct ukmon_vm *vm, int id, bool absolute, const struct itimerspec *nw,
                      struct itimerspec *old)
{
    struct sig_timer *t = posix_timer(vm, id);
    if (!t)
        return -EINVAL;
    return timer_settime(t->host, absolute ? TIMER_ABSTIME : 0, nw, old) < 0 ? -errno : 0;
}

int sig_timer_gettime(struct ukmon_vm *vm, int id, struct itimerspec *cur)
{
    struct sig_timer *t = posix_timer(vm, id);
    if (!t)
        return -EINVAL;
    return timer_gettime(t->host, cur) < 0 ? -errno : 0;
}

int sig_timer_overrun(struct ukmon_vm *vm, int id)
{
    struct sig_timer *t = posix_timer(vm, id);
    if (!t)
        return -EINVAL;
    int r = timer_getoverrun(t->host);
    return r < 0 ? -errno : r;
}

int sig_timer_delete(struct ukmon_vm *vm, int id)
{
    struct sig_timer *t = posix_timer(vm, id);
    if (!t)
        return -EINVAL;
    timer_delete(t->host);
    t->used = false;
    return 0;
}

/* The sigev_value a timer's signal carries (0 for a timer since deleted). */
uint64_t sig_timer_value(const struct ukmon_vm *vm, int id)
{
    if (id < 0 || id >= SIG_TIMERS_MAX || !vm->timers.posix[id].used)
        return 0;
    return vm->timers.posix[id].value;
}

/* execve: timer_create's timers go, the alarm stays (POSIX). */
void sig_timers_exec(struct ukmon_vm *vm)
{
    for (int id = 0; id < SIG_TIMERS_MAX; id++)
        if (vm->timers.posix[id].used)
            sig_timer_delete(vm, id);
}

/* The VM goes away: its host timers with it (an embedder's process lives on). */
void sig_timers_free(struct ukmon_vm *vm)
{
    sig_timers_exec(vm);
    if (vm->timers.real.used)
        timer_delete(vm->timers.real.host);
    vm->timers.real.used = false;
}

/* fork: the parent's host timers are the parent's; the child has none. */
void sig_timers_fork_child(struct ukmon_vm *vm)
{
    memset(&vm->timers, 0, sizeof(vm->timers));
}
