/*
 * spawn_scale: K children alive at once, each idle; prints the time until all have
 * started and their pids, then waits for a line on stdin before ending them.
 * Usage: spawn_scale K
 */
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv)
{
    int k = argc > 1 ? atoi(argv[1]) : 8;
    int started[2], release[2];
    if (k < 1 || pipe(started) < 0 || pipe(release) < 0)
        return 1;
    int64_t t0 = now_ns();
    for (int i = 0; i < k; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            char c = 's';
            close(release[1]);
            if (write(started[1], &c, 1) != 1)
                _exit(1);
            if (read(release[0], &c, 1) < 0) /* idle until the parent lets go */
                _exit(1);
            _exit(0);
        }
        printf("PID %d\n", (int)pid);
    }
    for (int i = 0; i < k; i++) {
        char c;
        if (read(started[0], &c, 1) != 1)
            return 1;
    }
    int64_t t1 = now_ns();
    printf("RESULT spawn_%d %.1f %.1f %.1f us\n", k, (t1 - t0) / 1e3, (t1 - t0) / 1e3, (t1 - t0) / 1e3);
    printf("READY\n");
    fflush(stdout);
    char line[8];
    if (read(0, line, sizeof(line)) < 0)
        return 1;
    close(release[1]);
    int64_t t2 = now_ns();
    for (int i = 0; i < k; i++)
        wait(NULL);
    printf("RESULT teardown_%d %.1f %.1f %.1f us\n", k, (now_ns() - t2) / 1e3,
           (now_ns() - t2) / 1e3, (now_ns() - t2) / 1e3);
    return 0;
}
