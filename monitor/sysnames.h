/* sysnames.h: the names of x86-64 system calls (sysnames.c). */
#ifndef UKMON_SYSNAMES_H
#define UKMON_SYSNAMES_H

#include <stdint.h>

/* The call's name, or NULL for a number that is no x86-64 system call. */
const char *sysname_of(uint64_t nr);

#endif
