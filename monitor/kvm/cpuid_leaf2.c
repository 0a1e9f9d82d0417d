/*
 * cpuid_leaf2.c: CPUID leaf 2 (cache descriptors) rewritten from leaf 4, so that a
 * static glibc program learns its cache sizes with a dozen CPUIDs instead of fifty.
 *
 * Why: every CPUID of a guest is a VM exit, ~30 µs each on this nested backend
 * (kvm:kvm_cpuid, back to back). glibc's start-up (init_cacheinfo) asks leaf 2 for
 * each of a dozen cache parameters; a modern CPU answers there with descriptor 0xff,
 * "see leaf 4", and glibc then walks leaf 4's subleaves again for every parameter.
 * Measured here for a static hello (and for every busybox exec): 61 CPUIDs, 37 of
 * them leaf 4, 12 leaf 2; ~1.8 ms of a 2.3 ms first KVM_RUN.
 *
 * What: leaf 2 gets the classic one-byte descriptors (Intel SDM, CPUID leaf 2
 * descriptor table) nearest to what leaf 4 says for L1 data, L1 instruction, L2 and
 * L3, all with 64-byte lines; glibc's own descriptor table knows each of them, so it
 * reads leaf 2 alone. Leaf 4 itself is untouched (topology, thread counts), and so is
 * every other leaf. Only the size hints change, to the nearest descriptor: that moves
 * glibc's memcpy thresholds a little (on this backend leaf 4 invents a 480 MiB L3; the
 * largest descriptor is 24 MiB, a real CPU's size). Not applied when the vendor is not
 * Intel (others do not use leaf 2), when leaf 4 is missing, or when a cache has
 * another line size: then leaf 2 stays the host's.
 */
#include <stdint.h>
#include <string.h>

#include "kvm/vmm.h"

enum { C_DATA = 1, C_INST = 2, C_UNIFIED = 3 };

/* A descriptor: its byte, the cache level and type it describes, its size in KiB. */
struct desc {
    uint8_t byte, level, type;
    uint32_t kib;
};

/* The descriptors with 64-byte lines, per level (SDM Vol. 2A, Table 3-12). */
static const struct desc descs[] = {
    {0x0d, 1, C_DATA, 16},      {0x0e, 1, C_DATA, 24},      {0x2c, 1, C_DATA, 32},
    {0x30, 1, C_INST, 32},
    {0x3c, 2, C_UNIFIED, 256},  {0x80, 2, C_UNIFIED, 512},  {0x87, 2, C_UNIFIED, 1024},
    {0x7d, 2, C_UNIFIED, 2048}, {0x48, 2, C_UNIFIED, 3072}, {0x4e, 2, C_UNIFIED, 6144},
    {0xd0, 3, C_UNIFIED, 512},  {0xd7, 3, C_UNIFIED, 2048}, {0xd8, 3, C_UNIFIED, 4096},
    {0xe4, 3, C_UNIFIED, 8192}, {0xea, 3, C_UNIFIED, 12288}, {0xeb, 3, C_UNIFIED, 18432},
    {0xec, 3, C_UNIFIED, 24576},
};

static struct kvm_cpuid_entry2 *leaf(struct kvm_cpuid2 *c, uint32_t fn, uint32_t index)
{
    for (uint32_t i = 0; i < c->nent; i++)
        if (c->entries[i].function == fn && c->entries[i].index == index)
            return &c->entries[i];
    return NULL;
}

/* The descriptor of `level`/`type` whose size is nearest `kib`, or 0. */
static uint8_t nearest(uint32_t level, uint32_t type, uint64_t kib)
{
    uint8_t best = 0;
    uint64_t best_d = UINT64_MAX;
    for (size_t i = 0; i < sizeof(descs) / sizeof(descs[0]); i++) {
        if (descs[i].level != level || descs[i].type != type)
            continue;
        uint64_t d = descs[i].kib > kib ? descs[i].kib - kib : kib - descs[i].kib;
        if (d < best_d)
            best_d = d, best = descs[i].byte;
    }
    return best;
}

void cpuid_leaf2_from_leaf4(struct kvm_cpuid2 *c)
{
    struct kvm_cpuid_entry2 *l0 = leaf(c, 0, 0), *l2 = leaf(c, 2, 0);
    /* "GenuineIntel" in ebx, edx, ecx; and leaves 2 and 4 below the maximum leaf */
    if (!l0 || !l2 || l0->ebx != 0x756e6547 || l0->edx != 0x49656e69 ||
        l0->ecx != 0x6c65746e || l0->eax < 4)
        return;
    uint8_t d[4] = {0, 0, 0, 0}; /* L1 data, L1 instruction, L2, L3 */
    for (uint32_t sub = 0; sub < 16; sub++) {
        const struct kvm_cpuid_entry2 *e = leaf(c, 4, sub);
        if (!e)
            return;
        uint32_t type = e->eax & 0x1f, level = (e->eax >> 5) & 7;
        if (type == 0)
            break;
        uint64_t ways = (e->ebx >> 22) + 1, parts = ((e->ebx >> 12) & 0x3ff) + 1;
        uint64_t line = (e->ebx & 0xfff) + 1, sets = (uint64_t)e->ecx + 1;
        if (line != 64)
            return;
        int slot = level == 1 ? (type == C_DATA ? 0 : type == C_INST ? 1 : -1)
                   : level == 2 ? 2 : level == 3 ? 3 : -1;
        if (slot < 0)
            return; /* a unified L1 or an L4: no descriptor says so */
        d[slot] = nearest(level, type, ways * parts * line * sets / 1024);
        if (!d[slot])
            return;
    }
    if (!d[0] || !d[2])
        return;
    /*
     * One round (the low byte of eax); then the descriptors; 0xf0, "64-byte
     * prefetching", as the host's leaf 2 says it here. Bit 31 clear: valid registers.
     */
    l2->eax = 0x01u | (uint32_t)d[0] << 8 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 24;
    l2->ebx = (uint32_t)d[3] | 0xf0u << 8;
    l2->ecx = 0;
    l2->edx = 0;
}
