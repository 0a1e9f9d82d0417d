/* rules.c: what the monitor and the private /tmp's remover may call, as libseccomp rules. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>

#include "host/filter/rules.h"
#include "kernel/net_opts.h"

/* The KVM requests the run loop, fork and the state hypercalls use; no others. */
static const unsigned long kvm_requests[] = {
    KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS,
    KVM_GET_XSAVE, KVM_SET_XSAVE, KVM_GET_FPU, KVM_SET_FPU,
    /* a forked child builds its own VM */
    KVM_CREATE_VM, KVM_SET_USER_MEMORY_REGION, KVM_CREATE_VCPU, KVM_SET_CPUID2,
    KVM_SET_DEVICE_ATTR, KVM_GET_TSC_KHZ, KVM_SET_XCRS, KVM_SET_MSRS,
    /* a pipe ring's wake, signalled by KVM itself (linux/lx_wake.c) */
    KVM_IOEVENTFD,
};

/*
 * Everything else the monitor does after load: guest I/O (io_uring, pipes, fd
 * duplication), fork and wait, signals, clocks and sleeps, memory for the ring and
 * kvm_run, and the exit path. Not allowed: open, exec, sockets, ptrace, mount...
 */
static const int plain_syscalls[] = {
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(close),
    SCMP_SYS(pipe2),
    SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register),
    SCMP_SYS(munmap), SCMP_SYS(madvise), SCMP_SYS(brk),
    /* a Linux program's mremap moves its host mapping (addrspace.c); glibc's realloc */
    SCMP_SYS(mremap),
    SCMP_SYS(wait4), SCMP_SYS(waitid), SCMP_SYS(kill), SCMP_SYS(tgkill),
    SCMP_SYS(getpid), SCMP_SYS(getppid), SCMP_SYS(gettid),
    SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
    SCMP_SYS(rt_sigsuspend), SCMP_SYS(ppoll),
    /* guest timers are host POSIX timers that send the guest-signal signal (sig_timer.c) */
    SCMP_SYS(timer_create), SCMP_SYS(timer_settime), SCMP_SYS(timer_gettime),
    SCMP_SYS(timer_getoverrun), SCMP_SYS(timer_delete),
    SCMP_SYS(restart_syscall), SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep),
    SCMP_SYS(nanosleep), SCMP_SYS(sched_yield), SCMP_SYS(futex),
    /* a Linux program's futex wait: its word and the monitor's kick counter (futex.c) */
    SCMP_SYS(futex_waitv),
    SCMP_SYS(setrlimit), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
    SCMP_SYS(exit), SCMP_SYS(exit_group),
    SCMP_SYS(set_robust_list), /* glibc's fork, in the child */
    /* Linux programs: their calls served on the host's objects of the same kind */
    SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(lseek), SCMP_SYS(statx),
    SCMP_SYS(getrandom), SCMP_SYS(uname), SCMP_SYS(getrusage), SCMP_SYS(times),
    SCMP_SYS(clock_getres), SCMP_SYS(sysinfo), /* /proc/loadavg: the host's load */
    SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
    /* process groups and sessions are the host's (see linux/lx_proc.c) */
    SCMP_SYS(setpgid), SCMP_SYS(getpgid), SCMP_SYS(getsid), SCMP_SYS(setsid),
    /*
     * Files in the granted folders, one name at a time below a held directory fd
     * (fs_walk.c). seccomp cannot see openat2's flags: Landlock is the wall there.
     */
    SCMP_SYS(openat2), SCMP_SYS(getdents64), SCMP_SYS(readlinkat), SCMP_SYS(mkdirat),
    SCMP_SYS(unlinkat), SCMP_SYS(renameat2), SCMP_SYS(symlinkat), SCMP_SYS(linkat),
    SCMP_SYS(fchmod), SCMP_SYS(ftruncate), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
    SCMP_SYS(utimensat), SCMP_SYS(fstatfs), SCMP_SYS(memfd_create), SCMP_SYS(flock),
    /*
     * pipes kept as rings (pipe_ring.c): their memory and the eventfds that wake a
     * side; the guest's own eventfds (io_events.c)
     */
    SCMP_SYS(eventfd2),
    /* 0 while the guest runs, the caller's again after (fs_run_begin) */
    SCMP_SYS(umask),
    /*
     * Sockets the monitor holds (net_ops.c): published ones were bound before this
     * filter, data moves through io_uring (accept, connect, send, recv).
     */
    SCMP_SYS(listen), SCMP_SYS(shutdown), SCMP_SYS(getsockname), SCMP_SYS(getpeername),
    /* a non-blocking socket's accept: io_uring's would wait */
    SCMP_SYS(accept4),
    SCMP_SYS(sendfile), SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_pwait),
    /* the guest's timerfds are host ones (io_events.c); its eventfds too (above) */
    SCMP_SYS(timerfd_create), SCMP_SYS(timerfd_settime), SCMP_SYS(timerfd_gettime),
};

/* Terminal requests a Linux program may make of the fds it was given. */
static const unsigned long tty_requests[] = {
    TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, TIOCSWINSZ, TIOCGPGRP, TIOCSPGRP,
    TIOCGSID, FIONREAD, FIONBIO,
};

/* Argument comparisons spelled out: libseccomp's SCMP_A* macros leave a field out. */
static struct scmp_arg_cmp arg_eq(unsigned arg, uint64_t value)
{
    return (struct scmp_arg_cmp){.arg = arg, .op = SCMP_CMP_EQ, .datum_a = value, .datum_b = 0};
}

static struct scmp_arg_cmp arg_masked_zero(unsigned arg, uint64_t mask)
{
    return (struct scmp_arg_cmp){.arg = arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = mask,
                                 .datum_b = 0};
}

/*
 * Sockets: options of the guest's own list, AF_UNIX pairs, and TCP sockets only with
 * --connect (connect) or bind_any (bind).
 */
static int socket_rules(scmp_filter_ctx ctx, unsigned net)
{
    int r;
    for (size_t i = 0; i < sizeof(net_opts) / sizeof(net_opts[0]); i++)
        if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2,
                                  arg_eq(1, (uint64_t)net_opts[i].level),
                                  arg_eq(2, (uint64_t)net_opts[i].name))) < 0 ||
            (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(getsockopt), 2,
                                  arg_eq(1, (uint64_t)net_opts[i].level),
                                  arg_eq(2, (uint64_t)net_opts[i].name))) < 0)
            return r;
    if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1,
                              arg_eq(0, AF_UNIX))) < 0)
        return r;
    if (!net)
        return 0;
    if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, arg_eq(0, AF_INET))) < 0 ||
        (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, arg_eq(0, AF_INET6))) < 0)
        return r;
    /* bind_any: a guest's bind() to a port of the tree's own network namespace */
    if ((net & FILTER_NET_BIND) &&
        (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(bind), 0)) < 0)
        return r;
    /* a non-blocking connect (EINPROGRESS); the blocking ones go through io_uring */
    if ((net & FILTER_NET_CONNECT) &&
        (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(connect), 0)) < 0)
        return r;
    return 0;
}

int filter_rules_monitor(scmp_filter_ctx ctx, unsigned net)
{
    int r;
    for (size_t i = 0; i < sizeof(plain_syscalls) / sizeof(plain_syscalls[0]); i++)
        if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, plain_syscalls[i], 0)) < 0)
            return r;
    for (size_t i = 0; i < sizeof(kvm_requests) / sizeof(kvm_requests[0]); i++)
        if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                                  arg_eq(1, kvm_requests[i]))) < 0)
            return r;
    for (size_t i = 0; i < sizeof(tty_requests) / sizeof(tty_requests[0]); i++)
        if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                                  arg_eq(1, tty_requests[i]))) < 0)
            return r;
    /* mkfifo in a :rw folder: FIFOs only, never a device (fs_ops.c) */
    if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mknodat), 1,
                              (struct scmp_arg_cmp){.arg = 2, .op = SCMP_CMP_MASKED_EQ,
                                                    .datum_a = S_IFMT, .datum_b = S_IFIFO})) < 0)
        return r;
    /*
     * Guest signals travel between monitors as one real-time signal (gsig.c), to a
     * process or to one of its threads (tgkill, and the kicks between the threads of
     * one monitor: kernel/thread.c).
     */
    if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigqueueinfo), 1,
                              arg_eq(1, (uint64_t)(SIGRTMIN + FILTER_GSIG_OFFSET)))) < 0 ||
        (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_tgsigqueueinfo), 1,
                              arg_eq(2, (uint64_t)(SIGRTMIN + FILTER_GSIG_OFFSET)))) < 0)
        return r;
    /* Memory for io_uring rings and kvm_run: never executable. */
    if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                              arg_masked_zero(2, PROT_EXEC))) < 0 ||
        (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                              arg_masked_zero(2, PROT_EXEC))) < 0)
        return r;
    /*
     * fork(2) is clone() without CLONE_THREAD or any namespace flag. The monitor's own
     * threads (one per vCPU of a guest's threads, kernel/thread.c) are pthread_create's
     * clone, with exactly its flags (glibc tries clone3 first, which is ENOSYS); a new
     * thread registers its rseq area as the first one did (glibc aborts if it cannot).
     */
    const uint64_t forbidden = CLONE_THREAD | CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID |
                               CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
    const uint64_t thread_flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SYSVSEM |
                                  CLONE_SIGHAND | CLONE_THREAD | CLONE_SETTLS |
                                  CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                              arg_masked_zero(0, forbidden))) < 0 ||
        (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                              arg_eq(0, thread_flags))) < 0 ||
        (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)) < 0 ||
        (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rseq), 0)) < 0)
        return r;
    static const int prctls[] = {PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER};
    for (size_t i = 0; i < sizeof(prctls) / sizeof(prctls[0]); i++)
        if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                                  arg_eq(0, (uint64_t)prctls[i]))) < 0)
            return r;
    /*
     * Priorities and CPU affinity: read anywhere (the tree's, for the guest's
     * getpriority, sched_getaffinity and /proc), changed only for ourselves (another
     * VM is asked to change itself: kernel/proc_info.c).
     */
    if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(getpriority), 0)) < 0 ||
        (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setpriority), 2,
                              arg_eq(0, PRIO_PROCESS), arg_eq(1, 0))) < 0 ||
        (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sched_getaffinity), 0)) < 0 ||
        (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sched_setaffinity), 1,
                              arg_eq(0, 0))) < 0)
        return r;
    /* setrlimit() is prlimit64 on ourselves: no other process's limits. */
    if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1,
                              arg_eq(0, 0))) < 0)
        return r;
    static const int fcntls[] = {F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL,
                                 F_GETPIPE_SZ, F_SETPIPE_SZ, F_ADD_SEALS,
                                 /* the guest's locks, on its files (fs_lock.c) */
                                 F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK,
                                 F_OFD_SETLKW};
    for (size_t i = 0; i < sizeof(fcntls) / sizeof(fcntls[0]); i++)
        if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
                                  arg_eq(1, (uint64_t)fcntls[i]))) < 0)
            return r;
    return socket_rules(ctx, net);
}

/*
 * The private /tmp's remover (kernel/fs_tmp.c) waits on a pipe, then removes one
 * folder below a directory fd it holds: that and leaving is all it may do.
 */
int filter_rules_remover(scmp_filter_ctx ctx)
{
    static const int calls[] = {
        SCMP_SYS(read), SCMP_SYS(close), SCMP_SYS(lseek), SCMP_SYS(openat),
        SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(getdents64), SCMP_SYS(unlinkat),
        SCMP_SYS(fchmod), SCMP_SYS(fchmodat),
        SCMP_SYS(rt_sigreturn), SCMP_SYS(exit), SCMP_SYS(exit_group),
    };
    int r = 0;
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]) && r == 0; i++)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0);
    return r;
}
