/* uring.c: the monitor's io_uring, through which all guest I/O moves. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/proc.h"
#include "kernel/sig.h"
#include "kernel/thread.h"
#include "profile.h"

#define URING_ENTRIES 64

/*
 * Ring restricted to the opcodes we submit: io_uring requests are not seen by the
 * seccomp filter, so an unrestricted ring would be a way around it.
 */
static int uring_restrict(struct io_uring *ring)
{
    static const uint8_t ops[] = {
        IORING_OP_READ, IORING_OP_WRITE, IORING_OP_READV, IORING_OP_WRITEV,
        IORING_OP_POLL_ADD, IORING_OP_POLL_REMOVE, IORING_OP_TIMEOUT,
        IORING_OP_ASYNC_CANCEL,
        /* sockets (net_ops.c) */
        IORING_OP_ACCEPT, IORING_OP_CONNECT, IORING_OP_SEND, IORING_OP_RECV,
        IORING_OP_SENDMSG, IORING_OP_RECVMSG,
    };
    struct io_uring_restriction res[sizeof(ops)];
    memset(res, 0, sizeof(res));
    for (size_t i = 0; i < sizeof(ops); i++) {
        res[i].opcode = IORING_RESTRICTION_SQE_OP;
        res[i].sqe_op = ops[i];
    }
    /*
     * Raw io_uring_register(2): Debian 12's liburing 2.3 declares the two wrappers but
     * its shared library does not export them.
     */
    if (syscall(__NR_io_uring_register, ring->ring_fd, IORING_REGISTER_RESTRICTIONS, res,
                (unsigned)sizeof(ops)) < 0 ||
        syscall(__NR_io_uring_register, ring->ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0) < 0)
        return -errno;
    return 0;
}

int uring_setup(struct ukmon_vm *vm)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof(p));
    p.flags = IORING_SETUP_R_DISABLED;
    int r = io_uring_queue_init_params(URING_ENTRIES, &vcpu_cur(vm)->ring, &p);
    if (r < 0)
        return vm_fail(vm, r, "io_uring setup: %s%s", strerror(-r),
                       r == -EPERM ? " (io_uring disabled by kernel.io_uring_disabled?)" : "");
    vcpu_cur(vm)->ring_ok = true;
    if ((r = uring_restrict(&vcpu_cur(vm)->ring)) < 0)
        return vm_fail(vm, r, "io_uring restrictions: %s", strerror(-r));
    /* A forked monitor makes a ring of its own; it must not share our queues. */
    io_uring_ring_dontfork(&vcpu_cur(vm)->ring);
    PROF_MARK("io_uring: ring set up, restricted");
    return 0;
}

/* Every vCPU's ring: each thread has its own, made at its first I/O. */
void uring_teardown(struct ukmon_vm *vm)
{
    for (unsigned i = 0; i < VCPUS_MAX; i++) {
        struct vcpu *c = vm->vcpus[i];
        if (c && c->ring_ok)
            io_uring_queue_exit(&c->ring);
        if (c)
            c->ring_ok = false;
    }
}

/* After fork(2): the parent's rings are not mapped here (dontfork); drop their fds only. */
void uring_forget_parent(struct ukmon_vm *vm)
{
    for (unsigned i = 0; i < VCPUS_MAX; i++) {
        struct vcpu *c = vm->vcpus[i];
        if (c && c->ring_ok)
            close(c->ring.ring_fd);
        if (c)
            c->ring_ok = false;
    }
}

/*
 * User data of the one request in flight and of its cancellation. poll (uring_poll.c)
 * tags its own with a nonzero generation in the top bits, so neither can be taken
 * for the other: a completion one of them left behind (an error path, a late
 * cancellation) would otherwise be read here as this request's result, and every
 * later result would then be the one before it.
 */
#define UD_IO 0xffff0010ULL
#define UD_IO_CANCEL 0xffff0011ULL

/*
 * Waits for a completion (after submitting what is queued). The host signals that
 * carry guest signals, and SIGCHLD, get in only inside the wait (io_uring_enter's
 * signal mask), so one that came just before is not slept through: with `check`, a
 * signal the guest must see now, or a stop, makes it return -EINTR without waiting.
 * -EINTR also when a handler ran during the wait.
 */
int uring_wait(struct ukmon_vm *vm, struct io_uring_cqe **cqe, bool check)
{
    PROF_T0(t0);
    int r = io_uring_submit(&vcpu_cur(vm)->ring);
    PROF_ADD(PROF_URING_SUBMIT, t0);
    if (r < 0)
        return r;
    PROF_T0(t1);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, gsig_host_signal());
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old);
    PROF_ADD(PROF_SIGMASK, t1);
    if (check && (vm->stop_signal || proc_interrupted(vm))) {
        r = -EINTR;
    } else {
        sigset_t during = old;
        sigdelset(&during, gsig_host_signal());
        sigdelset(&during, SIGCHLD);
        PROF_T0(t2);
        thread_block_begin(vm);
        r = io_uring_wait_cqes(&vcpu_cur(vm)->ring, cqe, 1, NULL, &during);
        thread_block_end(vm);
        PROF_ADD(PROF_URING_WAIT, t2);
    }
    PROF_T0(t3);
    sigprocmask(SIG_SETMASK, &old, NULL);
    PROF_ADD(PROF_SIGMASK, t3);
    return r;
}

/*
 * Submits `sqe` (user data UD_IO, the one request in flight) and waits for its
 * completion. A signal the guest must see now, or a stop, cancels it: -EINTR, unless
 * it moved data first (then that count, as read(2) and write(2) report a partial
 * transfer).
 *
 * io_uring may also fail a request with -ECANCELED that nobody cancelled (seen on
 * Debian 12's kernel, in the emulated machine: a pipe read after epoll, twice in
 * two runs of the suite; io-wq cancels queued work when it cannot start a worker).
 * Such a request moved nothing, so it is made again, a few times, before the guest
 * sees EINTR: ECANCELED is no answer read(2) or write(2) may give.
 */
static int64_t uring_complete_one(struct ukmon_vm *vm, const struct io_uring_sqe *sqe)
{
    const struct io_uring_sqe again = *sqe; /* before the first submission consumes it */
    struct io_uring_cqe *cqe;
    bool cancelled = false, io_done = false, cancel_done = false;
    int64_t res = 0;
    unsigned retries = 0, errors = 0;
    while (!io_done || (cancelled && !cancel_done)) {
        int r = uring_wait(vm, &cqe, !cancelled && !io_done);
        if (r == -EINTR) {
            proc_on_interrupt(vm); /* e.g. reap orphans while we wait on a pipe */
            if (!cancelled && !io_done && (vm->stop_signal || proc_interrupted(vm))) {
                struct io_uring_sqe *sqe = io_uring_get_sqe(&vcpu_cur(vm)->ring);
                if (sqe) {
                    io_uring_prep_cancel64(sqe, UD_IO, 0);
                    io_uring_sqe_set_data64(sqe, UD_IO_CANCEL);
                    cancelled = true;
                }
            }
            continue;
        }
        if (r < 0) {
            /*
             * Submitting or waiting failed (no memory, say): the request may still be
             * queued or in flight, and its completion must not be left for the next
             * one to take as its own. Tried again; a few failures in a row end it.
             */
            if (++errors > 3)
                return r;
            continue;
        }
        errors = 0;
        if (cqe->user_data == UD_IO) {
            res = cqe->res;
            io_done = true;
        } else if (cqe->user_data == UD_IO_CANCEL) {
            cancel_done = true;
        } /* else a stray from an earlier poll: dropped */
        io_uring_cqe_seen(&vcpu_cur(vm)->ring, cqe);
        if (io_done && res == -ECANCELED && !cancelled) {
            struct io_uring_sqe *s2 = retries < 3 ? io_uring_get_sqe(&vcpu_cur(vm)->ring) : NULL;
            if (!s2)
                return -EINTR;
            *s2 = again;
            retries++;
            io_done = false;
        }
    }
    return cancelled && (res == -ECANCELED || res == -EINTR) ? -EINTR : res;
}

/* A forked monitor builds its ring at its first I/O, not before its first instruction. */
int uring_ensure(struct ukmon_vm *vm)
{
    return vcpu_cur(vm)->ring_ok ? 0 : uring_setup(vm);
}

/* A free submission slot, the ring built first if this process has none yet. */
static struct io_uring_sqe *uring_sqe(struct ukmon_vm *vm, int *err)
{
    *err = uring_ensure(vm);
    if (*err < 0)
        return NULL;
    struct io_uring_sqe *sqe = io_uring_get_sqe(&vcpu_cur(vm)->ring);
    if (!sqe)
        *err = -EAGAIN;
    return sqe;
}

/* Offset -1: the file's own position, as read(2)/write(2) use; pipes ignore it. */
int64_t uring_rw(struct ukmon_vm *vm, bool write, int host_fd, void *buf, uint64_t len)
{
    int err;
    struct io_uring_sqe *sqe = uring_sqe(vm, &err);
    if (!sqe)
        return err;
    if (write)
        io_uring_prep_write(sqe, host_fd, buf, (unsigned)len, (uint64_t)-1);
    else
        io_uring_prep_read(sqe, host_fd, buf, (unsigned)len, (uint64_t)-1);
    io_uring_sqe_set_data64(sqe, UD_IO);
    return uring_complete_one(vm, sqe);
}

int64_t uring_rwv(struct ukmon_vm *vm, bool write, int host_fd, const struct iovec *iov,
                  unsigned iovcnt)
{
    int err;
    struct io_uring_sqe *sqe = uring_sqe(vm, &err);
    if (!sqe)
        return err;
    if (write)
        io_uring_prep_writev(sqe, host_fd, iov, iovcnt, (uint64_t)-1);
    else
        io_uring_prep_readv(sqe, host_fd, iov, iovcnt, (uint64_t)-1);
    io_uring_sqe_set_data64(sqe, UD_IO);
    return uring_complete_one(vm, sqe);
}

/* Sockets: one request each, cut short by a signal the guest must see, as above. */
int64_t uring_accept(struct ukmon_vm *vm, int fd, struct sockaddr *addr, socklen_t *len,
                     int flags)
{
    int err;
    struct io_uring_sqe *sqe = uring_sqe(vm, &err);
    if (!sqe)
        return err;
    io_uring_prep_accept(sqe, fd, addr, len, flags);
    io_uring_sqe_set_data64(sqe, UD_IO);
    return uring_complete_one(vm, sqe);
}

int64_t uring_connect(struct ukmon_vm *vm, int fd, const struct sockaddr *addr, socklen_t len)
{
    int err;
    struct io_uring_sqe *sqe = uring_sqe(vm, &err);
    if (!sqe)
        return err;
    io_uring_prep_connect(sqe, fd, addr, len);
    io_uring_sqe_set_data64(sqe, UD_IO);
    return uring_complete_one(vm, sqe);
}

int64_t uring_sendrecv(struct ukmon_vm *vm, bool send, int fd, void *buf, size_t len, int flags)
{
    int err;
    struct io_uring_sqe *sqe = uring_sqe(vm, &err);
    if (!sqe)
        return err;
    if (send)
        io_uring_prep_send(sqe, fd, buf, len, flags);
    else
        io_uring_prep_recv(sqe, fd, buf, len, flags);
    io_uring_sqe_set_data64(sqe, UD_IO);
    return uring_complete_one(vm, sqe);
}

int64_t uring_msg(struct ukmon_vm *vm, bool send, int fd, struct msghdr *msg, int flags)
{
    int err;
    struct io_uring_sqe *sqe = uring_sqe(vm, &err);
    if (!sqe)
        return err;
    if (send)
        io_uring_prep_sendmsg(sqe, fd, msg, (unsigned)flags);
    else
        io_uring_prep_recvmsg(sqe, fd, msg, (unsigned)flags);
    io_uring_sqe_set_data64(sqe, UD_IO);
    return uring_complete_one(vm, sqe);
}
