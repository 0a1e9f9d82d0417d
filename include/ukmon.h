/* ukmon.h: public API of libukmon, the ukmon monitor as an embeddable library. */
#ifndef UKMON_H
#define UKMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "ukmon_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define UKMON_VERSION "0.1.0"

/*
 * Errors: every function that can fail returns 0 on success or a negative code:
 * -errno (e.g. -ENOENT for a missing ELF file, -EACCES for /dev/kvm permission) or one
 * of the UKMON_E* codes below. ukmon_strerror() names a code; ukmon_vm_errmsg() gives
 * the full one-line message with its context (file name, field, address). The library
 * never prints and never exits the calling process (but see "Fork" below).
 */
#define UKMON_EBASE 4096
#define UKMON_EBADELF (-(UKMON_EBASE + 1))   /* the ELF file is malformed or unsupported */
#define UKMON_ENOKVM (-(UKMON_EBASE + 2))    /* KVM missing or lacking a needed feature */
#define UKMON_EABI (-(UKMON_EBASE + 3))      /* guest built for another ukmon ABI */
#define UKMON_ESTATE (-(UKMON_EBASE + 4))    /* call made in the wrong order */
#define UKMON_EFORK (-(UKMON_EBASE + 5))     /* a forked child monitor could not start */

enum ukmon_fork_policy {
    UKMON_FORK_ALLOW = 0,  /* fork(2) the calling process for each guest fork (default) */
    UKMON_FORK_DENY = 1,   /* guest fork() fails with ENOSYS */
};

/* A host folder the guest sees (the CLI's --dir HOST:GUEST[:ro|:rw]). */
struct ukmon_dir {
    const char *host;       /* the folder on the host */
    const char *guest;      /* where the guest sees it: an absolute path, "/" allowed */
    int writable;           /* 0: read-only (EROFS for every change) */
};
#define UKMON_DIRS_MAX 32

/*
 * A port published to the guest (the CLI's --publish [HOSTADDR:]HOSTPORT[:GUESTPORT]):
 * a guest that binds GUESTPORT and listens gets the host's TCP socket on
 * HOSTADDR:HOSTPORT, which the monitor creates and binds before the guest runs.
 */
struct ukmon_publish {
    char host_addr[64];     /* an IPv4 or IPv6 literal; "" = every address, IPv6 and IPv4 */
    uint16_t host_port;     /* 1..65535 */
    uint16_t guest_port;    /* 1..65535 */
};
#define UKMON_PUBLISH_MAX 32

/*
 * Where the guest may connect to (the CLI's --connect ADDR[/BITS]:PORT[-PORT]); with
 * none, every outbound connection is refused (EACCES).
 */
struct ukmon_connect {
    char addr[64];          /* an IPv4 or IPv6 literal: one address, or a network */
    unsigned prefix_len;    /* bits of addr that must match: 32 or 128 for one address */
    uint16_t port_lo, port_hi;
};
#define UKMON_CONNECT_MAX 32

struct ukmon_config {
    uint64_t mem_size;      /* guest memory in bytes: multiple of 2 MiB, 8 MiB .. 4 GiB */
    int stdin_fd;           /* host fds behind the guest's fds 0, 1 and 2 */
    int stdout_fd;
    int stderr_fd;
    int trace_fd;           /* >= 0: one line per hypercall is written here */
    int stats_fd;           /* >= 0: exit and hypercall counts written here at the end */
    unsigned max_procs;     /* VMs alive at once in one tree, root included */
    enum ukmon_fork_policy fork_policy;
    int sandbox;            /* 1 = install the seccomp filter before the guest's first
                             * instruction: from then on the calling process (and every
                             * forked monitor) may make only the monitor's system calls,
                             * for the rest of its life. The CLI sets it; default 0. */
    int hugepages;          /* 1 (default) = the guest heap in transparent huge pages:
                             * much faster fork with large heaps, host memory in 2 MiB steps */
    int syscall_rewrite;    /* 1 (default) = a Linux program's `syscall` instructions that
                             * trap are rewritten into calls of a layer in the guest, which
                             * answers some calls with no VM exit (page 0 becomes its
                             * executable trampoline: NULL reads no longer fault). 0 =
                             * every system call exits to the monitor. */
    char *const *envp;      /* guest environment (NULL-terminated), NULL for none */
    const struct ukmon_dir *dirs; /* granted folders; with none the guest has no files */
    unsigned ndirs;         /* at most UKMON_DIRS_MAX */
    const char *root;       /* a host folder that is the guest's "/" (as chroot makes it),
                             * the granted folders and the made-up /dev, /proc and /tmp
                             * on top of it; read-only unless root_writable. With a root,
                             * the path given to ukmon_vm_load_file() is the guest's: a
                             * name without '/' is looked up in the $PATH of envp, a "#!"
                             * script runs its interpreter, and a dynamically linked
                             * program its ld.so, all from the guest's files. NULL: none
                             * (the program path is a host path). */
    int root_writable;
    const char *cwd;        /* the first program's working directory, a guest path that
                             * must be a directory; NULL: "/" */
    int private_tmp;        /* 1: the tree gets a private, empty, writable /tmp: a folder
                             * made in the host's $TMPDIR (default /tmp) and granted at
                             * /tmp, removed with all it holds when the tree has ended
                             * (by a process forked for that, which outlives a SIGKILL of
                             * the tree). Not when a folder is granted at /tmp. The CLI
                             * sets it unless --no-tmp; default 0. */
    int landlock;           /* 1 (default): with folders granted, confine the monitor
                             * process to them with Landlock before the guest runs, and
                             * refuse to run where the kernel has no Landlock. 0: run
                             * without it (the monitor's own path checks only). */
    const struct ukmon_publish *publish; /* ports the guest may listen on */
    unsigned npublish;      /* at most UKMON_PUBLISH_MAX */
    const struct ukmon_connect *connect; /* where the guest may connect */
    unsigned nconnect;      /* at most UKMON_CONNECT_MAX */
    int bind_any;           /* 1: a bind() to a port nothing publishes makes the monitor
                             * create and bind a host socket there, at the guest's own
                             * address: for a tree in a network namespace of its own (a
                             * container's, where podman forwards ports to it), whose
                             * ports are nobody else's. 0 (default): only published
                             * ports, bound before the guest runs. */
    int listen_fds;         /* socket activation: host fds 3..3+n-1 become the guest's
                             * fds 3.., and its environment gets LISTEN_FDS=n and
                             * LISTEN_PID=its pid. 0: none */
    uint64_t ignored_signals; /* guest signals the first program starts with ignored
                             * (bit n-1 for signal n), as execve keeps SIG_IGN: the CLI
                             * passes those it was started with ignored (nohup, a
                             * script's background job). SIGKILL and SIGSTOP never. 0: none */
    uint64_t tree_mem;      /* memory for the whole tree in bytes: every VM, its monitor,
                             * and the kernel memory they pin (pipe and socket buffers,
                             * page tables). 0 (default): no limit. With `cgroup` and a
                             * usable cgroup v2 (or v1 memory and pids) hierarchy, the
                             * tree gets a cgroup of its own, made as a child of the
                             * calling process's (which moves into it: its memory counts
                             * too) with memory.max = tree_mem and pids.max = 4 x
                             * max_procs + 64; the kernel's OOM killer then ends VMs of
                             * this tree only (ukmon_exit.oom_kills). Without one, the
                             * monitor counts: a fork whose mem_size would take the sum
                             * over the tree's VMs past tree_mem fails with ENOMEM, and a
                             * mem_size over tree_mem is refused at load. The CLI sets
                             * ukmon_tree_mem_default(). */
    int cgroup;             /* 1 (default): hold tree_mem with a cgroup where one can be
                             * made; 0: never (the monitor's count only). */
    int exit_after_free;    /* 1: the calling process exits right after ukmon_vm_free()
                             * (the CLI does): it is not moved back out of the tree's
                             * cgroup, which goes once it has exited. A move can wait out
                             * an RCU grace period (7-18 ms measured). 0 (default): moved
                             * back. */
    /* Called in a forked child monitor process before its VM runs, e.g. to close the
     * embedder's own descriptors. May be NULL. */
    void (*on_fork_child)(void *opaque);
    void *fork_opaque;
    int log_fd;             /* >= 0: a forked VM that dies of a fault writes its one-line
                             * diagnosis here (the CLI's -v, --trace, --log). -1
                             * (default): it dies quietly, as a process would, and its
                             * parent sees the signal in the wait status. The first
                             * VM's own fault is ukmon_exit.reason either way. */
};

#define UKMON_MEM_DEFAULT (1ULL << 30)
#define UKMON_MEM_MIN (8ULL << 20)
#define UKMON_MEM_MAX (4ULL << 30)
#define UKMON_MAX_PROCS_DEFAULT 256
#define UKMON_MAX_PROCS_LIMIT 4096

/* Fills cfg with the defaults: 1 GiB, fds 0/1/2, no trace, fork allowed. */
void ukmon_config_init(struct ukmon_config *cfg);

/*
 * The CLI's default tree_mem: half of the host's RAM (sysinfo's totalram, as
 * /proc/meminfo's MemTotal), in whole MiB, and at least 256 MiB. Half, so that one
 * tree that runs away leaves the host, and another tree, room: its OOM comes first.
 */
uint64_t ukmon_tree_mem_default(void);

enum ukmon_exit_kind {
    UKMON_EXIT_STATUS = 1,  /* the guest called exit(status) */
    UKMON_EXIT_FAULT = 2,   /* the guest crashed or broke the ABI; signal says how */
    UKMON_EXIT_STOPPED = 3, /* ukmon_vm_request_stop(signal) ended the tree */
    UKMON_EXIT_SIGNALED = 4, /* a signal's default action ended the guest (kill) */
};

struct ukmon_exit {
    enum ukmon_exit_kind kind;
    int status;             /* STATUS: 0..255 */
    int signal;             /* FAULT: the host signal a process would have died of
                             * (SIGSEGV, SIGILL, SIGFPE, SIGABRT, SIGSYS); STOPPED: the
                             * signal passed to ukmon_vm_request_stop(); SIGNALED: the
                             * signal that ended it */
    char reason[256];       /* FAULT: one line naming the cause */
    unsigned oom_kills;     /* VMs of the tree the kernel's OOM killer ended because the
                             * tree's cgroup reached tree_mem (0 without a cgroup) */
};

/* The exit code a shell would show for this ending: status, or 128 + signal. */
int ukmon_exit_code(const struct ukmon_exit *ex);

struct ukmon_vm;

/* Allocates a VM handle. NULL only when out of memory. Nothing is opened yet. */
struct ukmon_vm *ukmon_vm_new(const struct ukmon_config *cfg);

/*
 * Opens /dev/kvm, creates the VM and its memory, loads a static x86-64 ELF unikernel
 * and prepares it to boot with argv (argv[0] is the program name seen by the guest).
 * `name` is used in error messages. The _image variant reads the ELF from memory.
 */
int ukmon_vm_load_file(struct ukmon_vm *vm, const char *path, int argc, char *const argv[]);
int ukmon_vm_load_image(struct ukmon_vm *vm, const void *image, size_t size,
                        const char *name, int argc, char *const argv[]);

/*
 * Optional, before ukmon_vm_load_file(path): reads the ELF file and opens /dev/kvm
 * now, so that the process can then give up its access to the file system (see
 * ukmon_jail_enter()). ukmon_vm_load_file() with the same path uses what was read.
 */
int ukmon_vm_prepare(struct ukmon_vm *vm, const char *path);

/*
 * Jail, after ukmon_vm_prepare() and before loading: new pid, mount, network, IPC
 * and UTS namespaces (and a user namespace when not root), an empty read-only root
 * file system, no capabilities, and rlimits (tasks: 4 x max_procs + 64, open files:
 * 512, core dumps: 0). Forks once: returns 1 in the calling process with *child set
 * to the jailed process (the caller waits for it and passes its status on), 0 in the
 * jailed process (pid 1 of its namespace), which goes on to load and run the VM.
 */
int ukmon_jail_enter(struct ukmon_vm *vm, pid_t *child);

/*
 * Extra hypercalls for embedders: nr in [UKMON_HC_USER_FIRST, UKMON_HC_MAX). The
 * handler gets the guest-physical address the guest passed; it reaches guest memory
 * only through ukmon_vm_read() and ukmon_vm_write() (or ukmon_vm_guest_ptr() for a
 * buffer handed to the host kernel). Return 0 to resume the guest, a negative value to
 * end it as a fault.
 */
typedef int (*ukmon_hc_fn)(struct ukmon_vm *vm, void *opaque, ukmon_gpa_t arg);
int ukmon_vm_set_hypercall(struct ukmon_vm *vm, unsigned nr, ukmon_hc_fn fn, void *opaque);

/*
 * Copies between guest memory and the caller: 0, or -EFAULT when a byte of
 * [gpa, gpa + len) is outside guest memory or not the guest's to read (write), or its
 * page faults (a file mapping the guest truncated...). They never fault the caller.
 */
int ukmon_vm_read(struct ukmon_vm *vm, void *dst, ukmon_gpa_t gpa, uint64_t len);
int ukmon_vm_write(struct ukmon_vm *vm, ukmon_gpa_t gpa, const void *src, uint64_t len);

/*
 * Host pointer to [gpa, gpa + len) of guest memory, or NULL if a byte of it is not
 * the guest's to read. Hand it to the kernel (read(2), write(2)...), which answers
 * EFAULT for a page that faults; reading it yourself can kill the process with
 * SIGBUS or SIGSEGV (the guest can unmap or truncate what backs it): copy with
 * ukmon_vm_read() instead.
 */
void *ukmon_vm_guest_ptr(struct ukmon_vm *vm, ukmon_gpa_t gpa, uint64_t len);

/*
 * Runs the guest until it ends. Returns 0 with *ex filled in when the guest ended (in
 * any way, crashes included), a negative code when the monitor itself failed.
 *
 * Fork: with UKMON_FORK_ALLOW, a guest fork() forks the calling process. The child
 * process never returns from ukmon_vm_run(): it runs the child VM and then _exit()s
 * with the child guest's status (or dies of the signal matching its fault). The first
 * fork makes the calling process a child subreaper (PR_SET_CHILD_SUBREAPER) and
 * installs a SIGCHLD handler, so that ukmon_vm_run() in the root returns only after
 * every VM of the tree has ended (only VMs are reaped, never other children of the
 * calling process; ukmon_vm_free() puts the handler and the subreaper flag back).
 * Embedders that cannot accept this use UKMON_FORK_DENY.
 *
 * If SIGPIPE has its default action, ukmon_vm_run() sets it to ignored (for good):
 * a guest writing to a pipe with no reader must get EPIPE, not kill the process.
 */
int ukmon_vm_run(struct ukmon_vm *vm, struct ukmon_exit *ex);

/*
 * Async-signal-safe: asks a running ukmon_vm_run() to end the whole VM tree and
 * return UKMON_EXIT_STOPPED with `signal`. Meant to be called from a signal handler.
 */
void ukmon_vm_request_stop(struct ukmon_vm *vm, int signal);

/*
 * Async-signal-safe: hands a host signal (SIGINT, SIGTERM, SIGHUP...) to the guest, as
 * Linux would hand it to a program: from_terminal (the kernel sent it: si_code ==
 * SI_KERNEL) means every process of the terminal's foreground group got it already,
 * so only the first VM takes it; otherwise it goes to the tree's foreground process
 * group. The guest's action decides what happens; the tree ends when its VMs do.
 * When the guest cannot act on it (its first VM has ended, or the previous one is
 * still pending), it ends the whole tree like ukmon_vm_request_stop(); a signal in
 * cfg.ignored_signals is dropped instead.
 */
void ukmon_vm_forward_signal(struct ukmon_vm *vm, int signal, int from_terminal);

/*
 * Parse the CLI's spellings: "[HOSTADDR:]HOSTPORT[:GUESTPORT]" (an IPv6 HOSTADDR in
 * brackets: "[::1]:8080:80") and "ADDR[/BITS]:PORT[-PORT]" ("10.0.0.0/8:443",
 * "[::1]:5432", "127.0.0.1:8000-8999"). Return 0, or -EINVAL with a reason in err.
 */
int ukmon_parse_publish(const char *spec, struct ukmon_publish *out, char *err, size_t errlen);
int ukmon_parse_connect(const char *spec, struct ukmon_connect *out, char *err, size_t errlen);

/* The last error's one-line message ("app.elf: not an x86-64 ELF executable"). */
const char *ukmon_vm_errmsg(const struct ukmon_vm *vm);

/* Closes every descriptor and frees all memory of the VM. NULL is allowed. */
void ukmon_vm_free(struct ukmon_vm *vm);

/* A short description of an error code returned by the functions above. */
const char *ukmon_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif
