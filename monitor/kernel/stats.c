/* stats.c: the --stats report (VM exits, calls, where the time went) and --trace's lines. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kernel/stats.h"
#include "personality.h"

/* One block per VM, written with one write() so blocks of a tree do not interleave. */
void stats_print(struct ukmon_vm *vm)
{
    char buf[4096];
    size_t n = 0;
    const struct hc_stats *s = &vm->stats;
    const struct personality *p = vm->pers;
#define OUT(...) n += (size_t)snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0, __VA_ARGS__)
    OUT("ukmon stats pid %d: exits io=%llu other=%llu interrupted=%llu; "
        "time total=%.3f ms in_kvm_run=%.3f ms in_monitor=%.3f ms\n", (int)getpid(),
        (unsigned long long)s->exits_io, (unsigned long long)s->exits_other,
        (unsigned long long)s->exits_intr, s->ns_total / 1e6, s->ns_in_run / 1e6,
        (s->ns_total - s->ns_in_run) / 1e6);
    if (p) {
        OUT("ukmon stats pid %d: %s", (int)getpid(), p->calls_name);
        for (unsigned i = 0; i <= STATS_CALLS_MAX; i++) {
            if (!s->calls[i])
                continue;
            const char *name = p->call_name(i);
            if (name)
                OUT(" %s=%llu", name, (unsigned long long)s->calls[i]);
            else if (i < STATS_CALLS_MAX)
                OUT(" %s%u=%llu", p->call_prefix, i, (unsigned long long)s->calls[i]);
            else
                OUT(" %s%u+=%llu", p->call_prefix, STATS_CALLS_MAX,
                    (unsigned long long)s->calls[i]);
        }
        if (p->counts_enosys)
            OUT("; ENOSYS=%llu", (unsigned long long)s->calls_enosys);
        OUT("\n");
        /* The time the monitor spent on each, exits excluded: the handlers' own cost. */
        OUT("ukmon stats pid %d: %s time in monitor (ms):", (int)getpid(), p->calls_name);
        for (unsigned i = 0; i <= STATS_CALLS_MAX; i++)
            if (s->calls[i] && p->call_name(i))
                OUT(" %s=%.3f", p->call_name(i), s->calls_ns[i] / 1e6);
        OUT("\n");
        if (p->calls_in_guest) {
            /* The guest's own count: what it says, not checked. */
            OUT("ukmon stats pid %d: %s answered in the guest, no exit:", (int)getpid(),
                p->calls_name);
            for (unsigned i = 0; i < STATS_CALLS_MAX; i++) {
                uint64_t g = p->calls_in_guest(vm, i);
                if (g)
                    OUT(" %s=%llu", p->call_name(i) ? p->call_name(i) : "?",
                        (unsigned long long)g);
            }
            OUT("\n");
        }
    }
#undef OUT
    if (n > sizeof(buf))
        n = sizeof(buf);
    if (write(vm->cfg.stats_fd, buf, n) < 0)
        return;
}

void trace_line(struct ukmon_vm *vm, const char *fmt, ...)
{
    char line[512];
    int n = snprintf(line, sizeof(line), "[%d] ", (int)getpid());
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    size_t len = strlen(line);
    if (len < sizeof(line) - 1)
        line[len++] = '\n';
    /* One write per line, so lines of several monitors interleave whole. */
    if (write(vm->cfg.trace_fd, line, len) < 0)
        vm->cfg.trace_fd = -1;
}
