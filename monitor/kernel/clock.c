/* clock.c: host clock readings in nanoseconds. */
#include <time.h>

#include "monitor.h"

int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
