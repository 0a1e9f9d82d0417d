/* proc.c: processes under the Linux personality: fork, wait, ids, groups, kill, limits. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "lxtest.h"

static void segv(void)
{
    uintptr_t bad = 16;
    __asm__("" : "+r"(bad)); /* hidden from the optimizer */
    *(volatile int *)bad = 1;
}

static void sleep_forever(void)
{
    for (;;)
        pause();
}

int main(void)
{
    pid_t me = getpid();
    say("getpid == gettid: %s\n", me == (pid_t)syscall(186) ? "yes" : "no");

    /* fork, exit statuses, the child's view of its parent */
    int pp[2];
    pipe(pp);
    pid_t c = fork();
    if (c == 0) {
        close(pp[0]);
        pid_t mine[2] = {getpid(), getppid()};
        write(pp[1], mine, sizeof(mine));
        _exit(42);
    }
    close(pp[1]);
    pid_t seen[2] = {0, 0};
    read(pp[0], seen, sizeof(seen));
    int st;
    say("fork: child pid matches: %s, its parent is us: %s\n", seen[0] == c ? "yes" : "no",
        seen[1] == me ? "yes" : "no");
    pid_t got = waitpid(c, &st, 0);
    say("waitpid: %s, %s\n", got == c ? "reaped" : "lost", how(st));
    say("waitpid with no child left: %s\n", RES(waitpid(-1, &st, 0)));
    say("WNOHANG with a child running: ");
    c = fork();
    if (c == 0) {
        usleep(100000);
        _exit(1);
    }
    say("%d\n", waitpid(c, &st, WNOHANG));
    waitpid(c, &st, 0);

    /* faults and kills seen by the parent */
    say("child that dereferences a bad pointer: %s\n", in_child(segv));
    c = fork();
    if (c == 0)
        sleep_forever();
    say("kill(child, SIGTERM): %s", RES(kill(c, SIGTERM)));
    waitpid(c, &st, 0);
    say(", child %s\n", how(st));
    say("kill(child, 0) after it is gone: %s\n", RES(kill(c, 0)));
    say("kill of a pid outside the tree: %s\n", RES(kill(1, 0)));

    /* process groups and sessions agree with each other */
    pid_t pg = getpgrp();
    say("getpgrp == getpgid(0): %s\n", pg == getpgid(0) ? "yes" : "no");
    say("getsid(0) == getsid(self): %s\n", getsid(0) == getsid(me) ? "yes" : "no");
    c = fork();
    if (c == 0) {
        int ok = setpgid(0, 0) == 0 && getpgrp() == getpid();
        _exit(ok ? 0 : 1);
    }
    waitpid(c, &st, 0);
    say("child setpgid(0, 0) makes its own group: %s\n", how(st));

    /* identity and limits */
    struct utsname u;
    uname(&u);
    say("uname: %s %s\n", u.sysname, u.machine);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    say("RLIMIT_NOFILE: %llu\n", (unsigned long long)rl.rlim_cur);
    rl.rlim_cur = 64;
    say("lowering RLIMIT_NOFILE: %s", RES(setrlimit(RLIMIT_NOFILE, &rl)));
    getrlimit(RLIMIT_NOFILE, &rl);
    say(", now %llu\n", (unsigned long long)rl.rlim_cur);
    rl.rlim_max = rl.rlim_max + 1;
    say("raising its hard limit: %s\n", RES(setrlimit(RLIMIT_NOFILE, &rl)));
    mode_t m1 = umask(077), m2 = umask(022);
    say("umask: %03o then %03o\n", (unsigned)m1, (unsigned)m2);
    char name[16] = "";
    prctl(PR_SET_NAME, "worker");
    prctl(PR_GET_NAME, name);
    say("prctl name: %s\n", name);
    unsigned char rnd[32];
    say("getrandom 32 bytes: %ld\n", (long)getrandom(rnd, sizeof(rnd), 0));
    cpu_set_t set;
    CPU_ZERO(&set);
    sched_getaffinity(0, sizeof(set), &set);
    say("CPUs: %s\n", CPU_COUNT(&set) >= 1 ? "at least one" : "none");
    say("sched_yield: %s\n", RES(sched_yield()));
    return 0;
}
