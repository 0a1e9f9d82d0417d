/* elf_load.c: validation of an x86-64 ELF (unikernel, Linux program, ld.so) with libelf. */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "kvm/vmm.h"

#define ELF_ERR(...) (snprintf(err, errlen, __VA_ARGS__), UKMON_EBADELF)

static bool add_overflows(uint64_t a, uint64_t b, uint64_t *sum)
{
    return __builtin_add_overflow(a, b, sum);
}

/* Ordered: a valid ABI note anywhere wins over a malformed one, which wins over none. */
enum note_kind { NOTE_NONE, NOTE_UKMON_MALFORMED, NOTE_UKMON };

/*
 * Reads the notes of one PT_NOTE segment, looking for the ukmon ABI note. Bounds are
 * checked against the segment at every step. A note named "ukmon" that is not exactly
 * the ABI note (type, sizes) is reported as malformed: the file meant to be a ukmon
 * unikernel, and must not be run as a Linux program instead.
 */
static enum note_kind elf_find_abi_note(const uint8_t *p, uint64_t len, uint32_t *version)
{
    uint64_t off = 0;
    while (len - off >= 12) {
        uint32_t namesz, descsz, type;
        memcpy(&namesz, p + off, 4);
        memcpy(&descsz, p + off + 4, 4);
        memcpy(&type, p + off + 8, 4);
        off += 12;
        uint64_t name_pad = ((uint64_t)namesz + 3) & ~3ULL;
        uint64_t desc_pad = ((uint64_t)descsz + 3) & ~3ULL;
        if (name_pad > len - off)
            return NOTE_NONE;
        const uint8_t *name = p + off;
        off += name_pad;
        bool ukmon = namesz >= 5 && memcmp(name, UKMON_NOTE_NAME, 5) == 0;
        if (desc_pad > len - off)
            return ukmon ? NOTE_UKMON_MALFORMED : NOTE_NONE;
        const uint8_t *desc = p + off;
        off += desc_pad;
        if (!ukmon)
            continue;
        if (type != UKMON_NOTE_TYPE_ABI || namesz != sizeof(UKMON_NOTE_NAME) ||
            name[namesz - 1] != 0 || descsz != 4)
            return NOTE_UKMON_MALFORMED;
        memcpy(version, desc, 4);
        return NOTE_UKMON;
    }
    return NOTE_NONE;
}

static int elf_check_ehdr(Elf *elf, GElf_Ehdr *eh, char *err, size_t errlen)
{
    if (elf_kind(elf) != ELF_K_ELF)
        return ELF_ERR("not an ELF file");
    const char *ident = elf_getident(elf, NULL);
    if (!ident)
        return ELF_ERR("truncated ELF header");
    if (ident[EI_CLASS] != ELFCLASS64 || ident[EI_DATA] != ELFDATA2LSB)
        return ELF_ERR("not an x86-64 ELF executable (not 64-bit little-endian)");
    if (!gelf_getehdr(elf, eh))
        return ELF_ERR("truncated or malformed ELF header");
    if (eh->e_machine != EM_X86_64)
        return ELF_ERR("not an x86-64 ELF executable (machine %u)", eh->e_machine);
    if (eh->e_version != EV_CURRENT || (unsigned char)ident[EI_VERSION] != EV_CURRENT)
        return ELF_ERR("unsupported ELF version");
    if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
        return ELF_ERR("not an executable (ELF type %u)", eh->e_type);
    if (eh->e_phentsize != sizeof(Elf64_Phdr))
        return ELF_ERR("bad program header entry size %u", eh->e_phentsize);
    return 0;
}

static int elf_check_load(const GElf_Phdr *ph, size_t i, uint64_t size, uint64_t bias,
                          uint64_t mem_size, bool native, char *err, size_t errlen)
{
    uint64_t end, va;
    if (ph->p_filesz > ph->p_memsz)
        return ELF_ERR("segment %zu: file size exceeds memory size", i);
    if (add_overflows(ph->p_offset, ph->p_filesz, &end) || end > size)
        return ELF_ERR("segment %zu: file data past the end of the file", i);
    if (add_overflows(ph->p_vaddr, bias, &va) || add_overflows(va, ph->p_memsz, &end) ||
        end > mem_size)
        return ELF_ERR("segment %zu: 0x%llx..0x%llx is outside guest memory (%llu MiB; "
                       "try --mem)", i, (unsigned long long)va,
                       (unsigned long long)(va + ph->p_memsz),
                       (unsigned long long)(mem_size >> 20));
    if (va < GL_LOAD_MIN)
        return ELF_ERR("segment %zu at 0x%llx overlaps the monitor's reserved area "
                       "(below 0x%llx)", i, (unsigned long long)va,
                       (unsigned long long)GL_LOAD_MIN);
    if ((ph->p_flags & PF_W) && (ph->p_flags & PF_X))
        return ELF_ERR("segment %zu is both writable and executable", i);
    if (native && ph->p_paddr != ph->p_vaddr)
        return ELF_ERR("segment %zu: physical and virtual address differ", i);
    return 0;
}

/*
 * The interpreter a dynamically linked program names (PT_INTERP): a NUL-terminated
 * absolute path, as Linux requires (ENOEXEC otherwise), and one that fits. The
 * message shows hostile bytes made printable.
 */
static int elf_interp_path(const void *image, size_t size, const GElf_Phdr *ph,
                           struct elf_image *out, char *err, size_t errlen)
{
    uint64_t end;
    if (add_overflows(ph->p_offset, ph->p_filesz, &end) || end > size)
        return ELF_ERR("the interpreter's name (PT_INTERP) lies past the end of the file");
    const char *s = (const char *)image + ph->p_offset;
    if (ph->p_filesz < 2 || s[ph->p_filesz - 1] != 0)
        return ELF_ERR("malformed interpreter name (PT_INTERP): not a NUL-terminated path");
    if (ph->p_filesz > sizeof(out->interp))
        return ELF_ERR("interpreter name (PT_INTERP) longer than %zu bytes",
                       sizeof(out->interp) - 1);
    size_t n = strlen(s);
    char shown[128];
    size_t k = 0;
    for (size_t i = 0; i < n && k < sizeof(shown) - 1; i++)
        shown[k++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    shown[k] = 0;
    if (n == 0 || s[0] != '/')
        return ELF_ERR("interpreter '%s' (PT_INTERP) is not an absolute path", shown);
    memcpy(out->interp, s, n + 1);
    return 0;
}

/*
 * First pass over the headers: what kind of program this is and where it goes. A
 * position-independent Linux program (ET_DYN: static-pie, or a PIE with an
 * interpreter) is placed so that its lowest page lands at ELF_PIE_BASE. An
 * interpreter (ld.so, itself ET_DYN) is checked the same way and moved later.
 */
static int elf_classify(Elf *elf, const GElf_Ehdr *eh, const void *image, size_t size,
                        size_t phnum, struct elf_image *out, char *err, size_t errlen)
{
    uint32_t abi = 0;
    enum note_kind note = NOTE_NONE;
    bool dynamic = false;
    unsigned ninterp = 0;
    GElf_Phdr interp_ph = {0};
    uint64_t min_va = UINT64_MAX;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph))
            return ELF_ERR("program header %zu is truncated", i);
        uint64_t end;
        switch (ph.p_type) {
        case PT_INTERP:
            if (ninterp++)
                return ELF_ERR("two interpreters (PT_INTERP)");
            interp_ph = ph;
            break;
        case PT_DYNAMIC:
            dynamic = true;
            break;
        case PT_NOTE:
            if (add_overflows(ph.p_offset, ph.p_filesz, &end) || end > size)
                return ELF_ERR("note segment %zu past the end of the file", i);
            if (note != NOTE_UKMON) {
                enum note_kind k = elf_find_abi_note((const uint8_t *)image + ph.p_offset,
                                                     ph.p_filesz, &abi);
                if (k > note)
                    note = k;
            }
            break;
        case PT_GNU_STACK:
            out->exec_stack = (ph.p_flags & PF_X) != 0;
            break;
        case PT_LOAD:
            if (ph.p_memsz && ph.p_vaddr < min_va)
                min_va = ph.p_vaddr;
            break;
        default:
            break;
        }
    }
    if (note == NOTE_UKMON_MALFORMED)
        return ELF_ERR("malformed ukmon ABI note (rebuild it against guest/)");
    if (note == NOTE_UKMON) {
        if (eh->e_type == ET_DYN)
            return ELF_ERR("position-independent or shared object (ET_DYN); link the "
                           "unikernel static with -no-pie");
        if (dynamic || ninterp)
            return ELF_ERR("dynamically linked; link the unikernel statically");
        if (abi < UKMON_ABI_MIN || abi > UKMON_ABI_VERSION) {
            snprintf(err, errlen, "built for ukmon ABI %u, this monitor speaks ABI %u",
                     abi, UKMON_ABI_VERSION);
            return UKMON_EABI;
        }
        out->kind = ELF_UKMON;
        out->abi = abi;
        return 0;
    }
    const char *ident = elf_getident(elf, NULL);
    if (ident[EI_OSABI] != ELFOSABI_SYSV && ident[EI_OSABI] != ELFOSABI_GNU)
        return ELF_ERR("not a Linux or ukmon program (OS ABI %u)",
                       (unsigned char)ident[EI_OSABI]);
    if (ninterp) {
        int r = elf_interp_path(image, size, &interp_ph, out, err, errlen);
        if (r)
            return r;
    }
    if (eh->e_type == ET_EXEC && dynamic && !ninterp)
        return ELF_ERR("dynamic section (PT_DYNAMIC) but no interpreter (PT_INTERP)");
    out->kind = ELF_LINUX;
    out->relocatable = eh->e_type == ET_DYN;
    if (eh->e_type == ET_DYN && min_va != UINT64_MAX)
        out->bias = ELF_PIE_BASE - (min_va & ~(PAGE_SIZE_4K - 1));
    return 0;
}

/* Segments may not share a byte; on a shared page their permissions combine. */
static int elf_check_overlaps(const struct elf_image *out, char *err, size_t errlen)
{
    for (unsigned a = 0; a < out->nseg; a++) {
        for (unsigned b = a + 1; b < out->nseg; b++) {
            const struct elf_seg *x = &out->seg[a], *y = &out->seg[b];
            if (x->vaddr < y->vaddr + y->memsz && y->vaddr < x->vaddr + x->memsz)
                return ELF_ERR("segments overlap at 0x%llx",
                               (unsigned long long)(x->vaddr > y->vaddr ? x->vaddr : y->vaddr));
            uint64_t xlast = (x->vaddr + x->memsz - 1) / PAGE_SIZE_4K;
            uint64_t ylast = (y->vaddr + y->memsz - 1) / PAGE_SIZE_4K;
            bool share = x->vaddr / PAGE_SIZE_4K <= ylast && y->vaddr / PAGE_SIZE_4K <= xlast;
            uint32_t f = x->flags | y->flags;
            if (share && (f & PF_W) && (f & PF_X))
                return ELF_ERR("a writable and an executable segment share a page");
        }
    }
    return 0;
}

int elf_check_image(const void *image, size_t size, uint64_t mem_size,
                    struct elf_image *out, char *err, size_t errlen)
{
    int rc = 0;
    memset(out, 0, sizeof(*out));
    if (elf_version(EV_CURRENT) == EV_NONE)
        return ELF_ERR("libelf is out of date");
    if (size < EI_NIDENT || memcmp(image, ELFMAG, SELFMAG) != 0)
        return ELF_ERR("not an ELF file");
    /* libelf's API takes a non-const image; it only reads it in ELF_C_READ_MMAP mode. */
    Elf *elf = elf_memory((char *)(uintptr_t)image, size);
    if (!elf)
        return ELF_ERR("not an ELF file (%s)", elf_errmsg(-1));

    GElf_Ehdr eh;
    size_t phnum = 0;
    if ((rc = elf_check_ehdr(elf, &eh, err, errlen)))
        goto out;
    if (elf_getphdrnum(elf, &phnum) != 0 || phnum == 0) {
        rc = ELF_ERR("no program headers");
        goto out;
    }
    if (phnum > 64) {
        rc = ELF_ERR("too many program headers (%zu)", phnum);
        goto out;
    }
    if ((rc = elf_classify(elf, &eh, image, size, phnum, out, err, errlen)))
        goto out;
    bool native = out->kind == ELF_UKMON;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph)) {
            rc = ELF_ERR("program header %zu is truncated", i);
            goto out;
        }
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        if ((rc = elf_check_load(&ph, i, size, out->bias, mem_size, native, err, errlen)))
            goto out;
        if (out->nseg == sizeof(out->seg) / sizeof(out->seg[0])) {
            rc = ELF_ERR("too many loadable segments (at most %zu)",
                         sizeof(out->seg) / sizeof(out->seg[0]));
            goto out;
        }
        out->seg[out->nseg++] = (struct elf_seg){
            .vaddr = ph.p_vaddr + out->bias, .memsz = ph.p_memsz, .filesz = ph.p_filesz,
            .offset = ph.p_offset, .flags = ph.p_flags,
        };
        /* Linux programs find their own headers (TLS, RELRO) through AT_PHDR. */
        if (!out->phdr && eh.e_phoff >= ph.p_offset &&
            eh.e_phoff - ph.p_offset < ph.p_filesz &&
            phnum * sizeof(Elf64_Phdr) <= ph.p_filesz - (eh.e_phoff - ph.p_offset))
            out->phdr = ph.p_vaddr + out->bias + (eh.e_phoff - ph.p_offset);
    }
    if (out->nseg == 0) {
        rc = ELF_ERR("no loadable segment");
        goto out;
    }
    if ((rc = elf_check_overlaps(out, err, errlen)))
        goto out;
    out->lo = UINT64_MAX;
    bool entry_ok = false;
    uint64_t entry = eh.e_entry + out->bias;
    for (unsigned i = 0; i < out->nseg; i++) {
        const struct elf_seg *s = &out->seg[i];
        if (s->vaddr < out->lo)
            out->lo = s->vaddr;
        if (s->vaddr + s->memsz > out->hi)
            out->hi = s->vaddr + s->memsz;
        if ((s->flags & PF_X) && entry >= s->vaddr && entry - s->vaddr < s->memsz)
            entry_ok = true;
    }
    if (!entry_ok) {
        rc = ELF_ERR("entry point 0x%llx is not in an executable segment",
                     (unsigned long long)entry);
        goto out;
    }
    if (!native && !out->phdr) {
        rc = ELF_ERR("not a ukmon unikernel (no ABI note), nor a Linux program (its program "
                     "headers are not in a loadable segment)");
        goto out;
    }
    out->phnum = (uint32_t)phnum;
    out->entry = entry;
out:
    elf_end(elf);
    return rc;
}

/*
 * Places the segments in guest memory, which must be fresh (zero) where they go.
 * With a file (fd >= 0), a segment whose file offset and address agree modulo the page
 * size is mapped MAP_PRIVATE from it: its pages stay the page cache's, shared by every
 * VM that runs the program, until the guest writes one. Otherwise it is copied from
 * the image. Returns 0 or -errno.
 */
int elf_load_segments(const struct elf_image *img, const void *image, int fd, uint8_t *mem)
{
    for (unsigned i = 0; i < img->nseg; i++) {
        const struct elf_seg *s = &img->seg[i];
        uint64_t delta = s->vaddr % PAGE_SIZE_4K;
        uint64_t whole_pages = (s->filesz + delta) & ~(PAGE_SIZE_4K - 1);
        bool mapped = false;
        if (fd >= 0 && s->offset % PAGE_SIZE_4K == delta && whole_pages > 0) {
            void *p = mmap(mem + s->vaddr - delta, whole_pages,
                           (s->flags & PF_W) ? PROT_READ | PROT_WRITE : PROT_READ,
                           MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, fd, (off_t)(s->offset - delta));
            if (p == MAP_FAILED && errno != ENODEV && errno != EACCES)
                return -errno;
            mapped = p != MAP_FAILED;
        }
        /* The rest of the file data, in the segment's last, partly-filled page. */
        uint64_t from = mapped ? whole_pages - delta : 0;
        if (s->filesz > from)
            memcpy(mem + s->vaddr + from, (const uint8_t *)image + s->offset + from,
                   s->filesz - from);
    }
    return 0;
}
