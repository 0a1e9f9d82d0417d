/* fork_limit: past --max-procs, fork fails with EAGAIN and the tree goes on. */
#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    int fds[2];
    if (pipe(fds) < 0)
        return 1;
    int made = 0, err = 0;
    for (int i = 0; i < 100; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            char c;
            close(fds[1]);
            read(fds[0], &c, 1);
            _exit(0);
        }
        if (pid < 0) {
            err = errno;
            break;
        }
        made++;
    }
    printf("children made: %d, then fork failed with %s\n", made, err == EAGAIN ? "EAGAIN" : "something else");
    close(fds[1]);
    int st, reaped = 0;
    while (wait(&st) > 0)
        reaped++;
    /* Slots are free again once the children are reaped. */
    pid_t again = fork();
    if (again == 0)
        _exit(0);
    printf("reaped %d; fork works again: %s\n", reaped, again > 0 ? "yes" : "no");
    if (again > 0)
        waitpid(again, &st, 0);
    return 0;
}
