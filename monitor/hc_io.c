/* hc_io.c: file-descriptor hypercalls: read, write, readv/writev, pipe, close, dup. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hypercalls.h"

/* Linux moves at most this much in one read/write call; so do we. */
#define RW_MAX 0x7ffff000ULL

static int64_t io_rw(struct ukmon_vm *vm, bool write, int64_t fd, ukmon_gpa_t buf,
                     uint64_t len)
{
    const struct fd_entry *f = fdt_entry(&vm->fdt, fd);
    if (!f)
        return -EBADF;
    if (len > RW_MAX)
        len = RW_MAX;
    void *p = gmem_user_ptr(vm, buf, len, !write); /* read() writes guest memory */
    if (!p)
        return -EFAULT;
    if (len == 0)
        return 0;
    /* Straight between guest memory and the host fd: no bounce buffer. */
    if (f->syscalls) {
        ssize_t n = write ? (ssize_t)syscall(SYS_write, f->host_fd, p, len)
                          : (ssize_t)syscall(SYS_read, f->host_fd, p, len);
        return n < 0 ? -errno : n;
    }
    if (!write)
        return uring_rw(vm, false, f->host_fd, p, len);
    /*
     * A blocking write(2) to a pipe moves everything before it returns; io_uring hands
     * back what fit (64 KiB). Finish here: no exit per piece, POSIX semantics kept.
     */
    uint64_t done = 0;
    while (done < len) {
        int64_t n = uring_rw(vm, true, f->host_fd, (uint8_t *)p + done, len - done);
        if (n <= 0)
            return done ? (int64_t)done : n;
        done += (uint64_t)n;
    }
    return (int64_t)done;
}

enum hc_result hc_write(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_rw *a = arg;
    a->ret = io_rw(vm, true, a->fd, a->buf, a->len);
    return HC_CONTINUE;
}

enum hc_result hc_read(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_rw *a = arg;
    a->ret = io_rw(vm, false, a->fd, a->buf, a->len);
    return HC_CONTINUE;
}

static int64_t io_rwv(struct ukmon_vm *vm, struct ukmon_hc_rwv *a)
{
    const struct fd_entry *f = fdt_entry(&vm->fdt, a->fd);
    if (!f)
        return -EBADF;
    if (a->iovcnt > UKMON_IOV_MAX)
        return -EINVAL;
    if (a->iovcnt == 0)
        return 0;
    const void *giov = gmem_user_ptr(vm, a->iov, a->iovcnt * sizeof(struct ukmon_iovec), false);
    if (!giov)
        return -EFAULT;
    struct ukmon_iovec gv[UKMON_IOV_MAX];
    struct iovec hv[UKMON_IOV_MAX];
    memcpy(gv, giov, a->iovcnt * sizeof(gv[0]));
    uint64_t total = 0;
    for (uint64_t i = 0; i < a->iovcnt; i++) {
        if (gv[i].len > SSIZE_MAX - total)
            return -EINVAL;
        total += gv[i].len;
        hv[i].iov_base = gmem_user_ptr(vm, gv[i].base, gv[i].len, a->write == 0);
        hv[i].iov_len = gv[i].len;
        if (!hv[i].iov_base)
            return -EFAULT;
    }
    if (f->syscalls) {
        ssize_t n = a->write ? writev(f->host_fd, hv, (int)a->iovcnt)
                             : readv(f->host_fd, hv, (int)a->iovcnt);
        return n < 0 ? -errno : n;
    }
    return uring_rwv(vm, a->write != 0, f->host_fd, hv, (unsigned)a->iovcnt);
}

enum hc_result hc_rwv(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_rwv *a = arg;
    a->ret = io_rwv(vm, a);
    return HC_CONTINUE;
}

enum hc_result hc_pipe(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_pipe *a = arg;
    int hfd[2];
    if (a->flags != 0) {
        a->ret = -EINVAL;
        return HC_CONTINUE;
    }
    int rd = fdt_lowest_free(&vm->fdt, 0);
    int wr = rd < 0 ? -1 : fdt_lowest_free(&vm->fdt, rd + 1);
    if (wr < 0) {
        a->ret = -EMFILE;
        return HC_CONTINUE;
    }
    /* CLOEXEC: descriptors of the guest must never leak into anything we exec. */
    if (pipe2(hfd, O_CLOEXEC) < 0) {
        a->ret = -errno;
        return HC_CONTINUE;
    }
    fdt_install(&vm->fdt, rd, hfd[0], false);
    fdt_install(&vm->fdt, wr, hfd[1], false);
    a->fds[0] = rd;
    a->fds[1] = wr;
    a->ret = 0;
    return HC_CONTINUE;
}

enum hc_result hc_close(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_fd *a = arg;
    int host = fdt_host(&vm->fdt, a->fd);
    if (host < 0) {
        a->ret = -EBADF;
        return HC_CONTINUE;
    }
    fdt_install(&vm->fdt, (int)a->fd, -1, false);
    /* POSIX: the descriptor is gone even if close reports an error. */
    a->ret = close(host) < 0 && errno != EINTR ? -errno : 0;
    return HC_CONTINUE;
}

enum hc_result hc_dup(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_dup *a = arg;
    int host = fdt_host(&vm->fdt, a->oldfd);
    if (host < 0 || a->newfd < -1 || a->newfd >= FDT_MAX) {
        a->ret = -EBADF;
        return HC_CONTINUE;
    }
    if (a->newfd == a->oldfd) {
        a->ret = a->newfd;
        return HC_CONTINUE;
    }
    int nfd = a->newfd >= 0 ? (int)a->newfd : fdt_lowest_free(&vm->fdt, 0);
    if (nfd < 0) {
        a->ret = -EMFILE;
        return HC_CONTINUE;
    }
    int h = fcntl(host, F_DUPFD_CLOEXEC, 3);
    if (h < 0) {
        a->ret = -errno;
        return HC_CONTINUE;
    }
    bool syscalls = vm->fdt.fd[a->oldfd].syscalls;
    if (vm->fdt.fd[nfd].host_fd >= 0)
        close(vm->fdt.fd[nfd].host_fd);
    fdt_install(&vm->fdt, nfd, h, syscalls);
    a->ret = nfd;
    return HC_CONTINUE;
}

enum hc_result hc_poll(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_poll *a = arg;
    a->ret = uring_poll_many(vm, a);
    return HC_CONTINUE;
}
