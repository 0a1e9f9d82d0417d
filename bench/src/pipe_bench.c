/*
 * pipe_bench: throughput from one process to another through a pipe, at a given
 * write size, and the 1-byte ping-pong round trip. Same source on host and in VMs.
 * Usage: pipe_bench throughput WRITE_SIZE TOTAL_BYTES [NAME] | pipe_bench pingpong N [NAME]
 * NAME (default pipe) begins the result's name: the same program measures pipes between
 * unikernels and, built for Linux, between Linux programs under ukmon.
 */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int throughput(const char *name, size_t size, uint64_t total)
{
    int data[2], stamp[2];
    if (pipe(data) < 0 || pipe(stamp) < 0)
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        close(data[0]);
        char *buf = malloc(size);
        memset(buf, 'x', size);
        int64_t t0 = now_ns();
        for (uint64_t done = 0; done < total; done += size)
            if (write_all(data[1], buf, size) < 0)
                _exit(1);
        close(data[1]);
        if (write(stamp[1], &t0, sizeof(t0)) != sizeof(t0))
            _exit(1);
        _exit(0);
    }
    close(data[1]);
    size_t cap = size > (1 << 20) ? size : (1 << 20);
    char *buf = malloc(cap);
    uint64_t got = 0;
    for (;;) {
        ssize_t n = read(data[0], buf, size); /* reads of the same size as the writes */
        if (n < 0)
            return 1;
        if (n == 0)
            break;
        got += (uint64_t)n;
    }
    int64_t t1 = now_ns(), t0 = 0;
    if (read(stamp[0], &t0, sizeof(t0)) != sizeof(t0) || got != total)
        return 1;
    waitpid(pid, NULL, 0);
    double secs = (t1 - t0) / 1e9;
    printf("RESULT %s_throughput_%zu %.1f %.1f %.1f MiB/s\n", name, size, got / secs / 1048576.0,
           got / secs / 1048576.0, got / secs / 1048576.0);
    return 0;
}

static int pingpong(const char *name, int n)
{
    int ab[2], ba[2];
    if (pipe(ab) < 0 || pipe(ba) < 0)
        return 1;
    pid_t pid = fork();
    char c = 0;
    if (pid == 0) {
        for (int i = 0; i < n; i++)
            if (read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1)
                _exit(1);
        _exit(0);
    }
    int64_t *rt = calloc((size_t)n, 8);
    for (int i = 0; i < n; i++) {
        int64_t t0 = now_ns();
        if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
            return 1;
        rt[i] = now_ns() - t0;
    }
    waitpid(pid, NULL, 0);
    char full[64];
    snprintf(full, sizeof(full), "%s_pingpong", name);
    report_us(full, rt, n);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 3 && strcmp(argv[1], "throughput") == 0)
        return throughput(argc > 4 ? argv[4] : "pipe", (size_t)atol(argv[2]),
                          strtoull(argv[3], NULL, 10));
    if (argc > 2 && strcmp(argv[1], "pingpong") == 0)
        return pingpong(argc > 3 ? argv[3] : "pipe", atoi(argv[2]));
    fprintf(stderr, "usage: pipe_bench throughput SIZE TOTAL [NAME] | pingpong N [NAME]\n");
    return 2;
}
