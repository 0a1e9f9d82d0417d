/* net.c: sockets for ukmon unikernels, on the monitor's socket hypercalls. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "hypercall.h"

int socket(int domain, int type, int protocol)
{
    struct ukmon_hc_socket a = {.domain = domain, .type = type, .protocol = protocol};
    hypercall(UKMON_HC_SOCKET, &a);
    return (int)__syscall_ret(a.ret);
}

int socketpair(int domain, int type, int protocol, int sv[2])
{
    struct ukmon_hc_socket a = {.domain = domain, .type = type, .protocol = protocol, .pair = 1};
    hypercall(UKMON_HC_SOCKET, &a);
    if (a.ret == 0) {
        sv[0] = (int)a.fds[0];
        sv[1] = (int)a.fds[1];
    }
    return (int)__syscall_ret(a.ret);
}

static int sockaddr_call(unsigned nr, int fd, const struct sockaddr *addr, socklen_t len)
{
    struct ukmon_hc_sockaddr a = {.fd = fd, .addr = (uintptr_t)addr, .len = len};
    hypercall(nr, &a);
    return (int)__syscall_ret(a.ret);
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    return sockaddr_call(UKMON_HC_BIND, fd, addr, len);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    return sockaddr_call(UKMON_HC_CONNECT, fd, addr, len);
}

static int sockarg_call(unsigned nr, int fd, int arg)
{
    struct ukmon_hc_sockarg a = {.fd = fd, .arg = arg};
    hypercall(nr, &a);
    return (int)__syscall_ret(a.ret);
}

int listen(int fd, int backlog)
{
    return sockarg_call(UKMON_HC_LISTEN, fd, backlog);
}

int shutdown(int fd, int how)
{
    return sockarg_call(UKMON_HC_SHUTDOWN, fd, how);
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    struct ukmon_hc_accept a = {.fd = fd, .addr = (uintptr_t)addr, .lenp = (uintptr_t)len,
                                .flags = (uint64_t)(unsigned)flags};
    hypercall(UKMON_HC_ACCEPT, &a);
    return (int)__syscall_ret(a.ret);
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    return accept4(fd, addr, len, 0);
}

static int name_call(int fd, struct sockaddr *addr, socklen_t *len, int peer)
{
    struct ukmon_hc_accept a = {.fd = fd, .addr = (uintptr_t)addr, .lenp = (uintptr_t)len,
                                .flags = (uint64_t)peer};
    hypercall(UKMON_HC_SOCKNAME, &a);
    return (int)__syscall_ret(a.ret);
}

int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
    return name_call(fd, addr, len, 0);
}

int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
    return name_call(fd, addr, len, 1);
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    struct ukmon_hc_sockopt a = {.fd = fd, .level = level, .name = name,
                                 .val = (uintptr_t)val, .len = len};
    hypercall(UKMON_HC_SOCKOPT, &a);
    return (int)__syscall_ret(a.ret);
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    struct ukmon_hc_sockopt a = {.fd = fd, .level = level, .name = name,
                                 .val = (uintptr_t)val, .len = (uintptr_t)len, .get = 1};
    hypercall(UKMON_HC_SOCKOPT, &a);
    return (int)__syscall_ret(a.ret);
}

static ssize_t sendrecv(int fd, const void *buf, size_t len, int flags, int send)
{
    struct ukmon_hc_sendrecv a = {.fd = fd, .buf = (uintptr_t)buf, .len = len, .flags = flags,
                                  .send = (uint64_t)send};
    hypercall(UKMON_HC_SENDRECV, &a);
    return (ssize_t)__syscall_ret(a.ret);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    return sendrecv(fd, buf, len, flags, 1);
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    return sendrecv(fd, buf, len, flags, 0);
}

static int pton4(const char *s, uint8_t out[4])
{
    for (int i = 0; i < 4; i++) {
        if (*s < '0' || *s > '9')
            return 0;
        unsigned v = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(*s++ - '0');
            digits++;
        }
        if (v > 255 || digits > 3 || (digits > 1 && s[-digits] == '0'))
            return 0;
        out[i] = (uint8_t)v;
        if (i < 3 && *s++ != '.')
            return 0;
    }
    return *s == 0;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* IPv6 text: groups of hex, one "::" at most (no embedded IPv4). */
static int pton6(const char *s, uint8_t out[16])
{
    uint16_t g[8];
    int n = 0, gap = -1;
    if (s[0] == ':' && s[1] == ':') {
        gap = 0;
        s += 2;
    }
    while (*s) {
        unsigned v = 0;
        int d = 0;
        while (hexval(*s) >= 0 && d < 5) {
            v = v * 16 + (unsigned)hexval(*s++);
            d++;
        }
        if (d == 0 || d > 4 || n == 8)
            return 0;
        g[n++] = (uint16_t)v;
        if (*s == ':') {
            s++;
            if (*s == ':') {
                if (gap >= 0)
                    return 0;
                gap = n;
                s++;
            } else if (!*s) {
                return 0;
            }
        } else if (*s) {
            return 0;
        }
    }
    if ((gap < 0 && n != 8) || (gap >= 0 && n > 7))
        return 0;
    memset(out, 0, 16);
    int tail = gap < 0 ? 0 : n - gap;
    for (int i = 0; i < n - tail; i++) {
        out[2 * i] = (uint8_t)(g[i] >> 8);
        out[2 * i + 1] = (uint8_t)g[i];
    }
    for (int i = 0; i < tail; i++) {
        int at = 8 - tail + i;
        out[2 * at] = (uint8_t)(g[gap + i] >> 8);
        out[2 * at + 1] = (uint8_t)g[gap + i];
    }
    return 1;
}

int inet_pton(int af, const char *src, void *dst)
{
    if (af == AF_INET)
        return pton4(src, dst);
    if (af == AF_INET6)
        return pton6(src, dst);
    errno = EAFNOSUPPORT;
    return -1;
}

/* IPv6 in full, without "::" compression (valid text, if longer). */
const char *inet_ntop(int af, const void *src, char *dst, socklen_t size)
{
    const uint8_t *b = src;
    char buf[48];
    if (af == AF_INET)
        snprintf(buf, sizeof(buf), "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
    else if (af == AF_INET6)
        snprintf(buf, sizeof(buf), "%x:%x:%x:%x:%x:%x:%x:%x", b[0] << 8 | b[1], b[2] << 8 | b[3],
                 b[4] << 8 | b[5], b[6] << 8 | b[7], b[8] << 8 | b[9], b[10] << 8 | b[11],
                 b[12] << 8 | b[13], b[14] << 8 | b[15]);
    else {
        errno = EAFNOSUPPORT;
        return NULL;
    }
    if (strlen(buf) >= size) {
        errno = ENOSPC;
        return NULL;
    }
    return strcpy(dst, buf);
}

in_addr_t inet_addr(const char *cp)
{
    struct in_addr a;
    return inet_pton(AF_INET, cp, &a) == 1 ? a.s_addr : (in_addr_t)-1;
}
