/*
 * pipeflood.c: a tree that tries to pin host memory in pipe buffers, as issue 18 did
 * (F_SETPIPE_SZ to 1 MiB on every pipe a VM can hold, in many VMs). The tree is held
 * as Linux holds an unprivileged user: pipe-max-size (1 MiB), the soft limit (new
 * pipes get 2 pages, growing is EPERM) and the hard one (pipe() is ENFILE). Once the
 * flood holds all it could get it says "holding" and waits for its stdin to end, so
 * that the test can look at the host's memory; then its children are killed
 * (SIGKILL: the tree must take back what they held without them) and the pipes the
 * root makes get their full size again.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>

#include "lxtest.h"

#define MIB (1 << 20)
#define CHILDREN_MAX 40

static char chunk[65536];

/* Fills a non-blocking pipe to its capacity: the pages the kernel must then keep. */
static long fill(int wfd)
{
    long n = 0;
    for (;;) {
        ssize_t w = write(wfd, chunk, sizeof(chunk));
        if (w <= 0)
            return n;
        n += w;
    }
}

/*
 * Makes pipes until the first error, each grown to 1 MiB when allowed, and filled.
 * Reports how many, how many grew, the first refusal of a growth and the error.
 */
static int flood(const char *who, long *bytes)
{
    int made = 0, grown = 0, size_err = 0;
    int small = 0;
    for (;;) {
        int p[2];
        if (pipe2(p, O_NONBLOCK) < 0) {
            say("%s: %d pipes, %d grown to 1 MiB%s%s, %d of 8 KiB, then %s\n", who, made,
                grown, size_err ? ", then F_SETPIPE_SZ " : "",
                size_err ? ename(size_err) : "", small, ename(errno));
            return errno;
        }
        made++;
        if (fcntl(p[1], F_SETPIPE_SZ, MIB) == MIB)
            grown++;
        else if (!size_err)
            size_err = errno;
        if (fcntl(p[1], F_GETPIPE_SZ) == 8192)
            small++;
        *bytes += fill(p[1]);
    }
}

int main(void)
{
    memset(chunk, 'p', sizeof(chunk));
    int hold[2], ready[2], probe[2];
    if (pipe(hold) < 0 || pipe(ready) < 0 || pipe(probe) < 0)
        return 1;
    int def = fcntl(probe[1], F_GETPIPE_SZ);
    const char *two = RES(fcntl(probe[1], F_SETPIPE_SZ, 2 * MIB));
    say("a new pipe holds %d bytes; F_SETPIPE_SZ 2 MiB: %s, 1 MiB: %d\n", def, two,
        fcntl(probe[1], F_SETPIPE_SZ, MIB));
    close(probe[0]);
    close(probe[1]);

    /* Children, one after the other, each holding what it got, until ENFILE. */
    pid_t kids[CHILDREN_MAX];
    int nkids = 0, err = 0;
    while (nkids < CHILDREN_MAX && err != ENFILE) {
        fflush(stdout);
        pid_t c = fork();
        if (c < 0) {
            say("fork: %s\n", ename(errno));
            break;
        }
        if (c == 0) {
            char who[32];
            long mine = 0;
            close(hold[1]);
            close(ready[0]);
            snprintf(who, sizeof(who), "child %d", nkids + 1);
            unsigned char e = (unsigned char)flood(who, &mine);
            write(ready[1], &e, 1);
            char b;
            read(hold[0], &b, 1); /* held until killed */
            _exit(0);
        }
        kids[nkids++] = c;
        unsigned char e = 0;
        if (read(ready[0], &e, 1) != 1)
            break;
        err = e;
    }
    say("holding\n");
    char b[64];
    while (read(0, b, sizeof(b)) > 0)
        ;
    for (int i = 0; i < nkids; i++)
        kill(kids[i], SIGKILL);
    int st, killed = 0;
    for (int i = 0; i < nkids; i++)
        if (waitpid(kids[i], &st, 0) == kids[i] && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
            killed++;
    /* What they held is the tree's again, though they never closed a thing. */
    int p[2];
    const char *made = RES(pipe(p));
    def = fcntl(p[1], F_GETPIPE_SZ);
    say("%d children killed; then a new pipe: %s, holds %d bytes, F_SETPIPE_SZ 1 MiB: %d\n",
        killed, made, def, fcntl(p[1], F_SETPIPE_SZ, MIB));
    return 0;
}
