/*
 * runner: runs a command N times (after W warm-up runs), its stdout to /dev/null, and
 * reports the wall time of fork+exec+exit+wait. Host only.
 * Usage: runner NAME N W command [args...]
 */
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

static int64_t run_once(char **argv, posix_spawn_file_actions_t *fa)
{
    int64_t t0 = now_ns();
    pid_t pid;
    if (posix_spawn(&pid, argv[0], fa, NULL, argv, environ) != 0)
        return -1;
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    return now_ns() - t0;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: runner NAME N WARMUP cmd [args...]\n");
        return 2;
    }
    int n = atoi(argv[2]), warm = atoi(argv[3]);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    int64_t *t = calloc((size_t)n, 8);
    for (int i = 0; i < warm; i++)
        if (run_once(argv + 4, &fa) < 0) {
            fprintf(stderr, "runner: %s failed\n", argv[4]);
            return 1;
        }
    for (int i = 0; i < n; i++)
        if ((t[i] = run_once(argv + 4, &fa)) < 0) {
            fprintf(stderr, "runner: %s failed\n", argv[4]);
            return 1;
        }
    report_us(argv[1], t, n);
    return 0;
}
