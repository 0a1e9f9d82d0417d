/*
 * net_fdpass.c: fds passed in SCM_RIGHTS messages over the tree's AF_UNIX sockets
 * (nginx's master hands its workers each other's channels; tmux and sshd do the same).
 *
 * Each VM is a host process, so the host kernel passes the file itself: the sender's
 * guest fds become its host fds in the message, and the receiver's host fds become
 * guest fds of its table. What cannot travel as a host fd alone is refused: a folder
 * ukmon makes up, or a directory whose guest path the table keeps for *at() calls.
 * A pipe kept as a ring goes back to being a plain host pipe first, for every VM
 * that holds it (the receiver has no ring for it).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/io.h"
#include "kernel/net.h"

/* The cmsgs of a control buffer of `len` bytes, walked as the kernel lays them out. */
static struct cmsghdr *first_cmsg(struct msghdr *m, void *ctl, size_t len)
{
    memset(m, 0, sizeof(*m));
    m->msg_control = ctl;
    m->msg_controllen = len;
    return CMSG_FIRSTHDR(m);
}

/*
 * Before a send: SCM_RIGHTS' guest fds replaced by the host fds behind them, in
 * place. Other messages: SCM_CREDENTIALS passes to the host as is (the kernel checks
 * them against the monitor's own ids, which are the guest's); anything else EINVAL.
 */
int net_rights_out(struct ukmon_vm *vm, void *ctl, size_t len)
{
    struct msghdr m;
    for (struct cmsghdr *c = first_cmsg(&m, ctl, len); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_len < CMSG_LEN(0) || c->cmsg_len > len)
            return -EINVAL;
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
            continue;
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            return -EINVAL;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int *fds = (int *)CMSG_DATA(c);
        for (size_t i = 0; i < n; i++) {
            const struct fd_entry *e = fdt_entry(&vm->fdt, fds[i]);
            if (!e)
                return -EBADF;
            if (e->vdir || e->path)
                return -EOPNOTSUPP; /* its meaning is in our table, not in the host fd */
            ring_demote(vm, e);
            fds[i] = e->host_fd;
        }
    }
    return 0;
}

/* A received host fd as a guest fd: the lowest free one, or -1 (the table is full). */
static int install_received(struct ukmon_vm *vm, int host_fd, bool cloexec)
{
    int fd = fdt_lowest_free(&vm->fdt, 0);
    if (fd < 0)
        return -1;
    fdt_install(&vm->fdt, fd, host_fd, fdt_wants_syscalls(host_fd));
    struct fd_entry *e = &vm->fdt.fd[fd];
    e->cloexec = cloexec;
    struct stat st;
    if (fstat(host_fd, &st) == 0 && S_ISSOCK(st.st_mode)) {
        int type = 0, family = 0;
        socklen_t tl = sizeof(type), fl = sizeof(family);
        if (getsockopt(host_fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 &&
            getsockopt(host_fd, SOL_SOCKET, SO_DOMAIN, &family, &fl) == 0)
            e->sock = (struct fd_sock){.kind = SK_HOST, .family = (uint8_t)family, .type = type};
    }
    return fd;
}

/*
 * After a receive (with MSG_CMSG_CLOEXEC on the host side): SCM_RIGHTS' host fds
 * installed in the guest's table, and their guest numbers written in their place.
 * Those that find no room are closed, and the message says MSG_CTRUNC, as Linux does
 * when the receiver is out of fds.
 */
void net_rights_in(struct ukmon_vm *vm, void *ctl, size_t len, bool cloexec, int *msg_flags)
{
    struct msghdr m;
    for (struct cmsghdr *c = first_cmsg(&m, ctl, len); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
            c->cmsg_len < CMSG_LEN(0))
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int *fds = (int *)CMSG_DATA(c);
        for (size_t i = 0; i < n; i++) {
            int g = install_received(vm, fds[i], cloexec);
            if (g < 0) {
                close(fds[i]);
                *msg_flags |= MSG_CTRUNC;
            }
            fds[i] = g;
        }
    }
}
