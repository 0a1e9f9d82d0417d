/* sigblock: a program that blocks SIGTERM and SIGINT and sleeps: only a second one, or SIGKILL, ends it. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    sigset_t set = 0;
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    if (fork() == 0)
        for (;;)
            pause();
    printf("blocking\n");
    fflush(stdout);
    for (;;)
        pause();
}
