/* fdio.c: file descriptor calls, each one hypercall. */
#include <errno.h>
#include <poll.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hypercall.h"

ssize_t write(int fd, const void *buf, size_t count)
{
    struct ukmon_hc_rw a = {.fd = fd, .buf = (uintptr_t)buf, .len = count};
    hypercall(UKMON_HC_WRITE, &a);
    return __syscall_ret(a.ret);
}

ssize_t read(int fd, void *buf, size_t count)
{
    struct ukmon_hc_rw a = {.fd = fd, .buf = (uintptr_t)buf, .len = count};
    hypercall(UKMON_HC_READ, &a);
    return __syscall_ret(a.ret);
}

/* struct iovec and struct ukmon_iovec have the same layout: pass the array as is. */
_Static_assert(sizeof(struct iovec) == sizeof(struct ukmon_iovec), "iovec layout");

static ssize_t rwv(int fd, const struct iovec *iov, int iovcnt, int write)
{
    if (iovcnt < 0 || iovcnt > UKMON_IOV_MAX) {
        errno = EINVAL;
        return -1;
    }
    struct ukmon_hc_rwv a = {
        .fd = fd, .write = (uint64_t)write, .iov = (uintptr_t)iov, .iovcnt = (uint64_t)iovcnt,
    };
    hypercall(UKMON_HC_RWV, &a);
    return __syscall_ret(a.ret);
}

ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
    return rwv(fd, iov, iovcnt, 0);
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
    return rwv(fd, iov, iovcnt, 1);
}

int pipe(int fds[2])
{
    struct ukmon_hc_pipe a = {.flags = 0};
    hypercall(UKMON_HC_PIPE, &a);
    if (a.ret == 0) {
        fds[0] = (int)a.fds[0];
        fds[1] = (int)a.fds[1];
    }
    return (int)__syscall_ret(a.ret);
}

int close(int fd)
{
    struct ukmon_hc_fd a = {.fd = fd};
    hypercall(UKMON_HC_CLOSE, &a);
    return (int)__syscall_ret(a.ret);
}

int dup(int fd)
{
    struct ukmon_hc_dup a = {.oldfd = fd, .newfd = -1};
    hypercall(UKMON_HC_DUP, &a);
    return (int)__syscall_ret(a.ret);
}

int dup2(int oldfd, int newfd)
{
    if (newfd < 0) {
        errno = EBADF;
        return -1;
    }
    struct ukmon_hc_dup a = {.oldfd = oldfd, .newfd = newfd};
    hypercall(UKMON_HC_DUP, &a);
    return (int)__syscall_ret(a.ret);
}

_Static_assert(sizeof(struct pollfd) == sizeof(struct ukmon_pollfd), "pollfd layout");

int poll(struct pollfd *fds, nfds_t nfds, int timeout_ms)
{
    if (nfds > UKMON_POLL_MAX) {
        errno = EINVAL;
        return -1;
    }
    struct ukmon_hc_poll a = {
        .fds = (uintptr_t)fds, .nfds = nfds, .timeout_ms = timeout_ms,
    };
    hypercall(UKMON_HC_POLL, &a);
    return (int)__syscall_ret(a.ret);
}
