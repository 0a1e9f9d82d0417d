/*
 * signal_bench: signal round trip between two processes (two VMs under ukmon): kill()
 * of the child, whose SIGUSR1 handler replies with one byte through a pipe.
 * Usage: signal_bench N
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static int reply_fd;

static void on_usr1(int sig)
{
    (void)sig;
    char c = 'r';
    if (write(reply_fd, &c, 1) != 1)
        _exit(1);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    if (n < 1)
        return 2;
    int rp[2];
    if (pipe(rp) < 0)
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        reply_fd = rp[1];
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_usr1;
        sigaction(SIGUSR1, &sa, NULL);
        char c = 'g';
        if (write(rp[1], &c, 1) != 1) /* ready */
            _exit(1);
        for (;;)
            pause();
    }
    char c;
    if (pid < 0 || read(rp[0], &c, 1) != 1)
        return 1;
    int64_t *rt = calloc((size_t)n, sizeof(int64_t));
    for (int i = 0; i < n; i++) {
        int64_t t0 = now_ns();
        if (kill(pid, SIGUSR1) < 0 || read(rp[0], &c, 1) != 1)
            return 1;
        rt[i] = now_ns() - t0;
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    report_us("signal_roundtrip", rt, n);
    return 0;
}
