/*
 * autoreap: SIGCHLD ignored, N children that exit and are never waited for. Their
 * slots must come back (run it with a small --max-procs): prints how many forks it
 * took, or how long it was refused.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20;
    signal(SIGCHLD, SIG_IGN);
    int refused = 0;
    for (int i = 0; i < n; i++) {
        pid_t p = fork();
        if (p == 0)
            _exit(0);
        if (p < 0 && errno == EAGAIN && refused < 300) { /* the last ones still ending */
            refused++;
            usleep(10000);
            i--;
            continue;
        }
        if (p < 0) {
            printf("fork %d failed for good (errno %d)\n", i + 1, errno);
            return 1;
        }
    }
    printf("%d children never waited for: all forked\n", n);
    return 0;
}
