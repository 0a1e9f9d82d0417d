/* ukmon_abi.h: the hypercall ABI shared by the ukmon monitor and the guest library. */
#ifndef UKMON_ABI_H
#define UKMON_ABI_H

/*
 * Contract between a guest (linked against guest/) and the monitor.
 *
 * A hypercall is `outl %eax, %dx` with dx = UKMON_HC_PORT_BASE + call number and eax
 * the 32-bit guest-physical address of the call's argument struct. The monitor copies
 * the struct out of guest memory once, checks every address and length in it, acts,
 * and writes the OUT fields back. Every struct has fixed-size fields only, so the
 * layout is the same for any compiler on x86-64.
 *
 * Guest memory is identity-mapped: a guest virtual address equals its guest-physical
 * address. Argument structs must lie below 4 GiB (guest memory never goes above it).
 */

/*
 * Bumped when the ABI grows or changes; guests carry it in an ELF note (see below).
 * 2: files (open, stat, getdents, unlink, mkdir, lseek, chdir), signals (sigaction,
 *    sigprocmask, kill, sigreturn, sigsuspend, alarm; SIGPIPE's default action ends
 *    the writer, as on Linux, where ABI 1 programs got EPIPE only) and TCP sockets.
 */
#define UKMON_ABI_VERSION 2
/* The oldest ABI this monitor still runs. */
#define UKMON_ABI_MIN 1

/* The ELF note that marks a ukmon unikernel: name "ukmon", type 1, desc = uint32 ABI. */
#define UKMON_NOTE_NAME "ukmon"
#define UKMON_NOTE_TYPE_ABI 1

#ifndef __ASSEMBLER__
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A guest-physical address. Always an integer in shared structs: the monitor must
 * translate it through its one checked helper; it can never dereference it by accident.
 */
typedef uint64_t ukmon_gpa_t;

#define UKMON_HC_PORT_BASE 0x500
/*
 * Ports used by the monitor's ring-0 exception stubs: base + vector (0..31). Below 256
 * on purpose: the stubs use `out %al, $imm8`, which changes no register of the guest.
 */
#define UKMON_EXC_PORT_BASE 0xe0

enum ukmon_hc_nr {
    UKMON_HC_WRITE = 1,     /* struct ukmon_hc_rw */
    UKMON_HC_READ = 2,      /* struct ukmon_hc_rw */
    UKMON_HC_EXIT = 3,      /* struct ukmon_hc_exit */
    UKMON_HC_ABORT = 4,     /* struct ukmon_hc_abort */
    UKMON_HC_CLOCK = 5,     /* struct ukmon_hc_clock */
    UKMON_HC_SET_TLS = 6,   /* struct ukmon_hc_set_tls */
    UKMON_HC_FORK = 7,      /* struct ukmon_hc_fork */
    UKMON_HC_WAITPID = 8,   /* struct ukmon_hc_waitpid */
    UKMON_HC_GETPID = 9,    /* struct ukmon_hc_getpid */
    UKMON_HC_NANOSLEEP = 10, /* struct ukmon_hc_nanosleep */
    UKMON_HC_YIELD = 11,    /* struct ukmon_hc_ret */
    UKMON_HC_PIPE = 12,     /* struct ukmon_hc_pipe */
    UKMON_HC_CLOSE = 13,    /* struct ukmon_hc_fd */
    UKMON_HC_DUP = 14,      /* struct ukmon_hc_dup */
    UKMON_HC_RWV = 15,      /* struct ukmon_hc_rwv: readv/writev */
    UKMON_HC_POLL = 16,     /* struct ukmon_hc_poll */
    UKMON_HC_NULL = 17,     /* struct ukmon_hc_ret: does nothing (benchmarks) */
    /* ABI 2: files of the folders granted with --dir */
    UKMON_HC_OPEN = 18,     /* struct ukmon_hc_open */
    UKMON_HC_STAT = 19,     /* struct ukmon_hc_stat */
    UKMON_HC_GETDENTS = 20, /* struct ukmon_hc_rw: buf gets Linux dirent64 records */
    UKMON_HC_UNLINK = 21,   /* struct ukmon_hc_path */
    UKMON_HC_MKDIR = 22,    /* struct ukmon_hc_path */
    UKMON_HC_LSEEK = 23,    /* struct ukmon_hc_lseek */
    UKMON_HC_CHDIR = 24,    /* struct ukmon_hc_path */
    /* ABI 2: signals (see "Signals" below) */
    UKMON_HC_SIGACTION = 25,   /* struct ukmon_hc_sigaction */
    UKMON_HC_SIGPROCMASK = 26, /* struct ukmon_hc_sigprocmask */
    UKMON_HC_KILL = 27,        /* struct ukmon_hc_kill */
    UKMON_HC_SIGRETURN = 28,   /* struct ukmon_hc_ret, anywhere: the frame is at %rsp - 8 */
    UKMON_HC_SIGSUSPEND = 29,  /* struct ukmon_hc_sigsuspend */
    UKMON_HC_ALARM = 30,       /* struct ukmon_hc_alarm */
    /* ABI 2: TCP sockets on published ports and allowed peers, AF_UNIX socketpairs */
    UKMON_HC_SOCKET = 31,      /* struct ukmon_hc_socket */
    UKMON_HC_BIND = 32,        /* struct ukmon_hc_sockaddr: connect's too */
    UKMON_HC_LISTEN = 33,      /* struct ukmon_hc_sockarg */
    UKMON_HC_ACCEPT = 34,      /* struct ukmon_hc_accept */
    UKMON_HC_CONNECT = 35,     /* struct ukmon_hc_sockaddr */
    UKMON_HC_SHUTDOWN = 36,    /* struct ukmon_hc_sockarg */
    UKMON_HC_SOCKOPT = 37,     /* struct ukmon_hc_sockopt */
    UKMON_HC_SOCKNAME = 38,    /* struct ukmon_hc_accept: fd, addr, lenp; flags 1 = peer */
    UKMON_HC_SENDRECV = 39,    /* struct ukmon_hc_sendrecv */
    UKMON_HC_COUNT          /* first number not in use; extensions start at 64 */
};

/* Calls registered by an embedding program through libukmon start here. */
#define UKMON_HC_USER_FIRST 64
#define UKMON_HC_MAX 128

/*
 * Every result is `int64_t ret`: >= 0 on success, -errno (Linux numbering) on error,
 * the same convention as Linux system calls.
 */
struct ukmon_hc_ret {
    int64_t ret;            /* OUT */
};

struct ukmon_hc_rw {
    int64_t fd;             /* IN */
    ukmon_gpa_t buf;        /* IN */
    uint64_t len;           /* IN */
    int64_t ret;            /* OUT: bytes moved or -errno */
};

struct ukmon_iovec {
    ukmon_gpa_t base;
    uint64_t len;
};

#define UKMON_IOV_MAX 1024
struct ukmon_hc_rwv {
    int64_t fd;             /* IN */
    uint64_t write;         /* IN: 1 = writev, 0 = readv */
    ukmon_gpa_t iov;        /* IN: array of struct ukmon_iovec */
    uint64_t iovcnt;        /* IN: <= UKMON_IOV_MAX */
    int64_t ret;            /* OUT */
};

struct ukmon_hc_exit {
    int64_t status;         /* IN: low 8 bits become the exit code */
};

struct ukmon_hc_abort {
    ukmon_gpa_t msg;        /* IN: message, may be 0 */
    uint64_t len;           /* IN: at most UKMON_ABORT_MSG_MAX bytes are shown */
};
#define UKMON_ABORT_MSG_MAX 512

enum ukmon_clock_id {
    UKMON_CLOCK_MONOTONIC = 1,
    UKMON_CLOCK_REALTIME = 2,
};

struct ukmon_hc_clock {
    uint64_t clock;         /* IN: enum ukmon_clock_id */
    int64_t ns;             /* OUT: nanoseconds */
    int64_t ret;            /* OUT */
};

struct ukmon_hc_set_tls {
    uint64_t fs_base;       /* IN: new FS base (thread pointer) */
    int64_t ret;            /* OUT */
};

struct ukmon_hc_fork {
    int64_t ret;            /* OUT: child pid in the parent, 0 in the child, or -errno */
};

#define UKMON_WNOHANG 1
#define UKMON_WUNTRACED 2     /* ABI 2: also report a child that stopped */
#define UKMON_WCONTINUED 8    /* ABI 2: also report a child that was continued */
struct ukmon_hc_waitpid {
    int64_t pid;            /* IN: > 0 one child, -1 any child */
    uint64_t options;       /* IN: UKMON_WNOHANG */
    int64_t status;         /* OUT: wait status, Linux encoding */
    int64_t ret;            /* OUT: pid reaped, 0 (WNOHANG, none ready) or -errno */
};

struct ukmon_hc_getpid {
    int64_t pid;            /* OUT */
    int64_t ppid;           /* OUT */
    int64_t ret;            /* OUT */
};

struct ukmon_hc_nanosleep {
    int64_t ns;             /* IN: relative sleep */
    int64_t ret;            /* OUT */
};

struct ukmon_hc_pipe {
    uint64_t flags;         /* IN: must be 0 */
    int64_t fds[2];         /* OUT: read end, write end */
    int64_t ret;            /* OUT */
};

struct ukmon_hc_fd {
    int64_t fd;             /* IN */
    int64_t ret;            /* OUT */
};

struct ukmon_hc_dup {
    int64_t oldfd;          /* IN */
    int64_t newfd;          /* IN: -1 = lowest free (dup), else dup2 */
    int64_t ret;            /* OUT */
};

struct ukmon_pollfd {
    int32_t fd;
    int16_t events;
    int16_t revents;
};
#define UKMON_POLL_MAX 256
struct ukmon_hc_poll {
    ukmon_gpa_t fds;        /* IN: array of struct ukmon_pollfd */
    uint64_t nfds;          /* IN: <= UKMON_POLL_MAX */
    int64_t timeout_ms;     /* IN: < 0 waits for ever */
    int64_t ret;            /* OUT */
};

/* Flags and modes are Linux's (O_CREAT 0100, O_RDWR 2...); paths are guest paths. */
struct ukmon_hc_open {
    ukmon_gpa_t path;       /* IN: NUL-terminated, at most 4095 bytes */
    uint64_t flags;         /* IN: O_* */
    uint64_t mode;          /* IN: for O_CREAT */
    int64_t ret;            /* OUT: the new fd, or -errno */
};

struct ukmon_stat {
    uint64_t dev, ino, mode, nlink, uid, gid, rdev, size, blksize, blocks;
    int64_t atime_ns, mtime_ns, ctime_ns;
};

struct ukmon_hc_stat {
    int64_t fd;             /* IN: >= 0: that fd (path ignored); -1: path */
    ukmon_gpa_t path;       /* IN */
    uint64_t nofollow;      /* IN: 1: a symlink itself (lstat) */
    ukmon_gpa_t st;         /* IN: struct ukmon_stat, filled */
    int64_t ret;            /* OUT */
};

#define UKMON_UNLINK_DIR 1  /* ukmon_hc_path.arg for UNLINK: rmdir */
struct ukmon_hc_path {
    ukmon_gpa_t path;       /* IN */
    uint64_t arg;           /* IN: MKDIR: mode; UNLINK: UKMON_UNLINK_DIR or 0 */
    int64_t ret;            /* OUT */
};

struct ukmon_hc_lseek {
    int64_t fd;             /* IN */
    int64_t offset;         /* IN */
    uint64_t whence;        /* IN: SEEK_SET 0, SEEK_CUR 1, SEEK_END 2 */
    int64_t ret;            /* OUT: the new offset, or -errno */
};

/*
 * Signals. Numbers, masks (bit n-1 for signal n), struct ukmon_sigaction and the
 * frame a handler gets are Linux's on x86-64, so one implementation in the monitor
 * serves both kinds of guest. A handler is entered with %rdi = signal, %rsi = its
 * siginfo (128 bytes), %rdx = the ucontext, (%rsp + 8) % 16 == 0, and (%rsp) = the
 * action's restorer, which must make the SIGRETURN call with %rsp just above that
 * return address (as after `ret`). UKMON_SA_RESTORER is required. The frame goes 128
 * bytes below the interrupted %rsp (the red zone), or on the alternate stack.
 */
#define UKMON_NSIG 64
#define UKMON_SA_NOCLDSTOP 0x00000001ULL
#define UKMON_SA_NOCLDWAIT 0x00000002ULL
#define UKMON_SA_SIGINFO 0x00000004ULL
#define UKMON_SA_ONSTACK 0x08000000ULL
#define UKMON_SA_RESTART 0x10000000ULL
#define UKMON_SA_NODEFER 0x40000000ULL
#define UKMON_SA_RESETHAND 0x80000000ULL
#define UKMON_SA_RESTORER 0x04000000ULL
#define UKMON_SIG_DFL 0ULL
#define UKMON_SIG_IGN 1ULL

struct ukmon_sigaction {
    uint64_t handler;       /* UKMON_SIG_DFL, UKMON_SIG_IGN or a function */
    uint64_t flags;         /* UKMON_SA_* */
    uint64_t restorer;
    uint64_t mask;          /* blocked while the handler runs */
};

struct ukmon_hc_sigaction {
    int64_t sig;            /* IN */
    ukmon_gpa_t act;        /* IN: struct ukmon_sigaction, or 0 */
    ukmon_gpa_t oldact;     /* IN: struct ukmon_sigaction filled, or 0 */
    int64_t ret;            /* OUT */
};

#define UKMON_SIG_BLOCK 0
#define UKMON_SIG_UNBLOCK 1
#define UKMON_SIG_SETMASK 2
struct ukmon_hc_sigprocmask {
    uint64_t how;           /* IN: UKMON_SIG_* */
    uint64_t set;           /* IN */
    uint64_t change;        /* IN: 0: only read the mask (set and how are ignored) */
    uint64_t old;           /* OUT: the mask before */
    uint64_t pending;       /* OUT: signals pending (blocked ones, after the change) */
    int64_t ret;            /* OUT */
};

struct ukmon_hc_kill {
    int64_t pid;            /* IN: kill(2)'s: > 0, 0 (group), -1 (every VM of the tree), < -1 */
    int64_t sig;            /* IN: 0 checks only */
    int64_t ret;            /* OUT */
};

struct ukmon_hc_sigsuspend {
    uint64_t mask;          /* IN: the mask while it sleeps */
    int64_t ret;            /* OUT: -EINTR, once a handler has run */
};

struct ukmon_hc_alarm {
    uint64_t seconds;       /* IN: SIGALRM after this long; 0 cancels */
    int64_t ret;            /* OUT: seconds the previous alarm had left (rounded up) */
};

/*
 * Sockets. Address structs, lengths, flags and option numbers are Linux's (AF_INET 2,
 * AF_INET6 10, AF_UNIX 1, SOCK_STREAM 1, SOCK_NONBLOCK 04000, SOCK_CLOEXEC 02000000).
 * A socket gets a host socket when it binds a port the monitor publishes, or connects
 * to a peer it allows; fds are the guest's ordinary fds (read, write, poll, close).
 */
struct ukmon_hc_socket {
    int64_t domain;         /* IN: AF_INET, AF_INET6; AF_UNIX with pair = 1 */
    int64_t type;           /* IN: SOCK_STREAM, with SOCK_NONBLOCK/SOCK_CLOEXEC */
    int64_t protocol;       /* IN */
    uint64_t pair;          /* IN: 1 = socketpair() */
    int64_t fds[2];         /* OUT: the socket (fds[0]), or the pair */
    int64_t ret;            /* OUT */
};

struct ukmon_hc_sockaddr {
    int64_t fd;             /* IN */
    ukmon_gpa_t addr;       /* IN: struct sockaddr_in / sockaddr_in6 */
    uint64_t len;           /* IN */
    int64_t ret;            /* OUT */
};

struct ukmon_hc_sockarg {
    int64_t fd;             /* IN */
    int64_t arg;            /* IN: LISTEN: backlog; SHUTDOWN: how */
    int64_t ret;            /* OUT */
};

struct ukmon_hc_accept {
    int64_t fd;             /* IN */
    ukmon_gpa_t addr;       /* IN: filled, or 0 */
    ukmon_gpa_t lenp;       /* IN: int32: the buffer's size in, the address's out */
    uint64_t flags;         /* IN: SOCK_NONBLOCK, SOCK_CLOEXEC */
    int64_t ret;            /* OUT: the new fd */
};

struct ukmon_hc_sockopt {
    int64_t fd;             /* IN */
    int64_t level, name;    /* IN */
    ukmon_gpa_t val;        /* IN */
    uint64_t len;           /* IN: set: the value's size; get: gpa of an int32 size in/out */
    uint64_t get;           /* IN: 1 = getsockopt */
    int64_t ret;            /* OUT */
};

struct ukmon_hc_sendrecv {
    int64_t fd;             /* IN */
    ukmon_gpa_t buf;        /* IN */
    uint64_t len;           /* IN */
    int64_t flags;          /* IN: MSG_* */
    uint64_t send;          /* IN: 1 = send, 0 = recv */
    int64_t ret;            /* OUT: bytes moved or -errno */
};

/*
 * Boot information, written by the monitor into low guest memory; its address is in
 * %rdi at the ELF entry point. Pointers are guest addresses (identity mapped).
 */
#define UKMON_BOOT_MAGIC 0x6e6f6d6b75ULL /* "ukmon" */
#define UKMON_BOOT_TSC_CLOCK 1           /* flags: the rdtsc clock below is valid */

struct ukmon_boot_info {
    uint64_t magic;
    uint32_t abi_version;
    uint32_t flags;
    uint64_t mem_size;      /* bytes of guest memory, from address 0 */
    uint64_t heap_start;    /* first free byte after the loaded image */
    uint64_t heap_end;      /* end of the heap: below the stack guard */
    uint64_t stack_top;
    uint64_t argc;
    ukmon_gpa_t argv;       /* char *argv[argc + 1] */
    ukmon_gpa_t envp;       /* char *envp[], NULL-terminated */
    /* Clock without a VM exit: ns = base_ns + ((rdtsc - tsc_base) * tsc_mult) >> 32. */
    uint64_t tsc_base;
    uint64_t tsc_mult;
    int64_t mono_base_ns;
    int64_t wall_base_ns;
};

#ifdef __cplusplus
}
#endif
#endif /* __ASSEMBLER__ */
#endif
