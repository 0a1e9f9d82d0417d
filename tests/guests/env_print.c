/* env_print: prints the guest's environment and getenv of argv[1]. */
#include <stdio.h>
#include <stdlib.h>

extern char **environ;

int main(int argc, char **argv)
{
    for (char **e = environ; *e; e++)
        printf("env: %s\n", *e);
    if (argc > 1) {
        const char *v = getenv(argv[1]);
        printf("getenv(%s) = %s\n", argv[1], v ? v : "(null)");
    }
    return 0;
}
