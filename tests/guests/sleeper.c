/* sleeper: a tree of N VMs that sleep; prints each pid. Ended only by a signal. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 4;
    int grand = argc > 2 ? atoi(argv[2]) : 0;
    printf("root %d\n", (int)getpid());
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            if (grand && fork() == 0)
                printf("grandchild %d\n", (int)getpid());
            else
                printf("child %d\n", (int)getpid());
            fflush(stdout);
            for (;;)
                sleep(100);
        }
    }
    fflush(stdout);
    for (;;)
        sleep(100);
}
