/*
 * fuzz_elf.c: libFuzzer target for elf_check_image(), the validator every unikernel
 * image goes through, and elf_load_segments(), which trusts its verdict.
 *
 * Each input is validated as a whole ELF file against three guest memory sizes
 * (8 MiB, 64 MiB, 4 GiB). When an image is accepted, the harness checks what the
 * loader relies on (every segment inside [GL_LOAD_MIN, mem_size), its file bytes
 * inside the input, filesz <= memsz, no two segments sharing a byte, the entry in an
 * executable segment, lo/hi right) and that a larger guest memory never turns an
 * accepted image into a rejected or different one. Then the segments are copied into
 * a 4 GiB MAP_NORESERVE stand-in for guest memory and compared with the file; the
 * touched pages are handed back to the kernel afterwards so RSS stays small.
 *
 * The image is an exactly-sized heap copy of the input, compared with the input at
 * the end: reads past its end are caught by AddressSanitizer, writes to it here.
 * Any broken invariant is a __builtin_trap(), which libFuzzer reports as a crash.
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kvm/vmm.h"

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "fuzz_elf: invariant broken at %s:%d: %s\n", __FILE__,     \
                    __LINE__, #cond);                                                  \
            __builtin_trap();                                                          \
        }                                                                              \
    } while (0)

static const uint64_t mem_sizes[] = {8ULL << 20, 64ULL << 20, 4ULL << 30};
#define NSIZES (sizeof(mem_sizes) / sizeof(mem_sizes[0]))

/* The largest guest memory, reserved once; nothing is committed until touched. */
static uint8_t *guest;

static void check_accepted(const struct elf_image *img, size_t size, uint64_t mem_size)
{
    CHECK(img->nseg >= 1 && img->nseg <= sizeof(img->seg) / sizeof(img->seg[0]));
    uint64_t lo = UINT64_MAX, hi = 0;
    bool entry_ok = false;
    for (unsigned i = 0; i < img->nseg; i++) {
        const struct elf_seg *s = &img->seg[i];
        uint64_t end, fend;
        CHECK(s->memsz > 0);
        CHECK(s->filesz <= s->memsz);
        CHECK(s->vaddr >= GL_LOAD_MIN);
        CHECK(!__builtin_add_overflow(s->vaddr, s->memsz, &end) && end <= mem_size);
        CHECK(!__builtin_add_overflow(s->offset, s->filesz, &fend) && fend <= size);
        CHECK(!((s->flags & PF_W) && (s->flags & PF_X)));
        if (s->vaddr < lo)
            lo = s->vaddr;
        if (end > hi)
            hi = end;
        if ((s->flags & PF_X) && img->entry >= s->vaddr && img->entry < end)
            entry_ok = true;
        for (unsigned j = i + 1; j < img->nseg; j++) {
            const struct elf_seg *t = &img->seg[j];
            CHECK(end <= t->vaddr || t->vaddr + t->memsz <= s->vaddr);
        }
    }
    CHECK(entry_ok);
    CHECK(img->lo == lo && img->hi == hi);
    CHECK(img->lo >= GL_LOAD_MIN && img->hi <= mem_size);
}

static void copy_and_compare(const struct elf_image *img, const uint8_t *data)
{
    elf_load_segments(img, data, -1, guest);
    /* Segments do not overlap, so no later copy may have overwritten an earlier one. */
    for (unsigned i = 0; i < img->nseg; i++) {
        const struct elf_seg *s = &img->seg[i];
        CHECK(memcmp(guest + s->vaddr, data + s->offset, s->filesz) == 0);
    }
    /* Give the pages back (they read as zero again) so the next input starts clean. */
    for (unsigned i = 0; i < img->nseg; i++) {
        const struct elf_seg *s = &img->seg[i];
        if (s->filesz == 0)
            continue;
        uint64_t a = s->vaddr & ~(PAGE_SIZE_4K - 1);
        uint64_t b = (s->vaddr + s->filesz + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
        madvise(guest + a, b - a, MADV_DONTNEED);
    }
}

/* Field by field: struct elf_seg has padding that a compound literal need not zero. */
static bool same_image(const struct elf_image *a, const struct elf_image *b)
{
    if (a->entry != b->entry || a->lo != b->lo || a->hi != b->hi || a->nseg != b->nseg)
        return false;
    for (unsigned i = 0; i < a->nseg; i++) {
        const struct elf_seg *x = &a->seg[i], *y = &b->seg[i];
        if (x->vaddr != y->vaddr || x->memsz != y->memsz || x->filesz != y->filesz ||
            x->offset != y->offset || x->flags != y->flags)
            return false;
    }
    return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    void *p = mmap(NULL, mem_sizes[NSIZES - 1], PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        perror("fuzz_elf: mmap of the guest memory stand-in");
        __builtin_trap();
    }
    guest = p;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
    /* An exactly-sized heap copy: ASan sees any read past the end, and libelf gets a
     * buffer whose every byte is compared with the input afterwards (the image is
     * const to the embedder: elf_memory() must not write to it). */
    uint8_t *data = malloc(size ? size : 1);
    CHECK(data != NULL);
    memcpy(data, input, size);
    struct elf_image img[NSIZES];
    int rc[NSIZES];
    for (size_t k = 0; k < NSIZES; k++) {
        char err[256];
        memset(err, 0x55, sizeof(err));
        rc[k] = elf_check_image(data, size, mem_sizes[k], &img[k], err, sizeof(err));
        CHECK(rc[k] == 0 || rc[k] == UKMON_EBADELF || rc[k] == UKMON_EABI);
        if (rc[k] != 0) {
            /* The message must be a terminated, non-empty string inside the buffer. */
            CHECK(memchr(err, 0, sizeof(err)) != NULL);
            CHECK(err[0] != 0);
            continue;
        }
        check_accepted(&img[k], size, mem_sizes[k]);
        copy_and_compare(&img[k], data);
    }
    /* More guest memory never rejects an image a smaller one accepted, nor changes it. */
    for (size_t k = 0; k + 1 < NSIZES; k++) {
        if (rc[k] != 0)
            continue;
        CHECK(rc[k + 1] == 0);
        CHECK(same_image(&img[k], &img[k + 1]));
    }
    /* Apart from the memory bound, the verdict kind does not depend on the size. */
    if (rc[0] == UKMON_EABI)
        CHECK(rc[1] == UKMON_EABI && rc[2] == UKMON_EABI);
    CHECK(memcmp(data, input, size) == 0);
    free(data);
    return 0;
}
