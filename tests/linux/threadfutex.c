/*
 * threadfutex.c: futexes between threads, raw: WAIT and WAKE, the bitset forms,
 * REQUEUE and CMP_REQUEUE, WAKE_OP, timeouts; robust mutexes whose owner dies; and the
 * hostile side: futexes on bad addresses, robust lists that point anywhere, a storm
 * of threads past what the VM can hold, threads killed in the middle of a call.
 * Every line is independent of scheduling: waits are counted until they add up.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include "lxtest.h"

/* linux/futex.h's values (musl-gcc has no kernel headers). */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define P(op) ((op) | FUTEX_PRIVATE_FLAG)
#define FUTEX_OP(op, oparg, cmp, cmparg) \
    ((((op) & 0xf) << 28) | (((cmp) & 0xf) << 24) | (((oparg) & 0xfff) << 12) | ((cmparg) & 0xfff))
#define FUTEX_OP_SET 0
#define FUTEX_OP_ADD 1
#define FUTEX_OP_CMP_EQ 0
#define FUTEX_OWNER_DIED 0x40000000u

static long futex(volatile uint32_t *uaddr, int op, uint32_t val, const void *t,
                  volatile uint32_t *uaddr2, uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, t, uaddr2, val3);
}

static const char *fres(long r)
{
    static char b[32];
    if (r < 0)
        return ename(errno);
    snprintf(b, sizeof(b), "%ld", r);
    return b;
}

static volatile uint32_t wa, wb;
static volatile int woke_ok;

/* Waits on wa while it is 0, private; counts a wake that returned 0. */
static void *wait_a(void *arg)
{
    (void)arg;
    while (__atomic_load_n(&wa, __ATOMIC_SEQ_CST) == 0)
        if (futex(&wa, P(FUTEX_WAIT), 0, NULL, NULL, 0) == 0)
            __atomic_fetch_add(&woke_ok, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void *wait_bits(void *arg)
{
    (void)arg;
    while (__atomic_load_n(&wb, __ATOMIC_SEQ_CST) == 0)
        futex(&wb, P(FUTEX_WAIT_BITSET), 0, NULL, NULL, 0x1);
    return NULL;
}

static void wait_wake(void)
{
    pthread_t t;
    pthread_create(&t, NULL, wait_a, NULL);
    long r;
    while ((r = futex(&wa, P(FUTEX_WAKE), 1, NULL, NULL, 0)) == 0)
        usleep(1000); /* until the waiter sleeps; it sleeps again if woken early */
    __atomic_store_n(&wa, 1, __ATOMIC_SEQ_CST);
    futex(&wa, P(FUTEX_WAKE), INT_MAX, NULL, NULL, 0);
    pthread_join(t, NULL);
    say("WAIT/WAKE between threads: a wake found the waiter (%ld), the wait returned 0: %s\n", r,
        woke_ok ? "yes" : "no");

    pthread_create(&t, NULL, wait_bits, NULL);
    long miss = 0, hit;
    for (;;) {
        miss += futex(&wb, P(FUTEX_WAKE_BITSET), 1, NULL, NULL, 0x2);
        if ((hit = futex(&wb, P(FUTEX_WAKE_BITSET), 1, NULL, NULL, 0x1)) != 0)
            break;
        usleep(1000);
    }
    __atomic_store_n(&wb, 1, __ATOMIC_SEQ_CST);
    futex(&wb, P(FUTEX_WAKE_BITSET), INT_MAX, NULL, NULL, 0xffffffffu);
    pthread_join(t, NULL);
    say("WAIT_BITSET 0x1: WAKE_BITSET 0x2 woke %ld in all, 0x1 woke %ld\n", miss, hit);
    say("WAKE_BITSET with bitset 0: %s\n", fres(futex(&wb, P(FUTEX_WAKE_BITSET), 1, NULL, NULL, 0)));
}

static volatile uint32_t rq_a, rq_b;
static volatile int rq_back;
static void *rq_waiter(void *arg)
{
    (void)arg;
    if (futex(&rq_a, P(FUTEX_WAIT), 0, NULL, NULL, 0) == 0)
        __atomic_fetch_add(&rq_back, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void requeue(void)
{
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, rq_waiter, NULL);
    long moved = 0;
    say("CMP_REQUEUE with the wrong value: %s\n",
        fres(futex(&rq_a, P(FUTEX_CMP_REQUEUE), 0, (void *)(long)INT_MAX, &rq_b, 5)));
    /* Waiters move to rq_b as they arrive on rq_a: all three, counted. */
    while (moved < 3) {
        long r = futex(&rq_a, P(FUTEX_CMP_REQUEUE), 0, (void *)(long)INT_MAX, &rq_b, 0);
        if (r > 0)
            moved += r;
        else
            usleep(1000);
    }
    long nobody = futex(&rq_a, P(FUTEX_WAKE), INT_MAX, NULL, NULL, 0);
    long woken = futex(&rq_b, P(FUTEX_WAKE), INT_MAX, NULL, NULL, 0);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    say("CMP_REQUEUE: moved %ld; then a wake on the first word woke %ld, on the second %ld; "
        "waits returned 0: %d\n", moved, nobody, woken, rq_back);

    /* Plain REQUEUE: wake one, move the other. */
    rq_back = 0;
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, rq_waiter, NULL);
    long total = 0;
    while (total < 2) {
        long r = futex(&rq_a, P(FUTEX_REQUEUE), 1, (void *)1L, &rq_b, 0);
        if (r > 0)
            total += r;
        else
            usleep(1000);
    }
    while (rq_back < 2) {
        futex(&rq_b, P(FUTEX_WAKE), INT_MAX, NULL, NULL, 0);
        usleep(1000);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    say("REQUEUE: 2 waiters woken or moved, both back: %d\n", rq_back);
}

static volatile uint32_t op1, op2;
static void *op_waiter(void *arg)
{
    (void)arg;
    while (__atomic_load_n(&op2, __ATOMIC_SEQ_CST) == 0)
        futex(&op2, P(FUTEX_WAIT), 0, NULL, NULL, 0);
    return NULL;
}

static void wake_op(void)
{
    pthread_t t;
    pthread_create(&t, NULL, op_waiter, NULL);
    long r;
    /* ADD 0 leaves op2 at 0 and its old value compares equal: the waiter on op2 wakes. */
    while ((r = futex(&op1, P(FUTEX_WAKE_OP), 1, (void *)1L, &op2,
                      FUTEX_OP(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_EQ, 0))) == 0)
        usleep(1000);
    long set = futex(&op1, P(FUTEX_WAKE_OP), 1, (void *)1L, &op2,
                     FUTEX_OP(FUTEX_OP_SET, 7, FUTEX_OP_CMP_EQ, 0));
    pthread_join(t, NULL);
    uint32_t after_set = op2;
    long miss = futex(&op1, P(FUTEX_WAKE_OP), 1, (void *)1L, &op2,
                      FUTEX_OP(FUTEX_OP_SET, 9, FUTEX_OP_CMP_EQ, 5));
    say("WAKE_OP: woke the second word's waiter (%ld); SET 7 returned %s, word %u; "
        "a false comparison woke %ld, word %u\n", r, set >= 0 ? "ok" : ename(errno), after_set, miss, op2);
}

static void timeouts(void)
{
    volatile uint32_t w = 0;
    struct timespec rel = {0, 20000000}, t0, t1, abs;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long r = futex(&w, P(FUTEX_WAIT), 0, &rel, NULL, 0);
    int e = errno;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    say("WAIT 20 ms: %s after >= 20 ms: %s\n", r < 0 ? ename(e) : "woken", ms >= 19 ? "yes" : "no");
    abs = t1;
    abs.tv_nsec += 30000000;
    if (abs.tv_nsec >= 1000000000) {
        abs.tv_sec++;
        abs.tv_nsec -= 1000000000;
    }
    r = futex(&w, P(FUTEX_WAIT_BITSET), 0, &abs, NULL, 0xffffffffu);
    e = errno;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int past = t0.tv_sec > abs.tv_sec || (t0.tv_sec == abs.tv_sec && t0.tv_nsec >= abs.tv_nsec);
    say("WAIT_BITSET to an absolute monotonic deadline: %s, deadline passed: %s\n",
        r < 0 ? ename(e) : "woken", past ? "yes" : "no");
    struct timespec bad = {0, 1000000000};
    say("WAIT with tv_nsec 1e9: %s\n", fres(futex(&w, P(FUTEX_WAIT), 0, &bad, NULL, 0)));
    say("WAIT with a value that differs: %s\n", fres(futex(&w, P(FUTEX_WAIT), 1, &rel, NULL, 0)));
}

static pthread_mutex_t robust;
static volatile int robust_taken;
static void *robust_owner(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&robust);
    robust_taken = 1;
    usleep(30000); /* main blocks on it meanwhile */
    return NULL;  /* ends holding it */
}

static void robust_mutex(void)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&robust, &a);
    pthread_t t;
    pthread_create(&t, NULL, robust_owner, NULL);
    while (!robust_taken)
        usleep(1000);
    int r = pthread_mutex_lock(&robust); /* sleeps until the owner dies */
    int c = r == EOWNERDEAD ? pthread_mutex_consistent(&robust) : -1;
    pthread_mutex_unlock(&robust);
    int again = pthread_mutex_lock(&robust);
    pthread_mutex_unlock(&robust);
    pthread_join(t, NULL);
    say("robust mutex, its owner ended holding it: lock says %s, consistent %s, then %s\n",
        r ? ename(r) : "ok", c == 0 ? "ok" : "failed", again ? ename(again) : "ok");
}

/* Linux's struct robust_list_head and one entry: the lock word sits at entry + offset. */
struct rlist {
    struct rlist *next;
};
struct rhead {
    struct rlist list;
    long futex_offset;
    struct rlist *pending;
};

static struct rhead head;
static struct {
    struct rlist l;
    uint32_t word;
} entry;
static void *robust_raw(void *arg)
{
    int kind = (int)(intptr_t)arg;
    entry.word = (uint32_t)syscall(SYS_gettid);
    head.futex_offset = (long)((char *)&entry.word - (char *)&entry);
    head.pending = NULL;
    switch (kind) {
    case 0: /* a proper list of one held lock */
        head.list.next = &entry.l;
        entry.l.next = &head.list;
        break;
    case 1: /* an entry that points at itself: the walk must stop */
        head.list.next = &entry.l;
        entry.l.next = &entry.l;
        break;
    case 2: /* into nowhere */
        head.list.next = (struct rlist *)0x10;
        break;
    case 3: /* a kernel address */
        head.list.next = (struct rlist *)0xffff880000000000ul;
        break;
    case 4: /* a huge offset */
        head.list.next = &entry.l;
        entry.l.next = &head.list;
        head.futex_offset = 1L << 40;
        break;
    }
    syscall(SYS_set_robust_list, &head, sizeof(head));
    syscall(SYS_exit, 0); /* no C library cleanup: the kernel's walk only */
    return NULL;
}

static void robust_lists(void)
{
    static const char *what[] = {"a held lock", "an entry pointing at itself",
                                 "a list into nowhere", "a kernel address", "a huge offset"};
    for (int k = 0; k < 5; k++) {
        entry.word = 0;
        pthread_t t;
        pthread_create(&t, NULL, robust_raw, (void *)(intptr_t)k);
        usleep(30000); /* not joined: it ended by a raw exit */
        uint32_t w = __atomic_load_n(&entry.word, __ATOMIC_SEQ_CST);
        say("robust list with %s: the thread ended, word %s\n", what[k],
            w == FUTEX_OWNER_DIED ? "OWNER_DIED" : w == 0 ? "0" : "still its tid");
    }
    /* The process's own list again: glibc and musl keep theirs in the thread. */
    say("set_robust_list with a wrong size: %s\n", RES(syscall(SYS_set_robust_list, &head, 8)));
}

static void bad_addresses(void)
{
    void *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct timespec ms = {0, 1000000};
    say("WAIT on NULL: %s\n", fres(futex(NULL, P(FUTEX_WAIT), 0, &ms, NULL, 0)));
    say("WAIT misaligned: %s\n", fres(futex((uint32_t *)((char *)&wa + 1), P(FUTEX_WAIT), 0, &ms,
                                            NULL, 0)));
    say("WAIT on a PROT_NONE page: %s\n", fres(futex(none, P(FUTEX_WAIT), 0, &ms, NULL, 0)));
    say("WAIT on a kernel address: %s\n",
        fres(futex((uint32_t *)0xffff880000000000ul, P(FUTEX_WAIT), 0, &ms, NULL, 0)));
    say("WAKE shared on NULL: %s\n", fres(futex(NULL, FUTEX_WAKE, 1, NULL, NULL, 0)));
    say("WAKE_OP onto a PROT_NONE page: %s\n",
        fres(futex(&wa, P(FUTEX_WAKE_OP), 1, (void *)1L, none,
                   FUTEX_OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0))));
    say("REQUEUE onto NULL, shared: %s\n",
        fres(futex(&wa, FUTEX_CMP_REQUEUE, 0, (void *)1L, NULL, wa)));
    say("WAIT with an unmapped timeout: %s\n",
        fres(futex(&wa, P(FUTEX_WAIT), wa, (void *)0x10, NULL, 0)));
    say("unknown op 99: %s\n", fres(futex(&wa, 99, 0, NULL, NULL, 0)));
    munmap(none, 4096);
}

static pthread_mutex_t storm_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t storm_c = PTHREAD_COND_INITIALIZER;
static int storm_release;
static void *storm_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&storm_m);
    while (!storm_release)
        pthread_cond_wait(&storm_c, &storm_m);
    pthread_mutex_unlock(&storm_m);
    return NULL;
}

static void *trivial(void *arg)
{
    return arg;
}

/* More threads than a VM holds: creation stops with EAGAIN, nothing else goes wrong. */
static void storm(void)
{
    enum { N = 300 };
    static pthread_t t[N];
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 64 * 1024);
    int made = 0, err = 0;
    for (; made < N; made++)
        if ((err = pthread_create(&t[made], &a, storm_thread, NULL)) != 0)
            break;
    pthread_mutex_lock(&storm_m);
    storm_release = 1;
    pthread_cond_broadcast(&storm_c);
    pthread_mutex_unlock(&storm_m);
    for (int i = 0; i < made; i++)
        pthread_join(t[i], NULL);
    pthread_t x;
    void *r = NULL;
    int again = pthread_create(&x, NULL, trivial, (void *)5L) == 0 && pthread_join(x, &r) == 0;
    say("storm of %d threads: all made, or stopped by EAGAIN after 100 or more: %s; "
        "afterwards a thread runs: %s\n", N,
        made == N || (err == EAGAIN && made >= 100) ? "yes" : "no",
        again && r == (void *)5L ? "yes" : "no");
}

static int kill_pipe[2];
static void *reader(void *arg)
{
    char c;
    (void)arg;
    read(kill_pipe[0], &c, 1); /* never returns: nobody writes */
    return NULL;
}

static void exit_group_mid_read(void)
{
    pthread_t t;
    pipe(kill_pipe);
    pthread_create(&t, NULL, reader, NULL);
    pthread_create(&t, NULL, reader, NULL);
    usleep(20000);
    syscall(SYS_exit_group, 3);
}

static void sigkill_mid_read(void)
{
    pthread_t t;
    pipe(kill_pipe);
    pthread_create(&t, NULL, reader, NULL);
    usleep(20000);
    pthread_kill(t, SIGKILL);
    for (;;)
        pause();
}

int main(void)
{
    wait_wake();
    requeue();
    wake_op();
    timeouts();
    robust_mutex();
    robust_lists();
    bad_addresses();
    storm();
    say("exit_group while threads wait in read: %s\n", in_child(exit_group_mid_read));
    say("SIGKILL to a thread waiting in read: %s\n", in_child(sigkill_mid_read));
    return 0;
}
