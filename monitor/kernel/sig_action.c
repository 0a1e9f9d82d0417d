/* sig_action.c: signal dispositions, the mask, the alternate stack, default actions. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kernel/sig.h"

enum sig_default sig_default_action(int sig)
{
    switch (sig) {
    case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE:
    case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS:
        return SIG_DEF_CORE;
    case SIGCHLD: case SIGURG: case SIGWINCH:
        return SIG_DEF_IGN;
    case SIGCONT:
        return SIG_DEF_CONT;
    case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
        return SIG_DEF_STOP;
    default:
        return SIG_DEF_TERM;
    }
}

const char *sig_name(int sig)
{
    static const char *const names[] = {
        [SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT",
        [SIGILL] = "SIGILL", [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",
        [SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE", [SIGKILL] = "SIGKILL",
        [SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
        [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
        [SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT",
        [SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN",
        [SIGTTOU] = "SIGTTOU", [SIGURG] = "SIGURG", [SIGXCPU] = "SIGXCPU",
        [SIGXFSZ] = "SIGXFSZ", [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",
        [SIGWINCH] = "SIGWINCH", [SIGIO] = "SIGIO", [SIGPWR] = "SIGPWR", [SIGSYS] = "SIGSYS",
    };
    if (sig > 0 && (size_t)sig < sizeof(names) / sizeof(names[0]) && names[sig])
        return names[sig];
    return "a real-time signal";
}

/* Whether `sig` does nothing at all when it arrives (SIGCONT's work is the host's). */
bool sig_ignored(const struct ukmon_vm *vm, int sig)
{
    if (sig == SIGKILL || sig == SIGSTOP)
        return false;
    uint64_t h = vm->sig.act[sig].handler;
    if (h == UKMON_SIG_IGN)
        return true;
    if (h != UKMON_SIG_DFL)
        return false;
    enum sig_default d = sig_default_action(sig);
    return d == SIG_DEF_IGN || d == SIG_DEF_CONT;
}

int sig_action(struct ukmon_vm *vm, int sig, const struct ukmon_sigaction *nw,
               struct ukmon_sigaction *old)
{
    if (sig < 1 || sig > UKMON_NSIG)
        return -EINVAL;
    if (nw && (sig == SIGKILL || sig == SIGSTOP))
        return -EINVAL;
    if (old)
        *old = vm->sig.act[sig];
    if (nw) {
        vm->sig.act[sig] = *nw;
        vm->sig.act[sig].mask &= ~SIG_UNBLOCKABLE;
        if (sig_ignored(vm, sig)) /* POSIX: a pending signal now ignored is dropped */
            gsig_discard(SIGBIT(sig));
    }
    return 0;
}

/*
 * The calling thread's mask. Signals of its process it now blocks may be another
 * thread's to take: that one is kicked (Linux's retarget on sigprocmask).
 */
void sig_set_mask(struct ukmon_vm *vm, uint64_t mask)
{
    struct sig_thread *t = &vcpu_cur(vm)->sig;
    uint64_t old = t->mask;
    __atomic_store_n(&t->mask, mask & ~SIG_UNBLOCKABLE, __ATOMIC_SEQ_CST);
    if (mask & ~old)
        gsig_retarget(mask & ~old);
}

int sig_procmask(struct ukmon_vm *vm, uint64_t how, uint64_t set, bool change, uint64_t *old)
{
    *old = vcpu_cur(vm)->sig.mask;
    if (!change)
        return 0;
    switch (how) {
    case UKMON_SIG_BLOCK: sig_set_mask(vm, vcpu_cur(vm)->sig.mask | set); break;
    case UKMON_SIG_UNBLOCK: sig_set_mask(vm, vcpu_cur(vm)->sig.mask & ~set); break;
    case UKMON_SIG_SETMASK: sig_set_mask(vm, set); break;
    default: return -EINVAL;
    }
    return 0;
}

bool sig_on_altstack(const struct ukmon_vm *vm, uint64_t rsp)
{
    return vcpu_cur(vm)->sig.ss_size && rsp > vcpu_cur(vm)->sig.ss_sp && rsp - vcpu_cur(vm)->sig.ss_sp <= vcpu_cur(vm)->sig.ss_size;
}

/*
 * sigaltstack(2) with the program's %rsp: a stack in use cannot be changed. Flags are
 * Linux's: SS_ONSTACK 1, SS_DISABLE 2, SS_AUTODISARM (1 << 31, accepted, not acted on).
 */
#define SS_AUTODISARM_FLAG (1U << 31)
#define MINSIGSTKSZ_LINUX 2048
int sig_altstack(struct ukmon_vm *vm, uint64_t rsp, const uint64_t *nsp, const uint64_t *nsize,
                 bool disable, uint64_t *osp, uint64_t *osize, int *oflags)
{
    bool on = sig_on_altstack(vm, rsp);
    if (osp) {
        *osp = vcpu_cur(vm)->sig.ss_sp;
        *osize = vcpu_cur(vm)->sig.ss_size;
        *oflags = on ? SS_ONSTACK : vcpu_cur(vm)->sig.ss_size ? 0 : SS_DISABLE;
    }
    if (!nsp)
        return 0;
    if (on)
        return -EPERM;
    if (disable) {
        vcpu_cur(vm)->sig.ss_sp = vcpu_cur(vm)->sig.ss_size = 0;
        return 0;
    }
    if (*nsize < MINSIGSTKSZ_LINUX)
        return -ENOMEM;
    if (*nsp + *nsize < *nsp)
        return -EINVAL;
    vcpu_cur(vm)->sig.ss_sp = *nsp;
    vcpu_cur(vm)->sig.ss_size = *nsize;
    return 0;
}

/*
 * Pending signals that are not blocked and would do something: ignored ones are
 * dropped here, as Linux drops them.
 */
uint64_t sig_ready(struct ukmon_vm *vm)
{
    uint64_t ready = gsig_pending() & ~vcpu_cur(vm)->sig.mask;
    for (int sig = 1; sig <= UKMON_NSIG && ready; sig++) {
        if ((ready & SIGBIT(sig)) && sig_ignored(vm, sig)) {
            gsig_discard(SIGBIT(sig));
            ready &= ~SIGBIT(sig);
        }
    }
    return ready;
}

/* Whether a blocking call must return EINTR now: a signal is there to act on. */
bool sig_interrupts(struct ukmon_vm *vm)
{
    return gsig_pending() && sig_ready(vm) != 0;
}

/* A signal the VM sends itself: SIGPIPE on a write to a closed pipe, raise(). */
void sig_raise_self(int sig, int code)
{
    struct sig_info si = {.signo = sig, .code = code, .pid = getpid(), .uid = getuid()};
    gsig_raise(&si);
}

/* SIGCHLD ignored, or SA_NOCLDWAIT: children are reaped at once, never waited for. */
bool sig_child_autoreap(const struct ukmon_vm *vm)
{
    const struct ukmon_sigaction *a = &vm->sig.act[SIGCHLD];
    return a->handler == UKMON_SIG_IGN || (a->flags & UKMON_SA_NOCLDWAIT);
}

/* An ABI-1 unikernel cannot see signals: a write to a closed pipe is EPIPE only. */
void sig_reset_for_abi1(struct ukmon_vm *vm)
{
    memset(&vm->sig, 0, sizeof(vm->sig));
    memset(&vcpu_cur(vm)->sig, 0, sizeof(vcpu_cur(vm)->sig));
    vm->sig.act[SIGPIPE].handler = UKMON_SIG_IGN;
}

/* The first program's dispositions: what its starter ignored stays ignored, as across execve
 * (`set` never holds SIGKILL or SIGSTOP: ukmon_vm_new() took them out). */
void sig_start_ignored(struct ukmon_vm *vm, uint64_t set)
{
    for (int s = 1; s <= UKMON_NSIG; s++)
        if (set & SIGBIT(s))
            vm->sig.act[s].handler = UKMON_SIG_IGN;
}

/* execve: handlers go back to default, ignored signals stay ignored, the mask stays. */
void sig_exec(struct ukmon_vm *vm)
{
    for (int s = 1; s <= UKMON_NSIG; s++) {
        bool ign = vm->sig.act[s].handler == UKMON_SIG_IGN;
        vm->sig.act[s] = (struct ukmon_sigaction){.handler = ign ? UKMON_SIG_IGN : 0};
    }
    vcpu_cur(vm)->sig.ss_sp = vcpu_cur(vm)->sig.ss_size = 0;
    vcpu_cur(vm)->sig.restore_mask = false;
    sig_timers_exec(vm);
}

/* A forked child: same dispositions and mask, nothing pending, no timers. */
void sig_fork_child(struct ukmon_vm *vm)
{
    gsig_reset();
    sig_timers_fork_child(vm);
}
