/*
 * monitor.h: the VM, the one struct every layer of libukmon reads and writes, and the
 * state it is made of. What each layer does with it is declared in the layer's own
 * header: kvm/vmm.h, kernel/{proc,io,sig,fs,net,stats}.h, native/hypercalls.h,
 * linux/lx.h, host/host.h; personality.h joins a program to its layer of calls.
 */
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
#include <pthread.h>

#include "ukmon.h"
#include "ukmon_ring.h"

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

/* A pipe kept as a ring in shared memory (kernel/pipe_ring.c, include/ukmon_ring.h). */
#define RINGS_MAX 64
struct pipe_ring {
    int memfd;                   /* the ring's memory; -1: a free slot */
    int data_efd, space_efd;     /* signalled for a reader (writer) that waits */
    struct ukmon_ring *hdr;      /* the monitor's own view of the ring */
    uint8_t *data;
    unsigned refs;               /* this VM's guest fds on it */
    unsigned busy;               /* this VM's threads waiting on it: it stays until they go */
    uint64_t gen;                /* moves each time the slot takes a new ring */
};

/* One guest fd: which host fd it stands for. -1 = closed. */
struct fd_entry {
    int host_fd;
    uint32_t serial;        /* which install this is: mirrors tell a reused number apart */
    /*
     * The kernel object behind it in the tree's count (proc_acct.c): 1 + its index, or 0
     * for fds the tree did not make (ukmon's own stdin/stdout/stderr, LISTEN_FDS).
     */
    uint32_t obj;
    struct fd_sock sock;
    bool cloexec;           /* FD_CLOEXEC: closed by execve */
    bool vdir;              /* a directory the monitor makes up (host_fd: a placeholder) */
    bool may_change;        /* a file of a :rw folder: fchmod, futimens allowed on it */
    bool read_only;         /* a file of a read-only folder: fchmod & co. are EROFS */
    bool devnull;           /* the guest's /dev/null: a Linux program's guest-side layer
                             * answers its reads and writes itself (lx_inguest.c) */
    int32_t owner;          /* F_SETOWN's pid (recorded only: no SIGIO is sent) */
    uint8_t ring;           /* a pipe end kept as a ring: its slot + 1, else 0 */
    bool ring_w;            /* ... its write end */
    int64_t vdir_pos;       /* its getdents position */
    char *path;             /* a directory's guest path (relative *at() calls), or NULL */
    /*
     * I/O through read(2)/write(2), not io_uring, for these kinds of host fd:
     * - regular files and block devices: io_uring's "current position" (offset -1) is
     *   read and advanced without the file-position lock, so VMs sharing one open file
     *   (a forked tree printing to a redirected stdout) overwrote each other's lines;
     * - character devices but terminals (/dev/zero): io_uring returned short reads.
     * O_NONBLOCK fds go the same way (io_uring waits where read(2) says EAGAIN), but
     * that is a flag of the open file, which others may change: io.c looks at it on
     * every call.
     */
    bool syscalls;
};
#define FDT_MAX 1024 /* as RLIMIT_NOFILE's usual soft limit; bash keeps a script at 255 */

struct proc_tree;
struct fd_table {
    struct fd_entry fd[FDT_MAX];
    unsigned gen;           /* bumped by every change of an entry: mirrors compare it */
    uint32_t serials;       /* the last entry's serial */
    /* Where the objects its fds stand for are counted, and this VM's slot there. */
    struct proc_tree *tree;
    unsigned slot;
};

/*
 * A kernel object the VMs of a tree made (an open file, a pipe, a socket), counted
 * once however many of them hold an fd for it (proc_acct.c).
 */
enum { ACCT_FILE = 1, ACCT_PIPE, ACCT_SOCKET };
struct acct_obj {
    uint32_t state;          /* even: free, odd: in use; +1 at each change (no ABA) */
    uint16_t kind;           /* ACCT_* */
    uint16_t unused;
    uint32_t pages;          /* a pipe's buffer as counted in pipe_pages */
    uint32_t unused2;
    uint64_t holders[];      /* bit s: the VM in slot s holds an fd for it */
};

/*
 * Shared by every monitor of one tree (MAP_SHARED): pids alive, for limits and kill,
 * and what the tree holds against its limits (atomics; proc_acct.c). The object
 * table follows the slots, at obj_off.
 */
struct proc_tree {
    pid_t root_pid;
    unsigned max_procs;
    unsigned vm_limit;       /* slots that may be used: max_procs, or fewer for --tree-mem */
    volatile int terminating;
    uint32_t objs, sockets, pipe_pages;      /* in use */
    uint32_t objs_max, sockets_max, pipe_pages_soft, pipe_pages_hard;
    uint32_t obj_top;        /* entries ever used: scans stop there */
    unsigned holder_words;   /* 64-bit words of a holders[] bitmap */
    size_t obj_size, obj_off;
    /*
     * 0 free, -1 reserved, else a live or zombie pid. After them, one word per slot:
     * how its VM ended, once it has said so (proc.c: tree_exits()).
     */
    pid_t slots[];
};

#define STATS_CALLS_MAX 512      /* call numbers counted one by one by --stats */

struct hc_stats {
    uint64_t exits_io, exits_other, exits_intr;
    /* The personality's calls (hypercalls, system calls) by number; the last slot: beyond. */
    uint64_t calls[STATS_CALLS_MAX + 1];
    uint64_t calls_ns[STATS_CALLS_MAX + 1]; /* time the monitor spent serving them */
    uint64_t calls_enosys;       /* calls answered ENOSYS */
    uint64_t ns_in_run, ns_total;
    int64_t ns_start;            /* CLOCK_MONOTONIC at the first KVM_RUN, or at fork */
};

/* What the ELF loader found a program to be; personality.c maps it to its calls. */
enum elf_kind {
    ELF_UKMON = 1,          /* a ukmon unikernel (ABI note): hypercalls */
    ELF_LINUX = 2,          /* a static Linux executable: system calls */
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
    /* Linux programs: argv's and envp's strings on the initial stack (/proc/PID/cmdline) */
    uint64_t arg_start, arg_end, env_start, env_end;
    uint64_t mapped_pages;       /* pages mapped (the image, the stack, mmap, brk): VmSize */
};

struct lx_state;
struct personality;
struct pinfo;
struct shm_reg;

/*
 * A process's signal dispositions (sig_*.c). In the VM struct: fork(2) of the monitor
 * copies them, as fork copies a process's.
 */
struct sig_state {
    struct ukmon_sigaction act[UKMON_NSIG + 1]; /* by signal number, 1..64 */
};

/* A thread's signal mask and alternate stack (sig_*.c): in its struct vcpu. */
struct sig_thread {
    uint64_t mask;                /* blocked: bit n-1 for signal n */
    uint64_t saved_mask;          /* sigsuspend & co: the mask to go back to */
    bool restore_mask;            /* ... once a handler's frame holds it, or the call returns */
    uint64_t ss_sp, ss_size;      /* sigaltstack; ss_size 0 when there is none */
    uint64_t waiting;             /* sigtimedwait's set while it waits: wanted though blocked */
};

/*
 * The call a vCPU's thread is serving, as its personality's dispatcher keeps it
 * (linux/lx_syscall.c): per thread, since threads make calls at the same time.
 */
struct vcpu_call {
    bool stop;                    /* the guest does not continue after this call (exit, fault) */
    bool new_state;               /* a whole register state was loaded (execve): no result */
    const void *cur;              /* the call's table entry, for handlers that trace themselves */
    uint64_t nr;
};

/*
 * The most vCPUs (threads) one VM may have: vCPU 0 and one slot of the low area's
 * ring-0 stack page each for the others (kvm/layout.h: GL_VCPU_SLOT...). clone of
 * one more thread is EAGAIN.
 */
#define VCPUS_MAX 126

struct ukmon_vm;

/*
 * One vCPU of a VM, which is one thread of the guest's process, served by one
 * thread of the monitor (kernel/thread.c). Everything a thread has on its own is
 * here: its KVM vCPU, its io_uring, its signal mask and its call in progress; the
 * rest is the process's, in struct ukmon_vm. Which vCPU a monitor thread serves is
 * vcpu_cur(): a thread-local pointer, so that services keep taking the VM alone.
 */
enum vcpu_state_kind {
    VCPU_FREE = 0,                /* never made: no KVM vCPU */
    VCPU_PARKED,                  /* a KVM vCPU with no thread: for the next clone */
    VCPU_LIVE,                    /* a guest thread runs on it */
};
struct vcpu {
    struct ukmon_vm *vm;
    unsigned index;               /* in vm->vcpus[]: its KVM vCPU id and its TSS slot */
    int state;                    /* enum vcpu_state_kind, changed under the VM's lock */
    int fd;                       /* the KVM vCPU, or -1 */
    struct kvm_run *run;
    size_t run_size;
    /* The last exit was an OUT whose RIP KVM may still have to move (vcpu_loop.c). */
    bool exit_in_flight;
    /* A call loaded a whole register state (rt_sigreturn): it gets no result. */
    bool regs_loaded;
    bool tss_retried;             /* its TR went to type 9 once (vcpu_tss_fallback) */
    struct vcpu_call call;
    struct sig_thread sig;
    volatile pid_t tid;           /* its monitor thread's host tid: the guest's tid too */
    pthread_t thread;
    bool own_thread;              /* thread was made for it (not the embedder's) */
    /* Words of the guest's that the thread's end clears and wakes (CLONE_CHILD_CLEARTID). */
    uint64_t clear_tid;
    uint64_t robust_list, robust_len;   /* set_robust_list: walked at the thread's end */
    volatile bool must_exit;      /* another thread ended it (execve, exit_group) */
    bool exited;                  /* it made exit(): a leader waits for the others */
    int exit_code;
    /* Bumped by every kick of this thread: a futex wait sleeps on it too (futex.c). */
    uint32_t kick_count;
    struct io_uring ring;         /* its I/O (uring.c), made at its first I/O */
    bool ring_ok;
};

/*
 * The vCPU the calling monitor thread serves. Outside a vCPU's thread (the load, an
 * embedder's call), the leader's.
 */
extern _Thread_local struct vcpu *vcpu_tls;
static inline struct vcpu *vcpu_cur(const struct ukmon_vm *vm);

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
    unsigned umask;              /* the guest's */
    unsigned host_umask;         /* the monitor's own before the guest ran (fs_run_begin) */
    /* The private /tmp (fs_tmp.c): its remover, and the pipes that tell it and us */
    bool tmp_on;                 /* mounts[nmounts - 1] is the private /tmp */
    pid_t tmp_owner;             /* the process that made it, which waits for its end */
    int tmp_alive;               /* held by every monitor: its end lets the remover go */
    int tmp_done;                /* EOF when the remover is done */
    pid_t tmp_mid;               /* forks the remover; reaped by fs_tmp_started(), or 0 */
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

/* The tree's cgroup, which holds --tree-mem (host/cgroup.c). */
enum { CG_NONE = 0, CG_V1 = 1, CG_V2 = 2 };
struct cg_state {
    int mode;                    /* CG_NONE: the monitor counts -m sizes instead */
    bool tried;                  /* made (or not) once, before the jail and the sandbox */
    char dir[2][4096];           /* the tree's cgroup: v2's, or v1's memory and pids ones */
    int back_fd[2];              /* cgroup.procs of where the process came from */
    int events_fd;               /* memory.events (v2), memory.oom_control (v1): oom_kill */
    int janitor_fd;              /* every monitor holds it: at its end the cgroup goes */
    pid_t janitor_mid;           /* forks the janitor: reaped by cgroup_started(), or 0 */
    int janitor_ready;           /* ... and where the janitor says it is up (and moved us in), or -1 */
    bool failed;                 /* ... it said it could not: no fork in the tree */
    char home[4096];             /* v2, ukmon alone in its cgroup: the janitor's leaf there */
    char disable[32];            /* ... and the controllers it then takes back */
    char why[160];               /* CG_NONE: why there is no cgroup */
};

/* A checked ELF program (elf_load.c). */
#define ELF_INTERP_MAX 1024
struct elf_image {
    enum elf_kind kind;
    uint32_t abi;                /* native: the ABI version of its note */
    uint64_t entry;              /* load bias applied, as every address here */
    uint64_t bias;               /* added to the file's addresses: 0 but for static-pie */
    uint64_t lo, hi;             /* lowest and highest byte (exclusive) loaded */
    uint64_t phdr;               /* where the program headers are in memory, or 0 */
    uint32_t phnum;
    bool exec_stack;             /* PT_GNU_STACK asks for an executable stack */
    bool relocatable;            /* ET_DYN: its addresses may move (bias) */
    /*
     * PT_INTERP: the path of the program's interpreter (ld.so) in the guest's file
     * tree, NUL-terminated; "" for a static program.
     */
    char interp[ELF_INTERP_MAX];
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

/*
 * A dynamically linked program's interpreter (glibc's or musl's ld.so): its file and
 * its checked image, whose addresses are moved where the personality places it.
 */
struct program_interp {
    struct elf_image img;
    struct program_file pf;
    char path[ELF_INTERP_MAX];   /* its guest path, for messages */
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
    bool prepared_root;            /* ... or, with a root, its folders (the file comes later) */
    char name[128];              /* the program's name for messages */

    int kvm_fd, vm_fd;
    /* Chunks of guest memory registered with KVM, one bit per GL_SLOT_CHUNK (kvm.c). */
    uint64_t kvm_chunks[2];
    /*
     * The vCPUs: [0] made with the VM; the others as the guest clones threads, kept
     * once made (KVM has no way to remove one) for the next (kernel/thread.c). The
     * leader runs on the thread that called ukmon_vm_run(), or in a forked monitor on
     * the thread that forked; it ends the run, after every other thread has ended.
     */
    struct vcpu *vcpus[VCPUS_MAX];
    struct vcpu *leader;
    /*
     * The big monitor lock: a thread holds it whenever it runs monitor code for its
     * vCPU, and lets it go only in KVM_RUN and in blocking waits (kernel/thread.c has
     * the list). So the services keep their one-thread invariants: the fd table, the
     * address space, signal state and the rest of this struct change under it.
     */
    pthread_mutex_t lock;
    pthread_cond_t threads_cond;  /* a thread ended, parked, or may go on */
    bool threads_ready;           /* lock and condition made (thread_init) */
    unsigned vcpus_max;           /* KVM's limit and ours, once asked */
    unsigned nthreads;            /* guest threads alive (VCPU_LIVE), leader included */
    bool threads_quit;            /* the run is over: the pool's monitor threads end */
    bool group_exit;              /* exit_group, a fatal signal, a fault: every thread ends */
    struct vcpu *exec_by;         /* an execve in progress from this thread: others end */
    bool leader_parked;           /* ... and the leader waits off its vCPU meanwhile */
    int last_exit_code;           /* of the last thread's exit(2): the process's, at the end */
    uint8_t *mem;
    uint64_t mem_size;
    uint8_t *page_perm;           /* what ring 3 may do with each page (boot.c) */
    /*
     * Every page of [perm_uni_lo, perm_uni_hi) is perm_uni, whatever page_perm says
     * (a unikernel's heap, which never changes): its bytes of the map are never
     * written, so they cost nothing. Empty for Linux programs.
     */
    uint64_t perm_uni_lo, perm_uni_hi;
    uint8_t perm_uni;
    /* What the page tables give every page of [pt_uni_lo, pt_uni_hi) (boot.c). */
    uint64_t pt_uni_lo, pt_uni_hi;
    uint8_t pt_uni;
    bool has_tsc_offset_attr, tsc_probed;
    bool has_xsave;
    int tsc_khz;
    /*
     * Type of the TSS descriptor in TR: 11 (busy), as VMX requires, until a CPL3
     * hypercall OUT takes a #GP; then 9 (available), which QEMU's TCG needs before it
     * will consult the I/O bitmap (vcpu_loop.c). Inherited by every forked monitor.
     */
    uint8_t tss_type;

    uint64_t entry, heap_start, stack_top;
    struct kvm_regs entry_regs;   /* the vCPU's registers at the program's first instruction */
    uint64_t xcr0;                /* XSAVE features the guest may use (0: no XSAVE) */
    bool loaded, ran;
    bool guest_ended;             /* the first VM's run loop has returned */
    const struct personality *pers; /* the running program's (personality.h) */
    struct addrspace as;
    struct elf_image img;         /* the program running now */
    struct lx_state *lx;          /* Linux programs: the process state of linux/ */
    struct sig_state sig;
    struct sig_timers timers;
    int exe_fd;                   /* the running program's file, or -1 (loaded from memory) */
    struct fs_state fs;           /* what files the guest sees, and its cwd */
    struct net_state net;         /* published ports, allowed peers */
    struct cg_state cg;           /* the tree's cgroup */
    char exe_path[4096];          /* its path as the guest sees it (/proc/self/exe) */
    bool exe_in_folder;           /* exe_path is a guest path, in a granted folder */
    char exe_named[4096];         /* ... and the path as named (a link's own), or "" */

    struct fd_table fdt;
    struct pipe_ring rings[RINGS_MAX];
    bool pipe_rings;              /* new pipes become rings: the guest moves their data */

    /* process tree */
    struct proc_tree *tree;
    size_t tree_size;
    /*
     * What this VM tells the other VMs of its tree about itself (/proc, priorities:
     * kernel/proc_info.c), once there is a tree: the tree's table (MAP_SHARED, one
     * entry per slot), this VM's slot, its entry's state byte, and what it last wrote.
     */
    struct pinfo *pinfo_tab;
    size_t pinfo_size;
    int tree_slot;
    volatile char *pinfo_state;
    uint32_t pinfo_done;          /* requests of other VMs (setpriority...) applied */
    unsigned pinfo_fd_gen;        /* the fd table's generation last published */
    uint64_t pinfo_sigs[3], pinfo_mapped;
    unsigned pinfo_umask;
    uint32_t pinfo_args_len;      /* argv as last published */
    char pinfo_args[2048];
    char comm[16];                /* the process's name: its file's, or prctl(PR_SET_NAME) */
    int64_t born_ns;              /* CLOCK_BOOTTIME at its fork, or the first VM's load */
    char *args;                   /* argv as the program started, NUL-separated (unikernels) */
    size_t args_len;
    /* System V shared memory (kernel/shm.c): the tree's arena, and this VM's attachments. */
    int shm_fd;
    struct shm_reg *shm_reg;
    struct shm_att {
        uint64_t lo, hi;          /* where in guest memory */
        int idx;                  /* the segment's slot, and its sequence number then */
        uint32_t seq;
    } *shm_att;
    unsigned shm_natt, shm_att_cap;
    bool is_root;                 /* this process runs the tree's first VM */
    bool tree_reaper;             /* subreaper, SIGCHLD handler: from the first fork */
    pid_t *children;              /* pids this monitor forked and has not reaped */
    unsigned nchildren, children_cap;
    /*
     * Children a wait with WNOWAIT found ended: reaped already (their end is read once),
     * their status kept here for the wait that reaps them (proc.c).
     */
    struct {
        pid_t pid;
        int status;
    } kept[8];
    unsigned nkept;
    /* Children the guest has reaped whose monitors are still ending (proc.c) */
    pid_t *dying;
    unsigned ndying, dying_cap;

    bool sandbox_selftest_fork;   /* the test suite's: a forked monitor makes a refused call */

    volatile sig_atomic_t stop_signal;
    /* A host signal to hand on to the tree's foreground group (sig_host.c), or 0. */
    volatile sig_atomic_t forward_signal;

    struct user_hc user_hc[UKMON_HC_MAX - UKMON_HC_USER_FIRST];
    struct hc_stats stats;
    struct ukmon_exit exit;
};

static inline struct vcpu *vcpu_cur(const struct ukmon_vm *vm)
{
    struct vcpu *c = vcpu_tls;
    return c && c->vm == vm ? c : vm->leader;
}

/* The big monitor lock (see struct ukmon_vm); no-ops of pthread's never fail here. */
static inline void vm_lock(struct ukmon_vm *vm)
{
    pthread_mutex_lock(&vm->lock);
}

static inline void vm_unlock(struct ukmon_vm *vm)
{
    pthread_mutex_unlock(&vm->lock);
}

/* error.c: records the message for ukmon_vm_errmsg() and returns `code`. */
int vm_fail(struct ukmon_vm *vm, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* What the run loop does after an exit has been handled. */
enum run_next { RUN_CONTINUE = 0, RUN_STOP = 1 };

#endif
