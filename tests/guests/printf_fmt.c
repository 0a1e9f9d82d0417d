/* printf_fmt: the printf conversions apps rely on, one per line. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    char buf[32];
    printf("[%d] [%i] [%5d] [%-5d] [%05d] [%+d] [% d]\n", -42, 7, 42, 42, 42, 42, 42);
    printf("[%u] [%x] [%X] [%#x] [%o] [%#o]\n", 3000000000u, 255, 255, 255, 8, 8);
    printf("[%ld] [%lld] [%lu] [%zu] [%hhd] [%hd]\n", -1234567890123L, 9223372036854775807LL,
           18446744073709551615UL, (size_t)12345, (signed char)300, (short)70000);
    printf("[%s] [%10s] [%-10s] [%.3s] [%*d] [%-*d]\n", "str", "right", "left", "truncate", 6, 9, 6, 9);
    printf("[%c] [%%] [%p] [%p]\n", 'Z', (void *)0x1234, (void *)0);
    printf("[%" PRId64 "] [%" PRIu64 "] [%" PRIx64 "]\n", (int64_t)-5, (uint64_t)5, (uint64_t)0xabcdef);
    printf("[%f] [%.2f] [%10.3f] [%-10.1f] [%e] [%g] [%g]\n", 3.14159265, 2.675, -1.5, 0.25,
           12345.678, 0.0001, 123456789.0);
    printf("[%.0f] [%.1f] [%f] [%f]\n", 0.5, 0.05, 1e10, -0.0);
    int n = snprintf(buf, 8, "%s", "0123456789");
    printf("[%s] [%d] [%zu]\n", buf, n, strlen(buf));
    return 0;
}
