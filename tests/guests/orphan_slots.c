/*
 * orphan_slots: with --max-procs 3, an orphan that ends while the root is blocked
 * in read() must give its slot back, so that another VM can fork.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    int p[2];
    if (pipe(p) < 0)
        return 1;
    pid_t a = fork();
    if (a == 0) {
        if (fork() == 0) { /* B: orphaned when A returns, ends 100 ms later */
            usleep(100000);
            return 0;
        }
        return 0;
    }
    int st;
    waitpid(a, &st, 0);
    pid_t w = fork();
    if (w == 0) {
        usleep(400000); /* B has ended: alive are the root and W, 2 of 3 */
        pid_t c = fork();
        int e = c < 0 ? errno : 0;
        if (c == 0)
            return 0;
        if (c > 0)
            waitpid(c, &st, 0);
        write(p[1], &e, sizeof(e));
        return 0;
    }
    int e = -1;
    read(p[0], &e, sizeof(e)); /* the root blocks here while B ends */
    printf("fork after an orphan ended: %s\n", e ? strerror(e) : "ok");
    waitpid(w, &st, 0);
    return e != 0;
}
