/* clock_check: monotonic never goes back, sleeps last, wall time is the host's. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static long long ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void)
{
    long long prev = ns(CLOCK_MONOTONIC);
    for (int i = 0; i < 100000; i++) {
        long long now = ns(CLOCK_MONOTONIC);
        if (now < prev) {
            printf("monotonic went back by %lld ns\n", prev - now);
            return 1;
        }
        prev = now;
    }
    long long t0 = ns(CLOCK_MONOTONIC);
    usleep(50000);
    long long slept = ns(CLOCK_MONOTONIC) - t0;
    printf("monotonic ok\n");
    printf("sleep of 50 ms lasted at least 50 ms: %s\n", slept >= 50000000 ? "yes" : "no");
    printf("wall clock seconds: %lld\n", (long long)time(NULL));
    return 0;
}
