/* stats.h: clocks, --stats and --trace: what every VM reports about itself. */
#ifndef UKMON_KERNEL_STATS_H
#define UKMON_KERNEL_STATS_H

#include "monitor.h"

/* clock.c */
int64_t clock_ns(clockid_t id);

/* stats.c */
void stats_print(struct ukmon_vm *vm);
/* One line on the trace fd, "[pid] " first, written whole. */
void trace_line(struct ukmon_vm *vm, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
