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
#define SYS_uname 63
#define SYS_getrlimit 97
#define SYS_set_tid_address 218
#define SYS_set_robust_list 273
#define SYS_prlimit64 302
#define SYS_rseq 334
#define SYS_getrandom 318
#define EINVAL 22
#define ENOSYS 38
#define ROBUST_LIST_HEAD_SIZE 24
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

#define EAGAIN 11
#define PIPE_ATOMIC 4096

static void copy(void *dst, const volatile void *src, unsigned long n)
{
    __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static int try_lock(volatile uint32_t *lock, uint32_t me)
{
    uint32_t v = 0;
    return __atomic_compare_exchange_n(lock, &v, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void unlock(volatile uint32_t *lock)
{
    __atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

/*
 * The peer blocked on a ring is woken by an OUT that KVM turns into an eventfd signal
 * in the host kernel, with no trip to the monitor (monitor/linux/lx_wake.c); one that
 * KVM does not know exits, and the monitor wakes.
 */
static void wake_peer(volatile struct lxsys_page *p, long fd, uint8_t side)
{
    uint8_t b = (uint8_t)(p->ring_wake[p->fd_ring[fd] - 1] | side); /* fd_ring() checked it */
    /* One byte: a wider OUT would need the next ports open in the TSS bitmap too. */
    __asm__ volatile("outb %0, %1" : : "a"(b), "Nd"((uint16_t)LXSYS_WAKE_PORT));
}

/* The ring fd is on, if the page maps it; else NULL. */
static volatile struct ukmon_ring *fd_ring(volatile struct lxsys_page *p, long fd)
{
    if (fd < 0 || fd >= LXSYS_FDS || !p->fd_ring[fd] || p->fd_ring[fd] > LXSYS_RINGS)
        return 0;
    uint64_t a = p->ring[p->fd_ring[fd] - 1];
    return a ? (volatile struct ukmon_ring *)a : 0;
}

static uint64_t ring_used(volatile struct ukmon_ring *r)
{
    uint64_t n = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) -
                 __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
    return n > UKMON_RING_DATA ? UKMON_RING_DATA : n;
}

/* Between the ring at position pos and the program's buffer: its fault is the monitor's. */
static void ring_copy(volatile struct ukmon_ring *r, int to_ring, uint64_t pos, char *buf,
                      uint64_t n)
{
    volatile char *data = (volatile char *)r + UKMON_RING_HDR;
    uint64_t off = pos % UKMON_RING_DATA, first = UKMON_RING_DATA - off;
    if (first > n)
        first = n;
    if (to_ring) {
        copy((void *)(data + off), buf, first);
        copy((void *)data, buf + first, n - first);
    } else {
        copy(buf, data + off, first);
        copy(buf + first, data, n - first);
    }
}

/*
 * A pipe read from a ring: what is there, at once; an empty ring is watched for a
 * moment (cheaper than an exit, and its writer is most likely running) before the
 * monitor is asked to block, or to see whether a writer is left at all.
 */
static struct lxsys_ret ring_read(volatile struct lxsys_page *p, volatile struct ukmon_ring *r,
                                  unsigned k, const struct lxsys_call *c)
{
    struct lxsys_ret res = {0, 1};
    uint64_t len = (uint64_t)c->a[2];
    if (len == 0 || len > 0x7ffff000UL)
        return res;
    uint64_t until = rdtsc() + p->spin_tsc;
    for (;;) {
        if (try_lock(&r->rlock, (uint32_t)p->pid)) {
            uint64_t used = ring_used(r);
            if (used > 0) {
                uint64_t n = used < len ? used : len, tail = r->tail;
                ring_copy(r, 0, tail, (char *)c->a[1], n);
                __atomic_store_n(&r->tail, tail + n, __ATOMIC_RELEASE);
                unlock(&r->rlock);
                res.ret = (long)n;
                res.to_monitor = 0;
                /* The tail out before the flag is read (monitor/kernel/pipe_ring.c). */
                __atomic_thread_fence(__ATOMIC_SEQ_CST);
                if (__atomic_load_n(&r->wwait, __ATOMIC_SEQ_CST))
                    wake_peer(p, c->a[0], LXSYS_WAKE_SPACE);
                return res;
            }
            unlock(&r->rlock);
        }
        if ((r->flags & UKMON_RING_DEMOTED) || !__atomic_load_n(&r->writers, __ATOMIC_ACQUIRE))
            return res; /* the host pipe's part, or EOF: the monitor says */
        if (k & LXSYS_FD_NONBLOCK) {
            res.ret = -EAGAIN;
            res.to_monitor = 0;
            return res;
        }
        if (rdtsc() > until)
            return res; /* to block */
        __asm__ volatile("pause");
    }
}

/*
 * A pipe write to a ring: as much as there is room for (up to PIPE_BUF bytes all at
 * once or not at all), watching a full ring for a moment while its reader drains it.
 * A blocking write that cannot finish so goes on in the monitor, which blocks for
 * room, from where this one stopped (CONTINUE); O_NONBLOCK: EAGAIN, or what fitted.
 */
static struct lxsys_ret ring_write(volatile struct lxsys_page *p, volatile struct ukmon_ring *r,
                                   unsigned k, const struct lxsys_call *c)
{
    struct lxsys_ret res = {0, 1};
    uint64_t len = (uint64_t)c->a[2], done = 0;
    if (len == 0 || len > 0x7ffff000UL || !__atomic_load_n(&r->readers, __ATOMIC_ACQUIRE))
        return res; /* nothing, too much, or EPIPE: the monitor's */
    uint64_t until = rdtsc() + p->spin_tsc;
    int woke = 0;
    for (;;) {
        if (r->flags & UKMON_RING_DEMOTED)
            break;
        if (try_lock(&r->wlock, (uint32_t)p->pid)) {
            uint64_t space = UKMON_RING_DATA - ring_used(r), left = len - done;
            uint64_t n = space >= left ? left : len > PIPE_ATOMIC ? space : 0;
            if (n > 0 && !(r->flags & UKMON_RING_DEMOTED)) {
                uint64_t head = r->head;
                ring_copy(r, 1, head, (char *)c->a[1] + done, n);
                __atomic_store_n(&r->head, head + n, __ATOMIC_RELEASE);
                done += n;
                until = rdtsc() + p->spin_tsc; /* progress: the reader is there */
                __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the head out before the flag */
                woke |= __atomic_load_n(&r->rwait, __ATOMIC_SEQ_CST) != 0;
            }
            unlock(&r->wlock);
            if (done == len)
                break;
        }
        if ((k & LXSYS_FD_NONBLOCK) || rdtsc() > until)
            break;
        __asm__ volatile("pause");
    }
    if (woke)
        wake_peer(p, c->a[0], 0);
    if (done == len || (done > 0 && (k & LXSYS_FD_NONBLOCK))) {
        res.ret = (long)done;
        res.to_monitor = 0;
    } else if (done == 0) {
        res.ret = -EAGAIN;
        res.to_monitor = (k & LXSYS_FD_NONBLOCK) && !(r->flags & UKMON_RING_DEMOTED) ? 0 : 1;
    } else { /* the rest by the monitor: its registers in the frame say what is left */
        volatile long *f = (volatile long *)p->frame;
        f[LXSYS_F_RSI / 8] = c->a[1] + (long)done;
        f[LXSYS_F_RDX / 8] = (long)(len - done);
        p->carry_nr = c->nr;
        p->carry = (long)done;
        res.to_monitor = 3;
    }
    return res;
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

/*
 * pread64/pwrite64 through a window: only within the file's size as the monitor saw
 * it at its last exit. Anything else (past the end, a negative offset, a buffer that
 * is not the program's) is the monitor's. A file another process shrank since: the
 * copy faults on the page past its end, and the monitor makes the call again.
 */
static struct lxsys_ret win_rw(volatile struct lxsys_page *p, const struct lxsys_call *c,
                               int write)
{
    struct lxsys_ret r = {0, 1};
    long fd = c->a[0], off = c->a[3], len = c->a[2];
    if (fd < 0 || fd >= LXSYS_FDS || !p->fd_win[fd] || p->fd_win[fd] > LXSYS_WINDOWS)
        return r;
    volatile struct lxsys_window *w = &p->win[p->fd_win[fd] - 1];
    uint64_t size = w->size;
    if (!(w->flags & (write ? LXSYS_WIN_WRITE : LXSYS_WIN_READ)) || off < 0 || len <= 0 ||
        len > MAX_RW_COUNT || (uint64_t)off > size || (uint64_t)len > size - (uint64_t)off ||
        !user_range(c->a[1], c->a[2]) || (unsigned long)c->a[1] < LXSYS_LOW_END)
        return r; /* the low area: page 0 reads as the sled here, EFAULT there */
    char *file = (char *)(w->base + (uint64_t)off);
    if (write)
        copy(file, (const volatile void *)c->a[1], (unsigned long)len);
    else
        copy((void *)c->a[1], file, (unsigned long)len);
    r.ret = len;
    r.to_monitor = 0;
    return r;
}

/*
 * getrandom: ChaCha20 (RFC 8439's block function) keyed by the monitor, the counter
 * taken atomically, so that no two calls of this VM see the same bytes. Up to 4 KiB
 * a call here (what the C libraries ask for); more, a bad buffer, or an unknown flag
 * go to the monitor.
 */
#define ROTL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define QR(a, b, c, d) (a += b, d ^= a, d = ROTL(d, 16), c += d, b ^= c, b = ROTL(b, 12), \
                        a += b, d ^= a, d = ROTL(d, 8), c += d, b ^= c, b = ROTL(b, 7))

static void chacha_block(const volatile uint32_t key[8], uint64_t counter, uint32_t out[16])
{
    uint32_t x[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
    for (int i = 0; i < 8; i++)
        x[4 + i] = key[i];
    x[12] = (uint32_t)counter;
    x[13] = (uint32_t)(counter >> 32);
    x[14] = x[15] = 0;
    uint32_t in[16];
    for (int i = 0; i < 16; i++)
        in[i] = x[i];
    for (int i = 0; i < 10; i++) {
        QR(x[0], x[4], x[8], x[12]), QR(x[1], x[5], x[9], x[13]);
        QR(x[2], x[6], x[10], x[14]), QR(x[3], x[7], x[11], x[15]);
        QR(x[0], x[5], x[10], x[15]), QR(x[1], x[6], x[11], x[12]);
        QR(x[2], x[7], x[8], x[13]), QR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++)
        out[i] = x[i] + in[i];
}

#define GRND_FLAGS 7 /* GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE */
#define RNG_MAX 4096

static struct lxsys_ret getrandom(volatile struct lxsys_page *p, const struct lxsys_call *c)
{
    struct lxsys_ret r = {0, 1};
    unsigned long len = (unsigned long)c->a[1];
    if ((c->a[2] & ~(long)GRND_FLAGS) || (c->a[2] & 6) == 6 || len > RNG_MAX ||
        !user_range(c->a[0], c->a[1]) || (len && (unsigned long)c->a[0] < LXSYS_LOW_END))
        return r; /* EINVAL, a big request, EFAULT: the monitor's */
    uint64_t blocks = (len + 63) / 64;
    uint64_t ctr = __atomic_fetch_add(&p->rng_counter, blocks, __ATOMIC_RELAXED);
    char *out = (char *)c->a[0];
    for (unsigned long done = 0; done < len; done += 64, ctr++) {
        uint32_t b[16];
        chacha_block(p->rng_key, ctr, b);
        copy(out + done, b, len - done < 64 ? len - done : 64);
    }
    r.ret = (long)len;
    r.to_monitor = 0;
    return r;
}

/*
 * prlimit64 of the caller itself, to read a limit (getrlimit too): the page's copy,
 * which the monitor rewrites whenever a limit changes. Setting one, or asking about
 * another process, is the monitor's.
 */
static struct lxsys_ret rlimit_read(volatile struct lxsys_page *p, long res, long out)
{
    struct lxsys_ret r = {0, 0};
    if ((unsigned long)res >= LXSYS_RLIMITS) {
        r.ret = -EINVAL;
        return r;
    }
    volatile uint64_t *o = (volatile uint64_t *)out; /* a fault: the monitor says EFAULT */
    o[0] = p->rlim[res].cur;
    o[1] = p->rlim[res].max;
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
        break;
    case SYS_read:
        if ((k & LXSYS_FD_READ) && fd_ring(p, c->a[0])) {
            r = ring_read(p, fd_ring(p, c->a[0]), k, c);
            if (r.to_monitor == 1)
                return r;
            break;
        }
        /* fall through */
    case SYS_pread64:
        if (c->nr == SYS_pread64 && !(k & LXSYS_FD_NULL)) {
            r = win_rw(p, c, 0);
            if (r.to_monitor)
                return r;
            break;
        }
        if (!(k & LXSYS_FD_NULL) || (c->nr == SYS_pread64 && c->a[3] < 0))
            goto to_monitor;
        /* end of file, the buffer untouched, as Linux's /dev/null */
        r.ret = user_range(c->a[1], c->a[2]) ? 0 : -EFAULT;
        break;
    case SYS_write:
        if ((k & LXSYS_FD_WRITE) && fd_ring(p, c->a[0])) {
            r = ring_write(p, fd_ring(p, c->a[0]), k, c);
            if (r.to_monitor == 1 || r.to_monitor == 3)
                return r;
            break;
        }
        /* fall through */
    case SYS_pwrite64:
        if (c->nr == SYS_pwrite64 && !(k & LXSYS_FD_NULL)) {
            r = win_rw(p, c, 1);
            if (r.to_monitor)
                return r;
            break;
        }
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
    case SYS_getrandom:
        r = getrandom(p, c);
        if (r.to_monitor)
            return r;
        break;
    case SYS_uname:
        copy((void *)c->a[0], p->utsname, LXSYS_UTSNAME); /* a fault: EFAULT, the monitor's */
        break;
    case SYS_getrlimit:
        r = rlimit_read(p, c->a[0], c->a[1]);
        break;
    case SYS_prlimit64:
        if ((c->a[0] != 0 && (int)c->a[0] != p->pid) || c->a[2])
            goto to_monitor;
        if (c->a[3])
            r = rlimit_read(p, c->a[1], c->a[3]);
        else if ((unsigned long)c->a[1] >= LXSYS_RLIMITS)
            r.ret = -EINVAL;
        break;
    case SYS_set_tid_address:
        p->clear_child_tid = (uint64_t)c->a[0];
        r.ret = p->tid;
        break;
    case SYS_set_robust_list:
        if (c->a[1] != ROBUST_LIST_HEAD_SIZE) {
            r.ret = -EINVAL;
            break;
        }
        p->robust_list = (uint64_t)c->a[0];
        p->robust_len = (uint64_t)c->a[1];
        break;
    case SYS_rseq:
        r.ret = -ENOSYS; /* as the monitor answers: the C libraries go on without it */
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
    if (r.to_monitor == 2) { /* answered, but the monitor has work: signals, a wakeup */
        p->deliver_ret = r.ret;
        p->deliver_nr = c->nr;
    }
    p->answered[c->nr & (LXSYS_NR - 1)]++;
    return r;
to_monitor:
    r.to_monitor = 1;
    return r;
}
