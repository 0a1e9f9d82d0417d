/* big_bss: 16 MiB of zeroed data; does not fit in 8 MiB of guest memory. */
#include <stdio.h>

char big[16 << 20];

int main(int argc, char **argv)
{
    (void)argv;
    big[sizeof(big) - (unsigned)argc] = 1;
    printf("%d\n", big[sizeof(big) - 1]);
    return 0;
}
