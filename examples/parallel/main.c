/* parallel: counts primes below N with W worker VMs, each sieving a slice. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Segmented sieve of Eratosthenes over [lo, hi). */
static uint64_t count_primes(uint64_t lo, uint64_t hi)
{
    if (hi <= 2 || lo >= hi)
        return 0;
    if (lo < 2)
        lo = 2;
    uint64_t root = 1;
    while (root * root < hi)
        root++;
    char *small = calloc(root + 1, 1);
    char *seg = malloc(hi - lo);
    if (!small || !seg)
        abort();
    memset(seg, 1, hi - lo);
    for (uint64_t p = 2; p <= root; p++) {
        if (small[p])
            continue;
        for (uint64_t m = p * p; m <= root; m += p)
            small[m] = 1;
        uint64_t start = (lo + p - 1) / p * p;
        if (start < p * p)
            start = p * p;
        for (uint64_t m = start; m < hi; m += p)
            seg[m - lo] = 0;
    }
    uint64_t n = 0;
    for (uint64_t i = 0; i < hi - lo; i++)
        n += (uint64_t)seg[i];
    free(small);
    free(seg);
    return n;
}

int main(int argc, char **argv)
{
    int workers = argc > 1 ? atoi(argv[1]) : 4;
    uint64_t limit = argc > 2 ? strtoull(argv[2], NULL, 10) : 10000000;
    if (workers < 1 || workers > 64 || limit > 100000000) {
        fprintf(stderr, "usage: parallel [workers 1..64] [limit <= 10^8]\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int fds[64];
    pid_t pids[64];
    for (int w = 0; w < workers; w++) {
        int p[2];
        if (pipe(p) < 0) {
            perror("pipe");
            return 1;
        }
        pids[w] = fork();
        if (pids[w] < 0) {
            perror("fork");
            return 1;
        }
        if (pids[w] == 0) {
            close(p[0]);
            uint64_t lo = limit * (uint64_t)w / (uint64_t)workers;
            uint64_t hi = limit * (uint64_t)(w + 1) / (uint64_t)workers;
            uint64_t n = count_primes(lo, hi);
            if (write(p[1], &n, sizeof(n)) != sizeof(n))
                return 1;
            return 0;
        }
        close(p[1]);
        fds[w] = p[0];
    }
    uint64_t total = 0;
    int failed = 0;
    for (int w = 0; w < workers; w++) {
        uint64_t n;
        if (read(fds[w], &n, sizeof(n)) != sizeof(n)) {
            fprintf(stderr, "worker %d sent no result\n", w);
            failed = 1;
            n = 0;
        }
        close(fds[w]);
        total += n;
        int st;
        waitpid(pids[w], &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            failed = 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
    printf("primes below %llu: %llu (%d worker VMs, %ld ms)\n", (unsigned long long)limit,
           (unsigned long long)total, workers, ms);
    return failed;
}
