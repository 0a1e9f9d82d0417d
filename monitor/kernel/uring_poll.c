/* uring_poll.c: poll() over several guest fds, as io_uring poll requests. */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include <time.h>

#include "kernel/io.h"
#include "kernel/proc.h"
#include "kernel/sig.h"
#include "kernel/stats.h"
#include "kvm/vmm.h"

/*
 * User data: bits 0-31 the entry's index + 1 (or the timeout, or a cancellation), bit
 * 32 UD_HOST (below), bits 40-63 the poll's generation, never 0. A completion of
 * another generation (an earlier poll's, come late) is not this poll's and is not
 * counted: counting it would end this one with one of its own still in flight.
 */
#define UD_TIMEOUT 0xffff0000ULL
#define UD_CANCEL 0xffff0001ULL
#define UD_GEN_SHIFT 40
#define UD_LOW ((1ULL << UD_GEN_SHIFT) - 1) /* all but the generation */

static struct io_uring_sqe *poll_sqe(struct ukmon_vm *vm)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&vcpu_cur(vm)->ring);
    if (!sqe) { /* queue full: hand what we have to the kernel and try again */
        io_uring_submit(&vcpu_cur(vm)->ring);
        sqe = io_uring_get_sqe(&vcpu_cur(vm)->ring);
    }
    return sqe;
}

/*
 * A pipe kept as a ring (pipe_ring.c) is watched through two requests: its eventfd,
 * which the other side signals while this one is counted as waiting, and its host
 * pipe end, for the hangup or error only the host sees. Their user data: the entry's
 * index + 1, with UD_HOST set for the second.
 */
#define UD_HOST (1ULL << 32)

struct poll_state {
    struct ukmon_pollfd *pf;
    bool armed[POLL_FDS_MAX];
    bool ring[POLL_FDS_MAX];  /* a ring end, counted as waiting (ring_poll_arm) */
    unsigned outstanding;   /* CQEs still to come */
    int ready;
    bool cancelling;        /* the poll is over: what is armed goes, nothing is armed again */
    uint64_t gen;           /* this poll's tag, in the top bits of its user data */
    bool timed_out;
};

static void poll_set_data(const struct poll_state *st, struct io_uring_sqe *sqe, uint64_t ud)
{
    io_uring_sqe_set_data64(sqe, st->gen | ud);
}

static void poll_ring_watch(struct ukmon_vm *vm, struct poll_state *st, unsigned i, int efd);

/* One completion, unless it is another poll's. */
static void poll_reap(struct ukmon_vm *vm, struct poll_state *st, struct io_uring_cqe *cqe)
{
    if ((cqe->user_data & ~UD_LOW) != st->gen)
        return;
    uint64_t ud = cqe->user_data & UD_LOW;
    st->outstanding--;
    if (ud == UD_TIMEOUT && cqe->res == -ETIME)
        st->timed_out = true;
    if (ud == UD_TIMEOUT || ud == UD_CANCEL || (ud & ~UD_HOST) == 0 ||
        (ud & ~UD_HOST) > POLL_FDS_MAX)
        return;
    unsigned i = (unsigned)(ud & ~UD_HOST) - 1;
    if (st->ring[i]) { /* whatever woke it, the ring itself says what is ready */
        const struct fd_entry *e = fdt_entry(&vm->fdt, st->pf[i].fd);
        short rev = e ? ring_poll_now(vm, e, st->pf[i].events) : POLLNVAL;
        if (cqe->res > 0 && (ud & UD_HOST))
            rev |= (short)(cqe->res & (POLLHUP | POLLERR));
        /*
         * Not while cancelling: a poll armed again then would come after our cancels,
         * and the wait for the last CQE would last until its eventfd is signalled.
         */
        if (!rev && !(ud & UD_HOST) && cqe->res > 0 && e && !st->cancelling) {
            /* Woken for nothing (another reader was first): drained, looked at again. */
            int efd = ring_poll_arm(vm, e);
            rev = ring_poll_now(vm, e, st->pf[i].events);
            if (!rev)
                poll_ring_watch(vm, st, i, efd < 0 ? -1 : -2);
            else if (efd >= 0)
                ring_poll_disarm(vm, e);
        }
        if (rev && !st->pf[i].revents) {
            st->pf[i].revents = rev;
            st->ready++;
        }
        return;
    }
    st->armed[i] = false;
    if (cqe->res > 0) {
        st->pf[i].revents = (int16_t)(cqe->res & 0xffff);
        st->ready++;
    }
}

/*
 * Takes every completion there is; if `wait`, blocks until an fd is ready, the
 * timeout came or nothing is left in flight: neither another poll's completion nor a
 * ring's wakeup for nothing (another reader was first) ends the wait, as poll(2)
 * with no timeout never returns 0. Returns <0 on -EINTR stop.
 */
static int poll_drain(struct ukmon_vm *vm, struct poll_state *st, bool wait)
{
    struct io_uring_cqe *cqe;
    do {
        if (wait) {
            for (;;) {
                int r = uring_wait(vm, &cqe, true);
                if (r >= 0)
                    break;
                if (r != -EINTR || vm->stop_signal)
                    return r;
                proc_on_interrupt(vm);
                if (proc_interrupted(vm))
                    return -EINTR;
            }
        } else {
            io_uring_submit(&vcpu_cur(vm)->ring);
        }
        while (io_uring_peek_cqe(&vcpu_cur(vm)->ring, &cqe) == 0) {
            poll_reap(vm, st, cqe);
            io_uring_cqe_seen(&vcpu_cur(vm)->ring, cqe);
        }
    } while (wait && st->ready == 0 && !st->timed_out && st->outstanding > 0);
    return 0;
}

/*
 * Watches a ring end's eventfd (efd >= 0: just armed; -2: its eventfd again, after a
 * wakeup that left it not ready; -1: the ring is gone).
 */
static void poll_ring_watch(struct ukmon_vm *vm, struct poll_state *st, unsigned i, int efd)
{
    const struct fd_entry *e = fdt_entry(&vm->fdt, st->pf[i].fd);
    struct pipe_ring *r = e ? ring_of(vm, e) : NULL;
    if (efd == -2 && r) {
        ring_poll_disarm(vm, e); /* ring_poll_arm counted it once more */
        efd = e->ring_w ? r->space_efd : r->data_efd;
    }
    struct io_uring_sqe *sqe = efd >= 0 ? poll_sqe(vm) : NULL;
    if (!sqe)
        return;
    io_uring_prep_poll_add(sqe, efd, POLLIN);
    poll_set_data(st, sqe, i + 1);
    st->outstanding++;
}

/* Sleeps timeout_ms (for ever if < 0) unless a signal or a stop cuts it: 0 or -EINTR. */
static int64_t poll_sleep(struct ukmon_vm *vm, int64_t timeout_ms)
{
    int64_t deadline = timeout_ms < 0 ? -1 : clock_ns(CLOCK_MONOTONIC) + timeout_ms * 1000000;
    return sig_sleep(vm, deadline, 0) == -ETIMEDOUT ? 0 : -EINTR;
}

/*
 * poll() over pf[0..nfds) (host memory: the caller copied it out of the guest), with
 * a timeout in ms (< 0: for ever). Fills revents; returns how many are ready or -errno.
 */
int64_t uring_poll_fds(struct ukmon_vm *vm, struct ukmon_pollfd *pf, uint64_t nfds,
                       int64_t timeout_ms)
{
    static _Thread_local struct poll_state st; /* large; one per thread: it lives across waits */
    static _Thread_local uint64_t gens;
    if (nfds > POLL_FDS_MAX)
        return -EINVAL;
    int er = uring_ensure(vm);
    if (er < 0)
        return er;
    gens = gens % ((1ULL << (64 - UD_GEN_SHIFT)) - 1) + 1;
    st.gen = gens << UD_GEN_SHIFT;
    st.pf = pf;
    st.outstanding = 0;
    st.ready = 0;
    st.cancelling = st.timed_out = false;
    for (uint64_t i = 0; i < nfds; i++) /* (the cancellation below reads them all) */
        st.armed[i] = st.ring[i] = false;
    int r = 0;
    for (uint64_t i = 0; i < nfds && r == 0; i++) {
        struct ukmon_pollfd *p = &st.pf[i];
        p->revents = 0;
        if (p->fd < 0)
            continue; /* POSIX: negative fds are ignored */
        int host = fdt_host(&vm->fdt, p->fd);
        if (host < 0) {
            p->revents = POLLNVAL;
            st.ready++;
            continue;
        }
        const struct fd_entry *e = fdt_entry(&vm->fdt, p->fd);
        if (e->ring && ring_of(vm, e)) {
            short rev = ring_poll_now(vm, e, p->events);
            int efd = rev ? -1 : ring_poll_arm(vm, e);
            if (!rev && efd >= 0 && (rev = ring_poll_now(vm, e, p->events)) != 0)
                ring_poll_disarm(vm, e); /* it came meanwhile */
            else if (!rev && efd >= 0)
                st.ring[i] = true;
            if (rev) {
                p->revents = rev;
                st.ready++;
                continue;
            }
            poll_ring_watch(vm, &st, (unsigned)i, efd);
            struct io_uring_sqe *hs = poll_sqe(vm);
            if (!hs) { /* (what is armed already is cancelled below, as after a wait) */
                r = -ENOMEM;
                break;
            }
            io_uring_prep_poll_add(hs, host, POLLERR | POLLHUP);
            poll_set_data(&st, hs, (i + 1) | UD_HOST);
            st.armed[i] = true;
            st.outstanding++;
            continue;
        }
        struct io_uring_sqe *sqe = poll_sqe(vm);
        if (!sqe) {
            r = -ENOMEM;
            break;
        }
        io_uring_prep_poll_add(sqe, host, (unsigned)(uint16_t)p->events | POLLERR | POLLHUP);
        poll_set_data(&st, sqe, i + 1);
        st.armed[i] = true;
        st.outstanding++;
    }
    struct __kernel_timespec ts = {
        .tv_sec = timeout_ms / 1000, .tv_nsec = (timeout_ms % 1000) * 1000000,
    };
    bool wait = r == 0 && st.ready == 0 && timeout_ms != 0 && st.outstanding > 0;
    if (wait && timeout_ms > 0) {
        struct io_uring_sqe *sqe = poll_sqe(vm);
        if (sqe) {
            /* Only the deadline ends it (or its cancellation, below). */
            io_uring_prep_timeout(sqe, &ts, 0, 0);
            poll_set_data(&st, sqe, UD_TIMEOUT);
            st.outstanding++;
        } else {
            r = -ENOMEM;
            wait = false;
        }
    }
    if (r == 0 && st.outstanding == 0 && st.ready == 0 && timeout_ms != 0)
        return poll_sleep(vm, timeout_ms); /* nothing to watch: poll() is a sleep */
    if (r == 0)
        r = poll_drain(vm, &st, wait);
    /* Everything still armed is cancelled; its completion arrives, then we are done. */
    st.cancelling = true;
    for (uint64_t i = 0; i < nfds; i++) {
        if (!st.armed[i] && !st.ring[i])
            continue;
        for (int k = 0; k < (st.ring[i] ? 2 : 1); k++) {
            struct io_uring_sqe *sqe = poll_sqe(vm);
            if (!sqe)
                break;
            io_uring_prep_cancel64(sqe, st.gen | (i + 1) | (k ? UD_HOST : 0), 0);
            poll_set_data(&st, sqe, UD_CANCEL);
            st.outstanding++;
        }
    }
    if (st.outstanding && wait && timeout_ms > 0) {
        struct io_uring_sqe *sqe = poll_sqe(vm);
        if (sqe) {
            io_uring_prep_cancel64(sqe, st.gen | UD_TIMEOUT, 0);
            poll_set_data(&st, sqe, UD_CANCEL);
            st.outstanding++;
        }
    }
    while (st.outstanding > 0) {
        int d = io_uring_submit_and_wait(&vcpu_cur(vm)->ring, 1);
        if (d < 0 && d != -EINTR)
            break;
        poll_drain(vm, &st, false);
    }
    for (uint64_t i = 0; i < nfds; i++) {
        const struct fd_entry *e = st.ring[i] ? fdt_entry(&vm->fdt, pf[i].fd) : NULL;
        if (e)
            ring_poll_disarm(vm, e);
        st.ring[i] = false;
    }
    return r < 0 ? r : st.ready;
}

/* The poll hypercall: its array is copied in once and the results copied back. */
int64_t uring_poll_many(struct ukmon_vm *vm, struct ukmon_hc_poll *a)
{
    static _Thread_local struct ukmon_pollfd pf[UKMON_POLL_MAX];
    if (a->nfds > UKMON_POLL_MAX)
        return -EINVAL;
    uint64_t bytes = a->nfds * sizeof(pf[0]);
    if (!gmem_check(vm, a->fds, bytes, true) || gmem_read(vm, pf, a->fds, bytes) < 0)
        return -EFAULT;
    int64_t r = uring_poll_fds(vm, pf, a->nfds, a->timeout_ms);
    if (r >= 0 && gmem_write(vm, a->fds, pf, bytes) < 0)
        return -EFAULT;
    return r;
}
