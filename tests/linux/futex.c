/*
 * futex.c: futexes of a process with one thread: what the C libraries build on them
 * (pthread_once, mutexes, condition variables, semaphores with timeouts) and the raw
 * calls: wakes with nobody waiting, value mismatches, timeouts on both clocks,
 * signals, bad arguments.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#include "lxtest.h"

/* linux/futex.h's values (musl-gcc has no kernel headers). */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_WAIT_BITSET 9
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAIT_BITSET_PRIVATE (FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG)
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

static long futex(void *uaddr, int op, uint32_t val, const struct timespec *t, void *uaddr2,
                  uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, t, uaddr2, val3);
}

static int64_t now_ms(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int once_runs;
static void once_init(void)
{
    once_runs++;
}

static void on_alarm(int sig)
{
    (void)sig;
}

int main(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, once_init);
    pthread_once(&once, once_init);
    say("pthread_once: ran %d time(s)\n", once_runs);

    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    int l = pthread_mutex_lock(&m);
    int tl = pthread_mutex_trylock(&m);
    int ul = pthread_mutex_unlock(&m);
    say("mutex lock: %d, trylock when held: %s, unlock: %d\n", l, tl == EBUSY ? "EBUSY" : "taken", ul);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 30000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_nsec -= 1000000000;
        until.tv_sec++;
    }
    pthread_mutex_lock(&m);
    int64_t t0 = now_ms(CLOCK_MONOTONIC);
    int r = pthread_cond_timedwait(&cv, &m, &until);
    say("pthread_cond_timedwait, nobody signals: %s after at least 25 ms: %s\n",
        r == ETIMEDOUT ? "ETIMEDOUT" : ename(r), now_ms(CLOCK_MONOTONIC) - t0 >= 25 ? "yes" : "no");
    pthread_mutex_unlock(&m);
    int cs = pthread_cond_signal(&cv);
    int cb = pthread_cond_broadcast(&cv);
    say("pthread_cond_signal, broadcast with nobody waiting: %d %d\n", cs, cb);

    sem_t sem;
    sem_init(&sem, 0, 1);
    const char *sw = RES(sem_wait(&sem));
    say("sem_wait on 1: %s, sem_trywait on 0: %s\n", sw, RES(sem_trywait(&sem)));
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 30000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_nsec -= 1000000000;
        until.tv_sec++;
    }
    say("sem_timedwait on 0: %s\n", RES(sem_timedwait(&sem, &until)));
    sem_post(&sem);
    say("sem_post, then sem_wait: %s\n", RES(sem_wait(&sem)));

    uint32_t word = 5;
    say("FUTEX_WAKE, nobody waiting: %ld\n", futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
    say("FUTEX_WAKE shared, nobody waiting: %ld\n", futex(&word, FUTEX_WAKE, 1, NULL, NULL, 0));
    say("FUTEX_WAIT for another value: %s\n",
        RES(futex(&word, FUTEX_WAIT_PRIVATE, 6, NULL, NULL, 0)));
    struct timespec rel = {0, 40000000};
    t0 = now_ms(CLOCK_MONOTONIC);
    r = (int)futex(&word, FUTEX_WAIT_PRIVATE, 5, &rel, NULL, 0);
    say("FUTEX_WAIT 40 ms: %s, after at least 35 ms: %s\n", RES(r),
        now_ms(CLOCK_MONOTONIC) - t0 >= 35 ? "yes" : "no");
    struct timespec abs;
    clock_gettime(CLOCK_REALTIME, &abs);
    abs.tv_nsec += 40000000;
    if (abs.tv_nsec >= 1000000000) {
        abs.tv_nsec -= 1000000000;
        abs.tv_sec++;
    }
    t0 = now_ms(CLOCK_MONOTONIC);
    r = (int)futex(&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 5, &abs, NULL,
                   FUTEX_BITSET_MATCH_ANY);
    say("FUTEX_WAIT_BITSET until 40 ms from now (realtime): %s, after at least 35 ms: %s\n",
        RES(r), now_ms(CLOCK_MONOTONIC) - t0 >= 35 ? "yes" : "no");
    clock_gettime(CLOCK_MONOTONIC, &abs);
    abs.tv_sec -= 1;
    say("FUTEX_WAIT_BITSET until a time past (monotonic): %s\n",
        RES(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 5, &abs, NULL, FUTEX_BITSET_MATCH_ANY)));
    say("FUTEX_WAIT_BITSET with bitset 0: %s\n",
        RES(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 5, NULL, NULL, 0)));
    say("FUTEX_WAIT at a misaligned address: %s\n",
        RES(futex((char *)&word + 1, FUTEX_WAIT_PRIVATE, 5, &rel, NULL, 0)));
    say("FUTEX_WAIT at a bad address: %s\n",
        RES(futex((void *)16, FUTEX_WAIT_PRIVATE, 5, &rel, NULL, 0)));
    struct timespec bad = {0, 1000000000};
    say("FUTEX_WAIT with tv_nsec 1e9: %s\n", RES(futex(&word, FUTEX_WAIT_PRIVATE, 5, &bad, NULL, 0)));
    say("FUTEX_CLOCK_REALTIME with FUTEX_WAKE: %s\n",
        RES(futex(&word, FUTEX_WAKE_PRIVATE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0)));

    /* A signal with a handler ends a wait that has no timeout. */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    t0 = now_ms(CLOCK_MONOTONIC);
    r = (int)futex(&word, FUTEX_WAIT_PRIVATE, 5, NULL, NULL, 0);
    say("FUTEX_WAIT with no timeout, SIGALRM after 50 ms: %s, after at least 40 ms: %s\n", RES(r),
        now_ms(CLOCK_MONOTONIC) - t0 >= 40 ? "yes" : "no");
    /* ... and one that is ignored does not. */
    signal(SIGCHLD, SIG_IGN);
    pid_t c = fork();
    if (c == 0)
        _exit(0);
    t0 = now_ms(CLOCK_MONOTONIC);
    r = (int)futex(&word, FUTEX_WAIT_PRIVATE, 5, &rel, NULL, 0);
    say("FUTEX_WAIT 40 ms while an ignored SIGCHLD comes: %s, after at least 35 ms: %s\n", RES(r),
        now_ms(CLOCK_MONOTONIC) - t0 >= 35 ? "yes" : "no");
    return 0;
}
