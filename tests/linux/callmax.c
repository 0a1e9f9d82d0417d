/*
 * callmax.c: calls whose arguments the monitor copies or walks, at Linux's limits and
 * one past them: IOV_MAX iovecs, as many pollfds as RLIMIT_NOFILE, select's
 * FD_SETSIZE. The same output natively (with 1024 fds allowed) as under ukmon: no
 * such call may meet the monitor's sandbox.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <sys/select.h>
#include <sys/uio.h>

#include "lxtest.h"

#define IOVS 1024 /* IOV_MAX */
#define FDS 1024  /* RLIMIT_NOFILE's usual soft limit, and ukmon's */

static struct iovec iov[IOVS + 1];
static struct pollfd pfd[FDS + 1];
static char bytes[IOVS + 1];

int main(void)
{
    int p[2];
    if (pipe(p) < 0)
        return 1;
    for (int i = 0; i <= IOVS; i++)
        iov[i] = (struct iovec){.iov_base = &bytes[i], .iov_len = 1};
    ssize_t n = writev(p[1], iov, IOVS);
    say("writev of %d iovecs: %zd\n", IOVS, n);
    say("writev of %d iovecs: %s\n", IOVS + 1, RES(writev(p[1], iov, IOVS + 1)));
    n = readv(p[0], iov, IOVS);
    say("readv of %d iovecs: %zd\n", IOVS, n);
    say("readv of %d iovecs: %s\n", IOVS + 1, RES(readv(p[0], iov, IOVS + 1)));

    write(p[1], "x", 1);
    for (int i = 0; i <= FDS; i++)
        pfd[i] = (struct pollfd){.fd = p[0], .events = POLLIN};
    say("poll of %d fds: %d\n", FDS, poll(pfd, FDS, 0));
    say("poll of %d fds: %s\n", FDS + 1, RES(poll(pfd, FDS + 1, 0)));

    /* select up to the last fd it can name: 1023, a copy of the pipe's read end */
    if (dup2(p[0], FD_SETSIZE - 1) < 0)
        return 1;
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(FD_SETSIZE - 1, &rd);
    struct timeval tv = {0, 0};
    say("select of fd %d: %d, set: %s\n", FD_SETSIZE - 1, select(FD_SETSIZE, &rd, NULL, NULL, &tv),
        FD_ISSET(FD_SETSIZE - 1, &rd) ? "yes" : "no");
    return 0;
}
