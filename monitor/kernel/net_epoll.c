/* net_epoll.c: epoll for the guest: a host epoll instance over the host fds behind its fds. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "kernel/io.h"
#include "kernel/net.h"
#include "kernel/proc.h"
#include "kernel/sig.h"
#include "kernel/stats.h"
#include "kernel/thread.h"
#include "kvm/vmm.h"

int64_t net_epoll_create(struct ukmon_vm *vm, int flags)
{
    if (flags & ~EPOLL_CLOEXEC)
        return -EINVAL;
    int gfd = fdt_lowest_free(&vm->fdt, 0);
    if (gfd < 0)
        return -EMFILE;
    int64_t obj = proc_acct_new(vm, ACCT_FILE, NULL);
    if (obj < 0)
        return obj;
    int h = epoll_create1(EPOLL_CLOEXEC);
    if (h < 0) {
        int e = errno;
        proc_acct_drop(vm->fdt.tree, vm->fdt.slot, (uint32_t)obj);
        return -e;
    }
    fdt_install(&vm->fdt, gfd, h, true);
    vm->fdt.fd[gfd].obj = (uint32_t)obj;
    vm->fdt.fd[gfd].cloexec = (flags & EPOLL_CLOEXEC) != 0;
    return gfd;
}

/*
 * The event's data is the guest's own 64 bits, handed back as they are: no
 * translation, and a closed fd leaves the set as it does on Linux (with its last
 * host duplicate). epoll_ctl on a regular file is EPERM, from the host.
 */
int64_t net_epoll_ctl(struct ukmon_vm *vm, int64_t epfd, int op, int64_t fd, uint64_t event)
{
    const struct fd_entry *ep = fdt_entry(&vm->fdt, epfd), *t = fdt_entry(&vm->fdt, fd);
    if (!ep || !t)
        return -EBADF;
    if (epfd == fd)
        return -EINVAL;
    struct epoll_event ev;
    memset(&ev, 0, sizeof(ev));
    /* epoll watches the host fd: a pipe kept as a ring becomes a host pipe again. */
    ring_demote(vm, t);
    if (op != EPOLL_CTL_DEL) {
        if (gmem_read(vm, &ev, event, sizeof(ev)) < 0)
            return -EFAULT;
    }
    return epoll_ctl(ep->host_fd, op, t->host_fd, &ev) < 0 ? -errno : 0;
}

#define EPOLL_EVENTS_MAX 1024

/*
 * epoll_wait/epoll_pwait: sleeps in the host's epoll_pwait with the guest-signal
 * and SIGCHLD signals let in only there, so a signal that must reach the guest
 * cuts the wait short (EINTR) and none comes unseen between a look and the sleep.
 * `mask` (epoll_pwait's) is the guest's mask while it waits.
 */
int64_t net_epoll_wait(struct ukmon_vm *vm, int64_t epfd, uint64_t events, int64_t maxevents,
                       int64_t timeout_ms, const uint64_t *mask)
{
    const struct fd_entry *ep = fdt_entry(&vm->fdt, epfd);
    if (!ep)
        return -EBADF;
    if (maxevents <= 0)
        return -EINVAL;
    if (maxevents > EPOLL_EVENTS_MAX)
        maxevents = EPOLL_EVENTS_MAX;
    if (!gmem_check(vm, events, (uint64_t)maxevents * sizeof(struct epoll_event), true))
        return -EFAULT;
    if (mask) {
        vcpu_cur(vm)->sig.saved_mask = vcpu_cur(vm)->sig.mask;
        vcpu_cur(vm)->sig.restore_mask = true;
        sig_set_mask(vm, *mask);
    }
    int64_t deadline = timeout_ms < 0 ? -1 : clock_ns(CLOCK_MONOTONIC) + timeout_ms * 1000000;
    static _Thread_local struct epoll_event buf[EPOLL_EVENTS_MAX];
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, gsig_host_signal());
    sigaddset(&block, SIGCHLD);
    for (;;) {
        sigprocmask(SIG_BLOCK, &block, &old);
        if (vm->stop_signal || proc_interrupted(vm)) {
            sigprocmask(SIG_SETMASK, &old, NULL);
            return -EINTR;
        }
        int ms = -1;
        if (deadline >= 0) {
            int64_t left = deadline - clock_ns(CLOCK_MONOTONIC);
            ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000 > 0x7fffffff ? 0x7fffffff
                                                                              : (left + 999999) / 1000000);
        }
        sigset_t wait = old;
        sigdelset(&wait, gsig_host_signal());
        sigdelset(&wait, SIGCHLD);
        int hfd = ep->host_fd;
        thread_block_begin(vm);
        int n = epoll_pwait(hfd, buf, (int)maxevents, ms, &wait);
        int e = errno;
        thread_block_end(vm);
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (n > 0)
            return gmem_write(vm, events, buf, (size_t)n * sizeof(buf[0])) < 0 ? -EFAULT : n;
        if (n == 0)
            return 0;
        if (e != EINTR)
            return -e;
        proc_on_interrupt(vm);
    }
}
