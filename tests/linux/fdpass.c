/*
 * fdpass.c: fds passed in SCM_RIGHTS messages between processes (each a VM under
 * ukmon): a pipe's write end (a ring between VMs, until it travels), a file, a
 * socket; a bad fd; MSG_CMSG_CLOEXEC. The host's answers: tests/linux/fdpass.expected.
 */
#include <fcntl.h>
#include <sys/socket.h>

#include "lxtest.h"

static int send_fds(int sock, const int *fds, int n)
{
    char byte = 'x';
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof(u));
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                       .msg_controllen = CMSG_SPACE((size_t)n * sizeof(int))};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
    memcpy(CMSG_DATA(c), fds, (size_t)n * sizeof(int));
    return (int)sendmsg(sock, &m, 0);
}

static int recv_fds(int sock, int *fds, int max, int flags)
{
    char byte;
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                       .msg_controllen = sizeof(u.buf)};
    if (recvmsg(sock, &m, flags) != 1)
        return -1;
    int n = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int) && n < max; i++)
                memcpy(&fds[n++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
    return n;
}

int main(void)
{
    int sv[2], p[2], pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || pipe(p) < 0 ||
        socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) < 0)
        return printf("setup: %s\n", ename(errno)), 1;
    int f = open("/tmp/fdpass.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(f, "from a passed file", 18);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        int got[4];
        int n = recv_fds(sv[1], got, 4, 0);
        printf("child: received %d fds\n", n);
        if (n == 3) {
            write(got[0], "hello through a passed pipe", 27);
            char b[32] = {0};
            pread(got[1], b, 18, 0);
            printf("child: the file reads \"%s\"\n", b);
            printf("child: the socket sends %zd\n", send(got[2], "dgram", 5, 0));
            printf("child: close-on-exec not asked, not set: %s\n",
                   fcntl(got[0], F_GETFD) & FD_CLOEXEC ? "set" : "clear");
        }
        n = recv_fds(sv[1], got, 4, MSG_CMSG_CLOEXEC);
        printf("child: with MSG_CMSG_CLOEXEC: %d fd, close-on-exec %s\n", n,
               n == 1 && fcntl(got[0], F_GETFD) & FD_CLOEXEC ? "set" : "clear");
        fflush(stdout);
        _exit(0);
    }
    close(sv[1]);
    int bad[1] = {999};
    errno = 0;
    int r = send_fds(sv[0], bad, 1), e = errno;
    int fds[3] = {p[1], f, pair[1]};
    int r3 = send_fds(sv[0], fds, 3), r1 = send_fds(sv[0], fds + 1, 1);
    close(p[1]);
    int st;
    waitpid(pid, &st, 0); /* the child's lines first, ours after: one order everywhere */
    printf("sending fd 999: %d %s\n", r, ename(e));
    printf("sending a pipe, a file, a socket: %d\n", r3);
    printf("sending one more: %d\n", r1);
    char b[64] = {0};
    printf("read from the pipe: %zd \"%s\"\n", read(p[0], b, sizeof(b) - 1), b);
    memset(b, 0, sizeof(b));
    printf("read from the socket pair: %zd \"%s\"\n", recv(pair[0], b, sizeof(b) - 1, MSG_DONTWAIT), b);
    unlink("/tmp/fdpass.txt");
    return 0;
}
