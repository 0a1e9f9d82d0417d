/* hc_misc.c: hypercalls for ending the guest, clocks, the TLS pointer and a null call. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kernel/stats.h"
#include "kvm/vmm.h"
#include "native/hypercalls.h"

enum run_next hc_exit(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_exit *a = arg;
    vm->exit.kind = UKMON_EXIT_STATUS;
    vm->exit.status = (int)(a->status & 0xff);
    return RUN_STOP;
}

/* abort(): a fault of kind SIGABRT, with the guest's message made printable. */
enum run_next hc_abort(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_abort *a = arg;
    char msg[UKMON_ABORT_MSG_MAX + 1] = "";
    uint64_t len = a->len < UKMON_ABORT_MSG_MAX ? a->len : UKMON_ABORT_MSG_MAX;
    char src[UKMON_ABORT_MSG_MAX + 1];
    if (a->msg && gmem_read(vm, src, a->msg, len) == 0) {
        for (uint64_t i = 0; i < len && src[i]; i++) {
            unsigned char c = (unsigned char)src[i];
            msg[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
            msg[i + 1] = 0;
        }
    }
    while (msg[0] && msg[strlen(msg) - 1] == '?')
        msg[strlen(msg) - 1] = 0; /* a trailing newline, most likely */
    vm_set_fault(vm, SIGABRT, "guest aborted%s%s", msg[0] ? ": " : "", msg);
    return RUN_STOP;
}

enum run_next hc_clock(struct ukmon_vm *vm, void *arg)
{
    (void)vm;
    struct ukmon_hc_clock *a = arg;
    switch (a->clock) {
    case UKMON_CLOCK_MONOTONIC:
        a->ns = clock_ns(CLOCK_MONOTONIC);
        a->ret = 0;
        break;
    case UKMON_CLOCK_REALTIME:
        a->ns = clock_ns(CLOCK_REALTIME);
        a->ret = 0;
        break;
    default:
        a->ret = -EINVAL;
    }
    return RUN_CONTINUE;
}

/* The guest cannot write the FS base itself at CPL3 (no FSGSBASE), so we do it. */
enum run_next hc_set_tls(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_set_tls *a = arg;
    /* A non-canonical base would make the next VM entry fail. */
    if ((int64_t)(a->fs_base << 16) >> 16 != (int64_t)a->fs_base) {
        a->ret = -EINVAL;
        return RUN_CONTINUE;
    }
    /* Through kvm_run's copy: no ioctl, and nothing else there goes stale (TR's type). */
    vcpu_sregs_mut(vm)->fs.base = a->fs_base;
    vcpu_sregs_changed(vm);
    a->ret = 0;
    return RUN_CONTINUE;
}

enum run_next hc_null(struct ukmon_vm *vm, void *arg)
{
    (void)vm;
    ((struct ukmon_hc_ret *)arg)->ret = 0;
    return RUN_CONTINUE;
}
