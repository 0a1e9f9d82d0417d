/*
 * threads.c: pthreads as programs use them, every result independent of scheduling:
 * mutexes, condition variables, semaphores, barriers, rwlocks, TLS, thread-specific
 * data and its destructors, cancellation at a cancellation point, 64 threads at once,
 * tids, and a process that ends when its last thread does (exit of the main thread).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "lxtest.h"

#define NT 8
#define ROUNDS 20000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *add_locked(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

/* A bounded queue: producers and consumers on one mutex and two condition variables. */
#define QCAP 4
static struct {
    pthread_mutex_t m;
    pthread_cond_t not_full, not_empty;
    int buf[QCAP], head, n;
} q = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0};
static long consumed_sum;

static void *producer(void *arg)
{
    int base = (int)(intptr_t)arg;
    for (int i = 1; i <= 1000; i++) {
        pthread_mutex_lock(&q.m);
        while (q.n == QCAP)
            pthread_cond_wait(&q.not_full, &q.m);
        q.buf[(q.head + q.n++) % QCAP] = base + i;
        pthread_cond_signal(&q.not_empty);
        pthread_mutex_unlock(&q.m);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    long take = (long)(intptr_t)arg, sum = 0;
    for (long i = 0; i < take; i++) {
        pthread_mutex_lock(&q.m);
        while (q.n == 0)
            pthread_cond_wait(&q.not_empty, &q.m);
        sum += q.buf[q.head];
        q.head = (q.head + 1) % QCAP;
        q.n--;
        pthread_cond_signal(&q.not_full);
        pthread_mutex_unlock(&q.m);
    }
    pthread_mutex_lock(&mu);
    consumed_sum += sum;
    pthread_mutex_unlock(&mu);
    return NULL;
}

static sem_t sem_items, sem_done;
static void *sem_worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) {
        sem_wait(&sem_items);
        sem_post(&sem_done);
    }
    return NULL;
}

static pthread_barrier_t bar;
static int phase_seen[NT][3];
static int phase;
static void *barrier_worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int p = 0; p < 3; p++) {
        phase_seen[id][p] = __atomic_load_n(&phase, __ATOMIC_SEQ_CST);
        if (pthread_barrier_wait(&bar) == PTHREAD_BARRIER_SERIAL_THREAD)
            __atomic_fetch_add(&phase, 1, __ATOMIC_SEQ_CST);
        pthread_barrier_wait(&bar); /* everyone sees the new phase from here */
    }
    return NULL;
}

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long rw_a, rw_b, rw_torn;
static void *rw_writer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        pthread_rwlock_wrlock(&rw);
        rw_a++;
        rw_b++;
        pthread_rwlock_unlock(&rw);
    }
    return NULL;
}

static void *rw_reader(void *arg)
{
    (void)arg;
    long torn = 0;
    for (int i = 0; i < 2000; i++) {
        pthread_rwlock_rdlock(&rw);
        if (rw_a != rw_b)
            torn++;
        pthread_rwlock_unlock(&rw);
    }
    __atomic_fetch_add(&rw_torn, torn, __ATOMIC_SEQ_CST);
    return NULL;
}

static __thread int tls_value = 7;
static __thread char tls_buf[64];
static void *tls_worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    int start = tls_value; /* every thread starts from the initial image */
    tls_value = id * 10;
    snprintf(tls_buf, sizeof(tls_buf), "thread %d", id);
    sched_yield();
    int ok = start == 7 && tls_value == id * 10;
    char want[64];
    snprintf(want, sizeof(want), "thread %d", id);
    ok = ok && !strcmp(tls_buf, want);
    return (void *)(intptr_t)ok;
}

static pthread_key_t key;
static int destructor_runs;
static void key_destructor(void *v)
{
    __atomic_fetch_add(&destructor_runs, (int)(intptr_t)v, __ATOMIC_SEQ_CST);
}

static void *key_worker(void *arg)
{
    pthread_setspecific(key, arg);
    sched_yield();
    return (void *)(intptr_t)(pthread_getspecific(key) == arg);
}

static void *cancel_worker(void *arg)
{
    (void)arg;
    for (;;)
        pause(); /* a cancellation point */
    return NULL;
}

/* All 64 alive at once (a barrier): their tids are distinct, as live threads' are. */
static volatile pid_t tids[64];
static pthread_barrier_t bar65;
static void *tid_worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    tids[id] = (pid_t)syscall(SYS_gettid);
    pthread_barrier_wait(&bar65);
    return (void *)(intptr_t)(id * 3);
}

/* Threads that create threads, all at once: every clone gets a vCPU of its own. */
static int nested_ran;
static void *nested_leaf(void *arg)
{
    (void)arg;
    __atomic_fetch_add(&nested_ran, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void *nested_creator(void *arg)
{
    (void)arg;
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, nested_leaf, NULL);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    return NULL;
}

static void *last_one(void *arg)
{
    (void)arg;
    usleep(50000);
    say("the last thread runs after main's pthread_exit, then the process ends with 0\n");
    return NULL;
}

int main(void)
{
    pthread_t t[64];

    for (int i = 0; i < NT; i++)
        pthread_create(&t[i], NULL, add_locked, NULL);
    for (int i = 0; i < NT; i++)
        pthread_join(t[i], NULL);
    say("mutex: %d threads x %d increments = %ld\n", NT, ROUNDS, counter);

    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, producer, (void *)(intptr_t)(i * 10000));
    pthread_create(&t[3], NULL, consumer, (void *)(intptr_t)1500);
    pthread_create(&t[4], NULL, consumer, (void *)(intptr_t)1500);
    for (int i = 0; i < 5; i++)
        pthread_join(t[i], NULL);
    say("condvar queue: 3 producers, 2 consumers, sum %ld\n", consumed_sum);

    sem_init(&sem_items, 0, 0);
    sem_init(&sem_done, 0, 0);
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, sem_worker, NULL);
    for (int i = 0; i < 400; i++)
        sem_post(&sem_items);
    for (int i = 0; i < 400; i++)
        sem_wait(&sem_done);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    int v = -1;
    sem_getvalue(&sem_items, &v);
    say("semaphores: 400 posted, 400 taken, %d left, trywait %s\n", v,
        sem_trywait(&sem_items) == 0 ? "took one" : ename(errno));

    pthread_barrier_init(&bar, NULL, NT);
    for (int i = 0; i < NT; i++)
        pthread_create(&t[i], NULL, barrier_worker, (void *)(intptr_t)i);
    for (int i = 0; i < NT; i++)
        pthread_join(t[i], NULL);
    int bad = 0;
    for (int i = 0; i < NT; i++)
        for (int p = 0; p < 3; p++)
            bad += phase_seen[i][p] != p;
    say("barrier: %d threads, 3 phases, %d saw the wrong phase\n", NT, bad);

    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, rw_writer, NULL);
    for (int i = 2; i < 6; i++)
        pthread_create(&t[i], NULL, rw_reader, NULL);
    for (int i = 0; i < 6; i++)
        pthread_join(t[i], NULL);
    say("rwlock: a=%ld b=%ld, torn reads %ld\n", rw_a, rw_b, rw_torn);

    int good = 0;
    for (int i = 0; i < NT; i++)
        pthread_create(&t[i], NULL, tls_worker, (void *)(intptr_t)(i + 1));
    for (int i = 0; i < NT; i++) {
        void *r;
        pthread_join(t[i], &r);
        good += (int)(intptr_t)r;
    }
    say("TLS: %d of %d threads saw their own; main's still %d\n", good, NT, tls_value);

    pthread_key_create(&key, key_destructor);
    good = 0;
    for (int i = 0; i < NT; i++)
        pthread_create(&t[i], NULL, key_worker, (void *)(intptr_t)(i + 1));
    for (int i = 0; i < NT; i++) {
        void *r;
        pthread_join(t[i], &r);
        good += (int)(intptr_t)r;
    }
    say("thread-specific data: %d of %d own values, destructors summed %d\n", good, NT,
        destructor_runs);

    pthread_create(&t[0], NULL, cancel_worker, NULL);
    usleep(20000);
    void *cr = NULL;
    int cj = pthread_cancel(t[0]);
    pthread_join(t[0], &cr);
    say("cancel in pause(): %s, joined %s\n", cj ? ename(cj) : "ok",
        cr == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "something else");

    int made = 0;
    pthread_barrier_init(&bar65, NULL, 65);
    for (int i = 0; i < 64; i++)
        made += pthread_create(&t[i], NULL, tid_worker, (void *)(intptr_t)i) == 0;
    pthread_barrier_wait(&bar65);
    long sum = 0;
    for (int i = 0; i < 64; i++) {
        void *r;
        pthread_join(t[i], &r);
        sum += (long)(intptr_t)r;
    }
    int distinct = 1, self = 0;
    pid_t me = getpid();
    for (int i = 0; i < 64; i++) {
        self += tids[i] == me;
        for (int j = 0; j < i; j++)
            distinct &= tids[i] != tids[j] && tids[i] > 0;
    }
    say("64 threads: %d made, results sum %ld, tids distinct %s, none the pid's: %s\n", made,
        sum, distinct ? "yes" : "no", self ? "no" : "yes");
    say("main's tid is the pid: %s\n", syscall(SYS_gettid) == me ? "yes" : "no");

    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 4; i++)
            pthread_create(&t[i], NULL, nested_creator, NULL);
        for (int i = 0; i < 4; i++)
            pthread_join(t[i], NULL);
    }
    say("threads creating threads: 20 rounds of 4 x 8, %d ran\n", nested_ran);

    pthread_create(&t[0], NULL, last_one, NULL);
    pthread_exit(NULL);
}
