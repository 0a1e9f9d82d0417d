/*
 * memflood.c N MIB: a tree that tries to take the host's memory: N children, forked
 * one after the other, each touching MIB MiB and holding it. Under --tree-mem the
 * tree gets no more than its limit: the kernel's OOM killer ends some of them (a
 * cgroup), or fork fails with ENOMEM (the monitor's own count). Once all are forked
 * it says "holding" and waits for its stdin to end, so that the test can look at the
 * host's memory; then it lets them go and says how they ended.
 */
#define _GNU_SOURCE
#include <signal.h>

#include "lxtest.h"

#define KIDS_MAX 256

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 8, mib = argc > 2 ? atoi(argv[2]) : 32;
    if (n < 1 || n > KIDS_MAX || mib < 1)
        return 2;
    int hold[2];
    if (pipe(hold) < 0)
        return 1;
    pid_t kids[KIDS_MAX];
    int forked = 0, ready = 0, fork_err = 0;
    for (int i = 0; i < n; i++) {
        int rd[2];
        if (pipe(rd) < 0)
            return 1;
        fflush(stdout);
        pid_t c = fork();
        if (c < 0) {
            fork_err = errno;
            close(rd[0]);
            close(rd[1]);
            break;
        }
        if (c == 0) {
            close(hold[1]);
            close(rd[0]);
            size_t len = (size_t)mib << 20;
            /* volatile: stores nobody reads are otherwise removed, malloc with them (clang) */
            volatile char *p = malloc(len);
            if (!p)
                _exit(3);
            for (size_t off = 0; off < len; off += 4096)
                p[off] = 1; /* every page: host memory now */
            write(rd[1], "r", 1);
            char b;
            read(hold[0], &b, 1); /* held until the root lets go */
            _exit(0);
        }
        kids[forked++] = c;
        close(rd[1]);
        char b;
        if (read(rd[0], &b, 1) == 1) /* else it died touching its memory */
            ready++;
        close(rd[0]);
    }
    say("%d forked, %d held %d MiB each; fork: %s\n", forked, ready, mib,
        fork_err ? ename(fork_err) : "never failed");
    say("holding\n");
    char b[64];
    while (read(0, b, sizeof(b)) > 0)
        ;
    close(hold[1]);
    int ok = 0, killed = 0, other = 0;
    for (int i = 0; i < forked; i++) {
        int st;
        if (waitpid(kids[i], &st, 0) != kids[i])
            other++;
        else if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
            ok++;
        else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
            killed++;
        else
            other++;
    }
    say("%d exited, %d killed by SIGKILL, %d otherwise\n", ok, killed, other);
    return 0;
}
