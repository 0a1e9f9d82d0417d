/* time.h: clocks and sleeping in the ukmon guest library. */
#ifndef _TIME_H
#define _TIME_H
#include <sys/types.h>

struct timespec {
    time_t tv_sec;
    long tv_nsec;
};

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_BOOTTIME 7
#define TIMER_ABSTIME 1

typedef long clock_t;
#define CLOCKS_PER_SEC 1000000L

int clock_gettime(clockid_t id, struct timespec *ts);
int nanosleep(const struct timespec *req, struct timespec *rem);
time_t time(time_t *t);
/* Time since the program started: a VM has one vCPU and runs only this program. */
clock_t clock(void);

#endif
