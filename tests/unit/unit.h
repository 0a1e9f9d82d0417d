/*
 * unit.h: the few lines shared by the unit tests of the monitor.
 *
 * Each test prints one line per case, "ok - <name>" or "not ok - <name>: <why>", and
 * ends with "unit: N passed, N failed"; unit_done() gives the exit status (1 if any
 * case failed). Header-only: every test program is a single translation unit.
 */
#ifndef UKMON_TESTS_UNIT_H
#define UKMON_TESTS_UNIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static unsigned unit_passed, unit_failed;

/* Records one case. `why` (printf format) is only used when the case failed. */
static inline bool unit_result(bool ok, const char *name, const char *why, ...)
    __attribute__((format(printf, 3, 4)));

static inline bool unit_result(bool ok, const char *name, const char *why, ...)
{
    if (ok) {
        unit_passed++;
        printf("ok - %s\n", name);
    } else {
        unit_failed++;
        printf("not ok - %s: ", name);
        va_list ap;
        va_start(ap, why);
        vprintf(why, ap);
        va_end(ap);
        putchar('\n');
    }
    fflush(stdout);
    return ok;
}

/* CHECK(name, cond): one case; on failure the reason is the failed expression. */
#define CHECK(name, cond) unit_result((cond), (name), "%s (%s:%d)", #cond, __FILE__, __LINE__)

/* CHECKF(name, cond, fmt, ...): one case with a reason of its own. */
#define CHECKF(name, cond, ...) unit_result((cond), (name), __VA_ARGS__)

static inline int unit_done(void)
{
    printf("unit: %u passed, %u failed\n", unit_passed, unit_failed);
    fflush(stdout);
    return unit_failed ? 1 : 0;
}

#endif
