/* io_events.c: fds that count events: eventfd and timerfd, host fds of the same kind. */
#include <errno.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "kernel/io.h"

/*
 * Both are host objects of their own kind behind a guest fd: reads go through
 * io_uring (a blocking read waits there, cut short by a signal) or read(2) when
 * non-blocking, poll and epoll watch the host fd, and a fork shares them as it
 * shares any fd. The guest's clocks are the host's, so a timerfd's absolute times
 * mean the same to both.
 */
static int64_t io_install_new(struct ukmon_vm *vm, int h, bool cloexec)
{
    int gfd = fdt_lowest_free(&vm->fdt, 0);
    if (gfd < 0) {
        close(h);
        return -EMFILE;
    }
    fdt_install(&vm->fdt, gfd, h, fdt_wants_syscalls(h));
    vm->fdt.fd[gfd].cloexec = cloexec;
    return gfd;
}

int64_t io_eventfd(struct ukmon_vm *vm, unsigned initval, int flags)
{
    if (flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE))
        return -EINVAL;
    if (fdt_lowest_free(&vm->fdt, 0) < 0)
        return -EMFILE;
    int h = eventfd(initval, EFD_CLOEXEC | (flags & (EFD_NONBLOCK | EFD_SEMAPHORE)));
    return h < 0 ? -errno : io_install_new(vm, h, flags & EFD_CLOEXEC);
}

/*
 * The clocks a timerfd may follow. The _ALARM ones wake a suspended machine, which
 * needs CAP_WAKE_ALARM: EPERM, as for a process without it.
 */
int64_t io_timerfd_create(struct ukmon_vm *vm, int clock, int flags)
{
    if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK))
        return -EINVAL;
    if (clock == CLOCK_REALTIME_ALARM || clock == CLOCK_BOOTTIME_ALARM)
        return -EPERM;
    if (clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME && clock != CLOCK_BOOTTIME)
        return -EINVAL;
    if (fdt_lowest_free(&vm->fdt, 0) < 0)
        return -EMFILE;
    int h = timerfd_create(clock, TFD_CLOEXEC | (flags & TFD_NONBLOCK));
    return h < 0 ? -errno : io_install_new(vm, h, flags & TFD_CLOEXEC);
}

/* timerfd_settime: EINVAL for an fd that is no timerfd, as the host says. */
int64_t io_timerfd_settime(struct ukmon_vm *vm, int64_t fd, int flags,
                           const struct itimerspec *nw, struct itimerspec *old)
{
    const struct fd_entry *e = fdt_entry(&vm->fdt, fd);
    if (!e)
        return -EBADF;
    if (e->sock.kind == SK_UNBOUND || e->vdir)
        return -EINVAL; /* placeholders: never a timerfd */
    return timerfd_settime(e->host_fd, flags, nw, old) < 0 ? -errno : 0;
}

int64_t io_timerfd_gettime(struct ukmon_vm *vm, int64_t fd, struct itimerspec *cur)
{
    const struct fd_entry *e = fdt_entry(&vm->fdt, fd);
    if (!e)
        return -EBADF;
    if (e->sock.kind == SK_UNBOUND || e->vdir)
        return -EINVAL;
    return timerfd_gettime(e->host_fd, cur) < 0 ? -errno : 0;
}
