/* nonblock.c: O_NONBLOCK on pipes and socketpairs, however it was set: EAGAIN at once. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "lxtest.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Every way to read from an empty fd: each must say EAGAIN without waiting. */
static void reads(const char *what, int fd, bool sock)
{
    char b[16];
    struct iovec iov = {b, sizeof(b)};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    double t0 = now();
    say("%s: read %s", what, RES(read(fd, b, sizeof(b))));
    say(", readv %s", RES(readv(fd, &iov, 1)));
    if (sock) {
        say(", recv %s", RES(recv(fd, b, sizeof(b), 0)));
        say(", recvfrom %s", RES(recvfrom(fd, b, sizeof(b), 0, NULL, NULL)));
        say(", recvmsg %s", RES(recvmsg(fd, &m, 0)));
    }
    say("%s\n", now() - t0 < 1 ? "" : " (waited)");
}

/* Writes until the fd is full: then EAGAIN (after a partial write, maybe). */
static void fill(const char *what, int fd, bool sock)
{
    static char big[1 << 16];
    double t0 = now();
    ssize_t n;
    long total = 0;
    while ((n = sock ? send(fd, big, sizeof(big), 0) : write(fd, big, sizeof(big))) > 0)
        total += n;
    say("%s: filled (%s), then %s%s\n", what, total > 0 ? "some bytes" : "nothing",
        n < 0 ? ename(errno) : "0", now() - t0 < 2 ? "" : " (waited)");
}

static const char *fl(int fd)
{
    int f = fcntl(fd, F_GETFL);
    return f < 0 ? ename(errno) : (f & O_NONBLOCK) ? "O_NONBLOCK" : "blocking";
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    int p[2], s[2];

    pipe2(p, O_NONBLOCK);
    say("pipe2(O_NONBLOCK): %s %s\n", fl(p[0]), fl(p[1]));
    reads("pipe2(O_NONBLOCK)", p[0], false);
    fill("pipe2(O_NONBLOCK)", p[1], false);
    close(p[0]);
    close(p[1]);

    pipe(p);
    say("pipe, then F_SETFL O_NONBLOCK: %s\n", RES(fcntl(p[0], F_SETFL, O_NONBLOCK)));
    fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
    reads("pipe + F_SETFL", p[0], false);
    fill("pipe + F_SETFL", p[1], false);
    /* and back to blocking: a read waits again (a child writes after a while) */
    fcntl(p[0], F_SETFL, 0);
    say("F_SETFL 0: %s\n", fl(p[0]));
    char b[1 << 16];
    while (fcntl(p[0], F_SETFL, O_NONBLOCK) == 0 && read(p[0], b, sizeof(b)) > 0)
        ;
    fcntl(p[0], F_SETFL, 0);
    fcntl(p[1], F_SETFL, 0);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        usleep(200000);
        write(p[1], "x", 1);
        _exit(0);
    }
    double t0 = now();
    ssize_t n = read(p[0], b, 1);
    say("blocking again: read %zd after %s\n", n, now() - t0 > 0.1 ? "waiting" : "no wait");
    waitpid(c, NULL, 0);
    close(p[0]);
    close(p[1]);

    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, s);
    say("socketpair(SOCK_NONBLOCK): %s\n", fl(s[0]));
    reads("socketpair(SOCK_NONBLOCK)", s[0], true);
    fill("socketpair(SOCK_NONBLOCK)", s[1], true);
    close(s[0]);
    close(s[1]);

    socketpair(AF_UNIX, SOCK_STREAM, 0, s);
    int one = 1;
    say("socketpair, then FIONBIO: %s", RES(ioctl(s[0], FIONBIO, &one)));
    say(" %s\n", fl(s[0]));
    reads("socketpair + FIONBIO", s[0], true);
    fcntl(s[1], F_SETFL, O_NONBLOCK);
    fill("socketpair + F_SETFL", s[1], true);
    close(s[0]);
    close(s[1]);

    /* MSG_DONTWAIT on a blocking socket */
    socketpair(AF_UNIX, SOCK_STREAM, 0, s);
    t0 = now();
    say("blocking socketpair, recv(MSG_DONTWAIT): %s%s\n", RES(recv(s[0], b, 1, MSG_DONTWAIT)),
        now() - t0 < 1 ? "" : " (waited)");

    /* the flag belongs to the open file: a forked VM that sets it sets it for us */
    fflush(stdout);
    c = fork();
    if (c == 0) {
        fcntl(s[0], F_SETFL, O_NONBLOCK);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    say("after a child set O_NONBLOCK on the shared socket: %s", fl(s[0]));
    say(", recv %s\n", RES(recv(s[0], b, 1, 0)));
    return 0;
}
