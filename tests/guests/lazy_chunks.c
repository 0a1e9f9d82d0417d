/*
 * lazy_chunks: guest memory KVM learns of as it is touched (kvm.c registers a chunk
 * at the first touch). Data the monitor wrote into a chunk the guest never touched
 * (a read() from a pipe) must be what the guest's first load there sees: a plain
 * load, an add from memory, an SSE load, a string copy, and a store that must land.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIB (1u << 20)

static int fill(unsigned char *at, unsigned char seed)
{
    int p[2];
    unsigned char buf[64];
    for (int i = 0; i < 64; i++)
        buf[i] = (unsigned char)(seed + i);
    if (pipe(p) < 0 || write(p[1], buf, 64) != 64 || read(p[0], at, 64) != 64)
        return -1;
    close(p[0]);
    close(p[1]);
    return 0;
}

int main(void)
{
    unsigned char *big = malloc(300 * MIB);
    if (!big) {
        printf("no memory\n");
        return 1;
    }
    int bad = 0;
    /* Each probe in a 32 MiB chunk of its own, far from everything touched so far. */
    unsigned char *a = big + 64 * MIB, *b = big + 128 * MIB, *c = big + 192 * MIB,
                  *d = big + 256 * MIB, *e = big + 290 * MIB;
    if (fill(a, 1) || fill(b, 2) || fill(c, 3) || fill(d, 4)) {
        printf("fill failed\n");
        return 1;
    }
    uint64_t v;
    __asm__ volatile("mov (%1), %0" : "=r"(v) : "r"(a) : "memory");
    bad += v != 0x0807060504030201ULL;
    uint64_t acc = 0x10;
    __asm__ volatile("add (%1), %0" : "+r"(acc) : "r"(b) : "memory");
    bad += acc != 0x0908070605040302ULL + 0x10;
    unsigned char x[16];
    __asm__ volatile("movdqu (%1), %%xmm1\n\tmovdqu %%xmm1, (%0)" : : "r"(x), "r"(c) : "xmm1", "memory");
    bad += x[0] != 3 || x[15] != 18;
    unsigned char y[64];
    void *dst = y, *src = d;
    size_t n = 64;
    __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
    bad += y[0] != 4 || y[63] != 67;
    *(volatile uint32_t *)e = 0xdeadbeef;
    bad += *(volatile uint32_t *)e != 0xdeadbeef;
    printf("first touches of new chunks: %s\n", bad ? "WRONG" : "ok");
    return bad;
}
