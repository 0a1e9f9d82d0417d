/* hc_io.c: file-descriptor hypercalls, thin adapters over the services of io.c. */
#include <errno.h>
#include <string.h>

#include "kernel/io.h"
#include "kvm/vmm.h"
#include "native/hypercalls.h"

enum run_next hc_write(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_rw *a = arg;
    a->ret = io_rw(vm, true, a->fd, a->buf, a->len);
    return RUN_CONTINUE;
}

enum run_next hc_read(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_rw *a = arg;
    a->ret = io_rw(vm, false, a->fd, a->buf, a->len);
    return RUN_CONTINUE;
}

enum run_next hc_rwv(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_rwv *a = arg;
    static struct ukmon_iovec gv[UKMON_IOV_MAX]; /* 16 KiB: not on the stack */
    if (!fdt_entry(&vm->fdt, a->fd)) {
        a->ret = -EBADF;
        return RUN_CONTINUE;
    }
    if (a->iovcnt > UKMON_IOV_MAX) {
        a->ret = -EINVAL;
        return RUN_CONTINUE;
    }
    /* Once: the guest cannot change it now. */
    if (gmem_read(vm, gv, a->iov, a->iovcnt * sizeof(gv[0])) < 0) {
        a->ret = a->iovcnt ? -EFAULT : 0;
        return RUN_CONTINUE;
    }
    a->ret = io_rwv(vm, a->write != 0, a->fd, gv, a->iovcnt);
    return RUN_CONTINUE;
}

enum run_next hc_pipe(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_pipe *a = arg;
    int fds[2];
    a->ret = a->flags != 0 ? -EINVAL : io_pipe(vm, 0, fds);
    if (a->ret == 0) {
        a->fds[0] = fds[0];
        a->fds[1] = fds[1];
    }
    return RUN_CONTINUE;
}

enum run_next hc_close(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_fd *a = arg;
    a->ret = io_close(vm, a->fd);
    return RUN_CONTINUE;
}

enum run_next hc_dup(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_dup *a = arg;
    a->ret = a->newfd < -1 ? -EBADF : io_dup(vm, a->oldfd, a->newfd, 0, false);
    return RUN_CONTINUE;
}

enum run_next hc_poll(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_poll *a = arg;
    a->ret = uring_poll_many(vm, a);
    return RUN_CONTINUE;
}
