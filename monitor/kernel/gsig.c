/* gsig.c: guest signals between the monitors of a tree, carried by one host signal. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/proc.h"
#include "kernel/sig.h"
#include "kernel/thread.h"
#include "kvm/vmm.h"

/*
 * Host SIGCHLD, SIGUSR1 (parent death) and SIGINT/TERM/HUP mean something to the
 * monitor itself, so a guest signal never travels as its own host number: it rides
 * on one real-time signal whose value says the guest's signal and how it was sent.
 * Real-time signals queue, so none is lost on the way; the handler marks it pending
 * and kicks the vCPU out of KVM_RUN, and a blocked wait returns EINTR (the handler
 * has no SA_RESTART). Host timers (sig_timer.c) send the same signal.
 *
 * Pending guest signals are per process (kill, a child's end, a timer) or per
 * thread (tgkill, a fault), as on Linux. A process's signal is taken by whichever of
 * its threads does not block it: the one that raised it if it can, else one that is
 * kicked to look (gsig_notify). Like Linux's standard signals, each number is pending
 * once per set: a second kill before delivery is merged with the first (real-time
 * numbers too: see README). Handlers change the sets with atomics; the monitor reads
 * and takes them under the VM's lock.
 */
static volatile uint64_t pending_mask;   /* bit n-1: guest signal n is pending */
static struct sig_info pending_info[GSIG_MAX + 1];
/*
 * Each thread's own, by its vCPU's index. The masks apart from the infos: a fork's
 * reset writes every mask, and with them side by side it touches 1 KiB, not the 512
 * KiB of pages the infos span (each a copy-on-write page of the child).
 */
static volatile uint64_t thread_mask[VCPUS_MAX];
static struct sig_info thread_info[VCPUS_MAX][GSIG_MAX + 1];
/* The VM whose threads a signal goes to (one runs per process). */
static struct ukmon_vm *volatile gsig_vm;

/* The host signal's value: guest signal, how it was sent, and a timer's id. */
enum { ORIGIN_USER, ORIGIN_TKILL, ORIGIN_KERNEL, ORIGIN_TIMER };
#define VAL_SIG(v) ((int)((v) & 0xff))
#define VAL_ORIGIN(v) ((int)(((v) >> 8) & 0xff))
#define VAL_TIMER(v) ((int)(((v) >> 16) & 0xffff))
/* Sent to a group or to the whole tree (kill(0), kill(-pgid), kill(-1)), by VAL_PID. */
/* To the one thread the host signal was sent to (tgkill from another VM). */
#define VAL_THREAD (1ULL << 62)
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
    if (si->si_code != SI_QUEUE && !(si->si_code == SI_TIMER && origin == ORIGIN_TIMER))
        return; /* only our monitors and our timers send it */
    if (v == GSIG_VAL_KICK && si->si_pid == getpid()) {
        kvm_kick(); /* another thread of ours: look at what changed */
        return;
    }
    if (sig < 1 || sig > GSIG_MAX)
        return;
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
    if ((v & VAL_THREAD) && vcpu_tls)
        gsig_raise_thread(vcpu_tls, &in);
    else
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

/* Whether thread c would take signal `sig` now: it does not block it, or waits for it. */
static bool gsig_wanted_by(const struct vcpu *c, int sig)
{
    uint64_t bit = SIGBIT(sig);
    return c->state == VCPU_LIVE && !c->exited && !c->must_exit &&
           (!(__atomic_load_n(&c->sig.mask, __ATOMIC_RELAXED) & bit) ||
            (__atomic_load_n(&c->sig.waiting, __ATOMIC_RELAXED) & bit));
}

/*
 * A process signal is pending: the calling thread looks at it if it would take it,
 * else one thread that would is kicked; none: it waits, until a thread unblocks it.
 * From handlers too (async-signal-safe).
 */
static void gsig_notify(int sig)
{
    struct vcpu *self = vcpu_tls;
    struct ukmon_vm *vm = gsig_vm;
    if (!vm || !self || gsig_wanted_by(self, sig)) {
        kvm_kick();
        return;
    }
    for (unsigned i = 0; i < VCPUS_MAX; i++) {
        struct vcpu *c = __atomic_load_n(&vm->vcpus[i], __ATOMIC_ACQUIRE);
        if (c && c != self && gsig_wanted_by(c, sig)) {
            thread_kick(c);
            return;
        }
    }
    kvm_kick(); /* nobody now: the caller looks again all the same */
}

/* Kicks a thread for each of the process's signals in `mask` (one now blocked where it was not). */
void gsig_retarget(uint64_t mask)
{
    mask &= gsig_pending_process();
    while (mask) {
        int sig = __builtin_ctzll(mask) + 1;
        mask &= mask - 1;
        gsig_notify(sig);
    }
}

void gsig_set_vm(struct ukmon_vm *vm)
{
    gsig_vm = vm;
}

/*
 * Marks a signal pending for this VM's process (from a handler or from the monitor's
 * own code). The details go first: whoever sees the bit sees them.
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
    gsig_notify(sig);
}

/* Marks a signal pending for thread c alone (tgkill, a fault), and kicks it. */
void gsig_raise_thread(struct vcpu *c, const struct sig_info *si)
{
    int sig = si->signo;
    if (sig < 1 || sig > GSIG_MAX || c->index >= VCPUS_MAX)
        return;
    volatile uint64_t *m = &thread_mask[c->index];
    if (__atomic_load_n(m, __ATOMIC_ACQUIRE) & SIGBIT(sig))
        return;
    thread_info[c->index][sig] = *si;
    __atomic_fetch_or(m, SIGBIT(sig), __ATOMIC_SEQ_CST);
    if (c == vcpu_tls)
        kvm_kick();
    else
        thread_kick(c);
}

/* A thread's own pending signals go (its end, its start). */
void gsig_thread_reset(unsigned index)
{
    if (index < VCPUS_MAX)
        __atomic_store_n(&thread_mask[index], 0, __ATOMIC_SEQ_CST);
}

/* execve from another thread: its pending signals go with it to the leader's vCPU. */
void gsig_thread_move(unsigned from, unsigned to)
{
    if (from >= VCPUS_MAX || to >= VCPUS_MAX || from == to)
        return;
    memcpy(thread_info[to], thread_info[from], sizeof(thread_info[to]));
    __atomic_store_n(&thread_mask[to],
                     __atomic_exchange_n(&thread_mask[from], 0, __ATOMIC_SEQ_CST),
                     __ATOMIC_SEQ_CST);
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

/* The calling thread's pending signals: its own and its process's. */
/*
 * tgkill: guest signal `sig` (0: only checks) to thread `tid` of VM `pid` of this
 * tree. Our own threads get it at once; another VM's, through the host signal sent
 * to that very thread of its monitor (the guest's tid is the host's).
 */
int gsig_send_thread(struct ukmon_vm *vm, pid_t pid, pid_t tid, int sig)
{
    if (sig < 0 || sig > GSIG_MAX)
        return -EINVAL;
    if (pid == getpid()) {
        struct vcpu *c = thread_find(vm, tid);
        if (!c)
            return -ESRCH;
        if (sig) {
            struct sig_info in = {.signo = sig, .code = SI_TKILL, .pid = pid, .uid = getuid()};
            gsig_raise_thread(c, &in);
        }
        return 0;
    }
    if (!proc_tree_has(vm, pid))
        return -ESRCH;
    if (sig == 0)
        return syscall(SYS_tgkill, pid, tid, 0) < 0 ? -errno : 0;
    if ((sig == SIGCONT || sig == SIGKILL) && kill(pid, SIGCONT) < 0)
        return -errno;
    return gsig_queue_thread(pid, tid, (uint64_t)sig | (uint64_t)ORIGIN_TKILL << 8 | VAL_THREAD);
}

/*
 * The host signal with `value`, queued to thread `tid` of monitor `pid` (a guest
 * thread's vCPU thread): 0 or -errno. Async-signal-safe (thread.c kicks with it).
 */
int gsig_queue_thread(pid_t pid, pid_t tid, uint64_t value)
{
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    si.si_signo = gsig_host_signal();
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_ptr = (void *)(uintptr_t)value;
    return syscall(SYS_rt_tgsigqueueinfo, pid, tid, si.si_signo, &si) < 0 ? -errno : 0;
}

uint64_t gsig_pending(void)
{
    struct vcpu *c = vcpu_tls;
    uint64_t own = c && c->index < VCPUS_MAX ?
                   __atomic_load_n(&thread_mask[c->index], __ATOMIC_SEQ_CST) : 0;
    return own | __atomic_load_n(&pending_mask, __ATOMIC_SEQ_CST);
}

uint64_t gsig_pending_process(void)
{
    return __atomic_load_n(&pending_mask, __ATOMIC_SEQ_CST);
}

/* Takes `sig` off the calling thread's pending set, or else its process's; false if neither. */
bool gsig_take(int sig, struct sig_info *out)
{
    struct vcpu *c = vcpu_tls;
    if (c && c->index < VCPUS_MAX) {
        volatile uint64_t *m = &thread_mask[c->index];
        if (__atomic_load_n(m, __ATOMIC_SEQ_CST) & SIGBIT(sig)) {
            *out = thread_info[c->index][sig];
            __atomic_fetch_and(m, ~SIGBIT(sig), __ATOMIC_SEQ_CST);
            return true;
        }
    }
    if (!(__atomic_load_n(&pending_mask, __ATOMIC_SEQ_CST) & SIGBIT(sig)))
        return false;
    *out = pending_info[sig];
    __atomic_fetch_and(&pending_mask, ~SIGBIT(sig), __ATOMIC_SEQ_CST);
    return true;
}

/* Drops pending signals, the process's and every thread's (one set to be ignored, stop vs continue). */
void gsig_discard(uint64_t mask)
{
    __atomic_fetch_and(&pending_mask, ~mask, __ATOMIC_SEQ_CST);
    for (unsigned i = 0; i < VCPUS_MAX; i++)
        __atomic_fetch_and(&thread_mask[i], ~mask, __ATOMIC_SEQ_CST);
}

/* A forked monitor starts with nothing pending, as a forked process does. */
void gsig_reset(void)
{
    __atomic_store_n(&pending_mask, 0, __ATOMIC_SEQ_CST);
    for (unsigned i = 0; i < VCPUS_MAX; i++)
        __atomic_store_n(&thread_mask[i], 0, __ATOMIC_SEQ_CST);
}
