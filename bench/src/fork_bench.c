/*
 * fork_bench: fork latencies with MiB of touched memory: parent resume, child's first
 * instruction, and fork+exit+waitpid round trip. The same source runs on the host.
 * Usage: fork_bench MIB ITERATIONS [thp]
 * thp (host only): the memory in transparent huge pages, as ukmon gives a guest's heap,
 * so that the host baseline can be measured both ways.
 */
#include <string.h>
#ifndef __ukmon__
#include <sys/mman.h>
#endif
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv)
{
    long mib = argc > 1 ? atol(argv[1]) : 16;
    int iters = argc > 2 ? atoi(argv[2]) : 50;
    char *mem = NULL;
#ifdef __ukmon__
    mem = malloc((size_t)mib << 20);
#else
    if (posix_memalign((void **)&mem, 2 << 20, (size_t)mib << 20) != 0)
        mem = NULL;
    if (mem && argc > 3 && !strcmp(argv[3], "thp") && madvise(mem, (size_t)mib << 20, MADV_HUGEPAGE) < 0)
        return 1;
#endif
    if (!mem || iters < 1 || iters > 100000)
        return 1;
    memset(mem, 1, (size_t)mib << 20); /* touched: every page is present in the parent */
    int64_t *resume = calloc((size_t)iters, 8), *first = calloc((size_t)iters, 8),
            *round = calloc((size_t)iters, 8);
    int p[2];
    if (pipe(p) < 0)
        return 1;
    for (int i = 0; i < iters; i++) {
        int64_t t0 = now_ns();
        pid_t pid = fork();
        if (pid == 0) {
            int64_t t = now_ns(); /* the child's first instructions */
            if (write(p[1], &t, sizeof(t)) != sizeof(t))
                _exit(1);
            _exit(0);
        }
        resume[i] = now_ns() - t0;
        int64_t tc = 0;
        if (pid < 0 || read(p[0], &tc, sizeof(tc)) != sizeof(tc))
            return 1;
        first[i] = tc - t0;
        waitpid(pid, NULL, 0);
    }
    for (int i = 0; i < iters; i++) {
        int64_t t0 = now_ns();
        pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        if (pid < 0 || waitpid(pid, NULL, 0) != pid)
            return 1;
        round[i] = now_ns() - t0;
    }
    char name[64];
    snprintf(name, sizeof(name), "fork_resume_%ldMiB", mib);
    report_us(name, resume, iters);
    snprintf(name, sizeof(name), "fork_child_first_%ldMiB", mib);
    report_us(name, first, iters);
    snprintf(name, sizeof(name), "fork_roundtrip_%ldMiB", mib);
    report_us(name, round, iters);
    return mem[12345] == 1 ? 0 : 1;
}
