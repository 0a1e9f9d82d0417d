/*
 * ringpipe.c: pipes between processes, as Linux defines them, whatever carries the
 * data (under ukmon, a ring in memory the two VMs share, moved by the guest itself):
 * every byte in order, PIPE_BUF atomicity among several writers, EOF, EPIPE and
 * SIGPIPE, O_NONBLOCK, poll, select, FIONREAD, epoll and a new pipe size (which take
 * the pipe back to the host), a blocked read cut by a signal, an exec'd reader, and
 * writes of a MiB. Same output as on the host.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/time.h>
#include <time.h>

#include "lxtest.h"

static uint32_t sum_bytes(const unsigned char *b, size_t n, uint32_t h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Every byte, in order, in writes and reads of every size. */
static void stream(void)
{
    int p[2];
    if (pipe(p) < 0)
        exit(2);
    static unsigned char buf[300000];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)(i * 131 + (i >> 9));
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        size_t off = 0, step = 1;
        while (off < sizeof(buf)) {
            size_t n = step < sizeof(buf) - off ? step : sizeof(buf) - off;
            if (write(p[1], buf + off, n) != (ssize_t)n)
                _exit(1);
            off += n;
            step = step * 7 % 70001 + 1;
        }
        _exit(0);
    }
    close(p[1]);
    static unsigned char got[sizeof(buf)];
    size_t off = 0, want = 1;
    ssize_t r;
    while ((r = read(p[0], got + off, want < sizeof(got) - off ? want : sizeof(got) - off)) > 0) {
        off += (size_t)r;
        want = want * 5 % 90001 + 1;
    }
    int st;
    waitpid(c, &st, 0);
    say("300000 bytes in writes and reads of every size: %s, writer %s, then EOF %s\n",
        off == sizeof(buf) && sum_bytes(got, off, 2166136261u) == sum_bytes(buf, off, 2166136261u)
            ? "all in order" : "WRONG", how(st), r == 0 ? "yes" : "no");
    close(p[0]);
}

/* Records of PIPE_BUF bytes from three writers: never torn. */
static void atomic_writers(void)
{
    int p[2];
    if (pipe(p) < 0)
        exit(2);
    for (int w = 0; w < 3; w++) {
        if (fork() == 0) {
            close(p[0]);
            unsigned char rec[4096];
            memset(rec, 'a' + w, sizeof(rec));
            for (int i = 0; i < 200; i++)
                if (write(p[1], rec, sizeof(rec)) != (ssize_t)sizeof(rec))
                    _exit(1);
            _exit(0);
        }
    }
    close(p[1]);
    unsigned char rec[4096];
    int records = 0, torn = 0;
    for (;;) {
        size_t got = 0;
        ssize_t r = 0;
        while (got < sizeof(rec) && (r = read(p[0], rec + got, sizeof(rec) - got)) > 0)
            got += (size_t)r;
        if (got == 0)
            break;
        records++;
        for (size_t i = 1; i < got; i++)
            if (rec[i] != rec[0])
                torn++;
        if (got < sizeof(rec))
            break;
    }
    while (wait(NULL) > 0)
        ;
    say("three writers, 600 records of PIPE_BUF bytes: %d whole, %s torn\n", records,
        torn ? "some" : "none");
    close(p[0]);
}

static void epipe(void)
{
    int p[2];
    if (pipe(p) < 0)
        exit(2);
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    say("write with no reader, SIGPIPE ignored: %s\n", RES(write(p[1], "x", 1)));
    signal(SIGPIPE, SIG_DFL);
    pid_t c = fork();
    if (c == 0) {
        if (write(p[1], "x", 1) < 0)
            _exit(3);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    say("... with its default action: the writer dies of %s\n", how(st));
    close(p[1]);
    /* The reader is another process that goes away while the writer waits for room. */
    if (pipe(p) < 0)
        exit(2);
    c = fork();
    if (c == 0) {
        close(p[1]);
        sleep_ms(100);
        _exit(0); /* never reads */
    }
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    static char big[200000];
    ssize_t n = write(p[1], big, sizeof(big));
    say("a blocked writer whose reader exits: %s\n", n < 0 ? ename(errno) :
        n > 0 && n < (ssize_t)sizeof(big) ? "part written" : "all written?");
    signal(SIGPIPE, SIG_DFL);
    waitpid(c, &st, 0);
    close(p[1]);
}

static void nonblock(void)
{
    int p[2];
    if (pipe2(p, O_NONBLOCK) < 0)
        exit(2);
    char b[8];
    say("O_NONBLOCK: empty read %s", RES(read(p[0], b, sizeof(b))));
    static char big[70000];
    ssize_t n = write(p[1], big, sizeof(big));
    say(", a large write: %s", n == 65536 ? "65536" : n > 0 ? "other size" : ename(errno));
    say(", then a small one: %s", RES(write(p[1], big, 100)));
    int avail = -1;
    ioctl(p[0], FIONREAD, &avail);
    say(", FIONREAD %d\n", avail);
    struct pollfd pf[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
    int n2 = poll(pf, 2, 0);
    say("poll on a full pipe: %d (read end %s, write end %s)\n", n2,
        pf[0].revents & POLLIN ? "POLLIN" : "-", pf[1].revents & POLLOUT ? "POLLOUT" : "-");
    while (read(p[0], big, sizeof(big)) > 0)
        ;
    pf[0].revents = pf[1].revents = 0;
    n2 = poll(pf, 2, 0);
    say("drained: poll %d (read end %s, write end %s)", n2,
        pf[0].revents & POLLIN ? "POLLIN" : "-", pf[1].revents & POLLOUT ? "POLLOUT" : "-");
    close(p[1]);
    pf[0].revents = 0;
    n2 = poll(pf, 1, 0);
    say(", writer closed: %d (%s%s)\n", n2, pf[0].revents & POLLHUP ? "POLLHUP" : "",
        pf[0].revents & POLLIN ? " POLLIN" : "");
    close(p[0]);
}

/* poll and select that wait for another process's write. */
static void wait_for_writer(void)
{
    int p[2];
    if (pipe(p) < 0)
        exit(2);
    pid_t c = fork();
    if (c == 0) {
        sleep_ms(50);
        if (write(p[1], "hello", 5) != 5)
            _exit(1);
        sleep_ms(50);
        if (write(p[1], "again", 5) != 5)
            _exit(1);
        _exit(0);
    }
    struct pollfd pf = {p[0], POLLIN, 0};
    int n = poll(&pf, 1, 5000);
    char b[16] = "";
    say("poll waits for the writer: %d, %s", n, pf.revents & POLLIN ? "POLLIN" : "-");
    say(", read %ld\n", (long)read(p[0], b, sizeof(b)));
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    struct timeval tv = {5, 0};
    n = select(p[0] + 1, &rs, NULL, NULL, &tv);
    say("select waits for it: %d, %s", n, FD_ISSET(p[0], &rs) ? "readable" : "-");
    say(", read %ld\n", (long)read(p[0], b, sizeof(b)));
    int st;
    waitpid(c, &st, 0);
    close(p[1]);
    pf.revents = 0;
    n = poll(&pf, 1, 5000);
    say("then the writer is gone: poll %d, %s", n, pf.revents & POLLHUP ? "POLLHUP" : "-");
    say(", read %ld\n", (long)read(p[0], b, sizeof(b)));
    close(p[0]);
}

static volatile int alarms;
static void on_alarm(int s)
{
    (void)s;
    alarms++;
}

static void interrupted(void)
{
    int p[2];
    if (pipe(p) < 0)
        exit(2);
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 0}, {0, 100000}};
    setitimer(ITIMER_REAL, &it, NULL);
    char b[4];
    const char *res = RES(read(p[0], b, sizeof(b)));
    say("a blocked read, a signal without SA_RESTART: %s, handler ran %d\n", res, alarms);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    pid_t c = fork();
    if (c == 0) {
        sleep_ms(300);
        if (write(p[1], "late", 4) != 4)
            _exit(1);
        _exit(0);
    }
    setitimer(ITIMER_REAL, &it, NULL);
    ssize_t n = read(p[0], b, sizeof(b));
    int ran = alarms;
    say("... with SA_RESTART: read %ld after the handler ran (%d)\n", (long)n, ran);
    waitpid(c, NULL, 0);
    close(p[0]);
    close(p[1]);
}

/* Data already in the pipe when something needs the host's pipe: none is lost. */
static void back_to_the_host(void)
{
    int p[2];
    if (pipe(p) < 0)
        exit(2);
    if (write(p[1], "before", 6) != 6)
        exit(2);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7};
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    struct epoll_event out;
    int n = epoll_wait(ep, &out, 1, 1000);
    char b[32] = "";
    say("epoll on a pipe with data in it: %d (data %u)", n, n > 0 ? out.data.u32 : 0u);
    ssize_t k = read(p[0], b, sizeof(b));
    /* (the error's name only on failure: the expected output has none) */
    say(", read %ld%s%s\n", (long)k, k < 0 ? " " : "", k < 0 ? ename(errno) : "");
    if ((k = write(p[1], "first", 5)) != 5) {
        say("write to the demoted pipe: %ld %s\n", (long)k, ename(errno));
        exit(2); /* (a read of what was not written would wait for ever) */
    }
    fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
    if ((k = write(p[1], "second", 6)) != 6) {
        say("write after F_SETPIPE_SZ: %ld %s\n", (long)k, ename(errno));
        exit(2);
    }
    memset(b, 0, sizeof(b));
    size_t got = 0;
    ssize_t r;
    while (got < 11 && (r = read(p[0], b + got, sizeof(b) - 1 - got)) > 0)
        got += (size_t)r;
    say("a new pipe size between two writes: %s\n", b);
    close(p[0]);
    close(p[1]);
    close(ep);
}

/* A MiB each way through one pipe, in writes much larger than the pipe. */
static void megabyte(void)
{
    int p[2];
    if (pipe(p) < 0)
        exit(2);
    static unsigned char buf[1 << 20];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)(i ^ (i >> 11));
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        _exit(write(p[1], buf, sizeof(buf)) == (ssize_t)sizeof(buf) ? 0 : 1);
    }
    close(p[1]);
    static unsigned char got[1 << 20];
    size_t off = 0;
    ssize_t r;
    while (off < sizeof(got) && (r = read(p[0], got + off, sizeof(got) - off)) > 0)
        off += (size_t)r;
    int st;
    waitpid(c, &st, 0);
    say("one write of a MiB: %s, the writer %s\n",
        off == sizeof(buf) && !memcmp(got, buf, off) ? "all in order" : "WRONG", how(st));
    close(p[0]);
}

/* The reader is a program exec'd with the pipe as its stdin. */
static void exec_reader(const char *self)
{
    int p[2];
    if (pipe(p) < 0)
        exit(2);
    pid_t c = fork();
    if (c == 0) {
        dup2(p[0], 0);
        close(p[0]);
        close(p[1]);
        execl("/proc/self/exe", self, "count", (char *)NULL);
        _exit(127);
    }
    close(p[0]);
    for (int i = 0; i < 1000; i++)
        if (write(p[1], "0123456789abcdef", 16) != 16)
            exit(2);
    close(p[1]);
    int st;
    waitpid(c, &st, 0);
    say("an exec'd reader on its stdin: %s\n", how(st));
}

int main(int argc, char **argv)
{
    if (argc > 1) { /* the exec'd reader: exit status = 0 if it got 16000 bytes */
        char b[4096];
        long total = 0;
        ssize_t r;
        while ((r = read(0, b, sizeof(b))) > 0)
            total += r;
        return total == 16000 ? 0 : 1;
    }
    stream();
    atomic_writers();
    epipe();
    nonblock();
    wait_for_writer();
    interrupted();
    back_to_the_host();
    megabyte();
    exec_reader(argv[0]);
    return 0;
}
