/* net_ops.c: the guest's sockets: published ports, allowed peers, data through io_uring. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kernel/io.h"
#include "kernel/net.h"
#include "kernel/net_opts.h"
#include "kernel/proc.h"
#include "kernel/sig.h"
#include "kvm/vmm.h"

#define NET_RW_MAX 0x7ffff000ULL

static int copy_in(struct ukmon_vm *vm, void *dst, uint64_t gva, size_t len)
{
    return gmem_read(vm, dst, gva, len);
}

static int copy_out(struct ukmon_vm *vm, uint64_t gva, const void *src, size_t len)
{
    return gmem_write(vm, gva, src, len);
}

/* The entry of a guest socket; -EBADF, or -ENOTSOCK for another kind of fd. */
static struct fd_entry *sock_entry(struct ukmon_vm *vm, int64_t fd, int64_t *err)
{
    if (!fdt_entry(&vm->fdt, fd)) {
        *err = -EBADF;
        return NULL;
    }
    struct fd_entry *e = &vm->fdt.fd[fd];
    if (e->sock.kind == SK_NONE) {
        *err = -ENOTSOCK;
        return NULL;
    }
    return e;
}

/* One address, as 16 bytes (IPv4 as v4-mapped IPv6) and a port. */
struct net_addr {
    uint8_t ip[16];
    uint16_t port;
};

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool addr_is_v4(const struct net_addr *a)
{
    return memcmp(a->ip, v4_mapped_prefix, 12) == 0;
}

/*
 * A guest sockaddr of the socket's family: EFAULT, EINVAL for a length that lies,
 * EAFNOSUPPORT for another family.
 */
static int64_t addr_from_guest(struct ukmon_vm *vm, uint64_t gva, uint64_t glen, int family,
                               struct net_addr *out)
{
    struct sockaddr_storage g;
    memset(&g, 0, sizeof(g));
    if (glen > sizeof(g) || glen < sizeof(sa_family_t))
        return -EINVAL;
    if (copy_in(vm, &g, gva, glen) < 0)
        return -EFAULT;
    if (g.ss_family != family)
        return -EAFNOSUPPORT;
    memset(out, 0, sizeof(*out));
    if (family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)&g;
        if (glen < sizeof(*s))
            return -EINVAL;
        memcpy(out->ip, v4_mapped_prefix, 12);
        memcpy(out->ip + 12, &s->sin_addr, 4);
        out->port = ntohs(s->sin_port);
    } else {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&g;
        if (glen < 24) /* the RFC 2133 size, without the scope id */
            return -EINVAL;
        memcpy(out->ip, &s->sin6_addr, 16);
        out->port = ntohs(s->sin6_port);
    }
    return 0;
}

/* The address as a host sockaddr of `family` (IPv4 in IPv6 as v4-mapped). */
static socklen_t addr_to_host(const struct net_addr *a, int family, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (family == AF_INET) {
        struct sockaddr_in *s = (struct sockaddr_in *)ss;
        s->sin_family = AF_INET;
        memcpy(&s->sin_addr, a->ip + 12, 4);
        s->sin_port = htons(a->port);
        return sizeof(*s);
    }
    struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
    s->sin6_family = AF_INET6;
    memcpy(&s->sin6_addr, a->ip, 16);
    s->sin6_port = htons(a->port);
    return sizeof(*s);
}

static void addr_from_host(const struct sockaddr_storage *ss, struct net_addr *a)
{
    memset(a, 0, sizeof(*a));
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
        memcpy(a->ip, v4_mapped_prefix, 12);
        memcpy(a->ip + 12, &s->sin_addr, 4);
        a->port = ntohs(s->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
        memcpy(a->ip, &s->sin6_addr, 16);
        a->port = ntohs(s->sin6_port);
    }
}

/*
 * Writes a host address to the guest as its socket's family sees it, with
 * accept()'s and getsockname()'s length rules: *lenp in, truncated copy, real
 * length out. `port` (if not 0) replaces the host's (a published port).
 */
static int64_t addr_to_guest(struct ukmon_vm *vm, const struct sockaddr_storage *hs,
                             socklen_t hlen, int family, uint16_t port, uint64_t gva,
                             uint64_t lenp)
{
    if (!gva)
        return 0;
    int32_t len;
    if (copy_in(vm, &len, lenp, sizeof(len)) < 0)
        return -EFAULT;
    if (len < 0)
        return -EINVAL;
    struct sockaddr_storage out;
    socklen_t olen = hlen;
    if (family == AF_INET || family == AF_INET6) {
        struct net_addr a;
        addr_from_host(hs, &a);
        if (port)
            a.port = port;
        olen = addr_to_host(&a, family, &out);
    } else {
        memcpy(&out, hs, sizeof(out));
    }
    if (copy_out(vm, gva, &out, (size_t)len < olen ? (size_t)len : olen) < 0)
        return -EFAULT;
    int32_t real = (int32_t)olen;
    return copy_out(vm, lenp, &real, sizeof(real));
}

/* Whether --connect allows the guest to connect to a. */
static bool peer_allowed(const struct ukmon_vm *vm, const struct net_addr *a)
{
    for (unsigned i = 0; i < vm->net.nallow; i++) {
        const struct net_allow *r = &vm->net.allow[i];
        if (a->port < r->port_lo || a->port > r->port_hi)
            continue;
        uint8_t want[16];
        unsigned bits = r->prefix_len;
        if (r->family == AF_INET) {
            if (!addr_is_v4(a))
                continue;
            memcpy(want, v4_mapped_prefix, 12);
            memcpy(want + 12, r->addr, 4);
            bits += 96;
        } else {
            memcpy(want, r->addr, 16);
        }
        unsigned full = bits / 8, rest = bits % 8;
        if (memcmp(want, a->ip, full) != 0)
            continue;
        if (rest && ((want[full] ^ a->ip[full]) & (0xff << (8 - rest))))
            continue;
        return true;
    }
    return false;
}

/* A free guest fd standing for host fd h, a socket of this family and type. */
static void sock_install(struct ukmon_vm *vm, int gfd, int h, int family, int type,
                         bool cloexec, int64_t obj)
{
    fdt_install(&vm->fdt, gfd, h, fdt_wants_syscalls(h));
    struct fd_entry *e = &vm->fdt.fd[gfd];
    e->cloexec = cloexec;
    e->sock = (struct fd_sock){.kind = SK_HOST, .family = (uint8_t)family, .type = type};
    e->obj = (uint32_t)obj;
}

/* A socket that will not be: what proc_acct_new() counted for it goes back. */
static void sock_uncount(struct ukmon_vm *vm, int64_t obj)
{
    proc_acct_drop(vm->fdt.tree, vm->fdt.slot, (uint32_t)obj);
}

#define SOCK_FLAGS (SOCK_CLOEXEC | SOCK_NONBLOCK)

/*
 * socket(): TCP over IPv4 or IPv6. It has no host socket until bind() finds its
 * port published, or connect() its peer allowed: the monitor makes none otherwise.
 */
int64_t net_socket(struct ukmon_vm *vm, int domain, int type, int protocol)
{
    int base = type & ~SOCK_FLAGS;
    if (domain == AF_UNIX)
        return -EACCES; /* no socket files: socketpair() connects VMs */
    if (domain != AF_INET && domain != AF_INET6)
        return -EAFNOSUPPORT;
    if (base != SOCK_STREAM || (protocol != 0 && protocol != IPPROTO_TCP))
        return -EPROTONOSUPPORT; /* TCP only */
    int gfd = fdt_lowest_free(&vm->fdt, 0);
    if (gfd < 0)
        return -EMFILE;
    int64_t obj = proc_acct_new(vm, ACCT_SOCKET, NULL); /* the tree's socket limit */
    if (obj < 0)
        return obj;
    int h = fcntl(vm->net.placeholder_fd, F_DUPFD_CLOEXEC, 3);
    if (h < 0) {
        int e = errno;
        sock_uncount(vm, obj);
        return -e;
    }
    fdt_install(&vm->fdt, gfd, h, false);
    struct fd_entry *e = &vm->fdt.fd[gfd];
    e->obj = (uint32_t)obj;
    e->cloexec = (type & SOCK_CLOEXEC) != 0;
    e->sock = (struct fd_sock){.kind = SK_UNBOUND, .family = (uint8_t)domain, .type = base,
                               .nonblock = (type & SOCK_NONBLOCK) != 0};
    return gfd;
}

/* socketpair(AF_UNIX): two host sockets, so it connects VMs of one tree after fork. */
int64_t net_socketpair(struct ukmon_vm *vm, int domain, int type, int protocol, int fds[2])
{
    int base = type & ~SOCK_FLAGS;
    if (domain != AF_UNIX)
        return -EOPNOTSUPP;
    if ((base != SOCK_STREAM && base != SOCK_DGRAM && base != SOCK_SEQPACKET) || protocol)
        return -EPROTONOSUPPORT;
    int a = fdt_lowest_free(&vm->fdt, 0);
    int b = a < 0 ? -1 : fdt_lowest_free(&vm->fdt, a + 1);
    if (b < 0)
        return -EMFILE;
    int64_t obj[2] = {proc_acct_new(vm, ACCT_SOCKET, NULL), 0};
    if (obj[0] < 0)
        return obj[0];
    if ((obj[1] = proc_acct_new(vm, ACCT_SOCKET, NULL)) < 0) {
        sock_uncount(vm, obj[0]);
        return obj[1];
    }
    int h[2];
    if (socketpair(AF_UNIX, base | SOCK_CLOEXEC | (type & SOCK_NONBLOCK), 0, h) < 0) {
        int e = errno;
        sock_uncount(vm, obj[0]);
        sock_uncount(vm, obj[1]);
        return -e;
    }
    sock_install(vm, a, h[0], AF_UNIX, base, type & SOCK_CLOEXEC, obj[0]);
    sock_install(vm, b, h[1], AF_UNIX, base, type & SOCK_CLOEXEC, obj[1]);
    fds[0] = a;
    fds[1] = b;
    return 0;
}

/* Options set before the socket had a host one, on host socket h. */
static void apply_options(const struct fd_entry *e, int h)
{
    for (unsigned i = 0; i < e->sock.npending; i++)
        setsockopt(h, e->sock.pending[i].level, e->sock.pending[i].name,
                   &e->sock.pending[i].value, sizeof(int));
}

/* A new host TCP socket for e: its family, its SOCK_NONBLOCK, its options so far. */
static int host_socket(const struct fd_entry *e, int family)
{
    int h = socket(family, SOCK_STREAM | SOCK_CLOEXEC | (e->sock.nonblock ? SOCK_NONBLOCK : 0), 0);
    if (h < 0)
        return -errno;
    apply_options(e, h);
    return h;
}

/* The socket gets host socket h (its options applied) in place of its placeholder. */
static void sock_attach(struct fd_entry *e, int h)
{
    close(e->host_fd);
    e->host_fd = h;
    e->sock.kind = SK_HOST;
    e->syscalls = fdt_wants_syscalls(h);
    e->sock.npending = 0;
}

/*
 * bind_any (a tree in a network namespace of its own): the host socket is made and
 * bound now, at the guest's own address and port, with the options set before.
 */
static int64_t net_bind_host(struct ukmon_vm *vm, struct fd_entry *e, const struct net_addr *a)
{
    int family = e->sock.family;
    int h = host_socket(e, family);
    if (h < 0)
        return h;
    struct sockaddr_storage ss;
    socklen_t sl = addr_to_host(a, family, &ss);
    if (bind(h, (struct sockaddr *)&ss, sl) < 0) {
        int err = errno;
        close(h);
        return -err;
    }
    (void)vm;
    sock_attach(e, h);
    return 0;
}

/*
 * bind(): to a published port (the socket becomes the host's, bound already), or with
 * bind_any to any port of the tree's own network namespace.
 */
int64_t net_bind(struct ukmon_vm *vm, int64_t fd, uint64_t addr, uint64_t len)
{
    int64_t err = -EBADF;
    struct fd_entry *e = sock_entry(vm, fd, &err);
    if (!e)
        return err;
    if (e->sock.kind != SK_UNBOUND || e->sock.family == AF_UNIX)
        return -EINVAL; /* bound already, connected, or a socketpair's */
    struct net_addr a;
    int64_t r = addr_from_guest(vm, addr, len, e->sock.family, &a);
    if (r < 0)
        return r;
    for (unsigned i = 0; i < vm->net.npub; i++) {
        const struct net_pub *p = &vm->net.pub[i];
        if (p->guest_port != a.port)
            continue;
        int h = fcntl(p->host_fd, F_DUPFD_CLOEXEC, 3);
        if (h < 0)
            return -errno;
        /*
         * The published socket is one open file for every bind to its port: it is
         * non-blocking exactly when this socket was made so (SOCK_NONBLOCK, or
         * F_SETFL before bind), whatever an earlier socket bound to it left.
         */
        int fl = fcntl(h, F_GETFL);
        if (fl >= 0)
            fcntl(h, F_SETFL, e->sock.nonblock ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
        e->sock.guest_port = a.port;
        apply_options(e, h);
        sock_attach(e, h);
        return 0;
    }
    if (vm->cfg.bind_any)
        return net_bind_host(vm, e, &a);
    return -EACCES; /* not published: ukmon --publish HOSTPORT:GUESTPORT */
}

int64_t net_listen(struct ukmon_vm *vm, int64_t fd, int64_t backlog)
{
    int64_t err = -EBADF;
    struct fd_entry *e = sock_entry(vm, fd, &err);
    if (!e)
        return err;
    if (e->sock.kind != SK_HOST || e->sock.type != SOCK_STREAM || e->sock.family == AF_UNIX)
        return e->sock.kind == SK_UNBOUND ? -EACCES : -EINVAL;
    if (backlog < 0 || backlog > 4096)
        backlog = 4096; /* as SOMAXCONN caps it */
    return listen(e->host_fd, (int)backlog) < 0 ? -errno : 0;
}

int64_t net_accept(struct ukmon_vm *vm, int64_t fd, uint64_t addr, uint64_t lenp, int flags)
{
    int64_t err = -EBADF;
    struct fd_entry *e = sock_entry(vm, fd, &err);
    if (!e)
        return err;
    if (flags & ~SOCK_FLAGS)
        return -EINVAL;
    if (e->sock.kind != SK_HOST)
        return -EINVAL;
    if (addr) { /* checked before a connection is taken off the queue */
        int32_t len;
        if (copy_in(vm, &len, lenp, sizeof(len)) < 0)
            return -EFAULT;
        if (len < 0)
            return -EINVAL;
        if (!gmem_check(vm, addr, (uint64_t)len, true) || !gmem_check(vm, lenp, 4, true))
            return -EFAULT;
    }
    int gfd = fdt_lowest_free(&vm->fdt, 0);
    if (gfd < 0)
        return -EMFILE;
    /* Counted before: at the tree's limit the connection stays queued, as with EMFILE. */
    int64_t obj = proc_acct_new(vm, ACCT_SOCKET, NULL);
    if (obj < 0)
        return obj;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    int family = e->sock.family, type = e->sock.type;
    /* io_uring waits for a connection whatever the socket's O_NONBLOCK says */
    int hflags = SOCK_CLOEXEC | (flags & SOCK_NONBLOCK);
    int64_t h = io_nonblock(e) ? accept4(e->host_fd, (struct sockaddr *)&ss, &sl, hflags)
                               : uring_accept(vm, e->host_fd, (struct sockaddr *)&ss, &sl, hflags);
    if (h == -1 && io_nonblock(e))
        h = -errno;
    if (h < 0) {
        sock_uncount(vm, obj);
        return h;
    }
    sock_install(vm, gfd, (int)h, family, type, flags & SOCK_CLOEXEC, obj);
    if (family != AF_UNIX)
        addr_to_guest(vm, &ss, sl, family, 0, addr, lenp);
    return gfd;
}

/* connect(): to a peer --connect allows, else EACCES (as a Landlock denial reads). */
int64_t net_connect(struct ukmon_vm *vm, int64_t fd, uint64_t addr, uint64_t len)
{
    int64_t err = -EBADF;
    struct fd_entry *e = sock_entry(vm, fd, &err);
    if (!e)
        return err;
    if (e->sock.kind != SK_UNBOUND)
        return -EISCONN;
    struct net_addr a;
    int64_t r = addr_from_guest(vm, addr, len, e->sock.family, &a);
    if (r < 0)
        return r;
    if (!peer_allowed(vm, &a))
        return -EACCES;
    int family = addr_is_v4(&a) ? AF_INET : AF_INET6;
    int h = host_socket(e, family);
    if (h < 0)
        return h;
    struct sockaddr_storage ss;
    socklen_t sl = addr_to_host(&a, family, &ss);
    /* non-blocking: EINPROGRESS at once, as connect(2) says (io_uring would wait) */
    if (e->sock.nonblock)
        r = connect(h, (struct sockaddr *)&ss, sl) < 0 ? -errno : 0;
    else
        r = uring_connect(vm, h, (struct sockaddr *)&ss, sl);
    if (r < 0 && r != -EINPROGRESS) {
        close(h);
        return r;
    }
    e = &vm->fdt.fd[fd];
    sock_attach(e, h);
    return r;
}

int64_t net_shutdown(struct ukmon_vm *vm, int64_t fd, int how)
{
    int64_t err = -EBADF;
    struct fd_entry *e = sock_entry(vm, fd, &err);
    if (!e)
        return err;
    if (how < SHUT_RD || how > SHUT_RDWR)
        return -EINVAL;
    if (e->sock.kind != SK_HOST)
        return -ENOTCONN;
    return shutdown(e->host_fd, how) < 0 ? -errno : 0;
}

/* getsockname (a published socket shows the port the guest bound) and getpeername. */
int64_t net_name(struct ukmon_vm *vm, int64_t fd, bool peer, uint64_t addr, uint64_t lenp)
{
    int64_t err = -EBADF;
    struct fd_entry *e = sock_entry(vm, fd, &err);
    if (!e)
        return err;
    if (!addr)
        return -EFAULT;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t sl = sizeof(ss);
    if (e->sock.kind == SK_UNBOUND) {
        if (peer)
            return -ENOTCONN;
        ss.ss_family = e->sock.family;
        sl = e->sock.family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    } else if ((peer ? getpeername(e->host_fd, (struct sockaddr *)&ss, &sl)
                     : getsockname(e->host_fd, (struct sockaddr *)&ss, &sl)) < 0) {
        return -errno;
    }
    return addr_to_guest(vm, &ss, sl, e->sock.family, peer ? 0 : e->sock.guest_port, addr, lenp);
}


static const struct net_opt *find_opt(int level, int name)
{
    for (size_t i = 0; i < sizeof(net_opts) / sizeof(net_opts[0]); i++)
        if (net_opts[i].level == level && net_opts[i].name == name)
            return &net_opts[i];
    return NULL;
}

int64_t net_setsockopt(struct ukmon_vm *vm, int64_t fd, int level, int name, uint64_t val,
                       uint64_t len)
{
    int64_t err = -EBADF;
    struct fd_entry *e = sock_entry(vm, fd, &err);
    if (!e)
        return err;
    const struct net_opt *o = find_opt(level, name);
    if (!o || !o->set)
        return -ENOPROTOOPT;
    uint8_t buf[16];
    if (len > sizeof(buf) || len < sizeof(int))
        return -EINVAL;
    if (copy_in(vm, buf, val, len) < 0)
        return -EFAULT;
    /* A published socket was bound before the guest ran: reuse and IPv6 mode are set. */
    bool at_bind = (level == SOL_SOCKET && (name == SO_REUSEADDR || name == SO_REUSEPORT)) ||
                   (level == IPPROTO_IPV6 && name == IPV6_V6ONLY);
    if (at_bind && e->sock.guest_port)
        return 0;
    if (e->sock.kind == SK_UNBOUND) {
        if (len != sizeof(int))
            return 0; /* SO_LINGER before bind: applies to nothing the guest can see yet */
        if (e->sock.npending == SK_PENDING_OPTS)
            return -ENOMEM;
        int v;
        memcpy(&v, buf, sizeof(v));
        e->sock.pending[e->sock.npending++] = (typeof(e->sock.pending[0])){level, name, v};
        return 0;
    }
    return setsockopt(e->host_fd, level, name, buf, (socklen_t)len) < 0 ? -errno : 0;
}

int64_t net_getsockopt(struct ukmon_vm *vm, int64_t fd, int level, int name, uint64_t val,
                       uint64_t lenp)
{
    int64_t err = -EBADF;
    struct fd_entry *e = sock_entry(vm, fd, &err);
    if (!e)
        return err;
    if (!find_opt(level, name))
        return -ENOPROTOOPT;
    int32_t len;
    if (copy_in(vm, &len, lenp, sizeof(len)) < 0)
        return -EFAULT;
    if (len < 0)
        return -EINVAL;
    uint8_t buf[16];
    memset(buf, 0, sizeof(buf));
    socklen_t sl = sizeof(buf);
    int v = 0;
    if (level == SOL_SOCKET && (name == SO_TYPE || name == SO_DOMAIN || name == SO_PROTOCOL)) {
        v = name == SO_TYPE ? e->sock.type : name == SO_DOMAIN ? e->sock.family
            : e->sock.family == AF_UNIX ? 0 : IPPROTO_TCP;
        memcpy(buf, &v, sizeof(v));
        sl = sizeof(v);
    } else if (e->sock.kind == SK_UNBOUND) {
        for (unsigned i = 0; i < e->sock.npending; i++)
            if (e->sock.pending[i].level == level && e->sock.pending[i].name == name)
                v = e->sock.pending[i].value;
        memcpy(buf, &v, sizeof(v));
        sl = sizeof(v);
    } else if (getsockopt(e->host_fd, level, name, buf, &sl) < 0) {
        return -errno;
    }
    if ((uint32_t)len > sl)
        len = (int32_t)sl;
    if (copy_out(vm, val, buf, (size_t)len) < 0)
        return -EFAULT;
    return copy_out(vm, lenp, &len, sizeof(len));
}

/*
 * io_uring waits on a socket whatever its O_NONBLOCK says, but honours MSG_DONTWAIT:
 * a non-blocking socket's sends and receives carry it.
 */
static int sock_dontwait(const struct fd_entry *e)
{
    return io_nonblock(e) ? MSG_DONTWAIT : 0;
}

#define SEND_FLAGS (MSG_OOB | MSG_DONTROUTE | MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE | MSG_EOR)
#define RECV_FLAGS (MSG_OOB | MSG_PEEK | MSG_DONTWAIT | MSG_WAITALL | MSG_TRUNC)

/* EPIPE on a socket: SIGPIPE too, unless MSG_NOSIGNAL (the monitor never gets one). */
static int64_t send_result(int flags, int64_t r)
{
    if (r == -EPIPE && !(flags & MSG_NOSIGNAL))
        sig_raise_self(SIGPIPE, SI_USER);
    return r;
}

int64_t net_sendto(struct ukmon_vm *vm, int64_t fd, uint64_t buf, uint64_t len, int flags,
                   uint64_t addr, uint64_t addrlen)
{
    (void)addr, (void)addrlen; /* TCP and socketpairs are connected: a destination is ignored */
    int64_t err = -EBADF;
    struct fd_entry *e = sock_entry(vm, fd, &err);
    if (!e)
        return err;
    if (e->sock.kind != SK_HOST)
        return send_result(flags, -EPIPE);
    if (len > NET_RW_MAX)
        len = NET_RW_MAX;
    uint8_t *p = gmem_io_ptr(vm, buf, len, false);
    if (!p)
        return -EFAULT;
    int hflags = (flags & SEND_FLAGS) | MSG_NOSIGNAL | sock_dontwait(e);
    uint64_t done = 0;
    do { /* a blocking send moves everything, as send(2) does */
        int64_t n = uring_sendrecv(vm, true, e->host_fd, p + done, len - done, hflags);
        if (n < 0)
            return done ? (int64_t)done : send_result(flags, n);
        done += (uint64_t)n;
    } while (done < len && !(hflags & MSG_DONTWAIT));
    return (int64_t)done;
}

int64_t net_recvfrom(struct ukmon_vm *vm, int64_t fd, uint64_t buf, uint64_t len, int flags,
                     uint64_t addr, uint64_t lenp)
{
    int64_t err = -EBADF;
    struct fd_entry *e = sock_entry(vm, fd, &err);
    if (!e)
        return err;
    if (e->sock.kind != SK_HOST)
        return -ENOTCONN;
    if (len > NET_RW_MAX)
        len = NET_RW_MAX;
    void *p = gmem_io_ptr(vm, buf, len, true);
    if (!p)
        return -EFAULT;
    int64_t n = uring_sendrecv(vm, false, e->host_fd, p, len,
                               (flags & RECV_FLAGS) | sock_dontwait(e));
    if (n >= 0 && addr) { /* connected: no source address, as Linux reports for TCP */
        int32_t zero = 0;
        if (copy_out(vm, lenp, &zero, sizeof(zero)) < 0)
            return -EFAULT;
    }
    return n;
}

/* struct msghdr as the guest lays it out (x86-64). */
struct guest_msghdr {
    uint64_t name;
    uint32_t namelen, pad0;
    uint64_t iov, iovlen, control, controllen;
    int32_t flags, pad1;
};

/* The control messages a sendmsg or recvmsg may carry here (253 fds: SCM_MAX_FD). */
#define NET_CONTROL_MAX 4096

/*
 * sendmsg/recvmsg: data straight between guest memory and the socket; control
 * messages through a copy, fds passed as host fds (net_fdpass.c).
 */
int64_t net_msg(struct ukmon_vm *vm, bool send, int64_t fd, uint64_t msg, int flags)
{
    int64_t err = -EBADF;
    struct fd_entry *e = sock_entry(vm, fd, &err);
    if (!e)
        return err;
    struct guest_msghdr gm;
    if (copy_in(vm, &gm, msg, sizeof(gm)) < 0)
        return -EFAULT;
    if (gm.iovlen > UKMON_IOV_MAX)
        return -EMSGSIZE;
    static uint8_t ctl[NET_CONTROL_MAX] __attribute__((aligned(8)));
    size_t ctl_len = gm.control ? (gm.controllen < sizeof(ctl) ? gm.controllen : sizeof(ctl)) : 0;
    if (send && gm.controllen > sizeof(ctl))
        return -ENOBUFS;
    if (send && ctl_len) {
        if (copy_in(vm, ctl, gm.control, ctl_len) < 0)
            return -EFAULT;
        int r = net_rights_out(vm, ctl, ctl_len);
        if (r < 0)
            return r;
    }
    if (e->sock.kind != SK_HOST)
        return send ? send_result(flags, -EPIPE) : -ENOTCONN;
    static _Thread_local struct iovec hv[UKMON_IOV_MAX];
    static _Thread_local struct ukmon_iovec gv[UKMON_IOV_MAX];
    if (gm.iovlen && copy_in(vm, gv, gm.iov, gm.iovlen * sizeof(gv[0])) < 0)
        return -EFAULT;
    uint64_t total = 0;
    for (uint64_t i = 0; i < gm.iovlen; i++) {
        if (gv[i].len > NET_RW_MAX - total)
            return -EINVAL;
        total += gv[i].len;
        hv[i].iov_base = gmem_io_ptr(vm, gv[i].base, gv[i].len, !send);
        hv[i].iov_len = gv[i].len;
        if (!hv[i].iov_base && gv[i].len)
            return -EFAULT;
    }
    struct msghdr hm;
    memset(&hm, 0, sizeof(hm));
    hm.msg_iov = hv;
    hm.msg_iovlen = gm.iovlen;
    hm.msg_control = ctl_len ? ctl : NULL;
    hm.msg_controllen = ctl_len;
    int hflags = (send ? (flags & SEND_FLAGS) | MSG_NOSIGNAL
                       : (flags & RECV_FLAGS) | MSG_CMSG_CLOEXEC) |
                 sock_dontwait(e);
    int64_t n = uring_msg(vm, send, e->host_fd, &hm, hflags);
    if (send)
        return send_result(flags, n);
    if (n >= 0) {
        int mflags = hm.msg_flags & (MSG_TRUNC | MSG_EOR | MSG_OOB | MSG_CTRUNC);
        if (ctl_len)
            net_rights_in(vm, ctl, hm.msg_controllen, (flags & MSG_CMSG_CLOEXEC) != 0, &mflags);
        gm.namelen = 0;
        gm.controllen = ctl_len ? hm.msg_controllen : 0;
        gm.flags = mflags;
        if ((gm.controllen && copy_out(vm, gm.control, ctl, gm.controllen) < 0) ||
            copy_out(vm, msg, &gm, sizeof(gm)) < 0)
            return -EFAULT;
    }
    return n;
}

/* sendfile(): host to host, no copy through the monitor either. */
int64_t net_sendfile(struct ukmon_vm *vm, int64_t out_fd, int64_t in_fd, uint64_t offp,
                     uint64_t count)
{
    const struct fd_entry *o = fdt_entry(&vm->fdt, out_fd), *i = fdt_entry(&vm->fdt, in_fd);
    if (!o || !i)
        return -EBADF;
    if (i->sock.kind == SK_UNBOUND || o->sock.kind == SK_UNBOUND)
        return -EINVAL;
    off_t off = 0;
    if (offp && copy_in(vm, &off, offp, sizeof(off)) < 0)
        return -EFAULT;
    if (count > NET_RW_MAX)
        count = NET_RW_MAX;
    ring_demote(vm, o); /* host to host: pipes kept as rings become host pipes again */
    ring_demote(vm, i);
    ssize_t n = sendfile(o->host_fd, i->host_fd, offp ? &off : NULL, count);
    if (n < 0)
        return send_result(0, -errno);
    if (offp && copy_out(vm, offp, &off, sizeof(off)) < 0)
        return -EFAULT;
    return n;
}

/*
 * Before the sandbox: fds 0-2 that are sockets (ukmon started by inetd, or systemd
 * with Accept=yes) are the guest's sockets too, and systemd's LISTEN_FDS become its
 * fds 3 and up.
 */
void net_inherit_fds(struct ukmon_vm *vm)
{
    int n = vm->cfg.listen_fds;
    for (int i = 0; i < n && 3 + i < FDT_MAX; i++) {
        int h = fcntl(3 + i, F_DUPFD_CLOEXEC, 3);
        if (h >= 0)
            fdt_install(&vm->fdt, 3 + i, h, fdt_wants_syscalls(h));
    }
    for (int fd = 0; fd < 3 + n && fd < FDT_MAX; fd++) {
        struct fd_entry *e = &vm->fdt.fd[fd];
        struct stat st;
        if (e->host_fd < 0 || fstat(e->host_fd, &st) < 0 || !S_ISSOCK(st.st_mode))
            continue;
        int type = 0, family = 0;
        socklen_t tl = sizeof(type), fl = sizeof(family);
        getsockopt(e->host_fd, SOL_SOCKET, SO_TYPE, &type, &tl);
        getsockopt(e->host_fd, SOL_SOCKET, SO_DOMAIN, &family, &fl);
        e->sock = (struct fd_sock){.kind = SK_HOST, .family = (uint8_t)family, .type = type};
    }
}
