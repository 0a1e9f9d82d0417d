/* hc_net.c: the socket hypercalls of ukmon unikernels (ABI 2), on the services of net_ops.c. */
#include <errno.h>

#include "native/hypercalls.h"
#include "kernel/net.h"

enum run_next hc_socket(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_socket *a = arg;
    if (a->pair) {
        int fds[2];
        a->ret = net_socketpair(vm, (int)a->domain, (int)a->type, (int)a->protocol, fds);
        if (a->ret == 0) {
            a->fds[0] = fds[0];
            a->fds[1] = fds[1];
        }
    } else {
        a->ret = net_socket(vm, (int)a->domain, (int)a->type, (int)a->protocol);
        a->fds[0] = a->ret;
    }
    return RUN_CONTINUE;
}

enum run_next hc_bind(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_sockaddr *a = arg;
    a->ret = net_bind(vm, a->fd, a->addr, a->len);
    return RUN_CONTINUE;
}

enum run_next hc_connect(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_sockaddr *a = arg;
    a->ret = net_connect(vm, a->fd, a->addr, a->len);
    return RUN_CONTINUE;
}

enum run_next hc_listen(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_sockarg *a = arg;
    a->ret = net_listen(vm, a->fd, a->arg);
    return RUN_CONTINUE;
}

enum run_next hc_shutdown(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_sockarg *a = arg;
    a->ret = net_shutdown(vm, a->fd, (int)a->arg);
    return RUN_CONTINUE;
}

enum run_next hc_accept(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_accept *a = arg;
    a->ret = a->flags > 0xffffffffULL ? -EINVAL : net_accept(vm, a->fd, a->addr, a->lenp, (int)a->flags);
    return RUN_CONTINUE;
}

enum run_next hc_sockname(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_accept *a = arg;
    a->ret = net_name(vm, a->fd, a->flags & 1, a->addr, a->lenp);
    return RUN_CONTINUE;
}

enum run_next hc_sockopt(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_sockopt *a = arg;
    a->ret = a->get ? net_getsockopt(vm, a->fd, (int)a->level, (int)a->name, a->val, a->len)
                    : net_setsockopt(vm, a->fd, (int)a->level, (int)a->name, a->val, a->len);
    return RUN_CONTINUE;
}

enum run_next hc_sendrecv(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_sendrecv *a = arg;
    a->ret = a->send ? net_sendto(vm, a->fd, a->buf, a->len, (int)a->flags, 0, 0)
                     : net_recvfrom(vm, a->fd, a->buf, a->len, (int)a->flags, 0, 0);
    return RUN_CONTINUE;
}
