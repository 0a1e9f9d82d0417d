/* gsig.c: guest signals between the monitors of a tree, carried by one host signal. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "kernel/proc.h"
#include "kernel/sig.h"
#include "kvm/vmm.h"

/*
 * Host SIGCHLD, SIGUSR1 (parent death) and SIGINT/TERM/HUP mean something to the
 * monitor itself, so a guest signal never travels as its own host number: it rides
 * on one real-time signal whose value says the guest's signal and how it was sent.
 * Real-time signals queue, so none is lost on the way; the handler marks it pending
 * and kicks the vCPU out of KVM_RUN, and a blocked wait returns EINTR (the handler
 * has no SA_RESTART). Host timers (sig_timer.c) send the same signal.
 *
 * Pending guest signals are per process, as the monitor runs one VM per process.
 * Like Linux's standard signals, each number is pending once: a second kill before
 * delivery is merged with the first (real-time numbers too: see README).
 */
static volatile uint64_t pending_mask;   /* bit n-1: guest signal n is pending */
static struct sig_info pending_info[GSIG_MAX + 1];

/* The host signal's value: guest signal, how it was sent, and a timer's id. */
enum { ORIGIN_USER, ORIGIN_TKILL, ORIGIN_KERNEL, ORIGIN_TIMER };
#define VAL_SIG(v) ((int)((v) & 0xff))
#define VAL_ORIGIN(v) ((int)(((v) >> 8) & 0xff))
#define VAL_TIMER(v) ((int)(((v) >> 16) & 0xffff))
/* Sent to a group or to the whole tree (kill(0), kill(-pgid), kill(-1)), by VAL_PID. */
#define VAL_GROUP (1ULL << 63)
#define VAL_PID(v) ((pid_t)(((v) >> 32) & 0x7fffffff))

/* The child of the fork under way, while the parent takes what arrived during it. */
static volatile pid_t forking_child;

int gsig_host_signal(void)
{
    return SIGRTMIN + 4; /* glibc keeps the first real-time signals for itself */
}

static int origin_code(int origin)
{
    switch (origin) {
    case ORIGIN_TKILL: return SI_TKILL;
    case ORIGIN_KERNEL: return SI_KERNEL;
    case ORIGIN_TIMER: return SI_TIMER;
    default: return SI_USER;
    }
}

static void on_guest_signal(int s, siginfo_t *si, void *uc)
{
    (void)s;
    (void)uc;
    uint64_t v = (uint64_t)(uintptr_t)si->si_value.sival_ptr;
    int sig = VAL_SIG(v), origin = VAL_ORIGIN(v);
    if (sig < 1 || sig > GSIG_MAX)
        return;
    if (si->si_code != SI_QUEUE && !(si->si_code == SI_TIMER && origin == ORIGIN_TIMER))
        return; /* only our monitors and our timers send it */
    struct sig_info in = {.signo = sig, .code = origin_code(origin)};
    if (origin == ORIGIN_TIMER && VAL_TIMER(v) == SIG_ITIMER_ID) {
        in.code = SI_KERNEL; /* alarm() and setitimer() send it so on Linux */
    } else if (origin == ORIGIN_TIMER) {
        in.timer = VAL_TIMER(v);
        in.overrun = si->si_overrun;
    } else {
        in.pid = (v & VAL_GROUP) ? VAL_PID(v) : si->si_pid;
        in.uid = si->si_uid;
    }
    /* A group's signal that came while we forked is the new child's too, as on Linux. */
    if ((v & VAL_GROUP) && forking_child > 0)
        sigqueue(forking_child, gsig_host_signal(), si->si_value);
    gsig_raise(&in);
    kvm_kick();
}

/*
 * The parent's side of fork, its host signals still blocked since before fork(2) and
 * the child already in the tree's table: they are unblocked here, and a group signal
 * among them reaches the child too. One sent after this finds the child in the table.
 */
void gsig_fork_unblock(pid_t child, const sigset_t *old)
{
    forking_child = child;
    sigprocmask(SIG_SETMASK, old, NULL); /* what was pending is handled before it returns */
    forking_child = 0;
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

/*
 * Marks a signal pending for this VM (from a handler or from the monitor's own
 * code). The details go first: whoever sees the bit sees them.
 */
void gsig_raise(const struct sig_info *si)
{
    int sig = si->signo;
    if (sig < 1 || sig > GSIG_MAX)
        return;
    if (__atomic_load_n(&pending_mask, __ATOMIC_ACQUIRE) & SIGBIT(sig))
        return; /* pending already: a standard signal is not queued twice */
    pending_info[sig] = *si;
    __atomic_fetch_or(&pending_mask, SIGBIT(sig), __ATOMIC_SEQ_CST);
    kvm_kick();
}

/* The value a host timer sends: guest signal `sig` from timer `id`. */
uint64_t gsig_timer_value(int sig, int id)
{
    return (uint64_t)sig | ((uint64_t)ORIGIN_TIMER << 8) | ((uint64_t)id << 16);
}

/*
 * Sends guest signal `sig` (0: only checks) to VM `pid` of this tree, si_code `code`
 * (SI_USER, SI_TKILL or SI_KERNEL); `group`: one of a kill(0), kill(-pgid) or kill(-1),
 * which a child forked meanwhile gets too. A stopped VM is continued by SIGCONT (and
 * SIGKILL) before the guest signal reaches it, since a stopped monitor takes none.
 */
int gsig_send(struct ukmon_vm *vm, pid_t pid, int sig, int code, bool group)
{
    if (sig < 0 || sig > GSIG_MAX)
        return -EINVAL;
    if (!proc_tree_has(vm, pid))
        return -ESRCH;
    if (sig == 0)
        return kill(pid, 0) < 0 ? -errno : 0;
    if (pid == getpid()) {
        struct sig_info in = {.signo = sig, .code = code, .pid = pid, .uid = getuid()};
        gsig_raise(&in);
        return 0;
    }
    if ((sig == SIGCONT || sig == SIGKILL) && kill(pid, SIGCONT) < 0)
        return -errno;
    int origin = code == SI_TKILL ? ORIGIN_TKILL : code == SI_KERNEL ? ORIGIN_KERNEL
                                                                      : ORIGIN_USER;
    uint64_t val = (uint64_t)sig | (uint64_t)origin << 8;
    if (group)
        val |= VAL_GROUP | (uint64_t)getpid() << 32;
    union sigval v = {.sival_ptr = (void *)(uintptr_t)val};
    return sigqueue(pid, gsig_host_signal(), v) < 0 ? -errno : 0;
}

uint64_t gsig_pending(void)
{
    return __atomic_load_n(&pending_mask, __ATOMIC_SEQ_CST);
}

/* Takes `sig` off the pending set; false if it was not pending. */
bool gsig_take(int sig, struct sig_info *out)
{
    if (!(gsig_pending() & SIGBIT(sig)))
        return false;
    *out = pending_info[sig];
    __atomic_fetch_and(&pending_mask, ~SIGBIT(sig), __ATOMIC_SEQ_CST);
    return true;
}

/* Drops pending signals (one set to be ignored, stop vs continue). */
void gsig_discard(uint64_t mask)
{
    __atomic_fetch_and(&pending_mask, ~mask, __ATOMIC_SEQ_CST);
}

/* A forked monitor starts with nothing pending, as a forked process does. */
void gsig_reset(void)
{
    __atomic_store_n(&pending_mask, 0, __ATOMIC_SEQ_CST);
}
