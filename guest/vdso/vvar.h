/* vvar.h: the page the monitor fills for the vDSO: clock constants (see lx_vdso.c). */
#ifndef UKMON_VVAR_H
#define UKMON_VVAR_H
#include <stdint.h>

/* Where the page is in every Linux program's memory (GL_LX_VVAR in monitor.h). */
#define LX_VVAR_ADDR 0xc000UL

/* ns = base_ns + ((rdtsc - tsc_base) * tsc_mult) >> 32, when `valid`. */
struct lx_vvar {
    uint64_t valid;
    uint64_t tsc_base;
    uint64_t tsc_mult;
    int64_t mono_base_ns;
    int64_t wall_base_ns;
};

#endif
