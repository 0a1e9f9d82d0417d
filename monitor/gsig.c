/* gsig.c: guest signals between the monitors of a tree, carried by one host signal. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "monitor.h"
#include "proc.h"

/*
 * Host SIGCHLD, SIGUSR1 (parent death) and SIGINT/TERM/HUP mean something to the
 * monitor itself, so a guest signal never travels as its own host number: it rides
 * on one real-time signal whose value is the guest's signal number. Real-time signals
 * queue, so none is lost; the handler marks it pending and kicks the vCPU out of
 * KVM_RUN, and a blocked wait returns EINTR (the handler has no SA_RESTART).
 */
static volatile uint64_t gsig_pending_mask;   /* bit n-1: guest signal n is pending */
static volatile pid_t gsig_senders[GSIG_MAX + 1];

int gsig_host_signal(void)
{
    return SIGRTMIN + 4; /* glibc keeps the first real-time signals for itself */
}

static void on_guest_signal(int s, siginfo_t *si, void *uc)
{
    (void)s;
    (void)uc;
    int sig = si->si_value.sival_int;
    if (si->si_code != SI_QUEUE || sig < 1 || sig > GSIG_MAX)
        return;
    gsig_senders[sig] = si->si_pid;
    __atomic_fetch_or(&gsig_pending_mask, 1ULL << (sig - 1), __ATOMIC_SEQ_CST);
    kvm_kick();
}

int gsig_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_guest_signal;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    return sigaction(gsig_host_signal(), &sa, NULL) < 0 ? -errno : 0;
}

/* Marks `sig` pending for this VM, from itself (SIGPIPE, a fault, kill of itself). */
void gsig_raise(int sig, pid_t from)
{
    if (sig < 1 || sig > GSIG_MAX)
        return;
    gsig_senders[sig] = from;
    __atomic_fetch_or(&gsig_pending_mask, 1ULL << (sig - 1), __ATOMIC_SEQ_CST);
}

/* Sends guest signal `sig` (0: only checks) to VM `pid` of this tree. */
int gsig_send(struct ukmon_vm *vm, pid_t pid, int sig)
{
    if (sig < 0 || sig > GSIG_MAX)
        return -EINVAL;
    if (!proc_tree_has(vm, pid))
        return -ESRCH;
    if (sig == 0)
        return kill(pid, 0) < 0 ? -errno : 0;
    if (pid == getpid()) {
        gsig_raise(sig, pid);
        return 0;
    }
    union sigval v = {.sival_int = sig};
    return sigqueue(pid, gsig_host_signal(), v) < 0 ? -errno : 0;
}

uint64_t gsig_pending(void)
{
    return __atomic_load_n(&gsig_pending_mask, __ATOMIC_SEQ_CST);
}

/* Takes `sig` off the pending set; returns who sent it. */
pid_t gsig_take(int sig)
{
    __atomic_fetch_and(&gsig_pending_mask, ~(1ULL << (sig - 1)), __ATOMIC_SEQ_CST);
    return gsig_senders[sig];
}

/* A forked monitor starts with nothing pending, as a forked process does. */
void gsig_reset(void)
{
    __atomic_store_n(&gsig_pending_mask, 0, __ATOMIC_SEQ_CST);
}
