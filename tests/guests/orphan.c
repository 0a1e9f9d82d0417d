/* orphan: the parent exits first; its child runs on and ukmon waits for it. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    pid_t root = getpid();
    pid_t mid = fork();
    if (mid == 0) {
        pid_t me = getpid();
        if (fork() == 0) {
            usleep(200000);
            printf("orphan %d: adopted by the root: %s\n", (int)getpid(),
                   getppid() == root ? "yes" : "no");
            return 0;
        }
        (void)me;
        return 0; /* exits without waiting: its child becomes an orphan */
    }
    printf("root exits now\n");
    fflush(stdout);
    return 7;
}
