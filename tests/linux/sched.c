/*
 * sched.c: priorities and CPUs within the tree, as an unprivileged process sees them:
 * its own and a child's nice value (raised, never lowered), process groups, CPU
 * affinity of itself and of a child, the scheduler's policy, pids that do not exist.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "lxtest.h"

#define NO_PID 0x3ffffff0 /* beyond any pid_max */

static const char *prio(int which, int who)
{
    static char b[32];
    errno = 0;
    int p = getpriority(which, who);
    if (p == -1 && errno)
        return ename(errno);
    snprintf(b, sizeof(b), "%d", p);
    return b;
}

static int cpus_of(pid_t pid)
{
    cpu_set_t s;
    CPU_ZERO(&s);
    if (sched_getaffinity(pid, sizeof(s), &s) < 0)
        return -errno;
    return CPU_COUNT(&s);
}

/* One call's result, then what getpriority says after it: in that order. */
static void set_then_get(const char *what, int which, int who, int value)
{
    const char *r = RES(setpriority(which, who, value));
    say("%s: %s, now %s\n", what, r, prio(which, who));
}

int main(void)
{
    setpgid(0, 0); /* a group of our own: only we and our child are in it */
    say("getpriority(self): %s\n", prio(PRIO_PROCESS, 0));
    set_then_get("setpriority(self, 5)", PRIO_PROCESS, 0, 5);
    set_then_get("setpriority(self, 3), lower", PRIO_PROCESS, 0, 3);
    set_then_get("setpriority(self, 40), clamped", PRIO_PROCESS, 0, 40);
    errno = 0;
    int n = nice(0);
    say("nice(0): %d %s\n", n, ename(errno));

    int go[2];
    pipe(go);
    pid_t c = fork();
    if (c == 0) {
        char x;
        read(go[0], &x, 1); /* until the parent is done with us */
        _exit(0);
    }
    say("a child inherits it: %s\n", prio(PRIO_PROCESS, c));
    say("getpriority(its process group): %s\n", prio(PRIO_PGRP, 0));
    say("getpriority of a pid that does not exist: %s\n", prio(PRIO_PROCESS, NO_PID));
    say("setpriority of a pid that does not exist: %s\n",
        RES(setpriority(PRIO_PROCESS, NO_PID, 19)));
    say("setpriority with which 7: %s\n", RES(setpriority(7, 0, 19)));

    /* CPUs: the child pinned to the first CPU we may use, then ourselves. */
    cpu_set_t all, one;
    CPU_ZERO(&all);
    const char *r = RES(sched_getaffinity(0, sizeof(all), &all));
    say("sched_getaffinity(self): %s, CPUs: %s\n", r, CPU_COUNT(&all) >= 1 ? "at least one" : "none");
    int first = 0;
    while (first < CPU_SETSIZE && !CPU_ISSET(first, &all))
        first++;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    r = RES(sched_setaffinity(c, sizeof(one), &one));
    say("sched_setaffinity(child, one CPU): %s, it has %d\n", r, cpus_of(c));
    say("sched_getaffinity of a pid that does not exist: %s\n", ename(-cpus_of(NO_PID)));
    say("sched_getaffinity with a 4-byte mask: %s\n",
        RES(syscall(SYS_sched_getaffinity, 0, 4, &all)));
    CPU_ZERO(&one);
    say("sched_setaffinity(self, no CPU): %s\n", RES(sched_setaffinity(0, sizeof(one), &one)));
    CPU_SET(first, &one);
    r = RES(sched_setaffinity(0, sizeof(one), &one));
    say("sched_setaffinity(self, one CPU): %s, I have %d\n", r, cpus_of(0));
    /* musl leaves sched_getscheduler to the kernel's answer ENOSYS: the raw calls. */
    struct sched_param sp;
    memset(&sp, 0, sizeof(sp));
    sp.sched_priority = 1;
    long pol = syscall(SYS_sched_getscheduler, c);
    r = RES(syscall(SYS_sched_getparam, c, &sp));
    say("sched_getscheduler(child): %ld, sched_getparam: %s, priority %d\n", pol, r,
        sp.sched_priority);
    say("priority range of SCHED_FIFO: %ld..%ld, of SCHED_OTHER: %ld..%ld\n",
        syscall(SYS_sched_get_priority_min, SCHED_FIFO), syscall(SYS_sched_get_priority_max, SCHED_FIFO),
        syscall(SYS_sched_get_priority_min, SCHED_OTHER), syscall(SYS_sched_get_priority_max, SCHED_OTHER));
    say("sched_getscheduler of a pid that does not exist: %s\n",
        RES(syscall(SYS_sched_getscheduler, NO_PID)));
    write(go[1], "x", 1);
    int st;
    waitpid(c, &st, 0);
    say("child: %s\n", how(st));
    return 0;
}
