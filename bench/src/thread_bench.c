/*
 * thread_bench: what threads cost: pthread_create + pthread_join of a thread that
 * returns at once, and a futex ping-pong between two threads (one round trip: each
 * wakes the other once). A static host program; under ukmon it runs as a Linux
 * program, whose threads are vCPUs of its VM.
 */
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

static void *nothing(void *arg)
{
    return arg;
}

static void create_join(int n)
{
    int64_t *t = calloc((size_t)n, 8);
    for (int i = 0; i < n; i++) {
        pthread_t th;
        int64_t t0 = now_ns();
        if (pthread_create(&th, NULL, nothing, NULL) != 0 || pthread_join(th, NULL) != 0) {
            fprintf(stderr, "thread_bench: pthread_create failed\n");
            exit(1);
        }
        t[i] = now_ns() - t0;
    }
    report_us("thread_create_join", t, n);
    free(t);
}

/* The ball: whose turn it is (0: the main thread's, 1: the other's). */
static volatile uint32_t turn;

static void pass(uint32_t to)
{
    __atomic_store_n(&turn, to, __ATOMIC_SEQ_CST);
    syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void await(uint32_t mine)
{
    uint32_t v;
    while ((v = __atomic_load_n(&turn, __ATOMIC_SEQ_CST)) != mine)
        syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
}

static void *partner(void *arg)
{
    int n = (int)(intptr_t)arg;
    for (int i = 0; i < n; i++) {
        await(1);
        pass(0);
    }
    return NULL;
}

static void pingpong(int n)
{
    int64_t *t = calloc((size_t)n, 8);
    pthread_t th;
    turn = 0;
    pthread_create(&th, NULL, partner, (void *)(intptr_t)n);
    for (int i = 0; i < n; i++) {
        int64_t t0 = now_ns();
        pass(1);
        await(0);
        t[i] = now_ns() - t0;
    }
    pthread_join(th, NULL);
    report_us("thread_futex_pingpong", t, n);
    free(t);
}

/* Usage: thread_bench create|pingpong N */
int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "create";
    int n = argc > 2 ? atoi(argv[2]) : 1000;
    if (n < 1)
        n = 1;
    if (!strcmp(what, "pingpong"))
        pingpong(n);
    else
        create_join(n);
    return 0;
}
