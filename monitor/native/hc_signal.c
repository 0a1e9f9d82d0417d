/* hc_signal.c: the signal hypercalls of ukmon unikernels (ABI 2), on the services of sig_*.c. */
#include <errno.h>
#include <string.h>

#include "kernel/sig.h"
#include "kvm/vmm.h"
#include "native/hypercalls.h"

enum run_next hc_sigaction(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_sigaction *a = arg;
    struct ukmon_sigaction nw, old;
    if ((a->act && gmem_read(vm, &nw, a->act, sizeof(nw)) < 0) ||
        (a->oldact && !gmem_check(vm, a->oldact, sizeof(old), true))) {
        a->ret = -EFAULT;
        return RUN_CONTINUE;
    }
    a->ret = sig_action(vm, a->sig < 0 || a->sig > UKMON_NSIG ? 0 : (int)a->sig,
                        a->act ? &nw : NULL, &old);
    if (a->ret == 0 && a->oldact && gmem_write(vm, a->oldact, &old, sizeof(old)) < 0)
        a->ret = -EFAULT;
    return RUN_CONTINUE;
}

enum run_next hc_sigprocmask(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_sigprocmask *a = arg;
    a->ret = sig_procmask(vm, a->how, a->set, a->change != 0, &a->old);
    a->pending = gsig_pending() & vcpu_cur(vm)->sig.mask;
    return RUN_CONTINUE;
}

enum run_next hc_kill(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_kill *a = arg;
    a->ret = sig_kill(vm, a->pid, a->sig < 0 || a->sig > UKMON_NSIG ? -1 : (int)a->sig, SI_USER);
    return RUN_CONTINUE;
}

enum run_next hc_sigreturn(struct ukmon_vm *vm, void *arg)
{
    ((struct ukmon_hc_ret *)arg)->ret = 0;
    return sig_return(vm);
}

/* sigsuspend: the handler's frame gets the mask from before, and EINTR follows it. */
enum run_next hc_sigsuspend(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_sigsuspend *a = arg;
    vcpu_cur(vm)->sig.saved_mask = vcpu_cur(vm)->sig.mask;
    vcpu_cur(vm)->sig.restore_mask = true;
    sig_set_mask(vm, a->mask);
    sig_sleep(vm, -1, 0);
    a->ret = -EINTR;
    return RUN_CONTINUE;
}

enum run_next hc_alarm(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_alarm *a = arg;
    a->ret = sig_alarm(vm, a->seconds);
    return RUN_CONTINUE;
}
