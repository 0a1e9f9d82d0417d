/* proc.c: fork, wait and the tree of monitor processes, one VM each, for every personality. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/host.h"
#include "kernel/fs.h"
#include "kernel/io.h"
#include "kernel/proc.h"
#include "kernel/sig.h"
#include "kernel/stats.h"
#include "kernel/thread.h"
#include "kvm/vmm.h"
#include "personality.h"
#include "profile.h"

/* Signal handlers have no argument: the one tree this process belongs to. */
static struct proc_tree *sig_tree;
static volatile sig_atomic_t sigchld_pending;
/* The first child event of those SIGCHLD merged, for the guest's SIGCHLD. */
static volatile pid_t sigchld_pid;
static volatile int sigchld_code, sigchld_status;
static struct sigaction saved_sigchld; /* the embedder's, restored by proc_free() */

#define PDEATH_SIGNAL SIGUSR1

static void on_sigchld(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    if (!sigchld_pending) {
        sigchld_pid = si->si_pid;
        sigchld_code = si->si_code;
        sigchld_status = si->si_status;
    }
    sigchld_pending = 1;
    kvm_kick(); /* a KVM_RUN about to start returns at once */
    /*
     * The host picks any of our threads to run this; the one the child matters to
     * (in wait4, or parked with no vCPU) may be another.
     */
    thread_kick_others_async();
}

/* Stops and continues too: a guest may wait for them (WUNTRACED, WCONTINUED). */
static int install_sigchld(struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_sigchld;
    /* No SA_RESTART: a blocked wait or read returns, and orphans get reaped there. */
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGCHLD, &sa, old) < 0 ? -errno : 0;
}

/*
 * Our parent monitor died. If it died normally we were re-parented to the root (the
 * tree's subreaper) and run on as an orphan, as POSIX processes do. If the root is
 * gone, or is tearing the tree down, we go too: no VM outlives its tree. The parent's
 * pid may still show for a moment: its io_uring worker threads outlive its main
 * thread, and we get this signal again when the last of them is gone.
 */
static pid_t sig_parent;

volatile int32_t *proc_ppid_mirror;

static void on_parent_death(int sig)
{
    (void)sig;
    pid_t pp = getppid();
    if (sig_tree->terminating || (pp != sig_tree->root_pid && pp != sig_parent))
        kill(getpid(), SIGKILL);
    if (proc_ppid_mirror)
        *proc_ppid_mirror = (int32_t)pp;
}

/*
 * The tree table, made before the first program runs: the objects its VMs hold are
 * counted from their first call (proc_acct.c), fork or not. Shared on purpose: every
 * monitor of the tree sees the same slots and counts.
 */
int proc_tree_init(struct ukmon_vm *vm, unsigned vm_limit)
{
    if (vm->tree)
        return 0;
    unsigned max = vm->cfg.max_procs;
    size_t off = (sizeof(struct proc_tree) + max * (sizeof(pid_t) + sizeof(uint32_t)) + 63) &
                 ~(size_t)63;
    size_t size = off + proc_acct_size(max);
    /* NORESERVE: the object table is large for 4096 VMs, and touched only as used. */
    struct proc_tree *t = mmap(NULL, size, PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (t == MAP_FAILED)
        return vm_fail(vm, -errno, "mapping the tree table: %s", strerror(errno));
    t->root_pid = getpid();
    t->max_procs = max;
    /* Fewer VMs than max_procs where --tree-mem is held by counting -m (api.c). */
    t->vm_limit = vm_limit < max ? vm_limit : max;
    t->slots[0] = t->root_pid;
    proc_acct_init(t, off);
    vm->tree = t;
    vm->tree_size = size;
    vm->fdt.tree = t;
    vm->fdt.slot = 0;
    sig_tree = t;
    int r = pinfo_create(vm, max); /* what each VM shows the others (/proc) */
    if (r < 0)
        return vm_fail(vm, r, "mapping the tree's process table: %s", strerror(-r));
    /* System V segments: every VM of the tree reaches them (shm.c). */
    if ((r = shm_setup(vm)) < 0)
        return vm_fail(vm, r, "making the tree's System V shared memory: %s", strerror(-r));
    return 0;
}

/*
 * How a forked VM ended, said by its monitor (proc_finish) before that monitor exits:
 * the kernel tears a VM down in the exiting process (~0.4 ms here, more with more
 * memory touched), and a parent's wait need not wait for that. One word per slot,
 * after the slots: EXIT_PUBLISHED and the wait status; EXIT_REPORTED once the
 * parent has raised the guest's SIGCHLD for it; EXIT_REAPED once the parent's guest
 * has reaped it. The slot stays taken until the host has reaped the monitor too, so
 * that the tree still sees (and can kill) a monitor that is ending.
 */
#define EXIT_PUBLISHED 0x10000u
#define EXIT_REPORTED 0x20000u
#define EXIT_REAPED 0x40000u

static uint32_t *tree_exits(const struct proc_tree *t)
{
    return (uint32_t *)(uintptr_t)&t->slots[t->max_procs];
}

static uint32_t *tree_exit_word(const struct proc_tree *t, pid_t pid)
{
    for (unsigned i = 0; t && pid > 0 && i < t->max_procs; i++)
        if (__atomic_load_n(&t->slots[i], __ATOMIC_ACQUIRE) == pid)
            return &tree_exits(t)[i];
    return NULL;
}

/* At the first fork: the root reaps the tree's orphans and hears of its children. */
static int tree_become_reaper(struct ukmon_vm *vm)
{
    if (vm->tree_reaper)
        return 0;
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        return -errno;
    int r = install_sigchld(&saved_sigchld);
    if (r == 0)
        vm->tree_reaper = true;
    return r;
}

/*
 * A slot is reserved as -(reserver's pid) until the new child writes its own pid
 * there (the parent does too): if the reserver dies mid-fork, whoever reaps it also
 * frees the reservation, and a child whose parent died is still in the table.
 */
static int tree_reserve(struct proc_tree *t)
{
    for (unsigned i = 0; i < t->vm_limit; i++) {
        pid_t expect = 0;
        if (__atomic_compare_exchange_n(&t->slots[i], &expect, -getpid(), false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            return (int)i;
    }
    return -1;
}

/* What the slot's VM held is let go before the slot can be taken again. */
static void tree_release(struct proc_tree *t, pid_t pid)
{
    for (unsigned i = 0; i < t->max_procs; i++) {
        pid_t v = __atomic_load_n(&t->slots[i], __ATOMIC_ACQUIRE);
        if (v == pid || v == -pid) {
            proc_acct_slot_clear(t, i);
            __atomic_store_n(&tree_exits(t)[i], 0, __ATOMIC_RELEASE);
            __atomic_compare_exchange_n(&t->slots[i], &v, 0, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED);
        }
    }
}

/* A slot reserved for a fork that did not happen. */
static void tree_unreserve(struct proc_tree *t, int slot)
{
    proc_acct_slot_clear(t, (unsigned)slot);
    __atomic_store_n(&tree_exits(t)[slot], 0, __ATOMIC_RELEASE);
    __atomic_store_n(&t->slots[slot], 0, __ATOMIC_RELEASE);
}

/* Whether any VM other than this process (or a reservation) is in the table. */
static bool tree_has_others(const struct proc_tree *t)
{
    pid_t self = getpid();
    for (unsigned i = 0; i < t->max_procs; i++) {
        pid_t v = __atomic_load_n(&t->slots[i], __ATOMIC_ACQUIRE);
        if (v != 0 && v != self)
            return true;
    }
    return false;
}

/*
 * Reaps `pid` if it has ended: the slot is freed before the zombie goes, so the pid
 * cannot be reused while the table still names it (the root kills by that table).
 * With WSTOPPED or WCONTINUED in flags, a stop or continue is reported (and taken)
 * too, with a wait status saying so; *ended tells which it was.
 */
static pid_t reap_id(struct proc_tree *t, idtype_t type, id_t id, int flags, int *status,
                     bool *ended)
{
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    if (waitid(type, id, &si, WEXITED | WNOWAIT | flags) < 0)
        return -1;
    if (si.si_pid == 0)
        return 0; /* WNOHANG: nothing has ended */
    if (si.si_code == CLD_STOPPED || si.si_code == CLD_CONTINUED || si.si_code == CLD_TRAPPED) {
        siginfo_t taken;
        memset(&taken, 0, sizeof(taken));
        if (waitid(P_PID, (id_t)si.si_pid, &taken, (flags & (WSTOPPED | WCONTINUED)) | WNOHANG) < 0)
            return -1;
        *status = si.si_code == CLD_CONTINUED ? 0xffff : ((si.si_status & 0xff) << 8) | 0x7f;
        *ended = false;
        return si.si_pid;
    }
    *ended = true;
    if (t)
        tree_release(t, si.si_pid);
    return waitpid(si.si_pid, status, 0);
}

static pid_t reap_one(struct proc_tree *t, pid_t pid, int flags, int *status)
{
    bool ended;
    return reap_id(t, pid > 0 ? P_PID : P_ALL, pid > 0 ? (id_t)pid : 0, flags & WNOHANG,
                   status, &ended);
}

static bool children_remove(struct ukmon_vm *vm, pid_t pid)
{
    for (unsigned i = 0; i < vm->nchildren; i++) {
        if (vm->children[i] == pid) {
            vm->children[i] = vm->children[--vm->nchildren];
            return true;
        }
    }
    return false;
}

static bool children_has(const struct ukmon_vm *vm, pid_t pid)
{
    for (unsigned i = 0; i < vm->nchildren; i++)
        if (vm->children[i] == pid)
            return true;
    return false;
}

static bool dying_has(const struct ukmon_vm *vm, pid_t pid)
{
    for (unsigned i = 0; i < vm->ndying; i++)
        if (vm->dying[i] == pid)
            return true;
    return false;
}

static bool dying_add(struct ukmon_vm *vm, pid_t pid)
{
    if (vm->ndying == vm->dying_cap) {
        unsigned cap = vm->dying_cap ? vm->dying_cap * 2 : 16;
        pid_t *d = realloc(vm->dying, cap * sizeof(pid_t));
        if (!d)
            return false;
        vm->dying = d;
        vm->dying_cap = cap;
    }
    vm->dying[vm->ndying++] = pid;
    return true;
}

/* The monitors of children whose guests were reaped: the host reaps them now (or waits). */
static void dying_reap(struct ukmon_vm *vm, bool block)
{
    for (unsigned i = 0; i < vm->ndying;) {
        int st;
        pid_t r = reap_one(vm->tree, vm->dying[i], block ? 0 : WNOHANG, &st);
        if (r > 0 || (r < 0 && errno == ECHILD))
            vm->dying[i] = vm->dying[--vm->ndying];
        else
            i++;
    }
}

/* Root only: reap orphans that ended; our own children wait for the guest's waitpid. */
static void reap_orphans(struct ukmon_vm *vm)
{
    struct proc_tree *t = vm->tree;
    pid_t self = getpid();
    for (unsigned i = 0; t && i < t->max_procs; i++) {
        pid_t p = __atomic_load_n(&t->slots[i], __ATOMIC_ACQUIRE);
        if (p <= 0 || p == self || children_has(vm, p) || dying_has(vm, p))
            continue;
        int st;
        reap_one(t, p, WNOHANG, &st);
    }
}

/* A child VM ended, stopped or went on: the guest's SIGCHLD, if it wants that one. */
static void child_event(struct ukmon_vm *vm, pid_t pid, int code, int status)
{
    if (!children_has(vm, pid))
        return; /* an orphan the root adopted: the guest never had it as a child */
    bool stop = code == CLD_STOPPED || code == CLD_CONTINUED || code == CLD_TRAPPED;
    if (stop && (vm->sig.act[SIGCHLD].flags & UKMON_SA_NOCLDSTOP))
        return;
    /* An end the child said itself was reported then: its monitor's exit is not news. */
    uint32_t *w = stop ? NULL : tree_exit_word(vm->tree, pid);
    if (w && (__atomic_fetch_or(w, EXIT_REPORTED, __ATOMIC_ACQ_REL) & EXIT_REPORTED))
        return;
    struct sig_info si = {.signo = SIGCHLD, .code = code, .pid = pid, .uid = getuid(),
                          .status = status};
    gsig_raise(&si);
}

/* The guest's SIGCHLD for an end a child said (word: its exit word's value), once. */
static void child_report(pid_t pid, uint32_t *w)
{
    uint32_t v = __atomic_fetch_or(w, EXIT_REPORTED, __ATOMIC_ACQ_REL);
    if (v & EXIT_REPORTED)
        return;
    int ws = (int)(v & 0xffff);
    struct sig_info si = {.signo = SIGCHLD, .code = WIFEXITED(ws) ? CLD_EXITED : CLD_KILLED,
                          .pid = pid, .uid = getuid(),
                          .status = WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws)};
    gsig_raise(&si);
}

/* Children that said they ended since the last look: their SIGCHLD. */
static void children_report(struct ukmon_vm *vm)
{
    for (unsigned i = 0; i < vm->nchildren; i++) {
        uint32_t *w = tree_exit_word(vm->tree, vm->children[i]);
        if (w && (__atomic_load_n(w, __ATOMIC_ACQUIRE) & (EXIT_PUBLISHED | EXIT_REPORTED)) ==
                     EXIT_PUBLISHED)
            child_report(vm->children[i], w);
    }
}

/*
 * A child that said how it ended is reaped for its guest now (its status from the
 * tree); its monitor, still tearing its VM down, is reaped by the host later
 * (dying_reap). 0: it has not said so (yet).
 */
static pid_t reap_said(struct ukmon_vm *vm, pid_t pid, int *status, bool *ended)
{
    uint32_t *w = tree_exit_word(vm->tree, pid);
    uint32_t v = w ? __atomic_load_n(w, __ATOMIC_ACQUIRE) : 0;
    if (!(v & EXIT_PUBLISHED) || (v & EXIT_REAPED) || !dying_add(vm, pid))
        return 0; /* nowhere to remember it: the host's wait, as before */
    child_report(pid, w); /* it ended before the wait saw it, as on Linux */
    __atomic_fetch_or(w, EXIT_REAPED, __ATOMIC_ACQ_REL);
    *status = (int)(v & 0xffff);
    *ended = true;
    PROF_MARK_ARG("wait: child's end read from the tree", pid);
    return pid;
}

/* SIGCHLD ignored or SA_NOCLDWAIT: children that ended go at once, slots freed. */
static void reap_children(struct ukmon_vm *vm)
{
    for (unsigned i = 0; i < vm->nchildren;) {
        int st;
        bool ended;
        if (reap_said(vm, vm->children[i], &st, &ended) > 0 ||
            reap_one(vm->tree, vm->children[i], WNOHANG, &st) > 0)
            vm->children[i] = vm->children[--vm->nchildren];
        else
            i++;
    }
}

void proc_on_interrupt(struct ukmon_vm *vm)
{
    pinfo_apply(vm); /* another VM's setpriority, sched_setaffinity */
    sig_forward_pending(vm);
    if (!sigchld_pending)
        return;
    pid_t pid = sigchld_pid;
    int code = sigchld_code, status = sigchld_status;
    sigchld_pending = 0;
    if (code != SI_USER) /* SI_USER: a child's word that it ended, read from the tree */
        child_event(vm, pid, code, status);
    children_report(vm);
    if (vm->ndying)
        dying_reap(vm, false);
    if (vm->is_root)
        reap_orphans(vm);
    if (sig_child_autoreap(vm))
        reap_children(vm);
}

static int state_save(struct ukmon_vm *vm, struct vcpu_state *s)
{
    if (ioctl(vcpu_cur(vm)->fd, KVM_GET_REGS, &s->regs) < 0 ||
        ioctl(vcpu_cur(vm)->fd, KVM_GET_SREGS, &s->sregs) < 0)
        return -errno;
    if (vm->has_xsave)
        return ioctl(vcpu_cur(vm)->fd, KVM_GET_XSAVE, &s->xsave) < 0 ? -errno : 0;
    return ioctl(vcpu_cur(vm)->fd, KVM_GET_FPU, &s->fpu) < 0 ? -errno : 0;
}

/*
 * Debug registers, XCR0 and MSRs other than FS/GS base (in sregs) are not carried:
 * the guest runs at CPL3, where it can change none of them, so the child's fresh vCPU
 * already holds the same values. The TSC offset is zero in every VM (kvm.c).
 */
static int state_restore(struct ukmon_vm *vm, const struct vcpu_state *s)
{
    struct kvm_sregs sregs = s->sregs;
    sregs.tr.type = vm->tss_type; /* KVM reports the TSS busy; TCG wants it available */
    if (ioctl(vcpu_cur(vm)->fd, KVM_SET_SREGS, &sregs) < 0)
        return vm_fail(vm, -errno, "KVM_SET_SREGS: %s", strerror(errno));
    if (ioctl(vcpu_cur(vm)->fd, KVM_SET_REGS, &s->regs) < 0)
        return vm_fail(vm, -errno, "KVM_SET_REGS: %s", strerror(errno));
    int r = vm->has_xsave ? ioctl(vcpu_cur(vm)->fd, KVM_SET_XSAVE, &s->xsave)
                          : ioctl(vcpu_cur(vm)->fd, KVM_SET_FPU, &s->fpu);
    if (r < 0)
        return vm_fail(vm, -errno, "restoring FPU state: %s", strerror(errno));
    /* kvm_run's copy is filled at the next exit; results are written into it before. */
    vcpu_cur(vm)->run->s.regs.regs = s->regs;
    vcpu_cur(vm)->run->s.regs.sregs = sregs;
    return 0;
}

/*
 * A forked monitor: terminal signals become guest signals for its own VM, SIGCHLD
 * tells it about its children, and its parent's death is watched.
 */
static void child_reset_signals(void)
{
    sig_host_child_setup();
    install_sigchld(NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_parent_death;
    sigemptyset(&sa.sa_mask);
    sigaction(PDEATH_SIGNAL, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* In the new process: a VM of our own over the copy-on-write memory, same vCPU state. */
static int fork_child_setup(struct ukmon_vm *vm, pid_t parent, const struct vcpu_state *s)
{
    /*
     * The parent's kvm_runs and rings are not mapped here (MADV_DONTFORK): nothing may
     * touch them. Of its threads only the one that forked is here, its vCPU the
     * child's only one; the others are forgotten before any handler may look.
     */
    kvm_forget_parent(vm);
    uring_forget_parent(vm);
    thread_fork_child(vm);
    sig_fork_child(vm); /* a new process: nothing pending (before signals are let in) */
    sig_parent = parent;
    sigchld_pending = 0;
    child_reset_signals();
    prctl(PR_SET_PDEATHSIG, PDEATH_SIGNAL);
    if (getppid() != parent)
        on_parent_death(PDEATH_SIGNAL);
    PROF_MARK("fork child: signals, parent-death signal");
    vm->is_root = false;
    vm->nchildren = vm->nkept = 0;
    vm->ndying = 0; /* its parent's, not its own */
    vm->stop_signal = 0;
    memset(&vm->stats, 0, sizeof(vm->stats));
    vm->stats.ns_start = clock_ns(CLOCK_MONOTONIC); /* its total: from fork to exit */
    ring_fork_child(vm); /* its copies of the parent's pipe ends count, as on Linux */
    /* The parent's KVM objects are unusable here (they belong to its mm). */
    close(vm->vm_fd);
    vm->vm_fd = -1;
    PROF_MARK("fork child: parent's ring and KVM fds closed");
    int r;
    if ((r = kvm_create_machine(vm)) || (r = kvm_create_vcpu(vm, vcpu_cur(vm))) ||
        (r = state_restore(vm, s)))
        return r;
    PROF_MARK("fork child: KVM_SET_SREGS, _REGS, _XSAVE");
    if (vm->cfg.on_fork_child)
        vm->cfg.on_fork_child(vm->cfg.fork_opaque);
    return 0;
}

static _Noreturn void die_by_signal(int sig)
{
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none); /* the monitor's core is of no use to anyone */
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    _exit(128 + sig);
}

/* One line "ukmon: msg" on fd, for a forked monitor that has nobody else to say it. */
static void child_message(int fd, const char *msg)
{
    char line[800];
    int n = snprintf(line, sizeof(line), "ukmon: %s\n", msg);
    if (fd >= 0 && n > 0 &&
        write(fd, line, (size_t)n > sizeof(line) ? sizeof(line) : (size_t)n) < 0)
        return;
}

/*
 * fork(2) of the monitor for a guest fork: *ret is the child's pid in the parent, 0 in
 * the child (now running a VM of its own over the copy-on-write memory), or -errno.
 * RUN_STOP only when the parent's own vCPU state could not be read.
 */
enum run_next proc_fork(struct ukmon_vm *vm, int64_t *ret)
{
    static struct vcpu_state state; /* 4 KiB of XSAVE: not on the stack */
    if (vm->cfg.fork_policy == UKMON_FORK_DENY) {
        *ret = -ENOSYS;
        return RUN_CONTINUE;
    }
    /* The child is born in the tree's cgroup: the janitor has moved us in (cgroup.c). */
    if (!vm->tree || tree_become_reaper(vm) < 0 || cgroup_settled(vm) < 0) {
        *ret = -EAGAIN;
        return RUN_CONTINUE;
    }
    if (vm->nchildren == vm->children_cap) {
        unsigned cap = vm->children_cap ? vm->children_cap * 2 : 16;
        pid_t *c = realloc(vm->children, cap * sizeof(pid_t));
        if (!c) {
            *ret = -ENOMEM;
            return RUN_CONTINUE;
        }
        vm->children = c;
        vm->children_cap = cap;
    }
    int slot = tree_reserve(vm->tree);
    if (slot < 0 && vm->ndying) { /* children reaped by the guest, whose monitors still end */
        dying_reap(vm, true);
        slot = tree_reserve(vm->tree);
    }
    if (slot < 0 && vm->is_root) { /* ended orphans may still hold slots: reap, retry */
        reap_orphans(vm);
        slot = tree_reserve(vm->tree);
    }
    if (slot >= 0)
        __atomic_store_n(&tree_exits(vm->tree)[slot], 0, __ATOMIC_RELEASE);
    if (slot < 0) {
        /*
         * --max-procs reached: the guest sees what RLIMIT_NPROC gives. Fewer slots
         * than that: --tree-mem's share of memory is taken, as fork's ENOMEM says.
         */
        *ret = vm->tree->vm_limit < vm->tree->max_procs ? -ENOMEM : -EAGAIN;
        return RUN_CONTINUE;
    }
    /* The saved RIP must be past the OUT, or the child would run the call again. */
    PROF_MARK("fork: begin");
    int r = vcpu_complete_exit(vm);
    PROF_MARK("fork: OUT completed (KVM_RUN, immediate_exit)");
    if (r == 0)
        r = state_save(vm, &state);
    else if (r > 0)
        r = -EIO;
    PROF_MARK("fork: KVM_GET_REGS, _SREGS, _XSAVE");
    if (r < 0) {
        __atomic_store_n(&vm->tree->slots[slot], 0, __ATOMIC_RELEASE);
        vm_set_fault(vm, SIGSEGV, "fork: cannot capture the vCPU state (%s)", strerror(-r));
        return RUN_STOP;
    }
    /* The child holds what our fds stand for from its first instruction. */
    proc_acct_fork(vm->tree, &vm->fdt, (unsigned)slot);
    pid_t parent = getpid();
    /*
     * Signals wait until the child has dropped its parent's kvm_run (their handlers
     * kick the vCPU through it): the child unblocks them in child_reset_signals().
     */
    sigset_t all, old;
    sigfillset(&all);
    /* Not SIGSYS: blocked, a sandbox trap would kill without its one line (sandbox.c). */
    sigdelset(&all, SIGSYS);
    sigprocmask(SIG_BLOCK, &all, &old);
    /*
     * A signal to act on came first: it is acted on first, and the fork made again
     * after it (Linux's ERESTARTNOINTR; the guest never sees this EINTR). Else a VM
     * that a group's SIGTERM was killing would leave behind a child it missed.
     */
    if (vm->stop_signal || sig_interrupts(vm)) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        tree_unreserve(vm->tree, slot);
        *ret = -EINTR;
        return RUN_CONTINUE;
    }
    PROF_MARK("fork: signals blocked, checked");
    pid_t pid = fork();
    PROF_FORKED(pid == 0);
    if (pid < 0) {
        int e = errno;
        sigprocmask(SIG_SETMASK, &old, NULL);
        tree_unreserve(vm->tree, slot);
        *ret = e == ENOMEM ? -ENOMEM : -EAGAIN;
        return RUN_CONTINUE;
    }
    if (pid > 0) {
        __atomic_store_n(&vm->tree->slots[slot], pid, __ATOMIC_RELEASE);
        gsig_fork_unblock(pid, &old);
        vm->children[vm->nchildren++] = pid;
        *ret = pid;
        return RUN_CONTINUE;
    }
    /* First of all, so that whatever happens to our parent now, the tree knows us. */
    __atomic_store_n(&vm->tree->slots[slot], getpid(), __ATOMIC_RELEASE);
    vm->fdt.slot = (unsigned)slot;
    vm->born_ns = clock_ns(CLOCK_BOOTTIME);
    pinfo_attach(vm, slot);
    shm_fork_child(vm); /* its parent's attachments are its own too */
    r = fork_child_setup(vm, parent, &state);
    if (r < 0) {
        char msg[700];
        snprintf(msg, sizeof(msg), "%s: forked VM could not start: %s", vm->name,
                 vm->errmsg);
        child_message(vm->cfg.stderr_fd, msg);
        _exit(125);
    }
    if (vm->sandbox_selftest_fork)
        syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY);
    *ret = 0;
    return RUN_CONTINUE;
}

/* Sleeps until a signal is handled, SIGCHLD and guest signals certainly among them. */
static void sigsuspend_for_chld(const sigset_t *old)
{
    sigset_t m = *old; /* an embedder may keep SIGCHLD blocked: not while we wait */
    sigdelset(&m, SIGCHLD);
    sigdelset(&m, gsig_host_signal());
    sigsuspend(&m);
}

/*
 * Waits for a child VM. The root may have children that are not VMs (an embedding
 * program's own), so it never waits for "any child": every monitor polls its VMs one
 * by one, sleeping in sigsuspend() between rounds. SIGCHLD and the guest-signal
 * signal are blocked while it looks, so neither an exit nor a signal that comes
 * between the look and the sleep is missed.
 */
static pid_t children_wait(struct ukmon_vm *vm, pid_t want, pid_t pgid, int flags, int *status,
                       bool *ended)
{
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigaddset(&chld, gsig_host_signal());
    bool nohang = flags & WNOHANG;
    for (;;) {
        sigprocmask(SIG_BLOCK, &chld, &old);
        proc_on_interrupt(vm);
        pid_t got = 0;
        bool any = false;
        for (unsigned i = 0; i < vm->nchildren && got <= 0; i++)
            if ((want <= 0 || vm->children[i] == want) &&
                (pgid <= 0 || getpgid(vm->children[i]) == pgid)) {
                any = true;
                got = reap_said(vm, vm->children[i], status, ended);
                if (got == 0)
                    got = reap_id(vm->tree, P_PID, (id_t)vm->children[i], flags | WNOHANG,
                                  status, ended);
            }
        if (!any) { /* reaped meanwhile: SIGCHLD ignored */
            sigprocmask(SIG_SETMASK, &old, NULL);
            errno = ECHILD;
            return -1;
        }
        bool intr = vm->stop_signal || proc_interrupted(vm);
        if (got > 0 || nohang || intr) {
            sigprocmask(SIG_SETMASK, &old, NULL);
            if (got > 0)
                return got;
            errno = EINTR;
            return nohang && !intr ? 0 : -1;
        }
        thread_block_begin(vm);
        sigsuspend_for_chld(&old);
        thread_block_end(vm);
        sigprocmask(SIG_SETMASK, &old, NULL);
    }
}

/* Whether this monitor has a child VM in process group `pgid`. */
static bool children_in_group(const struct ukmon_vm *vm, pid_t pgid)
{
    for (unsigned i = 0; i < vm->nchildren; i++)
        if (getpgid(vm->children[i]) == pgid)
            return true;
    return false;
}

/*
 * waitpid for a guest, with waitpid's `pid`: > 0 that child, -1 any, 0 any in the
 * caller's process group, < -1 any in group -pid (groups are the host's). options:
 * WNOHANG, WUNTRACED, WCONTINUED. Returns the pid reaped (or stopped, continued), 0
 * (WNOHANG and none ready), or -errno. With SIGCHLD ignored (or SA_NOCLDWAIT),
 * children are never waited for: it waits until they have all ended, then ECHILD.
 */
/*
 * A child a WNOWAIT wait found (proc_wait): `want` (a pid, or -1 for any; a group's
 * wait does not see them), taken out unless `keep`. Its pid, or 0.
 */
static pid_t kept_take(struct ukmon_vm *vm, pid_t want, pid_t pgid, bool keep, int *status)
{
    for (unsigned i = 0; i < vm->nkept && pgid <= 0; i++) {
        pid_t p = vm->kept[i].pid;
        if (want > 0 && p != want)
            continue;
        *status = vm->kept[i].status;
        if (!keep)
            vm->kept[i] = vm->kept[--vm->nkept];
        return p;
    }
    return 0;
}

int64_t proc_wait(struct ukmon_vm *vm, int64_t want_pid, int options, int *status)
{
    if (want_pid < INT32_MIN || want_pid > INT32_MAX || want_pid == INT32_MIN)
        return -ESRCH;
    pid_t want = want_pid > 0 ? (pid_t)want_pid : -1;
    pid_t pgid = want_pid == 0 ? getpgid(0) : want_pid < -1 ? (pid_t)-want_pid : 0;
    int flags = (options & WNOHANG) | ((options & WUNTRACED) ? WSTOPPED : 0) |
                (options & WCONTINUED);
    bool nowait = options & WNOWAIT; /* Go's os/exec waits so before it reaps */
    pid_t k = kept_take(vm, want, pgid, nowait, status);
    if (k > 0)
        return k;
    for (;;) {
        if (vm->nchildren == 0 || (want > 0 && !children_has(vm, want)) ||
            (pgid > 0 && !children_in_group(vm, pgid)))
            return -ECHILD;
        int st = 0;
        bool ended = true;
        pid_t p = children_wait(vm, want, pgid, flags, &st, &ended);
        if (p < 0) {
            if (errno == EINTR) {
                proc_on_interrupt(vm);
                if (!vm->stop_signal && !proc_interrupted(vm))
                    continue;
            }
            return -errno;
        }
        if (p == 0)
            return 0;
        if (!ended) {
            *status = st;
            return p;
        }
        children_remove(vm, p);
        PROF_MARK_ARG("wait: child reaped", p);
        if (sig_child_autoreap(vm))
            continue;
        if (nowait && vm->nkept < sizeof(vm->kept) / sizeof(vm->kept[0])) {
            vm->kept[vm->nkept].pid = p;
            vm->kept[vm->nkept++].status = st;
        }
        *status = st;
        return p;
    }
}

/* Whether a guest signal is pending that the guest must see now, or the thread must end (EINTR). */
bool proc_interrupted(struct ukmon_vm *vm)
{
    /*
     * A SIGCHLD handled since the last look is the guest's SIGCHLD only once taken in:
     * a wait that looked without it would sleep through the child's end (the host
     * signal is spent), as `sleep 10 & kill $!; wait $!` did once in a hundred runs.
     */
    proc_on_interrupt(vm);
    /* Another thread's exit_group or execve ends this one: its wait ends first. */
    return sig_interrupts(vm) || thread_must_end(vm);
}

/* The pids of the tree's VMs, this one included; returns how many (at most max). */
unsigned proc_tree_pids(const struct ukmon_vm *vm, pid_t *pids, unsigned max)
{
    unsigned n = 0;
    if (!vm->tree) {
        if (max)
            pids[n++] = getpid();
        return n;
    }
    for (unsigned i = 0; i < vm->tree->max_procs && n < max; i++) {
        pid_t p = __atomic_load_n(&vm->tree->slots[i], __ATOMIC_ACQUIRE);
        if (p > 0)
            pids[n++] = p;
    }
    return n;
}

/* Whether `pid` is a VM of this tree. */
bool proc_tree_has(const struct ukmon_vm *vm, pid_t pid)
{
    if (pid <= 0)
        return false;
    if (pid == getpid())
        return true;
    if (!vm->tree)
        return false;
    /* One its parent's guest reaped is gone, though its monitor may still be ending. */
    uint32_t *w = tree_exit_word(vm->tree, pid);
    return w && !(__atomic_load_n(w, __ATOMIC_ACQUIRE) & EXIT_REAPED);
}

static void tree_kill_all(struct proc_tree *t)
{
    t->terminating = 1;
    pid_t self = getpid();
    for (unsigned i = 0; i < t->max_procs; i++) {
        pid_t p = __atomic_load_n(&t->slots[i], __ATOMIC_ACQUIRE);
        if (p > 0 && p != self)
            kill(p, SIGKILL);
    }
}

/*
 * A forked VM has ended: its fds go now (a reader sees EOF, a vfork parent goes on),
 * then it tells the tree how (wait status `ws`) and its parent that it did. The kernel
 * tears the VM down as this process exits, and nobody's wait waits for that.
 */
static void child_say_end(struct ukmon_vm *vm, int ws)
{
    sigset_t all;
    sigfillset(&all);
    sigdelset(&all, SIGSYS);
    sigprocmask(SIG_BLOCK, &all, NULL); /* no handler of ours runs from here on */
    fdt_close_all(vm);
    personality_release_all(vm);
    /* What it holds is let go now, not when (or if) its parent reaps it. */
    proc_acct_slot_clear(vm->tree, vm->fdt.slot);
    __atomic_store_n(&tree_exits(vm->tree)[vm->fdt.slot], EXIT_PUBLISHED | ((uint32_t)ws & 0xffff),
                     __ATOMIC_RELEASE);
    if (getppid() == sig_parent)
        kill(sig_parent, SIGCHLD);
}

/* The guest's run is over (every thread ended): its totals, and --stats. */
void proc_run_ended(struct ukmon_vm *vm)
{
    vm->guest_ended = true;
    vm->stats.ns_total = (uint64_t)(clock_ns(CLOCK_MONOTONIC) - vm->stats.ns_start);
    if (vm->cfg.stats_fd >= 0)
        stats_print(vm);
}

/*
 * An ending monitor's VM, to the tree cgroup's janitor, which closes it on a thread of
 * its own (host/cgroup.c): KVM's teardown waits out a grace period, which in our own
 * exit would delay our reaping, and with it the tree's end. Through the ring (the
 * sandbox has no sendmsg; a forked monitor whose guest used only pipe rings makes
 * its ring now, ~30 us). If the janitor cannot take it now, the VM ends with us.
 */
void proc_vm_to_janitor(struct ukmon_vm *vm)
{
    int fd = vm->vm_fd;
    if (fd < 0 || vm->cg.janitor_fd < 0 || !vcpu_cur(vm))
        return;
    char b = 'v';
    union {
        struct cmsghdr h;
        char room[CMSG_SPACE(sizeof(int))];
    } ctl;
    memset(&ctl, 0, sizeof(ctl));
    struct iovec iov = {&b, 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl,
                       .msg_controllen = sizeof(ctl)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(fd));
    uring_msg(vm, true, vm->cg.janitor_fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
}

int proc_finish(struct ukmon_vm *vm, int run_rc)
{
    shm_detach_all(vm); /* an exit detaches, as on Linux */
    if (!vm->is_root) {
        int sig = 0;
        pinfo_set_state(vm, 'Z');
        if (run_rc < 0) { /* the monitor failed, not the guest: always said */
            char msg[700];
            snprintf(msg, sizeof(msg), "%s: %s", vm->name, vm->errmsg);
            child_message(vm->cfg.stderr_fd, msg);
            sig = SIGKILL;
        } else if (vm->exit.kind == UKMON_EXIT_FAULT) {
            /* As on Linux, the parent learns it from the wait status; the line is a log's. */
            child_message(vm->cfg.log_fd, vm->exit.reason);
            sig = vm->exit.signal;
        } else if (vm->exit.kind == UKMON_EXIT_STOPPED || vm->exit.kind == UKMON_EXIT_SIGNALED) {
            sig = vm->exit.signal;
        } else if (vm->exit.kind != UKMON_EXIT_STATUS) {
            _exit(125);
        }
        if (sig < 1 || sig > 64)
            sig = sig ? SIGKILL : 0;
        fs_tmp_end(vm); /* our end of the private /tmp's pipe now, not in our exit */
        /* Wait statuses as the host's: the signal (no core: die_by_signal sees to it), or the code. */
        child_say_end(vm, sig ? sig : (vm->exit.status & 0xff) << 8);
        proc_vm_to_janitor(vm); /* after: the parent's wait is over already */
        PROF_DUMP(vm, "exit: _exit (teardown follows in the kernel)");
        if (sig)
            die_by_signal(sig);
        _exit(vm->exit.status);
    }
    if (!vm->tree_reaper)
        return run_rc; /* it never forked */
    struct proc_tree *t = vm->tree;
    bool killed = false;
    /* A crashed root leaves its children running, as a crashed process would. */
    if (run_rc < 0 || vm->exit.kind == UKMON_EXIT_STOPPED) {
        tree_kill_all(t);
        killed = true;
    }
    /*
     * The subreaper waits until the table is empty: its children, the orphans it
     * adopted, and the VMs still below living parents (their parents reap them, or
     * they come to us). Only VMs are reaped, never other children of this process.
     */
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    pid_t self = getpid();
    for (;;) {
        sigprocmask(SIG_BLOCK, &chld, &old);
        for (unsigned i = 0; i < t->max_procs; i++) {
            pid_t p = __atomic_load_n(&t->slots[i], __ATOMIC_ACQUIRE);
            if (p <= 0 || p == self)
                continue;
            int st;
            if (reap_one(t, p, WNOHANG, &st) < 0 && errno == ECHILD && kill(p, 0) < 0 &&
                errno == ESRCH)
                tree_release(t, p); /* gone without a trace: do not wait for it */
        }
        if (!tree_has_others(t)) {
            sigprocmask(SIG_SETMASK, &old, NULL);
            break;
        }
        if (vm->stop_signal && !killed) {
            tree_kill_all(t);
            killed = true;
            if (vm->exit.kind == UKMON_EXIT_STATUS) {
                vm->exit.kind = UKMON_EXIT_STOPPED;
                vm->exit.signal = vm->stop_signal;
            }
            sigprocmask(SIG_SETMASK, &old, NULL);
            continue;
        }
        sigsuspend_for_chld(&old);
        sigprocmask(SIG_SETMASK, &old, NULL);
    }
    vm->nchildren = 0;
    return run_rc;
}

void proc_free(struct ukmon_vm *vm)
{
    if (vm->tree) {
        if (sig_tree == vm->tree)
            sig_tree = NULL;
        if (vm->tree_reaper) {
            sigaction(SIGCHLD, &saved_sigchld, NULL);
            prctl(PR_SET_CHILD_SUBREAPER, 0);
        }
        munmap(vm->tree, vm->tree_size);
    }
    pinfo_free(vm);
    vm->tree = NULL;
    vm->tree_reaper = false;
    vm->fdt.tree = NULL; /* its fds, closed after this, count nowhere */
    free(vm->children);
    vm->children = NULL;
    vm->nchildren = vm->children_cap = 0;
    free(vm->dying);
    vm->dying = NULL;
    vm->ndying = vm->dying_cap = 0;
}
