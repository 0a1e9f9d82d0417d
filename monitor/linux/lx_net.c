/* lx_net.c: Linux socket and epoll calls, on the services of net_*.c. */
#include <errno.h>
#include <sys/epoll.h>
#include <time.h>

#include "linux/lx.h"
#include "kernel/net.h"

LX_HANDLER(lx_socket)
{
    return net_socket(vm, (int)a[0], (int)a[1], (int)a[2]);
}

LX_HANDLER(lx_socketpair)
{
    int fds[2];
    int32_t out[2];
    if (!gmem_check(vm, a[3], sizeof(out), true))
        return -EFAULT;
    int64_t r = net_socketpair(vm, (int)a[0], (int)a[1], (int)a[2], fds);
    if (r < 0)
        return r;
    out[0] = fds[0];
    out[1] = fds[1];
    return lx_copy_out(vm, a[3], out, sizeof(out));
}

LX_HANDLER(lx_bind)
{
    return net_bind(vm, (int32_t)a[0], a[1], (uint32_t)a[2]);
}

LX_HANDLER(lx_listen)
{
    return net_listen(vm, (int32_t)a[0], (int32_t)a[1]);
}

LX_HANDLER(lx_accept)
{
    return net_accept(vm, (int32_t)a[0], a[1], a[2], 0);
}

LX_HANDLER(lx_accept4)
{
    return net_accept(vm, (int32_t)a[0], a[1], a[2], (int)a[3]);
}

LX_HANDLER(lx_connect)
{
    return net_connect(vm, (int32_t)a[0], a[1], (uint32_t)a[2]);
}

LX_HANDLER(lx_shutdown)
{
    return net_shutdown(vm, (int32_t)a[0], (int)a[1]);
}

LX_HANDLER(lx_getsockname)
{
    return net_name(vm, (int32_t)a[0], false, a[1], a[2]);
}

LX_HANDLER(lx_getpeername)
{
    return net_name(vm, (int32_t)a[0], true, a[1], a[2]);
}

LX_HANDLER(lx_setsockopt)
{
    return net_setsockopt(vm, (int32_t)a[0], (int)a[1], (int)a[2], a[3], (uint32_t)a[4]);
}

LX_HANDLER(lx_getsockopt)
{
    return net_getsockopt(vm, (int32_t)a[0], (int)a[1], (int)a[2], a[3], a[4]);
}

LX_HANDLER(lx_sendto)
{
    return net_sendto(vm, (int32_t)a[0], a[1], a[2], (int)a[3], a[4], (uint32_t)a[5]);
}

LX_HANDLER(lx_recvfrom)
{
    return net_recvfrom(vm, (int32_t)a[0], a[1], a[2], (int)a[3], a[4], a[5]);
}

LX_HANDLER(lx_sendmsg)
{
    return net_msg(vm, true, (int32_t)a[0], a[1], (int)a[2]);
}

LX_HANDLER(lx_recvmsg)
{
    return net_msg(vm, false, (int32_t)a[0], a[1], (int)a[2]);
}

LX_HANDLER(lx_sendfile)
{
    return net_sendfile(vm, (int32_t)a[0], (int32_t)a[1], a[2], a[3]);
}

LX_HANDLER(lx_epoll_create)
{
    return (int32_t)a[0] <= 0 ? -EINVAL : net_epoll_create(vm, 0);
}

LX_HANDLER(lx_epoll_create1)
{
    return net_epoll_create(vm, (int)a[0]);
}

LX_HANDLER(lx_epoll_ctl)
{
    return net_epoll_ctl(vm, (int32_t)a[0], (int)a[1], (int32_t)a[2], a[3]);
}

LX_HANDLER(lx_epoll_wait)
{
    return net_epoll_wait(vm, (int32_t)a[0], a[1], (int32_t)a[2], (int32_t)a[3], NULL);
}

/* epoll_pwait: the mask as sigsuspend takes it; its size must be the kernel's. */
LX_HANDLER(lx_epoll_pwait)
{
    uint64_t mask;
    if (a[4]) {
        if (a[5] != 8)
            return -EINVAL;
        if (lx_copy_in(vm, &mask, a[4], sizeof(mask)) < 0)
            return -EFAULT;
    }
    return net_epoll_wait(vm, (int32_t)a[0], a[1], (int32_t)a[2], (int32_t)a[3],
                          a[4] ? &mask : NULL);
}
