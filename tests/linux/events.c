/* events.c: eventfd and timerfd: counts, flags, blocking reads, poll and epoll, fork. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>

#include "lxtest.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *rd(int fd)
{
    static char b[64];
    uint64_t v;
    ssize_t n = read(fd, &v, sizeof(v));
    if (n < 0)
        return ename(errno);
    snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
    return b;
}

static void wr(int fd, uint64_t v)
{
    write(fd, &v, sizeof(v));
}

static struct itimerspec its(double value, double interval)
{
    struct itimerspec t;
    t.it_value.tv_sec = (time_t)value;
    t.it_value.tv_nsec = (long)((value - (double)(time_t)value) * 1e9);
    t.it_interval.tv_sec = (time_t)interval;
    t.it_interval.tv_nsec = (long)((interval - (double)(time_t)interval) * 1e9);
    return t;
}

int main(void)
{
    int e = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    say("eventfd(EFD_NONBLOCK|EFD_CLOEXEC): %s, FD_CLOEXEC %s, O_NONBLOCK %s\n",
        e < 0 ? ename(errno) : "ok", (fcntl(e, F_GETFD) & FD_CLOEXEC) ? "yes" : "no",
        (fcntl(e, F_GETFL) & O_NONBLOCK) ? "yes" : "no");
    say("read, nothing counted: %s\n", rd(e));
    wr(e, 3);
    wr(e, 4);
    say("after writing 3 and 4: %s", rd(e));
    say(", then %s\n", rd(e));
    uint32_t small;
    say("read of 4 bytes: %s\n", RES(read(e, &small, sizeof(small))));
    uint64_t max = UINT64_MAX;
    say("write of 2^64-1: %s\n", RES(write(e, &max, sizeof(max))));
    struct pollfd pf = {.fd = e, .events = POLLIN | POLLOUT};
    int n = poll(&pf, 1, 0);
    say("poll, nothing counted: %d, POLLIN %s, POLLOUT %s\n", n, (pf.revents & POLLIN) ? "yes" : "no",
        (pf.revents & POLLOUT) ? "yes" : "no");
    wr(e, 1);
    n = poll(&pf, 1, 0);
    say("poll after a write: %d, POLLIN %s\n", n, (pf.revents & POLLIN) ? "yes" : "no");
    rd(e);
    close(e);

    e = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
    say("EFD_SEMAPHORE from 3: %s", rd(e));
    say(" %s", rd(e));
    say(" %s", rd(e));
    say(" %s\n", rd(e));
    close(e);
    say("eventfd with a bad flag: %s\n", RES(eventfd(0, 0x10)));

    /* blocking, across fork: the child counts, the parent waits */
    e = eventfd(0, 0);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        usleep(300000);
        wr(e, 42);
        _exit(0);
    }
    double t0 = now();
    const char *got = rd(e);
    say("blocking read of an eventfd a child writes: %s after %s\n", got,
        now() - t0 > 0.2 ? "waiting" : "no wait");
    waitpid(c, NULL, 0);

    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
    epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev);
    struct epoll_event out;
    say("epoll_wait on an empty eventfd: %d\n", epoll_wait(ep, &out, 1, 50));
    wr(e, 1);
    n = epoll_wait(ep, &out, 1, 1000);
    say("epoll_wait after a write: %d, data %llu\n", n, (unsigned long long)out.data.u64);
    close(ep);
    close(e);

    /* timerfd */
    int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    say("timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK|TFD_CLOEXEC): %s, FD_CLOEXEC %s\n",
        t < 0 ? ename(errno) : "ok", (fcntl(t, F_GETFD) & FD_CLOEXEC) ? "yes" : "no");
    say("read, not armed: %s\n", rd(t));
    struct itimerspec set = its(0.2, 0.1), cur, old;
    say("settime 200 ms, then every 100 ms: %s\n", RES(timerfd_settime(t, 0, &set, NULL)));
    timerfd_gettime(t, &cur);
    say("gettime: interval %ld ms, value <= 200 ms: %s\n", cur.it_interval.tv_nsec / 1000000,
        cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 200000000 && cur.it_value.tv_nsec > 0 ? "yes" : "no");
    say("read at once: %s\n", rd(t));
    usleep(450000);
    uint64_t v = 0;
    read(t, &v, sizeof(v));
    say("read after 450 ms: %s expirations\n", v >= 2 ? "at least 2" : "fewer than 2");
    set = its(0, 0);
    say("disarm: %s", RES(timerfd_settime(t, 0, &set, &old)));
    say(", the old interval: %ld ms\n", old.it_interval.tv_nsec / 1000000);
    timerfd_gettime(t, &cur);
    say("gettime disarmed: %ld %ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
    close(t);

    t = timerfd_create(CLOCK_MONOTONIC, 0);
    set = its(0.3, 0);
    timerfd_settime(t, 0, &set, NULL);
    t0 = now();
    got = rd(t);
    say("blocking read of a 300 ms timer: %s after %s\n", got, now() - t0 > 0.2 ? "waiting" : "no wait");

    /* absolute, on the real-time clock: the guest's clocks are the host's */
    int tr = timerfd_create(CLOCK_REALTIME, 0);
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    set = its(0, 0);
    set.it_value = rt;
    set.it_value.tv_nsec += 300000000;
    if (set.it_value.tv_nsec >= 1000000000) {
        set.it_value.tv_sec++;
        set.it_value.tv_nsec -= 1000000000;
    }
    say("CLOCK_REALTIME, TFD_TIMER_ABSTIME now + 300 ms: %s", RES(timerfd_settime(tr, TFD_TIMER_ABSTIME, &set, NULL)));
    t0 = now();
    got = rd(tr);
    say(", read %s after %s\n", got, now() - t0 > 0.2 ? "waiting" : "no wait");
    struct timespec mono;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    set = its(0, 0);
    set.it_value = mono;
    set.it_value.tv_sec -= 1;
    timerfd_settime(t, TFD_TIMER_ABSTIME, &set, NULL);
    say("CLOCK_MONOTONIC, TFD_TIMER_ABSTIME in the past: read %s at once\n", rd(t));

    /* a timer a forked child inherits: it reads the parent's expirations */
    set = its(0.2, 0);
    timerfd_settime(t, 0, &set, NULL);
    fflush(stdout);
    c = fork();
    if (c == 0) {
        say("child: read of the inherited timer: %s\n", rd(t));
        _exit(0);
    }
    waitpid(c, NULL, 0);
    pf = (struct pollfd){.fd = t, .events = POLLIN};
    say("parent: poll of it after the child read: %d\n", poll(&pf, 1, 0));

    say("timerfd_create with a bad clock: %s\n", RES(timerfd_create(99, 0)));
    say("timerfd_create with a bad flag: %s\n", RES(timerfd_create(CLOCK_MONOTONIC, 0x10)));
    say("timerfd_settime with a bad flag: %s\n", RES(timerfd_settime(t, 0x10, &set, NULL)));
    int p[2];
    pipe(p);
    say("timerfd_settime on a pipe: %s\n", RES(timerfd_settime(p[0], 0, &set, NULL)));
    say("timerfd_gettime on a bad fd: %s\n", RES(timerfd_gettime(99, &cur)));
    set.it_value.tv_nsec = 2000000000;
    say("timerfd_settime with tv_nsec 2e9: %s\n", RES(timerfd_settime(t, 0, &set, NULL)));
    say("timerfd_settime from a bad pointer: %s\n", RES(timerfd_settime(t, 0, (struct itimerspec *)8, NULL)));
    return 0;
}
