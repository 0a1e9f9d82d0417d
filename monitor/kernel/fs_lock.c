/* fs_lock.c: file locks (fcntl's and flock), and host calls that wait as long as they must. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/file.h>
#include <time.h>

#include "kernel/fs.h"
#include "kernel/io.h"
#include "kernel/proc.h"
#include "kernel/sig.h"
#include "kernel/thread.h"

/*
 * A host call that may wait for another process (a lock someone holds, a FIFO's
 * other end) has no io_uring form and no signal mask of its own to sleep with. It is
 * made with the guest-signal and SIGCHLD host signals let in, as the other waits do:
 * one that comes while it waits cuts it short (the handlers have no SA_RESTART), and
 * the call returns EINTR to the guest if the guest must see the signal now, or is
 * made again. One that came between our look and the call would be slept through:
 * a host timer of ours, which sends the same signal with no guest signal in it (the
 * handler drops that), ends such a sleep within WAIT_TICK_MS, and the look is made
 * again.
 */
#define WAIT_TICK_MS 50

int64_t fs_host_wait(struct ukmon_vm *vm, int64_t (*call)(void *arg), void *arg)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, gsig_host_signal());
    sigaddset(&block, SIGCHLD);
    timer_t tick;
    bool ticking = false;
    int64_t r;
    for (;;) {
        sigprocmask(SIG_BLOCK, &block, &old);
        if (vm->stop_signal || proc_interrupted(vm)) {
            sigprocmask(SIG_SETMASK, &old, NULL);
            r = -EINTR;
            break;
        }
        if (!ticking) {
            struct sigevent sev;
            memset(&sev, 0, sizeof(sev));
            /* This thread's, not the process's: another thread would drop it. */
            sev.sigev_notify = SIGEV_THREAD_ID;
            sev._sigev_un._tid = (pid_t)syscall(SYS_gettid); /* sigev_notify_thread_id */
            sev.sigev_signo = gsig_host_signal();
            sev.sigev_value.sival_ptr = NULL; /* guest signal 0: none */
            struct itimerspec its = {
                .it_interval = {0, WAIT_TICK_MS * 1000000L},
                .it_value = {0, WAIT_TICK_MS * 1000000L},
            };
            ticking = timer_create(CLOCK_MONOTONIC, &sev, &tick) == 0;
            if (ticking)
                timer_settime(tick, 0, &its, NULL);
        }
        sigset_t during = old;
        sigdelset(&during, gsig_host_signal());
        sigdelset(&during, SIGCHLD);
        sigprocmask(SIG_SETMASK, &during, NULL);
        thread_block_begin(vm);
        r = call(arg);
        thread_block_end(vm);
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (r != -EINTR)
            break;
        proc_on_interrupt(vm);
    }
    if (ticking)
        timer_delete(tick);
    return r;
}

struct lock_call {
    int fd, cmd;
    struct flock *fl;
};

static int64_t lock_call(void *arg)
{
    struct lock_call *c = arg;
    return fcntl(c->fd, c->cmd, c->fl) < 0 ? -errno : 0;
}

/*
 * fcntl's record locks, classic and open-file-description ones, on the host file
 * itself. Each VM is a host process of its own, so Linux's rules hold as they are:
 * classic locks belong to the process (gone at its exit, or when it closes any fd
 * of the file; not inherited by fork), F_GETLK names the holder by its pid, which
 * is the pid the guest knows; OFD locks belong to the open file, shared with the
 * VMs that share it. F_SETLKW and F_OFD_SETLKW wait until a signal the guest must
 * see (EINTR, or made again under SA_RESTART).
 */
int64_t fs_fcntl_lock(struct ukmon_vm *vm, int64_t fd, int cmd, struct flock *fl)
{
    const struct fd_entry *e = fdt_entry(&vm->fdt, fd);
    if (!e)
        return -EBADF;
    switch (cmd) {
    case F_GETLK: case F_SETLK: case F_SETLKW:
    case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
        break;
    default:
        return -EINVAL;
    }
    struct lock_call c = {.fd = e->host_fd, .cmd = cmd, .fl = fl};
    if (cmd == F_SETLKW || cmd == F_OFD_SETLKW) {
        /* most locks are free: no timer, no masks for those */
        c.cmd = cmd == F_SETLKW ? F_SETLK : F_OFD_SETLK;
        int64_t r = lock_call(&c);
        if (r != -EAGAIN && r != -EACCES)
            return r;
        c.cmd = cmd;
        return fs_host_wait(vm, lock_call, &c);
    }
    return lock_call(&c);
}

struct flock_call {
    int fd, op;
};

static int64_t flock_call(void *arg)
{
    struct flock_call *c = arg;
    return flock(c->fd, c->op) < 0 ? -errno : 0;
}

/* flock(2): a lock of the open file, on the host file; LOCK_NB, or a wait as above. */
int64_t fs_flock(struct ukmon_vm *vm, int64_t fd, int op)
{
    const struct fd_entry *e = fdt_entry(&vm->fdt, fd);
    if (!e)
        return -EBADF;
    struct flock_call c = {.fd = e->host_fd, .op = op | LOCK_NB};
    int64_t r = flock_call(&c);
    if ((op & LOCK_NB) || (op & ~LOCK_NB) == LOCK_UN || r != -EWOULDBLOCK)
        return r;
    c.op = op;
    return fs_host_wait(vm, flock_call, &c);
}
