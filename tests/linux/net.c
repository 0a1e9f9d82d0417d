/*
 * net: sockets under ukmon. Run with --publish 127.0.0.1:HOSTPORT:8080 --connect
 * 127.0.0.1:HOSTPORT, HOSTPORT in argv[1]: a server on the published port, clients
 * in child VMs, and every hostile argument the calls can get.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "lxtest.h"

static int host_port;

static struct sockaddr_in sin_of(const char *ip, int port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

/* A child that connects to the published port, sends msg, prints what comes back. */
static pid_t client(const char *msg)
{
    fflush(stdout);
    pid_t p = fork();
    if (p)
        return p;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = sin_of("127.0.0.1", host_port);
    if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
        say("client: connect: %s\n", ename(errno));
        _exit(1);
    }
    send(s, msg, strlen(msg), 0);
    char buf[64] = "";
    ssize_t n = recv(s, buf, sizeof(buf) - 1, 0);
    if (n > 0)
        buf[n] = 0;
    say("client got: %s\n", n > 0 ? buf : ename(errno));
    close(s);
    _exit(0);
}

static void serve_one(int ls, const char *reply)
{
    struct sockaddr_in peer;
    socklen_t pl = sizeof(peer);
    int c = accept(ls, (struct sockaddr *)&peer, &pl);
    if (c < 0) {
        say("accept: %s\n", ename(errno));
        return;
    }
    char ip[32];
    inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof(ip));
    char buf[64] = "";
    ssize_t n = recv(c, buf, sizeof(buf) - 1, 0);
    if (n > 0)
        buf[n] = 0;
    say("server: from %s (len %u), got: %s\n", ip, (unsigned)pl, buf);
    send(c, reply, strlen(reply), 0);
    close(c);
}

static void lifecycle(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = sin_of("0.0.0.0", 9999);
    say("bind to a port not published: %s\n", RES(bind(s, (struct sockaddr *)&a, sizeof(a))));
    int one = 1;
    say("SO_REUSEADDR before bind: %s\n", RES(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one))));
    a = sin_of("0.0.0.0", 8080);
    say("bind to the published port: %s\n", RES(bind(s, (struct sockaddr *)&a, sizeof(a))));
    say("bind again: %s\n", RES(bind(s, (struct sockaddr *)&a, sizeof(a))));
    say("listen with a huge backlog: %s\n", RES(listen(s, 1 << 30)));
    struct sockaddr_in got;
    socklen_t gl = sizeof(got);
    getsockname(s, (struct sockaddr *)&got, &gl);
    say("getsockname: port %d (the guest's), len %u\n", ntohs(got.sin_port), (unsigned)gl);
    int type = 0;
    socklen_t tl = sizeof(type);
    getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &tl);
    say("SO_TYPE: %s\n", type == SOCK_STREAM ? "SOCK_STREAM" : "other");
    say("TCP_NODELAY: %s\n", RES(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one))));
    say("SO_BINDTODEVICE: %s\n", RES(setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3)));

    pid_t p = client("ping");
    serve_one(s, "pong");
    waitpid(p, NULL, 0);

    /* epoll and poll on the listening socket */
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1234567890ULL};
    say("epoll_ctl ADD: %s\n", RES(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev)));
    struct epoll_event out[4];
    say("epoll_wait, nothing yet: %d\n", epoll_wait(ep, out, 4, 50));
    p = client("epoll");
    int n = epoll_wait(ep, out, 4, 5000);
    say("epoll_wait: %d, data %#llx, EPOLLIN %s\n", n, (unsigned long long)out[0].data.u64,
        (out[0].events & EPOLLIN) ? "yes" : "no");
    serve_one(s, "e-reply");
    waitpid(p, NULL, 0);
    int f = open("/proc/self/exe", O_RDONLY);
    say("epoll_ctl on a regular file: %s\n", RES(epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev)));
    p = client("poll");
    struct pollfd pf = {.fd = s, .events = POLLIN};
    n = poll(&pf, 1, 5000);
    say("poll: %d, POLLIN %s\n", n, (pf.revents & POLLIN) ? "yes" : "no");
    serve_one(s, "p-reply");
    waitpid(p, NULL, 0);
    p = client("select");
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(s, &rd);
    struct timeval tv = {5, 0};
    n = select(s + 1, &rd, NULL, NULL, &tv);
    say("select: %d, readable %s\n", n, FD_ISSET(s, &rd) ? "yes" : "no");
    serve_one(s, "s-reply");
    waitpid(p, NULL, 0);

    /* sendfile from a file to a socket */
    fflush(stdout);
    p = fork();
    if (p == 0) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a2 = sin_of("127.0.0.1", host_port);
        connect(c, (struct sockaddr *)&a2, sizeof(a2));
        char buf[256];
        size_t total = 0;
        ssize_t k;
        while ((k = recv(c, buf, sizeof(buf), 0)) > 0)
            total += (size_t)k;
        say("client: %zu bytes by sendfile, ELF magic %s\n", total, total ? "received" : "missing");
        _exit(0);
    }
    int c = accept(s, NULL, NULL);
    off_t off = 0;
    ssize_t sent = sendfile(c, f, &off, 1000);
    say("sendfile: %zd, offset now %ld\n", sent, (long)off);
    close(c);
    waitpid(p, NULL, 0);
    close(f);
    close(ep);
    close(s);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *nb(int fd)
{
    int f = fcntl(fd, F_GETFL);
    return f < 0 ? ename(errno) : (f & O_NONBLOCK) ? "O_NONBLOCK" : "blocking";
}

/* O_NONBLOCK however it was set: before bind, by accept4, on connect; and not after. */
static void nonblocking(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0), other = socket(AF_INET, SOCK_STREAM, 0);
    say("F_GETFL of a new socket: %#x\n", (unsigned)fcntl(s, F_GETFL));
    say("F_SETFL O_NONBLOCK before bind: %s", RES(fcntl(s, F_SETFL, O_NONBLOCK)));
    say(", then %s; another new socket: %s\n", nb(s), nb(other));
    close(other);
    struct sockaddr_in a = sin_of("0.0.0.0", 8080);
    bind(s, (struct sockaddr *)&a, sizeof(a));
    listen(s, 8);
    say("after bind and listen: %s\n", nb(s));
    double t0 = now();
    say("accept with nothing queued: %s", RES(accept(s, NULL, NULL)));
    say("%s\n", now() - t0 < 1 ? "" : " (waited)");
    pid_t p = client("nb-ping");
    struct pollfd pf = {.fd = s, .events = POLLIN};
    poll(&pf, 1, 5000);
    int c = accept4(s, NULL, NULL, SOCK_NONBLOCK);
    say("accept4(SOCK_NONBLOCK): %s, %s\n", c < 0 ? ename(errno) : "ok", nb(c));
    char b[64];
    pf = (struct pollfd){.fd = c, .events = POLLIN};
    poll(&pf, 1, 5000);
    ssize_t n = recv(c, b, sizeof(b) - 1, 0);
    b[n > 0 ? n : 0] = 0;
    say("recv: %s", b);
    t0 = now();
    say(", recv again: %s, read: %s", RES(recv(c, b, sizeof(b), 0)), RES(read(c, b, sizeof(b))));
    say("%s\n", now() - t0 < 1 ? "" : " (waited)");
    send(c, "nb-pong", 7, 0);
    waitpid(p, NULL, 0);
    close(c);
    close(s);

    /* the next socket bound to that port is blocking again: accept waits for a client */
    s = socket(AF_INET, SOCK_STREAM, 0);
    bind(s, (struct sockaddr *)&a, sizeof(a));
    listen(s, 8);
    say("a new socket bound to the same port: %s\n", nb(s));
    fflush(stdout);
    p = fork();
    if (p == 0) {
        usleep(200000);
        int k = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in to = sin_of("127.0.0.1", host_port);
        connect(k, (struct sockaddr *)&to, sizeof(to));
        _exit(0);
    }
    t0 = now();
    c = accept(s, NULL, NULL);
    say("blocking accept: %s after %s\n", c < 0 ? ename(errno) : "ok", now() - t0 > 0.1 ? "waiting" : "no wait");
    waitpid(p, NULL, 0);
    close(c);

    /* a non-blocking connect: EINPROGRESS, then writable with SO_ERROR 0 */
    int k = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in to = sin_of("127.0.0.1", host_port);
    int r = connect(k, (struct sockaddr *)&to, sizeof(to));
    say("non-blocking connect: %s", r < 0 ? ename(errno) : "ok (at once)");
    pf = (struct pollfd){.fd = k, .events = POLLOUT};
    poll(&pf, 1, 5000);
    int err = -1;
    socklen_t el = sizeof(err);
    getsockopt(k, SOL_SOCKET, SO_ERROR, &err, &el);
    say(", then POLLOUT %s, SO_ERROR %d\n", (pf.revents & POLLOUT) ? "yes" : "no", err);
    c = accept(s, NULL, NULL);
    say("accepted it: %s\n", c < 0 ? ename(errno) : "ok");
    close(c);
    close(k);
    close(s);
}

static void refused(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = sin_of("127.0.0.1", 22);
    say("connect to a port not allowed: %s\n", RES(connect(s, (struct sockaddr *)&a, sizeof(a))));
    a = sin_of("10.1.2.3", host_port);
    say("connect to an address not allowed: %s\n", RES(connect(s, (struct sockaddr *)&a, sizeof(a))));
    close(s);
    say("socket(AF_UNIX): %s\n", RES(socket(AF_UNIX, SOCK_STREAM, 0)));
    say("socket(AF_NETLINK): %s\n", RES(socket(AF_NETLINK, SOCK_RAW, 0)));
    say("socket(SOCK_DGRAM): %s\n", RES(socket(AF_INET, SOCK_DGRAM, 0)));
}

static void hostile(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = sin_of("0.0.0.0", 8080);
    say("bind with a length of 3: %s\n", RES(bind(s, (struct sockaddr *)&a, 3)));
    say("bind with a length of 1000: %s\n", RES(bind(s, (struct sockaddr *)&a, 1000)));
    say("bind from a bad pointer: %s\n", RES(bind(s, (struct sockaddr *)8, sizeof(a))));
    struct sockaddr_in6 a6;
    memset(&a6, 0, sizeof(a6));
    a6.sin6_family = AF_INET6;
    say("bind of another family: %s\n", RES(bind(s, (struct sockaddr *)&a6, sizeof(a6))));
    int p[2];
    pipe(p);
    say("accept on a pipe: %s\n", RES(accept(p[0], NULL, NULL)));
    say("accept on a bad fd: %s\n", RES(accept(555, NULL, NULL)));
    say("accept on a socket not listening: %s\n", RES(accept(s, NULL, NULL)));
    say("listen before bind: %s\n", RES(listen(s, 5)));
    say("send on an unconnected socket, MSG_NOSIGNAL: %s\n", RES(send(s, "x", 1, MSG_NOSIGNAL)));
    say("recv on an unconnected socket: %s\n", RES(recv(s, p, 1, 0)));
    socklen_t len = 16;
    say("getsockname into a bad pointer: %s\n", RES(getsockname(s, (struct sockaddr *)8, &len)));
    say("getpeername unconnected: %s\n", RES(getpeername(s, (struct sockaddr *)&a, &len)));
    close(s);
    close(p[0]);
    close(p[1]);

    int sp[2];
    say("socketpair(AF_UNIX): %s\n", RES(socketpair(AF_UNIX, SOCK_STREAM, 0, sp)));
    char *end = (char *)sbrk(0);
    say("send from past the end of memory: %s\n", RES(send(sp[0], end + (64 << 20), 16, 0)));
    struct iovec iov = {(void *)8, 4};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    say("sendmsg with a bad iovec: %s\n", RES(sendmsg(sp[0], &m, 0)));
    char ctl[CMSG_SPACE(sizeof(int))];
    iov.iov_base = "x";
    iov.iov_len = 1;
    m.msg_control = ctl;
    m.msg_controllen = sizeof(ctl);
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &sp[1], sizeof(int));
    say("sendmsg passing an fd: %s\n", RES(sendmsg(sp[0], &m, 0)));
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        char b[16] = "";
        struct iovec ri = {b, sizeof(b) - 1};
        struct msghdr rm = {.msg_iov = &ri, .msg_iovlen = 1};
        ssize_t n = recvmsg(sp[1], &rm, 0);
        say("child: recvmsg %zd: %s\n", n, b);
        send(sp[1], "back", 4, 0);
        _exit(0);
    }
    struct iovec si[2] = {{"he", 2}, {"llo", 3}};
    struct msghdr sm = {.msg_iov = si, .msg_iovlen = 2};
    ssize_t sent = sendmsg(sp[0], &sm, 0);
    waitpid(c, NULL, 0); /* the child's line first, whichever VM ran first */
    say("sendmsg over a socketpair to a child VM: %zd\n", sent);
    char b[8] = "";
    say("reply: %zd %s\n", recv(sp[0], b, sizeof(b) - 1, 0), b);
    close(sp[1]);
    signal(SIGPIPE, SIG_IGN);
    say("send to a closed peer, SIGPIPE ignored: %s\n", RES(send(sp[0], "x", 1, 0)));
    signal(SIGPIPE, SIG_DFL);
    fflush(stdout);
    c = fork();
    if (c == 0) {
        send(sp[0], "x", 1, 0);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    say("send to a closed peer: %s\n", how(st));
    close(sp[0]);
}

int main(int argc, char **argv)
{
    host_port = argc > 1 ? atoi(argv[1]) : 0;
    lifecycle();
    nonblocking();
    refused();
    hostile();
    say("done\n");
    return 0;
}
