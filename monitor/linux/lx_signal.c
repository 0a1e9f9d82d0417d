/* lx_signal.c: Linux signal calls, on the services of sig_*.c. */
#include <errno.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "kernel/proc.h"
#include "kernel/sig.h"
#include "kernel/stats.h"
#include "kernel/thread.h"
#include "linux/lx.h"

/* The kernel's sigset_t is 8 bytes; C libraries pass that size. */
#define LX_SIGSET_SIZE 8

LX_HANDLER(lx_rt_sigaction)
{
    if (a[3] != LX_SIGSET_SIZE)
        return -EINVAL;
    struct ukmon_sigaction nw, old;
    if (a[1] && lx_copy_in(vm, &nw, a[1], sizeof(nw)) < 0)
        return -EFAULT;
    int r = sig_action(vm, (int)a[0], a[1] ? &nw : NULL, &old);
    if (r == 0 && a[2] && lx_copy_out(vm, a[2], &old, sizeof(old)) < 0)
        return -EFAULT;
    return r;
}

LX_HANDLER(lx_rt_sigprocmask)
{
    if (a[3] != LX_SIGSET_SIZE)
        return -EINVAL;
    uint64_t set = 0, old;
    if (a[1] && lx_copy_in(vm, &set, a[1], sizeof(set)) < 0)
        return -EFAULT;
    if (a[1] && a[0] > UKMON_SIG_SETMASK)
        return -EINVAL;
    uint64_t before = vcpu_cur(vm)->sig.mask;
    if (a[2] && lx_copy_out(vm, a[2], &before, sizeof(before)) < 0)
        return -EFAULT;
    return sig_procmask(vm, a[0], set, a[1] != 0, &old);
}

LX_HANDLER(lx_rt_sigpending)
{
    if (a[1] > LX_SIGSET_SIZE)
        return -EINVAL;
    uint64_t p = gsig_pending() & vcpu_cur(vm)->sig.mask;
    return lx_copy_out(vm, a[0], &p, a[1]);
}

struct lx_stack {
    uint64_t sp;
    int32_t flags;
    int32_t pad;
    uint64_t size;
};

LX_HANDLER(lx_sigaltstack)
{
    struct lx_stack ns, os;
    memset(&os, 0, sizeof(os));
    if (a[0]) {
        if (lx_copy_in(vm, &ns, a[0], sizeof(ns)) < 0)
            return -EFAULT;
        int mode = ns.flags & ~(int32_t)(1U << 31); /* SS_AUTODISARM: accepted */
        if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
            return -EINVAL;
    }
    uint64_t rsp = vcpu_regs(vm)->rsp;
    int r = sig_altstack(vm, rsp, a[0] ? &ns.sp : NULL, a[0] ? &ns.size : NULL,
                         a[0] && (ns.flags & SS_DISABLE), &os.sp, &os.size, &os.flags);
    if (r < 0)
        return r;
    if (a[1] && lx_copy_out(vm, a[1], &os, sizeof(os)) < 0)
        return -EFAULT;
    return 0;
}

/* Only VMs of this tree can be signalled: the rest of the host is not there. */
LX_HANDLER(lx_kill)
{
    return sig_kill(vm, (int32_t)a[0], (int)a[1], SI_USER);
}

/* A signal for one thread (Go's preemption, raise(), pthread_kill): that thread takes it. */
LX_HANDLER(lx_tgkill)
{
    int32_t tgid = (int32_t)a[0], tid = (int32_t)a[1];
    if (tgid <= 0 || tid <= 0)
        return -EINVAL;
    if (a[2] > UKMON_NSIG)
        return -EINVAL;
    return gsig_send_thread(vm, tgid, tid, (int)a[2]);
}

/* tkill names no process: one of ours, else the leader of the VM with that pid. */
LX_HANDLER(lx_tkill)
{
    int32_t tid = (int32_t)a[0];
    if (tid <= 0 || a[1] > UKMON_NSIG)
        return -EINVAL;
    return gsig_send_thread(vm, thread_find(vm, tid) ? getpid() : tid, tid, (int)a[1]);
}

/* pause(): sleeps until a signal acts; EINTR, or a restart when no handler ran. */
LX_HANDLER(lx_pause)
{
    (void)a;
    sig_sleep(vm, -1, 0);
    return -EINTR;
}

LX_HANDLER(lx_rt_sigsuspend)
{
    uint64_t mask;
    if (a[1] != LX_SIGSET_SIZE)
        return -EINVAL;
    if (lx_copy_in(vm, &mask, a[0], sizeof(mask)) < 0)
        return -EFAULT;
    vcpu_cur(vm)->sig.saved_mask = vcpu_cur(vm)->sig.mask;
    vcpu_cur(vm)->sig.restore_mask = true; /* the handler's frame gets the mask from before */
    sig_set_mask(vm, mask);
    sig_sleep(vm, -1, 0);
    return -EINTR;
}

LX_HANDLER(lx_rt_sigtimedwait)
{
    uint64_t set;
    struct timespec ts;
    if (a[3] != LX_SIGSET_SIZE)
        return -EINVAL;
    if (lx_copy_in(vm, &set, a[0], sizeof(set)) < 0 ||
        (a[2] && lx_copy_in(vm, &ts, a[2], sizeof(ts)) < 0))
        return -EFAULT;
    if (a[2] && (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000))
        return -EINVAL;
    set &= ~SIG_UNBLOCKABLE;
    int64_t deadline = -1;
    if (a[2]) {
        deadline = clock_ns(CLOCK_MONOTONIC);
        deadline += ts.tv_sec > INT64_MAX / 4000000000LL ? INT64_MAX / 2
                                                         : ts.tv_sec * 1000000000LL + ts.tv_nsec;
    }
    for (;;) {
        uint64_t ready = gsig_pending() & set;
        if (ready) {
            struct sig_info si;
            int sig = __builtin_ctzll(ready) + 1;
            if (!gsig_take(sig, &si))
                continue;
            if (si.code == SI_TIMER)
                si.value = sig_timer_value(vm, si.timer);
            if (a[1]) {
                uint8_t info[SIG_SIGINFO_SIZE];
                sig_siginfo_out(&si, info);
                if (lx_copy_out(vm, a[1], info, sizeof(info)) < 0)
                    return -EFAULT;
            }
            return sig;
        }
        int r = sig_sleep(vm, deadline, set);
        if (r == -ETIMEDOUT)
            return -EAGAIN;
        if (r < 0 || !(gsig_pending() & set))
            return -EINTR; /* a stop, or a signal with something else to do */
    }
}

LX_HANDLER(lx_rt_sigreturn)
{
    (void)a;
    vcpu_cur(vm)->call.new_state = true;
    if (sig_return(vm) == RUN_STOP)
        vcpu_cur(vm)->call.stop = true;
    return 0;
}

/* Timers. */

LX_HANDLER(lx_alarm)
{
    return sig_alarm(vm, a[0]);
}

#define LX_ITIMER_REAL 0

static void tv_to_ts(const struct timeval *tv, struct timespec *ts)
{
    ts->tv_sec = tv->tv_sec;
    ts->tv_nsec = tv->tv_usec * 1000;
}

static void ts_to_tv(const struct timespec *ts, struct timeval *tv)
{
    tv->tv_sec = ts->tv_sec;
    tv->tv_usec = (ts->tv_nsec + 999) / 1000;
    if (tv->tv_usec == 1000000) {
        tv->tv_sec++;
        tv->tv_usec = 0;
    }
}

/* ITIMER_REAL only: the virtual and profiling timers count CPU time, not served. */
LX_HANDLER(lx_setitimer)
{
    struct itimerval nv, ov;
    if (a[0] != LX_ITIMER_REAL)
        return -EINVAL;
    if (!a[1])
        memset(&nv, 0, sizeof(nv)); /* Linux: NULL disarms */
    else if (lx_copy_in(vm, &nv, a[1], sizeof(nv)) < 0)
        return -EFAULT;
    if (nv.it_value.tv_usec < 0 || nv.it_value.tv_usec >= 1000000 || nv.it_value.tv_sec < 0 ||
        nv.it_interval.tv_usec < 0 || nv.it_interval.tv_usec >= 1000000 ||
        nv.it_interval.tv_sec < 0)
        return -EINVAL;
    struct itimerspec n, o;
    tv_to_ts(&nv.it_value, &n.it_value);
    tv_to_ts(&nv.it_interval, &n.it_interval);
    int r = sig_itimer_real(vm, &n, &o);
    if (r < 0)
        return r;
    ts_to_tv(&o.it_value, &ov.it_value);
    ts_to_tv(&o.it_interval, &ov.it_interval);
    if (a[2] && lx_copy_out(vm, a[2], &ov, sizeof(ov)) < 0)
        return -EFAULT;
    return 0;
}

LX_HANDLER(lx_getitimer)
{
    if (a[0] != LX_ITIMER_REAL)
        return -EINVAL;
    struct itimerspec o;
    int r = sig_itimer_real(vm, NULL, &o);
    if (r < 0)
        return r;
    struct itimerval ov;
    ts_to_tv(&o.it_value, &ov.it_value);
    ts_to_tv(&o.it_interval, &ov.it_interval);
    return lx_copy_out(vm, a[1], &ov, sizeof(ov));
}

/* struct sigevent as the kernel reads it. */
struct lx_sigevent {
    uint64_t value;
    int32_t signo;
    int32_t notify;
    int32_t tid;
    int32_t pad[11];
};
#define LX_SIGEV_SIGNAL 0
#define LX_SIGEV_NONE 1
#define LX_SIGEV_THREAD_ID 4

LX_HANDLER(lx_timer_create)
{
    struct lx_sigevent ev = {.signo = SIGALRM, .notify = LX_SIGEV_SIGNAL};
    if (a[1] && lx_copy_in(vm, &ev, a[1], sizeof(ev)) < 0)
        return -EFAULT;
    int signo;
    switch (ev.notify) {
    case LX_SIGEV_NONE:
        signo = 0;
        break;
    case LX_SIGEV_THREAD_ID:
        if (ev.tid != getpid())
            return -EINVAL; /* one thread per process */
        /* fall through */
    case LX_SIGEV_SIGNAL:
        if (ev.signo < 1 || ev.signo > UKMON_NSIG)
            return -EINVAL;
        signo = ev.signo;
        break;
    default:
        return -EINVAL; /* SIGEV_THREAD is the C library's, with threads */
    }
    int id = sig_timer_create(vm, (clockid_t)a[0], signo, a[1] ? ev.value : 0);
    if (id < 0)
        return id;
    if (!a[1])
        vm->timers.posix[id].value = (uint64_t)id; /* Linux: the id is the value */
    int32_t out = id;
    if (lx_copy_out(vm, a[2], &out, sizeof(out)) < 0) {
        sig_timer_delete(vm, id);
        return -EFAULT;
    }
    return 0;
}

LX_HANDLER(lx_timer_settime)
{
    struct itimerspec n, o;
    if (a[1] & ~(uint64_t)TIMER_ABSTIME)
        return -EINVAL;
    if (lx_copy_in(vm, &n, a[2], sizeof(n)) < 0)
        return -EFAULT;
    int r = sig_timer_settime(vm, (int32_t)a[0], a[1] & TIMER_ABSTIME, &n, &o);
    if (r == 0 && a[3] && lx_copy_out(vm, a[3], &o, sizeof(o)) < 0)
        return -EFAULT;
    return r;
}

LX_HANDLER(lx_timer_gettime)
{
    struct itimerspec c;
    int r = sig_timer_gettime(vm, (int32_t)a[0], &c);
    if (r < 0)
        return r;
    return lx_copy_out(vm, a[1], &c, sizeof(c));
}

LX_HANDLER(lx_timer_getoverrun)
{
    return sig_timer_overrun(vm, (int32_t)a[0]);
}

LX_HANDLER(lx_timer_delete)
{
    return sig_timer_delete(vm, (int32_t)a[0]);
}
