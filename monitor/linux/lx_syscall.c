/* lx_syscall.c: from the SYSCALL stub's exit to a handler, and back to the program. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "kernel/proc.h"
#include "kernel/sig.h"
#include "kernel/stats.h"
#include "linux/lx.h"
#include "sysnames.h"
#include "profile.h"

/*
 * The table is the only place a system-call number appears. Argument letters for
 * --trace are explained in lx_trace.c. Numbers without an entry get ENOSYS, counted
 * by --stats and named by --trace.
 */
static const struct lx_syscall lx_table[] = {
    [SYS_read] = {"read", lx_read, "fBu", 0},
    [SYS_write] = {"write", lx_write, "fbu", 0},
    [SYS_open] = {"open", lx_open, "sOo", 0},
    [SYS_close] = {"close", lx_close, "f", 0},
    [SYS_stat] = {"stat", lx_stat, "sp", 0},
    [SYS_fstat] = {"fstat", lx_fstat, "fp", 0},
    [SYS_lstat] = {"lstat", lx_lstat, "sp", 0},
    [SYS_poll] = {"poll", lx_poll, "pud", 0},
    [SYS_lseek] = {"lseek", lx_lseek, "fld", 0},
    [SYS_mmap] = {"mmap", lx_mmap, "puPMfx", 'x'},
    [SYS_mprotect] = {"mprotect", lx_mprotect, "puP", 0},
    [SYS_munmap] = {"munmap", lx_munmap, "pu", 0},
    [SYS_brk] = {"brk", lx_brk, "p", 'x'},
    [SYS_rt_sigaction] = {"rt_sigaction", lx_rt_sigaction, "Sppu", 0},
    [SYS_rt_sigprocmask] = {"rt_sigprocmask", lx_rt_sigprocmask, "Hppu", 0},
    [SYS_rt_sigreturn] = {"rt_sigreturn", lx_rt_sigreturn, "", 'n'},
    [SYS_ioctl] = {"ioctl", lx_ioctl, "fIp", 0},
    [SYS_pread64] = {"pread64", lx_pread64, "fBud", 0},
    [SYS_pwrite64] = {"pwrite64", lx_pwrite64, "fbud", 0},
    [SYS_readv] = {"readv", lx_readv, "fpu", 0},
    [SYS_writev] = {"writev", lx_writev, "fpu", 0},
    [SYS_access] = {"access", lx_access, "sd", 0},
    [SYS_pipe] = {"pipe", lx_pipe, "E", 0},
    [SYS_select] = {"select", lx_select, "dpppp", 0},
    [SYS_sched_yield] = {"sched_yield", lx_sched_yield, "", 0},
    [SYS_mremap] = {"mremap", lx_mremap, "puuxp", 'x'},
    [SYS_madvise] = {"madvise", lx_madvise, "pud", 0},
    [SYS_shmget] = {"shmget", lx_shmget, "dux", 0},
    [SYS_shmat] = {"shmat", lx_shmat, "dpx", 'x'},
    [SYS_shmctl] = {"shmctl", lx_shmctl, "ddp", 0},
    [SYS_shmdt] = {"shmdt", lx_shmdt, "p", 0},
    [SYS_dup] = {"dup", lx_dup, "f", 0},
    [SYS_dup2] = {"dup2", lx_dup2, "ff", 0},
    [SYS_pause] = {"pause", lx_pause, "", 0},
    [SYS_nanosleep] = {"nanosleep", lx_nanosleep, "pp", 0},
    [SYS_getitimer] = {"getitimer", lx_getitimer, "dp", 0},
    [SYS_alarm] = {"alarm", lx_alarm, "u", 0},
    [SYS_setitimer] = {"setitimer", lx_setitimer, "dpp", 0},
    [SYS_getpid] = {"getpid", lx_getpid, "", 0},
    [SYS_clone] = {"clone", lx_clone, "Cpppp", 0},
    [SYS_fork] = {"fork", lx_fork, "", 0},
    [SYS_vfork] = {"vfork", lx_vfork, "", 0},
    [SYS_execve] = {"execve", lx_execve, "sVV", 0},
    [SYS_exit] = {"exit", lx_exit, "d", 'n'},
    [SYS_wait4] = {"wait4", lx_wait4, "dpWp", 0},
    [SYS_kill] = {"kill", lx_kill, "dS", 0},
    [SYS_uname] = {"uname", lx_uname, "p", 0},
    [SYS_fcntl] = {"fcntl", lx_fcntl, "fFx", 0},
    [SYS_getcwd] = {"getcwd", lx_getcwd, "pu", 0},
    [SYS_chdir] = {"chdir", lx_chdir, "s", 0},
    [SYS_readlink] = {"readlink", lx_readlink, "spu", 0},
    [SYS_umask] = {"umask", lx_umask, "o", 0},
    [SYS_gettimeofday] = {"gettimeofday", lx_gettimeofday, "pp", 0},
    [SYS_getrlimit] = {"getrlimit", lx_getrlimit, "Rp", 0},
    [SYS_getrusage] = {"getrusage", lx_getrusage, "dp", 0},
    [SYS_sysinfo] = {"sysinfo", lx_sysinfo, "p", 0},
    [SYS_times] = {"times", lx_times, "p", 0},
    [SYS_getuid] = {"getuid", lx_getuid, "", 0},
    [SYS_getgid] = {"getgid", lx_getgid, "", 0},
    [SYS_setuid] = {"setuid", lx_setuid, "d", 0},
    [SYS_setgid] = {"setgid", lx_setgid, "d", 0},
    [SYS_setresuid] = {"setresuid", lx_setresuid, "ddd", 0},
    [SYS_setresgid] = {"setresgid", lx_setresgid, "ddd", 0},
    [SYS_setreuid] = {"setreuid", lx_setreuid, "dd", 0},
    [SYS_setregid] = {"setregid", lx_setregid, "dd", 0},
    [SYS_setgroups] = {"setgroups", lx_setgroups, "dp", 0},
    [SYS_geteuid] = {"geteuid", lx_geteuid, "", 0},
    [SYS_getegid] = {"getegid", lx_getegid, "", 0},
    [SYS_setpgid] = {"setpgid", lx_setpgid, "dd", 0},
    [SYS_getppid] = {"getppid", lx_getppid, "", 0},
    [SYS_getpgrp] = {"getpgrp", lx_getpgrp, "", 0},
    [SYS_setsid] = {"setsid", lx_setsid, "", 0},
    [SYS_getgroups] = {"getgroups", lx_getgroups, "dp", 0},
    [SYS_getresuid] = {"getresuid", lx_getresuid, "ppp", 0},
    [SYS_getresgid] = {"getresgid", lx_getresgid, "ppp", 0},
    [SYS_getpgid] = {"getpgid", lx_getpgid, "d", 0},
    [SYS_getsid] = {"getsid", lx_getsid, "d", 0},
    [SYS_rt_sigpending] = {"rt_sigpending", lx_rt_sigpending, "pu", 0},
    [SYS_rt_sigtimedwait] = {"rt_sigtimedwait", lx_rt_sigtimedwait, "pppu", 0},
    [SYS_rt_sigsuspend] = {"rt_sigsuspend", lx_rt_sigsuspend, "pu", 0},
    [SYS_sigaltstack] = {"sigaltstack", lx_sigaltstack, "pp", 0},
    [SYS_arch_prctl] = {"arch_prctl", lx_arch_prctl, "Ap", 0},
    [SYS_setrlimit] = {"setrlimit", lx_setrlimit, "Rp", 0},
    [SYS_prctl] = {"prctl", lx_prctl, "dxxxx", 0},
    [SYS_gettid] = {"gettid", lx_gettid, "", 0},
    [SYS_tkill] = {"tkill", lx_tkill, "dS", 0},
    [SYS_time] = {"time", lx_time, "p", 0},
    [SYS_sched_getaffinity] = {"sched_getaffinity", lx_sched_getaffinity, "dup", 0},
    [SYS_sched_setaffinity] = {"sched_setaffinity", lx_sched_setaffinity, "dup", 0},
    [SYS_sched_getscheduler] = {"sched_getscheduler", lx_sched_getscheduler, "d", 0},
    [SYS_sched_getparam] = {"sched_getparam", lx_sched_getparam, "dp", 0},
    [SYS_sched_get_priority_max] = {"sched_get_priority_max", lx_sched_get_priority_max, "d", 0},
    [SYS_sched_get_priority_min] = {"sched_get_priority_min", lx_sched_get_priority_min, "d", 0},
    [SYS_getpriority] = {"getpriority", lx_getpriority, "dd", 0},
    [SYS_setpriority] = {"setpriority", lx_setpriority, "ddd", 0},
    [SYS_set_tid_address] = {"set_tid_address", lx_set_tid_address, "p", 0},
    [SYS_timer_create] = {"timer_create", lx_timer_create, "Kpp", 0},
    [SYS_timer_settime] = {"timer_settime", lx_timer_settime, "dxpp", 0},
    [SYS_timer_gettime] = {"timer_gettime", lx_timer_gettime, "dp", 0},
    [SYS_timer_getoverrun] = {"timer_getoverrun", lx_timer_getoverrun, "d", 0},
    [SYS_timer_delete] = {"timer_delete", lx_timer_delete, "d", 0},
    [SYS_clock_gettime] = {"clock_gettime", lx_clock_gettime, "Kp", 0},
    [SYS_clock_getres] = {"clock_getres", lx_clock_getres, "Kp", 0},
    [SYS_clock_nanosleep] = {"clock_nanosleep", lx_clock_nanosleep, "Kxpp", 0},
    [SYS_exit_group] = {"exit_group", lx_exit_group, "d", 'n'},
    [SYS_tgkill] = {"tgkill", lx_tgkill, "ddS", 0},
    [SYS_waitid] = {"waitid", lx_waitid, "ddpWp", 0},
    [SYS_openat] = {"openat", lx_openat, "fsOo", 0},
    [SYS_newfstatat] = {"newfstatat", lx_newfstatat, "fspx", 0},
    [SYS_readlinkat] = {"readlinkat", lx_readlinkat, "fspu", 0},
    [SYS_faccessat] = {"faccessat", lx_faccessat, "fsd", 0},
    [SYS_pselect6] = {"pselect6", lx_pselect6, "dppppp", 0},
    [SYS_ppoll] = {"ppoll", lx_ppoll, "pupp", 0},
    [SYS_set_robust_list] = {"set_robust_list", lx_set_robust_list, "pu", 0},
    [SYS_get_robust_list] = {"get_robust_list", lx_get_robust_list, "dpp", 0},
    [SYS_dup3] = {"dup3", lx_dup3, "ffc", 0},
    [SYS_pipe2] = {"pipe2", lx_pipe2, "Ec", 0},
    [SYS_prlimit64] = {"prlimit64", lx_prlimit64, "dRpp", 0},
    [SYS_getcpu] = {"getcpu", lx_getcpu, "ppp", 0},
    [SYS_getrandom] = {"getrandom", lx_getrandom, "Bux", 0},
    [SYS_statx] = {"statx", lx_statx, "fsxxp", 0},
    [SYS_clone3] = {"clone3", lx_clone3, "pu", 0},
    [SYS_close_range] = {"close_range", lx_close_range, "ffx", 0},
    [SYS_faccessat2] = {"faccessat2", lx_faccessat, "fsdx", 0},
    [SYS_creat] = {"creat", lx_creat, "so", 0},
    [SYS_fchdir] = {"fchdir", lx_fchdir, "f", 0},
    [SYS_mkdir] = {"mkdir", lx_mkdir, "so", 0},
    [SYS_mkdirat] = {"mkdirat", lx_mkdirat, "fso", 0},
    [SYS_mknod] = {"mknod", lx_mknod, "sox", 0},
    [SYS_mknodat] = {"mknodat", lx_mknodat, "fsox", 0},
    [SYS_unlink] = {"unlink", lx_unlink, "s", 0},
    [SYS_unlinkat] = {"unlinkat", lx_unlinkat, "fsx", 0},
    [SYS_rmdir] = {"rmdir", lx_rmdir, "s", 0},
    [SYS_rename] = {"rename", lx_rename, "ss", 0},
    [SYS_renameat] = {"renameat", lx_renameat, "fsfs", 0},
    [SYS_renameat2] = {"renameat2", lx_renameat2, "fsfsx", 0},
    [SYS_link] = {"link", lx_link, "ss", 0},
    [SYS_linkat] = {"linkat", lx_linkat, "fsfsx", 0},
    [SYS_symlink] = {"symlink", lx_symlink, "ss", 0},
    [SYS_symlinkat] = {"symlinkat", lx_symlinkat, "sfs", 0},
    [SYS_chmod] = {"chmod", lx_chmod, "so", 0},
    [SYS_fchmod] = {"fchmod", lx_fchmod, "fo", 0},
    [SYS_fchmodat] = {"fchmodat", lx_fchmodat, "fso", 0},
    [SYS_chown] = {"chown", lx_chown, "sdd", 0},
    [SYS_fchown] = {"fchown", lx_fchown, "fdd", 0},
    [SYS_lchown] = {"lchown", lx_lchown, "sdd", 0},
    [SYS_fchownat] = {"fchownat", lx_fchownat, "fsddx", 0},
    [SYS_truncate] = {"truncate", lx_truncate, "sd", 0},
    [SYS_ftruncate] = {"ftruncate", lx_ftruncate, "fd", 0},
    [SYS_flock] = {"flock", lx_flock, "fL", 0},
    [SYS_fsync] = {"fsync", lx_fsync, "f", 0},
    [SYS_fdatasync] = {"fdatasync", lx_fsync, "f", 0},
    [SYS_utimensat] = {"utimensat", lx_utimensat, "fspx", 0},
    [SYS_getdents64] = {"getdents64", lx_getdents64, "fpu", 0},
    [SYS_statfs] = {"statfs", lx_statfs, "sp", 0},
    [SYS_fstatfs] = {"fstatfs", lx_fstatfs, "fp", 0},
    [SYS_setxattr] = {"setxattr", lx_xattr, "sspdx", 0},
    [SYS_lsetxattr] = {"lsetxattr", lx_xattr, "sspdx", 0},
    [SYS_fsetxattr] = {"fsetxattr", lx_xattr, "fspdx", 0},
    [SYS_getxattr] = {"getxattr", lx_xattr, "sspd", 0},
    [SYS_lgetxattr] = {"lgetxattr", lx_xattr, "sspd", 0},
    [SYS_fgetxattr] = {"fgetxattr", lx_xattr, "fspd", 0},
    [SYS_listxattr] = {"listxattr", lx_xattr, "spd", 0},
    [SYS_llistxattr] = {"llistxattr", lx_xattr, "spd", 0},
    [SYS_flistxattr] = {"flistxattr", lx_xattr, "fpd", 0},
    [SYS_removexattr] = {"removexattr", lx_xattr, "ss", 0},
    [SYS_lremovexattr] = {"lremovexattr", lx_xattr, "ss", 0},
    [SYS_fremovexattr] = {"fremovexattr", lx_xattr, "fs", 0},
    [SYS_sendfile] = {"sendfile", lx_sendfile, "ffpu", 0},
    [SYS_socket] = {"socket", lx_socket, "ddd", 0},
    [SYS_connect] = {"connect", lx_connect, "fpu", 0},
    [SYS_accept] = {"accept", lx_accept, "fpp", 0},
    [SYS_sendto] = {"sendto", lx_sendto, "fbuxpu", 0},
    [SYS_recvfrom] = {"recvfrom", lx_recvfrom, "fBuxpp", 0},
    [SYS_sendmsg] = {"sendmsg", lx_sendmsg, "fpx", 0},
    [SYS_recvmsg] = {"recvmsg", lx_recvmsg, "fpx", 0},
    [SYS_shutdown] = {"shutdown", lx_shutdown, "fd", 0},
    [SYS_bind] = {"bind", lx_bind, "fpu", 0},
    [SYS_listen] = {"listen", lx_listen, "fd", 0},
    [SYS_getsockname] = {"getsockname", lx_getsockname, "fpp", 0},
    [SYS_getpeername] = {"getpeername", lx_getpeername, "fpp", 0},
    [SYS_socketpair] = {"socketpair", lx_socketpair, "dddp", 0},
    [SYS_setsockopt] = {"setsockopt", lx_setsockopt, "fddpu", 0},
    [SYS_getsockopt] = {"getsockopt", lx_getsockopt, "fddpp", 0},
    [SYS_accept4] = {"accept4", lx_accept4, "fppx", 0},
    [SYS_eventfd] = {"eventfd", lx_eventfd, "u", 0},
    [SYS_eventfd2] = {"eventfd2", lx_eventfd2, "ue", 0},
    [SYS_timerfd_create] = {"timerfd_create", lx_timerfd_create, "KT", 0},
    [SYS_timerfd_settime] = {"timerfd_settime", lx_timerfd_settime, "fYpp", 0},
    [SYS_timerfd_gettime] = {"timerfd_gettime", lx_timerfd_gettime, "fp", 0},
    [SYS_epoll_create] = {"epoll_create", lx_epoll_create, "d", 0},
    [SYS_epoll_create1] = {"epoll_create1", lx_epoll_create1, "x", 0},
    [SYS_epoll_ctl] = {"epoll_ctl", lx_epoll_ctl, "fdfp", 0},
    [SYS_epoll_wait] = {"epoll_wait", lx_epoll_wait, "fpdd", 0},
    [SYS_epoll_pwait] = {"epoll_pwait", lx_epoll_pwait, "fpddpu", 0},
    [SYS_futex] = {"futex", lx_futex, "pxdppd", 0},
    /* Answered ENOSYS on purpose, with a name for --trace: the C libraries fall back. */
    [SYS_rseq] = {"rseq", lx_enosys, "puxx", 0},
};
#define LX_TABLE_SIZE (sizeof(lx_table) / sizeof(lx_table[0]))

const struct lx_syscall *lx_syscall_get(uint64_t nr)
{
    return nr < LX_TABLE_SIZE && lx_table[nr].name ? &lx_table[nr] : NULL;
}

/* Served or not: --stats names the calls answered ENOSYS too. */
static const char *lx_syscall_name(uint64_t nr)
{
    const struct lx_syscall *sc = lx_syscall_get(nr);
    return sc ? sc->name : sysname_of(nr);
}

LX_HANDLER(lx_enosys)
{
    (void)vm;
    (void)a;
    return -ENOSYS;
}

/*
 * Calls SA_RESTART brings back after a handler ran; the others return EINTR (Linux's
 * ERESTARTSYS against ERESTARTNOHAND: poll, select, sleeps, pause, sigsuspend).
 */
static bool lx_restartable(uint64_t nr)
{
    switch (nr) {
    case SYS_read: case SYS_write: case SYS_readv: case SYS_writev: case SYS_pread64:
    case SYS_pwrite64: case SYS_ioctl: case SYS_wait4: case SYS_waitid: case SYS_open:
    case SYS_openat: case SYS_fcntl: case SYS_accept: case SYS_accept4: case SYS_connect:
    case SYS_recvfrom: case SYS_sendto: case SYS_recvmsg: case SYS_sendmsg: case SYS_flock:
        return true;
    default:
        return false;
    }
}

/*
 * A result that meets pending signals, or a call cut short by one: the state the
 * program goes on with, and how to make the call again (back over the 2-byte SYSCALL,
 * or the call that replaced it, with the call's number in %rax; only if that is what
 * precedes %rcx).
 */
static enum run_next lx_return_with_signals(struct ukmon_vm *vm, uint64_t nr, int64_t ret)
{
    const struct kvm_regs *r = vcpu_regs(vm);
    struct kvm_regs ctx = *r;
    ctx.rax = (uint64_t)ret;
    ctx.rip = r->rcx;
    ctx.rflags = (r->r11 & USER_RFLAGS) | RFLAGS_FIXED;
    uint8_t insn[2];
    bool can_restart = gmem_read(vm, insn, r->rcx - 2, 2) == 0 &&
                       ((insn[0] == 0x0f && insn[1] == 0x05) ||
                        (insn[0] == 0xff && insn[1] == 0xd0 && lx_inguest_site(vm, r->rcx - 2)));
    struct sig_call call = {.interrupted = ret == -EINTR && can_restart,
                            .restartable = lx_restartable(nr),
                            .restart_always = nr == SYS_fork || nr == SYS_vfork ||
                                              nr == SYS_clone || nr == SYS_clone3,
                            .restart = ctx};
    call.restart.rip = r->rcx - 2;
    call.restart.rax = nr;
    return sig_after_call(vm, &ctx, &call);
}

/*
 * An exit on LX_SYSCALL_PORT: the program executed SYSCALL, or a rewritten one called
 * the guest-side layer, which sent the call here (lx_inguest.c). Arguments are in its
 * registers as the kernel ABI says; the result goes to %rax. Where the stub ran in
 * ring 0 (VMX, SVM), its SYSRET takes the program back; where the exit came from
 * ring 3 (SYSCALL on PVM, the layer everywhere), the monitor does what SYSRET would:
 * %rip from %rcx, flags from %r11 (never IOPL, which would open every port). Pending
 * signals take the second way always. A SYSCALL that came through the stub is
 * rewritten first, so that the next call from there needs no stub.
 */
static enum run_next lx_finish_call(struct ukmon_vm *vm, uint64_t nr, int64_t ret, bool ring3);

static enum run_next lx_syscall_exit(struct ukmon_vm *vm, unsigned port)
{
    if (port == LX_WAKE_PORT)
        return lx_wake_exit(vm);
    struct kvm_regs *r = vcpu_regs(vm);
    bool ring3 = (vcpu_sregs(vm)->cs.selector & 3) == 3;
    uint64_t nr = r->rax;
    if (r->rip - GL_LX_ENTRY < 8)
        lx_inguest_rewrite(vm, r->rcx - 2);
    int64_t answered;
    if (lx_inguest_deliver(vm, nr, &answered)) { /* only to have signals delivered */
        lx_inguest_fds(vm);
        return lx_finish_call(vm, LXSYS_NR_DELIVER, answered, ring3);
    }
    int64_t carry = lx_inguest_carry(vm, &nr); /* a write the layer began */
    const uint64_t a[6] = {r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9};
    const struct lx_syscall *sc = lx_syscall_get(nr);
    vm->stats.calls[nr < STATS_CALLS_MAX ? nr : STATS_CALLS_MAX]++;
    vcpu_cur(vm)->call.stop = vcpu_cur(vm)->call.new_state = false;
    vcpu_cur(vm)->call.cur = sc;
    vcpu_cur(vm)->call.nr = nr;
    int64_t t0 = vm->cfg.stats_fd >= 0 ? clock_ns(CLOCK_MONOTONIC) : 0;
    PROF_CALL_BEGIN(nr);
    int64_t ret = sc ? sc->fn(vm, a) : -ENOSYS;
    PROF_CALL_END();
    if (vm->cfg.stats_fd >= 0)
        vm->stats.calls_ns[nr < STATS_CALLS_MAX ? nr : STATS_CALLS_MAX] +=
            (uint64_t)(clock_ns(CLOCK_MONOTONIC) - t0);
    if (ret == -ENOSYS)
        vm->stats.calls_enosys++;
    if (carry > 0) /* the layer's part, with the monitor's: what write(2) returns */
        ret = ret >= 0 ? ret + carry : carry;
    lx_inguest_fds(vm);
    pinfo_refresh(vm); /* what the tree's /proc shows of it, if that changed */
    if (vm->cfg.trace_fd >= 0 && !vcpu_cur(vm)->call.new_state) /* execve traced itself */
        lx_trace_call(vm, nr, sc, a, ret);
    if (vcpu_cur(vm)->call.stop)
        return RUN_STOP;
    if (vcpu_cur(vm)->call.new_state)
        return RUN_CONTINUE;
    return lx_finish_call(vm, nr, ret, ring3);
}

/* The call's result goes back to the program, with whatever pending signals make of it. */
static enum run_next lx_finish_call(struct ukmon_vm *vm, uint64_t nr, int64_t ret, bool ring3)
{
    if (ret == -EINTR || gsig_pending()) {
        enum run_next res = lx_return_with_signals(vm, nr, ret);
        vcpu_cur(vm)->call.stop = res == RUN_STOP;
        return res;
    }
    if (vcpu_cur(vm)->sig.restore_mask) { /* a call's own mask (ppoll, epoll_pwait...): over */
        sig_set_mask(vm, vcpu_cur(vm)->sig.saved_mask);
        vcpu_cur(vm)->sig.restore_mask = false;
    }
    struct kvm_regs *r = vcpu_regs(vm); /* a new one in a forked child */
    r->rax = (uint64_t)ret;
    if (ring3) {
        r->rip = r->rcx;
        r->rflags = (r->r11 & USER_RFLAGS) | RFLAGS_FIXED;
    }
    vcpu_regs_changed(vm);
    return RUN_CONTINUE;
}

void lx_kill_self(struct ukmon_vm *vm, int sig, const char *fmt, ...)
{
    vcpu_cur(vm)->call.stop = true;
    if (!fmt) { /* a quiet death (SIGPIPE), as a shell shows it */
        vm->exit.kind = UKMON_EXIT_SIGNALED;
        vm->exit.signal = sig;
        return;
    }
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    vm_set_fault(vm, sig, "%s", msg);
}

/* Guest memory through the fault-safe layer (kvm/guest_mem.c), with Linux's errors. */
int lx_copy_string(struct ukmon_vm *vm, uint64_t gva, char *out, size_t outlen)
{
    int64_t r = gmem_read_str(vm, gva, out, outlen);
    return r < 0 ? (int)r : 0;
}

int lx_copy_in(struct ukmon_vm *vm, void *dst, uint64_t gva, size_t len)
{
    return gmem_read(vm, dst, gva, len);
}

int lx_copy_out(struct ukmon_vm *vm, uint64_t gva, const void *src, size_t len)
{
    return gmem_write(vm, gva, src, len);
}

struct lx_state *lx_state_new(void)
{
    struct lx_state *lx = calloc(1, sizeof(*lx));
    if (!lx)
        return NULL;
    lx->vfork_fd = -1;
    lx->site_prog = -1;
    lx_wake_init(lx);
    return lx;
}

/*
 * A signal due in ring 0 (VMX, SVM): once the stub's OUT is done and only its SYSRET
 * is left, the monitor does what SYSRET would and delivers to the program's state.
 */
static bool lx_leave_stub(struct ukmon_vm *vm, struct kvm_regs *ctx)
{
    (void)vm;
    if (ctx->rip != GL_LX_ENTRY + 2)
        return false;
    ctx->rip = ctx->rcx;
    ctx->rflags = (ctx->r11 & USER_RFLAGS) | RFLAGS_FIXED;
    return true;
}

static void lx_release(struct ukmon_vm *vm)
{
    free(vm->lx);
    vm->lx = NULL;
}

const struct personality lx_personality = {
    .name = "Linux program",
    .calls_name = "syscalls",
    .call_prefix = "syscall_",
    .counts_enosys = true,
    .boot_setup = lx_boot_setup,
    .clock_setup = lx_vdso_clock,
    /* Where SYSCALL stays at CPL3 (PVM), the entry stub's OUT runs at CPL3 too. */
    .port_lo = LX_WAKE_PORT,
    .nports = 2, /* LX_WAKE_PORT, LX_SYSCALL_PORT */
    .syscall_entry = GL_LX_ENTRY,
    .port_exit = lx_syscall_exit,
    .leave_stub = lx_leave_stub,
    .after_run = lx_inguest_pull,
    .before_run = lx_inguest_push,
    .fault_is_call = lx_inguest_fault_is_call,
    .call_name = lx_syscall_name,
    .calls_in_guest = lx_inguest_answered,
    .release = lx_release,
};
