/*
 * supervisor: keeps one worker VM running. When the worker crashes, SIGCHLD wakes the
 * supervisor, which starts a new one; SIGTERM or SIGINT (Ctrl-C) makes it stop the
 * worker and exit cleanly.
 *
 *   ukmon supervisor.elf [CRASHES]   the first CRASHES workers crash (default 3); the
 *                                    next one finishes its work and all ends
 *   ukmon supervisor.elf --forever   the worker runs until you press Ctrl-C
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t child_changed, stop_signal;

static void on_child(int sig)
{
    (void)sig;
    child_changed = 1;
}

static void on_stop(int sig)
{
    stop_signal = sig;
}

/* Worker n: a little work, then a crash (a NULL write), or the end, or for ever. */
static _Noreturn void worker(int n, int crashes, int forever)
{
    signal(SIGINT, SIG_IGN); /* the supervisor decides when a worker stops */
    signal(SIGTERM, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    unsigned long sum = 0;
    for (unsigned long i = 0; i < 1000000; i++)
        sum += i % 7;
    if (n <= crashes) {
        printf("worker %d: crashing (sum %lu)\n", n, sum);
        fflush(stdout);
        *(volatile int *)0 = 1;
    }
    if (forever) {
        printf("worker %d: up (Ctrl-C stops it through the supervisor)\n", n);
        fflush(stdout);
        for (;;)
            pause();
    }
    printf("worker %d: done (sum %lu)\n", n, sum);
    exit(0);
}

static pid_t start(int n, int crashes, int forever)
{
    printf("supervisor: starting worker %d\n", n);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0)
        worker(n, crashes, forever);
    if (p < 0) {
        perror("supervisor: fork");
        exit(1);
    }
    return p;
}

static const char *ending(int st, char *buf, size_t len)
{
    if (WIFEXITED(st))
        snprintf(buf, len, "exited with %d", WEXITSTATUS(st));
    else
        snprintf(buf, len, "died of signal %d", WTERMSIG(st));
    return buf;
}

int main(int argc, char **argv)
{
    int forever = argc > 1 && strcmp(argv[1], "--forever") == 0;
    int crashes = argc > 1 && !forever ? atoi(argv[1]) : forever ? 0 : 3;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_child;
    sa.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    sa.sa_handler = on_stop;
    sa.sa_flags = 0;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    /* Signals wait while we look at the flags; sigsuspend() lets them in atomically. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &old);

    int n = 1, restarts = 0;
    char why[64];
    pid_t w = start(n, crashes, forever);
    for (;;) {
        while (!child_changed && !stop_signal)
            sigsuspend(&old);
        if (stop_signal) {
            printf("supervisor: %s: stopping worker %d\n",
                   stop_signal == SIGINT ? "SIGINT" : "SIGTERM", n);
            kill(w, SIGTERM);
            int st;
            waitpid(w, &st, 0);
            printf("supervisor: worker %d %s; bye\n", n, ending(st, why, sizeof(why)));
            return 0;
        }
        child_changed = 0;
        int st;
        if (waitpid(w, &st, WNOHANG) != w)
            continue;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            printf("supervisor: worker %d finished after %d restarts\n", n, restarts);
            return 0;
        }
        printf("supervisor: worker %d %s, restarting\n", n, ending(st, why, sizeof(why)));
        restarts++;
        w = start(++n, crashes, forever);
    }
}
