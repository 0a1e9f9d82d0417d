/* lx.h: the Linux personality: process state and the system-call handlers' contract. */
#ifndef UKMON_LX_H
#define UKMON_LX_H

#include <signal.h>
#include <sys/resource.h>

#include "kvm/vmm.h"
#include "lxsys/lxsys.h"
#include "personality.h"

extern const struct personality lx_personality;

/* A Linux program's own pages in the low area, inside [GL_PERS_LO, GL_PERS_HI). */
#define GL_LX_ENTRY 0xb000ULL     /* the SYSCALL entry stub: user read+execute */
#define GL_LX_VVAR 0xc000ULL      /* clock constants for the vDSO: user read-only */
#define GL_LX_VDSO 0xd000ULL      /* the vDSO image, 3 pages: user read+execute */
#define GL_LX_VDSO_END 0x10000ULL
_Static_assert(GL_LX_ENTRY >= GL_PERS_LO && GL_LX_VDSO_END <= GL_PERS_HI,
               "the Linux pages stay in the personality's part of the low area");

/* Port of the system-call entry stub (out %al, $port at GL_LX_ENTRY). */
#define LX_SYSCALL_PORT 0xdf
#define LX_WAKE_PORT 0xde       /* the layer's ring wakes (lx_wake.c) */

/*
 * A Linux process's state that is not in its vCPU, its memory or its fd table. Kept
 * in the monitor's heap: fork(2) copies it along with the rest of the monitor.
 */
#define PAGE_UP(x) (((x) + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1))
#define LX_SITES_MAX 4096       /* syscall sites a program may have rewritten */
#define LX_WAKE_VALUES 127      /* ring wake values of a VM (lx_wake.c), one byte's worth */
#define LX_WINDOWS 16           /* files mapped for pread64/pwrite64 in the guest */

/* A file window (lx_window.c): where it is, and which fd install it was made for. */
struct lx_window {
    uint64_t base, len;     /* len 0: a free slot */
    int fd;
    uint32_t serial;        /* the fd entry's serial then: a reused number is not it */
    bool writable;          /* made from an O_RDWR fd: mapped writable */
};

struct lx_state {
    struct rlimit limits[RLIM_NLIMITS];    /* those set by setrlimit (limits_set) */
    unsigned limits_set;
    int vfork_fd;                          /* a vfork child: its parent waits for EOF here */
    /* The call being served is per thread: struct vcpu_call (monitor.h). */
    /* The guest-side layer (lx_inguest.c): on, and the `syscall` sites rewritten. */
    bool inguest;
    bool threaded;          /* more than one thread: the layer answers nothing (lx_inguest.c) */
    unsigned fd_gen;        /* the fd table's generation the layer's page shows */
    uint64_t act_gen;       /* the page's act_gen last taken */
    uint64_t ring_at[RINGS_MAX];  /* where each ring is mapped in the program, or 0 */
    uint64_t ring_gen[RINGS_MAX]; /* ... which ring that is (struct pipe_ring's gen) */
    /* Ring wakes (lx_wake.c): each mapped slot's value, and each value's ioeventfds. */
    uint8_t wake_val[RINGS_MAX];
    struct lx_wake_value {
        bool on;            /* KVM has it, as ioeventfds of this VM */
        int8_t slot;        /* the slot it is current for, or -1 (stale, or free) */
        int8_t was;         /* the slot, and which ring there (pipe_ring's gen), it was for */
        uint64_t gen;
    } wv[LX_WAKE_VALUES + 1];
    struct ukmon_sigaction acts_shown[UKMON_NSIG + 1]; /* the actions the page shows */
    unsigned nsites;
    uint64_t sites[LX_SITES_MAX];
    int site_prog;                  /* the program's entry in the tree's site cache, or -1 */
    bool sites_pending;             /* a new program: the cache's sites before it runs */
    uint32_t sites_seen;            /* the cache's sites for it looked at so far */
    /* File windows, and how many pread64/pwrite64 each fd had served here (up to 255). */
    struct lx_window win[LX_WINDOWS];
    uint64_t win_bytes;
    uint8_t prw_calls[FDT_MAX];
    /* During execve: the path the caller gave, which AT_EXECFN names (NULL: exe_path). */
    const char *execfn;
};

/*
 * A handler gets the six argument registers and returns the result (>= 0) or -errno,
 * as the kernel does. Guest pointers are integers: they reach memory only through
 * the copies of kvm/guest_mem.c (gmem_read...) or the helpers below.
 */
typedef int64_t (*lx_handler)(struct ukmon_vm *vm, const uint64_t a[6]);

/* One system call: its name, handler, and how --trace shows its arguments. */
struct lx_syscall {
    const char *name;
    lx_handler fn;
    const char *args; /* one letter per argument, see lx_trace.c */
    char ret;         /* the result: 0 decimal, 'x' an address, 'n' none (it does not return) */
};
const struct lx_syscall *lx_syscall_get(uint64_t nr);

/* Guest memory, checked: a string (-EFAULT, -ENAMETOOLONG), or a struct in or out. */
int lx_copy_string(struct ukmon_vm *vm, uint64_t gva, char *out, size_t outlen);
int lx_copy_in(struct ukmon_vm *vm, void *dst, uint64_t gva, size_t len);
int lx_copy_out(struct ukmon_vm *vm, uint64_t gva, const void *src, size_t len);

/* The guest ends as if killed by `sig` (a one-line message names why). */
void lx_kill_self(struct ukmon_vm *vm, int sig, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

struct lx_state *lx_state_new(void);

/* lx_trace.c */
void lx_trace_call(struct ukmon_vm *vm, uint64_t nr, const struct lx_syscall *sc,
                   const uint64_t a[6], int64_t ret);

/* The handlers, one file per group. */
#define LX_HANDLER(name) int64_t name(struct ukmon_vm *vm, const uint64_t a[6])
/* lx_proc.c */
LX_HANDLER(lx_exit);
LX_HANDLER(lx_exit_group);
LX_HANDLER(lx_fork);
LX_HANDLER(lx_vfork);
LX_HANDLER(lx_clone);
LX_HANDLER(lx_clone3);
LX_HANDLER(lx_execve);
LX_HANDLER(lx_wait4);
LX_HANDLER(lx_waitid);
LX_HANDLER(lx_getpid);
LX_HANDLER(lx_getppid);
LX_HANDLER(lx_gettid);
LX_HANDLER(lx_set_tid_address);
LX_HANDLER(lx_set_robust_list);
LX_HANDLER(lx_get_robust_list);
LX_HANDLER(lx_getuid);
LX_HANDLER(lx_geteuid);
LX_HANDLER(lx_getgid);
LX_HANDLER(lx_getegid);
LX_HANDLER(lx_getresuid);
LX_HANDLER(lx_getresgid);
LX_HANDLER(lx_setuid);
LX_HANDLER(lx_setgid);
bool lx_in_tree(struct ukmon_vm *vm, int64_t pid);
LX_HANDLER(lx_setresuid);
LX_HANDLER(lx_setresgid);
LX_HANDLER(lx_setreuid);
LX_HANDLER(lx_setregid);
LX_HANDLER(lx_setgroups);
LX_HANDLER(lx_getgroups);
LX_HANDLER(lx_getpgid);
LX_HANDLER(lx_setpgid);
LX_HANDLER(lx_getpgrp);
LX_HANDLER(lx_getsid);
LX_HANDLER(lx_setsid);
LX_HANDLER(lx_kill);
LX_HANDLER(lx_tgkill);
LX_HANDLER(lx_tkill);
LX_HANDLER(lx_prctl);
LX_HANDLER(lx_arch_prctl);
LX_HANDLER(lx_uname);
LX_HANDLER(lx_sysinfo);
LX_HANDLER(lx_prlimit64);
LX_HANDLER(lx_getrlimit);
LX_HANDLER(lx_setrlimit);
LX_HANDLER(lx_getrusage);
LX_HANDLER(lx_times);
LX_HANDLER(lx_umask);
LX_HANDLER(lx_getcwd);
LX_HANDLER(lx_chdir);
LX_HANDLER(lx_sched_yield);
LX_HANDLER(lx_sched_getaffinity);
LX_HANDLER(lx_sched_setaffinity);
LX_HANDLER(lx_sched_getscheduler);
LX_HANDLER(lx_sched_getparam);
LX_HANDLER(lx_sched_get_priority_max);
LX_HANDLER(lx_sched_get_priority_min);
LX_HANDLER(lx_getpriority);
LX_HANDLER(lx_setpriority);
LX_HANDLER(lx_getcpu);
LX_HANDLER(lx_readlink);
LX_HANDLER(lx_readlinkat);
LX_HANDLER(lx_getrandom);
LX_HANDLER(lx_futex);
/* lx_fd.c */
LX_HANDLER(lx_read);
LX_HANDLER(lx_write);
LX_HANDLER(lx_readv);
LX_HANDLER(lx_writev);
LX_HANDLER(lx_pread64);
LX_HANDLER(lx_pwrite64);
LX_HANDLER(lx_close);
LX_HANDLER(lx_close_range);
LX_HANDLER(lx_pipe);
LX_HANDLER(lx_pipe2);
LX_HANDLER(lx_dup);
LX_HANDLER(lx_dup2);
LX_HANDLER(lx_dup3);
LX_HANDLER(lx_fcntl);
LX_HANDLER(lx_flock);
LX_HANDLER(lx_eventfd);
LX_HANDLER(lx_eventfd2);
LX_HANDLER(lx_ioctl);
LX_HANDLER(lx_lseek);
LX_HANDLER(lx_fstat);
LX_HANDLER(lx_newfstatat);
LX_HANDLER(lx_statx);
LX_HANDLER(lx_poll);
LX_HANDLER(lx_ppoll);
LX_HANDLER(lx_select);
LX_HANDLER(lx_pselect6);
LX_HANDLER(lx_open);
LX_HANDLER(lx_openat);
LX_HANDLER(lx_access);
LX_HANDLER(lx_faccessat);
LX_HANDLER(lx_stat);
LX_HANDLER(lx_lstat);
LX_HANDLER(lx_creat);
LX_HANDLER(lx_fchdir);
LX_HANDLER(lx_mkdir);
LX_HANDLER(lx_mkdirat);
LX_HANDLER(lx_mknod);
LX_HANDLER(lx_mknodat);
LX_HANDLER(lx_unlink);
LX_HANDLER(lx_unlinkat);
LX_HANDLER(lx_rmdir);
LX_HANDLER(lx_rename);
LX_HANDLER(lx_renameat);
LX_HANDLER(lx_renameat2);
LX_HANDLER(lx_link);
LX_HANDLER(lx_linkat);
LX_HANDLER(lx_symlink);
LX_HANDLER(lx_symlinkat);
LX_HANDLER(lx_chmod);
LX_HANDLER(lx_fchmod);
LX_HANDLER(lx_fchmodat);
LX_HANDLER(lx_chown);
LX_HANDLER(lx_fchown);
LX_HANDLER(lx_lchown);
LX_HANDLER(lx_fchownat);
LX_HANDLER(lx_truncate);
LX_HANDLER(lx_ftruncate);
LX_HANDLER(lx_fsync);
LX_HANDLER(lx_utimensat);
LX_HANDLER(lx_getdents64);
LX_HANDLER(lx_statfs);
LX_HANDLER(lx_fstatfs);
LX_HANDLER(lx_xattr);
/* lx_mem.c */
LX_HANDLER(lx_brk);
LX_HANDLER(lx_mmap);
LX_HANDLER(lx_munmap);
LX_HANDLER(lx_mprotect);
LX_HANDLER(lx_mremap);
LX_HANDLER(lx_madvise);
LX_HANDLER(lx_shmget);
LX_HANDLER(lx_shmat);
LX_HANDLER(lx_shmdt);
LX_HANDLER(lx_shmctl);
/* lx_time.c */
LX_HANDLER(lx_clock_gettime);
LX_HANDLER(lx_clock_getres);
LX_HANDLER(lx_gettimeofday);
LX_HANDLER(lx_time);
LX_HANDLER(lx_nanosleep);
LX_HANDLER(lx_clock_nanosleep);
LX_HANDLER(lx_timerfd_create);
LX_HANDLER(lx_timerfd_settime);
LX_HANDLER(lx_timerfd_gettime);
/* lx_signal.c */
LX_HANDLER(lx_rt_sigaction);
LX_HANDLER(lx_rt_sigprocmask);
LX_HANDLER(lx_sigaltstack);
LX_HANDLER(lx_rt_sigpending);
LX_HANDLER(lx_pause);
LX_HANDLER(lx_rt_sigsuspend);
LX_HANDLER(lx_rt_sigtimedwait);
LX_HANDLER(lx_rt_sigreturn);
LX_HANDLER(lx_alarm);
LX_HANDLER(lx_setitimer);
LX_HANDLER(lx_getitimer);
LX_HANDLER(lx_timer_create);
LX_HANDLER(lx_timer_settime);
LX_HANDLER(lx_timer_gettime);
LX_HANDLER(lx_timer_getoverrun);
LX_HANDLER(lx_timer_delete);
LX_HANDLER(lx_enosys);
/* lx_net.c */
LX_HANDLER(lx_socket);
LX_HANDLER(lx_socketpair);
LX_HANDLER(lx_bind);
LX_HANDLER(lx_listen);
LX_HANDLER(lx_accept);
LX_HANDLER(lx_accept4);
LX_HANDLER(lx_connect);
LX_HANDLER(lx_shutdown);
LX_HANDLER(lx_getsockname);
LX_HANDLER(lx_getpeername);
LX_HANDLER(lx_setsockopt);
LX_HANDLER(lx_getsockopt);
LX_HANDLER(lx_sendto);
LX_HANDLER(lx_recvfrom);
LX_HANDLER(lx_sendmsg);
LX_HANDLER(lx_recvmsg);
LX_HANDLER(lx_sendfile);
LX_HANDLER(lx_epoll_create);
LX_HANDLER(lx_epoll_create1);
LX_HANDLER(lx_epoll_ctl);
LX_HANDLER(lx_epoll_wait);
LX_HANDLER(lx_epoll_pwait);

/* lx_fs.c: what needs paths */
int64_t lx_path_stat(struct ukmon_vm *vm, int dirfd, uint64_t path, uint64_t buf,
                     uint64_t flags);
int64_t lx_path_statx(struct ukmon_vm *vm, int dirfd, uint64_t path, uint64_t flags,
                      unsigned mask, uint64_t buf);
int64_t lx_mmap_file(struct ukmon_vm *vm, const uint64_t a[6]);
/* lx_mem.c: where a new mapping goes (MAP_FIXED, a hint, or the mmap area) */
int64_t lx_map_where(struct ukmon_vm *vm, uint64_t addr, uint64_t size, uint64_t flags,
                     uint64_t *lo);
int64_t lx_fd_statx(struct ukmon_vm *vm, int fd, uint64_t buf);

/* lx_boot.c, lx_vdso.c: the program's start */
int lx_boot_setup(struct ukmon_vm *vm, const struct elf_image *img,
                  struct program_interp *interp, int argc, char *const argv[],
                  char *const envp[]);
/* Linux's limits on a program's arguments (see lx_boot.c): one string, and in all. */
#define LX_ARG_STRLEN_MAX (32 * 4096)
uint64_t lx_args_max(const struct ukmon_vm *vm);
int lx_args_check(const struct ukmon_vm *vm, const char *execfn, size_t argc,
                  char *const argv[], char *const envp[]);
int lx_vdso_setup(struct ukmon_vm *vm);
int lx_vdso_clock(struct ukmon_vm *vm);

/* lx_proc.c: what the layer's page repeats */
struct utsname;
struct rlimit;
int lx_utsname(struct utsname *u);
struct rlimit lx_rlimit(struct ukmon_vm *vm, unsigned res);

/* lx_inguest.c: the guest-side system-call layer */
int lx_inguest_setup(struct ukmon_vm *vm);
void lx_inguest_sync(struct ukmon_vm *vm);
void lx_inguest_fds(struct ukmon_vm *vm);
void lx_inguest_rings(struct ukmon_vm *vm);
void lx_inguest_forked(struct ukmon_vm *vm);
void lx_inguest_threads(struct ukmon_vm *vm, bool many);
void lx_inguest_pull(struct ukmon_vm *vm);
void lx_inguest_push(struct ukmon_vm *vm);
void lx_inguest_limits(struct ukmon_vm *vm);
bool lx_inguest_deliver(struct ukmon_vm *vm, uint64_t nr, int64_t *ret);
int64_t lx_inguest_carry(struct ukmon_vm *vm, uint64_t *nr);
bool lx_inguest_on(const struct ukmon_vm *vm);
bool lx_inguest_site(const struct ukmon_vm *vm, uint64_t site);
void lx_inguest_rewrite(struct ukmon_vm *vm, uint64_t site);
void lx_inguest_rewrite_many(struct ukmon_vm *vm, uint64_t base, const uint32_t *offs,
                             unsigned n);

/* lx_wake.c: a ring's peer woken through an ioeventfd */
void lx_wake_init(struct lx_state *lx);
uint8_t lx_wake_attach(struct ukmon_vm *vm, int s);
void lx_wake_detach(struct ukmon_vm *vm, int s);
void lx_wake_forked(struct ukmon_vm *vm);
enum run_next lx_wake_exit(struct ukmon_vm *vm);

/* lx_window.c: regular files mapped for pread64/pwrite64 without exits */
void lx_window_note(struct ukmon_vm *vm, int fd);
void lx_windows_refresh(struct ukmon_vm *vm);
void lx_windows_clear_range(struct ukmon_vm *vm, uint64_t lo, uint64_t hi);
void lx_windows_reset(struct ukmon_vm *vm);

/* lx_sites.c: the tree's memory of rewritten sites, per program file */
void lx_sites_apply(struct ukmon_vm *vm);
void lx_sites_note(struct ukmon_vm *vm, uint64_t site);
void lx_sites_refresh(struct ukmon_vm *vm);
uint64_t lx_inguest_answered(struct ukmon_vm *vm, uint64_t nr);
bool lx_inguest_fault_is_call(struct ukmon_vm *vm, unsigned vector, uint64_t err, uint64_t cr2,
                              struct kvm_regs *ctx);

/* A vfork child that execs or exits lets its parent go on. */
void lx_vfork_release(struct ukmon_vm *vm);

#endif
