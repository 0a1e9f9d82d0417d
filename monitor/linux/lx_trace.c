/* lx_trace.c: --trace for Linux programs, in strace's notation. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

#include "kernel/stats.h"
#include "linux/lx.h"
#include "sysnames.h"

/*
 * One letter per argument (in the syscall table):
 *   d int       l long      u unsigned  x hex       p pointer   o octal
 *   f fd        s string    b buffer in (length: next argument)
 *   B buffer out (length: the result)   E int[2] out (pipe)     V string vector
 *   O open flags  c fd flags (O_CLOEXEC, O_NONBLOCK; 0 shown as 0)  P mmap prot  M mmap flags  C clone flags  W wait options
 *   S signal  H sigprocmask how  F fcntl command  I ioctl request
 *   A arch_prctl code  R rlimit resource  K clock id  L flock operation
 *   e eventfd flags  T timerfd_create flags  Y timerfd_settime flags
 */

struct out {
    char buf[1024];
    size_t n;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
    if (o->n >= sizeof(o->buf))
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(o->buf + o->n, sizeof(o->buf) - o->n, fmt, ap);
    va_end(ap);
    if (k > 0)
        o->n = o->n + (size_t)k > sizeof(o->buf) ? sizeof(o->buf) : o->n + (size_t)k;
}

struct flag {
    uint64_t bit;
    const char *name;
};

/* Names of the bits set in v, joined by |; what is left, in hex; zero as `zero`. */
static void put_flags(struct out *o, uint64_t v, const struct flag *f, const char *zero)
{
    bool any = false;
    for (; f->name; f++) {
        if (f->bit && (v & f->bit) == f->bit) {
            put(o, "%s%s", any ? "|" : "", f->name);
            v &= ~f->bit;
            any = true;
        }
    }
    if (v || !any) {
        if (!v && zero)
            put(o, "%s", zero);
        else
            put(o, "%s%#llx", any ? "|" : "", (unsigned long long)v);
    }
}

/* A guest byte string, quoted and escaped as strace does, cut at `max`. */
static void put_bytes(struct out *o, struct ukmon_vm *vm, uint64_t gva, uint64_t len,
                      bool stop_at_nul)
{
    const uint64_t max = 32;
    uint64_t show = len < max ? len : max;
    uint8_t p[32];
    if (show && gmem_read(vm, p, gva, show) < 0) {
        put(o, "%#llx", (unsigned long long)gva);
        return;
    }
    put(o, "\"");
    uint64_t i;
    for (i = 0; i < show; i++) {
        uint8_t c = p[i];
        if (stop_at_nul && c == 0)
            break;
        if (c == '\n')
            put(o, "\\n");
        else if (c == '\t')
            put(o, "\\t");
        else if (c == '"' || c == '\\')
            put(o, "\\%c", c);
        else if (c >= 0x20 && c < 0x7f)
            put(o, "%c", c);
        else
            put(o, "\\x%02x", c);
    }
    put(o, "\"%s", (i == show && len > max) ? "..." : "");
}

static void put_string(struct out *o, struct ukmon_vm *vm, uint64_t gva)
{
    char s[64];
    int r = lx_copy_string(vm, gva, s, sizeof(s));
    if (r == -EFAULT)
        put(o, "%#llx", (unsigned long long)gva);
    else
        put_bytes(o, vm, gva, r == 0 ? strlen(s) : 33, true);
}

static const struct flag open_flags[] = {
    {O_WRONLY, "O_WRONLY"}, {O_RDWR, "O_RDWR"}, {O_CREAT, "O_CREAT"}, {O_EXCL, "O_EXCL"},
    {O_NOCTTY, "O_NOCTTY"}, {O_TRUNC, "O_TRUNC"}, {O_APPEND, "O_APPEND"},
    {O_NONBLOCK, "O_NONBLOCK"}, {O_DIRECTORY, "O_DIRECTORY"}, {O_NOFOLLOW, "O_NOFOLLOW"},
    {O_CLOEXEC, "O_CLOEXEC"}, {O_PATH, "O_PATH"}, {0, NULL},
};
static const struct flag prot_flags[] = {
    {PROT_READ, "PROT_READ"}, {PROT_WRITE, "PROT_WRITE"}, {PROT_EXEC, "PROT_EXEC"}, {0, NULL},
};
static const struct flag map_flags[] = {
    {MAP_SHARED, "MAP_SHARED"}, {MAP_PRIVATE, "MAP_PRIVATE"}, {MAP_FIXED, "MAP_FIXED"},
    {MAP_ANONYMOUS, "MAP_ANONYMOUS"}, {MAP_NORESERVE, "MAP_NORESERVE"},
    {MAP_STACK, "MAP_STACK"}, {MAP_POPULATE, "MAP_POPULATE"}, {0x100000, "MAP_FIXED_NOREPLACE"},
    {0, NULL},
};
static const struct flag clone_flags[] = {
    {0x100, "CLONE_VM"}, {0x200, "CLONE_FS"}, {0x400, "CLONE_FILES"}, {0x800, "CLONE_SIGHAND"},
    {0x4000, "CLONE_VFORK"}, {0x10000, "CLONE_THREAD"}, {0x80000, "CLONE_SETTLS"},
    {0x100000, "CLONE_PARENT_SETTID"}, {0x200000, "CLONE_CHILD_CLEARTID"},
    {0x1000000, "CLONE_CHILD_SETTID"}, {0, NULL},
};
static const struct flag wait_flags[] = {
    {WNOHANG, "WNOHANG"}, {WUNTRACED, "WUNTRACED"}, {WCONTINUED, "WCONTINUED"},
    {WEXITED, "WEXITED"}, {0x40000000, "__WALL"}, {0, NULL},
};

struct name {
    uint64_t v;
    const char *name;
};

static void put_name(struct out *o, uint64_t v, const struct name *n)
{
    for (; n->name; n++) {
        if (n->v == v) {
            put(o, "%s", n->name);
            return;
        }
    }
    put(o, "%#llx", (unsigned long long)v);
}

static const struct name fcntl_cmds[] = {
    {F_DUPFD, "F_DUPFD"}, {F_GETFD, "F_GETFD"}, {F_SETFD, "F_SETFD"}, {F_GETFL, "F_GETFL"},
    {F_SETFL, "F_SETFL"}, {F_GETLK, "F_GETLK"}, {F_SETLK, "F_SETLK"}, {F_SETLKW, "F_SETLKW"},
    {F_DUPFD_CLOEXEC, "F_DUPFD_CLOEXEC"}, {F_GETPIPE_SZ, "F_GETPIPE_SZ"},
    {F_SETPIPE_SZ, "F_SETPIPE_SZ"}, {F_OFD_GETLK, "F_OFD_GETLK"}, {F_OFD_SETLK, "F_OFD_SETLK"},
    {F_OFD_SETLKW, "F_OFD_SETLKW"}, {0, NULL},
};
static const struct name ioctl_reqs[] = {
    {TCGETS, "TCGETS"}, {TCSETS, "TCSETS"}, {TCSETSW, "TCSETSW"}, {TCSETSF, "TCSETSF"},
    {TIOCGWINSZ, "TIOCGWINSZ"}, {TIOCSWINSZ, "TIOCSWINSZ"}, {TIOCGPGRP, "TIOCGPGRP"},
    {TIOCSPGRP, "TIOCSPGRP"}, {FIONREAD, "FIONREAD"}, {FIONBIO, "FIONBIO"},
    {FIOCLEX, "FIOCLEX"}, {FIONCLEX, "FIONCLEX"}, {TIOCGSID, "TIOCGSID"}, {0, NULL},
};
static const struct name arch_codes[] = {
    {0x1001, "ARCH_SET_GS"}, {0x1002, "ARCH_SET_FS"}, {0x1003, "ARCH_GET_FS"},
    {0x1004, "ARCH_GET_GS"}, {0, NULL},
};
static const struct name rlimits[] = {
    {RLIMIT_CPU, "RLIMIT_CPU"}, {RLIMIT_FSIZE, "RLIMIT_FSIZE"}, {RLIMIT_DATA, "RLIMIT_DATA"},
    {RLIMIT_STACK, "RLIMIT_STACK"}, {RLIMIT_CORE, "RLIMIT_CORE"}, {RLIMIT_NPROC, "RLIMIT_NPROC"},
    {RLIMIT_NOFILE, "RLIMIT_NOFILE"}, {RLIMIT_AS, "RLIMIT_AS"}, {0, NULL},
};
static const struct name clocks[] = {
    {CLOCK_REALTIME, "CLOCK_REALTIME"}, {CLOCK_MONOTONIC, "CLOCK_MONOTONIC"},
    {CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID"},
    {CLOCK_THREAD_CPUTIME_ID, "CLOCK_THREAD_CPUTIME_ID"},
    {CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW"}, {CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE"},
    {CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE"}, {CLOCK_BOOTTIME, "CLOCK_BOOTTIME"},
    {0, NULL},
};
static const struct flag flock_ops[] = {
    {LOCK_SH, "LOCK_SH"}, {LOCK_EX, "LOCK_EX"}, {LOCK_UN, "LOCK_UN"}, {LOCK_NB, "LOCK_NB"},
    {0, NULL},
};
static const struct flag efd_flags[] = {
    {O_CLOEXEC, "EFD_CLOEXEC"}, {O_NONBLOCK, "EFD_NONBLOCK"}, {1, "EFD_SEMAPHORE"}, {0, NULL},
};
static const struct flag tfd_flags[] = {
    {O_CLOEXEC, "TFD_CLOEXEC"}, {O_NONBLOCK, "TFD_NONBLOCK"}, {0, NULL},
};
static const struct flag tfd_set_flags[] = {
    {1, "TFD_TIMER_ABSTIME"}, {2, "TFD_TIMER_CANCEL_ON_SET"}, {0, NULL},
};
static const struct name hows[] = {
    {SIG_BLOCK, "SIG_BLOCK"}, {SIG_UNBLOCK, "SIG_UNBLOCK"}, {SIG_SETMASK, "SIG_SETMASK"},
    {0, NULL},
};

static void put_signal(struct out *o, uint64_t s)
{
    const char *abbrev = s > 0 && s < 32 ? sigabbrev_np((int)s) : NULL;
    if (abbrev)
        put(o, "SIG%s", abbrev);
    else if (s >= 32 && s <= 64)
        put(o, "SIGRT_%llu", (unsigned long long)(s - 32));
    else
        put(o, "%lld", (long long)s);
}

static void put_vector(struct out *o, struct ukmon_vm *vm, uint64_t gva)
{
    put(o, "[");
    for (int i = 0; i < 8; i++) {
        uint64_t s;
        if (lx_copy_in(vm, &s, gva + 8 * (uint64_t)i, 8) < 0) {
            put(o, "%s%#llx", i ? ", " : "", (unsigned long long)gva);
            break;
        }
        if (!s)
            break;
        put(o, "%s", i ? ", " : "");
        put_string(o, vm, s);
        if (i == 7)
            put(o, ", ...");
    }
    put(o, "]");
}

static void put_arg(struct out *o, struct ukmon_vm *vm, char kind, const uint64_t a[6],
                    int i, int64_t ret)
{
    uint64_t v = a[i];
    switch (kind) {
    case 'd': put(o, "%d", (int32_t)v); break;
    case 'l': put(o, "%lld", (long long)v); break;
    case 'u': put(o, "%llu", (unsigned long long)v); break;
    case 'o': put(o, "0%llo", (unsigned long long)v); break;
    case 'f': (int32_t)v == AT_FDCWD ? put(o, "AT_FDCWD") : put(o, "%d", (int32_t)v); break;
    case 'p': v ? put(o, "%#llx", (unsigned long long)v) : put(o, "NULL"); break;
    case 's': put_string(o, vm, v); break;
    case 'b': put_bytes(o, vm, v, a[i + 1], false); break;
    case 'B':
        if (ret > 0)
            put_bytes(o, vm, v, (uint64_t)ret, false);
        else
            put(o, "%#llx", (unsigned long long)v);
        break;
    case 'E': {
        int32_t fds[2];
        if (ret == 0 && lx_copy_in(vm, fds, v, sizeof(fds)) == 0)
            put(o, "[%d, %d]", fds[0], fds[1]);
        else
            put(o, "%#llx", (unsigned long long)v);
        break;
    }
    case 'V': put_vector(o, vm, v); break;
    case 'O':
        put(o, "%s", (v & O_ACCMODE) == O_RDONLY ? "O_RDONLY" : "");
        if (v & ~(uint64_t)O_ACCMODE || (v & O_ACCMODE) != O_RDONLY) {
            if ((v & O_ACCMODE) == O_RDONLY)
                put(o, "|");
            put_flags(o, v, open_flags, NULL);
        }
        break;
    case 'c': put_flags(o, v, open_flags, "0"); break;
    case 'P': put_flags(o, v, prot_flags, "PROT_NONE"); break;
    case 'M': put_flags(o, v, map_flags, "0"); break;
    case 'C': {
        uint64_t sig = v & 0xff;
        put_flags(o, v & ~0xffULL, clone_flags, NULL);
        if (sig) {
            put(o, "|");
            put_signal(o, sig);
        }
        break;
    }
    case 'W': put_flags(o, v, wait_flags, "0"); break;
    case 'S': put_signal(o, v); break;
    case 'H': put_name(o, v, hows); break;
    case 'F': put_name(o, v, fcntl_cmds); break;
    case 'I': put_name(o, v & 0xffffffff, ioctl_reqs); break;
    case 'A': put_name(o, v, arch_codes); break;
    case 'R': put_name(o, v, rlimits); break;
    case 'K': put_name(o, v, clocks); break;
    case 'L': put_flags(o, v, flock_ops, "0"); break;
    case 'e': put_flags(o, v, efd_flags, "0"); break;
    case 'T': put_flags(o, v, tfd_flags, "0"); break;
    case 'Y': put_flags(o, v, tfd_set_flags, "0"); break;
    default: put(o, "%#llx", (unsigned long long)v); break;
    }
}

void lx_trace_call(struct ukmon_vm *vm, uint64_t nr, const struct lx_syscall *sc,
                   const uint64_t a[6], int64_t ret)
{
    struct out o = {.n = 0};
    if (!sc) { /* not served (ENOSYS): its name if it is a system call, and raw arguments */
        const char *name = sysname_of(nr);
        if (name)
            put(&o, "%s(", name);
        else
            put(&o, "syscall_%#llx(", (unsigned long long)nr);
        for (int i = 0; i < 6; i++)
            put(&o, "%s%#llx", i ? ", " : "", (unsigned long long)a[i]);
        put(&o, ")");
    } else {
        put(&o, "%s(", sc->name);
        for (int i = 0; sc->args[i] && i < 6; i++) {
            if (i)
                put(&o, ", ");
            put_arg(&o, vm, sc->args[i], a, i, ret);
            /* fcntl commands that take no argument: strace shows none */
            if (sc->args[i] == 'F' && (a[i] == F_GETFD || a[i] == F_GETFL ||
                                       a[i] == F_GETPIPE_SZ))
                break;
        }
        put(&o, ")");
    }
    char rk = sc ? sc->ret : 0;
    if (rk == 'n' && vcpu_cur(vm)->call.stop)
        put(&o, " = ?");
    else if (vcpu_cur(vm)->call.new_state)
        put(&o, " = 0");
    else if (ret < 0 && ret > -4096)
        put(&o, " = -1 %s (%s)", strerrorname_np((int)-ret) ? strerrorname_np((int)-ret) : "E?",
            strerror((int)-ret));
    else if (rk == 'x')
        put(&o, " = %#llx", (unsigned long long)ret);
    else
        put(&o, " = %lld", (long long)ret);
    trace_line(vm, "%.*s", (int)o.n, o.buf);
}
