/* elf_load.c: validation of a static x86-64 ELF unikernel with libelf, and loading. */
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>

#include "monitor.h"

#define ELF_ERR(...) (snprintf(err, errlen, __VA_ARGS__), UKMON_EBADELF)

static bool add_overflows(uint64_t a, uint64_t b, uint64_t *sum)
{
    return __builtin_add_overflow(a, b, sum);
}

/*
 * Reads the notes of one PT_NOTE segment, looking for the ukmon ABI note. Returns true
 * and the ABI version if found. Bounds are checked against the segment at every step.
 */
static bool elf_find_abi_note(const uint8_t *p, uint64_t len, uint32_t *version)
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
            return false;
        const uint8_t *name = p + off;
        off += name_pad;
        if (desc_pad > len - off)
            return false;
        const uint8_t *desc = p + off;
        off += desc_pad;
        if (type == UKMON_NOTE_TYPE_ABI && namesz == sizeof(UKMON_NOTE_NAME) &&
            memcmp(name, UKMON_NOTE_NAME, namesz) == 0 && descsz == 4) {
            memcpy(version, desc, 4);
            return true;
        }
    }
    return false;
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
    if (eh->e_type == ET_DYN)
        return ELF_ERR("position-independent or shared object (ET_DYN); link the "
                       "unikernel static with -no-pie");
    if (eh->e_type != ET_EXEC)
        return ELF_ERR("not an executable (ELF type %u)", eh->e_type);
    if (eh->e_phentsize != sizeof(Elf64_Phdr))
        return ELF_ERR("bad program header entry size %u", eh->e_phentsize);
    return 0;
}

static int elf_check_load(const GElf_Phdr *ph, size_t i, uint64_t size, uint64_t mem_size,
                          char *err, size_t errlen)
{
    uint64_t end;
    if (ph->p_filesz > ph->p_memsz)
        return ELF_ERR("segment %zu: file size exceeds memory size", i);
    if (add_overflows(ph->p_offset, ph->p_filesz, &end) || end > size)
        return ELF_ERR("segment %zu: file data past the end of the file", i);
    if (add_overflows(ph->p_vaddr, ph->p_memsz, &end) || end > mem_size)
        return ELF_ERR("segment %zu: 0x%llx..0x%llx is outside guest memory (%llu MiB; "
                       "try --mem)", i, (unsigned long long)ph->p_vaddr,
                       (unsigned long long)end, (unsigned long long)(mem_size >> 20));
    if (ph->p_vaddr < GL_LOAD_MIN)
        return ELF_ERR("segment %zu at 0x%llx overlaps the monitor's reserved area "
                       "(below 0x%llx)", i, (unsigned long long)ph->p_vaddr,
                       (unsigned long long)GL_LOAD_MIN);
    if ((ph->p_flags & PF_W) && (ph->p_flags & PF_X))
        return ELF_ERR("segment %zu is both writable and executable", i);
    if (ph->p_paddr != ph->p_vaddr)
        return ELF_ERR("segment %zu: physical and virtual address differ", i);
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
    uint32_t abi = 0;
    bool has_note = false, seen_tls = false;
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
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph)) {
            rc = ELF_ERR("program header %zu is truncated", i);
            goto out;
        }
        switch (ph.p_type) {
        case PT_INTERP:
        case PT_DYNAMIC:
            rc = ELF_ERR("dynamically linked; link the unikernel statically");
            goto out;
        case PT_TLS:
            seen_tls = true;
            break;
        case PT_NOTE: {
            uint64_t end;
            if (add_overflows(ph.p_offset, ph.p_filesz, &end) || end > size) {
                rc = ELF_ERR("note segment %zu past the end of the file", i);
                goto out;
            }
            if (!has_note)
                has_note = elf_find_abi_note((const uint8_t *)image + ph.p_offset,
                                             ph.p_filesz, &abi);
            break;
        }
        case PT_LOAD:
            if (ph.p_memsz == 0)
                break;
            if ((rc = elf_check_load(&ph, i, size, mem_size, err, errlen)))
                goto out;
            if (out->nseg == sizeof(out->seg) / sizeof(out->seg[0])) {
                rc = ELF_ERR("too many loadable segments (at most %zu)",
                             sizeof(out->seg) / sizeof(out->seg[0]));
                goto out;
            }
            out->seg[out->nseg++] = (struct elf_seg){
                .vaddr = ph.p_vaddr, .memsz = ph.p_memsz, .filesz = ph.p_filesz,
                .offset = ph.p_offset, .flags = ph.p_flags,
            };
            break;
        default:
            break;
        }
    }
    (void)seen_tls;
    if (out->nseg == 0) {
        rc = ELF_ERR("no loadable segment");
        goto out;
    }
    /* Segments may not share a byte; on a shared page their permissions combine. */
    for (unsigned a = 0; a < out->nseg; a++) {
        for (unsigned b = a + 1; b < out->nseg; b++) {
            const struct elf_seg *x = &out->seg[a], *y = &out->seg[b];
            if (x->vaddr < y->vaddr + y->memsz && y->vaddr < x->vaddr + x->memsz) {
                rc = ELF_ERR("segments overlap at 0x%llx",
                             (unsigned long long)(x->vaddr > y->vaddr ? x->vaddr : y->vaddr));
                goto out;
            }
            uint64_t xlast = (x->vaddr + x->memsz - 1) / PAGE_SIZE_4K;
            uint64_t ylast = (y->vaddr + y->memsz - 1) / PAGE_SIZE_4K;
            bool share = x->vaddr / PAGE_SIZE_4K <= ylast && y->vaddr / PAGE_SIZE_4K <= xlast;
            uint32_t f = x->flags | y->flags;
            if (share && (f & PF_W) && (f & PF_X)) {
                rc = ELF_ERR("a writable and an executable segment share a page");
                goto out;
            }
        }
    }
    out->lo = UINT64_MAX;
    bool entry_ok = false;
    for (unsigned i = 0; i < out->nseg; i++) {
        const struct elf_seg *s = &out->seg[i];
        if (s->vaddr < out->lo)
            out->lo = s->vaddr;
        if (s->vaddr + s->memsz > out->hi)
            out->hi = s->vaddr + s->memsz;
        if ((s->flags & PF_X) && eh.e_entry >= s->vaddr && eh.e_entry - s->vaddr < s->memsz)
            entry_ok = true;
    }
    if (!entry_ok) {
        rc = ELF_ERR("entry point 0x%llx is not in an executable segment",
                     (unsigned long long)eh.e_entry);
        goto out;
    }
    if (!has_note) {
        rc = ELF_ERR("not a ukmon unikernel (no ukmon ABI note; build it against guest/)");
        goto out;
    }
    if (abi != UKMON_ABI_VERSION) {
        snprintf(err, errlen, "built for ukmon ABI %u, this monitor speaks ABI %u", abi,
                 UKMON_ABI_VERSION);
        rc = UKMON_EABI;
        goto out;
    }
    out->entry = eh.e_entry;
out:
    elf_end(elf);
    return rc;
}

/* Copies the file part of each segment; the rest is already zero (fresh anonymous map). */
void elf_copy_segments(const struct elf_image *img, const void *image, uint8_t *mem)
{
    for (unsigned i = 0; i < img->nseg; i++) {
        const struct elf_seg *s = &img->seg[i];
        memcpy(mem + s->vaddr, (const uint8_t *)image + s->offset, s->filesz);
    }
}
