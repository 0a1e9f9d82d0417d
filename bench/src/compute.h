/* compute.h: CPU-bound kernels, identical in the host and the guest builds. */
#ifndef COMPUTE_H
#define COMPUTE_H
#include <stdint.h>

/* Integer: a hash-mixing loop over a small table (ALU, loads, branches). */
static inline uint64_t kernel_int(uint64_t n)
{
    static uint32_t table[4096];
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (uint64_t i = 0; i < n; i++) {
        h ^= h >> 29;
        h *= 0xbf58476d1ce4e5b9ULL;
        uint32_t *slot = &table[h & 4095];
        *slot += (uint32_t)i;
        if (*slot & 1)
            h += *slot;
    }
    return h;
}

/* Floating point: Mandelbrot escape counts over a grid (SSE2 double arithmetic). */
static inline uint64_t kernel_float(int size)
{
    uint64_t total = 0;
    for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
            double cr = -2.0 + 2.5 * x / size, ci = -1.25 + 2.5 * y / size;
            double zr = 0, zi = 0;
            int k = 0;
            while (k < 256 && zr * zr + zi * zi < 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2 * zr * zi + ci;
                zr = t;
                k++;
            }
            total += (uint64_t)k;
        }
    }
    return total;
}

#endif
