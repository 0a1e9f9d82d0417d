/*
 * ids.c: what nginx's master does to start its workers: hands them to nobody
 * (setgid, setgroups, setuid, in a child), and sets O_ASYNC and an owner on the
 * channel to them (FIOASYNC, F_SETOWN). The host's answers when run as root
 * (tests/linux/ids.expected); ukmon records the owner and changes no host ids.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "lxtest.h"

int main(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return printf("socketpair: %s\n", ename(errno)), 1;
    int on = 1;
    printf("FIOASYNC: %d, ", ioctl(sv[0], FIOASYNC, &on));
    printf("O_ASYNC in F_GETFL: %s\n", fcntl(sv[0], F_GETFL) & O_ASYNC ? "yes" : "no");
    printf("F_SETOWN to ourselves: %d, ", fcntl(sv[0], F_SETOWN, getpid()));
    printf("F_GETOWN is our pid: %s\n", fcntl(sv[0], F_GETOWN) == getpid() ? "yes" : "no");
    int r = fcntl(sv[0], F_SETOWN, 999999);
    printf("F_SETOWN to no process: %d %s\n", r, r < 0 ? ename(errno) : "");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int g = setgid(65534), gs = setgroups(0, NULL), u = setuid(65534);
        printf("a child as root gives itself to nobody: setgid %d, setgroups %d, setuid %d\n",
               g, gs, u);
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    r = setresuid(-1, getuid(), -1);
    printf("setresuid to our own ids: %d\n", r);
    return 0;
}
