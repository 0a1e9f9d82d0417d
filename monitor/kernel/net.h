/* net.h: sockets for both kinds of program: what net_ops.c and net_epoll.c serve. */
#ifndef UKMON_NET_H
#define UKMON_NET_H

#include "monitor.h"

/*
 * Guest addresses are integers (gva) with lengths as the guest gave them; results
 * are >= 0 or -errno, as Linux's calls return them. Flags and constants are Linux's.
 */
int64_t net_socket(struct ukmon_vm *vm, int domain, int type, int protocol);
int64_t net_socketpair(struct ukmon_vm *vm, int domain, int type, int protocol, int fds[2]);
int64_t net_bind(struct ukmon_vm *vm, int64_t fd, uint64_t addr, uint64_t len);
int64_t net_listen(struct ukmon_vm *vm, int64_t fd, int64_t backlog);
int64_t net_accept(struct ukmon_vm *vm, int64_t fd, uint64_t addr, uint64_t lenp, int flags);
int64_t net_connect(struct ukmon_vm *vm, int64_t fd, uint64_t addr, uint64_t len);
int64_t net_shutdown(struct ukmon_vm *vm, int64_t fd, int how);
int64_t net_name(struct ukmon_vm *vm, int64_t fd, bool peer, uint64_t addr, uint64_t lenp);
int64_t net_setsockopt(struct ukmon_vm *vm, int64_t fd, int level, int name, uint64_t val,
                       uint64_t len);
int64_t net_getsockopt(struct ukmon_vm *vm, int64_t fd, int level, int name, uint64_t val,
                       uint64_t lenp);
int64_t net_sendto(struct ukmon_vm *vm, int64_t fd, uint64_t buf, uint64_t len, int flags,
                   uint64_t addr, uint64_t addrlen);
int64_t net_recvfrom(struct ukmon_vm *vm, int64_t fd, uint64_t buf, uint64_t len, int flags,
                     uint64_t addr, uint64_t lenp);
int64_t net_msg(struct ukmon_vm *vm, bool send, int64_t fd, uint64_t msg, int flags);
int64_t net_sendfile(struct ukmon_vm *vm, int64_t out_fd, int64_t in_fd, uint64_t offp,
                     uint64_t count);
void net_inherit_fds(struct ukmon_vm *vm);
/* net_fdpass.c: SCM_RIGHTS between the tree's VMs */
int net_rights_out(struct ukmon_vm *vm, void *ctl, size_t len);
void net_rights_in(struct ukmon_vm *vm, void *ctl, size_t len, bool cloexec, int *msg_flags);

/* net_epoll.c */
int64_t net_epoll_create(struct ukmon_vm *vm, int flags);
int64_t net_epoll_ctl(struct ukmon_vm *vm, int64_t epfd, int op, int64_t fd, uint64_t event);
int64_t net_epoll_wait(struct ukmon_vm *vm, int64_t epfd, uint64_t events, int64_t maxevents,
                       int64_t timeout_ms, const uint64_t *mask);

/* net_setup.c */
int net_setup(struct ukmon_vm *vm);
void net_free(struct ukmon_vm *vm);

#endif
