/* net_setup.c: published ports and allowed peers: parsed, and sockets bound before the guest runs. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor.h"

/* "65535" into *port (1..65535); the end of the number in *end. */
static int parse_port(const char *s, char **end, uint16_t *port)
{
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long v = strtoul(s, end, 10);
    if (errno || v < 1 || v > 65535)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

/* An address literal, IPv6 in brackets, at the start of s; *rest is after it. */
static int parse_addr(const char *s, char *out, size_t outlen, const char **rest, bool *v6)
{
    const char *end;
    if (*s == '[') {
        end = strchr(s, ']');
        if (!end || (size_t)(end - s - 1) >= outlen)
            return -1;
        memcpy(out, s + 1, (size_t)(end - s - 1));
        out[end - s - 1] = 0;
        *rest = end + 1;
        *v6 = true;
    } else {
        end = s + strcspn(s, ":/");
        if ((size_t)(end - s) >= outlen)
            return -1;
        memcpy(out, s, (size_t)(end - s));
        out[end - s] = 0;
        *rest = end;
        *v6 = false;
    }
    uint8_t buf[16];
    return inet_pton(*v6 ? AF_INET6 : AF_INET, out, buf) == 1 ? 0 : -1;
}

int ukmon_parse_publish(const char *spec, struct ukmon_publish *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    const char *s = spec;
    /* An address first when it is bracketed or has a dot: "127.0.0.1:80", "[::1]:80". */
    if (*s == '[' || strcspn(s, ":") > strcspn(s, ".")) {
        bool v6;
        if (parse_addr(s, out->host_addr, sizeof(out->host_addr), &s, &v6) < 0 || *s != ':') {
            snprintf(err, errlen, "--publish %s: HOSTADDR must be an IP address (IPv6 in brackets)",
                     spec);
            return -EINVAL;
        }
        s++;
    }
    char *end;
    if (parse_port(s, &end, &out->host_port) < 0 || (*end && *end != ':') ||
        (*end == ':' && (parse_port(end + 1, &end, &out->guest_port) < 0 || *end))) {
        snprintf(err, errlen, "--publish %s: expected [HOSTADDR:]HOSTPORT[:GUESTPORT], ports "
                 "1..65535", spec);
        return -EINVAL;
    }
    if (!out->guest_port)
        out->guest_port = out->host_port;
    return 0;
}

int ukmon_parse_connect(const char *spec, struct ukmon_connect *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    const char *s = spec;
    bool v6;
    char *end;
    if (parse_addr(s, out->addr, sizeof(out->addr), &s, &v6) < 0)
        goto bad;
    v6 = strchr(out->addr, ':') != NULL;
    out->prefix_len = v6 ? 128 : 32;
    if (*s == '/') {
        errno = 0;
        unsigned long bits = strtoul(s + 1, &end, 10);
        if (errno || end == s + 1 || bits > out->prefix_len)
            goto bad;
        out->prefix_len = (unsigned)bits;
        s = end;
    }
    if (*s != ':' || parse_port(s + 1, &end, &out->port_lo) < 0)
        goto bad;
    out->port_hi = out->port_lo;
    if (*end == '-' && (parse_port(end + 1, &end, &out->port_hi) < 0 || out->port_hi < out->port_lo))
        goto bad;
    if (*end)
        goto bad;
    return 0;
bad:
    snprintf(err, errlen, "--connect %s: expected ADDR[/BITS]:PORT[-PORT] (an IP address, "
             "IPv6 in brackets; ports 1..65535)", spec);
    return -EINVAL;
}

/* Binds the host socket of one published port: on HOSTADDR, or on every address. */
static int publish_one(struct ukmon_vm *vm, const struct ukmon_publish *p, struct net_pub *out)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    int family = AF_INET6;
    if (p->host_addr[0] && inet_pton(AF_INET, p->host_addr, &s4->sin_addr) == 1)
        family = AF_INET;
    else if (p->host_addr[0] && inet_pton(AF_INET6, p->host_addr, &s6->sin6_addr) != 1)
        return vm_fail(vm, -EINVAL, "--publish: %s is not an IP address", p->host_addr);
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 && family == AF_INET6 && !p->host_addr[0] && errno == EAFNOSUPPORT) {
        family = AF_INET; /* a host without IPv6: every IPv4 address */
        fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    }
    if (fd < 0)
        return vm_fail(vm, -errno, "--publish %u: socket: %s", p->host_port, strerror(errno));
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (family == AF_INET6 && !p->host_addr[0]) /* [::] takes IPv4 clients too */
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    socklen_t len;
    if (family == AF_INET) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(p->host_port);
        len = sizeof(*s4);
    } else {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(p->host_port);
        len = sizeof(*s6);
    }
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        int e = errno;
        close(fd);
        return vm_fail(vm, -e, "--publish %s%s%u: cannot bind the host's port %u: %s",
                       p->host_addr, p->host_addr[0] ? ":" : "", p->host_port, p->host_port,
                       strerror(e));
    }
    *out = (struct net_pub){.host_fd = fd, .family = family, .guest_port = p->guest_port,
                            .host_port = p->host_port};
    return 0;
}

/*
 * Before the jail and the sandbox: the published sockets exist and are bound (the
 * monitor never binds once the guest runs), the allowed peers are parsed.
 */
int net_setup(struct ukmon_vm *vm)
{
    struct net_state *n = &vm->net;
    if (n->opened)
        return 0;
    n->opened = true;
    n->placeholder_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (n->placeholder_fd < 0)
        return vm_fail(vm, -errno, "/dev/null: %s", strerror(errno));
    if (vm->cfg.npublish > UKMON_PUBLISH_MAX || vm->cfg.nconnect > UKMON_CONNECT_MAX)
        return vm_fail(vm, -EINVAL, "at most %d --publish and %d --connect",
                       UKMON_PUBLISH_MAX, UKMON_CONNECT_MAX);
    for (unsigned i = 0; i < vm->cfg.npublish; i++) {
        const struct ukmon_publish *p = &vm->cfg.publish[i];
        for (unsigned j = 0; j < n->npub; j++)
            if (n->pub[j].guest_port == p->guest_port)
                return vm_fail(vm, -EINVAL, "--publish: guest port %u is published twice",
                               p->guest_port);
        int r = publish_one(vm, p, &n->pub[n->npub]);
        if (r < 0)
            return r;
        n->npub++;
    }
    for (unsigned i = 0; i < vm->cfg.nconnect; i++) {
        const struct ukmon_connect *c = &vm->cfg.connect[i];
        struct net_allow *a = &n->allow[n->nallow];
        a->family = strchr(c->addr, ':') ? AF_INET6 : AF_INET;
        if (inet_pton(a->family, c->addr, a->addr) != 1 ||
            c->prefix_len > (a->family == AF_INET ? 32U : 128U) || c->port_lo > c->port_hi)
            return vm_fail(vm, -EINVAL, "--connect: %s is not an IP network", c->addr);
        a->prefix_len = c->prefix_len;
        a->port_lo = c->port_lo;
        a->port_hi = c->port_hi;
        n->nallow++;
    }
    return 0;
}

void net_free(struct ukmon_vm *vm)
{
    for (unsigned i = 0; i < vm->net.npub; i++)
        close(vm->net.pub[i].host_fd);
    vm->net.npub = 0;
    if (vm->net.opened && vm->net.placeholder_fd >= 0)
        close(vm->net.placeholder_fd);
    vm->net.placeholder_fd = -1;
    vm->net.opened = false;
}
