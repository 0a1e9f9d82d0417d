/*
 * test_cpuid_leaf2.c: unit tests of cpuid_leaf2_from_leaf4(): leaf 2 gets the cache
 * descriptors nearest to leaf 4's caches on an Intel CPU, and stays the host's
 * wherever glibc's reading of it could go wrong (another vendor, no leaf 4, another
 * line size, a cache no descriptor names).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/vmm.h"
#include "unit.h"

/* Leaf 4's ebx/ecx for a cache of `ways`, 64-byte lines, `kib` KiB, one partition. */
static void cache(struct kvm_cpuid_entry2 *e, uint32_t sub, uint32_t level, uint32_t type,
                  uint32_t ways, uint64_t kib, uint32_t line)
{
    memset(e, 0, sizeof(*e));
    e->function = 4;
    e->index = sub;
    e->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
    e->eax = type | level << 5;
    e->ebx = (ways - 1) << 22 | (line - 1);
    e->ecx = (uint32_t)(kib * 1024 / ways / line) - 1;
}

/* This machine's CPUID (a nested Xeon): leaf 2 says "see leaf 4" (0xff). */
static struct kvm_cpuid2 *host_like(uint32_t line)
{
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 8 * sizeof(c->entries[0]));
    if (!c)
        abort();
    c->entries[0] = (struct kvm_cpuid_entry2){.function = 0, .eax = 0x24, .ebx = 0x756e6547,
                                              .edx = 0x49656e69, .ecx = 0x6c65746e};
    c->entries[1] = (struct kvm_cpuid_entry2){.function = 2, .eax = 0x00feff01, .ebx = 0xf0};
    cache(&c->entries[2], 0, 1, 1, 12, 48, line);       /* L1 data */
    cache(&c->entries[3], 1, 1, 2, 16, 64, line);       /* L1 instruction */
    cache(&c->entries[4], 2, 2, 3, 16, 2048, line);     /* L2 */
    cache(&c->entries[5], 3, 3, 3, 16, 491520, line);   /* L3: 480 MiB, as this backend says */
    c->entries[6] = (struct kvm_cpuid_entry2){.function = 4, .index = 4}; /* the end */
    c->nent = 7;
    return c;
}

static void test_intel(void)
{
    struct kvm_cpuid2 *c = host_like(64);
    cpuid_leaf2_from_leaf4(c);
    /* 0x2c: L1d 32K; 0x30: L1i 32K; 0x7d: L2 2M; 0xec: L3 24M (the largest) */
    CHECK("intel: eax = one round, L1d 0x2c, L1i 0x30, L2 0x7d", c->entries[1].eax == 0x7d302c01);
    CHECK("intel: ebx = L3 0xec, 64-byte prefetch 0xf0", c->entries[1].ebx == 0xf0ec);
    CHECK("intel: ecx and edx empty", c->entries[1].ecx == 0 && c->entries[1].edx == 0);
    CHECK("intel: leaf 4 untouched", c->entries[5].ecx == 491520 * 1024 / 16 / 64 - 1);
    free(c);
}

static void test_left_alone(void)
{
    struct kvm_cpuid2 *c = host_like(64);
    c->entries[0].ebx = 0x68747541; /* "Auth" of AuthenticAMD */
    cpuid_leaf2_from_leaf4(c);
    CHECK("another vendor: leaf 2 as it was", c->entries[1].eax == 0x00feff01 &&
          c->entries[1].ebx == 0xf0);
    free(c);

    c = host_like(128);
    cpuid_leaf2_from_leaf4(c);
    CHECK("128-byte lines: leaf 2 as it was", c->entries[1].eax == 0x00feff01);
    free(c);

    c = host_like(64);
    c->nent = 2; /* no leaf 4 at all */
    cpuid_leaf2_from_leaf4(c);
    CHECK("no leaf 4: leaf 2 as it was", c->entries[1].eax == 0x00feff01);
    free(c);

    c = host_like(64);
    c->entries[5].eax = 3 | 4 << 5; /* an L4: no descriptor names one */
    cpuid_leaf2_from_leaf4(c);
    CHECK("an L4 cache: leaf 2 as it was", c->entries[1].eax == 0x00feff01);
    free(c);

    c = host_like(64);
    c->entries[0].eax = 1; /* leaves 2 and 4 above the maximum leaf */
    cpuid_leaf2_from_leaf4(c);
    CHECK("maximum leaf 1: leaf 2 as it was", c->entries[1].eax == 0x00feff01);
    free(c);
}

int main(void)
{
    test_intel();
    test_left_alone();
    return unit_done();
}
