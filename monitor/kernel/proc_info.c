/* proc_info.c: what each VM of a tree tells the others about itself: /proc, priorities. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "kernel/proc.h"
#include "kernel/stats.h"
#include "kernel/thread.h"
#include "kvm/vmm.h"

/*
 * A VM is a process of its own: another VM cannot read its memory or its monitor's
 * state. So each monitor publishes what /proc/PID shows of it, in a table shared by
 * the tree (MAP_SHARED, one entry per slot of the tree's table of pids, created with
 * it at the first fork and inherited by every monitor):
 *
 * - Only the owner writes its entry's public part, under a sequence count (odd while
 *   it writes); a reader copies the part and tries again if the count moved. It
 *   writes when something there changed: at its fork and execve, and after a system
 *   call that changed its name, arguments (a program may rewrite its argv, as
 *   nginx's setproctitle does), fds, signal dispositions or mappings. One byte, its
 *   state, goes outside the count: 'R' while the guest runs, 'S' in the monitor.
 * - A reader trusts nothing in it: the entry counts only if its pid is the tree's pid
 *   for that slot, strings are cut at their size, lengths clamped. A guest controls
 *   its own name and arguments anyway; it can reach another VM's entry only through
 *   the requests below, which Linux lets a process make of a sibling of the same user.
 * - Requests (setpriority, sched_setaffinity of another VM): the requester writes
 *   what it wants in the target's request part and sends it PINFO_SIGNAL; the target
 *   applies it to itself at its next exit or system call. No monitor changes another
 *   process of the host: the sandbox lets each change only its own priority.
 */

#define PINFO_SIGNAL (SIGRTMIN + 5)
#define PINFO_RETRIES 16

struct pinfo {
    uint32_t seq;
    volatile char state;
    struct pinfo_view pub;
    /* Written by other VMs of the tree: changes the owner applies to itself. */
    uint32_t req_seq;
    uint32_t req_what;
    int32_t req_nice;
    uint64_t req_cpus[PINFO_CPU_WORDS];
};

/* The request signal: only to make a KVM_RUN or a sleep return, so that it is seen. */
static void on_pinfo_request(int sig)
{
    (void)sig;
    kvm_kick();
    thread_kick_others_async(); /* the host may have picked a parked thread */
}

/* The process's name after an exec of `path`: its last component, cut to 15 bytes. */
void proc_set_comm(struct ukmon_vm *vm, const char *path)
{
    const char *b = strrchr(path, '/');
    b = b && b[1] ? b + 1 : path;
    snprintf(vm->comm, sizeof(vm->comm), "%s", b);
}

/* The root, at the tree's birth: the table, and its own entry in slot 0. */
int pinfo_create(struct ukmon_vm *vm, unsigned max_procs)
{
    size_t size = (size_t)max_procs * sizeof(struct pinfo);
    void *t = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (t == MAP_FAILED)
        return -errno;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_pinfo_request;
    sa.sa_flags = SA_RESTART; /* the monitor's own waits go on; KVM_RUN returns */
    sigemptyset(&sa.sa_mask);
    if (sigaction(PINFO_SIGNAL, &sa, NULL) < 0) {
        munmap(t, size);
        return -errno;
    }
    vm->pinfo_tab = t;
    vm->pinfo_size = size;
    pinfo_attach(vm, 0);
    return 0;
}

/* This VM is the tree's slot `slot` now (the root at birth, a child after fork). */
void pinfo_attach(struct ukmon_vm *vm, int slot)
{
    if (!vm->pinfo_tab)
        return;
    vm->tree_slot = slot;
    struct pinfo *e = &vm->pinfo_tab[slot];
    vm->pinfo_state = &e->state;
    vm->pinfo_done = __atomic_load_n(&e->req_seq, __ATOMIC_ACQUIRE);
    e->state = 'S';
    pinfo_publish(vm);
}

void pinfo_free(struct ukmon_vm *vm)
{
    if (vm->pinfo_tab)
        munmap(vm->pinfo_tab, vm->pinfo_size);
    vm->pinfo_tab = NULL;
    vm->pinfo_state = NULL;
}

/* Its argv as /proc/PID/cmdline gives it: from its memory, else as it started. */
static uint32_t pinfo_args(struct ukmon_vm *vm, char *buf, size_t max)
{
    const struct addrspace *as = &vm->as;
    if (as->arg_end <= as->arg_start) {
        size_t n = vm->args_len < max ? vm->args_len : max;
        if (n)
            memcpy(buf, vm->args, n);
        return (uint32_t)n;
    }
    return (uint32_t)proc_cmdline(vm, buf, max);
}

/*
 * A Linux program's cmdline from its memory, as Linux reads it: the argument strings;
 * if the program wrote over the NUL that ended them (setproctitle), its one string
 * from there on, into the environment's room if it runs on. Bytes written, at most max.
 */
size_t proc_cmdline(struct ukmon_vm *vm, char *buf, size_t max)
{
    const struct addrspace *as = &vm->as;
    uint64_t len = as->arg_end - as->arg_start;
    if (as->arg_end <= as->arg_start || len > max)
        len = as->arg_end > as->arg_start ? max : 0;
    if (len == 0 || gmem_read(vm, buf, as->arg_start, len) < 0)
        return 0;
    if (buf[len - 1] == 0 || as->arg_end - as->arg_start > max)
        return len;
    /* The last NUL overwritten: one string, which may go on into envp's room. */
    char *nul = memchr(buf, 0, len);
    if (nul)
        return (size_t)(nul - buf) + 1;
    size_t n = len;
    while (n < max && as->arg_start + n < as->env_end) {
        char c;
        if (gmem_read(vm, &c, as->arg_start + n, 1) < 0)
            break;
        buf[n++] = c;
        if (!c)
            break;
    }
    return n;
}

/* What the process is now, from its own state: the answer for itself. */
void pinfo_self(struct ukmon_vm *vm, struct pinfo_view *v)
{
    memset(v, 0, sizeof(*v));
    v->pid = getpid();
    v->ppid = getppid();
    v->state = 'R';
    v->born_ns = vm->born_ns;
    v->mapped_pages = vm->as.mapped_pages;
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        v->rss_kb = (uint64_t)ru.ru_maxrss;
    v->code_lo = vm->img.lo;
    v->code_hi = vm->img.hi;
    v->sig_blocked = vm->leader->sig.mask; /* the leader's, as Linux shows */
    for (int s = 1; s <= UKMON_NSIG; s++) {
        uint64_t h = vm->sig.act[s].handler;
        if (h == UKMON_SIG_IGN)
            v->sig_ignored |= 1ULL << (s - 1);
        else if (h != UKMON_SIG_DFL)
            v->sig_caught |= 1ULL << (s - 1);
    }
    v->umask = vm->fs.umask;
    for (int fd = 0; fd < FDT_MAX; fd++)
        if (vm->fdt.fd[fd].host_fd >= 0)
            v->fds[fd / 64] |= 1ULL << (fd % 64);
    memcpy(v->comm, vm->comm, sizeof(v->comm));
    v->comm[sizeof(v->comm) - 1] = 0;
    v->args_len = pinfo_args(vm, v->args, sizeof(v->args));
    size_t el = strnlen(vm->exe_path, sizeof(v->exe) - 1); /* a longer path is cut */
    memcpy(v->exe, vm->exe_path, el);
    v->exe[el] = 0;
}

/* The owner's write of its entry: everything, under the sequence count. */
void pinfo_publish(struct ukmon_vm *vm)
{
    if (!vm->pinfo_tab)
        return;
    static struct pinfo_view v; /* 3 KiB: not on the stack */
    pinfo_self(vm, &v);
    v.state = 0; /* the entry's own byte says it */
    struct pinfo *e = &vm->pinfo_tab[vm->tree_slot];
    uint32_t s = __atomic_load_n(&e->seq, __ATOMIC_RELAXED) & ~1u; /* only we write it */
    __atomic_store_n(&e->seq, s + 1, __ATOMIC_SEQ_CST); /* odd: being written */
    memcpy(&e->pub, &v, sizeof(v));
    __atomic_store_n(&e->seq, s + 2, __ATOMIC_SEQ_CST);
    vm->pinfo_fd_gen = vm->fdt.gen;
    vm->pinfo_sigs[0] = v.sig_blocked;
    vm->pinfo_sigs[1] = v.sig_ignored;
    vm->pinfo_sigs[2] = v.sig_caught;
    vm->pinfo_mapped = v.mapped_pages;
    vm->pinfo_umask = v.umask;
    vm->pinfo_args_len = v.args_len;
    memcpy(vm->pinfo_args, v.args, v.args_len);
}

/*
 * After each system call: publishes again if something another VM may read changed,
 * and applies what other VMs asked of this one. A few comparisons when nothing did.
 */
void pinfo_refresh(struct ukmon_vm *vm)
{
    if (!vm->pinfo_tab)
        return;
    pinfo_apply(vm);
    uint64_t ign = 0, caught = 0;
    bool changed = vm->pinfo_fd_gen != vm->fdt.gen || vm->pinfo_sigs[0] != vm->leader->sig.mask ||
                   vm->pinfo_mapped != vm->as.mapped_pages || vm->pinfo_umask != vm->fs.umask;
    if (!changed) {
        for (int s = 1; s <= UKMON_NSIG; s++) {
            uint64_t h = vm->sig.act[s].handler;
            if (h == UKMON_SIG_IGN)
                ign |= 1ULL << (s - 1);
            else if (h != UKMON_SIG_DFL)
                caught |= 1ULL << (s - 1);
        }
        changed = ign != vm->pinfo_sigs[1] || caught != vm->pinfo_sigs[2];
    }
    if (!changed && vm->as.arg_end > vm->as.arg_start) {
        char buf[sizeof(vm->pinfo_args)];
        uint32_t n = (uint32_t)proc_cmdline(vm, buf, sizeof(buf));
        changed = n != vm->pinfo_args_len || memcmp(buf, vm->pinfo_args, n);
    }
    if (changed)
        pinfo_publish(vm);
}

void pinfo_set_state(struct ukmon_vm *vm, char state)
{
    if (vm->pinfo_state)
        *vm->pinfo_state = state;
}

/* The slot of `pid` in the tree's table, or -1. */
static int pinfo_slot(const struct ukmon_vm *vm, pid_t pid)
{
    if (!vm->tree || !vm->pinfo_tab || pid <= 0)
        return -1;
    for (unsigned i = 0; i < vm->tree->max_procs; i++)
        if (__atomic_load_n(&vm->tree->slots[i], __ATOMIC_ACQUIRE) == pid)
            return (int)i;
    return -1;
}

/*
 * What VM `pid` of the tree published, checked: 0, or -ESRCH (no such VM, or no
 * consistent entry for it). This VM's own answer comes from its own state.
 */
int pinfo_read(struct ukmon_vm *vm, pid_t pid, struct pinfo_view *out)
{
    if (pid == getpid()) {
        pinfo_self(vm, out);
        return 0;
    }
    int slot = pinfo_slot(vm, pid);
    if (slot < 0)
        return -ESRCH;
    const struct pinfo *e = &vm->pinfo_tab[slot];
    for (int i = 0; i < PINFO_RETRIES; i++) {
        uint32_t s1 = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
        if (s1 & 1) {
            sched_yield();
            continue;
        }
        memcpy(out, &e->pub, sizeof(*out));
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != s1)
            continue;
        if (out->pid != pid)
            return -ESRCH; /* a slot whose new owner has not written yet */
        out->state = e->state;
        if (out->state != 'R' && out->state != 'S' && out->state != 'Z')
            out->state = 'S';
        if (out->args_len > sizeof(out->args))
            out->args_len = sizeof(out->args);
        out->comm[sizeof(out->comm) - 1] = 0;
        out->exe[sizeof(out->exe) - 1] = 0;
        /* An orphan's parent is gone: the root adopted it, as init would. */
        if (pid != vm->tree->root_pid && out->ppid != vm->tree->root_pid &&
            pinfo_slot(vm, out->ppid) < 0)
            out->ppid = vm->tree->root_pid;
        return 0;
    }
    return -ESRCH;
}

/*
 * Asks VM `pid` of the tree (not this one) to change its priority (PINFO_REQ_NICE)
 * or its CPUs (PINFO_REQ_CPUS) to what is given. 0, or -ESRCH.
 */
int pinfo_request(struct ukmon_vm *vm, pid_t pid, unsigned what, int nice, const uint64_t *cpus)
{
    int slot = pinfo_slot(vm, pid);
    if (slot < 0)
        return -ESRCH;
    struct pinfo *e = &vm->pinfo_tab[slot];
    if (what & PINFO_REQ_NICE)
        __atomic_store_n(&e->req_nice, nice, __ATOMIC_RELAXED);
    if (what & PINFO_REQ_CPUS)
        for (int i = 0; i < PINFO_CPU_WORDS; i++)
            __atomic_store_n(&e->req_cpus[i], cpus[i], __ATOMIC_RELAXED);
    __atomic_fetch_or(&e->req_what, what, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&e->req_seq, 1, __ATOMIC_SEQ_CST);
    kill(pid, PINFO_SIGNAL);
    return 0;
}

/*
 * What of PINFO_REQ_NICE and PINFO_REQ_CPUS another VM asked of VM `pid` and it has
 * not applied yet, with the values asked: that is what it will be, and is said so.
 */
unsigned pinfo_pending(struct ukmon_vm *vm, pid_t pid, int *nice, uint64_t *cpus)
{
    int slot = pinfo_slot(vm, pid);
    if (slot < 0)
        return 0;
    const struct pinfo *e = &vm->pinfo_tab[slot];
    unsigned what = __atomic_load_n(&e->req_what, __ATOMIC_ACQUIRE);
    if ((what & PINFO_REQ_NICE) && nice)
        *nice = __atomic_load_n(&e->req_nice, __ATOMIC_RELAXED);
    if ((what & PINFO_REQ_CPUS) && cpus)
        for (int i = 0; i < PINFO_CPU_WORDS; i++)
            cpus[i] = __atomic_load_n(&e->req_cpus[i], __ATOMIC_RELAXED);
    return what & (PINFO_REQ_NICE | PINFO_REQ_CPUS);
}

/* What another VM asked of this one, applied to itself (never beyond the guest's rights). */
void pinfo_apply(struct ukmon_vm *vm)
{
    if (!vm->pinfo_tab)
        return;
    struct pinfo *e = &vm->pinfo_tab[vm->tree_slot];
    uint32_t seq = __atomic_load_n(&e->req_seq, __ATOMIC_ACQUIRE);
    if (seq == vm->pinfo_done)
        return;
    /*
     * Applied first, marked done after: a reader (pinfo_pending) sees the request
     * until the host has it. One that came in meanwhile is marked again, for the next
     * pass to apply (its values are the newest).
     */
    unsigned what = __atomic_load_n(&e->req_what, __ATOMIC_ACQUIRE);
    if (what & PINFO_REQ_NICE) {
        int nice = __atomic_load_n(&e->req_nice, __ATOMIC_RELAXED);
        setpriority(PRIO_PROCESS, 0, nice < -20 ? -20 : nice > 19 ? 19 : nice);
    }
    if (what & PINFO_REQ_CPUS) {
        uint64_t cpus[PINFO_CPU_WORDS];
        for (int i = 0; i < PINFO_CPU_WORDS; i++)
            cpus[i] = __atomic_load_n(&e->req_cpus[i], __ATOMIC_RELAXED);
        sched_setaffinity(0, sizeof(cpus), (cpu_set_t *)(void *)cpus);
    }
    __atomic_fetch_and(&e->req_what, ~what, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&e->req_seq, __ATOMIC_SEQ_CST) != seq)
        __atomic_fetch_or(&e->req_what, what, __ATOMIC_SEQ_CST);
    else
        vm->pinfo_done = seq;
}
