/*
 * fdflood.c: a tree that makes sockets, then other open files (epoll instances), in
 * one VM after another, each holding all it got, until the tree's limit says ENFILE
 * (1024 sockets, 16384 objects with the default --max-procs). Then the children are
 * killed and the root can make them again: what a dead VM held is the tree's again.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "lxtest.h"

#define CHILDREN_MAX 40

static int make(int sockets)
{
    int sv[2];
    if (sockets)
        return socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ? -1 : 2;
    return epoll_create1(0) < 0 ? -1 : 1;
}

/* VMs one after the other, each making as many as it can; returns their pids. */
static int flood(int sockets, pid_t *kids, int hold[2], int ready[2])
{
    int n = 0, err = 0, total = 0;
    while (n < CHILDREN_MAX && err != ENFILE) {
        fflush(stdout);
        pid_t c = fork();
        if (c < 0)
            break;
        if (c == 0) {
            int made = 0, k;
            while ((k = make(sockets)) > 0)
                made += k;
            int e = errno;
            write(ready[1], &made, sizeof(made));
            write(ready[1], &e, sizeof(e));
            char b;
            read(hold[0], &b, 1);
            _exit(0);
        }
        kids[n++] = c;
        int made = 0;
        if (read(ready[0], &made, sizeof(made)) != sizeof(made) ||
            read(ready[0], &err, sizeof(err)) != sizeof(err))
            break;
        total += made;
        if (err != EMFILE || n == 1 || err == ENFILE)
            say("  child %d: %d %s, then %s\n", n, made, sockets ? "sockets" : "epoll fds",
                ename(err));
    }
    say("  %s in %d VMs\n", sockets ? "sockets" : "epoll fds", n);
    (void)total;
    return n;
}

static void end(pid_t *kids, int n)
{
    for (int i = 0; i < n; i++)
        kill(kids[i], SIGKILL);
    for (int i = 0; i < n; i++)
        waitpid(kids[i], NULL, 0);
}

int main(void)
{
    int hold[2], ready[2];
    if (pipe(hold) < 0 || pipe(ready) < 0)
        return 1;
    pid_t kids[CHILDREN_MAX];
    say("sockets:\n");
    int n = flood(1, kids, hold, ready);
    int sv[2];
    say("  the root: socketpair %s\n", RES(socketpair(AF_UNIX, SOCK_STREAM, 0, sv)));
    end(kids, n);
    say("  children killed; the root: socketpair %s\n",
        RES(socketpair(AF_UNIX, SOCK_STREAM, 0, sv)));
    say("open files:\n");
    n = flood(0, kids, hold, ready);
    say("  the root: epoll_create1 %s, pipe %s\n", RES(epoll_create1(0)), RES(pipe(sv)));
    end(kids, n);
    say("  children killed; the root: epoll_create1 %s, pipe %s\n", RES(epoll_create1(0)),
        RES(pipe(sv)));
    return 0;
}
