/* hello: the smallest useful program, for boot-to-exit timing. */
#include <stdio.h>

int main(void)
{
    printf("hello\n");
    return 0;
}
