/* signal.c: POSIX signals for ukmon unikernels, on the monitor's signal hypercalls. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "hypercall.h"

/*
 * Where a handler returns to: the frame the monitor pushed is just above %rsp, and
 * SIGRETURN finds it there. The call's argument struct goes below, in what was the
 * frame's return-address slot and beyond: nothing of the frame is overwritten.
 */
#define SIGRETURN_PORT "0x51c"
_Static_assert(UKMON_HC_PORT_BASE + UKMON_HC_SIGRETURN == 0x51c, "SIGRETURN's port");
void __ukmon_restore_rt(void);
__asm__(".text\n"
        ".globl __ukmon_restore_rt\n"
        ".type __ukmon_restore_rt, @function\n"
        "__ukmon_restore_rt:\n"
        "    lea -16(%rsp), %rax\n"
        "    mov $" SIGRETURN_PORT ", %edx\n"
        "    out %eax, (%dx)\n"
        "    ud2\n"
        ".size __ukmon_restore_rt, . - __ukmon_restore_rt\n");

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    struct ukmon_sigaction k, ok;
    if (act) {
        k.handler = (uint64_t)(uintptr_t)act->sa_handler;
        k.flags = (uint64_t)(uint32_t)act->sa_flags | UKMON_SA_RESTORER;
        k.restorer = (uint64_t)(uintptr_t)__ukmon_restore_rt;
        k.mask = act->sa_mask;
    }
    struct ukmon_hc_sigaction a = {.sig = sig, .act = act ? (uintptr_t)&k : 0,
                                   .oldact = old ? (uintptr_t)&ok : 0};
    hypercall(UKMON_HC_SIGACTION, &a);
    if (a.ret == 0 && old) {
        memset(old, 0, sizeof(*old));
        old->sa_handler = (void (*)(int))(uintptr_t)ok.handler;
        old->sa_flags = (int)(ok.flags & ~UKMON_SA_RESTORER);
        old->sa_mask = ok.mask;
    }
    return (int)__syscall_ret(a.ret);
}

/* BSD semantics, as glibc's signal(): the handler stays, interrupted calls restart. */
sighandler_t signal(int sig, sighandler_t handler)
{
    struct sigaction sa = {.sa_handler = handler, .sa_mask = 0, .sa_flags = SA_RESTART}, old;
    if (sigaction(sig, &sa, &old) < 0)
        return SIG_ERR;
    return old.sa_handler;
}

int kill(pid_t pid, int sig)
{
    struct ukmon_hc_kill a = {.pid = pid, .sig = sig};
    hypercall(UKMON_HC_KILL, &a);
    return (int)__syscall_ret(a.ret);
}

int raise(int sig)
{
    return kill(getpid(), sig);
}

static int procmask(int how, const sigset_t *set, sigset_t *old, sigset_t *pending)
{
    struct ukmon_hc_sigprocmask a = {.how = (uint64_t)how, .set = set ? *set : 0,
                                     .change = set != 0};
    hypercall(UKMON_HC_SIGPROCMASK, &a);
    if (a.ret == 0 && old)
        *old = a.old;
    if (a.ret == 0 && pending)
        *pending = a.pending;
    return (int)__syscall_ret(a.ret);
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    return procmask(how, set, old, 0);
}

int sigpending(sigset_t *set)
{
    return procmask(SIG_BLOCK, 0, 0, set);
}

int sigsuspend(const sigset_t *mask)
{
    struct ukmon_hc_sigsuspend a = {.mask = *mask};
    hypercall(UKMON_HC_SIGSUSPEND, &a);
    return (int)__syscall_ret(a.ret);
}

int pause(void)
{
    sigset_t cur = 0;
    sigprocmask(SIG_BLOCK, 0, &cur);
    return sigsuspend(&cur);
}

unsigned alarm(unsigned seconds)
{
    struct ukmon_hc_alarm a = {.seconds = seconds};
    hypercall(UKMON_HC_ALARM, &a);
    return a.ret < 0 ? 0 : (unsigned)a.ret;
}

static int sig_ok(int sig)
{
    if (sig < 1 || sig >= NSIG) {
        errno = EINVAL;
        return 0;
    }
    return 1;
}

int sigemptyset(sigset_t *set)
{
    *set = 0;
    return 0;
}

int sigfillset(sigset_t *set)
{
    *set = ~(sigset_t)0;
    return 0;
}

int sigaddset(sigset_t *set, int sig)
{
    if (!sig_ok(sig))
        return -1;
    *set |= (sigset_t)1 << (sig - 1);
    return 0;
}

int sigdelset(sigset_t *set, int sig)
{
    if (!sig_ok(sig))
        return -1;
    *set &= ~((sigset_t)1 << (sig - 1));
    return 0;
}

int sigismember(const sigset_t *set, int sig)
{
    if (!sig_ok(sig))
        return -1;
    return (*set >> (sig - 1)) & 1;
}
