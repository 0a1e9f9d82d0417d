/* stats.c: the --stats report: VM exits, hypercalls and where the time went. */
#include <stdio.h>
#include <unistd.h>

#include "monitor.h"

/* One block per VM, written with one write() so blocks of a tree do not interleave. */
void stats_print(struct ukmon_vm *vm)
{
    char buf[4096];
    size_t n = 0;
    const struct hc_stats *s = &vm->stats;
#define OUT(...) n += (size_t)snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0, __VA_ARGS__)
    OUT("ukmon stats pid %d: exits io=%llu other=%llu interrupted=%llu; "
        "time total=%.3f ms in_kvm_run=%.3f ms in_monitor=%.3f ms\n", (int)getpid(),
        (unsigned long long)s->exits_io, (unsigned long long)s->exits_other,
        (unsigned long long)s->exits_intr, s->ns_total / 1e6, s->ns_in_run / 1e6,
        (s->ns_total - s->ns_in_run) / 1e6);
    if (vm->pers == PERS_LINUX) {
        OUT("ukmon stats pid %d: syscalls", (int)getpid());
        for (unsigned i = 0; i <= LX_NR_MAX; i++) {
            if (!s->lx_count[i])
                continue;
            const char *name = lx_syscall_name(i);
            if (name)
                OUT(" %s=%llu", name, (unsigned long long)s->lx_count[i]);
            else if (i < LX_NR_MAX)
                OUT(" syscall_%u=%llu", i, (unsigned long long)s->lx_count[i]);
            else
                OUT(" syscall_%u+=%llu", LX_NR_MAX, (unsigned long long)s->lx_count[i]);
        }
        OUT("; ENOSYS=%llu\n", (unsigned long long)s->lx_enosys);
    } else {
        OUT("ukmon stats pid %d: hypercalls", (int)getpid());
        for (unsigned i = 0; i < UKMON_HC_MAX; i++) {
            if (!s->hc_count[i])
                continue;
            const char *name = hc_name(i);
            if (name)
                OUT(" %s=%llu", name, (unsigned long long)s->hc_count[i]);
            else
                OUT(" hc%u=%llu", i, (unsigned long long)s->hc_count[i]);
        }
        OUT("\n");
    }
#undef OUT
    if (n > sizeof(buf))
        n = sizeof(buf);
    if (write(vm->cfg.stats_fd, buf, n) < 0)
        return;
}
