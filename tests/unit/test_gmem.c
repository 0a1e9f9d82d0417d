/*
 * test_gmem.c: unit tests of the guest-address checks gmem_range_ok() and gmem_ptr(),
 * the only path from a guest-physical address to a host pointer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kvm/vmm.h"
#include "unit.h"

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)

static void test_range_ok(void)
{
    const uint64_t sz = 64 * MIB;

    CHECK("range: gpa 0 len 0", gmem_range_ok(sz, 0, 0));
    CHECK("range: gpa 0 len 1", gmem_range_ok(sz, 0, 1));
    CHECK("range: gpa == size, len 0 is ok", gmem_range_ok(sz, sz, 0));
    CHECK("range: gpa == size, len 1 is refused", !gmem_range_ok(sz, sz, 1));
    CHECK("range: gpa == size + 1, len 0 is refused", !gmem_range_ok(sz, sz + 1, 0));
    CHECK("range: last byte (size-1, 1) is ok", gmem_range_ok(sz, sz - 1, 1));
    CHECK("range: (size-1, 2) is refused", !gmem_range_ok(sz, sz - 1, 2));
    CHECK("range: (size-2, 2) is ok", gmem_range_ok(sz, sz - 2, 2));
    CHECK("range: whole memory (0, size) is ok", gmem_range_ok(sz, 0, sz));
    CHECK("range: (0, size+1) is refused", !gmem_range_ok(sz, 0, sz + 1));
    CHECK("range: (1, size) is refused", !gmem_range_ok(sz, 1, sz));
    CHECK("range: (1, size-1) is ok", gmem_range_ok(sz, 1, sz - 1));

    /* Addresses near 2^64: gpa + len would wrap to a small number. */
    CHECK("range: gpa UINT64_MAX len 0", !gmem_range_ok(sz, UINT64_MAX, 0));
    CHECK("range: gpa UINT64_MAX len 1 (wraps to 0)", !gmem_range_ok(sz, UINT64_MAX, 1));
    CHECK("range: gpa UINT64_MAX len 2 (wraps to 1)", !gmem_range_ok(sz, UINT64_MAX, 2));
    CHECK("range: gpa 2^64-16 len 32 (wraps to 16)",
          !gmem_range_ok(sz, UINT64_MAX - 15, 32));
    CHECK("range: gpa 2^63 len 16", !gmem_range_ok(sz, 1ULL << 63, 16));
    CHECK("range: gpa 2^32 len 1 (just above 4 GiB)", !gmem_range_ok(sz, 1ULL << 32, 1));

    /* Lengths near 2^64 with a small gpa: gpa + len wraps into the memory. */
    CHECK("range: gpa 0 len UINT64_MAX", !gmem_range_ok(sz, 0, UINT64_MAX));
    CHECK("range: gpa 1 len UINT64_MAX (wraps to 0)", !gmem_range_ok(sz, 1, UINT64_MAX));
    CHECK("range: gpa 16 len 2^64-8 (wraps to 8)",
          !gmem_range_ok(sz, 16, UINT64_MAX - 7));
    CHECK("range: gpa 0x1000 len 2^64-0x1000 (wraps to 0)",
          !gmem_range_ok(sz, 0x1000, 0 - 0x1000ULL));
    CHECK("range: gpa size-1 len 2^64-(size-1) (wraps to 0)",
          !gmem_range_ok(sz, sz - 1, 0 - (sz - 1)));
    CHECK("range: gpa and len both UINT64_MAX", !gmem_range_ok(sz, UINT64_MAX, UINT64_MAX));

    /* 4 GiB: the largest guest memory, and a 4 GiB length into smaller ones. */
    const uint64_t big = 4 * GIB;
    CHECK("range: 4 GiB memory, (0, 4 GiB) is ok", gmem_range_ok(big, 0, big));
    CHECK("range: 4 GiB memory, (1, 4 GiB) is refused", !gmem_range_ok(big, 1, big));
    CHECK("range: 4 GiB memory, (4 GiB-1, 1) is ok", gmem_range_ok(big, big - 1, 1));
    CHECK("range: 4 GiB memory, (4 GiB, 1) is refused", !gmem_range_ok(big, big, 1));
    CHECK("range: 4 GiB memory, (4 GiB-4096, 8192) is refused",
          !gmem_range_ok(big, big - 4096, 8192));
    CHECK("range: 64 MiB memory, (0, 4 GiB) is refused", !gmem_range_ok(sz, 0, big));
    CHECK("range: 64 MiB memory, (0, 4 GiB + 64 MiB) is refused",
          !gmem_range_ok(sz, 0, big + sz));

    /* Empty guest memory: only the empty range at 0. */
    CHECK("range: size 0, (0, 0) is ok", gmem_range_ok(0, 0, 0));
    CHECK("range: size 0, (0, 1) is refused", !gmem_range_ok(0, 0, 1));
    CHECK("range: size 0, (1, 0) is refused", !gmem_range_ok(0, 1, 0));

    /* A memory size of UINT64_MAX (never configured, but the arithmetic must hold). */
    CHECK("range: size UINT64_MAX, (UINT64_MAX, 0) is ok",
          gmem_range_ok(UINT64_MAX, UINT64_MAX, 0));
    CHECK("range: size UINT64_MAX, (UINT64_MAX, 1) is refused",
          !gmem_range_ok(UINT64_MAX, UINT64_MAX, 1));
    CHECK("range: size UINT64_MAX, (1, UINT64_MAX) is refused",
          !gmem_range_ok(UINT64_MAX, 1, UINT64_MAX));
}

/*
 * Compares gmem_range_ok() with a reference written in 128-bit arithmetic, on every
 * combination of addresses and lengths around the interesting boundaries.
 */
static void test_range_exhaustive(void)
{
    const uint64_t sizes[] = { 0, 1, 4096, 8 * MIB, 64 * MIB, 4 * GIB, UINT64_MAX - 1,
                               UINT64_MAX };
    const uint64_t bases[] = { 0, 1, 4095, 4096, 8 * MIB, 64 * MIB, 4 * GIB,
                               1ULL << 63, UINT64_MAX };
    const int64_t deltas[] = { -2, -1, 0, 1, 2 };
    uint64_t vals[sizeof(bases) / sizeof(bases[0]) * 5];
    size_t nvals = 0;
    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
        for (size_t d = 0; d < 5; d++)
            vals[nvals++] = bases[i] + (uint64_t)deltas[d];

    unsigned long bad = 0, total = 0;
    char first[160] = "";
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        for (size_t a = 0; a < nvals; a++) {
            for (size_t l = 0; l < nvals; l++) {
                uint64_t sz = sizes[s], gpa = vals[a], len = vals[l];
                bool want = (unsigned __int128)gpa + len <= sz;
                bool got = gmem_range_ok(sz, gpa, len);
                total++;
                if (got != want && bad++ == 0)
                    snprintf(first, sizeof(first),
                             "size 0x%llx gpa 0x%llx len 0x%llx: got %d, want %d",
                             (unsigned long long)sz, (unsigned long long)gpa,
                             (unsigned long long)len, got, want);
            }
        }
    }
    CHECKF("range: agrees with 128-bit arithmetic at every boundary", bad == 0,
           "%lu of %lu disagree, first: %s", bad, total, first);
}

static void test_ptr(void)
{
    const uint64_t sz = 8 * MIB;
    struct ukmon_vm *vm = calloc(1, sizeof(*vm));
    if (!vm) {
        CHECKF("ptr: set up", false, "out of memory");
        return;
    }
    uint8_t *mem = mmap(NULL, sz, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) {
        CHECKF("ptr: set up", false, "cannot map %llu bytes", (unsigned long long)sz);
        free(vm);
        return;
    }
    vm->mem = mem;
    vm->mem_size = sz;

    CHECK("ptr: (0, 0) is mem", gmem_ptr(vm, 0, 0) == mem);
    CHECK("ptr: (0, 1) is mem", gmem_ptr(vm, 0, 1) == mem);
    CHECK("ptr: (0, size) is mem", gmem_ptr(vm, 0, sz) == mem);
    CHECK("ptr: (0x1234, 16) is mem + 0x1234", gmem_ptr(vm, 0x1234, 16) == mem + 0x1234);
    CHECK("ptr: last byte is mem + size - 1", gmem_ptr(vm, sz - 1, 1) == mem + sz - 1);
    CHECK("ptr: (size, 0) is mem + size", gmem_ptr(vm, sz, 0) == mem + sz);
    CHECK("ptr: (size, 1) is NULL", gmem_ptr(vm, sz, 1) == NULL);
    CHECK("ptr: (size-1, 2) is NULL", gmem_ptr(vm, sz - 1, 2) == NULL);
    CHECK("ptr: (1, size) is NULL", gmem_ptr(vm, 1, sz) == NULL);
    CHECK("ptr: (UINT64_MAX, 1) is NULL", gmem_ptr(vm, UINT64_MAX, 1) == NULL);
    CHECK("ptr: (2^64-16, 32) is NULL", gmem_ptr(vm, UINT64_MAX - 15, 32) == NULL);
    CHECK("ptr: (16, 2^64-8) is NULL", gmem_ptr(vm, 16, UINT64_MAX - 7) == NULL);
    CHECK("ptr: (0, 4 GiB) is NULL in 8 MiB", gmem_ptr(vm, 0, 4 * GIB) == NULL);
    CHECK("ptr: (2^32, 1) is NULL", gmem_ptr(vm, 1ULL << 32, 1) == NULL);

    /* The pointer is usable over the whole range it was granted. */
    uint8_t *p = gmem_ptr(vm, sz - 4096, 4096);
    bool wrote = false;
    if (p) {
        memset(p, 0xa5, 4096);
        wrote = mem[sz - 1] == 0xa5 && mem[sz - 4096] == 0xa5 && mem[sz - 4097] == 0;
    }
    CHECK("ptr: granted range is the right host memory", p && wrote);

    /* Exactly mem + gpa when the range is ok, NULL otherwise, over a sweep. */
    unsigned long bad = 0;
    for (uint64_t gpa = 0; gpa <= sz + 8192; gpa += 4093) {
        for (uint64_t len = 0; len <= 3 * 4096; len += 1021) {
            for (int e = 0; e < 2; e++) {
                uint64_t g = e ? sz - len + (gpa & 3) : gpa;
                void *want = (g <= sz && len <= sz - g) ? (void *)(mem + g) : NULL;
                if (gmem_ptr(vm, g, len) != want)
                    bad++;
            }
        }
    }
    CHECKF("ptr: mem + gpa exactly when in range, NULL otherwise (sweep)", bad == 0,
           "%lu mismatches", bad);

    /* No memory: always NULL, even for the empty range. */
    vm->mem = NULL;
    CHECK("ptr: NULL mem, (0, 0) is NULL", gmem_ptr(vm, 0, 0) == NULL);
    CHECK("ptr: NULL mem, (0, 1) is NULL", gmem_ptr(vm, 0, 1) == NULL);
    CHECK("ptr: NULL mem, (4096, 4096) is NULL", gmem_ptr(vm, 4096, 4096) == NULL);
    vm->mem_size = 0;
    CHECK("ptr: NULL mem and size 0, (0, 0) is NULL", gmem_ptr(vm, 0, 0) == NULL);

    /* The public wrapper and gmem_user_ptr: in range and on ring-3 pages only. */
    vm->mem = mem;
    vm->mem_size = sz;
    uint8_t *perm = malloc(sz / 4096);
    memset(perm, PG_P | PG_U | PG_W, sz / 4096);
    perm[1] = PG_P | PG_W;          /* a supervisor page, like the GDT */
    perm[3] = PG_P | PG_U;          /* read-only, like text */
    vm->page_perm = NULL;
    CHECK("ptr: no page map, nothing is user memory", gmem_user_ptr(vm, 0x2000, 8, false) == NULL);
    vm->page_perm = perm;
    CHECK("ptr: ukmon_vm_guest_ptr in range",
          ukmon_vm_guest_ptr(vm, 0x2000, 8) == mem + 0x2000);
    CHECK("ptr: ukmon_vm_guest_ptr out of range",
          ukmon_vm_guest_ptr(vm, sz - 4, 8) == NULL);
    CHECK("ptr: a supervisor page is refused", ukmon_vm_guest_ptr(vm, 0x1000, 8) == NULL);
    CHECK("ptr: a range ending in a supervisor page is refused",
          gmem_user_ptr(vm, 0xff8, 16, false) == NULL);
    CHECK("ptr: a read-only page may be read", gmem_user_ptr(vm, 0x3000, 8, false) == mem + 0x3000);
    CHECK("ptr: a read-only page may not be written", gmem_user_ptr(vm, 0x3000, 8, true) == NULL);
    CHECK("ptr: a range crossing into a read-only page may not be written",
          gmem_user_ptr(vm, 0x2ff0, 32, true) == NULL);
    CHECK("ptr: a writable range is writable", gmem_user_ptr(vm, 0x4000, 8192, true) == mem + 0x4000);
    vm->page_perm = NULL;
    free(perm);

    munmap(mem, sz);
    free(vm);
}

/* The largest guest memory: reserved (not committed) so the pointers are real. */
static void test_ptr_4g(void)
{
    const uint64_t sz = 4 * GIB;
    struct ukmon_vm *vm = calloc(1, sizeof(*vm));
    void *mem = mmap(NULL, sz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                     -1, 0);
    if (!vm || mem == MAP_FAILED) {
        /* Not the code under test: say so and go on. */
        printf("ok - ptr 4 GiB # SKIP cannot reserve 4 GiB of address space\n");
        unit_passed++;
        free(vm);
        if (mem != MAP_FAILED)
            munmap(mem, sz);
        return;
    }
    uint8_t *m = mem;
    vm->mem = m;
    vm->mem_size = sz;
    CHECK("ptr 4 GiB: (0, 4 GiB) is mem", gmem_ptr(vm, 0, sz) == m);
    CHECK("ptr 4 GiB: (1, 4 GiB) is NULL", gmem_ptr(vm, 1, sz) == NULL);
    CHECK("ptr 4 GiB: (4 GiB-1, 1) is mem + 4 GiB - 1", gmem_ptr(vm, sz - 1, 1) == m + sz - 1);
    CHECK("ptr 4 GiB: (4 GiB, 0) is mem + 4 GiB", gmem_ptr(vm, sz, 0) == m + sz);
    CHECK("ptr 4 GiB: (4 GiB, 1) is NULL", gmem_ptr(vm, sz, 1) == NULL);
    CHECK("ptr 4 GiB: (2 GiB, 2 GiB) is mem + 2 GiB", gmem_ptr(vm, 2 * GIB, 2 * GIB) == m + 2 * GIB);
    CHECK("ptr 4 GiB: (2 GiB, 2 GiB + 1) is NULL", gmem_ptr(vm, 2 * GIB, 2 * GIB + 1) == NULL);
    CHECK("ptr 4 GiB: (UINT64_MAX - 4 GiB + 1, 4 GiB) is NULL",
          gmem_ptr(vm, UINT64_MAX - sz + 1, sz) == NULL);
    munmap(mem, sz);
    free(vm);
}

int main(void)
{
    test_range_ok();
    test_range_exhaustive();
    test_ptr();
    test_ptr_4g();
    return unit_done();
}
