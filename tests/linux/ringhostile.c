/*
 * ringhostile.c: a process that wrecks the shared ring of a pipe it holds (under
 * ukmon at 0x60000 + slot * 0x11000; on the host that memory is its own, mapped here
 * to run the same code). Its peer may read garbage, see EOF, or wait for ever, as with
 * any peer that lies or never reads; but it must stay in control: an alarm still
 * ends each of its reads and writes (EINTR), and it goes on. The monitor neither
 * fails nor waits on a lock the wrecker holds.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

#include "lxtest.h"

#define RING_AREA 0x60000UL

struct ring { /* include/ukmon_ring.h */
    uint32_t magic, flags;
    uint64_t pad0[7];
    uint64_t head;
    uint64_t pad1[7];
    uint64_t tail;
    uint64_t pad2[7];
    uint32_t wlock, rlock, rwait, wwait, readers, writers;
};

static void wreck(int how, pid_t peer)
{
    struct ring *r = (struct ring *)RING_AREA;
    mmap(r, 0x11000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
         -1, 0);
    int t[2];
    if (pipe(t) < 0 || write(t[1], "z", 1) != 1 || read(t[0], (void *)r, 1) != 1)
        return; /* not writable here */
    switch (how) {
    case 0: r->head = r->tail + (1ULL << 40); break;          /* a lie about the data */
    case 1: r->rlock = r->wlock = (uint32_t)peer; break;      /* locks held by a live pid */
    case 2: r->readers = r->writers = 0; r->flags = ~0u; break; /* counts, flags */
    case 3: memset(r, 0xff, 0x11000); break;                  /* everything */
    }
}

static void on_alarm(int s)
{
    (void)s;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm; /* no SA_RESTART: a stuck call returns EINTR */
    sigaction(SIGALRM, &sa, NULL);
    for (int how = 0; how < 4; how++) {
        int p[2];
        if (pipe(p) < 0)
            return 2;
        pid_t me = getpid();
        pid_t c = fork();
        if (c == 0) {
            wreck(how, me);
            if (write(p[1], "hi", 2) < 0)
                _exit(1);
            struct timespec ts = {0, 50000000};
            nanosleep(&ts, NULL);
            _exit(0);
        }
        close(p[1]);
        char b[70000];
        long total = 0;
        ssize_t r;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        alarm(2);
        while ((r = read(p[0], b, sizeof(b))) > 0 && total < (1L << 20))
            total += r;
        alarm(0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        int st;
        kill(c, SIGKILL);
        waitpid(c, &st, 0);
        close(p[0]);
        /* the writer side wrecked: the parent writes to a reader that wrecks its ring */
        if (pipe(p) < 0)
            return 2;
        c = fork();
        if (c == 0) {
            close(p[1]);
            wreck(how, me);
            char cb[100];
            while (read(p[0], cb, sizeof(cb)) > 0)
                ;
            _exit(0);
        }
        close(p[0]);
        struct timespec t2, t3;
        clock_gettime(CLOCK_MONOTONIC, &t2);
        alarm(2);
        for (int i = 0; i < 100; i++) {
            if (write(p[1], b, 1000) <= 0)
                break;
        }
        alarm(0);
        clock_gettime(CLOCK_MONOTONIC, &t3);
        close(p[1]);
        kill(c, SIGKILL);
        waitpid(c, &st, 0);
        double rs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        double ws = (double)(t3.tv_sec - t2.tv_sec) + (double)(t3.tv_nsec - t2.tv_nsec) / 1e9;
        say("wreck %d: the reader ended %s, the writer ended %s\n", how,
            rs < 5 ? "in time" : "LATE", ws < 5 ? "in time" : "LATE");
    }
    say("still running\n");
    return 0;
}
