/* futex.c: waiting on a word of guest memory and waking its waiters, with the host's futexes. */
#include <errno.h>
#include <linux/futex.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kernel/proc.h"
#include "kernel/stats.h"
#include "kernel/thread.h"
#include "kvm/vmm.h"

/*
 * A guest's futex word is host memory (guest memory is one host mapping), so the
 * host's futex works on it directly and keys it as Linux keys the guest's: by this
 * process for a private futex, by the page of the shared file for one in MAP_SHARED
 * memory, which is how VMs that share memory (a MAP_SHARED mapping across fork, SysV
 * shm) wait for and wake each other. A VM has one thread: only another process can
 * wake it, else it waits for its timeout or a signal.
 *
 * A signal for the guest (or SIGCHLD, a stop of the tree) must cut the wait short, and
 * the host's futex takes no signal mask to sleep with. Every handler of the monitor
 * calls kvm_kick(), which bumps a counter (kvm.c): the wait is on the guest's word and
 * on that counter at once (futex_waitv), the counter's value read before the last look
 * at what is pending. A handler that runs after the look changed the counter: the
 * wait does not start (EAGAIN); one that runs during it interrupts it (EINTR).
 */

#define FUTEX_SLICE_NS 20000000LL /* without futex_waitv (Linux < 5.16): a look this often */

static int64_t ts_ns(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* The guest's word for the host kernel, or -EINVAL (misaligned), -EFAULT. */
static int futex_word(struct ukmon_vm *vm, uint64_t gva, bool write, uint32_t **out)
{
    if (gva % 4)
        return -EINVAL;
    *out = gmem_io_ptr(vm, gva, 4, write);
    return *out ? 0 : -EFAULT;
}

/* One sleep of the fallback: the host's FUTEX_WAIT_BITSET, at most a slice long. */
static int futex_sleep_slice(struct ukmon_vm *vm, uint32_t *w, uint32_t val, bool private,
                             uint32_t bitset, const struct timespec *deadline, clockid_t clk)
{
    struct timespec now, until;
    clock_gettime(clk, &now);
    int64_t end = ts_ns(&now) + FUTEX_SLICE_NS;
    if (deadline && ts_ns(deadline) < end)
        end = ts_ns(deadline);
    until.tv_sec = end / 1000000000LL;
    until.tv_nsec = end % 1000000000LL;
    int op = FUTEX_WAIT_BITSET | (private ? FUTEX_PRIVATE_FLAG : 0) |
             (clk == CLOCK_REALTIME ? FUTEX_CLOCK_REALTIME : 0);
    thread_block_begin(vm);
    long r = syscall(SYS_futex, w, op, val, &until, NULL, bitset);
    int e = errno;
    thread_block_end(vm);
    if (r == 0)
        return 0;
    if (e == ETIMEDOUT && (!deadline || end < ts_ns(deadline)))
        return -EINTR; /* the slice, not the deadline: look again */
    return -e;
}

/*
 * Waits while the 32-bit word at gva holds val, until a FUTEX_WAKE (bitset: the bits
 * the waker must share), the absolute deadline on clk (NULL: none), or a signal.
 * Returns 0 when woken, -EAGAIN if the word did not hold val, -ETIMEDOUT, -EINTR for
 * a signal the guest must see (or a stop), -EINVAL, -EFAULT.
 */
int64_t futex_wait(struct ukmon_vm *vm, uint64_t gva, uint32_t val, bool private,
                   uint32_t bitset, const struct timespec *deadline, clockid_t clk)
{
    uint32_t *w;
    int r = futex_word(vm, gva, false, &w);
    if (r < 0)
        return r;
    static bool no_waitv;
    for (;;) {
        uint32_t kicks = __atomic_load_n(kvm_kick_word(), __ATOMIC_SEQ_CST);
        proc_on_interrupt(vm); /* SIGCHLD and host signals become the guest's */
        if (vm->stop_signal || proc_interrupted(vm))
            return -EINTR;
        long got;
        if (no_waitv || bitset != FUTEX_BITSET_MATCH_ANY) {
            r = futex_sleep_slice(vm, w, val, private, bitset, deadline, clk);
            if (r == -EINTR)
                continue;
            return r;
        }
        struct futex_waitv wv[2];
        memset(wv, 0, sizeof(wv));
        wv[0].val = val;
        wv[0].uaddr = (uint64_t)(uintptr_t)w;
        wv[0].flags = FUTEX_32 | (private ? FUTEX_PRIVATE_FLAG : 0);
        wv[1].val = kicks;
        wv[1].uaddr = (uint64_t)(uintptr_t)kvm_kick_word();
        wv[1].flags = FUTEX_32 | FUTEX_PRIVATE_FLAG;
        thread_block_begin(vm);
        got = syscall(SYS_futex_waitv, wv, 2, 0, deadline, clk);
        int e = errno;
        thread_block_end(vm);
        if (got == 0)
            return 0;
        if (got > 0)
            continue; /* a kick woke the counter: look again */
        if (e == ENOSYS) {
            no_waitv = true;
            continue;
        }
        if (e == EAGAIN) { /* the word, or the counter: a kick since the look */
            uint32_t now;
            if (gmem_read(vm, &now, gva, 4) < 0)
                return -EFAULT;
            if (now != val)
                return -EAGAIN;
            continue;
        }
        if (e != EINTR)
            return -e;
    }
}

/*
 * The calls that wake or move waiters, made by the host on the guest's words (op: the
 * host's FUTEX_WAKE, _WAKE_BITSET, _REQUEUE, _CMP_REQUEUE or _WAKE_OP, with the
 * private flag as the guest gave it). Returns what the host returns, or -errno.
 */
int64_t futex_wake(struct ukmon_vm *vm, int op, uint64_t gva, uint32_t val, uint32_t val2,
                   uint64_t gva2, uint32_t val3)
{
    uint32_t *w, *w2 = NULL;
    int r = futex_word(vm, gva, false, &w);
    int cmd = op & FUTEX_CMD_MASK;
    if (r == 0 && (cmd == FUTEX_REQUEUE || cmd == FUTEX_CMP_REQUEUE || cmd == FUTEX_WAKE_OP))
        r = futex_word(vm, gva2, cmd == FUTEX_WAKE_OP, &w2);
    if (r < 0)
        return r;
    long n = syscall(SYS_futex, w, op, val, (unsigned long)val2, w2, val3);
    return n < 0 ? -errno : n;
}
