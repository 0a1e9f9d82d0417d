/* process.c: fork, wait and process ids; each process is a VM of its own. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hypercall.h"

pid_t fork(void)
{
    /* Whatever was printed before fork() appears once, not once per process. */
    __stdio_flush_all();
    struct ukmon_hc_fork a = {.ret = 0};
    hypercall(UKMON_HC_FORK, &a);
    return (pid_t)__syscall_ret(a.ret);
}

pid_t waitpid(pid_t pid, int *status, int options)
{
    struct ukmon_hc_waitpid a = {.pid = pid, .options = (uint64_t)options};
    hypercall(UKMON_HC_WAITPID, &a);
    if (a.ret > 0 && status)
        *status = (int)a.status;
    return (pid_t)__syscall_ret(a.ret);
}

pid_t wait(int *status)
{
    return waitpid(-1, status, 0);
}

static struct ukmon_hc_getpid ids(void)
{
    struct ukmon_hc_getpid a = {.ret = 0};
    hypercall(UKMON_HC_GETPID, &a);
    return a;
}

pid_t getpid(void)
{
    return (pid_t)ids().pid;
}

pid_t getppid(void)
{
    return (pid_t)ids().ppid;
}

int sched_yield(void)
{
    struct ukmon_hc_ret a = {.ret = 0};
    hypercall(UKMON_HC_YIELD, &a);
    return (int)__syscall_ret(a.ret);
}
