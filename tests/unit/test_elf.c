/*
 * test_elf.c: unit tests of elf_check_image(), the validator every unikernel goes
 * through before a byte of it reaches guest memory.
 *
 * A valid minimal unikernel is built in memory (ELF header, an R+X PT_LOAD holding
 * the entry, an RW PT_LOAD, a PT_NOTE with the ukmon ABI note); each case changes one
 * thing and checks the verdict, the error code and the message. Every call gets its
 * own exactly-sized heap copy of the image, so that a read past the end is caught by
 * AddressSanitizer, and the copy is compared afterwards to prove it was not written.
 * A randomized loop ends the file.
 */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm/vmm.h"
#include "unit.h"

#define MEM (8ULL << 20)           /* guest memory used by most cases */
#define IMG_CAP 16384              /* room for every variant of the image */

/* Layout of the valid image. */
#define PH_OFF 64                  /* program headers right after the ELF header */
#define PH_CAP 24                  /* headers that fit before the file data */
#define TEXT_OFF 0x600
#define TEXT_FILESZ 16
#define DATA_OFF 0x610
#define DATA_FILESZ 16
#define NOTE_OFF 0x620
#define NOTE_SIZE 24               /* 12-byte header, "ukmon\0" padded to 8, 4-byte desc */
#define BASE_SIZE (NOTE_OFF + NOTE_SIZE)

#define TEXT_VA 0x200000ULL        /* = GL_LOAD_MIN */
#define TEXT_MEMSZ 0x1000ULL
#define DATA_VA 0x201000ULL
#define DATA_MEMSZ 0x2000ULL
#define ENTRY (TEXT_VA + 4)

/* Indexes of the three headers of the valid image. */
enum { PH_TEXT = 0, PH_DATA = 1, PH_NOTE = 2 };

/* An image being built; b is heap memory, so it may be viewed as ELF structures. */
struct img {
    uint8_t *b;
    size_t size;
    size_t phoff;                  /* where the headers really are (e_phoff may lie) */
};

static struct img im;

static Elf64_Ehdr *EH(void)
{
    return (Elf64_Ehdr *)(void *)im.b;
}

static Elf64_Phdr *PH(size_t i)
{
    return (Elf64_Phdr *)(void *)(im.b + im.phoff) + i;
}

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

/*
 * Writes one note at p: the sizes in its header are namesz/descsz as given (they may
 * lie), the bytes are name (namelen) and desc (desclen), each padded to 4. Returns the
 * bytes written.
 */
static size_t put_note(uint8_t *p, uint32_t namesz, uint32_t descsz, uint32_t type,
                       const char *name, size_t namelen, const void *desc, size_t desclen)
{
    uint32_t h[3] = { namesz, descsz, type };
    memcpy(p, h, sizeof(h));
    size_t off = sizeof(h);
    memset(p + off, 0, pad4(namelen));
    memcpy(p + off, name, namelen);
    off += pad4(namelen);
    memset(p + off, 0, pad4(desclen));
    memcpy(p + off, desc, desclen);
    return off + pad4(desclen);
}

/* The ukmon ABI note carrying `version`. */
static size_t put_abi_note(uint8_t *p, uint32_t version)
{
    return put_note(p, sizeof(UKMON_NOTE_NAME), 4, UKMON_NOTE_TYPE_ABI, UKMON_NOTE_NAME,
                    sizeof(UKMON_NOTE_NAME), &version, 4);
}

static void set_ph(Elf64_Phdr *p, uint32_t type, uint32_t flags, uint64_t off, uint64_t va,
                   uint64_t filesz, uint64_t memsz, uint64_t align)
{
    *p = (Elf64_Phdr){
        .p_type = type, .p_flags = flags, .p_offset = off, .p_vaddr = va, .p_paddr = va,
        .p_filesz = filesz, .p_memsz = memsz, .p_align = align,
    };
}

/* Rebuilds the valid image in im. */
static void img_valid(void)
{
    memset(im.b, 0, IMG_CAP);
    im.phoff = PH_OFF;
    im.size = BASE_SIZE;

    Elf64_Ehdr *e = EH();
    memcpy(e->e_ident, ELFMAG, SELFMAG);
    e->e_ident[EI_CLASS] = ELFCLASS64;
    e->e_ident[EI_DATA] = ELFDATA2LSB;
    e->e_ident[EI_VERSION] = EV_CURRENT;
    e->e_ident[EI_OSABI] = ELFOSABI_SYSV;
    e->e_type = ET_EXEC;
    e->e_machine = EM_X86_64;
    e->e_version = EV_CURRENT;
    e->e_entry = ENTRY;
    e->e_phoff = PH_OFF;
    e->e_shoff = 0;
    e->e_ehsize = sizeof(Elf64_Ehdr);
    e->e_phentsize = sizeof(Elf64_Phdr);
    e->e_phnum = 3;
    e->e_shentsize = sizeof(Elf64_Shdr);
    e->e_shnum = 0;
    e->e_shstrndx = SHN_UNDEF;

    /* A few bytes of "code" (nop; nop; nop; nop; hlt; jmp .-1) and of data. */
    static const uint8_t text[TEXT_FILESZ] = { 0x90, 0x90, 0x90, 0x90, 0xf4, 0xeb, 0xfd };
    memcpy(im.b + TEXT_OFF, text, sizeof(text));
    memcpy(im.b + DATA_OFF, "ukmon unit data", DATA_FILESZ);
    put_abi_note(im.b + NOTE_OFF, UKMON_ABI_VERSION);

    set_ph(PH(PH_TEXT), PT_LOAD, PF_R | PF_X, TEXT_OFF, TEXT_VA, TEXT_FILESZ, TEXT_MEMSZ,
           0x1000);
    set_ph(PH(PH_DATA), PT_LOAD, PF_R | PF_W, DATA_OFF, DATA_VA, DATA_FILESZ, DATA_MEMSZ,
           0x1000);
    set_ph(PH(PH_NOTE), PT_NOTE, PF_R, NOTE_OFF, 0, NOTE_SIZE, NOTE_SIZE, 4);
}

/* Appends a zeroed program header to the table (which must have room) and counts it. */
static Elf64_Phdr *add_ph(void)
{
    if (im.phoff == PH_OFF && EH()->e_phnum >= PH_CAP)
        abort();                             /* would run into the file data */
    Elf64_Phdr *p = PH(EH()->e_phnum++);
    memset(p, 0, sizeof(*p));
    return p;
}

/*
 * Moves the program header table to the end of the file with room for `n` headers
 * (the new ones zeroed, i.e. PT_NULL); e_phnum becomes n.
 */
static void phdrs_to_end(size_t n)
{
    size_t old = EH()->e_phnum, at = align8(im.size);
    if (at + n * sizeof(Elf64_Phdr) > IMG_CAP)
        abort();
    memset(im.b + im.size, 0, at - im.size + n * sizeof(Elf64_Phdr));
    memcpy(im.b + at, im.b + im.phoff, (old < n ? old : n) * sizeof(Elf64_Phdr));
    memset(im.b + im.phoff, 0, old * sizeof(Elf64_Phdr));
    im.phoff = at;
    im.size = at + n * sizeof(Elf64_Phdr);
    EH()->e_phoff = at;
    EH()->e_phnum = (Elf64_Half)n;
}

/* Appends bytes to the file (8-aligned); returns their offset. */
static size_t append(const void *p, size_t len)
{
    size_t at = align8(im.size);
    if (at + len > IMG_CAP)
        abort();
    memset(im.b + im.size, 0, at - im.size);
    memcpy(im.b + at, p, len);
    im.size = at + len;
    return at;
}

/* ---- running the validator ---- */

struct verdict {
    int rc;
    bool modified;               /* the validator wrote into the image */
    bool placement;              /* the verdict changed with where the image lies */
    char err[256];
    struct elf_image out;
};

/*
 * A read-only window whose end touches an inaccessible page: an image copied so that
 * it ends there makes any read past its end fault, in libelf too (which AddressSanitizer
 * does not instrument).
 */
static uint8_t *guard_base;
static size_t guard_len;

static void guard_init(void)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    guard_len = (IMG_CAP + pg - 1) / pg * pg;
    void *p = mmap(NULL, guard_len + pg, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || mprotect((uint8_t *)p + guard_len, pg, PROT_NONE) != 0) {
        perror("test_elf: guard page");
        exit(1);
    }
    guard_base = p;
}

static bool same_image(const struct elf_image *a, const struct elf_image *b)
{
    if (a->entry != b->entry || a->lo != b->lo || a->hi != b->hi || a->nseg != b->nseg)
        return false;
    for (unsigned i = 0; i < a->nseg && i < 16; i++) {
        const struct elf_seg *x = &a->seg[i], *y = &b->seg[i];
        if (x->vaddr != y->vaddr || x->memsz != y->memsz || x->filesz != y->filesz ||
            x->offset != y->offset || x->flags != y->flags)
            return false;
    }
    return true;
}

/*
 * Checks `size` bytes of `data` twice: from an exactly-sized heap copy (reads past it
 * are caught by AddressSanitizer) and from read-only memory ending at a guard page. Both
 * verdicts must agree; the first is returned.
 */
static void run_buf(const void *data, size_t size, uint64_t mem, struct verdict *v)
{
    static uint8_t zero_len_dummy;
    uint8_t *copy = calloc(1, size);    /* calloc: 0 bytes are "initialized" too */
    if (!copy && size)
        abort();
    if (!copy)
        copy = &zero_len_dummy;
    if (size)
        memcpy(copy, data, size);
    memset(v->err, 'X', sizeof(v->err) - 1);
    v->err[sizeof(v->err) - 1] = '\0';
    v->rc = elf_check_image(copy, size, mem, &v->out, v->err, sizeof(v->err));
    v->modified = size && memcmp(copy, data, size) != 0;
    if (copy != &zero_len_dummy)
        free(copy);

    if (size > guard_len)
        abort();
    uint8_t *g = guard_base + guard_len - size;
    mprotect(guard_base, guard_len, PROT_READ | PROT_WRITE);
    memcpy(g, data, size);
    mprotect(guard_base, guard_len, PROT_READ);
    char err2[sizeof(v->err)] = "";
    struct elf_image out2;
    int rc2 = elf_check_image(g, size, mem, &out2, err2, sizeof(err2));
    v->placement = rc2 != v->rc || (rc2 != 0 && strcmp(err2, v->err) != 0) ||
                   (rc2 == 0 && !same_image(&out2, &v->out));
}

static const char *rc_name(int rc)
{
    static char buf[32];
    switch (rc) {
    case 0:
        return "0 (accepted)";
    case UKMON_EBADELF:
        return "UKMON_EBADELF";
    case UKMON_EABI:
        return "UKMON_EABI";
    default:
        snprintf(buf, sizeof(buf), "%d", rc);
        return buf;
    }
}

/* The message was written: not empty, NUL-terminated, not the 'X' filler. */
static bool err_written(const struct verdict *v)
{
    size_t n = strlen(v->err);
    return n > 0 && n < sizeof(v->err) - 1 && v->err[0] != 'X';
}

/* One case expecting rejection with `code` and a message containing s1 (and s2). */
static bool expect_bad_buf(const char *name, const void *data, size_t size, uint64_t mem, int code,
                       const char *s1, const char *s2)
{
    struct verdict v;
    run_buf(data, size, mem, &v);
    if (v.modified)
        return CHECKF(name, false, "the image was modified");
    if (v.placement)
        return CHECKF(name, false, "verdict differs with the image's placement");
    if (v.rc != code)
        return CHECKF(name, false, "returned %s, want %s; message \"%s\"", rc_name(v.rc),
                      rc_name(code), v.rc ? v.err : "");
    if (!err_written(&v))
        return CHECKF(name, false, "no error message");
    if ((s1 && !strstr(v.err, s1)) || (s2 && !strstr(v.err, s2)))
        return CHECKF(name, false, "message \"%s\" lacks \"%s\"", v.err,
                      s1 && !strstr(v.err, s1) ? s1 : s2);
    if (getenv("UNIT_VERBOSE"))              /* the messages, for a human to read */
        fprintf(stderr, "# %s: %s\n", name, v.err);
    return CHECKF(name, true, " ");
}

static bool expect_bad(const char *name, uint64_t mem, int code, const char *s1, const char *s2)
{
    return expect_bad_buf(name, im.b, im.size, mem, code, s1, s2);
}

/* Runs the current image expecting acceptance; the result is left in *v. */
static bool expect_ok_v(const char *name, uint64_t mem, struct verdict *v)
{
    run_buf(im.b, im.size, mem, v);
    if (v->modified)
        return CHECKF(name, false, "the image was modified");
    if (v->placement)
        return CHECKF(name, false, "verdict differs with the image's placement");
    return CHECKF(name, v->rc == 0, "returned %s: \"%s\"", rc_name(v->rc), v->err);
}

static bool expect_ok(const char *name, uint64_t mem)
{
    struct verdict v;
    return expect_ok_v(name, mem, &v);
}

/* ---- cases ---- */

static void test_valid(void)
{
    struct verdict v;
    img_valid();
    if (!expect_ok_v("valid: minimal unikernel is accepted", MEM, &v))
        return;
    const struct elf_image *o = &v.out;
    CHECKF("valid: entry, bounds and segments reported", o->entry == ENTRY &&
           o->nseg == 2 && o->lo == TEXT_VA && o->hi == DATA_VA + DATA_MEMSZ,
           "entry 0x%llx nseg %u lo 0x%llx hi 0x%llx", (unsigned long long)o->entry,
           o->nseg, (unsigned long long)o->lo, (unsigned long long)o->hi);
    const struct elf_seg *t = &o->seg[0], *d = &o->seg[1];
    CHECK("valid: text segment described", t->vaddr == TEXT_VA && t->memsz == TEXT_MEMSZ &&
          t->filesz == TEXT_FILESZ && t->offset == TEXT_OFF && t->flags == (PF_R | PF_X));
    CHECK("valid: data segment described", d->vaddr == DATA_VA && d->memsz == DATA_MEMSZ &&
          d->filesz == DATA_FILESZ && d->offset == DATA_OFF && d->flags == (PF_R | PF_W));

    /* elf_load_segments (no file: a copy) puts the file bytes at their guest addresses. */
    uint8_t *mem = calloc(1, MEM);
    if (mem) {
        elf_load_segments(o, im.b, -1, mem);
        CHECK("valid: elf_load_segments places text and data",
              memcmp(mem + TEXT_VA, im.b + TEXT_OFF, TEXT_FILESZ) == 0 &&
              memcmp(mem + DATA_VA, im.b + DATA_OFF, DATA_FILESZ) == 0 &&
              mem[TEXT_VA + TEXT_FILESZ] == 0 && mem[DATA_VA + DATA_FILESZ] == 0);
        free(mem);
    }

    /* In read-only memory, ending right before an inaccessible page. */
    long pg = sysconf(_SC_PAGESIZE);
    uint8_t *map = mmap(NULL, 2 * (size_t)pg, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) {
        CHECKF("valid: read-only image before a guard page", false, "mmap failed");
    } else {
        uint8_t *at = map + pg - im.size;
        memcpy(at, im.b, im.size);
        mprotect(map, (size_t)pg, PROT_READ);
        mprotect(map + pg, (size_t)pg, PROT_NONE);
        char err[256] = "";
        struct elf_image out;
        int rc = elf_check_image(at, im.size, MEM, &out, err, sizeof(err));
        CHECKF("valid: read-only image before a guard page", rc == 0, "returned %s: %s",
               rc_name(rc), err);
        munmap(map, 2 * (size_t)pg);
    }

    /* Variations that must still be accepted. */
    img_valid();
    expect_ok("valid: 4 GiB guest memory", 4ULL << 30);

    img_valid();
    EH()->e_entry = TEXT_VA + TEXT_MEMSZ - 1;
    expect_ok("valid: entry on the last byte of the text segment", MEM);

    img_valid();
    EH()->e_entry = TEXT_VA + TEXT_MEMSZ - 1;
    PH(PH_TEXT)->p_filesz = 0;
    expect_ok("valid: entry in the zero-filled part of the text segment", MEM);

    img_valid();
    PH(PH_DATA)->p_vaddr = PH(PH_DATA)->p_paddr = MEM - DATA_MEMSZ;
    expect_ok("valid: segment ending exactly at the end of guest memory", MEM);

    img_valid();
    PH(PH_TEXT)->p_offset = BASE_SIZE - TEXT_FILESZ;
    expect_ok("valid: segment file data ending exactly at end of file", MEM);

    img_valid();
    PH(PH_DATA)->p_filesz = 0;
    expect_ok("valid: segment with no file data (bss only)", MEM);

    img_valid();
    set_ph(add_ph(), PT_LOAD, PF_R | PF_W | PF_X, UINT64_MAX, 0, 0, 0, 0);
    PH(3)->p_paddr = 12345;
    if (expect_ok_v("valid: zero-memsz PT_LOAD is ignored (even at 0, RWX, bad offset)", MEM,
                 &v))
        CHECKF("valid: zero-memsz PT_LOAD is not counted", v.out.nseg == 2, "nseg %u",
               v.out.nseg);

    img_valid();
    set_ph(add_ph(), PT_TLS, PF_R, DATA_OFF, DATA_VA, 8, 16, 8);
    set_ph(add_ph(), PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16);
    set_ph(add_ph(), PT_PHDR, PF_R, PH_OFF, 0, 0, 0, 8);
    set_ph(add_ph(), PT_NULL, 0, 0, 0, 0, 0, 0);
    expect_ok("valid: PT_TLS, PT_GNU_STACK, PT_PHDR and PT_NULL are allowed", MEM);

    img_valid();
    PH(PH_TEXT)->p_memsz = 0x100;
    set_ph(add_ph(), PT_LOAD, PF_R, TEXT_OFF, TEXT_VA + 0x100, 0, 0x100, 0x1000);
    expect_ok("valid: read-only segment sharing a page with the text segment", MEM);

    img_valid();
    PH(PH_TEXT)->p_memsz = 0x100;
    set_ph(add_ph(), PT_LOAD, PF_R, TEXT_OFF, TEXT_VA + 0x100, 0, 0x1000, 0x1000);
    PH(PH_DATA)->p_vaddr = PH(PH_DATA)->p_paddr = TEXT_VA + 0x1100;
    expect_ok("valid: R+X, R and RW chained over shared pages (no page both W and X)", MEM);

    img_valid();
    PH(PH_DATA)->p_vaddr = PH(PH_DATA)->p_paddr = DATA_VA + 0x10000;
    expect_ok("valid: a hole between the segments", MEM);

    img_valid();
    PH(PH_DATA)->p_vaddr = PH(PH_DATA)->p_paddr = TEXT_VA;
    PH(PH_TEXT)->p_vaddr = PH(PH_TEXT)->p_paddr = TEXT_VA + 0x10000;
    EH()->e_entry = TEXT_VA + 0x10000;
    if (expect_ok_v("valid: segments in descending address order", MEM, &v))
        CHECK("valid: lo/hi with descending segments",
              v.out.lo == TEXT_VA && v.out.hi == TEXT_VA + 0x10000 + TEXT_MEMSZ);

    /* A GNU build-id note before the ABI note, in the same segment. */
    img_valid();
    {
        uint8_t notes[64];
        uint8_t id[20];
        memset(id, 0xab, sizeof(id));
        size_t n = put_note(notes, 4, sizeof(id), NT_GNU_BUILD_ID, "GNU", 4, id, sizeof(id));
        n += put_abi_note(notes + n, UKMON_ABI_VERSION);
        size_t at = append(notes, n);
        PH(PH_NOTE)->p_offset = at;
        PH(PH_NOTE)->p_filesz = PH(PH_NOTE)->p_memsz = n;
    }
    expect_ok("valid: ABI note after another note in the same segment", MEM);

    /* The ABI note in a second PT_NOTE segment, the first having none. */
    img_valid();
    {
        uint8_t note[32];
        uint8_t id[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
        size_t n = put_note(note, 4, sizeof(id), NT_GNU_BUILD_ID, "GNU", 4, id, sizeof(id));
        size_t at = append(note, n);
        PH(PH_NOTE)->p_offset = at;
        PH(PH_NOTE)->p_filesz = n;
        set_ph(add_ph(), PT_NOTE, PF_R, NOTE_OFF, 0, NOTE_SIZE, NOTE_SIZE, 4);
    }
    expect_ok("valid: ABI note in the second PT_NOTE segment", MEM);

    img_valid();
    phdrs_to_end(3);
    expect_ok("valid: program headers at the end of the file", MEM);

    img_valid();
    phdrs_to_end(64);
    expect_ok("valid: 64 program headers (the maximum)", MEM);

    img_valid();
    phdrs_to_end(16 + 1);
    for (size_t i = 0; i < 14; i++)
        set_ph(PH(3 + i), PT_LOAD, PF_R, 0, 0x300000 + i * 0x1000, 0, 0x1000, 0x1000);
    if (expect_ok_v("valid: 16 loadable segments (the maximum)", MEM, &v))
        CHECKF("valid: 16 segments reported", v.out.nseg == 16, "nseg %u", v.out.nseg);
}

static void test_header(void)
{
    static const uint8_t magic3[3] = { 0x7f, 'E', 'L' };

    img_valid();
    expect_bad_buf("header: empty file", im.b, 0, MEM, UKMON_EBADELF, "not an ELF file", NULL);
    expect_bad_buf("header: 3 bytes", magic3, sizeof(magic3), MEM, UKMON_EBADELF,
               "not an ELF file", NULL);
    expect_bad_buf("header: 4 bytes of magic only", im.b, 4, MEM, UKMON_EBADELF,
               "not an ELF file", NULL);
    expect_bad_buf("header: EI_NIDENT - 1 bytes", im.b, EI_NIDENT - 1, MEM, UKMON_EBADELF,
               "not an ELF file", NULL);
    expect_bad_buf("header: e_ident only (16 bytes)", im.b, EI_NIDENT, MEM, UKMON_EBADELF,
               NULL, NULL);
    expect_bad_buf("header: truncated ELF header (40 bytes)", im.b, 40, MEM, UKMON_EBADELF,
               NULL, NULL);
    expect_bad_buf("header: ELF header only (64 bytes)", im.b, sizeof(Elf64_Ehdr), MEM,
               UKMON_EBADELF, NULL, NULL);
    expect_bad_buf("header: program headers cut short", im.b, PH_OFF + 2 * sizeof(Elf64_Phdr) + 20,
               MEM, UKMON_EBADELF, NULL, NULL);

    img_valid();
    im.b[0] = 0x7e;
    expect_bad("header: not ELF magic (first byte)", MEM, UKMON_EBADELF, "not an ELF file", NULL);
    img_valid();
    im.b[3] = 'f';
    expect_bad("header: not ELF magic (last byte)", MEM, UKMON_EBADELF, "not an ELF file", NULL);
    expect_bad_buf("header: a text file", "#!/bin/sh\necho hello, world\n", 28, MEM,
               UKMON_EBADELF, "not an ELF file", NULL);

    img_valid();
    EH()->e_ident[EI_CLASS] = ELFCLASS32;
    expect_bad("header: 32-bit class", MEM, UKMON_EBADELF, "64-bit little-endian", NULL);
    img_valid();
    EH()->e_ident[EI_CLASS] = ELFCLASSNONE;
    expect_bad("header: class none", MEM, UKMON_EBADELF, NULL, NULL);
    img_valid();
    EH()->e_ident[EI_CLASS] = 3;
    expect_bad("header: class 3 (invalid)", MEM, UKMON_EBADELF, NULL, NULL);
    img_valid();
    EH()->e_ident[EI_DATA] = ELFDATA2MSB;
    expect_bad("header: big-endian", MEM, UKMON_EBADELF, "little-endian", NULL);
    img_valid();
    EH()->e_ident[EI_DATA] = ELFDATANONE;
    expect_bad("header: data encoding none", MEM, UKMON_EBADELF, NULL, NULL);

    img_valid();
    EH()->e_machine = EM_386;
    expect_bad("header: machine EM_386", MEM, UKMON_EBADELF, "x86-64", "machine 3)");
    img_valid();
    EH()->e_machine = EM_AARCH64;
    expect_bad("header: machine EM_AARCH64", MEM, UKMON_EBADELF, "x86-64", "machine 183");
    img_valid();
    EH()->e_machine = EM_NONE;
    expect_bad("header: machine EM_NONE", MEM, UKMON_EBADELF, "machine 0", NULL);

    img_valid();
    EH()->e_version = EV_NONE;
    expect_bad("header: e_version 0", MEM, UKMON_EBADELF, "version", NULL);
    img_valid();
    EH()->e_version = 2;
    expect_bad("header: e_version 2", MEM, UKMON_EBADELF, "version", NULL);
    img_valid();
    EH()->e_ident[EI_VERSION] = EV_NONE;
    expect_bad("header: EI_VERSION 0", MEM, UKMON_EBADELF, NULL, NULL);

    img_valid();
    EH()->e_type = ET_DYN;
    expect_bad("header: ET_DYN (PIE)", MEM, UKMON_EBADELF, "-no-pie", "position-independent");
    img_valid();
    EH()->e_type = ET_REL;
    expect_bad("header: ET_REL", MEM, UKMON_EBADELF, "not an executable", "type 1)");
    img_valid();
    EH()->e_type = ET_CORE;
    expect_bad("header: ET_CORE", MEM, UKMON_EBADELF, "not an executable", "type 4)");
    img_valid();
    EH()->e_type = ET_NONE;
    expect_bad("header: ET_NONE", MEM, UKMON_EBADELF, "not an executable", NULL);

    img_valid();
    EH()->e_phentsize = 32;
    expect_bad("header: e_phentsize 32", MEM, UKMON_EBADELF, "entry size 32", NULL);
    img_valid();
    EH()->e_phentsize = 0;
    expect_bad("header: e_phentsize 0", MEM, UKMON_EBADELF, "entry size 0", NULL);
    img_valid();
    EH()->e_phentsize = 64;
    expect_bad("header: e_phentsize 64", MEM, UKMON_EBADELF, "entry size 64", NULL);
}

static void test_phdr_table(void)
{
    img_valid();
    EH()->e_phoff = im.size + 8;
    expect_bad("phdrs: e_phoff past the end of the file", MEM, UKMON_EBADELF, "program header",
           NULL);
    img_valid();
    EH()->e_phoff = im.size;
    expect_bad("phdrs: e_phoff exactly at the end of the file", MEM, UKMON_EBADELF,
           "program header", NULL);
    img_valid();
    EH()->e_phoff = UINT64_MAX - 7;
    expect_bad("phdrs: e_phoff near UINT64_MAX", MEM, UKMON_EBADELF, "program header", NULL);
    img_valid();
    EH()->e_phoff = 0;
    expect_bad("phdrs: e_phoff 0", MEM, UKMON_EBADELF, "program header", NULL);

    img_valid();
    EH()->e_phnum = 0xffff;
    EH()->e_phoff = im.size - 8;
    expect_bad("phdrs: e_phnum 0xffff with e_phoff near the end", MEM, UKMON_EBADELF, NULL, NULL);
    img_valid();
    EH()->e_phnum = 0xfffe;
    EH()->e_phoff = im.size - sizeof(Elf64_Phdr) - 8;
    expect_bad("phdrs: e_phnum 0xfffe with room for one header", MEM, UKMON_EBADELF, NULL, NULL);

    img_valid();
    EH()->e_phnum = 0;
    expect_bad("phdrs: e_phnum 0", MEM, UKMON_EBADELF, "no program headers", NULL);

    img_valid();
    phdrs_to_end(65);
    expect_bad("phdrs: 65 program headers", MEM, UKMON_EBADELF, "too many program headers", NULL);

    /*
     * A table that claims more headers than the file holds is malformed. (libelf's
     * elf_getphdrnum() silently lowers the count to what fits in the file.)
     */
    img_valid();
    phdrs_to_end(3);
    EH()->e_phnum = 4;
    expect_bad("phdrs: e_phnum one more than the file holds", MEM, UKMON_EBADELF, NULL, NULL);

    img_valid();
    phdrs_to_end(3);
    EH()->e_phnum = 0xffff;
    expect_bad("phdrs: e_phnum 0xffff (PN_XNUM) without section 0, table at the end", MEM,
           UKMON_EBADELF, NULL, NULL);

    img_valid();
    EH()->e_phnum = 0xffff;
    expect_bad("phdrs: e_phnum 0xffff (PN_XNUM) without section 0, table at the start", MEM,
           UKMON_EBADELF, NULL, NULL);

    img_valid();
    phdrs_to_end(4);
    set_ph(PH(3), PT_INTERP, PF_R, DATA_OFF, 0, 16, 16, 1);
    im.size -= 1;
    expect_bad("phdrs: file cut inside the last header (a PT_INTERP)", MEM, UKMON_EBADELF, NULL,
           NULL);
}

static void test_segment_types(void)
{
    img_valid();
    set_ph(add_ph(), PT_INTERP, PF_R, DATA_OFF, 0, 16, 16, 1);
    expect_bad("types: PT_INTERP", MEM, UKMON_EBADELF, "dynamically linked", NULL);

    img_valid();
    PH(PH_NOTE)->p_type = PT_INTERP;
    expect_bad("types: PT_INTERP instead of the note (a Linux program, then)", MEM,
               UKMON_EBADELF, "(PT_INTERP) is not an absolute path", NULL);

    img_valid();
    set_ph(add_ph(), PT_DYNAMIC, PF_R | PF_W, DATA_OFF, DATA_VA, 16, 16, 8);
    expect_bad("types: PT_DYNAMIC", MEM, UKMON_EBADELF, "dynamically linked", NULL);
}

static void test_load(void)
{
    img_valid();
    PH(PH_DATA)->p_filesz = PH(PH_DATA)->p_memsz + 1;
    expect_bad("load: p_filesz > p_memsz", MEM, UKMON_EBADELF, "file size exceeds memory size",
           NULL);

    img_valid();
    PH(PH_TEXT)->p_offset = im.size - TEXT_FILESZ + 1;
    expect_bad("load: p_offset + p_filesz one past EOF", MEM, UKMON_EBADELF,
           "past the end of the file", NULL);
    img_valid();
    PH(PH_DATA)->p_offset = im.size + 0x1000;
    expect_bad("load: p_offset past EOF", MEM, UKMON_EBADELF, "past the end of the file", NULL);
    img_valid();
    PH(PH_DATA)->p_filesz = PH(PH_DATA)->p_memsz;
    expect_bad("load: p_filesz larger than the file", MEM, UKMON_EBADELF,
           "past the end of the file", NULL);
    img_valid();
    PH(PH_TEXT)->p_offset = UINT64_MAX - 7;
    expect_bad("load: p_offset near UINT64_MAX (offset + filesz overflows)", MEM, UKMON_EBADELF,
           "past the end of the file", NULL);
    img_valid();
    PH(PH_TEXT)->p_offset = UINT64_MAX - TEXT_FILESZ + 1;
    expect_bad("load: p_offset + p_filesz == 2^64 exactly", MEM, UKMON_EBADELF,
           "past the end of the file", NULL);
    img_valid();
    PH(PH_DATA)->p_filesz = PH(PH_DATA)->p_memsz = UINT64_MAX;
    expect_bad("load: p_filesz UINT64_MAX", MEM, UKMON_EBADELF, "past the end of the file", NULL);

    img_valid();
    PH(PH_DATA)->p_vaddr = PH(PH_DATA)->p_paddr = UINT64_MAX - 0xfff;
    expect_bad("load: p_vaddr near UINT64_MAX (vaddr + memsz overflows)", MEM, UKMON_EBADELF,
           "outside guest memory", NULL);
    img_valid();
    PH(PH_DATA)->p_vaddr = PH(PH_DATA)->p_paddr = 0 - DATA_MEMSZ;
    expect_bad("load: p_vaddr + p_memsz == 2^64 exactly", MEM, UKMON_EBADELF,
           "outside guest memory", NULL);
    img_valid();
    PH(PH_DATA)->p_memsz = UINT64_MAX - 0x100;
    expect_bad("load: p_memsz near UINT64_MAX", MEM, UKMON_EBADELF, "outside guest memory", NULL);

    img_valid();
    PH(PH_DATA)->p_vaddr = PH(PH_DATA)->p_paddr = MEM - DATA_MEMSZ + 1;
    expect_bad("load: segment one byte past guest memory", MEM, UKMON_EBADELF,
           "outside guest memory", "try --mem");
    img_valid();
    PH(PH_DATA)->p_vaddr = PH(PH_DATA)->p_paddr = MEM;
    expect_bad("load: segment starting at the end of guest memory", MEM, UKMON_EBADELF,
           "outside guest memory", NULL);
    img_valid();
    PH(PH_DATA)->p_vaddr = PH(PH_DATA)->p_paddr = 1ULL << 32;
    expect_bad("load: segment at 4 GiB", 4ULL << 30, UKMON_EBADELF, "outside guest memory", NULL);
    img_valid();
    PH(PH_DATA)->p_memsz = MEM;
    expect_bad("load: bss larger than guest memory", MEM, UKMON_EBADELF, "outside guest memory",
           NULL);
    img_valid();
    expect_bad("load: guest memory smaller than the image (2 MiB)", 2ULL << 20, UKMON_EBADELF,
           "outside guest memory", NULL);
    img_valid();
    expect_bad("load: guest memory size 0", 0, UKMON_EBADELF, "outside guest memory", NULL);

    img_valid();
    PH(PH_DATA)->p_vaddr = PH(PH_DATA)->p_paddr = 0x1000;
    expect_bad("load: segment at 0x1000 (below GL_LOAD_MIN)", MEM, UKMON_EBADELF,
           "reserved area", NULL);
    img_valid();
    PH(PH_DATA)->p_vaddr = PH(PH_DATA)->p_paddr = 0;
    expect_bad("load: segment at 0", MEM, UKMON_EBADELF, "reserved area", NULL);
    img_valid();
    PH(PH_DATA)->p_vaddr = PH(PH_DATA)->p_paddr = GL_LOAD_MIN - 0x1000;
    expect_bad("load: segment straddling GL_LOAD_MIN", MEM, UKMON_EBADELF, "reserved area", NULL);
    img_valid();
    PH(PH_DATA)->p_vaddr = PH(PH_DATA)->p_paddr = GL_LOAD_MIN - 1;
    PH(PH_DATA)->p_memsz = 1;
    PH(PH_DATA)->p_filesz = 1;
    expect_bad("load: one byte just below GL_LOAD_MIN", MEM, UKMON_EBADELF, "reserved area", NULL);
    img_valid();
    PH(PH_TEXT)->p_vaddr = PH(PH_TEXT)->p_paddr = GL_BOOT_INFO;
    EH()->e_entry = GL_BOOT_INFO;
    expect_bad("load: text over the boot info page", MEM, UKMON_EBADELF, "reserved area", NULL);

    img_valid();
    PH(PH_TEXT)->p_flags = PF_R | PF_W | PF_X;
    expect_bad("load: W+X text segment", MEM, UKMON_EBADELF, "both writable and executable",
           NULL);
    img_valid();
    PH(PH_DATA)->p_flags = PF_W | PF_X;
    expect_bad("load: W+X data segment (no R)", MEM, UKMON_EBADELF,
           "both writable and executable", NULL);

    img_valid();
    PH(PH_TEXT)->p_paddr = 0;
    expect_bad("load: p_paddr 0 != p_vaddr", MEM, UKMON_EBADELF, "physical and virtual", NULL);
    img_valid();
    PH(PH_DATA)->p_paddr = DATA_VA + 0x1000;
    expect_bad("load: p_paddr one page above p_vaddr", MEM, UKMON_EBADELF,
           "physical and virtual", NULL);

    img_valid();
    phdrs_to_end(17 + 1);
    for (size_t i = 0; i < 15; i++)
        set_ph(PH(3 + i), PT_LOAD, PF_R, 0, 0x300000 + i * 0x1000, 0, 0x1000, 0x1000);
    expect_bad("load: 17 loadable segments", MEM, UKMON_EBADELF, "too many loadable segments",
           NULL);

    img_valid();
    phdrs_to_end(40);
    for (size_t i = 3; i < 40; i++)
        set_ph(PH(i), PT_LOAD, PF_R, 0, 0x300000 + i * 0x1000, 0, 0x1000, 0x1000);
    expect_bad("load: 39 loadable segments", MEM, UKMON_EBADELF, "too many loadable segments",
           NULL);
}

static void test_layout(void)
{
    img_valid();
    set_ph(add_ph(), PT_LOAD, PF_R, TEXT_OFF, TEXT_VA + TEXT_MEMSZ - 0x100, 0, 0x200, 0x1000);
    expect_bad("layout: two overlapping read-only/executable segments", MEM, UKMON_EBADELF,
           "overlap", NULL);
    img_valid();
    set_ph(add_ph(), PT_LOAD, PF_R | PF_X, TEXT_OFF, TEXT_VA, TEXT_FILESZ, TEXT_MEMSZ,
           0x1000);
    expect_bad("layout: the same segment twice", MEM, UKMON_EBADELF, "overlap", NULL);
    img_valid();
    set_ph(add_ph(), PT_LOAD, PF_R, 0, DATA_VA + 0x800, 0, 0x10, 0x1000);
    expect_bad("layout: small segment inside another", MEM, UKMON_EBADELF, "overlap", NULL);
    img_valid();
    PH(PH_TEXT)->p_memsz = TEXT_MEMSZ + 1;
    expect_bad("layout: segments overlapping by one byte", MEM, UKMON_EBADELF, "overlap", NULL);

    img_valid();
    PH(PH_TEXT)->p_memsz = 0x100;
    PH(PH_DATA)->p_vaddr = PH(PH_DATA)->p_paddr = TEXT_VA + 0xf00;
    expect_bad("layout: RW and R+X segments sharing a 4 KiB page", MEM, UKMON_EBADELF,
           "share a page", NULL);
    img_valid();
    PH(PH_TEXT)->p_memsz = TEXT_MEMSZ + 1;
    PH(PH_DATA)->p_vaddr = PH(PH_DATA)->p_paddr = DATA_VA + 1;
    expect_bad("layout: RW segment starting on the text segment's last page", MEM,
           UKMON_EBADELF, "share a page", NULL);
    img_valid();
    PH(PH_DATA)->p_vaddr = PH(PH_DATA)->p_paddr = TEXT_VA - DATA_MEMSZ + 0x1000 + 0x100 +
        0x100000;
    PH(PH_TEXT)->p_vaddr = PH(PH_TEXT)->p_paddr = TEXT_VA + 0x100000 + 0x1000 + 0x100;
    EH()->e_entry = PH(PH_TEXT)->p_vaddr;
    expect_bad("layout: RW segment below sharing a page with R+X above", MEM, UKMON_EBADELF,
           "share a page", NULL);

    img_valid();
    EH()->e_entry = 0x100000;
    expect_bad("layout: entry below any segment", MEM, UKMON_EBADELF, "entry point", NULL);
    img_valid();
    EH()->e_entry = 0;
    expect_bad("layout: entry 0", MEM, UKMON_EBADELF, "entry point", NULL);
    img_valid();
    EH()->e_entry = DATA_VA + DATA_MEMSZ;
    expect_bad("layout: entry just past the last segment", MEM, UKMON_EBADELF, "entry point",
           NULL);
    img_valid();
    EH()->e_entry = UINT64_MAX;
    expect_bad("layout: entry UINT64_MAX", MEM, UKMON_EBADELF, "entry point", NULL);
    img_valid();
    EH()->e_entry = TEXT_VA + TEXT_MEMSZ;
    expect_bad("layout: entry one past the text segment (in data)", MEM, UKMON_EBADELF,
           "entry point", NULL);
    img_valid();
    EH()->e_entry = DATA_VA + 8;
    expect_bad("layout: entry in the non-executable data segment", MEM, UKMON_EBADELF,
           "entry point", NULL);
    img_valid();
    PH(PH_TEXT)->p_flags = PF_R;
    expect_bad("layout: no executable segment at all", MEM, UKMON_EBADELF, "entry point", NULL);
    img_valid();
    set_ph(add_ph(), PT_LOAD, PF_R | PF_X, 0, 0x300000, 0, 0, 0x1000);
    EH()->e_entry = 0x300000;
    expect_bad("layout: entry in a zero-memsz executable segment", MEM, UKMON_EBADELF,
           "entry point", NULL);
    img_valid();
    PH(PH_TEXT)->p_type = PT_NULL;
    PH(PH_DATA)->p_type = PT_NULL;
    expect_bad("layout: no loadable segment", MEM, UKMON_EBADELF, "no loadable segment", NULL);
    img_valid();
    PH(PH_TEXT)->p_memsz = 0;
    PH(PH_TEXT)->p_filesz = 0;
    PH(PH_DATA)->p_memsz = 0;
    PH(PH_DATA)->p_filesz = 0;
    expect_bad("layout: only zero-memsz PT_LOADs", MEM, UKMON_EBADELF, "no loadable segment",
           NULL);
}

/* Replaces the note segment's contents with `len` bytes appended to the file. */
static void set_note_bytes(const void *p, size_t len)
{
    size_t at = append(p, len);
    PH(PH_NOTE)->p_offset = at;
    PH(PH_NOTE)->p_filesz = PH(PH_NOTE)->p_memsz = len;
}

static void test_note(void)
{
    uint8_t n[64];
    uint32_t v2 = 2;

    img_valid();
    PH(PH_NOTE)->p_type = PT_NULL;
    expect_bad("note: missing PT_NOTE", MEM, UKMON_EBADELF, "not a ukmon unikernel", NULL);
    img_valid();
    EH()->e_phnum = 2;
    expect_bad("note: missing PT_NOTE (phnum 2)", MEM, UKMON_EBADELF, "not a ukmon unikernel",
           NULL);
    img_valid();
    PH(PH_NOTE)->p_filesz = 0;
    expect_bad("note: empty PT_NOTE", MEM, UKMON_EBADELF, "not a ukmon unikernel", NULL);

    img_valid();
    put_abi_note(im.b + NOTE_OFF, UKMON_ABI_MIN);
    expect_ok("note: the oldest ABI still run (UKMON_ABI_MIN)", MEM);
    char mine[32];
    snprintf(mine, sizeof(mine), "speaks ABI %u", UKMON_ABI_VERSION);
    img_valid();
    put_abi_note(im.b + NOTE_OFF, UKMON_ABI_VERSION + 1);
    {
        char want[32];
        snprintf(want, sizeof(want), "ABI %u", UKMON_ABI_VERSION + 1);
        char have[32];
        snprintf(have, sizeof(have), "ABI %u", UKMON_ABI_VERSION);
        expect_bad("note: ABI version UKMON_ABI_VERSION + 1", MEM, UKMON_EABI, want, have);
    }
    img_valid();
    put_abi_note(im.b + NOTE_OFF, UINT32_MAX);
    expect_bad("note: ABI version 0xffffffff", MEM, UKMON_EABI, "ABI 4294967295", mine);
    img_valid();
    put_abi_note(im.b + NOTE_OFF, 0);
    expect_bad("note: ABI version 0", MEM, UKMON_EABI, "ABI 0", mine);

    img_valid();
    put_note(im.b + NOTE_OFF, 0xffffffffu, 4, UKMON_NOTE_TYPE_ABI, "ukmon", 6, &v2, 4);
    expect_bad("note: namesz 0xffffffff", MEM, UKMON_EBADELF, "not a ukmon unikernel", NULL);
    img_valid();
    put_note(im.b + NOTE_OFF, 0xfffffffdu, 4, UKMON_NOTE_TYPE_ABI, "ukmon", 6, &v2, 4);
    expect_bad("note: namesz 0xfffffffd (pads to 2^32)", MEM, UKMON_EBADELF,
           "not a ukmon unikernel", NULL);
    img_valid();
    put_note(im.b + NOTE_OFF, 6, 0xffffffffu, UKMON_NOTE_TYPE_ABI, "ukmon", 6, &v2, 4);
    expect_bad("note: descsz 0xffffffff", MEM, UKMON_EBADELF, "malformed ukmon ABI note", NULL);
    img_valid();
    put_note(im.b + NOTE_OFF, 6, 0xfffffffdu, UKMON_NOTE_TYPE_ABI, "ukmon", 6, &v2, 4);
    expect_bad("note: descsz 0xfffffffd (pads to 2^32)", MEM, UKMON_EBADELF,
           "malformed ukmon ABI note", NULL);
    img_valid();
    put_note(im.b + NOTE_OFF, 9, 4, UKMON_NOTE_TYPE_ABI, "ukmon", 6, &v2, 4);
    expect_bad("note: namesz 9 (desc then runs past the segment)", MEM, UKMON_EBADELF,
           "malformed ukmon ABI note", NULL);
    img_valid();
    put_note(im.b + NOTE_OFF, 6, 5, UKMON_NOTE_TYPE_ABI, "ukmon", 6, &v2, 4);
    expect_bad("note: descsz 5 (pads past the segment)", MEM, UKMON_EBADELF,
           "malformed ukmon ABI note", NULL);

    /* Huge sizes in a note at the very end of the file, the segment ending with it. */
    img_valid();
    {
        size_t len = put_note(n, 0xfffffff0u, 0xfffffff0u, UKMON_NOTE_TYPE_ABI, "ukmon", 6,
                              &v2, 4);
        set_note_bytes(n, len);
    }
    expect_bad("note: huge namesz and descsz at the end of the file", MEM, UKMON_EBADELF,
           "not a ukmon unikernel", NULL);
    img_valid();
    {
        uint32_t h[3] = { 6, 4, UKMON_NOTE_TYPE_ABI };
        set_note_bytes(h, sizeof(h));
    }
    expect_bad("note: header only, name and desc missing", MEM, UKMON_EBADELF,
           "not a ukmon unikernel", NULL);
    img_valid();
    set_note_bytes(im.b + NOTE_OFF, NOTE_SIZE - 1);
    expect_bad("note: segment one byte short of the desc", MEM, UKMON_EBADELF,
           "malformed ukmon ABI note", NULL);
    img_valid();
    set_note_bytes(im.b + NOTE_OFF, 11);
    expect_bad("note: segment shorter than a note header", MEM, UKMON_EBADELF,
           "not a ukmon unikernel", NULL);

    img_valid();
    {
        uint32_t ver = UKMON_ABI_VERSION;
        put_note(im.b + NOTE_OFF, 6, 4, UKMON_NOTE_TYPE_ABI, "ukmoX", 6, &ver, 4);
    }
    expect_bad("note: wrong name \"ukmoX\"", MEM, UKMON_EBADELF, "not a ukmon unikernel", NULL);
    img_valid();
    {
        uint32_t ver = UKMON_ABI_VERSION;
        put_note(im.b + NOTE_OFF, 5, 4, UKMON_NOTE_TYPE_ABI, "ukmon", 5, &ver, 4);
    }
    expect_bad("note: name \"ukmon\" without its NUL (namesz 5)", MEM, UKMON_EBADELF,
           "malformed ukmon ABI note", NULL);
    img_valid();
    {
        uint32_t ver = UKMON_ABI_VERSION;
        put_note(im.b + NOTE_OFF, 6, 4, UKMON_NOTE_TYPE_ABI + 1, "ukmon", 6, &ver, 4);
    }
    expect_bad("note: wrong type", MEM, UKMON_EBADELF, "malformed ukmon ABI note", NULL);
    img_valid();
    {
        uint64_t ver = UKMON_ABI_VERSION;
        size_t len = put_note(n, 6, 8, UKMON_NOTE_TYPE_ABI, "ukmon", 6, &ver, 8);
        set_note_bytes(n, len);
    }
    expect_bad("note: descsz 8", MEM, UKMON_EBADELF, "malformed ukmon ABI note", NULL);
    img_valid();
    {
        uint16_t ver = UKMON_ABI_VERSION;
        size_t len = put_note(n, 6, 2, UKMON_NOTE_TYPE_ABI, "ukmon", 6, &ver, 2);
        set_note_bytes(n, len);
    }
    expect_bad("note: descsz 2", MEM, UKMON_EBADELF, "malformed ukmon ABI note", NULL);

    img_valid();
    PH(PH_NOTE)->p_offset = im.size - 8;
    expect_bad("note: segment past the end of the file", MEM, UKMON_EBADELF, "note segment",
           NULL);
    img_valid();
    PH(PH_NOTE)->p_offset = UINT64_MAX - 3;
    expect_bad("note: p_offset near UINT64_MAX", MEM, UKMON_EBADELF, "note segment", NULL);
    img_valid();
    PH(PH_NOTE)->p_filesz = UINT64_MAX;
    expect_bad("note: p_filesz UINT64_MAX", MEM, UKMON_EBADELF, "note segment", NULL);

    /* A bad note before the ABI note, its sizes running past the segment. */
    img_valid();
    {
        size_t len = put_note(n, 4, 0x1000, NT_GNU_BUILD_ID, "GNU", 4, "", 0);
        len += put_abi_note(n + len, UKMON_ABI_VERSION);
        set_note_bytes(n, len);
    }
    expect_bad("note: a note whose desc runs past the segment hides the ABI note", MEM,
           UKMON_EBADELF, "not a ukmon unikernel", NULL);
}

/*
 * The valid image turned into a static Linux program: no ABI note, and a read-only
 * PT_LOAD at offset 0 that holds the ELF and program headers (AT_PHDR points there).
 */
#define LX_HDR_VA 0x400000ULL
static void img_linux(void)
{
    img_valid();
    set_ph(PH(PH_NOTE), PT_LOAD, PF_R, 0, LX_HDR_VA, PH_OFF + 4 * sizeof(Elf64_Phdr),
           PH_OFF + 4 * sizeof(Elf64_Phdr), 0x1000);
}

static void test_linux(void)
{
    struct verdict v;
    img_linux();
    if (expect_ok_v("linux: static ET_EXEC without the note", MEM, &v))
        CHECKF("linux: kind, headers and entry reported", v.out.kind == ELF_LINUX &&
               v.out.phdr == LX_HDR_VA + PH_OFF && v.out.phnum == 3 && v.out.bias == 0 &&
               v.out.entry == ENTRY, "kind %d phdr %#llx phnum %u", v.out.kind,
               (unsigned long long)v.out.phdr, v.out.phnum);
    img_valid();
    if (expect_ok_v("linux: the unikernel stays native", MEM, &v))
        CHECK("linux: unikernel kind and ABI reported",
              v.out.kind == ELF_UKMON && v.out.abi == UKMON_ABI_VERSION);

    img_linux();
    PH(PH_NOTE)->p_offset = PH_OFF + sizeof(Elf64_Phdr); /* no longer holds the headers */
    expect_bad("linux: program headers not loaded", MEM, UKMON_EBADELF, "not a ukmon unikernel",
               "program headers are not in a loadable segment");

    img_linux();
    size_t at = append("/lib64/ld-linux-x86-64.so.2", 28);
    set_ph(add_ph(), PT_INTERP, PF_R, at, 0, 28, 28, 1);
    if (expect_ok_v("linux: a dynamically linked program (PT_INTERP)", MEM, &v))
        CHECKF("linux: PT_INTERP names the interpreter, the program stays where it is",
               !strcmp(v.out.interp, "/lib64/ld-linux-x86-64.so.2") && v.out.bias == 0 &&
               !v.out.relocatable, "interp '%s' bias %#llx", v.out.interp,
               (unsigned long long)v.out.bias);
    img_linux();
    EH()->e_type = ET_DYN;
    at = append("/lib/ld-musl-x86_64.so.1", 25);
    set_ph(add_ph(), PT_INTERP, PF_R, at, 0, 25, 25, 1);
    if (expect_ok_v("linux: a dynamically linked PIE", MEM, &v))
        CHECKF("linux: a PIE with an interpreter is placed at ELF_PIE_BASE",
               !strcmp(v.out.interp, "/lib/ld-musl-x86_64.so.1") && v.out.relocatable &&
               v.out.bias == ELF_PIE_BASE - TEXT_VA, "interp '%s' bias %#llx", v.out.interp,
               (unsigned long long)v.out.bias);
    img_linux();
    static const char odd[] = "/lib/\x01\x7f\n-weird";
    at = append(odd, sizeof(odd) - 1);
    set_ph(add_ph(), PT_INTERP, PF_R, at, 0, sizeof(odd) - 1, sizeof(odd) - 1, 1);
    expect_bad("linux: an interpreter name without NUL", MEM, UKMON_EBADELF,
               "malformed interpreter name", NULL);
    img_linux();
    static const char rel[] = "lib/\x01\x7f\n-weird";
    at = append(rel, sizeof(rel));
    set_ph(add_ph(), PT_INTERP, PF_R, at, 0, sizeof(rel), sizeof(rel), 1);
    expect_bad("linux: a relative interpreter, unprintable, is shown safely", MEM,
               UKMON_EBADELF, "interpreter 'lib/?\?\?-weird' (PT_INTERP) is not an absolute path",
               NULL);
    img_linux();
    at = append("", 1);
    set_ph(add_ph(), PT_INTERP, PF_R, at, 0, 1, 1, 1);
    expect_bad("linux: an empty interpreter name", MEM, UKMON_EBADELF,
               "malformed interpreter name", NULL);
    img_linux();
    static char longname[ELF_INTERP_MAX + 1];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[0] = '/';
    at = append(longname, sizeof(longname));
    set_ph(add_ph(), PT_INTERP, PF_R, at, 0, sizeof(longname), sizeof(longname), 1);
    expect_bad("linux: an interpreter name too long", MEM, UKMON_EBADELF, "longer than", NULL);
    img_linux();
    at = append("/lib64/ld-linux-x86-64.so.2", 28);
    set_ph(add_ph(), PT_INTERP, PF_R, at, 0, 28, 28, 1);
    set_ph(add_ph(), PT_INTERP, PF_R, at, 0, 28, 28, 1);
    expect_bad("linux: two interpreters", MEM, UKMON_EBADELF, "two interpreters", NULL);
    img_linux();
    set_ph(add_ph(), PT_INTERP, PF_R, 0xfffffff0, 0, 64, 64, 1);
    expect_bad("linux: PT_INTERP past the end of the file", MEM, UKMON_EBADELF,
               "past the end of the file", NULL);

    img_linux();
    set_ph(add_ph(), PT_DYNAMIC, PF_R | PF_W, DATA_OFF, DATA_VA, 16, 16, 8);
    expect_bad("linux: ET_EXEC with PT_DYNAMIC but no interpreter", MEM, UKMON_EBADELF,
               "no interpreter", NULL);

    img_linux();
    EH()->e_type = ET_DYN;
    set_ph(add_ph(), PT_DYNAMIC, PF_R | PF_W, DATA_OFF, DATA_VA, 16, 16, 8);
    if (expect_ok_v("linux: static-pie (ET_DYN, no interpreter)", MEM, &v)) {
        uint64_t bias = ELF_PIE_BASE - TEXT_VA; /* the lowest page lands at ELF_PIE_BASE */
        CHECKF("linux: static-pie placed at ELF_PIE_BASE", v.out.bias == bias &&
               v.out.entry == ENTRY + bias && v.out.lo == TEXT_VA + bias &&
               v.out.phdr == LX_HDR_VA + bias + PH_OFF, "bias %#llx entry %#llx",
               (unsigned long long)v.out.bias, (unsigned long long)v.out.entry);
    }
    img_linux();
    EH()->e_type = ET_DYN;
    expect_bad("linux: static-pie too big for memory once placed", 4ULL << 20, UKMON_EBADELF,
               "outside guest memory", NULL);

    img_linux();
    EH()->e_ident[EI_OSABI] = ELFOSABI_FREEBSD;
    expect_bad("linux: another OS's executable", MEM, UKMON_EBADELF,
               "not a Linux or ukmon program (OS ABI 9)", NULL);
    img_linux();
    EH()->e_ident[EI_OSABI] = ELFOSABI_GNU;
    expect_ok("linux: OS ABI GNU/Linux", MEM);

    img_linux();
    set_ph(add_ph(), PT_GNU_STACK, PF_R | PF_W | PF_X, 0, 0, 0, 0, 16);
    if (expect_ok_v("linux: PT_GNU_STACK asking for an executable stack", MEM, &v))
        CHECK("linux: executable stack reported", v.out.exec_stack);
    img_linux();
    PH(PH_TEXT)->p_flags = PF_R | PF_W | PF_X;
    expect_bad("linux: a writable and executable segment", MEM, UKMON_EBADELF,
               "both writable and executable", NULL);
}

static void test_err_buffer(void)
{
    struct elf_image out;
    img_valid();
    EH()->e_machine = EM_AARCH64;
    int rc = elf_check_image(im.b, im.size, MEM, &out, NULL, 0);
    CHECKF("err: NULL buffer of length 0 (bad ELF)", rc == UKMON_EBADELF, "returned %s",
           rc_name(rc));
    img_valid();
    put_abi_note(im.b + NOTE_OFF, 7);
    rc = elf_check_image(im.b, im.size, MEM, &out, NULL, 0);
    CHECKF("err: NULL buffer of length 0 (other ABI)", rc == UKMON_EABI, "returned %s",
           rc_name(rc));

    char small[8];
    memset(small, 'X', sizeof(small));
    img_valid();
    EH()->e_type = ET_DYN;
    rc = elf_check_image(im.b, im.size, MEM, &out, small, sizeof(small));
    CHECKF("err: message truncated to a small buffer", rc == UKMON_EBADELF &&
           memchr(small, '\0', sizeof(small)) == small + sizeof(small) - 1,
           "returned %s, buffer \"%.8s\"", rc_name(rc), small);
}

/* ---- randomized robustness ---- */

static uint64_t rng_state = 0x756b6d6f6e2d7531ULL;  /* fixed seed */

static uint64_t rng(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint64_t interesting(size_t size)
{
    static const uint64_t v[] = {
        0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 0x38, 0x40, 0xff, 0x100, 0xfff, 0x1000, 0x7fff,
        0xffff, 0x10000, GL_LOAD_MIN - 1, GL_LOAD_MIN, GL_LOAD_MIN + 1, MEM - 1, MEM,
        MEM + 1, 0x7fffffff, 0x80000000, 0xfffffffd, 0xffffffff, 1ULL << 32, 1ULL << 63,
        UINT64_MAX - 0xfff, UINT64_MAX - 7, UINT64_MAX - 1, UINT64_MAX,
        PT_LOAD, PT_NOTE, PT_INTERP, PT_DYNAMIC, PT_TLS, PF_R | PF_W | PF_X,
    };
    uint64_t r = rng() % (sizeof(v) / sizeof(v[0]) + 4);
    switch (r) {
    case 0:
        return size;
    case 1:
        return size - 1;
    case 2:
        return rng() % (size + 64);
    case 3:
        return GL_LOAD_MIN + rng() % (MEM - GL_LOAD_MIN + 0x10000);
    default:
        return v[r - 4];
    }
}

/* Offsets and widths of the fields worth aiming at in a header or note. */
struct field {
    uint16_t off, width;
};

static const struct field ehdr_fields[] = {
    { 4, 1 }, { 5, 1 }, { 6, 1 }, { 7, 1 },
    { offsetof(Elf64_Ehdr, e_type), 2 }, { offsetof(Elf64_Ehdr, e_machine), 2 },
    { offsetof(Elf64_Ehdr, e_version), 4 }, { offsetof(Elf64_Ehdr, e_entry), 8 },
    { offsetof(Elf64_Ehdr, e_phoff), 8 }, { offsetof(Elf64_Ehdr, e_shoff), 8 },
    { offsetof(Elf64_Ehdr, e_ehsize), 2 }, { offsetof(Elf64_Ehdr, e_phentsize), 2 },
    { offsetof(Elf64_Ehdr, e_phnum), 2 }, { offsetof(Elf64_Ehdr, e_shentsize), 2 },
    { offsetof(Elf64_Ehdr, e_shnum), 2 }, { offsetof(Elf64_Ehdr, e_shstrndx), 2 },
};

static const struct field phdr_fields[] = {
    { offsetof(Elf64_Phdr, p_type), 4 }, { offsetof(Elf64_Phdr, p_flags), 4 },
    { offsetof(Elf64_Phdr, p_offset), 8 }, { offsetof(Elf64_Phdr, p_vaddr), 8 },
    { offsetof(Elf64_Phdr, p_paddr), 8 }, { offsetof(Elf64_Phdr, p_filesz), 8 },
    { offsetof(Elf64_Phdr, p_memsz), 8 }, { offsetof(Elf64_Phdr, p_align), 8 },
};

static void put_field(uint8_t *b, size_t size, size_t off, unsigned width, uint64_t val)
{
    if (off + width > size)
        return;
    memcpy(b + off, &val, width);    /* little-endian host: the low bytes */
}

/* Applies one random change to b[0..*size). */
static void mutate(uint8_t *b, size_t *size, size_t phoff, unsigned phnum, size_t noteoff)
{
    size_t sz = *size;
    switch (rng() % 9) {
    case 0:                                  /* flip bits of a random byte */
        b[rng() % sz] ^= (uint8_t)(1u << (rng() % 8));
        break;
    case 1:                                  /* random byte */
        b[rng() % sz] = (uint8_t)rng();
        break;
    case 2: {                                /* an ELF header field */
        const struct field *f = &ehdr_fields[rng() % (sizeof(ehdr_fields) /
                                                      sizeof(ehdr_fields[0]))];
        put_field(b, sz, f->off, f->width, interesting(sz));
        break;
    }
    case 3:
    case 4: {                                /* a program header field */
        const struct field *f = &phdr_fields[rng() % (sizeof(phdr_fields) /
                                                      sizeof(phdr_fields[0]))];
        put_field(b, sz, phoff + (rng() % phnum) * sizeof(Elf64_Phdr) + f->off, f->width,
                  interesting(sz));
        break;
    }
    case 5:                                  /* a note header word */
        put_field(b, sz, noteoff + 4 * (rng() % 3), 4, interesting(sz));
        break;
    case 6:                                  /* small change to a program header field */
    {
        const struct field *f = &phdr_fields[2 + rng() % 5];
        size_t off = phoff + (rng() % phnum) * sizeof(Elf64_Phdr) + f->off;
        if (off + 8 <= sz) {
            uint64_t x;
            memcpy(&x, b + off, 8);
            x += (uint64_t)((int64_t)(rng() % 8193) - 4096);
            memcpy(b + off, &x, 8);
        }
        break;
    }
    case 7:                                  /* truncate */
        if (rng() % 4 == 0)
            *size = rng() % sz + 1;
        break;
    default:                                 /* random 8 bytes anywhere aligned */
        if (sz >= 8)
            put_field(b, sz, (rng() % (sz / 8)) * 8, 8, rng());
        break;
    }
}

struct seed_img {
    uint8_t *b;
    size_t size, phoff, noteoff;
    unsigned phnum;
};

/* The invariants every accepted image must satisfy. NULL when they hold. */
static const char *accepted_ok(const struct elf_image *o, size_t size, uint64_t mem,
                               uint64_t entry)
{
    if (o->nseg == 0 || o->nseg > 16)
        return "segment count out of range";
    bool entry_ok = false;
    for (unsigned i = 0; i < o->nseg; i++) {
        const struct elf_seg *s = &o->seg[i];
        uint64_t end;
        if (s->memsz == 0)
            return "zero-memsz segment kept";
        if (s->vaddr < GL_LOAD_MIN)
            return "segment below GL_LOAD_MIN";
        if (__builtin_add_overflow(s->vaddr, s->memsz, &end) || end > mem)
            return "segment beyond guest memory";
        if (s->filesz > s->memsz)
            return "filesz > memsz";
        if (__builtin_add_overflow(s->offset, s->filesz, &end) || end > size)
            return "file data beyond the file";
        if ((s->flags & PF_W) && (s->flags & PF_X))
            return "W+X segment";
        if (s->vaddr < o->lo || s->vaddr + s->memsz > o->hi)
            return "lo/hi do not cover a segment";
        if ((s->flags & PF_X) && entry >= s->vaddr && entry - s->vaddr < s->memsz)
            entry_ok = true;
        for (unsigned j = 0; j < i; j++) {
            const struct elf_seg *t = &o->seg[j];
            if (s->vaddr < t->vaddr + t->memsz && t->vaddr < s->vaddr + s->memsz)
                return "overlapping segments";
        }
    }
    if (!entry_ok || o->entry != entry)
        return "entry not in an executable segment";
    if (o->lo < GL_LOAD_MIN || o->hi > mem)
        return "lo/hi outside [GL_LOAD_MIN, mem_size)";
    return NULL;
}

static void test_random(void)
{
    enum { ITERATIONS = 20000, NSEEDS = 3 };
    struct seed_img seeds[NSEEDS];

    /* Seed 0: the valid image. */
    img_valid();
    seeds[0] = (struct seed_img){ .size = im.size, .phoff = PH_OFF, .phnum = 3,
                                  .noteoff = NOTE_OFF };
    seeds[0].b = malloc(im.size);
    memcpy(seeds[0].b, im.b, im.size);

    /* Seed 1: headers at the end, with a TLS segment, a third PT_LOAD and two notes. */
    img_valid();
    phdrs_to_end(7);
    set_ph(PH(3), PT_TLS, PF_R, DATA_OFF, DATA_VA, 8, 16, 8);
    set_ph(PH(4), PT_LOAD, PF_R, TEXT_OFF, 0x300000, TEXT_FILESZ, 0x1000, 0x1000);
    set_ph(PH(5), PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16);
    set_ph(PH(6), PT_NOTE, PF_R, NOTE_OFF, 0, NOTE_SIZE, NOTE_SIZE, 4);
    seeds[1] = (struct seed_img){ .size = im.size, .phoff = im.phoff, .phnum = 7,
                                  .noteoff = NOTE_OFF };
    seeds[1].b = malloc(im.size);
    memcpy(seeds[1].b, im.b, im.size);

    /* Seed 2: a build-id note before the ABI note, at the very end of the file. */
    img_valid();
    {
        uint8_t n[64], id[8] = { 0 };
        size_t len = put_note(n, 4, sizeof(id), NT_GNU_BUILD_ID, "GNU", 4, id, sizeof(id));
        len += put_abi_note(n + len, UKMON_ABI_VERSION);
        set_note_bytes(n, len);
    }
    seeds[2] = (struct seed_img){ .size = im.size, .phoff = PH_OFF, .phnum = 3,
                                  .noteoff = PH(PH_NOTE)->p_offset };
    seeds[2].b = malloc(im.size);
    memcpy(seeds[2].b, im.b, im.size);

    uint8_t *guest = calloc(1, MEM);
    uint8_t *work = malloc(IMG_CAP);
    if (!guest || !work || !seeds[0].b || !seeds[1].b || !seeds[2].b) {
        CHECKF("random: set up", false, "out of memory");
        return;
    }

    unsigned long accepted = 0, rejected = 0, bad = 0;
    char first[512] = "";
    for (unsigned it = 0; it < ITERATIONS; it++) {
        const struct seed_img *s = &seeds[it % NSEEDS];
        size_t size = s->size;
        memcpy(work, s->b, size);
        unsigned nmut = 1 + (unsigned)(rng() % 4);
        for (unsigned m = 0; m < nmut; m++)
            mutate(work, &size, s->phoff, s->phnum, s->noteoff);

        struct verdict v;
        run_buf(work, size, MEM, &v);
        const char *why = NULL;
        if (v.modified) {
            why = "image modified";
        } else if (v.placement) {
            why = "verdict differs with the image's placement";
        } else if (v.rc == 0) {
            uint64_t entry;
            memcpy(&entry, work + offsetof(Elf64_Ehdr, e_entry), 8);
            why = accepted_ok(&v.out, size, MEM, entry);
            if (!why) {
                /* What the loader would do next must stay inside both buffers. */
                uint8_t *exact = malloc(size);
                memcpy(exact, work, size);
                elf_load_segments(&v.out, exact, -1, guest);
                free(exact);
                accepted++;
            }
        } else if (v.rc != UKMON_EBADELF && v.rc != UKMON_EABI) {
            why = "unexpected return code";
        } else if (!err_written(&v)) {
            why = "no error message";
        } else {
            rejected++;
        }
        if (why && bad++ == 0)
            snprintf(first, sizeof(first), "iteration %u (seed %u, size %zu): %s, rc %s, "
                     "message \"%.200s\"", it, it % NSEEDS, size, why, rc_name(v.rc),
                     v.rc ? v.err : "");
    }
    char name[160];
    snprintf(name, sizeof(name),
             "random: %u mutated images (%lu accepted, %lu rejected), no crash, "
             "accepted ones sound", ITERATIONS, accepted, rejected);
    CHECKF(name, bad == 0, "%lu bad verdicts, first: %s", bad, first);

    free(work);
    free(guest);
    for (int i = 0; i < NSEEDS; i++)
        free(seeds[i].b);
}

int main(void)
{
    guard_init();
    im.b = calloc(1, IMG_CAP);
    if (!im.b) {
        fprintf(stderr, "test_elf: out of memory\n");
        return 1;
    }
    test_valid();
    test_header();
    test_phdr_table();
    test_segment_types();
    test_load();
    test_layout();
    test_note();
    test_linux();
    test_err_buffer();
    test_random();
    free(im.b);
    return unit_done();
}
