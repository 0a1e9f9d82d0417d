/* compute_bench: the kernels of compute.h, timed; run natively and in a VM. */
#include "bench.h"
#include "compute.h"

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    int64_t ti[64], tf[64];
    if (reps < 1 || reps > 64)
        return 1;
    uint64_t sink = 0;
    for (int r = 0; r < reps; r++) {
        int64_t t0 = now_ns();
        sink += kernel_int(50000000);
        int64_t t1 = now_ns();
        sink += kernel_float(600);
        int64_t t2 = now_ns();
        ti[r] = t1 - t0;
        tf[r] = t2 - t1;
    }
    report_us("compute_int", ti, reps);
    report_us("compute_float", tf, reps);
    printf("CHECK %llu\n", (unsigned long long)sink);
    return 0;
}
