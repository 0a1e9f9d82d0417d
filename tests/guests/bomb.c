/* bomb: every VM forks for ever; --max-procs must keep the tree bounded. */
#include <unistd.h>

int main(void)
{
    for (;;) {
        if (fork() < 0)
            usleep(1000);
    }
}
