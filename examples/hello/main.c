/* hello: prints its arguments and exits with the status given as --exit N. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int status = 0;
    printf("Hello from a unikernel in its own KVM VM (pid %d)\n", (int)getpid());
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--exit") == 0 && i + 1 < argc)
            status = atoi(argv[i + 1]);
        printf("argv[%d] = \"%s\"\n", i, argv[i]);
    }
    return status;
}
