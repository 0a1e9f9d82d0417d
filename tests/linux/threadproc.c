/*
 * threadproc.c: threads and the process around them: fork from a thread while others
 * run, execve from a thread, exit against exit_group, a fatal signal or a fault in one
 * thread ending all, signals to one thread (tgkill) and to the process (taken by the
 * thread that does not block it), and an alternate signal stack per thread.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "lxtest.h"

extern char **environ;

static pid_t gettid_(void)
{
    return (pid_t)syscall(SYS_gettid);
}

static volatile int stop_spin;
static volatile long spins[3];
static void *spinner(void *arg)
{
    int id = (int)(intptr_t)arg;
    while (!stop_spin)
        spins[id]++;
    return NULL;
}

static int before_fork = 41;
static void *child_thread(void *arg)
{
    return (void *)((intptr_t)arg + 1);
}

/* Forks while three other threads spin; the child has only the forking thread. */
static void *forker(void *arg)
{
    (void)arg;
    before_fork++;
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        long s0 = spins[0];
        usleep(20000);
        int frozen = spins[0] == s0; /* nobody spins in the child */
        pthread_t t;
        void *r = NULL;
        int ok = pthread_create(&t, NULL, child_thread, (void *)(intptr_t)before_fork) == 0 &&
                 pthread_join(t, &r) == 0;
        say("fork from a thread: child sees %d, spinners gone %s, a new thread %s (%ld)\n",
            before_fork, frozen ? "yes" : "no", ok ? "runs" : "fails", (long)(intptr_t)r);
        _exit(5);
    }
    int st = 0;
    waitpid(p, &st, 0);
    return (void *)(intptr_t)(WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st));
}

static void fork_from_thread(void)
{
    pthread_t s[3], f;
    for (int i = 0; i < 3; i++)
        pthread_create(&s[i], NULL, spinner, (void *)(intptr_t)i);
    void *r;
    pthread_create(&f, NULL, forker, NULL);
    pthread_join(f, &r);
    stop_spin = 1;
    for (int i = 0; i < 3; i++)
        pthread_join(s[i], NULL);
    say("fork from a thread: parent's wait says exit %ld; spinners ran: %s\n",
        (long)(intptr_t)r, spins[0] && spins[1] && spins[2] ? "yes" : "no");
}

static void *sleeper(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void *execer(void *arg)
{
    char *nargv[] = {"threadproc", "exec-stage-2", NULL};
    (void)arg;
    execve("/proc/self/exe", nargv, environ);
    say("execve from a thread failed: %s\n", ename(errno));
    return NULL;
}

static void exec_from_thread(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, sleeper, NULL);
    pthread_create(&b, NULL, execer, NULL);
    pthread_join(b, NULL);
    _exit(99); /* only if the execve failed */
}

static void *exit_one(void *arg)
{
    (void)arg;
    syscall(SYS_exit, 3); /* this thread only */
    return NULL;
}

static void *exit_late(void *arg)
{
    (void)arg;
    usleep(30000);
    say("exit: a thread outlives the main thread's exit\n");
    syscall(SYS_exit, 9);
    return NULL;
}

static void exit_vs_group(void)
{
    pthread_t t;
    pthread_create(&t, NULL, exit_one, NULL);
    usleep(20000); /* not joined: musl's join waits for pthread_exit's word, not the tid */
    say("exit: one thread gone, main goes on\n");
    pthread_create(&t, NULL, exit_late, NULL);
    syscall(SYS_exit, 6); /* the leader ends; the process when its last thread does */
}

static void group_exit(void)
{
    pthread_t t;
    pthread_create(&t, NULL, sleeper, NULL);
    pthread_create(&t, NULL, sleeper, NULL);
    usleep(10000);
    syscall(SYS_exit_group, 4);
}

static void *killed_by_default(void *arg)
{
    (void)arg;
    syscall(SYS_tgkill, getpid(), gettid_(), SIGTERM);
    for (;;)
        pause();
    return NULL;
}

static void fatal_signal(void)
{
    pthread_t t;
    pthread_create(&t, NULL, sleeper, NULL);
    pthread_create(&t, NULL, killed_by_default, NULL);
    for (;;)
        pause();
}

static void *faulter(void *arg)
{
    usleep(10000);
    *(volatile int *)arg = 1;
    return NULL;
}

static void fault_in_thread(void)
{
    pthread_t t;
    pthread_create(&t, NULL, sleeper, NULL);
    pthread_create(&t, NULL, faulter, NULL);
    for (;;)
        pause();
}

static volatile pid_t handled_on;
static volatile uintptr_t handler_sp;
static void on_usr(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    int here;
    handled_on = gettid_();
    handler_sp = (uintptr_t)&here;
}

static volatile pid_t worker_tid;
static volatile int worker_go;
static void *signal_worker(void *arg)
{
    (void)arg;
    worker_tid = gettid_();
    while (!worker_go)
        usleep(1000);
    return NULL;
}

static void signals_to_threads(void)
{
    struct sigaction sa = {.sa_sigaction = on_usr, .sa_flags = SA_SIGINFO};
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t t;
    pthread_create(&t, NULL, signal_worker, NULL);
    while (!worker_tid)
        usleep(1000);

    syscall(SYS_tgkill, getpid(), worker_tid, SIGUSR1);
    for (int i = 0; i < 1000 && handled_on != worker_tid; i++)
        usleep(1000);
    say("tgkill to a thread: its handler ran on that thread: %s\n",
        handled_on == worker_tid ? "yes" : "no");

    handled_on = 0;
    syscall(SYS_tgkill, getpid(), getpid(), SIGUSR1);
    say("tgkill to the main thread: ran on it: %s\n", handled_on == getpid() ? "yes" : "no");

    /* Main blocks it: a process-directed one goes to the thread that does not. */
    sigset_t usr;
    sigemptyset(&usr);
    sigaddset(&usr, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr, NULL);
    handled_on = 0;
    kill(getpid(), SIGUSR1);
    for (int i = 0; i < 1000 && !handled_on; i++)
        usleep(1000);
    say("kill to the process, main blocking it: taken by the worker: %s\n",
        handled_on == worker_tid ? "yes" : "no");
    worker_go = 1;
    pthread_join(t, NULL);

    /* Now nobody else is there: it stays pending until main unblocks it. */
    handled_on = 0;
    kill(getpid(), SIGUSR1);
    sigset_t pend;
    sigpending(&pend);
    int was_pending = sigismember(&pend, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &usr, NULL);
    say("blocked everywhere: pending %s, then handled on main: %s\n", was_pending ? "yes" : "no",
        handled_on == getpid() ? "yes" : "no");
}

static char *alt_base[2];
#define ALT_SIZE 65536
static void *altstack_worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    stack_t ss = {.ss_sp = alt_base[id], .ss_size = ALT_SIZE}, cur;
    sigaltstack(&ss, NULL);
    syscall(SYS_tgkill, getpid(), gettid_(), SIGUSR2);
    uintptr_t sp = handler_sp;
    sigaltstack(NULL, &cur);
    int on = sp >= (uintptr_t)alt_base[id] && sp < (uintptr_t)alt_base[id] + ALT_SIZE;
    return (void *)(intptr_t)(on && cur.ss_sp == alt_base[id] && !(cur.ss_flags & SS_DISABLE));
}

static void altstacks(void)
{
    struct sigaction sa = {.sa_sigaction = on_usr, .sa_flags = SA_SIGINFO | SA_ONSTACK};
    sigaction(SIGUSR2, &sa, NULL);
    for (int i = 0; i < 2; i++)
        alt_base[i] = malloc(ALT_SIZE);
    int good = 0;
    for (int i = 0; i < 2; i++) {
        pthread_t t;
        void *r;
        pthread_create(&t, NULL, altstack_worker, (void *)(intptr_t)i);
        pthread_join(t, &r);
        good += (int)(intptr_t)r;
    }
    stack_t cur;
    sigaltstack(NULL, &cur);
    say("sigaltstack per thread: %d of 2 handlers on their own; main's none: %s\n", good,
        cur.ss_flags & SS_DISABLE ? "yes" : "no");
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "exec-stage-2")) {
        say("execve from a thread: the new program runs, pid kept, one thread (tid %s)\n",
            gettid_() == getpid() ? "= pid" : "!= pid");
        return 7;
    }
    fork_from_thread();
    say("execve from a thread, another sleeping: %s\n", in_child(exec_from_thread));
    say("exit of threads, then of main: %s\n", in_child(exit_vs_group));
    say("exit_group with threads asleep: %s\n", in_child(group_exit));
    say("SIGTERM by default on one thread: %s\n", in_child(fatal_signal));
    say("a fault in one thread: %s\n", in_child(fault_in_thread));
    signals_to_threads();
    altstacks();
    return 0;
}
