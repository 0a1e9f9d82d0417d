/*
 * waitearly.c: a child's end as its parent sees it, now that a parent's wait returns
 * once the child has said how it ended, before its VM is torn down: statuses (exit
 * codes, signals), one SIGCHLD per child, kill() of a reaped child fails with ESRCH
 * at once, a child's pipe end is closed when its wait returns, WNOHANG polls, and a
 * long run of fork, exit and wait under a --max-procs of 2 (the suite runs it so)
 * never runs out of slots.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "lxtest.h"

static volatile int chld;

static void on_chld(int s)
{
    (void)s;
    chld++;
}

static const char *describe(int st)
{
    static char b[64];
    if (WIFEXITED(st))
        snprintf(b, sizeof(b), "exit %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(b, sizeof(b), "signal %d%s", WTERMSIG(st), WCOREDUMP(st) ? " (core)" : "");
    else
        snprintf(b, sizeof(b), "status 0x%x", st);
    return b;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0); /* nothing buffered for a child to print again */
    struct sigaction sa = {0};
    sa.sa_handler = on_chld;
    sigaction(SIGCHLD, &sa, NULL);

    /* Statuses: exit codes, and deaths by signal. */
    static const int codes[] = {0, 1, 42, 255};
    for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        pid_t c = fork();
        if (c == 0)
            _exit(codes[i]);
        int st = 0;
        pid_t w = waitpid(c, &st, 0);
        printf("exit(%d): waitpid %s, %s, kill(pid, 0): %s\n", codes[i], w == c ? "ok" : "wrong",
               describe(st), kill(c, 0) < 0 ? ename(errno) : "found");
    }
    pid_t c = fork();
    if (c == 0) {
        raise(SIGTERM);
        _exit(9);
    }
    int st = 0;
    waitpid(c, &st, 0);
    printf("raise(SIGTERM): %s\n", describe(st));
    c = fork();
    if (c == 0) {
        /* Far from anything mapped (page 0 may be the guest-side layer's) */
        int *volatile p = (int *)(uintptr_t)0x100000000000ULL;
        _exit(*p);
    }
    waitpid(c, &st, 0);
    printf("bad read: %s\n", describe(st));

    /* Its pipe end is closed once the wait has returned: EOF, not a wait. */
    int p[2];
    if (pipe(p) < 0)
        return 1;
    c = fork();
    if (c == 0) {
        close(p[0]);
        if (write(p[1], "x", 1) != 1)
            _exit(1);
        _exit(0);
    }
    close(p[1]);
    waitpid(c, &st, 0);
    char buf[4];
    ssize_t n1 = read(p[0], buf, sizeof(buf)), n2 = read(p[0], buf, sizeof(buf));
    printf("pipe after wait: read %zd then %zd\n", n1, n2);
    close(p[0]);

    /* WNOHANG polls until it has ended, then reports it once. */
    c = fork();
    if (c == 0)
        _exit(7);
    int polls = 0;
    pid_t w;
    while ((w = waitpid(c, &st, WNOHANG)) == 0 && polls < 100000) {
        polls++;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    printf("WNOHANG: %s, %s; again: %s\n", w == c ? "reaped" : "lost", describe(st),
           waitpid(c, &st, WNOHANG) < 0 ? ename(errno) : "reported twice");

    /* One SIGCHLD per child, with statuses as before; then many in a row. */
    int before = chld;
    for (int i = 0; i < 200; i++) {
        c = fork();
        if (c < 0) {
            printf("fork %d: %s\n", i, ename(errno));
            return 1;
        }
        if (c == 0)
            _exit(i & 0xff);
        if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != (i & 0xff)) {
            printf("child %d: %s\n", i, describe(st));
            return 1;
        }
    }
    /* Signals merge: at most one a child, at least one in all. */
    int got = chld - before;
    printf("200 forks, exits and waits: ok; SIGCHLD %s\n",
           got >= 1 && got <= 200 ? "between 1 and 200" : "miscounted");
    printf("no child left: %s\n", wait(&st) < 0 ? ename(errno) : "one left");
    return 0;
}
