/* shared_stdout: 16 VMs print 200 lines each to one stdout; none may be lost. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    for (int i = 0; i < 16; i++) {
        if (fork() == 0) {
            setvbuf(stdout, NULL, _IONBF, 0); /* one write per line: the most contention */
            for (int k = 0; k < 200; k++)
                printf("vm %02d line %03d\n", i, k);
            return 0;
        }
    }
    while (wait(NULL) > 0)
        ;
    return 0;
}
