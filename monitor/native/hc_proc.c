/* hc_proc.c: hypercalls for processes: fork, waitpid, getpid, sleeping and yielding. */
#include <errno.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "kernel/proc.h"
#include "kernel/sig.h"
#include "kernel/stats.h"
#include "native/hypercalls.h"

enum run_next hc_fork(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_fork *a = arg;
    int64_t ret;
    enum run_next r = proc_fork(vm, &ret);
    a->ret = ret;
    return r;
}

enum run_next hc_waitpid(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_waitpid *a = arg;
    if (a->options & ~(uint64_t)(UKMON_WNOHANG | UKMON_WUNTRACED | UKMON_WCONTINUED)) {
        a->ret = -EINVAL;
        return RUN_CONTINUE;
    }
    int st = 0;
    a->ret = proc_wait(vm, a->pid, (int)a->options, &st);
    if (a->ret > 0)
        a->status = st;
    return RUN_CONTINUE;
}

enum run_next hc_getpid(struct ukmon_vm *vm, void *arg)
{
    (void)vm;
    struct ukmon_hc_getpid *a = arg;
    a->pid = getpid();
    a->ppid = getppid();
    a->ret = 0;
    return RUN_CONTINUE;
}

enum run_next hc_nanosleep(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_nanosleep *a = arg;
    if (a->ns < 0) {
        a->ret = -EINVAL;
        return RUN_CONTINUE;
    }
    int64_t now = clock_ns(CLOCK_MONOTONIC);
    int64_t end = a->ns > INT64_MAX - now ? INT64_MAX : now + a->ns;
    /* Absolute deadline: an interruption (SIGCHLD) does not stretch the sleep. */
    int r = sig_sleep(vm, end, 0);
    a->ret = r == -ETIMEDOUT ? 0 : -EINTR;
    return RUN_CONTINUE;
}

enum run_next hc_yield(struct ukmon_vm *vm, void *arg)
{
    (void)vm;
    sched_yield();
    ((struct ukmon_hc_ret *)arg)->ret = 0;
    return RUN_CONTINUE;
}

/* Kills every other monitor of the tree. Their children, re-parented, follow. */
