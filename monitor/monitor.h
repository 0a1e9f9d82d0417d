/* monitor.h: internal declarations shared by the files of libukmon. */
#ifndef UKMON_MONITOR_H
#define UKMON_MONITOR_H

#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <liburing.h>

#include "ukmon.h"

/*
 * Guest-physical layout. Low 2 MiB: monitor-owned structures, mapped supervisor-only
 * except boot info and argv; page 0 is never mapped so NULL dereferences fault.
 */
#define GL_GDT 0x1000ULL
#define GL_IDT 0x2000ULL
#define GL_TSS 0x3000ULL
#define GL_EXC_STUBS 0x4000ULL
#define GL_PML4 0x5000ULL
#define GL_PDPT 0x6000ULL
#define GL_PD 0x7000ULL           /* 4 pages: one page directory per GiB */
#define GL_PT 0x10000ULL          /* page tables for 2 MiB regions mapped in 4 KiB pages */
#define GL_PT_PAGES 48
#define GL_KSTACK_BOTTOM 0x40000ULL
#define GL_KSTACK_TOP 0x48000ULL  /* ring-0 stack for exception delivery */
#define GL_BOOT_INFO 0x50000ULL
#define GL_ARGS 0x51000ULL        /* argv/envp pointers and strings */
#define GL_ARGS_END 0x200000ULL
#define GL_LOAD_MIN 0x200000ULL   /* lowest address an ELF segment may use */
/* Linux programs: pages of their own in the low area (see linux/lx_boot.c). */
#define GL_LX_ENTRY 0xb000ULL     /* the SYSCALL entry stub: user read+execute */
#define GL_LX_VVAR 0xc000ULL      /* clock constants for the vDSO: user read-only */
#define GL_LX_VDSO 0xd000ULL      /* the vDSO image, 3 pages: user read+execute */
#define GL_LX_VDSO_END 0x10000ULL
#define LX_PIE_BASE 0x400000ULL   /* where a static-pie program's first page goes */
#define GL_STACK_MAX (8ULL << 20)

/* GDT selectors of ring 3 (boot.c builds the GDT). */
#define SEL_UDATA (0x18 | 3)
#define SEL_UCODE (0x20 | 3)

/* RFLAGS bits a program may set for itself (SYSRET, sigreturn): arithmetic, TF, DF, AC, ID. */
#define USER_RFLAGS 0x240dd5ULL
#define RFLAGS_FIXED 0x202ULL     /* IF, and bit 1 which is always set */

/* Port of the Linux system-call entry stub (out %al, $port at GL_LX_ENTRY). */
#define LX_SYSCALL_PORT 0xdf

/* Page permissions of the guest's identity map, one byte per 4 KiB page. */
enum {
    PG_P = 1,  /* present: ring 3 may read it */
    PG_W = 2,
    PG_U = 4,
    PG_X = 8,
    PG_M = 16, /* Linux programs: mapped (PROT_NONE pages are mapped, not present) */
};

#define PAGE_SIZE_4K 4096ULL
#define PAGE_SIZE_2M (2ULL << 20)

/* vCPU state carried across fork. */
struct vcpu_state {
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_fpu fpu;
    struct kvm_xsave xsave; /* last: newer headers end it with a flexible array */
};

/* What a guest fd that is a socket needs beside its host fd (net_*.c). */
enum { SK_NONE, SK_UNBOUND, SK_HOST };
#define SK_PENDING_OPTS 6
struct fd_sock {
    uint8_t kind;           /* SK_UNBOUND: socket() only, host_fd a placeholder */
    uint8_t family;         /* as the guest sees it: AF_INET, AF_INET6, AF_UNIX */
    uint8_t nonblock;       /* SOCK_NONBLOCK, for the host socket it will get */
    uint8_t npending;
    uint16_t guest_port;    /* a published socket: the port the guest bound */
    int type;               /* SOCK_STREAM... without the flags */
    /* setsockopt() before the socket has a host one: replayed when it does */
    struct { int level, name, value; } pending[SK_PENDING_OPTS];
};

/* One guest fd: which host fd it stands for. -1 = closed. */
struct fd_entry {
    int host_fd;
    struct fd_sock sock;
    bool cloexec;           /* FD_CLOEXEC: closed by execve */
    bool vdir;              /* a directory the monitor makes up (host_fd: a placeholder) */
    bool may_change;        /* a file of a :rw folder: fchmod, futimens allowed on it */
    int64_t vdir_pos;       /* its getdents position */
    char *path;             /* a directory's guest path (relative *at() calls), or NULL */
    /*
     * I/O through read(2)/write(2), not io_uring, for two kinds of host fd:
     * - regular files and block devices: io_uring's "current position" (offset -1) is
     *   read and advanced without the file-position lock, so VMs sharing one open file
     *   (a forked tree printing to a redirected stdout) overwrote each other's lines;
     * - O_NONBLOCK fds (an embedder's): io_uring waits where read(2) says EAGAIN.
     */
    bool syscalls;
};
#define FDT_MAX 1024 /* as RLIMIT_NOFILE's usual soft limit; bash keeps a script at 255 */

struct fd_table {
    struct fd_entry fd[FDT_MAX];
};

/* Shared by every monitor of one tree (MAP_SHARED): pids alive, for limits and kill. */
struct proc_tree {
    pid_t root_pid;
    unsigned max_procs;
    volatile int terminating;
    pid_t slots[];           /* 0 free, -1 reserved, else a live or zombie pid */
};

#define LX_NR_MAX 512            /* Linux system call numbers counted by --stats */

struct hc_stats {
    uint64_t exits_io, exits_other, exits_intr;
    uint64_t hc_count[UKMON_HC_MAX];
    uint64_t lx_count[LX_NR_MAX + 1]; /* the last slot: numbers beyond the table */
    uint64_t lx_enosys;          /* calls answered ENOSYS */
    uint64_t ns_in_run, ns_total;
    int64_t ns_start;            /* CLOCK_MONOTONIC at the first KVM_RUN, or at fork */
};

/* How the program talks to the monitor: chosen from its ELF at load and at execve. */
enum vm_personality {
    PERS_NATIVE = 1,        /* a ukmon unikernel (ABI note): hypercalls */
    PERS_LINUX = 2,         /* a static Linux executable: system calls */
};

/*
 * Where things are in a guest's memory (guest virtual = guest physical). Linux
 * programs: the image, then the program break growing up from brk_start, mmap
 * allocations growing down from mmap_top, and the stack at the top.
 */
struct addrspace {
    uint64_t image_lo, image_hi;
    uint64_t brk_start, brk;
    uint64_t mmap_top;           /* highest address mmap may hand out (exclusive) */
    uint64_t stack_lo, stack_top;
    uint64_t vdso;               /* Linux programs: where the vDSO is, or 0 */
};

struct lx_state;

/*
 * A process's signal dispositions, mask and alternate stack (sig_*.c). In the VM
 * struct: fork(2) of the monitor copies them, as fork copies a process's.
 */
struct sig_state {
    struct ukmon_sigaction act[UKMON_NSIG + 1]; /* by signal number, 1..64 */
    uint64_t mask;                /* blocked: bit n-1 for signal n */
    uint64_t saved_mask;          /* sigsuspend & co: the mask to go back to */
    bool restore_mask;            /* ... once a handler's frame holds it, or the call returns */
    uint64_t ss_sp, ss_size;      /* sigaltstack; ss_size 0 when there is none */
};

/* Timers that end in a signal (sig_timer.c). Host POSIX timers: not inherited by fork. */
#define SIG_TIMERS_MAX 32
struct sig_timer {
    bool used;
    timer_t host;
    int signo;                    /* 0: SIGEV_NONE */
    uint64_t value;               /* sigev_value, for the handler's siginfo */
};
struct sig_timers {
    struct sig_timer real;        /* alarm(), setitimer(ITIMER_REAL) */
    struct sig_timer posix[SIG_TIMERS_MAX]; /* timer_create(); guest id = index */
};

/* A granted host folder (fs_mounts.c). */
struct fs_mount {
    char guest[4096];            /* normalized guest path: "/" or "/srv/www" */
    char host[4096];             /* its real path on the host, for messages */
    int dirfd;                   /* O_PATH, held from before the jail and Landlock */
    bool rw;
};

/* Host devices the guest's /dev is made of, opened before the sandbox; -1 if absent. */
enum { FS_DEV_NULL, FS_DEV_ZERO, FS_DEV_URANDOM, FS_DEV_TTY, FS_DEV_COUNT };

struct fs_state {
    struct fs_mount mounts[UKMON_DIRS_MAX];
    unsigned nmounts;
    int dev[FS_DEV_COUNT];
    bool opened;
    char cwd[4096];              /* the process's working directory, a guest path */
    unsigned umask;
};

/* The network the guest may use (net_setup.c). */
struct net_pub {
    int host_fd;                 /* bound by the monitor before the guest ran */
    int family;                  /* the host socket's */
    uint16_t guest_port, host_port;
};
struct net_allow {
    int family;
    uint8_t addr[16];
    unsigned prefix_len;
    uint16_t port_lo, port_hi;
};
struct net_state {
    struct net_pub pub[UKMON_PUBLISH_MAX];
    unsigned npub;
    struct net_allow allow[UKMON_CONNECT_MAX];
    unsigned nallow;
    int placeholder_fd;          /* what an unbound socket's host fd is a copy of */
    bool opened;
};

/* A checked ELF program (elf_load.c). */
struct elf_image {
    enum vm_personality pers;
    uint32_t abi;                /* native: the ABI version of its note */
    uint64_t entry;              /* load bias applied, as every address here */
    uint64_t bias;               /* added to the file's addresses: 0 but for static-pie */
    uint64_t lo, hi;             /* lowest and highest byte (exclusive) loaded */
    uint64_t phdr;               /* where the program headers are in memory, or 0 */
    uint32_t phnum;
    bool exec_stack;             /* PT_GNU_STACK asks for an executable stack */
    unsigned nseg;
    struct elf_seg {
        uint64_t vaddr, memsz, filesz, offset;
        uint32_t flags;          /* PF_R | PF_W | PF_X */
    } seg[16];
};

/* A program's file: its fd (-1 if it came from memory) and its bytes. */
struct program_file {
    int fd;
    const uint8_t *data;
    size_t size;
    bool mapped;              /* data is an mmap of fd, else malloc'd (or the caller's) */
};

struct user_hc {
    ukmon_hc_fn fn;
    void *opaque;
};

struct ukmon_vm {
    struct ukmon_config cfg;
    char errmsg[512];
    int init_err;                  /* from ukmon_vm_new(), reported by the load */
    struct program_file pre;       /* ukmon_vm_prepare(): the ELF file, opened early */
    char pre_path[4096];
    char name[128];              /* the program's name for messages */

    int kvm_fd, vm_fd, vcpu_fd;
    struct kvm_run *run;
    size_t run_size;
    uint8_t *mem;
    uint64_t mem_size;
    uint8_t *page_perm;           /* what ring 3 may do with each page (boot.c) */
    bool has_tsc_offset_attr, tsc_probed;
    bool has_xsave;
    int tsc_khz;
    /*
     * Type of the TSS descriptor in TR: 11 (busy), as VMX requires, until a CPL3
     * hypercall OUT takes a #GP; then 9 (available), which QEMU's TCG needs before it
     * will consult the I/O bitmap (vcpu_loop.c). Inherited by every forked monitor.
     */
    uint8_t tss_type;

    /* The last exit was an OUT whose RIP KVM may still have to move (vcpu_loop.c). */
    bool exit_in_flight;
    /* A call loaded a whole register state (rt_sigreturn): it gets no result. */
    bool regs_loaded;

    uint64_t entry, heap_start, stack_top;
    struct kvm_regs entry_regs;   /* the vCPU's registers at the program's first instruction */
    uint64_t xcr0;                /* XSAVE features the guest may use (0: no XSAVE) */
    bool loaded, ran;
    bool guest_ended;             /* the first VM's run loop has returned */
    enum vm_personality pers;
    struct addrspace as;
    struct elf_image img;         /* the program running now */
    struct lx_state *lx;          /* Linux programs: the process state of linux/ */
    struct sig_state sig;
    struct sig_timers timers;
    int exe_fd;                   /* the running program's file, or -1 (loaded from memory) */
    struct fs_state fs;           /* what files the guest sees, and its cwd */
    struct net_state net;         /* published ports, allowed peers */
    char exe_path[4096];          /* its path as the guest sees it (/proc/self/exe) */

    struct io_uring ring;
    bool ring_ok;
    struct fd_table fdt;

    /* process tree */
    struct proc_tree *tree;
    size_t tree_size;
    bool is_root;                 /* this process runs the tree's first VM */
    pid_t *children;              /* pids this monitor forked and has not reaped */
    unsigned nchildren, children_cap;

    volatile sig_atomic_t stop_signal;
    /* A host signal to hand on to the tree's foreground group (sig_host.c), or 0. */
    volatile sig_atomic_t forward_signal;

    struct user_hc user_hc[UKMON_HC_MAX - UKMON_HC_USER_FIRST];
    struct hc_stats stats;
    struct ukmon_exit exit;
};

/* addrspace.c */
int as_protect(struct ukmon_vm *vm, uint64_t lo, uint64_t hi, uint8_t perm);
int as_replace(struct ukmon_vm *vm, uint64_t lo, uint64_t hi, uint8_t perm);
int as_map_file(struct ukmon_vm *vm, uint64_t lo, uint64_t hi, uint8_t perm, int fd,
                uint64_t offset, bool shared);
bool as_is_free(const struct ukmon_vm *vm, uint64_t lo, uint64_t hi);
uint64_t as_find_free(const struct ukmon_vm *vm, uint64_t len, uint64_t bottom,
                      uint64_t top);

/* net_setup.c */
int net_setup(struct ukmon_vm *vm);
void net_free(struct ukmon_vm *vm);

/* fs_mounts.c */
int fs_setup(struct ukmon_vm *vm);
void fs_free(struct ukmon_vm *vm);
/* landlock.c: the kernel's Landlock ABI version, or -errno without it */
int landlock_abi(void);

/* linux/lx_boot.c */
int lx_boot_setup(struct ukmon_vm *vm, const struct elf_image *img, int argc,
                  char *const argv[], char *const envp[]);
enum hc_result lx_syscall_exit(struct ukmon_vm *vm);
const char *lx_syscall_name(uint64_t nr);
enum hc_result lx_signal_deliver(struct ukmon_vm *vm);
bool lx_signal_interrupts(struct ukmon_vm *vm);
int lx_vdso_setup(struct ukmon_vm *vm);
int lx_vdso_clock(struct ukmon_vm *vm);

/* error.c */
int vm_fail(struct ukmon_vm *vm, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* guest_mem.c */
int gmem_alloc(struct ukmon_vm *vm, uint64_t size);
void gmem_free(struct ukmon_vm *vm);
int gmem_reset(struct ukmon_vm *vm);
int gmem_advise_heap(struct ukmon_vm *vm, uint64_t heap_start, uint64_t heap_end);
void *gmem_ptr(const struct ukmon_vm *vm, ukmon_gpa_t gpa, uint64_t len);
void *gmem_user_ptr(const struct ukmon_vm *vm, ukmon_gpa_t gpa, uint64_t len, bool write);
bool gmem_range_ok(uint64_t mem_size, uint64_t gpa, uint64_t len);

/* kvm.c */
int kvm_open_dev(struct ukmon_vm *vm);
int kvm_create_machine(struct ukmon_vm *vm);
int kvm_create_vcpu(struct ukmon_vm *vm);
void kvm_close_machine(struct ukmon_vm *vm);
void kvm_kick(void);
int kvm_reset_vcpu(struct ukmon_vm *vm);
void kvm_forget_parent(struct ukmon_vm *vm);
int kvm_cpuid_leaf(uint32_t fn, uint32_t index, uint32_t *eax, uint32_t *ebx, uint32_t *ecx,
                   uint32_t *edx);
int kvm_set_tsc_offset_zero(struct ukmon_vm *vm);
const char *kvm_exit_name(uint32_t reason);

/* elf_load.c */
int elf_check_image(const void *image, size_t size, uint64_t mem_size,
                    struct elf_image *out, char *err, size_t errlen);
int elf_load_segments(const struct elf_image *img, const void *image, int fd, uint8_t *mem);

/* program.c */
int program_from_fd(struct ukmon_vm *vm, int fd, const char *name, struct program_file *pf);
int program_open(struct ukmon_vm *vm, const char *path, struct program_file *pf);
void program_release(struct program_file *pf, bool keep_fd);
int program_build(struct ukmon_vm *vm, const struct elf_image *img,
                  const struct program_file *pf, int argc, char *const argv[],
                  char *const envp[]);

/* boot.c */
int boot_setup(struct ukmon_vm *vm, const struct elf_image *img, int argc,
               char *const argv[], char *const envp[]);
void boot_perm_range(uint8_t *perm, uint64_t start, uint64_t end, uint8_t p, bool or);
void boot_perm_fixed(uint8_t *perm, const struct elf_image *img);
int boot_page_tables(struct ukmon_vm *vm, const uint8_t *perm);
void boot_gdt_idt(struct ukmon_vm *vm);
int boot_set_initial_vcpu(struct ukmon_vm *vm);
void boot_user_segments(struct kvm_sregs *sr);
int boot_setup_clock(struct ukmon_vm *vm);
/* ns = base_ns + ((rdtsc - tsc_base) * tsc_mult) >> 32, as in struct ukmon_boot_info. */
struct boot_clock {
    uint64_t tsc_base, tsc_mult;
    int64_t mono_base_ns, wall_base_ns;
};
bool boot_tsc_clock(struct ukmon_vm *vm, struct boot_clock *c);
uint64_t boot_stack_size(uint64_t mem_size);

/* vcpu_loop.c */
int vcpu_run_loop(struct ukmon_vm *vm);
int vcpu_complete_exit(struct ukmon_vm *vm);
/* The vCPU's registers as of the last exit (KVM_SYNC_X86_REGS/SREGS in kvm_run). */
static inline struct kvm_regs *vcpu_regs(struct ukmon_vm *vm)
{
    return &vm->run->s.regs.regs;
}
static inline const struct kvm_sregs *vcpu_sregs(struct ukmon_vm *vm)
{
    return &vm->run->s.regs.sregs;
}
static inline struct kvm_sregs *vcpu_sregs_mut(struct ukmon_vm *vm)
{
    return &vm->run->s.regs.sregs;
}
void vcpu_sregs_changed(struct ukmon_vm *vm);
/* vcpu_regs() was changed: KVM loads it before the next entry. */
static inline void vcpu_regs_changed(struct ukmon_vm *vm)
{
    vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}
void vm_set_fault(struct ukmon_vm *vm, int sig, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* hypercalls.c */
enum hc_result { HC_CONTINUE = 0, HC_STOP = 1 };
enum hc_result hc_dispatch(struct ukmon_vm *vm, unsigned nr, uint32_t arg_gpa);
const char *hc_name(unsigned nr);
void hc_trace(struct ukmon_vm *vm, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* uring.c */
int uring_setup(struct ukmon_vm *vm);
int uring_ensure(struct ukmon_vm *vm);
int uring_wait(struct ukmon_vm *vm, struct io_uring_cqe **cqe, bool check);
void uring_teardown(struct ukmon_vm *vm);
int64_t uring_rw(struct ukmon_vm *vm, bool write, int host_fd, void *buf, uint64_t len);
int64_t uring_rwv(struct ukmon_vm *vm, bool write, int host_fd, const struct iovec *iov,
                  unsigned iovcnt);
int64_t uring_poll_many(struct ukmon_vm *vm, struct ukmon_hc_poll *a);
#define POLL_FDS_MAX FDT_MAX
int64_t uring_poll_fds(struct ukmon_vm *vm, struct ukmon_pollfd *pf, uint64_t nfds,
                       int64_t timeout_ms);
void uring_forget_parent(struct ukmon_vm *vm);
int64_t uring_accept(struct ukmon_vm *vm, int fd, struct sockaddr *addr, socklen_t *len,
                     int flags);
int64_t uring_connect(struct ukmon_vm *vm, int fd, const struct sockaddr *addr, socklen_t len);
int64_t uring_sendrecv(struct ukmon_vm *vm, bool send, int fd, void *buf, size_t len, int flags);
int64_t uring_msg(struct ukmon_vm *vm, bool send, int fd, struct msghdr *msg, int flags);

/* io.c */
int64_t io_rw(struct ukmon_vm *vm, bool write, int64_t fd, ukmon_gpa_t buf, uint64_t len);
int64_t io_prw(struct ukmon_vm *vm, bool write, int64_t fd, ukmon_gpa_t buf, uint64_t len,
               int64_t offset);
int64_t io_rwv(struct ukmon_vm *vm, bool write, int64_t fd, const struct ukmon_iovec *gv,
               uint64_t iovcnt);
int64_t io_pipe(struct ukmon_vm *vm, int flags, int fds[2]);
int64_t io_close(struct ukmon_vm *vm, int64_t fd);
int64_t io_dup(struct ukmon_vm *vm, int64_t oldfd, int64_t newfd, int from, bool cloexec);
void io_close_on_exec(struct ukmon_vm *vm);

/* fdtable.c */
int fdt_init(struct fd_table *t, const struct ukmon_config *cfg);
int fdt_host(const struct fd_table *t, int64_t fd);
const struct fd_entry *fdt_entry(const struct fd_table *t, int64_t fd);
void fdt_install(struct fd_table *t, int fd, int host_fd, bool syscalls);
bool fdt_wants_syscalls(int host_fd);
int fdt_lowest_free(const struct fd_table *t, int from);
void fdt_close_all(struct fd_table *t);

/* gsig.c: guest signals between monitors; see sig.h for the rest */
#define GSIG_MAX 64
struct sig_info;
int gsig_host_signal(void);
int gsig_install(void);
void gsig_raise(const struct sig_info *si);
int gsig_send(struct ukmon_vm *vm, pid_t pid, int sig, int code, bool group);
void gsig_fork_unblock(pid_t child, const sigset_t *old);
uint64_t gsig_pending(void);
bool gsig_take(int sig, struct sig_info *out);
void gsig_discard(uint64_t mask);
void gsig_reset(void);
uint64_t gsig_timer_value(int sig, int id);

/* sandbox.c */
int sandbox_install(struct ukmon_vm *vm);

/* stats.c */
void stats_print(struct ukmon_vm *vm);

/* clock.c */
int64_t clock_ns(clockid_t id);

#endif
