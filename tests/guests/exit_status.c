/* exit_status: exits with the status given in argv[1], through exit() or return. */
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    int status = argc > 1 ? atoi(argv[1]) : 0;
    if (argc > 2 && strcmp(argv[2], "exit") == 0)
        exit(status);
    return status;
}
