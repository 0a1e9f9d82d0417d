/*
 * thread.c: a guest process's threads. A process is a VM; each of its threads is one
 * more vCPU of that VM, run by a monitor thread of its own (KVM_RUN blocks the thread
 * that calls it), so the guest's threads run in parallel as on Linux.
 *
 * Locking: one mutex per VM, the big monitor lock (vm->lock). A monitor thread holds
 * it whenever it runs monitor code for its vCPU and lets it go only inside KVM_RUN
 * and inside blocking waits, which all go through thread_block_begin/end():
 * uring_wait (all io_uring I/O), sig_sleep and sig_wait_fds (sleeps, pauses, pipe
 * rings), children_wait and the vfork wait (proc.c, lx_proc.c), epoll_pwait
 * (net_epoll.c), futex waits (futex.c) and the waits of this file. So every service
 * keeps the invariants it had with one thread: the fd table, the address space and
 * the page map, the pipe rings' monitor side, signal dispositions, the tree's
 * tables, --stats. What a service read before a wait may have changed after it (an
 * fd closed by another thread): it reads again, as the waits' callers already did
 * for signals. What is a thread's own is in its struct vcpu (its KVM vCPU and
 * kvm_run, io_uring, signal mask and alternate stack, the call in progress) and is
 * touched by its own thread only, but for the fields another thread writes under the
 * lock (state, must_exit) and the few read by signal handlers (run, tid, the mask).
 * Guest memory is shared by all: its host mapping never moves, and changes to it
 * (mmap, mprotect) are host mmap/mprotect calls that KVM's MMU notifiers apply to
 * every vCPU before they return (kvm/addrspace.c), so no vCPU runs on a stale view.
 *
 * vCPUs: KVM cannot remove a vCPU from a VM. A thread's end parks its vCPU together
 * with its monitor thread, and the next clone takes them both: no KVM_CREATE_VCPU
 * and no pthread_create, and KVM_RUN stays with the thread that made it (a vCPU run
 * from another thread costs KVM an RCU grace period). A parked pair's tid is that of
 * its monitor thread, which the next guest thread on it gets: tids are reused sooner
 * than on Linux. At most VCPUS_MAX vCPUs (KVM's own limit if lower): clone past it
 * is EAGAIN. Each vCPU has its own TSS and ring-0 stack (boot.c), so that exceptions
 * on two vCPUs at once do not share a stack.
 *
 * The leader is the vCPU of the thread that called ukmon_vm_run() (in a forked
 * monitor: the thread that forked). Its thread ends the run, once every other
 * guest thread has ended: at exit_group or a fatal signal it makes them end; at its
 * own exit(2) it waits for them, and the process's status is that of the last
 * thread to exit, as Linux's wait reports it.
 */
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kernel/proc.h"
#include "kernel/sig.h"
#include "kernel/stats.h"
#include "kernel/thread.h"
#include "kvm/vmm.h"

/* A monitor thread's stack: handlers keep a few 4 KiB paths on theirs (more under ASan). */
#define THREAD_STACK_SIZE (1u << 20)

/* The VM whose threads a signal handler may have to kick: one per process that runs. */
static struct ukmon_vm *volatile thread_vm;

static struct vcpu *vcpu_alloc(struct ukmon_vm *vm, unsigned index)
{
    struct vcpu *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->vm = vm;
    c->index = index;
    c->fd = -1;
    __atomic_store_n(&vm->vcpus[index], c, __ATOMIC_RELEASE);
    return c;
}

int thread_init(struct ukmon_vm *vm)
{
    pthread_condattr_t ca;
    if (!vcpu_alloc(vm, 0))
        return -ENOMEM;
    vm->leader = vm->vcpus[0];
    if (pthread_mutex_init(&vm->lock, NULL) != 0)
        return -ENOMEM;
    if (pthread_condattr_init(&ca) != 0 ||
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&vm->threads_cond, &ca) != 0)
        return -ENOMEM;
    pthread_condattr_destroy(&ca);
    vm->threads_ready = true;
    return 0;
}

void thread_free(struct ukmon_vm *vm)
{
    if (thread_vm == vm)
        thread_vm = NULL;
    for (unsigned i = 0; i < VCPUS_MAX; i++) {
        free(vm->vcpus[i]);
        vm->vcpus[i] = NULL;
    }
    vm->leader = NULL;
    if (vm->threads_ready) {
        pthread_cond_destroy(&vm->threads_cond);
        pthread_mutex_destroy(&vm->lock);
    }
    vm->threads_ready = false;
}

unsigned thread_count(const struct ukmon_vm *vm)
{
    return vm->nthreads;
}

struct vcpu *thread_find(struct ukmon_vm *vm, pid_t tid)
{
    for (unsigned i = 0; i < VCPUS_MAX; i++) {
        struct vcpu *c = vm->vcpus[i];
        if (c && c->state == VCPU_LIVE && c->tid == tid && !c->exited)
            return c;
    }
    return NULL;
}

/* Waits on the VM's condition (the lock let go meanwhile), 50 ms at most: callers look again. */
static void thread_cond_wait(struct ukmon_vm *vm)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_nsec += 50 * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&vm->threads_cond, &vm->lock, &t);
}

static void thread_wake_all(struct ukmon_vm *vm)
{
    pthread_cond_broadcast(&vm->threads_cond);
}

/*
 * Kicks c's thread out of KVM_RUN, or out of a wait (which unblocks the guest-signal
 * signal while it sleeps), with that signal: value 0, "only look". Async-signal-safe.
 */
static void kick_async(struct vcpu *c)
{
    struct kvm_run *run = c->run;
    if (run)
        run->immediate_exit = 1;
    __atomic_fetch_add(&c->kick_count, 1, __ATOMIC_SEQ_CST);
    pid_t tid = c->tid;
    if (tid <= 0)
        return;
    if (c == vcpu_tls) {
        kvm_kick();
        return;
    }
    gsig_queue_thread(getpid(), tid, GSIG_VAL_KICK);
}

void thread_kick(struct vcpu *c)
{
    kick_async(c);
}

/* Every live thread of the VM but the caller's. */
void thread_kick_all(struct ukmon_vm *vm)
{
    for (unsigned i = 0; i < VCPUS_MAX; i++) {
        struct vcpu *c = __atomic_load_n(&vm->vcpus[i], __ATOMIC_ACQUIRE);
        if (c && c != vcpu_tls && (c->state == VCPU_LIVE || c->own_thread))
            kick_async(c);
    }
}

void thread_kick_others_async(void)
{
    struct ukmon_vm *vm = thread_vm;
    if (vm && vm->nthreads > 1)
        thread_kick_all(vm);
}

bool thread_must_end(struct ukmon_vm *vm)
{
    struct vcpu *c = vcpu_cur(vm);
    return vm->group_exit || c->must_exit || (vm->exec_by && vm->exec_by != c);
}

void thread_group_exit(struct ukmon_vm *vm)
{
    if (vm->group_exit)
        return;
    vm->group_exit = true;
    thread_kick_all(vm);
    thread_wake_all(vm);
}

/*
 * The leader while another thread execs: off its vCPU (which the exec gives the new
 * program) until the exec is over. Its OUT in flight is finished first: the new
 * program's first RIP must not be moved past one.
 */
static void thread_leader_park(struct ukmon_vm *vm, struct vcpu *c)
{
    if (c->exit_in_flight)
        vcpu_complete_exit(vm);
    vm->leader_parked = true;
    thread_wake_all(vm);
    while (vm->exec_by && !vm->group_exit)
        thread_cond_wait(vm);
    vm->leader_parked = false;
}

bool thread_loop_check(struct ukmon_vm *vm)
{
    struct vcpu *c = vcpu_cur(vm);
    for (;;) {
        if (vm->group_exit || c->must_exit)
            return true;
        if (!vm->exec_by || vm->exec_by == c)
            return false;
        if (c != vm->leader) {
            c->must_exit = true;
            return true;
        }
        thread_leader_park(vm, c);
    }
}

/*
 * Robust futexes of a thread that ends (set_robust_list): each lock it still holds
 * is marked FUTEX_OWNER_DIED and one waiter woken, as Linux's exit does. The list is
 * the guest's, hostile: every read is a checked copy, the walk is bounded, and a
 * word is changed only if it names this thread.
 */
#define ROBUST_LIST_LIMIT 2048
#define ROBUST_HEAD_SIZE 24

static void robust_wake(struct ukmon_vm *vm, uint64_t uaddr)
{
    futex_wake(vm, FUTEX_WAKE, uaddr, 1, 0, 0, 0); /* shared, as glibc waits on it */
}

static void robust_death(struct ukmon_vm *vm, uint64_t uaddr, pid_t tid, bool pi, bool pending)
{
    if (uaddr % 4)
        return;
    for (int tries = 0; tries < 16; tries++) {
        uint32_t v;
        if (gmem_read(vm, &v, uaddr, 4) < 0)
            return;
        if (pending && !pi && v == 0) { /* it died between taking and recording the lock */
            robust_wake(vm, uaddr);
            return;
        }
        if ((v & FUTEX_TID_MASK) != (uint32_t)tid)
            return;
        uint32_t nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
        int r = gmem_cmpxchg32(vm, uaddr, v, nv);
        if (r < 0)
            return;
        if (r == 0)
            continue; /* changed under us: look again */
        if (!pi && (v & FUTEX_WAITERS))
            robust_wake(vm, uaddr);
        return;
    }
}

static void robust_walk(struct ukmon_vm *vm, struct vcpu *c)
{
    uint64_t head = c->robust_list;
    c->robust_list = c->robust_len = 0;
    if (!head)
        return;
    uint64_t h[3]; /* next, futex_offset, list_op_pending */
    if (gmem_read(vm, h, head, sizeof(h)) < 0)
        return;
    int64_t off = (int64_t)h[1];
    uint64_t pending = h[2], entry = h[0];
    for (unsigned n = 0; entry != head && n < ROBUST_LIST_LIMIT; n++) {
        uint64_t next;
        if (gmem_read(vm, &next, entry & ~1ULL, 8) < 0)
            break;
        if (entry != pending)
            robust_death(vm, (entry & ~1ULL) + (uint64_t)off, c->tid, entry & 1, false);
        entry = next;
    }
    if (pending)
        robust_death(vm, (pending & ~1ULL) + (uint64_t)off, c->tid, pending & 1, true);
}

/* What a thread's end does to guest memory: robust futexes, then CLONE_CHILD_CLEARTID. */
static void thread_end_words(struct ukmon_vm *vm, struct vcpu *c)
{
    robust_walk(vm, c);
    uint64_t at = c->clear_tid;
    c->clear_tid = 0;
    uint32_t zero = 0;
    if (at && gmem_write(vm, at, &zero, 4) == 0)
        futex_wake(vm, FUTEX_WAKE, at, 1, 0, 0, 0); /* shared, as pthread_join waits */
}

/*
 * A guest thread ended (not the leader): its words, its OUT finished, its own pending
 * signals dropped; vCPU and monitor thread parked for the next clone.
 */
static void thread_end(struct ukmon_vm *vm, struct vcpu *c)
{
    thread_end_words(vm, c);
    if (c->exit_in_flight)
        vcpu_complete_exit(vm);
    gsig_thread_reset(c->index);
    c->state = VCPU_PARKED;
    c->exited = c->must_exit = false;
    vm->nthreads--;
    /* Signals for the process it could have taken: another thread may take them. */
    gsig_retarget(gsig_pending_process());
    thread_wake_all(vm);
}

/* The leader, at the process's end: waits until it is the only guest thread left. */
static void thread_wait_alone(struct ukmon_vm *vm)
{
    thread_kick_all(vm);
    for (int n = 0; vm->nthreads > 1; n++) {
        thread_cond_wait(vm);
        if (n % 20 == 19)
            thread_kick_all(vm); /* one that was between its look and a wait */
    }
}

/*
 * The loop of one thread of the guest, on the calling monitor thread: returns when
 * that guest thread has ended; the leader's, when the process has.
 */
static int thread_run(struct ukmon_vm *vm, struct vcpu *c)
{
    for (;;) {
        int r = vcpu_run_loop(vm);
        if (r < 0 || (!c->exited && !c->must_exit))
            thread_group_exit(vm); /* exit_group, a fatal signal or fault, a stop request */
        if (c != vm->leader) {
            thread_end(vm, c);
            return r;
        }
        if (r < 0 || vm->group_exit) {
            thread_wait_alone(vm);
            return r;
        }
        /* The leader's own exit(2): the others go on; it waits for them, or an execve. */
        thread_end_words(vm, c);
        bool resumed = false;
        while (vm->nthreads > 1 && !vm->group_exit && !resumed) {
            if (vm->exec_by) {
                thread_leader_park(vm, c);
                resumed = !vm->group_exit; /* the exec gave its vCPU a new program */
            } else {
                thread_cond_wait(vm);
            }
        }
        if (resumed) {
            c->exited = false;
            continue;
        }
        if (vm->group_exit) {
            thread_wait_alone(vm);
            return 0;
        }
        /* The last thread ended: its status is the process's, as Linux reports it. */
        vm->exit.kind = UKMON_EXIT_STATUS;
        vm->exit.status = vm->last_exit_code;
        return 0;
    }
}

bool thread_exit(struct ukmon_vm *vm, int code)
{
    struct vcpu *c = vcpu_cur(vm);
    c->exited = true;
    c->exit_code = code & 0xff;
    vm->last_exit_code = c->exit_code;
    return vm->nthreads == 1;
}

/* A monitor thread of the pool: runs guest threads on its vCPU, one after another. */
static void *thread_main(void *arg)
{
    struct vcpu *c = arg;
    struct ukmon_vm *vm = c->vm;
    vcpu_tls = c;
    vm_lock(vm);
    c->tid = (pid_t)syscall(SYS_gettid);
    thread_wake_all(vm); /* the clone waits for the tid */
    for (;;) {
        while (c->state != VCPU_LIVE && !vm->threads_quit)
            thread_cond_wait(vm);
        if (vm->threads_quit)
            break;
        int r = thread_run(vm, c);
        if (c == vm->leader) {
            /* A monitor forked from this thread: the process ends here, never returns. */
            proc_run_ended(vm);
            proc_finish(vm, r);
        }
    }
    vcpu_tls = NULL;
    vm_unlock(vm);
    return NULL;
}

/*
 * A new vCPU's state: the caller's at the return of its clone, in user mode, with 0
 * in %rax, the new stack and thread pointer, its own TSS, and a copy of the caller's
 * FPU state (as Linux copies it).
 */
static int thread_copy_state(struct ukmon_vm *vm, struct vcpu *me, struct vcpu *c,
                             const struct thread_args *ta)
{
    static struct kvm_xsave xs; /* 4 KiB: not on the stack; the lock is held */
    struct kvm_regs regs = me->run->s.regs.regs;
    struct kvm_sregs sr = me->run->s.regs.sregs;
    regs.rip = regs.rcx; /* SYSCALL's return, from the stub or the guest-side layer */
    regs.rflags = (regs.r11 & USER_RFLAGS) | RFLAGS_FIXED;
    regs.rax = 0;
    if (ta->stack)
        regs.rsp = ta->stack;
    struct kvm_segment ds = sr.ds, es = sr.es, fs = sr.fs, gs = sr.gs;
    boot_user_segments(&sr);
    sr.ds = ds, sr.es = es, sr.fs = fs, sr.gs = gs;
    if (ta->set_tls)
        sr.fs.base = ta->tls;
    boot_vcpu_tss(vm, c->index, &sr.tr);
    if (ioctl(c->fd, KVM_SET_SREGS, &sr) < 0 || ioctl(c->fd, KVM_SET_REGS, &regs) < 0)
        return -errno;
    if (vm->has_xsave) {
        if (ioctl(me->fd, KVM_GET_XSAVE, &xs) < 0 || ioctl(c->fd, KVM_SET_XSAVE, &xs) < 0)
            return -errno;
    } else {
        struct kvm_fpu f;
        if (ioctl(me->fd, KVM_GET_FPU, &f) < 0 || ioctl(c->fd, KVM_SET_FPU, &f) < 0)
            return -errno;
    }
    c->run->kvm_dirty_regs = 0;
    c->run->immediate_exit = 0;
    return 0;
}

/* A vCPU for a new thread: a parked one, else one made now with its monitor thread. */
static struct vcpu *thread_take_vcpu(struct ukmon_vm *vm)
{
    unsigned fresh = 0;
    for (unsigned i = 1; i < vm->vcpus_max; i++) {
        struct vcpu *c = vm->vcpus[i];
        if (c && c->state == VCPU_PARKED && c->own_thread && c->fd >= 0)
            return c;
        if (!c && !fresh)
            fresh = i;
    }
    if (!fresh)
        return NULL;
    struct vcpu *c = vcpu_alloc(vm, fresh);
    if (!c)
        return NULL;
    c->state = VCPU_PARKED;
    if (kvm_create_vcpu(vm, c) < 0)
        goto fail;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0)
        goto fail;
    pthread_attr_setstacksize(&attr, THREAD_STACK_SIZE);
    int e = pthread_create(&c->thread, &attr, thread_main, c);
    pthread_attr_destroy(&attr);
    if (e != 0)
        goto fail;
    /*
     * The wait lets the lock go: another thread's clone must not take this vCPU
     * meanwhile (it would be given twice), so it counts as the pool's only after.
     */
    while (!c->tid)
        thread_cond_wait(vm);
    c->own_thread = true;
    return c;
fail:
    kvm_close_vcpu(c);
    __atomic_store_n(&vm->vcpus[fresh], NULL, __ATOMIC_RELEASE);
    free(c);
    return NULL;
}

int64_t thread_clone(struct ukmon_vm *vm, const struct thread_args *ta)
{
    struct vcpu *me = vcpu_cur(vm);
    if (thread_must_end(vm))
        return -EINTR; /* the caller is ending: its call is never seen */
    struct vcpu *c = thread_take_vcpu(vm);
    if (!c)
        return -EAGAIN;
    int r = thread_copy_state(vm, me, c, ta);
    if (r < 0)
        return -EAGAIN;
    memset(&c->call, 0, sizeof(c->call));
    c->sig = me->sig;
    c->sig.ss_sp = c->sig.ss_size = 0; /* Linux: a thread starts without an alternate stack */
    c->sig.restore_mask = false;
    c->sig.waiting = 0;
    c->exit_in_flight = c->regs_loaded = false;
    c->exited = c->must_exit = false;
    c->clear_tid = ta->clear_tid;
    c->robust_list = c->robust_len = 0;
    gsig_thread_reset(c->index);
    /* Before the thread runs, as Linux writes them. */
    int32_t tid = c->tid;
    if (ta->parent_tid)
        gmem_write(vm, ta->parent_tid, &tid, sizeof(tid));
    if (ta->child_tid)
        gmem_write(vm, ta->child_tid, &tid, sizeof(tid));
    c->state = VCPU_LIVE;
    vm->nthreads++;
    thread_wake_all(vm);
    return tid;
}

int thread_exec_begin(struct ukmon_vm *vm)
{
    struct vcpu *me = vcpu_cur(vm);
    if (thread_must_end(vm))
        return -EINTR;
    if (vm->nthreads > 1) {
        vm->exec_by = me;
        thread_kick_all(vm);
        unsigned alone = me == vm->leader ? 1 : 2;
        for (int n = 0; !vm->group_exit &&
                        (vm->nthreads > alone || (me != vm->leader && !vm->leader_parked)); n++) {
            thread_cond_wait(vm);
            if (n % 20 == 19)
                thread_kick_all(vm);
        }
        if (vm->group_exit) {
            vm->exec_by = NULL;
            thread_wake_all(vm);
            return -EINTR;
        }
        if (me != vm->leader) {
            /* The leader's vCPU takes the new program, with this thread's signal state. */
            struct vcpu *l = vm->leader;
            l->sig = me->sig;
            gsig_thread_move(me->index, l->index);
            l->exited = false;
            memset(&l->call, 0, sizeof(l->call));
            l->call = me->call;
            l->exit_in_flight = false;
            vcpu_tls = l;
        }
    }
    /* The old program's words: nothing of its memory is written at the end. */
    me->clear_tid = me->robust_list = me->robust_len = 0;
    vcpu_cur(vm)->clear_tid = vcpu_cur(vm)->robust_list = vcpu_cur(vm)->robust_len = 0;
    return 0;
}

void thread_exec_end(struct ukmon_vm *vm)
{
    struct vcpu *me = vm->exec_by;
    if (!me)
        return;
    if (me != vm->leader) {
        vcpu_tls = me; /* ends: the leader's thread runs the new program */
        me->must_exit = true;
        me->call.stop = true;
    }
    vm->exec_by = NULL;
    thread_wake_all(vm);
}

int thread_run_leader(struct ukmon_vm *vm)
{
    struct vcpu *c = vm->leader;
    vcpu_tls = c;
    c->tid = (pid_t)syscall(SYS_gettid);
    c->state = VCPU_LIVE;
    vm->nthreads = 1;
    thread_vm = vm;
    vm_lock(vm);
    int r = thread_run(vm, c);
    /* The process has ended: the pool's monitor threads go too. */
    vm->threads_quit = true;
    thread_wake_all(vm);
    vm_unlock(vm);
    for (unsigned i = 0; i < VCPUS_MAX; i++) {
        struct vcpu *p = vm->vcpus[i];
        if (p && p->own_thread) {
            pthread_join(p->thread, NULL);
            p->own_thread = false;
        }
    }
    vcpu_tls = NULL;
    return r;
}

/*
 * A forked monitor (fork(2) from the thread serving `vcpu_tls`): the others' threads
 * are not in this process, their KVM objects not usable. Their vCPUs are forgotten;
 * the forking thread's one is the leader. The lock is held, as in the parent.
 */
void thread_fork_child(struct ukmon_vm *vm)
{
    struct vcpu *me = vcpu_cur(vm);
    for (unsigned i = 0; i < VCPUS_MAX; i++) {
        struct vcpu *c = vm->vcpus[i];
        if (!c)
            continue;
        if (c->fd >= 0)
            close(c->fd);
        c->fd = -1;
        c->run = NULL;
        if (c != me) {
            vm->vcpus[i] = NULL;
            free(c);
        }
    }
    me->own_thread = false;
    me->state = VCPU_LIVE;
    me->tid = (pid_t)syscall(SYS_gettid);
    me->exited = me->must_exit = false;
    vm->leader = me;
    vm->nthreads = 1;
    vm->group_exit = vm->leader_parked = vm->threads_quit = false;
    vm->exec_by = NULL;
    /* Threads of the parent may have waited on it: a fresh one. */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&vm->threads_cond, &ca);
    pthread_condattr_destroy(&ca);
}
