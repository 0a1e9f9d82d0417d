/*
 * test_gmem.c: unit tests of the guest-memory layer: the address checks
 * (gmem_range_ok, gmem_check, gmem_io_ptr) and the fault-safe copies (gmem_read,
 * gmem_write, gmem_read_str, gmem_move), which must return EFAULT, never fault the
 * process, for PROT_NONE pages and for file pages past a truncated file's end.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

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
    uint8_t *all_user = malloc(sz / 4096);
    memset(all_user, PG_P | PG_U | PG_W, sz / 4096);
    vm->page_perm = all_user;

    CHECK("ptr: (0, 0) is mem", gmem_io_ptr(vm, 0, 0, false) == mem);
    CHECK("ptr: (0, 1) is mem", gmem_io_ptr(vm, 0, 1, false) == mem);
    CHECK("ptr: (0, size) is mem", gmem_io_ptr(vm, 0, sz, false) == mem);
    CHECK("ptr: (0x1234, 16) is mem + 0x1234", gmem_io_ptr(vm, 0x1234, 16, false) == mem + 0x1234);
    CHECK("ptr: last byte is mem + size - 1", gmem_io_ptr(vm, sz - 1, 1, false) == mem + sz - 1);
    CHECK("ptr: (size, 0) is mem + size", gmem_io_ptr(vm, sz, 0, false) == mem + sz);
    CHECK("ptr: (size, 1) is NULL", gmem_io_ptr(vm, sz, 1, false) == NULL);
    CHECK("ptr: (size-1, 2) is NULL", gmem_io_ptr(vm, sz - 1, 2, false) == NULL);
    CHECK("ptr: (1, size) is NULL", gmem_io_ptr(vm, 1, sz, false) == NULL);
    CHECK("ptr: (UINT64_MAX, 1) is NULL", gmem_io_ptr(vm, UINT64_MAX, 1, false) == NULL);
    CHECK("ptr: (2^64-16, 32) is NULL", gmem_io_ptr(vm, UINT64_MAX - 15, 32, false) == NULL);
    CHECK("ptr: (16, 2^64-8) is NULL", gmem_io_ptr(vm, 16, UINT64_MAX - 7, false) == NULL);
    CHECK("ptr: (0, 4 GiB) is NULL in 8 MiB", gmem_io_ptr(vm, 0, 4 * GIB, false) == NULL);
    CHECK("ptr: (2^32, 1) is NULL", gmem_io_ptr(vm, 1ULL << 32, 1, false) == NULL);

    /* The pointer is usable over the whole range it was granted. */
    uint8_t *p = gmem_io_ptr(vm, sz - 4096, 4096, true);
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
                if (gmem_io_ptr(vm, g, len, false) != want)
                    bad++;
            }
        }
    }
    CHECKF("ptr: mem + gpa exactly when in range, NULL otherwise (sweep)", bad == 0,
           "%lu mismatches", bad);

    /* No memory: always NULL, even for the empty range. */
    vm->mem = NULL;
    CHECK("ptr: NULL mem, (0, 0) is NULL", gmem_io_ptr(vm, 0, 0, false) == NULL);
    CHECK("ptr: NULL mem, (0, 1) is NULL", gmem_io_ptr(vm, 0, 1, false) == NULL);
    CHECK("ptr: NULL mem, (4096, 4096) is NULL", gmem_io_ptr(vm, 4096, 4096, false) == NULL);
    vm->mem_size = 0;
    CHECK("ptr: NULL mem and size 0, (0, 0) is NULL", gmem_io_ptr(vm, 0, 0, false) == NULL);

    /* The public wrapper and gmem_user_ptr: in range and on ring-3 pages only. */
    vm->mem = mem;
    vm->mem_size = sz;
    uint8_t *perm = malloc(sz / 4096);
    memset(perm, PG_P | PG_U | PG_W, sz / 4096);
    perm[1] = PG_P | PG_W;          /* a supervisor page, like the GDT */
    perm[3] = PG_P | PG_U;          /* read-only, like text */
    vm->page_perm = NULL;
    CHECK("ptr: no page map, nothing is user memory", gmem_io_ptr(vm, 0x2000, 8, false) == NULL);
    vm->page_perm = perm;
    CHECK("ptr: ukmon_vm_guest_ptr in range",
          ukmon_vm_guest_ptr(vm, 0x2000, 8) == mem + 0x2000);
    CHECK("ptr: ukmon_vm_guest_ptr out of range",
          ukmon_vm_guest_ptr(vm, sz - 4, 8) == NULL);
    CHECK("ptr: a supervisor page is refused", ukmon_vm_guest_ptr(vm, 0x1000, 8) == NULL);
    CHECK("ptr: a range ending in a supervisor page is refused",
          gmem_io_ptr(vm, 0xff8, 16, false) == NULL);
    CHECK("ptr: a read-only page may be read", gmem_io_ptr(vm, 0x3000, 8, false) == mem + 0x3000);
    CHECK("ptr: a read-only page may not be written", gmem_io_ptr(vm, 0x3000, 8, true) == NULL);
    CHECK("ptr: a range crossing into a read-only page may not be written",
          gmem_io_ptr(vm, 0x2ff0, 32, true) == NULL);
    CHECK("ptr: a writable range is writable", gmem_io_ptr(vm, 0x4000, 8192, true) == mem + 0x4000);
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
    vm->page_perm = malloc(sz / 4096);
    if (vm->page_perm)
        memset(vm->page_perm, PG_P | PG_U | PG_W, sz / 4096);
    CHECK("ptr 4 GiB: (0, 4 GiB) is mem", gmem_io_ptr(vm, 0, sz, false) == m);
    CHECK("ptr 4 GiB: (1, 4 GiB) is NULL", gmem_io_ptr(vm, 1, sz, false) == NULL);
    CHECK("ptr 4 GiB: (4 GiB-1, 1) is mem + 4 GiB - 1", gmem_io_ptr(vm, sz - 1, 1, false) == m + sz - 1);
    CHECK("ptr 4 GiB: (4 GiB, 0) is mem + 4 GiB", gmem_io_ptr(vm, sz, 0, false) == m + sz);
    CHECK("ptr 4 GiB: (4 GiB, 1) is NULL", gmem_io_ptr(vm, sz, 1, false) == NULL);
    CHECK("ptr 4 GiB: (2 GiB, 2 GiB) is mem + 2 GiB", gmem_io_ptr(vm, 2 * GIB, 2 * GIB, false) == m + 2 * GIB);
    CHECK("ptr 4 GiB: (2 GiB, 2 GiB + 1) is NULL", gmem_io_ptr(vm, 2 * GIB, 2 * GIB + 1, false) == NULL);
    CHECK("ptr 4 GiB: (UINT64_MAX - 4 GiB + 1, 4 GiB) is NULL",
          gmem_io_ptr(vm, UINT64_MAX - sz + 1, sz, false) == NULL);
    free(vm->page_perm);
    munmap(mem, sz);
    free(vm);
}

/*
 * The copies over memory that faults: a PROT_NONE page in the middle, and a shared
 * file mapping whose file shrank. Every case must come back as -EFAULT in this process.
 */
static void test_fault_safe(void)
{
    const uint64_t sz = 16 * MIB;
    struct ukmon_vm *vm = ukmon_vm_new(NULL);
    if (!vm || gmem_alloc(vm, sz) != 0) {
        CHECKF("copy: set up", false, "gmem_alloc failed");
        ukmon_vm_free(vm);
        return;
    }
    /* A fresh page map says nothing is the guest's: these pages are, as a program's. */
    memset(vm->page_perm, PG_P | PG_U | PG_W, sz / 4096);
    uint64_t a = 4 * MIB, b = a + 4096, c = b + 4096; /* a and c ordinary, b the trap */
    uint8_t buf[3 * 4096], pat[8192];
    memset(pat, 0x5a, sizeof(pat));
    CHECK("copy: write to ordinary pages", gmem_write(vm, a, pat, 4096) == 0);
    CHECK("copy: read it back", gmem_read(vm, buf, a, 4096) == 0 && buf[4095] == 0x5a);

    /* PROT_NONE on the host while page_perm still says readable: a layer out of step. */
    mprotect(vm->mem + b, 4096, PROT_NONE);
    CHECK("copy: read across a PROT_NONE page is EFAULT", gmem_read(vm, buf, a, 3 * 4096) == -EFAULT);
    CHECK("copy: write across a PROT_NONE page is EFAULT", gmem_write(vm, a, pat, 8192) == -EFAULT);
    CHECK("copy: a string running into a PROT_NONE page is EFAULT",
          (gmem_write(vm, b - 3, "abc", 3), gmem_read_str(vm, b - 3, (char *)buf, 100)) == -EFAULT);
    CHECK("copy: a string ending before it is read whole",
          (gmem_write(vm, b - 3, "ab", 3), gmem_read_str(vm, b - 3, (char *)buf, 100)) == 2 &&
          strcmp((char *)buf, "ab") == 0);
    CHECK("copy: a move from a PROT_NONE page is EFAULT", gmem_move(vm, c, b, 4096) == -EFAULT);
    mprotect(vm->mem + b, 4096, PROT_READ | PROT_WRITE);

    /* A shared file mapping, then the file cut to nothing: its pages raise SIGBUS. */
    char path[] = "/tmp/test_gmem.XXXXXX";
    int fd = mkstemp(path);
    bool mapped = fd >= 0 && ftruncate(fd, 2 * 4096) == 0 &&
                  as_map_file(vm, b, b + 2 * 4096, PG_P | PG_U | PG_W | PG_M, fd, 0, true) == 0;
    CHECK("copy: a file mapped shared", mapped);
    if (mapped) {
        CHECK("copy: its pages read while the file is long enough", gmem_read(vm, buf, b, 4096) == 0);
        CHECK("copy: truncate", ftruncate(fd, 0) == 0);
        CHECK("copy: read past the file's new end is EFAULT", gmem_read(vm, buf, b, 8) == -EFAULT);
        CHECK("copy: write past it is EFAULT", gmem_write(vm, b + 4096, pat, 8) == -EFAULT);
        CHECK("copy: a path there is EFAULT", gmem_read_str(vm, b, (char *)buf, 4096) == -EFAULT);
        CHECK("copy: ordinary pages still work after", gmem_read(vm, buf, a, 4096) == 0);
    }
    if (fd >= 0) {
        close(fd);
        unlink(path);
    }

    /* A move: contents and per-page protections go along, the old range is a hole. */
    uint64_t from = 8 * MIB, to = 10 * MIB;
    as_replace(vm, from, from + 2 * 4096, PG_P | PG_U | PG_W | PG_M);
    gmem_write(vm, from, pat, 8192);
    as_protect(vm, from + 4096, from + 2 * 4096, PG_M);
    CHECK("move: as_move", as_move(vm, from, 2 * 4096, to, 3 * 4096) == 0);
    CHECK("move: the contents came along", gmem_read(vm, buf, to, 4096) == 0 && buf[0] == 0x5a);
    CHECK("move: the PROT_NONE page stayed PROT_NONE", gmem_read(vm, buf, to + 4096, 1) == -EFAULT);
    CHECK("move: the old range is gone", gmem_read(vm, buf, from, 1) == -EFAULT);

    /* A fault outside the copies still ends the process, as before. */
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        mprotect(vm->mem + b, 4096, PROT_NONE);
        *(volatile int *)(vm->mem + b) = 1; /* in guest memory, but not through the layer */
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECKF("copy: a fault elsewhere still kills with SIGSEGV", WIFSIGNALED(st) &&
           WTERMSIG(st) == SIGSEGV, "status %#x", st);
    ukmon_vm_free(vm);
}

int main(void)
{
    test_range_ok();
    test_range_exhaustive();
    test_ptr();
    test_ptr_4g();
    test_fault_safe();
    return unit_done();
}
