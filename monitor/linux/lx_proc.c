/* lx_proc.c: Linux process calls: fork/clone/wait/exit, ids, groups, limits, prctl. */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linux/lx.h"
#include "kernel/proc.h"
#include "kernel/stats.h"
#include "kernel/thread.h"

/* clone flags this monitor knows what to do with (linux/sched.h's values). */
#define LX_CLONE_VM 0x100
#define LX_CLONE_FS 0x200
#define LX_CLONE_FILES 0x400
#define LX_CLONE_SIGHAND 0x800
#define LX_CLONE_PTRACE 0x2000
#define LX_CLONE_VFORK 0x4000
#define LX_CLONE_THREAD 0x10000
#define LX_CLONE_SETTLS 0x80000
#define LX_CLONE_PARENT_SETTID 0x100000
#define LX_CLONE_CHILD_CLEARTID 0x200000
#define LX_CLONE_UNTRACED 0x800000
#define LX_CLONE_CHILD_SETTID 0x1000000
#define LX_CLONE_SYSVSEM 0x40000
#define LX_CLONE_DETACHED 0x400000
#define LX_CLONE_IO 0x80000000ULL

/* Every thread of the process ends; the process's status is this one. */
LX_HANDLER(lx_exit_group)
{
    vm->exit.kind = UKMON_EXIT_STATUS;
    vm->exit.status = (int)(a[0] & 0xff);
    vcpu_cur(vm)->call.stop = true;
    thread_group_exit(vm);
    return 0;
}

/*
 * This thread ends; the others go on. The process ends when its last thread has
 * (kernel/thread.c): with the leader's status, as on Linux.
 */
LX_HANDLER(lx_exit)
{
    thread_exit(vm, (int)(a[0] & 0xff));
    vcpu_cur(vm)->call.stop = true;
    return 0;
}

/*
 * A thread: one more vCPU of this VM (kernel/thread.c). Linux's rules: CLONE_THREAD
 * needs CLONE_SIGHAND, which needs CLONE_VM; a thread here also shares the fd table
 * and the working directory, as every C library and Go ask (one VM has one of each).
 */
static int64_t lx_clone_thread(struct ukmon_vm *vm, uint64_t flags, uint64_t newsp,
                               uint64_t ptid, uint64_t ctid, uint64_t tls)
{
    const uint64_t known = LX_CLONE_VM | LX_CLONE_FS | LX_CLONE_FILES | LX_CLONE_SIGHAND |
                           LX_CLONE_THREAD | LX_CLONE_SYSVSEM | LX_CLONE_SETTLS |
                           LX_CLONE_PARENT_SETTID | LX_CLONE_CHILD_CLEARTID |
                           LX_CLONE_CHILD_SETTID | LX_CLONE_DETACHED | LX_CLONE_PTRACE |
                           LX_CLONE_UNTRACED | LX_CLONE_IO;
    if (!(flags & LX_CLONE_SIGHAND) || !(flags & LX_CLONE_VM) || (flags & 0xff))
        return -EINVAL; /* a thread sends no signal at its end */
    if (flags & ~known)
        return -EINVAL;
    if ((flags & (LX_CLONE_FS | LX_CLONE_FILES)) != (LX_CLONE_FS | LX_CLONE_FILES))
        return -ENOSYS;
    if ((flags & LX_CLONE_SETTLS) && (int64_t)(tls << 16) >> 16 != (int64_t)tls)
        return -EINVAL;
    lx_inguest_threads(vm, true); /* before the second thread runs (lx_inguest.c) */
    struct thread_args ta = {
        .stack = newsp,
        .set_tls = flags & LX_CLONE_SETTLS,
        .tls = tls,
        .parent_tid = (flags & LX_CLONE_PARENT_SETTID) ? ptid : 0,
        .child_tid = (flags & LX_CLONE_CHILD_SETTID) ? ctid : 0,
        .clear_tid = (flags & LX_CLONE_CHILD_CLEARTID) ? ctid : 0,
    };
    int64_t r = thread_clone(vm, &ta);
    if (r < 0 && thread_count(vm) == 1)
        lx_inguest_threads(vm, false);
    return r;
}

/*
 * fork, vfork and clone, over the one fork service. A vfork child (CLONE_VFORK) runs
 * in a VM of its own like any child; its parent is held until the child execs or
 * exits, which it learns from the end of a pipe only the child holds.
 */
static int64_t lx_do_clone(struct ukmon_vm *vm, uint64_t flags, uint64_t newsp,
                           uint64_t ptid, uint64_t ctid, uint64_t tls)
{
    if (flags & LX_CLONE_THREAD)
        return lx_clone_thread(vm, flags, newsp, ptid, ctid, tls);
    if ((flags & LX_CLONE_SIGHAND) && !(flags & LX_CLONE_VM))
        return -EINVAL;
    if (flags & (LX_CLONE_SIGHAND | LX_CLONE_FS | LX_CLONE_FILES))
        return -ENOSYS; /* sharing what separate VMs cannot share */
    if ((flags & LX_CLONE_VM) && !(flags & LX_CLONE_VFORK))
        return -ENOSYS;
    const uint64_t known = 0xff | LX_CLONE_VM | LX_CLONE_PTRACE | LX_CLONE_VFORK |
                           LX_CLONE_SETTLS | LX_CLONE_PARENT_SETTID | LX_CLONE_CHILD_CLEARTID |
                           LX_CLONE_UNTRACED | LX_CLONE_CHILD_SETTID;
    if (flags & ~known)
        return -EINVAL;
    if ((flags & LX_CLONE_SETTLS) && (int64_t)(tls << 16) >> 16 != (int64_t)tls)
        return -EINVAL;
    int vpipe[2] = {-1, -1};
    if ((flags & LX_CLONE_VFORK) && pipe2(vpipe, O_CLOEXEC) < 0)
        return -errno;
    int64_t pid;
    if (proc_fork(vm, &pid) == RUN_STOP) {
        vcpu_cur(vm)->call.stop = true;
        return 0;
    }
    if (pid < 0) {
        if (vpipe[0] >= 0) {
            close(vpipe[0]);
            close(vpipe[1]);
        }
        return pid;
    }
    if (pid > 0) {
        if (flags & LX_CLONE_PARENT_SETTID) {
            int32_t t = (int32_t)pid;
            lx_copy_out(vm, ptid, &t, sizeof(t));
        }
        if (vpipe[0] >= 0) {
            char c;
            close(vpipe[1]);
            /*
             * Held until the child execs or exits: the last write end closes. The
             * process's other threads go on meanwhile, as on Linux.
             */
            thread_block_begin(vm);
            while (read(vpipe[0], &c, 1) < 0 && errno == EINTR && !vm->stop_signal)
                ;
            thread_block_end(vm);
            close(vpipe[0]);
        }
        return pid;
    }
    /* The child. A vfork's pipe from an earlier generation is not ours to hold. */
    if (vm->lx->vfork_fd >= 0)
        close(vm->lx->vfork_fd);
    vm->lx->vfork_fd = -1;
    if (vpipe[0] >= 0) {
        close(vpipe[0]);
        vm->lx->vfork_fd = vpipe[1];
    }
    lx_inguest_forked(vm); /* its own pid and parent in the guest-side layer's page */
    int32_t self = (int32_t)getpid();
    if (flags & LX_CLONE_CHILD_SETTID)
        lx_copy_out(vm, ctid, &self, sizeof(self));
    if (flags & LX_CLONE_CHILD_CLEARTID)
        vcpu_cur(vm)->clear_tid = ctid;
    struct kvm_regs *r = vcpu_regs(vm);
    if (newsp)
        r->rsp = newsp;
    if (flags & LX_CLONE_SETTLS) {
        vcpu_sregs_mut(vm)->fs.base = tls;
        vcpu_sregs_changed(vm);
    }
    return 0;
}

LX_HANDLER(lx_fork)
{
    (void)a;
    return lx_do_clone(vm, SIGCHLD, 0, 0, 0, 0);
}

LX_HANDLER(lx_vfork)
{
    (void)a;
    return lx_do_clone(vm, LX_CLONE_VM | LX_CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
}

/* x86-64 order: flags, child stack, parent tid, child tid, tls. */
LX_HANDLER(lx_clone)
{
    return lx_do_clone(vm, a[0], a[1], a[2], a[3], a[4]);
}

/* The C libraries fall back to clone() when clone3 is missing. */
/*
 * clone3(args, size): the same calls as clone's. struct clone_args (64 bytes in its
 * first version; a larger one must be zero past what we know, as Linux checks). A
 * pidfd, a set of tids or a cgroup are not served: ENOSYS, from which the C
 * libraries fall back to clone.
 */
#define LX_CLONE_PIDFD 0x1000
#define LX_CLONE_INTO_CGROUP 0x200000000ULL
#define LX_CLONE_CLEAR_SIGHAND 0x100000000ULL
LX_HANDLER(lx_clone3)
{
    struct {
        uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
            set_tid, set_tid_size, cgroup;
    } ca;
    memset(&ca, 0, sizeof(ca));
    uint64_t size = a[1];
    if (size < 64 || size > 4096)
        return -EINVAL;
    if (lx_copy_in(vm, &ca, a[0], size < sizeof(ca) ? size : sizeof(ca)) < 0)
        return -EFAULT;
    for (uint64_t off = sizeof(ca); off < size; off += 8) {
        uint64_t rest = 0;
        if (lx_copy_in(vm, &rest, a[0] + off, size - off < 8 ? size - off : 8) < 0)
            return -EFAULT;
        if (rest)
            return -E2BIG;
    }
    if (ca.flags & (LX_CLONE_PIDFD | LX_CLONE_INTO_CGROUP | LX_CLONE_CLEAR_SIGHAND) ||
        ca.set_tid || ca.set_tid_size)
        return -ENOSYS;
    if ((ca.flags & 0xffULL) || ca.exit_signal > UKMON_NSIG ||
        ((ca.flags & LX_CLONE_THREAD) && ca.exit_signal))
        return -EINVAL; /* the signal is exit_signal's, not in the flags */
    if ((ca.stack == 0) != (ca.stack_size == 0) || ca.stack + ca.stack_size < ca.stack)
        return -EINVAL;
    uint64_t sp = ca.stack ? ca.stack + ca.stack_size : 0; /* the top: it grows down */
    return lx_do_clone(vm, ca.flags | ca.exit_signal, sp, ca.parent_tid, ca.child_tid, ca.tls);
}

/* A vfork child that execs or exits lets its parent go on. */
void lx_vfork_release(struct ukmon_vm *vm)
{
    if (vm->lx && vm->lx->vfork_fd >= 0) {
        close(vm->lx->vfork_fd);
        vm->lx->vfork_fd = -1;
    }
}

#define LX_WNOHANG 1
#define LX_WUNTRACED 2
#define LX_WCONTINUED 8
#define LX_WALL 0x40000000
#define LX_WCLONE 0x80000000
#define LX_WNOTHREAD 0x20000000

LX_HANDLER(lx_wait4)
{
    int64_t pid = (int32_t)a[0];
    uint64_t opts = a[2];
    if (opts & ~(uint64_t)(LX_WNOHANG | LX_WUNTRACED | LX_WCONTINUED | LX_WALL | LX_WCLONE |
                           LX_WNOTHREAD))
        return -EINVAL;
    int st = 0;
    int64_t r = proc_wait(vm, pid, (int)(opts & (LX_WNOHANG | LX_WUNTRACED | LX_WCONTINUED)),
                          &st);
    if (r > 0) {
        int32_t s32 = st;
        if (a[1] && lx_copy_out(vm, a[1], &s32, sizeof(s32)) < 0)
            return -EFAULT;
        if (a[3]) {
            struct rusage ru;
            memset(&ru, 0, sizeof(ru));
            if (lx_copy_out(vm, a[3], &ru, sizeof(ru)) < 0)
                return -EFAULT;
        }
    }
    return r;
}

#define LX_P_ALL 0
#define LX_P_PID 1
#define LX_P_PGID 2
#define LX_WEXITED 4
#define LX_WNOWAIT 0x1000000

LX_HANDLER(lx_waitid)
{
    uint64_t type = a[0], id = a[1], opts = a[3];
    if (!(opts & LX_WEXITED) ||
        (opts & ~(uint64_t)(LX_WNOHANG | LX_WEXITED | LX_WCONTINUED | LX_WUNTRACED | LX_WALL |
                            LX_WCLONE | LX_WNOTHREAD | LX_WNOWAIT)))
        return -EINVAL;
    int64_t pid;
    switch (type) {
    case LX_P_ALL: pid = -1; break;
    case LX_P_PID: pid = (int32_t)id; if (pid <= 0) return -EINVAL; break;
    case LX_P_PGID: pid = id ? -(int64_t)(int32_t)id : 0; break;
    default: return -EINVAL;
    }
    int st = 0;
    int64_t r = proc_wait(vm, pid, (int)(opts & (LX_WNOHANG | LX_WCONTINUED)) |
                          ((opts & LX_WUNTRACED) ? WUNTRACED : 0) |
                          ((opts & LX_WNOWAIT) ? WNOWAIT : 0), &st);
    if (r < 0)
        return r;
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    if (r > 0) {
        si.si_signo = SIGCHLD;
        si.si_pid = (pid_t)r;
        si.si_uid = getuid();
        if (WIFEXITED(st)) {
            si.si_code = CLD_EXITED;
            si.si_status = WEXITSTATUS(st);
        } else if (WIFSTOPPED(st)) {
            si.si_code = CLD_STOPPED;
            si.si_status = WSTOPSIG(st);
        } else if (WIFCONTINUED(st)) {
            si.si_code = CLD_CONTINUED;
            si.si_status = SIGCONT;
        } else {
            si.si_code = WCOREDUMP(st) ? CLD_DUMPED : CLD_KILLED;
            si.si_status = WTERMSIG(st);
        }
    }
    if (a[2] && lx_copy_out(vm, a[2], &si, sizeof(si)) < 0)
        return -EFAULT;
    return 0;
}

LX_HANDLER(lx_getpid)
{
    (void)vm;
    (void)a;
    return getpid();
}

/* The host tid of the monitor thread that serves this vCPU: the leader's is the pid. */
LX_HANDLER(lx_gettid)
{
    (void)a;
    return vcpu_cur(vm)->tid;
}

LX_HANDLER(lx_getppid)
{
    (void)vm;
    (void)a;
    return getppid();
}

LX_HANDLER(lx_set_tid_address)
{
    vcpu_cur(vm)->clear_tid = a[0];
    return vcpu_cur(vm)->tid;
}

LX_HANDLER(lx_set_robust_list)
{
    if (a[1] != 24) /* sizeof(struct robust_list_head) */
        return -EINVAL;
    vcpu_cur(vm)->robust_list = a[0];
    vcpu_cur(vm)->robust_len = a[1];
    return 0;
}

/* get_robust_list: of the caller (pid 0) or of another thread of this process. */
LX_HANDLER(lx_get_robust_list)
{
    int32_t tid = (int32_t)a[0];
    struct vcpu *c = tid == 0 ? vcpu_cur(vm) : thread_find(vm, tid);
    if (!c)
        return -ESRCH; /* another process's: not ours to show */
    uint64_t head = c->robust_list, len = c->robust_len ? c->robust_len : 24;
    if (lx_copy_out(vm, a[1], &head, sizeof(head)) < 0 ||
        lx_copy_out(vm, a[2], &len, sizeof(len)) < 0)
        return -EFAULT;
    return 0;
}

/* getuid and friends: the host's ids, which is who the program runs as. */
LX_HANDLER(lx_getuid) { (void)vm; (void)a; return getuid(); }
LX_HANDLER(lx_geteuid) { (void)vm; (void)a; return geteuid(); }
LX_HANDLER(lx_getgid) { (void)vm; (void)a; return getgid(); }
LX_HANDLER(lx_getegid) { (void)vm; (void)a; return getegid(); }

static int64_t lx_put_ids(struct ukmon_vm *vm, const uint64_t a[6], uint32_t r, uint32_t e)
{
    uint32_t v[3] = {r, e, r}; /* real, effective, saved */
    for (int i = 0; i < 3; i++)
        if (lx_copy_out(vm, a[i], &v[i], sizeof(v[i])) < 0)
            return -EFAULT;
    return 0;
}

LX_HANDLER(lx_getresuid)
{
    return lx_put_ids(vm, a, getuid(), geteuid());
}

LX_HANDLER(lx_getresgid)
{
    return lx_put_ids(vm, a, getgid(), getegid());
}

/*
 * The set*id calls, in the model of the owners (README, "Owners and set-id bits"): to
 * the ids the process has (or -1), they succeed; to others they succeed and change
 * nothing when the guest is root (ukmon run by root: nginx's master gives its workers
 * to nobody), and are EPERM otherwise. Nothing here ever changes the host process's
 * ids: a guest's own privilege separation is not the sandbox's, which confines the
 * tree as a whole.
 */
static int64_t lx_set_ids(const uint64_t a[6], unsigned n, uint32_t id, uint32_t eid)
{
    if (geteuid() == 0)
        return 0;
    for (unsigned i = 0; i < n; i++)
        if ((uint32_t)a[i] != (uint32_t)-1 && ((uint32_t)a[i] != id || id != eid))
            return -EPERM;
    return 0;
}

LX_HANDLER(lx_setuid)
{
    (void)vm;
    return (uint32_t)a[0] == (uint32_t)-1 ? -EINVAL : lx_set_ids(a, 1, getuid(), geteuid());
}

LX_HANDLER(lx_setgid)
{
    (void)vm;
    return (uint32_t)a[0] == (uint32_t)-1 ? -EINVAL : lx_set_ids(a, 1, getgid(), getegid());
}

LX_HANDLER(lx_setresuid)
{
    (void)vm;
    return lx_set_ids(a, 3, getuid(), geteuid());
}

LX_HANDLER(lx_setresgid)
{
    (void)vm;
    return lx_set_ids(a, 3, getgid(), getegid());
}

LX_HANDLER(lx_setreuid)
{
    (void)vm;
    return lx_set_ids(a, 2, getuid(), geteuid());
}

LX_HANDLER(lx_setregid)
{
    (void)vm;
    return lx_set_ids(a, 2, getgid(), getegid());
}

/* Supplementary groups: none, and root's initgroups() succeeds changing nothing. */
LX_HANDLER(lx_setgroups)
{
    (void)vm;
    if (a[0] > 65536)
        return -EINVAL;
    return geteuid() == 0 || a[0] == 0 ? 0 : -EPERM;
}

LX_HANDLER(lx_getgroups)
{
    (void)vm;
    (void)a;
    return 0; /* no supplementary groups */
}

/* Whether `pid` is a VM of this tree (0 means the caller). */
bool lx_in_tree(struct ukmon_vm *vm, int64_t pid)
{
    return pid == 0 || pid == getpid() || proc_tree_has(vm, (pid_t)pid);
}

/*
 * Process groups and sessions are the host's: each VM is a host process, so a guest
 * shell's job control is the host kernel's own, terminal included. Only VMs of this
 * tree can be named.
 */
LX_HANDLER(lx_setpgid)
{
    int64_t pid = (int32_t)a[0], pgid = (int32_t)a[1];
    if (pid < 0 || pgid < 0)
        return -EINVAL;
    if (!lx_in_tree(vm, pid))
        return -ESRCH;
    if (pgid && pgid != pid && pgid != getpid() && !proc_tree_has(vm, (pid_t)pgid) &&
        pgid != getpgid(0))
        return -EPERM;
    return setpgid((pid_t)pid, (pid_t)pgid) < 0 ? -errno : 0;
}

LX_HANDLER(lx_getpgid)
{
    int64_t pid = (int32_t)a[0];
    if (!lx_in_tree(vm, pid))
        return -ESRCH;
    pid_t r = getpgid((pid_t)pid);
    return r < 0 ? -errno : r;
}

LX_HANDLER(lx_getpgrp)
{
    (void)vm;
    (void)a;
    return getpgid(0);
}

LX_HANDLER(lx_getsid)
{
    int64_t pid = (int32_t)a[0];
    if (!lx_in_tree(vm, pid))
        return -ESRCH;
    pid_t r = getsid((pid_t)pid);
    return r < 0 ? -errno : r;
}

LX_HANDLER(lx_setsid)
{
    (void)vm;
    (void)a;
    pid_t r = setsid();
    return r < 0 ? -errno : r;
}

#define LX_ARCH_SET_GS 0x1001
#define LX_ARCH_SET_FS 0x1002
#define LX_ARCH_GET_FS 0x1003
#define LX_ARCH_GET_GS 0x1004

/* The thread pointer: the guest cannot write FS/GS bases at CPL3 (no FSGSBASE). */
LX_HANDLER(lx_arch_prctl)
{
    struct kvm_sregs *sr = vcpu_sregs_mut(vm);
    uint64_t v = a[1];
    switch (a[0]) {
    case LX_ARCH_SET_FS:
    case LX_ARCH_SET_GS:
        if ((int64_t)(v << 16) >> 16 != (int64_t)v)
            return -EPERM; /* a non-canonical base would fail the next VM entry */
        if (a[0] == LX_ARCH_SET_FS)
            sr->fs.base = v;
        else
            sr->gs.base = v;
        vcpu_sregs_changed(vm);
        return 0;
    case LX_ARCH_GET_FS:
        return lx_copy_out(vm, v, &sr->fs.base, 8);
    case LX_ARCH_GET_GS:
        return lx_copy_out(vm, v, &sr->gs.base, 8);
    default:
        return -EINVAL;
    }
}

LX_HANDLER(lx_prctl)
{
    char name[16];
    switch (a[0]) {
    case PR_SET_NAME:
        if (lx_copy_string(vm, a[1], name, sizeof(name)) == -EFAULT)
            return -EFAULT;
        name[15] = 0;
        memcpy(vm->comm, name, sizeof(name));
        pinfo_publish(vm); /* the tree's ps shows it */
        return 0;
    case PR_GET_NAME:
        return lx_copy_out(vm, a[1], vm->comm, sizeof(vm->comm));
    case PR_SET_PDEATHSIG:
        return a[1] <= UKMON_NSIG ? 0 : -EINVAL;
    case PR_GET_PDEATHSIG: {
        int32_t zero = 0;
        return lx_copy_out(vm, a[1], &zero, sizeof(zero));
    }
    case PR_GET_DUMPABLE:
        return 1;
    case PR_SET_DUMPABLE:
    case PR_SET_NO_NEW_PRIVS:
    case PR_SET_KEEPCAPS:
        return 0;
    case PR_GET_NO_NEW_PRIVS:
        return 1;
    case PR_CAPBSET_READ:
        return 0;
    case PR_GET_SECCOMP:
        return 0;
    default:
        return -EINVAL;
    }
}

/* What uname(2) tells a guest: the host's, named Linux on x86_64 whatever it runs on. */
int lx_utsname(struct utsname *u)
{
    if (uname(u) < 0)
        return -errno;
    snprintf(u->sysname, sizeof(u->sysname), "Linux");
    snprintf(u->machine, sizeof(u->machine), "x86_64");
    return 0;
}

LX_HANDLER(lx_uname)
{
    struct utsname u;
    int r = lx_utsname(&u);
    return r < 0 ? r : lx_copy_out(vm, a[0], &u, sizeof(u));
}

LX_HANDLER(lx_sysinfo)
{
    /* Memory is the VM's own, as /proc/meminfo says; the load is the host's; procs the tree's. */
    struct sysinfo host, si;
    memset(&host, 0, sizeof(host));
    memset(&si, 0, sizeof(si));
    sysinfo(&host);
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    si.uptime = ts.tv_sec;
    memcpy(si.loads, host.loads, sizeof(si.loads));
    uint64_t used = vm->as.mapped_pages * PAGE_SIZE_4K;
    si.totalram = vm->mem_size;
    si.freeram = used < vm->mem_size ? vm->mem_size - used : 0;
    static pid_t pids[UKMON_MAX_PROCS_LIMIT];
    si.procs = (unsigned short)proc_tree_pids(vm, pids, UKMON_MAX_PROCS_LIMIT);
    si.mem_unit = 1;
    return lx_copy_out(vm, a[0], &si, sizeof(si));
}

/* The limits a guest sees: its memory, its fd table, its stack; the rest unlimited. */
static struct rlimit lx_rlimit_default(struct ukmon_vm *vm, unsigned res)
{
    struct rlimit r = {RLIM_INFINITY, RLIM_INFINITY};
    switch (res) {
    case RLIMIT_STACK: r.rlim_cur = vm->as.stack_top - vm->as.stack_lo; break;
    case RLIMIT_NOFILE: r.rlim_cur = r.rlim_max = FDT_MAX; break;
    case RLIMIT_AS: case RLIMIT_DATA: r.rlim_cur = r.rlim_max = vm->mem_size; break;
    case RLIMIT_NPROC: r.rlim_cur = r.rlim_max = vm->cfg.max_procs; break;
    case RLIMIT_CORE: r.rlim_cur = r.rlim_max = 0; break;
    case RLIMIT_NICE: r.rlim_cur = r.rlim_max = 0; break; /* no raising of priority */
    default: break;
    }
    return r;
}

/* A limit as prlimit64 reads it: set by the guest, else the default. */
struct rlimit lx_rlimit(struct ukmon_vm *vm, unsigned res)
{
    return vm->lx->limits_set & (1u << res) ? vm->lx->limits[res] : lx_rlimit_default(vm, res);
}

LX_HANDLER(lx_prlimit64)
{
    int64_t pid = (int32_t)a[0];
    unsigned res = (unsigned)a[1];
    if (pid != 0 && pid != getpid())
        return lx_in_tree(vm, pid) ? -EPERM : -ESRCH;
    if (res >= RLIM_NLIMITS)
        return -EINVAL;
    struct rlimit cur = lx_rlimit(vm, res);
    if (a[2]) {
        struct rlimit nl;
        if (lx_copy_in(vm, &nl, a[2], sizeof(nl)) < 0)
            return -EFAULT;
        if (nl.rlim_cur > nl.rlim_max)
            return -EINVAL;
        if (nl.rlim_max > cur.rlim_max)
            return -EPERM;
        vm->lx->limits[res] = nl;
        vm->lx->limits_set |= 1u << res;
        lx_inguest_limits(vm);
    }
    if (a[3] && lx_copy_out(vm, a[3], &cur, sizeof(cur)) < 0)
        return -EFAULT;
    return 0;
}

LX_HANDLER(lx_getrlimit)
{
    const uint64_t b[6] = {0, a[0], 0, a[1], 0, 0};
    return lx_prlimit64(vm, b);
}

LX_HANDLER(lx_setrlimit)
{
    const uint64_t b[6] = {0, a[0], a[1], 0, 0, 0};
    return lx_prlimit64(vm, b);
}

LX_HANDLER(lx_getrusage)
{
    int who = (int)a[0];
    if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN && who != RUSAGE_THREAD)
        return -EINVAL;
    struct rusage ru;
    if (getrusage(who, &ru) < 0)
        return -errno;
    return lx_copy_out(vm, a[1], &ru, sizeof(ru));
}

LX_HANDLER(lx_times)
{
    struct tms t;
    clock_t c = times(&t);
    if (a[0] && lx_copy_out(vm, a[0], &t, sizeof(t)) < 0)
        return -EFAULT;
    return c;
}

LX_HANDLER(lx_umask)
{
    unsigned old = vm->fs.umask;
    vm->fs.umask = (unsigned)a[0] & 0777;
    return old;
}

LX_HANDLER(lx_sched_yield)
{
    (void)vm;
    (void)a;
    sched_yield();
    return 0;
}

/*
 * Priorities and CPUs are the host's: each VM is a process, its nice value and its
 * CPU affinity are its monitor's. Within the tree only (another pid is ESRCH, as for
 * a process outside a pid namespace). As an unprivileged process in a container, a
 * program may raise the nice value of itself or of a sibling but not lower it below
 * what RLIMIT_NICE allows (by default not at all: EACCES). A VM changes only itself:
 * a change asked of another reaches it at its next exit (kernel/proc_info.c).
 */
#define LX_PRIO_PROCESS 0
#define LX_PRIO_PGRP 1
#define LX_PRIO_USER 2

/* The tree's VMs that getpriority's `which` and `who` name: how many, or -EINVAL. */
static int lx_prio_targets(struct ukmon_vm *vm, uint64_t which, int64_t who, pid_t *out,
                           unsigned max)
{
    static pid_t all[UKMON_MAX_PROCS_LIMIT];
    unsigned n = proc_tree_pids(vm, all, UKMON_MAX_PROCS_LIMIT), k = 0;
    switch (which) {
    case LX_PRIO_PROCESS:
        if (who == 0 || who == getpid())
            out[k++] = getpid();
        else if (who > 0 && proc_tree_has(vm, (pid_t)who))
            out[k++] = (pid_t)who;
        return (int)k;
    case LX_PRIO_PGRP: {
        pid_t g = who ? (pid_t)who : getpgid(0);
        for (unsigned i = 0; i < n && k < max; i++)
            if (who >= 0 && getpgid(all[i]) == g)
                out[k++] = all[i];
        return (int)k;
    }
    case LX_PRIO_USER:
        if (who != 0 && who != (int64_t)getuid())
            return 0; /* every VM of the tree runs as the user ukmon runs as */
        for (unsigned i = 0; i < n && k < max; i++)
            out[k++] = all[i];
        return (int)k;
    default:
        return -EINVAL;
    }
}

/* A VM's nice value: its own, or one asked of it that it has not applied yet. */
static int lx_nice_of(struct ukmon_vm *vm, pid_t pid)
{
    int asked;
    if (pid != getpid() && (pinfo_pending(vm, pid, &asked, NULL) & PINFO_REQ_NICE))
        return asked;
    long r = syscall(SYS_getpriority, PRIO_PROCESS, pid == getpid() ? 0 : pid);
    return r < 0 ? 0 : 20 - (int)r; /* the system call's 40..1 for nice -20..19 */
}

/* The system call's answer: 20 - the lowest nice value among them (glibc turns it back). */
LX_HANDLER(lx_getpriority)
{
    static pid_t t[UKMON_MAX_PROCS_LIMIT];
    int n = lx_prio_targets(vm, a[0], (int32_t)a[1], t, UKMON_MAX_PROCS_LIMIT);
    if (n <= 0)
        return n < 0 ? n : -ESRCH;
    int best = 19;
    for (int i = 0; i < n; i++) {
        int v = lx_nice_of(vm, t[i]);
        best = v < best ? v : best;
    }
    return 20 - best;
}

LX_HANDLER(lx_setpriority)
{
    static pid_t t[UKMON_MAX_PROCS_LIMIT];
    int n = lx_prio_targets(vm, a[0], (int32_t)a[1], t, UKMON_MAX_PROCS_LIMIT);
    if (n < 0)
        return n;
    int nice = (int32_t)a[2];
    nice = nice < -20 ? -20 : nice > 19 ? 19 : nice;
    struct rlimit rl = lx_rlimit(vm, RLIMIT_NICE);
    bool may_lower = rl.rlim_cur == RLIM_INFINITY || (uint64_t)(20 - nice) <= rl.rlim_cur;
    int64_t err = -ESRCH;
    for (int i = 0; i < n; i++) {
        if (nice < lx_nice_of(vm, t[i]) && !may_lower) {
            err = -EACCES;
            continue;
        }
        if (err == -ESRCH)
            err = 0;
        if (t[i] == getpid()) {
            if (syscall(SYS_setpriority, PRIO_PROCESS, 0, nice) < 0)
                err = -errno;
        } else {
            pinfo_request(vm, t[i], PINFO_REQ_NICE, nice, NULL);
        }
    }
    return err;
}

/* The CPUs a VM may run on: its monitor's host affinity, or what was asked of it. */
LX_HANDLER(lx_sched_getaffinity)
{
    int64_t pid = (int32_t)a[0];
    if (!lx_in_tree(vm, pid))
        return -ESRCH;
    uint64_t mask[PINFO_CPU_WORDS];
    memset(mask, 0, sizeof(mask));
    bool self = pid == 0 || pid == getpid();
    /* The host checks the size and answers how much of its mask it gave, as for the guest. */
    size_t len = a[1] < sizeof(mask) ? (size_t)a[1] : sizeof(mask);
    long n = syscall(SYS_sched_getaffinity, self ? 0 : (pid_t)pid, len, mask);
    if (n < 0)
        return -errno;
    if (!self)
        pinfo_pending(vm, (pid_t)pid, NULL, mask);
    return lx_copy_out(vm, a[2], mask, (size_t)n) < 0 ? -EFAULT : n;
}

LX_HANDLER(lx_sched_setaffinity)
{
    int64_t pid = (int32_t)a[0];
    if (!lx_in_tree(vm, pid))
        return -ESRCH;
    uint64_t mask[PINFO_CPU_WORDS], allowed[PINFO_CPU_WORDS];
    memset(mask, 0, sizeof(mask));
    memset(allowed, 0, sizeof(allowed));
    size_t len = a[1] < sizeof(mask) ? (size_t)a[1] : sizeof(mask);
    if (len && lx_copy_in(vm, mask, a[2], len) < 0)
        return -EFAULT;
    if (pid == 0 || pid == getpid())
        return syscall(SYS_sched_setaffinity, 0, sizeof(mask), mask) < 0 ? -errno : 0;
    /* Another VM: only CPUs this one may use too (the same cpuset), some of them. */
    if (syscall(SYS_sched_getaffinity, 0, sizeof(allowed), allowed) < 0)
        return -errno;
    bool any = false;
    for (int i = 0; i < PINFO_CPU_WORDS; i++)
        any = any || (mask[i] & allowed[i]);
    if (!any)
        return -EINVAL;
    for (int i = 0; i < PINFO_CPU_WORDS; i++)
        mask[i] &= allowed[i];
    return pinfo_request(vm, (pid_t)pid, PINFO_REQ_CPUS, 0, mask);
}

/* Every VM runs under SCHED_OTHER, priority 0: what a container's process gets. */
LX_HANDLER(lx_sched_getscheduler)
{
    return lx_in_tree(vm, (int32_t)a[0]) ? 0 : (int32_t)a[0] < 0 ? -EINVAL : -ESRCH;
}

LX_HANDLER(lx_sched_getparam)
{
    if ((int32_t)a[0] < 0 || !a[1])
        return -EINVAL;
    if (!lx_in_tree(vm, (int32_t)a[0]))
        return -ESRCH;
    int32_t prio = 0;
    return lx_copy_out(vm, a[1], &prio, sizeof(prio));
}

/* SCHED_FIFO and SCHED_RR: 1..99; SCHED_OTHER, _BATCH, _IDLE: 0. */
LX_HANDLER(lx_sched_get_priority_max)
{
    (void)vm;
    return a[0] == 1 || a[0] == 2 ? 99 : a[0] == 0 || a[0] == 3 || a[0] == 5 ? 0 : -EINVAL;
}

LX_HANDLER(lx_sched_get_priority_min)
{
    (void)vm;
    return a[0] == 1 || a[0] == 2 ? 1 : a[0] == 0 || a[0] == 3 || a[0] == 5 ? 0 : -EINVAL;
}

LX_HANDLER(lx_getcpu)
{
    uint32_t zero = 0;
    if ((a[0] && lx_copy_out(vm, a[0], &zero, 4) < 0) ||
        (a[1] && lx_copy_out(vm, a[1], &zero, 4) < 0))
        return -EFAULT;
    return 0;
}

LX_HANDLER(lx_getrandom)
{
    if (a[2] & ~(uint64_t)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
        return -EINVAL;
    uint64_t len = a[1] > 0x1ffffff ? 0x1ffffff : a[1]; /* Linux's per-call cap */
    void *p = gmem_io_ptr(vm, a[0], len, true);
    if (!p)
        return -EFAULT;
    ssize_t n = getrandom(p, len, (unsigned)a[2]); /* the kernel's copy: EFAULT, no fault */
    return n < 0 ? -errno : n;
}

/*
 * futex for processes of one thread (kernel/futex.c): waits sleep until a wake from
 * another process sharing the memory, their timeout or a signal; wakes, requeues and
 * WAKE_OP are the host's on the guest's words. PI futexes are ENOSYS.
 */
LX_HANDLER(lx_futex)
{
    uint64_t uaddr = a[0], uaddr2 = a[4];
    int op = (int)a[1], cmd = op & FUTEX_CMD_MASK;
    uint32_t val = (uint32_t)a[2], val3 = (uint32_t)a[5];
    bool private = op & FUTEX_PRIVATE_FLAG, realtime = op & FUTEX_CLOCK_REALTIME;
    if (realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET)
        return -ENOSYS;
    switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
        uint32_t bitset = cmd == FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : val3;
        if (!bitset)
            return -EINVAL;
        clockid_t clk = realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC;
        struct timespec t, *deadline = NULL;
        if (a[3]) {
            if (lx_copy_in(vm, &t, a[3], sizeof(t)) < 0)
                return -EFAULT;
            if (t.tv_sec < 0 || t.tv_nsec < 0 || t.tv_nsec >= 1000000000)
                return -EINVAL;
            if (cmd == FUTEX_WAIT) { /* relative: from now, on its clock */
                struct timespec now;
                clock_gettime(clk, &now);
                t.tv_nsec += now.tv_nsec;
                int64_t carry = t.tv_nsec >= 1000000000;
                t.tv_nsec -= carry ? 1000000000 : 0;
                if (__builtin_add_overflow(t.tv_sec, now.tv_sec + carry, &t.tv_sec))
                    t.tv_sec = INT64_MAX / 2; /* for ever, as good as */
            }
            deadline = &t;
        }
        return futex_wait(vm, uaddr, val, private, bitset, deadline, clk);
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
        if (cmd == FUTEX_WAKE_BITSET && !val3)
            return -EINVAL;
        return futex_wake(vm, op, uaddr, val, 0, 0, val3);
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
    case FUTEX_WAKE_OP: /* val2, a count, comes in the timeout's register */
        return futex_wake(vm, op, uaddr, val, (uint32_t)a[3], uaddr2, val3);
    default:
        return -ENOSYS;
    }
}
