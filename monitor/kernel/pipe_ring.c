/*
 * pipe_ring.c: pipes between the VMs of a tree kept as rings in memory they share
 * (include/ukmon_ring.h), so that a Linux program's guest-side layer moves the data
 * with no exit at all while the ring has room or data. The monitor's side here:
 * making one, its data path when a call does reach the monitor (to block, at EOF, for
 * EPIPE, for ukmon unikernels), readiness for poll, and the end of the ring mode
 * (demotion) where only a host pipe will do (epoll, a new pipe size).
 *
 * The host pipe stays behind the guest's fds: only the host knows for sure whether
 * readers or writers are left (a VM killed with SIGKILL closes nothing of its own),
 * so EOF and EPIPE are read off it (POLLHUP, POLLERR) before they are answered. The
 * ring's header is written by every guest that holds the pipe and trusted by none:
 * positions are taken modulo the ring, lengths clamped, and a lock held by a process
 * that is gone is taken over.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kernel/io.h"
#include "kernel/proc.h"
#include "kernel/sig.h"
#include "kernel/stats.h"
#include "kvm/vmm.h"

#define RING_SIZE (UKMON_RING_HDR + UKMON_RING_DATA)
#define PIPE_ATOMIC 4096 /* PIPE_BUF: writes up to this size are never split */

struct pipe_ring *ring_of(struct ukmon_vm *vm, const struct fd_entry *e)
{
    if (!e || e->ring == 0 || e->ring > RINGS_MAX)
        return NULL;
    struct pipe_ring *r = &vm->rings[e->ring - 1];
    return r->memfd >= 0 ? r : NULL;
}

static void ring_free(struct pipe_ring *r)
{
    if (r->hdr)
        munmap(r->hdr, RING_SIZE);
    if (r->memfd >= 0)
        close(r->memfd);
    if (r->data_efd >= 0)
        close(r->data_efd);
    if (r->space_efd >= 0)
        close(r->space_efd);
    uint64_t gen = r->gen;
    *r = (struct pipe_ring){.memfd = -1, .data_efd = -1, .space_efd = -1, .gen = gen};
}

void ring_init_all(struct ukmon_vm *vm)
{
    for (int i = 0; i < RINGS_MAX; i++)
        vm->rings[i] = (struct pipe_ring){.memfd = -1, .data_efd = -1, .space_efd = -1};
}

/* A new pipe as a ring, its ends installed at rd and wr (host pipe ends hfd[]). */
int ring_create(struct ukmon_vm *vm, int rd, int wr)
{
    int slot = -1;
    for (int i = 0; i < RINGS_MAX && slot < 0; i++)
        if (vm->rings[i].memfd < 0)
            slot = i;
    if (slot < 0)
        return -ENOSPC; /* the caller keeps a plain host pipe */
    struct pipe_ring *r = &vm->rings[slot];
    r->memfd = (int)syscall(SYS_memfd_create, "ukmon-pipe", MFD_CLOEXEC);
    r->data_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    r->space_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int e = 0;
    if (r->memfd < 0 || r->data_efd < 0 || r->space_efd < 0 || ftruncate(r->memfd, RING_SIZE) < 0)
        e = -errno;
    void *p = e ? MAP_FAILED : mmap(NULL, RING_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
                                    r->memfd, 0);
    if (p == MAP_FAILED) {
        if (!e)
            e = -errno;
        ring_free(r);
        return e;
    }
    r->hdr = p;
    r->data = (uint8_t *)p + UKMON_RING_HDR;
    r->hdr->magic = UKMON_RING_MAGIC;
    r->hdr->readers = r->hdr->writers = 1;
    r->refs = 2;
    r->gen++;
    vm->fdt.fd[rd].ring = vm->fdt.fd[wr].ring = (uint8_t)(slot + 1);
    vm->fdt.fd[wr].ring_w = true;
    vm->fdt.gen++;
    return 0;
}

/* Whether this guest fd is the write end (else the read end) of its pipe. */
static bool ring_writer(const struct fd_entry *e)
{
    return e->ring_w;
}

/* One more guest fd on a ring (dup, or each ring fd of a forked child). */
void ring_ref(struct ukmon_vm *vm, const struct fd_entry *e)
{
    struct pipe_ring *r = ring_of(vm, e);
    if (!r)
        return;
    r->refs++;
    __atomic_fetch_add(ring_writer(e) ? &r->hdr->writers : &r->hdr->readers, 1,
                       __ATOMIC_SEQ_CST);
}

/* A guest fd on a ring goes (close, exec, exit): the last one frees the slot. */
void ring_unref(struct ukmon_vm *vm, const struct fd_entry *e)
{
    struct pipe_ring *r = ring_of(vm, e);
    if (!r)
        return;
    uint32_t *n = ring_writer(e) ? &r->hdr->writers : &r->hdr->readers;
    uint32_t v = __atomic_load_n(n, __ATOMIC_SEQ_CST);
    while (v > 0 && !__atomic_compare_exchange_n(n, &v, v - 1, false, __ATOMIC_SEQ_CST,
                                                  __ATOMIC_SEQ_CST))
        ;
    /* The other side may wait for this: EOF, or EPIPE. */
    uint64_t one = 1;
    if (write(r->data_efd, &one, 8) < 0 || write(r->space_efd, &one, 8) < 0)
        (void)0; /* a full counter already wakes whoever waits */
    if (--r->refs == 0 && !r->busy)
        ring_free(r);
}

/* A forked child holds every ring fd its parent held: each counts once more. */
void ring_fork_child(struct ukmon_vm *vm)
{
    for (int i = 0; i < FDT_MAX; i++)
        if (vm->fdt.fd[i].host_fd >= 0 && vm->fdt.fd[i].ring) {
            vm->rings[vm->fdt.fd[i].ring - 1].busy = 0; /* the parent's waiting threads */
            struct pipe_ring *r = ring_of(vm, &vm->fdt.fd[i]);
            if (r)
                __atomic_fetch_add(ring_writer(&vm->fdt.fd[i]) ? &r->hdr->writers
                                                               : &r->hdr->readers, 1,
                                   __ATOMIC_SEQ_CST);
        }
}

/*
 * A lock of the ring: 0, or the pid at work. One held by this process (a call the
 * guest-side layer began and the monitor finishes), by a process that is gone or is
 * no VM of this tree (a guest that wrote some other pid there) is taken over at once.
 * A live VM of the tree may be in the middle of its copy, however long the host keeps
 * it off a CPU: taking its lock then would interleave two writes (it did, at load 10,
 * after the 20 ms this waited before). So it is waited for, sleeping, for up to 2 s:
 * a guest that holds the lock on purpose stalls its peers of the same pipe no longer
 * than that each time, no more than a writer that never writes stalls its reader.
 */
static void ring_lock(struct ukmon_vm *vm, uint32_t *lock)
{
    uint32_t me = (uint32_t)getpid();
    int64_t give_up = 0;
    for (unsigned spins = 0;; spins++) {
        uint32_t v = 0;
        if (__atomic_compare_exchange_n(lock, &v, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return;
        bool take = v == me;
        if (!take && spins >= 1000) {
            int64_t now = clock_ns(CLOCK_MONOTONIC);
            if (!give_up)
                give_up = now + 2000000000; /* 2 s */
            take = v > 0x7fffffff || !proc_tree_has(vm, (pid_t)v) ||
                   (kill((pid_t)v, 0) < 0 && errno == ESRCH) || now > give_up;
        }
        if (take && __atomic_compare_exchange_n(lock, &v, me, false, __ATOMIC_ACQUIRE,
                                                __ATOMIC_RELAXED))
            return;
        if (spins >= 2000)
            nanosleep(&(struct timespec){0, 50000}, NULL); /* its holder needs the CPU */
        else if (spins >= 1000)
            sched_yield();
    }
}

static void ring_unlock(uint32_t *lock)
{
    __atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

static void ring_wake(int efd)
{
    uint64_t one = 1;
    if (write(efd, &one, 8) < 0)
        (void)0; /* EAGAIN: the counter is full, which wakes as well */
}

void ring_wake_peer(struct ukmon_vm *vm, int slot_plus_one, bool space)
{
    if (slot_plus_one < 1 || slot_plus_one > RINGS_MAX || vm->rings[slot_plus_one - 1].memfd < 0)
        return;
    struct pipe_ring *r = &vm->rings[slot_plus_one - 1];
    ring_wake(space ? r->space_efd : r->data_efd);
}

/* Bytes in the ring, as far as a guest-written header can be believed. */
static uint64_t ring_used(const struct pipe_ring *r)
{
    uint64_t h = __atomic_load_n(&r->hdr->head, __ATOMIC_ACQUIRE);
    uint64_t t = __atomic_load_n(&r->hdr->tail, __ATOMIC_ACQUIRE);
    uint64_t n = h - t;
    return n > UKMON_RING_DATA ? UKMON_RING_DATA : n;
}

static bool ring_demoted(const struct pipe_ring *r)
{
    return __atomic_load_n(&r->hdr->flags, __ATOMIC_ACQUIRE) & UKMON_RING_DEMOTED;
}

/* What the host pipe says of the other side: no writers left (read end), no readers. */
static bool ring_peer_gone(const struct fd_entry *e)
{
    struct pollfd p = {.fd = e->host_fd, .events = 0};
    struct timespec now = {0, 0};
    return ppoll(&p, 1, &now, NULL) == 1 && (p.revents & (POLLHUP | POLLERR));
}

/*
 * Waits until `efd` is signalled or the host end reports the peer gone; a guest
 * signal to act on cuts it short (-EINTR), as a stop request does. Another thread of
 * the process may close the fd meanwhile (the VM's lock is let go in the wait): the
 * ring stays while a thread waits on it (busy), and a wait whose fd no longer
 * stands for it ends with EBADF.
 */
static int ring_block(struct ukmon_vm *vm, const struct fd_entry *e, struct pipe_ring *r,
                      int efd, uint32_t *waiting)
{
    int hfd = e->host_fd;
    uint8_t slot = e->ring;
    struct pollfd p[2] = {{.fd = efd, .events = POLLIN}, {.fd = hfd, .events = 0}};
    r->busy++;
    int w = sig_wait_fds(vm, p, 2);
    uint64_t v;
    if (read(efd, &v, 8) < 0)
        (void)0; /* nothing there: a hangup woke us */
    r->busy--;
    __atomic_fetch_sub(waiting, 1, __ATOMIC_SEQ_CST);
    if (r->refs == 0 && !r->busy) {
        ring_free(r);
        return -EBADF;
    }
    if (e->host_fd != hfd || e->ring != slot)
        return -EBADF;
    return w;
}

/*
 * Between the guest's buffers (iovecs, from byte `skip` of them on) and the ring at
 * position pos, n bytes (<= the ring): in pieces where the ring wraps and where the
 * buffers end. -EFAULT for a guest buffer that faults.
 */
static int ring_copy(struct ukmon_vm *vm, struct pipe_ring *r, bool to_ring, uint64_t pos,
                     const struct ukmon_iovec *iov, unsigned cnt, uint64_t skip, uint64_t n)
{
    unsigned i = 0;
    while (i < cnt && skip >= iov[i].len)
        skip -= iov[i++].len;
    while (n > 0 && i < cnt) {
        uint64_t off = pos % UKMON_RING_DATA, piece = UKMON_RING_DATA - off;
        uint64_t in_iov = iov[i].len - skip;
        if (piece > in_iov)
            piece = in_iov;
        if (piece > n)
            piece = n;
        uint64_t gva = iov[i].base + skip;
        int e = to_ring ? gmem_read(vm, r->data + off, gva, piece)
                        : gmem_write(vm, gva, r->data + off, piece);
        if (e)
            return e;
        pos += piece, n -= piece, skip += piece;
        if (skip == iov[i].len)
            i++, skip = 0;
    }
    return 0;
}

static uint64_t iov_total(const struct ukmon_iovec *iov, unsigned cnt)
{
    uint64_t t = 0;
    for (unsigned i = 0; i < cnt; i++)
        t += iov[i].len;
    return t;
}

/*
 * read(2), readv(2) of a ring's read end: what is there (at most the buffers' size),
 * else EOF when no writer is left, EAGAIN for O_NONBLOCK, or a wait. -ENOTCONN: the
 * pipe was demoted and the ring is empty: the host pipe has the rest.
 */
static int64_t ring_read(struct ukmon_vm *vm, const struct fd_entry *e,
                         const struct ukmon_iovec *iov, unsigned cnt, bool nonblock)
{
    struct pipe_ring *r = ring_of(vm, e);
    uint64_t len = iov_total(iov, cnt);
    if (len == 0)
        return 0;
    for (;;) {
        ring_lock(vm, &r->hdr->rlock);
        uint64_t used = ring_used(r);
        if (used > 0) {
            uint64_t n = used < len ? used : len, tail = r->hdr->tail;
            int err = ring_copy(vm, r, false, tail, iov, cnt, 0, n);
            if (!err)
                __atomic_store_n(&r->hdr->tail, tail + n, __ATOMIC_RELEASE);
            ring_unlock(&r->hdr->rlock);
            /*
             * The new tail seen before the flag is read: a release store and a load may
             * pass each other (x86 too), and a writer that set the flag and then read
             * the old tail would sleep with nobody left to wake it. The waiting side
             * sets its flag with a locked add, a full barrier.
             */
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            if (!err && __atomic_load_n(&r->hdr->wwait, __ATOMIC_SEQ_CST))
                ring_wake(r->space_efd);
            return err ? err : (int64_t)n;
        }
        ring_unlock(&r->hdr->rlock);
        if (ring_demoted(r))
            return -ENOTCONN;
        if (ring_peer_gone(e))
            return 0;
        if (nonblock)
            return -EAGAIN;
        __atomic_fetch_add(&r->hdr->rwait, 1, __ATOMIC_SEQ_CST);
        int w = 0;
        if (ring_used(r) > 0 || ring_demoted(r))
            __atomic_fetch_sub(&r->hdr->rwait, 1, __ATOMIC_SEQ_CST);
        else
            w = ring_block(vm, e, r, r->data_efd, &r->hdr->rwait);
        if (w < 0)
            return w;
    }
}

/*
 * write(2), writev(2) to a ring's write end, as to a pipe: up to PIPE_BUF bytes at
 * once or not at all, more in pieces; a blocking write returns when all is written
 * (or a signal cuts it: what was written, else -EINTR). EPIPE when no reader is left
 * (the caller raises SIGPIPE). -ENOTCONN: demoted, nothing written: the host pipe
 * takes it.
 */
static int64_t ring_write(struct ukmon_vm *vm, const struct fd_entry *e,
                          const struct ukmon_iovec *iov, unsigned cnt, bool nonblock)
{
    struct pipe_ring *r = ring_of(vm, e);
    uint64_t len = iov_total(iov, cnt), done = 0;
    for (;;) {
        if (ring_peer_gone(e))
            return done ? (int64_t)done : -EPIPE;
        ring_lock(vm, &r->hdr->wlock);
        if (ring_demoted(r)) {
            ring_unlock(&r->hdr->wlock);
            return done ? (int64_t)done : -ENOTCONN;
        }
        uint64_t space = UKMON_RING_DATA - ring_used(r), left = len - done;
        uint64_t n = left < space ? left : space;
        if (len <= PIPE_ATOMIC && n < left)
            n = 0; /* all of it or nothing */
        int err = 0;
        if (n > 0) {
            uint64_t head = r->hdr->head;
            err = ring_copy(vm, r, true, head, iov, cnt, done, n);
            if (!err)
                __atomic_store_n(&r->hdr->head, head + n, __ATOMIC_RELEASE);
        }
        ring_unlock(&r->hdr->wlock);
        if (err)
            return done ? (int64_t)done : err;
        if (n > 0) {
            done += n;
            __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the head before the flag: see ring_read */
            if (__atomic_load_n(&r->hdr->rwait, __ATOMIC_SEQ_CST))
                ring_wake(r->data_efd);
            if (done == len)
                return (int64_t)done;
            continue;
        }
        if (len == 0)
            return 0;
        if (nonblock)
            return done ? (int64_t)done : -EAGAIN;
        __atomic_fetch_add(&r->hdr->wwait, 1, __ATOMIC_SEQ_CST);
        uint64_t need = len <= PIPE_ATOMIC ? len : 1;
        int w = 0;
        if (UKMON_RING_DATA - ring_used(r) >= need || ring_demoted(r))
            __atomic_fetch_sub(&r->hdr->wwait, 1, __ATOMIC_SEQ_CST);
        else
            w = ring_block(vm, e, r, r->space_efd, &r->hdr->wwait);
        if (w < 0)
            return done ? (int64_t)done : w;
    }
}

/* Either way, for io.c: -ENOTCONN when the host pipe must do it (a demoted ring). */
int64_t ring_rw(struct ukmon_vm *vm, const struct fd_entry *e, bool write,
                const struct ukmon_iovec *iov, unsigned cnt, bool nonblock)
{
    if (!ring_of(vm, e))
        return -ENOTCONN;
    return write ? ring_write(vm, e, iov, cnt, nonblock) : ring_read(vm, e, iov, cnt, nonblock);
}

/* poll's view of a ring end right now: POLLIN, POLLOUT, POLLHUP, POLLERR, or 0. */
short ring_poll_now(struct ukmon_vm *vm, const struct fd_entry *e, short events)
{
    struct pipe_ring *r = ring_of(vm, e);
    if (!r)
        return POLLNVAL;
    short rev = 0;
    struct pollfd p = {.fd = e->host_fd, .events = (short)(events & (POLLIN | POLLOUT))};
    struct timespec now = {0, 0};
    if (ppoll(&p, 1, &now, NULL) == 1)
        rev = (short)(p.revents & (POLLHUP | POLLERR | (ring_demoted(r) ? POLLIN | POLLOUT : 0)));
    if (ring_writer(e)) {
        if ((events & POLLOUT) && UKMON_RING_DATA - ring_used(r) >= PIPE_ATOMIC)
            rev |= POLLOUT;
    } else if ((events & POLLIN) && ring_used(r) > 0) {
        rev |= POLLIN;
    }
    return (short)(rev & (events | POLLHUP | POLLERR));
}

/*
 * For a poll that will wait: the eventfd a writer (reader) signals for this end, with
 * the end counted as waiting so that the other side does signal it; ring_poll_disarm()
 * after the wait. -1 if the ring is gone.
 */
int ring_poll_arm(struct ukmon_vm *vm, const struct fd_entry *e)
{
    struct pipe_ring *r = ring_of(vm, e);
    if (!r)
        return -1;
    bool w = ring_writer(e);
    __atomic_fetch_add(w ? &r->hdr->wwait : &r->hdr->rwait, 1, __ATOMIC_SEQ_CST);
    int efd = w ? r->space_efd : r->data_efd;
    uint64_t v;
    if (read(efd, &v, 8) < 0)
        (void)0; /* nothing signalled yet */
    return efd;
}

void ring_poll_disarm(struct ukmon_vm *vm, const struct fd_entry *e)
{
    struct pipe_ring *r = ring_of(vm, e);
    if (r)
        __atomic_fetch_sub(ring_writer(e) ? &r->hdr->wwait : &r->hdr->rwait, 1,
                           __ATOMIC_SEQ_CST);
}

/*
 * The ring mode ends for this pipe, for every VM that holds it: from now on its data
 * moves through the host pipe (epoll, sendfile and a new pipe size need the host's).
 * What the ring holds goes into the host pipe first when this VM has a write end to
 * put it through (the host pipe is empty while the ring is used, and as large);
 * otherwise readers take it from the ring first (ring_read answers -ENOTCONN once it
 * is empty). Writers see the flag under their lock: nothing written to the ring comes
 * after what goes to the host pipe.
 */
void ring_demote(struct ukmon_vm *vm, const struct fd_entry *e)
{
    struct pipe_ring *r = ring_of(vm, e);
    if (!r || ring_demoted(r))
        return;
    ring_lock(vm, &r->hdr->rlock);
    ring_lock(vm, &r->hdr->wlock);
    int w = -1;
    for (int i = 0; i < FDT_MAX && w < 0; i++)
        if (vm->fdt.fd[i].host_fd >= 0 && vm->fdt.fd[i].ring == e->ring && vm->fdt.fd[i].ring_w)
            w = vm->fdt.fd[i].host_fd;
    uint64_t used = ring_used(r), tail = r->hdr->tail;
    while (w >= 0 && used > 0) {
        uint64_t off = tail % UKMON_RING_DATA, n = UKMON_RING_DATA - off;
        ssize_t k = write(w, r->data + off, n < used ? n : used);
        if (k <= 0)
            break;
        tail += (uint64_t)k, used -= (uint64_t)k;
    }
    __atomic_store_n(&r->hdr->tail, tail, __ATOMIC_RELEASE);
    __atomic_fetch_or(&r->hdr->flags, UKMON_RING_DEMOTED, __ATOMIC_SEQ_CST);
    ring_unlock(&r->hdr->wlock);
    ring_unlock(&r->hdr->rlock);
    ring_wake(r->data_efd);
    ring_wake(r->space_efd);
}

/* Bytes waiting to be read (FIONREAD). */
int64_t ring_pending(struct ukmon_vm *vm, const struct fd_entry *e)
{
    struct pipe_ring *r = ring_of(vm, e);
    return r ? (int64_t)ring_used(r) : 0;
}
