/* fork_clock: the child's clock continues the parent's and never goes backwards. */
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ukmon_guest.h"

static long long mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void)
{
    int bad = 0;
    for (int i = 0; i < 20; i++) {
        long long before = mono();
        uint64_t tsc_before = ukmon_rdtsc();
        pid_t pid = fork();
        if (pid == 0) {
            long long now = mono();
            uint64_t tsc_now = ukmon_rdtsc();
            for (int k = 0; k < 1000; k++) {
                long long t = mono();
                if (t < now)
                    return 3;
                now = t;
            }
            return (now >= before ? 0 : 1) | (tsc_now >= tsc_before ? 0 : 2);
        }
        int st;
        waitpid(pid, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            printf("round %d: child status %d\n", i, st);
            bad = 1;
        }
        if (mono() < before)
            bad = 1;
    }
    printf("clocks continue across fork: %s\n", bad ? "no" : "yes");
    return bad;
}
