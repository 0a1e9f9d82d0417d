/* ukmon_guest.h: ukmon-specific calls for guest programs (tests, benchmarks). */
#ifndef _UKMON_GUEST_H
#define _UKMON_GUEST_H
#include <stdint.h>
#include "ukmon_abi.h"

/* The boot information the monitor passed at entry. */
const struct ukmon_boot_info *ukmon_boot_info(void);
/* A hypercall that does nothing: the cost of one VM exit and return. */
void ukmon_null_hypercall(void);
/* Raw TSC, and the monotonic clock in ns as clock_gettime computes it. */
uint64_t ukmon_rdtsc(void);
int64_t ukmon_monotonic_ns(void);

#endif
