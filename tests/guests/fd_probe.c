/* fd_probe: reports on stderr which of fds 0 and 1 are open (run with them closed). */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    for (int fd = 0; fd < 2; fd++) {
        char c;
        errno = 0;
        long r = (long)read(fd, &c, 0);
        fprintf(stderr, "fd %d: %s\n", fd, r == 0 ? "open" : errno == EBADF ? "EBADF" : "other error");
    }
    return 0;
}
