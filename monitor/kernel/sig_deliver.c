/* sig_deliver.c: where pending signals reach the guest: after a call, between instructions, on faults. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kernel/proc.h"
#include "kernel/sig.h"
#include "kernel/stats.h"
#include "kernel/thread.h"
#include "kvm/vmm.h"
#include "personality.h"

/*
 * Resumes ring 3 with `ctx`. From ring 0 (the Linux system-call stub, an exception
 * stub) CS and SS go back to ring 3's too; FS and GS keep their bases (TLS).
 */
void sig_resume_user(struct ukmon_vm *vm, const struct kvm_regs *ctx)
{
    *vcpu_regs(vm) = *ctx;
    vcpu_regs_changed(vm);
    struct kvm_sregs *sr = vcpu_sregs_mut(vm);
    if ((sr->cs.selector & 3) != 3) {
        struct kvm_segment ds = sr->ds, es = sr->es, fs = sr->fs, gs = sr->gs;
        boot_user_segments(sr);
        sr->ds = ds, sr->es = es, sr->fs = fs, sr->gs = gs;
        vcpu_sregs_changed(vm);
    }
}

/*
 * The default action "stop": the monitor stops itself, which stops the VM; its
 * parent monitor sees it with waitid(WSTOPPED) and SIGCHLD, as a parent process
 * would. SIGCONT (from the tree, or the host's job control) continues it here.
 */
static void stop_self(struct ukmon_vm *vm)
{
    gsig_discard(SIGBIT(SIGCONT));
    kill(getpid(), SIGSTOP);
    (void)vm;
}

/*
 * Applies every pending signal that is not blocked, on top of ctx (the state the
 * program resumes in): default actions, or a frame per handler, the last one pushed
 * running first as on Linux. `call` says whether the program was in a call that a
 * signal cut short. Returns RUN_STOP when a signal ended the program.
 */
static enum run_next deliver(struct ukmon_vm *vm, struct kvm_regs *ctx,
                              const struct sig_call *call)
{
    bool handled = false;
    uint64_t ready;
    while ((ready = sig_ready(vm)) != 0) {
        int sig = (ready & SIGBIT(SIGKILL)) ? SIGKILL : __builtin_ctzll(ready) + 1;
        struct sig_info si;
        if (!gsig_take(sig, &si))
            continue;
        if (si.code == SI_TIMER)
            si.value = sig_timer_value(vm, si.timer);
        struct ukmon_sigaction *act = &vm->sig.act[sig];
        if (sig == SIGKILL || sig == SIGSTOP || act->handler == UKMON_SIG_DFL) {
            switch (sig_default_action(sig)) {
            case SIG_DEF_TERM:
            case SIG_DEF_CORE:
                vm->exit.kind = UKMON_EXIT_SIGNALED;
                vm->exit.signal = sig;
                return RUN_STOP;
            case SIG_DEF_STOP:
                stop_self(vm);
                continue;
            default:
                continue;
            }
        }
        if (call && call->interrupted && !handled &&
            (((act->flags & UKMON_SA_RESTART) && call->restartable) || call->restart_always))
            *ctx = call->restart;
        uint64_t oldmask = vcpu_cur(vm)->sig.restore_mask ? vcpu_cur(vm)->sig.saved_mask : vcpu_cur(vm)->sig.mask;
        vcpu_cur(vm)->sig.restore_mask = false;
        if (sig_push_frame(vm, &si, act, oldmask, ctx) < 0)
            return RUN_STOP;
        uint64_t block = act->mask | ((act->flags & UKMON_SA_NODEFER) ? 0 : SIGBIT(sig));
        sig_set_mask(vm, vcpu_cur(vm)->sig.mask | block);
        if (act->flags & UKMON_SA_RESETHAND)
            act->handler = UKMON_SIG_DFL;
        handled = true;
    }
    /* Cut short by a signal no handler took (a stop, or one now ignored): again. */
    if (call && call->interrupted && !handled)
        *ctx = call->restart;
    if (vcpu_cur(vm)->sig.restore_mask && !handled) {
        sig_set_mask(vm, vcpu_cur(vm)->sig.saved_mask);
        vcpu_cur(vm)->sig.restore_mask = false;
    }
    return RUN_CONTINUE;
}

/*
 * The OUT of the exit just handled may still be in flight (KVM's fast path moves RIP
 * past it in the next KVM_RUN): a frame must save the RIP after it, or the handler's
 * return would make the call again.
 */
static int settle_exit(struct ukmon_vm *vm)
{
    if (!vcpu_cur(vm)->exit_in_flight)
        return 0;
    vcpu_cur(vm)->exit_in_flight = false;
    int r = vcpu_complete_exit(vm);
    return r > 0 ? -EIO : r;
}

/*
 * After a system call or hypercall returned: ctx is the state the program goes on
 * with. Applies it, with whatever pending signals make of it.
 */
enum run_next sig_after_call(struct ukmon_vm *vm, struct kvm_regs *ctx,
                              const struct sig_call *call)
{
    enum run_next r = deliver(vm, ctx, call);
    if (r == RUN_CONTINUE)
        sig_resume_user(vm, ctx);
    return r;
}

/* Whether ring 3 can execute at rip (else it is about to fault there). */
static bool user_executable(const struct ukmon_vm *vm, uint64_t rip)
{
    return vm->page_perm && gmem_range_ok(vm->mem_size, rip, 1) &&
           (vm->page_perm[rip / PAGE_SIZE_4K] & (PG_U | PG_X)) == (PG_U | PG_X);
}

/*
 * Between instructions (a KVM_RUN cut short by a host signal, or a signal that came
 * between exits): delivers what is ready. In ring 0 (a personality's entry stub) a
 * signal waits for the call's own return, unless the personality can leave the stub
 * at once (the Linux stub with only its SYSRET to run).
 */
enum run_next sig_async(struct ukmon_vm *vm)
{
    if (!gsig_pending() || !sig_ready(vm))
        return RUN_CONTINUE;
    int e = settle_exit(vm);
    if (e < 0) {
        vm_set_fault(vm, SIGSEGV, "cannot deliver a signal: completing the exit: %s",
                     strerror(-e));
        return RUN_STOP;
    }
    struct kvm_regs ctx = *vcpu_regs(vm);
    if ((vcpu_sregs(vm)->cs.selector & 3) != 3) {
        if (!vm->pers->leave_stub || !vm->pers->leave_stub(vm, &ctx))
            return RUN_CONTINUE;
    } else if (!user_executable(vm, ctx.rip) && vm->pers->fault_is_call) {
        /*
         * Stopped where it cannot run, on its way to a fault that is one of the
         * personality's calls gone astray (a rewritten call with no such number): the
         * call is answered first, so that the frame returns after it.
         */
        vm->pers->fault_is_call(vm, 14, 0x14, ctx.rip, &ctx);
    }
    enum run_next r = deliver(vm, &ctx, NULL);
    if (r == RUN_CONTINUE)
        sig_resume_user(vm, &ctx);
    return r;
}

/*
 * A fault at ring 3 (si: its signal, code, address) with ctx the state it happened
 * in. A handler the program has, and does not block, runs; otherwise the fault ends
 * the program, as Linux's forced signals do. The VM's end is already set by the
 * caller: cleared when a handler takes the fault.
 */
enum run_next sig_fault(struct ukmon_vm *vm, const struct sig_info *si, struct kvm_regs *ctx)
{
    int sig = si->signo;
    struct ukmon_sigaction *act = &vm->sig.act[sig];
    if (act->handler == UKMON_SIG_DFL || act->handler == UKMON_SIG_IGN ||
        (vcpu_cur(vm)->sig.mask & SIGBIT(sig)))
        return RUN_STOP;
    struct ukmon_exit saved = vm->exit;
    memset(&vm->exit, 0, sizeof(vm->exit));
    uint64_t oldmask = vcpu_cur(vm)->sig.restore_mask ? vcpu_cur(vm)->sig.saved_mask : vcpu_cur(vm)->sig.mask;
    vcpu_cur(vm)->sig.restore_mask = false;
    if (sig_push_frame(vm, si, act, oldmask, ctx) < 0) {
        vm->exit = saved; /* the fault's own message says more */
        return RUN_STOP;
    }
    uint64_t block = act->mask | ((act->flags & UKMON_SA_NODEFER) ? 0 : SIGBIT(sig));
    sig_set_mask(vm, vcpu_cur(vm)->sig.mask | block);
    if (act->flags & UKMON_SA_RESETHAND)
        act->handler = UKMON_SIG_DFL;
    return sig_after_call(vm, ctx, NULL);
}

/*
 * rt_sigreturn, either personality: the frame is just below %rsp. The restored mask
 * may let a pending signal in: it is delivered on top at once.
 */
enum run_next sig_return(struct ukmon_vm *vm)
{
    struct kvm_regs ctx = *vcpu_regs(vm);
    if (sig_pop_frame(vm, &ctx) < 0)
        return RUN_STOP;
    vcpu_cur(vm)->regs_loaded = true;
    return sig_after_call(vm, &ctx, NULL);
}

/*
 * Waits for one of fds[] (host fds, their events) to be ready: 0, or -EINTR when a
 * guest signal to act on or a stop request cut it short. Host signals that wake it
 * are blocked while it looks, as in sig_sleep().
 */
int sig_wait_fds(struct ukmon_vm *vm, struct pollfd *fds, unsigned nfds)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, gsig_host_signal());
    sigaddset(&block, SIGCHLD);
    for (;;) {
        sigprocmask(SIG_BLOCK, &block, &old);
        if (vm->stop_signal || proc_interrupted(vm)) {
            sigprocmask(SIG_SETMASK, &old, NULL);
            return -EINTR;
        }
        sigset_t wait = old;
        sigdelset(&wait, gsig_host_signal());
        sigdelset(&wait, SIGCHLD);
        thread_block_begin(vm);
        int n = ppoll(fds, nfds, NULL, &wait);
        thread_block_end(vm);
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -errno;
        proc_on_interrupt(vm);
    }
}

/*
 * Sleeps until a signal must reach the guest (or one in `wake` is pending, blocked or
 * not), a stop is requested, or the deadline on CLOCK_MONOTONIC passes (< 0: none).
 * Returns 0 when a signal woke it, -ETIMEDOUT, or -EINTR for a stop. Host signals
 * that wake it are blocked while it looks, so none comes between a look and the sleep.
 */
int sig_sleep(struct ukmon_vm *vm, int64_t deadline_ns, uint64_t wake_mask)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, gsig_host_signal());
    sigaddset(&block, SIGCHLD);
    for (;;) {
        sigprocmask(SIG_BLOCK, &block, &old);
        int r = 1;
        if (vm->stop_signal)
            r = -EINTR;
        else if (proc_interrupted(vm) || (gsig_pending() & wake_mask))
            r = 0;
        else if (deadline_ns >= 0 && clock_ns(CLOCK_MONOTONIC) >= deadline_ns)
            r = -ETIMEDOUT;
        if (r <= 0) {
            sigprocmask(SIG_SETMASK, &old, NULL);
            return r;
        }
        sigset_t wait = old;
        sigdelset(&wait, gsig_host_signal());
        sigdelset(&wait, SIGCHLD);
        thread_block_begin(vm);
        if (deadline_ns < 0) {
            sigsuspend(&wait);
        } else {
            int64_t left = deadline_ns - clock_ns(CLOCK_MONOTONIC);
            if (left < 0)
                left = 0;
            struct timespec ts = {left / 1000000000LL, left % 1000000000LL};
            ppoll(NULL, 0, &ts, &wait);
        }
        thread_block_end(vm);
        sigprocmask(SIG_SETMASK, &old, NULL);
        proc_on_interrupt(vm);
    }
}
