/*
 * console.c: a container with process.terminal gets a pty: the runtime makes it, sends
 * the master to --console-socket (one fd in SCM_RIGHTS, as runc does: conmon and the
 * runc shim hold it from then on), and the container's process takes the slave as its
 * stdin, stdout, stderr and controlling terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "runc/runc.h"

int runc_console_open(unsigned rows, unsigned cols, int *master, char *slave, size_t slavelen)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0) {
        runc_error("opening a pty: %s", strerror(errno));
        if (m >= 0)
            close(m);
        return -1;
    }
    if (ptsname_r(m, slave, slavelen) != 0) {
        runc_error("ptsname: %s", strerror(errno));
        close(m);
        return -1;
    }
    if (rows && cols) {
        struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
        ioctl(m, TIOCSWINSZ, &ws);
    }
    *master = m;
    return 0;
}

int runc_console_send(const char *socket_path, int master)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof(sa.sun_path)) {
        runc_error("--console-socket %s: path too long", socket_path);
        return -1;
    }
    strcpy(sa.sun_path, socket_path);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        runc_error("--console-socket %s: %s", socket_path, strerror(errno));
        if (s >= 0)
            close(s);
        return -1;
    }
    /* The name runc sends with the fd: what the receiver sees as its path. */
    char name[] = "/dev/ptmx";
    struct iovec iov = {.iov_base = name, .iov_len = sizeof(name)};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } u;
    memset(&u, 0, sizeof(u));
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                         .msg_controllen = sizeof(u.buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &master, sizeof(int));
    ssize_t n;
    do {
        n = sendmsg(s, &msg, 0);
    } while (n < 0 && errno == EINTR);
    int e = errno;
    close(s);
    if (n < 0) {
        runc_error("--console-socket %s: sending the pty: %s", socket_path, strerror(e));
        return -1;
    }
    return 0;
}
