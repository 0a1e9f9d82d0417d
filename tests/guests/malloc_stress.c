/* malloc_stress: thousands of malloc/realloc/free with content checks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 512

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(void)
{
    static unsigned char *p[SLOTS];
    static size_t len[SLOTS];
    for (int it = 0; it < 200000; it++) {
        int i = (int)(next() % SLOTS);
        if (p[i]) {
            for (size_t k = 0; k < len[i]; k++)
                if (p[i][k] != (unsigned char)(i + k)) {
                    printf("corrupt block %d at %zu\n", i, k);
                    return 1;
                }
            if (next() % 3 == 0) {
                size_t nl = (size_t)(next() % 4096);
                unsigned char *q = realloc(p[i], nl ? nl : 1);
                if (!q)
                    return 2;
                for (size_t k = len[i]; k < nl; k++)
                    q[k] = (unsigned char)(i + k);
                p[i] = q;
                len[i] = nl < len[i] ? nl : nl;
                continue;
            }
            free(p[i]);
            p[i] = NULL;
            continue;
        }
        size_t l = (size_t)(next() % (next() % 8 == 0 ? 200000 : 512));
        p[i] = malloc(l ? l : 1);
        if (!p[i])
            return 3;
        if ((uintptr_t)p[i] % 16) {
            printf("misaligned %p\n", (void *)p[i]);
            return 4;
        }
        len[i] = l;
        for (size_t k = 0; k < l; k++)
            p[i][k] = (unsigned char)(i + k);
    }
    void *big = malloc((size_t)1 << 40);
    int *z = calloc(1000, sizeof(int));
    int zero = 1;
    for (int k = 0; k < 1000; k++)
        zero &= z[k] == 0;
    printf("malloc ok, huge allocation %s, calloc zeroed %s\n", big ? "succeeded?!" : "refused",
           zero ? "yes" : "no");
    return 0;
}
