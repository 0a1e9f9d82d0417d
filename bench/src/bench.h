/* bench.h: timing and statistics shared by the benchmarks, host and guest builds alike. */
#ifndef BENCH_H
#define BENCH_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* One result line: RESULT <name> <min> <median> <p90> <unit>, values in microseconds. */
static inline void report_us(const char *name, int64_t *ns, int n)
{
    qsort(ns, (size_t)n, sizeof(ns[0]), cmp_i64);
    printf("RESULT %s %.2f %.2f %.2f us\n", name, ns[0] / 1e3, ns[n / 2] / 1e3,
           ns[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1] / 1e3);
}

#endif
