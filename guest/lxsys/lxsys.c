/*
 * lxsys.c: the system calls a Linux program's own VM answers, with no exit to the
 * monitor: those whose answer the monitor has put in the shared page. Built
 * freestanding, general registers only (a system call keeps the SSE state), linked
 * at LXSYS_TEXT_ADDR (lxsys.lds) and copied into the low area by the monitor.
 */
#include "lxsys.h"

#define SYS_rt_sigaction 13
#define SYS_rt_sigprocmask 14
#define SYS_read 0
#define SYS_write 1
#define SYS_pread64 17
#define SYS_pwrite64 18
#define SYS_fcntl 72
#define SYS_getpid 39
#define SYS_getuid 102
#define SYS_getgid 104
#define SYS_geteuid 107
#define SYS_getegid 108
#define SYS_getppid 110
#define SYS_gettid 186
#define EBADF 9
#define SIGKILL 9
#define SIGSTOP 19
#define UNBLOCKABLE ((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)))
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#define EFAULT 14
#define TASK_SIZE_MAX 0x7ffffffff000UL /* the end of a Linux process's address space */
#define MAX_RW_COUNT 0x7ffff000L
#define F_GETFD 1
#define FD_CLOEXEC 1

static volatile struct lxsys_page *page(void)
{
    return (volatile struct lxsys_page *)LXSYS_PAGE_ADDR;
}

/* Linux's access_ok(): the range lies in user space (it need not be mapped). */
static int user_range(long buf, long len)
{
    unsigned long b = (unsigned long)buf, n = (unsigned long)len;
    return b <= TASK_SIZE_MAX && n <= TASK_SIZE_MAX - b;
}

/* What the page says of fd, or 0 for one it does not know (or no fd at all). */
static unsigned fd_kind(volatile struct lxsys_page *p, long fd)
{
    return fd >= 0 && fd < LXSYS_FDS ? p->fd[fd] : 0;
}

/*
 * rt_sigprocmask, in Linux's order: the new set read, the old mask written out, then
 * the change. A fault on either buffer happens before any change: the monitor then
 * makes the call itself (entry.S). Signals the change lets in need the monitor.
 */
static struct lxsys_ret sigprocmask(volatile struct lxsys_page *p, const struct lxsys_call *c)
{
    struct lxsys_ret r = {0, 0};
    uint64_t old = p->sigmask, nw = old;
    if (c->a[1]) {
        uint64_t set = *(const volatile uint64_t *)c->a[1];
        switch (c->a[0]) {
        case SIG_BLOCK: nw = old | set; break;
        case SIG_UNBLOCK: nw = old & ~set; break;
        case SIG_SETMASK: nw = set; break;
        default: r.to_monitor = 1; return r; /* EINVAL, from the monitor */
        }
    }
    if (c->a[2])
        *(volatile uint64_t *)c->a[2] = old;
    p->sigmask = nw & ~UNBLOCKABLE;
    if (p->sigpending & ~p->sigmask)
        r.to_monitor = 2;
    return r;
}

/* rt_sigaction: checked as Linux checks it; the monitor takes it at the next exit. */
static struct lxsys_ret sigaction(volatile struct lxsys_page *p, const struct lxsys_call *c)
{
    struct lxsys_ret r = {0, 0};
    long sig = c->a[0];
    if (sig < 1 || sig > 64 || (c->a[1] && (sig == SIGKILL || sig == SIGSTOP))) {
        r.to_monitor = 1; /* EINVAL, from the monitor */
        return r;
    }
    struct lxsys_sigaction nw;
    if (c->a[1]) {
        const volatile struct lxsys_sigaction *in = (const volatile void *)c->a[1];
        nw.handler = in->handler;
        nw.flags = in->flags;
        nw.restorer = in->restorer;
        nw.mask = in->mask;
    }
    if (c->a[2]) {
        volatile struct lxsys_sigaction *out = (volatile void *)c->a[2];
        out->handler = p->act[sig].handler;
        out->flags = p->act[sig].flags;
        out->restorer = p->act[sig].restorer;
        out->mask = p->act[sig].mask;
    }
    if (c->a[1]) {
        p->act[sig].handler = nw.handler;
        p->act[sig].flags = nw.flags;
        p->act[sig].restorer = nw.restorer;
        p->act[sig].mask = nw.mask & ~UNBLOCKABLE;
        p->act_gen++;
        /* Ignoring a pending signal drops it: the monitor's business, at once. */
        if (p->sigpending & (1ULL << (sig - 1)))
            r.to_monitor = 2;
    }
    return r;
}

struct lxsys_ret lxsys_fast(const struct lxsys_call *c)
{
    volatile struct lxsys_page *p = page();
    struct lxsys_ret r = {0, 0};
    unsigned k = fd_kind(p, c->a[0]);
    switch (c->nr) {
    case SYS_rt_sigprocmask:
    case SYS_rt_sigaction:
        if (c->a[3] != 8)
            goto to_monitor; /* EINVAL, from the monitor */
        r = c->nr == SYS_rt_sigprocmask ? sigprocmask(p, c) : sigaction(p, c);
        if (r.to_monitor == 1)
            return r;
        if (r.to_monitor == 2) {
            p->deliver_ret = r.ret;
            p->deliver_nr = c->nr;
        }
        break;
    case SYS_read:
    case SYS_pread64:
        if (!(k & LXSYS_FD_NULL) || (c->nr == SYS_pread64 && c->a[3] < 0))
            goto to_monitor;
        /* end of file, the buffer untouched, as Linux's /dev/null */
        r.ret = user_range(c->a[1], c->a[2]) ? 0 : -EFAULT;
        break;
    case SYS_write:
    case SYS_pwrite64:
        if (!(k & LXSYS_FD_NULL) || (c->nr == SYS_pwrite64 && c->a[3] < 0))
            goto to_monitor;
        if (!user_range(c->a[1], c->a[2]))
            r.ret = -EFAULT;
        else
            r.ret = (unsigned long)c->a[2] > MAX_RW_COUNT ? MAX_RW_COUNT : c->a[2];
        break;
    case SYS_fcntl:
        if (c->a[1] != F_GETFD)
            goto to_monitor;
        if (c->a[0] < 0 || c->a[0] >= LXSYS_FDS)
            r.ret = -EBADF;
        else
            r.ret = !(k & LXSYS_FD_OPEN) ? -EBADF : (k & LXSYS_FD_CLOEXEC) ? FD_CLOEXEC : 0;
        break;
    case SYS_getpid: r.ret = p->pid; break;
    case SYS_getppid: r.ret = p->ppid; break;
    case SYS_gettid: r.ret = p->tid; break;
    case SYS_getuid: r.ret = p->uid; break;
    case SYS_geteuid: r.ret = p->euid; break;
    case SYS_getgid: r.ret = p->gid; break;
    case SYS_getegid: r.ret = p->egid; break;
    default:
        goto to_monitor;
    }
    p->answered[c->nr & (LXSYS_NR - 1)]++;
    return r;
to_monitor:
    r.to_monitor = 1;
    return r;
}
