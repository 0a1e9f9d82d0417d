/* lx_signal.c: Linux signal calls: dispositions, masks, kill, and default actions. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "linux/lx.h"
#include "proc.h"

#define SIGBIT(s) (1ULL << ((s) - 1))
/* Never blocked, caught or ignored. */
#define LX_UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

enum lx_default { DEF_TERM, DEF_CORE, DEF_IGN, DEF_STOP, DEF_CONT };

static enum lx_default lx_default_action(int sig)
{
    switch (sig) {
    case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE:
    case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS:
        return DEF_CORE;
    case SIGCHLD: case SIGURG: case SIGWINCH:
        return DEF_IGN;
    case SIGCONT:
        return DEF_CONT;
    case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
        return DEF_STOP;
    default:
        return DEF_TERM;
    }
}

LX_HANDLER(lx_rt_sigaction)
{
    int sig = (int)a[0];
    if (sig < 1 || sig > LX_NSIG || a[3] != 8)
        return -EINVAL;
    struct lx_sigaction *cur = &vm->lx->act[sig];
    struct lx_sigaction nw;
    if (a[1]) {
        if (sig == SIGKILL || sig == SIGSTOP)
            return -EINVAL;
        if (lx_copy_in(vm, &nw, a[1], sizeof(nw)) < 0)
            return -EFAULT;
    }
    if (a[2] && lx_copy_out(vm, a[2], cur, sizeof(*cur)) < 0)
        return -EFAULT;
    if (a[1]) {
        nw.mask &= ~LX_UNBLOCKABLE;
        *cur = nw;
    }
    return 0;
}

LX_HANDLER(lx_rt_sigprocmask)
{
    if (a[3] != 8)
        return -EINVAL;
    uint64_t old = vm->lx->sigmask, set = 0;
    if (a[1]) {
        if (a[0] > SIG_SETMASK)
            return -EINVAL;
        if (lx_copy_in(vm, &set, a[1], sizeof(set)) < 0)
            return -EFAULT;
    }
    if (a[2] && lx_copy_out(vm, a[2], &old, sizeof(old)) < 0)
        return -EFAULT;
    if (a[1]) {
        uint64_t m = a[0] == SIG_BLOCK ? old | set : a[0] == SIG_UNBLOCK ? old & ~set : set;
        vm->lx->sigmask = m & ~LX_UNBLOCKABLE;
    }
    return 0;
}

LX_HANDLER(lx_rt_sigpending)
{
    if (a[1] != 8)
        return -EINVAL;
    uint64_t p = gsig_pending() & vm->lx->sigmask;
    return lx_copy_out(vm, a[0], &p, sizeof(p));
}

#define LX_SS_ONSTACK 1
#define LX_SS_DISABLE 2
#define LX_MINSIGSTKSZ 2048

LX_HANDLER(lx_sigaltstack)
{
    struct lx_stack {
        uint64_t sp;
        int32_t flags;
        int32_t pad;
        uint64_t size;
    } ns, os = {vm->lx->altstack_sp, vm->lx->altstack_flags, 0, vm->lx->altstack_size};
    if (!os.size)
        os.flags = LX_SS_DISABLE;
    if (a[0]) {
        if (lx_copy_in(vm, &ns, a[0], sizeof(ns)) < 0)
            return -EFAULT;
        if (ns.flags & ~LX_SS_DISABLE)
            return -EINVAL;
        if (!(ns.flags & LX_SS_DISABLE) && ns.size < LX_MINSIGSTKSZ)
            return -ENOMEM;
    }
    if (a[1] && lx_copy_out(vm, a[1], &os, sizeof(os)) < 0)
        return -EFAULT;
    if (a[0]) {
        bool off = ns.flags & LX_SS_DISABLE;
        vm->lx->altstack_sp = off ? 0 : ns.sp;
        vm->lx->altstack_size = off ? 0 : ns.size;
        vm->lx->altstack_flags = 0;
    }
    return 0;
}

/* kill() of a group (pgid > 0) or, with pgid 0, of every VM of the tree but this one. */
static int64_t lx_kill_many(struct ukmon_vm *vm, pid_t pgid, int sig)
{
    pid_t pids[UKMON_MAX_PROCS_LIMIT];
    unsigned n = proc_tree_pids(vm, pids, UKMON_MAX_PROCS_LIMIT);
    int64_t r = -ESRCH;
    pid_t self = getpid();
    for (unsigned i = 0; i < n; i++) {
        if (pgid ? getpgid(pids[i]) != pgid : pids[i] == self)
            continue;
        int64_t e = gsig_send(vm, pids[i], sig);
        if (e == 0 || r == -ESRCH)
            r = e;
    }
    return r;
}

/* Only VMs of this tree can be signalled: the rest of the host is not there. */
LX_HANDLER(lx_kill)
{
    int32_t pid = (int32_t)a[0];
    int sig = (int)a[1];
    if (sig < 0 || sig > LX_NSIG)
        return -EINVAL;
    if (pid > 0)
        return gsig_send(vm, pid, sig);
    if (pid == 0)
        return lx_kill_many(vm, getpgid(0), sig);
    if (pid == -1)
        return lx_kill_many(vm, 0, sig);
    if (pid == INT32_MIN)
        return -ESRCH;
    return lx_kill_many(vm, -pid, sig);
}

LX_HANDLER(lx_tgkill)
{
    int32_t tgid = (int32_t)a[0], tid = (int32_t)a[1];
    if (tgid <= 0 || tid <= 0)
        return -EINVAL;
    if (tgid != tid) /* one thread per process: its id is the process's */
        return -ESRCH;
    const uint64_t b[6] = {(uint64_t)tid, a[2], 0, 0, 0, 0};
    return lx_kill(vm, b);
}

LX_HANDLER(lx_tkill)
{
    if ((int32_t)a[0] <= 0)
        return -EINVAL;
    return lx_kill(vm, a);
}

/* Whether the program does anything at all when `sig` arrives. */
static bool lx_signal_ignored(const struct ukmon_vm *vm, int sig)
{
    uint64_t h = vm->lx->act[sig].handler;
    if (sig == SIGKILL)
        return false;
    if (h == LX_SIG_IGN)
        return true;
    return h == LX_SIG_DFL && lx_default_action(sig) == DEF_IGN;
}

/*
 * Whether a pending signal must interrupt what the program waits for: one it does
 * not block and does not ignore (ignored ones are dropped here, as Linux drops them).
 */
bool lx_signal_interrupts(struct ukmon_vm *vm)
{
    uint64_t ready = gsig_pending() & ~(vm->lx->sigmask & ~LX_UNBLOCKABLE);
    for (int sig = 1; sig <= LX_NSIG && ready; sig++) {
        if (!(ready & SIGBIT(sig)))
            continue;
        ready &= ~SIGBIT(sig);
        if (!lx_signal_ignored(vm, sig))
            return true;
        gsig_take(sig);
    }
    return false;
}

/* pause(): sleeps until a signal that does something arrives; always EINTR. */
LX_HANDLER(lx_pause)
{
    (void)a;
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, gsig_host_signal());
    sigaddset(&block, SIGCHLD);
    for (;;) {
        sigprocmask(SIG_BLOCK, &block, &old);
        if (vm->stop_signal || lx_signal_interrupts(vm)) {
            sigprocmask(SIG_SETMASK, &old, NULL);
            return -EINTR;
        }
        sigset_t wait = old;
        sigdelset(&wait, gsig_host_signal());
        sigdelset(&wait, SIGCHLD);
        sigsuspend(&wait);
        sigprocmask(SIG_SETMASK, &old, NULL);
        proc_on_interrupt(vm);
    }
}

bool lx_sigpipe_kills(const struct ukmon_vm *vm)
{
    return vm->lx->act[SIGPIPE].handler == LX_SIG_DFL && !(vm->lx->sigmask & SIGBIT(SIGPIPE));
}

/*
 * Pending signals the program does not block: applied now, before it runs again.
 * Returns HC_STOP when one ended the program.
 */
enum hc_result lx_signal_deliver(struct ukmon_vm *vm)
{
    uint64_t ready = gsig_pending() & ~(vm->lx->sigmask & ~LX_UNBLOCKABLE);
    for (int sig = 1; sig <= LX_NSIG && ready; sig++) {
        if (!(ready & SIGBIT(sig)))
            continue;
        ready &= ~SIGBIT(sig);
        gsig_take(sig);
        uint64_t h = vm->lx->act[sig].handler;
        if (sig != SIGKILL && (h == LX_SIG_IGN || h != LX_SIG_DFL))
            continue; /* ignored; handlers are not run yet */
        switch (lx_default_action(sig)) {
        case DEF_TERM:
        case DEF_CORE:
            vm->exit.kind = UKMON_EXIT_SIGNALED;
            vm->exit.signal = sig;
            return HC_STOP;
        default:
            break;
        }
    }
    return HC_CONTINUE;
}
