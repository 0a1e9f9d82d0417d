/*
 * waitmask.c: ppoll, pselect and epoll_pwait wait under their own signal mask, set
 * and taken back atomically: a SIGCHLD blocked outside the wait but let in by it
 * ends the wait (EINTR, its handler run) and is blocked again afterwards; a wait that
 * no signal ended puts the old mask back too. (GNU make -j waits so for its children.)
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>

#include "lxtest.h"

static volatile int got;

static void on_chld(int s)
{
    (void)s;
    got++;
}

static bool chld_blocked(void)
{
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    return sigismember(&now, SIGCHLD);
}

static void child_exits(void)
{
    pid_t c = fork();
    if (c == 0)
        _exit(0);
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL); /* it has exited by now: SIGCHLD pending, blocked */
}

int main(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_chld;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t block, open;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &open);
    sigdelset(&open, SIGCHLD);

    struct timespec five = {5, 0};
    child_exits();
    int r = ppoll(NULL, 0, &five, &open);
    say("ppoll: %s, handler ran %d, SIGCHLD blocked after: %s\n", r < 0 ? ename(errno) : "ok",
        got, chld_blocked() ? "yes" : "no");
    while (wait(NULL) > 0)
        ;
    got = 0;
    child_exits();
    r = pselect(0, NULL, NULL, NULL, &five, &open);
    say("pselect: %s, handler ran %d, SIGCHLD blocked after: %s\n", r < 0 ? ename(errno) : "ok",
        got, chld_blocked() ? "yes" : "no");
    while (wait(NULL) > 0)
        ;
    got = 0;
    int ep = epoll_create1(0);
    child_exits();
    struct epoll_event ev;
    r = epoll_pwait(ep, &ev, 1, 5000, &open);
    say("epoll_pwait: %s, handler ran %d, SIGCHLD blocked after: %s\n",
        r < 0 ? ename(errno) : "ok", got, chld_blocked() ? "yes" : "no");
    while (wait(NULL) > 0)
        ;
    /* No signal comes: a timeout, and the mask from before is back all the same. */
    struct timespec short_wait = {0, 20000000};
    r = ppoll(NULL, 0, &short_wait, &open);
    say("ppoll timing out: %d, SIGCHLD blocked after: %s\n", r, chld_blocked() ? "yes" : "no");
    r = epoll_pwait(ep, &ev, 1, 20, &open);
    say("epoll_pwait timing out: %d, SIGCHLD blocked after: %s\n", r,
        chld_blocked() ? "yes" : "no");
    got = 0;
    sigprocmask(SIG_SETMASK, &open, NULL);
    say("unblocked afterwards: nothing left pending, handler ran %d\n", got);
    return 0;
}
