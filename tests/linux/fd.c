/* fd.c: fd calls under the Linux personality: pipes, dup, fcntl, poll, select, stat. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "lxtest.h"

static int pw; /* a pipe's write end whose read end is closed */

static void write_to_closed_pipe(void)
{
    write(pw, "x", 1);
    _exit(0); /* not reached: SIGPIPE ends the writer */
}

int main(void)
{
    int p[2];
    char buf[64];
    const char *r = RES(pipe2(p, O_CLOEXEC));
    say("pipe2(O_CLOEXEC): %s, fds %d %d, FD_CLOEXEC %s\n", r, p[0], p[1],
        fcntl(p[0], F_GETFD) == FD_CLOEXEC ? "set" : "clear");
    struct stat st;
    fstat(p[0], &st);
    say("fstat of a pipe: %s\n", S_ISFIFO(st.st_mode) ? "S_IFIFO" : "other");
    say("lseek on a pipe: %s\n", RES(lseek(p[0], 0, SEEK_SET)));
    say("pread on a pipe: %s\n", RES(pread(p[0], buf, 1, 0)));
    write(p[1], "hello", 5);
    int n = 0;
    ioctl(p[0], FIONREAD, &n);
    say("FIONREAD: %d\n", n);
    struct iovec iov[2] = {{buf, 2}, {buf + 2, 10}};
    ssize_t got = readv(p[0], iov, 2);
    say("readv: %zd \"%.5s\"\n", got, buf);
    say("TCGETS on a pipe: %s\n", RES(ioctl(p[0], TCGETS, buf)));

    /* non-blocking: EAGAIN instead of a wait */
    int fl = fcntl(p[0], F_GETFL);
    fcntl(p[0], F_SETFL, fl | O_NONBLOCK);
    bool nb = fcntl(p[0], F_GETFL) & O_NONBLOCK;
    say("O_NONBLOCK set: %s, read of an empty pipe: %s\n", nb ? "yes" : "no",
        RES(read(p[0], buf, 1)));
    fcntl(p[0], F_SETFL, fl);

    /* dup family */
    int d = dup(p[1]);
    say("dup: %d, FD_CLOEXEC %s\n", d, fcntl(d, F_GETFD) ? "set" : "clear");
    say("dup2 onto 10: %d\n", dup2(p[1], 10));
    say("dup2 of a closed fd: %s\n", RES(dup2(77, 11)));
    say("dup3 onto itself: %s\n", RES(dup3(10, 10, 0)));
    d = dup3(p[1], 12, O_CLOEXEC);
    say("dup3 with O_CLOEXEC: %d, FD_CLOEXEC %s\n", d, fcntl(12, F_GETFD) ? "set" : "clear");
    say("F_DUPFD from 20: %d\n", fcntl(p[1], F_DUPFD, 20));
    say("fcntl of a closed fd: %s\n", RES(fcntl(99, F_GETFD)));
    say("close of a closed fd: %s\n", RES(close(99)));
    r = RES(syscall(SYS_close_range, 10, 30, 0));
    say("close_range(10, 30): %s, fd 20 %s\n", r, fcntl(20, F_GETFD) < 0 ? "closed" : "open");

    /* poll and select */
    struct pollfd pf[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
    n = poll(pf, 2, 0);
    say("poll, nothing to read: %d, write end ready: %s\n", n,
        (pf[1].revents & POLLOUT) ? "yes" : "no");
    write(p[1], "z", 1);
    pf[1].events = 0;
    n = poll(pf, 1, 1000);
    say("poll after a write: %d, read end %s\n", n, (pf[0].revents & POLLIN) ? "POLLIN" : "-");
    read(p[0], buf, 1);
    struct timespec ts = {0, 50 * 1000000};
    say("ppoll with a 50 ms timeout: %d\n", ppoll(pf, 1, &ts, NULL));
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    struct timeval tv = {0, 20000};
    say("select on an empty pipe: %d\n", select(p[0] + 1, &rd, NULL, NULL, &tv));
    write(p[1], "y", 1);
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    tv.tv_usec = 20000;
    n = select(p[0] + 1, &rd, NULL, NULL, &tv);
    say("select after a write: %d, set %s\n", n, FD_ISSET(p[0], &rd) ? "yes" : "no");
    struct pollfd bad = {99, POLLIN, 0};
    n = poll(&bad, 1, 0);
    say("poll of a closed fd: %d, revents %s\n", n, bad.revents == POLLNVAL ? "POLLNVAL" : "other");

    /* a writer with no reader */
    int q[2];
    pipe(q);
    close(q[0]);
    pw = q[1];
    signal(SIGPIPE, SIG_IGN);
    say("write with no reader, SIGPIPE ignored: %s\n", RES(write(q[1], "x", 1)));
    signal(SIGPIPE, SIG_DFL);
    say("write with no reader, SIGPIPE default: the writer %s\n", in_child(write_to_closed_pipe));
    say("stdin is %s\n", isatty(0) ? "a tty" : "not a tty");
    return 0;
}
